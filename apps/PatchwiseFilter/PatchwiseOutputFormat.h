/*=========================================================================
 *
 *  Copyright the PatchStreaming contributors
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
#ifndef PatchwiseOutputFormat_h
#define PatchwiseOutputFormat_h

#include "itkImageFileWriter.h"
#include "itkImageIOBase.h"
#include "itkNumericTraits.h"

#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

/** Throws, naming the output file, when its format is a 2-D picture format
 * (PNG, JPEG, BMP) that cannot hold TWritten (`what`: "output" or "--label-map"): ITK would write the first slice
 * of a 3-D image and report success, and refuses float pixels only after the
 * whole run. PNG holds unsigned char and unsigned short, BMP unsigned char;
 * JPEG, lossy, holds nothing exactly. */
template <typename TWritten>
void
CheckFormatHolds(const std::string & format, const std::string & file, const std::string & what)
{
  constexpr unsigned int Dimension = TWritten::ImageDimension;
  using Component = typename itk::NumericTraits<typename TWritten::PixelType>::ValueType;
  const bool picture = format == "PNGImageIO" || format == "JPEGImageIO" || format == "BMPImageIO";
  const bool held = std::is_same<Component, unsigned char>::value ||
                    (format == "PNGImageIO" && std::is_same<Component, unsigned short>::value);
  const std::string use = " (use .nrrd, .nii, .nii.gz or .mha)";
  if (format == "JPEGImageIO")
  {
    throw std::runtime_error(what + " \"" + file + "\": " + format +
                             " compresses with loss: the values, labels too, would not read back as computed" + use);
  }
  if (picture && Dimension > 2)
  {
    throw std::runtime_error(what + " \"" + file + "\": " + format + " cannot hold a " + std::to_string(Dimension) +
                             "-D image" + use);
  }
  if (picture && !held)
  {
    throw std::runtime_error(
      what + " \"" + file + "\": " + format + " cannot hold " +
      itk::ImageIOBase::GetComponentTypeAsString(itk::ImageIOBase::MapPixelType<Component>::CType) + " pixels" + use);
  }
}

/** An image's spacing, origin and direction (row by row), as written to a file. */
struct WrittenGeometry
{
  std::vector<double> spacing;
  std::vector<double> origin;
  std::vector<double> direction;
};

/** A private directory beside `file` (".PatchwiseFilter-probe-XXXXXX"), removed with
 * everything in it when the object goes; empty when none could be made. */
class ProbeDirectory
{
public:
  explicit ProbeDirectory(const std::string & file);
  ~ProbeDirectory();
  ProbeDirectory(const ProbeDirectory &) = delete;
  ProbeDirectory &
  operator=(const ProbeDirectory &) = delete;

  const std::string &
  GetPath() const
  {
    return m_Path;
  }

private:
  std::string m_Path{};
};

/** What of `geometry` the file `probe`, written by ITK with it, lost when read back ("origin
 * (-20, -12.5, -5) reads back as (0, 0, 0); ..."): spacing to 1e-4 relative, origin and
 * direction to 1e-4 (relative past 1), as formats store them as float; "" when it kept them,
 * or cannot be read back with as many axes (the run's own write then says why). */
std::string
LostGeometry(const std::string & probe, const WrittenGeometry & geometry);

/** Throws, naming the output file `file`, when its format does not keep the image's spacing,
 * origin and direction (`what`: "output" or "--label-map"): ITK 5.2's TIFF writer keeps neither
 * the origin nor the direction nor the slice spacing, its VTK writer no direction, PNG and BMP no
 * origin, and all report success. A 2 x ... x 2 image of `image`'s type, components and geometry
 * is written under the output's name in a private directory beside it (ProbeDirectory) and read
 * back, so every format is asked what it keeps; NRRD and MetaImage, which keep it exactly, are
 * not asked. A probe that cannot be written is left to the run's own write. */
template <typename TWritten>
void
CheckFormatKeepsGeometry(const TWritten * image, itk::ImageIOBase * io, const std::string & file, const std::string & what)
{
  const std::string format = io->GetNameOfClass();
  if (format == "NrrdImageIO" || format == "MetaImageIO")
  {
    return;
  }
  constexpr unsigned int Dimension = TWritten::ImageDimension;
  auto                   probe = TWritten::New();
  typename TWritten::SizeType size;
  size.Fill(2);
  probe->SetRegions(size);
  probe->SetNumberOfComponentsPerPixel(image->GetNumberOfComponentsPerPixel());
  probe->CopyInformation(image);
  probe->Allocate(true);
  WrittenGeometry geometry;
  for (unsigned int d = 0; d < Dimension; ++d)
  {
    geometry.spacing.push_back(image->GetSpacing()[d]);
    geometry.origin.push_back(image->GetOrigin()[d]);
    for (unsigned int e = 0; e < Dimension; ++e)
    {
      geometry.direction.push_back(image->GetDirection()[d][e]);
    }
  }
  const ProbeDirectory directory(file);
  if (directory.GetPath().empty())
  {
    return;
  }
  const std::string probeFile = directory.GetPath() + "/" + file.substr(file.find_last_of('/') + 1);
  std::string       lost;
  try
  {
    auto writer = itk::ImageFileWriter<TWritten>::New();
    writer->SetInput(probe);
    writer->SetFileName(probeFile);
    writer->Update();
    lost = LostGeometry(probeFile, geometry);
  }
  catch (const std::exception &)
  {
    // Not this check's to report: the run's own write says why.
  }
  if (!lost.empty())
  {
    throw std::runtime_error(what + " \"" + file + "\": " + format + " does not keep the image's geometry: " + lost +
                             " (use .nrrd or .mha, which keep it exactly)");
  }
}

#endif
