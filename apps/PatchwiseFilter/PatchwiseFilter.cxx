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
// PatchwiseFilter: patch-wise processing of an image file from the command
// line or as a 3D Slicer CLI module (`--xml`). Run with --help for the options;
// the README's "Command-line tool" section describes them.
#include "AtomicOutputFile.h"
#include "PatchwiseFilterOptions.h"
#include "PatchwiseDecimal.h"
#include "PatchwiseMessages.h"
#include "PatchwisePreview.h"
#include "PatchwiseRun.h"
#include "PatchwiseValidators.h"
#include "PatchwiseVoxelData.h"
#ifdef PatchwiseFilter_HAS_TORCH
#  include "PatchwiseNetworkPlugin.h"
#endif
#include "SlicerModuleDescription.h"

#include "itkBMPImageIOFactory.h"
#include "itkJPEGImageIOFactory.h"
#include "itkMetaImageIOFactory.h"
#include "itkMultiThreaderBase.h"
#include "itkNiftiImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"
#include "itkPNGImageIOFactory.h"
#include "itkTIFFImageIOFactory.h"
#include "itkVTKImageIOFactory.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

namespace
{
void
RegisterImageFormats()
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  itk::NrrdImageIOFactory::RegisterOneFactory();
  itk::MetaImageIOFactory::RegisterOneFactory();
  itk::VTKImageIOFactory::RegisterOneFactory();
  itk::PNGImageIOFactory::RegisterOneFactory();
  itk::TIFFImageIOFactory::RegisterOneFactory();
  itk::JPEGImageIOFactory::RegisterOneFactory();
  itk::BMPImageIOFactory::RegisterOneFactory();
}

/** The preview's slice choice against the image's size, before any work is done. */
void
CheckPreviewSlice(const PatchwiseFilterSettings & settings, const itk::ImageIOBase & image)
{
  const unsigned int dimension = image.GetNumberOfDimensions();
  if (dimension == 2 && (settings.previewAxis >= 0 || settings.previewSlice >= 0))
  {
    throw std::runtime_error(
      "--preview-axis/--preview-slice: the input is a 2-D image, previewed whole: leave them out");
  }
  for (unsigned int a = 0; a < dimension && settings.previewSlice >= 0; ++a)
  {
    const auto size = static_cast<int>(image.GetDimensions(a));
    if ((settings.previewAxis < 0 || settings.previewAxis == static_cast<int>(a)) && settings.previewSlice >= size)
    {
      throw std::runtime_error("--preview-slice " + std::to_string(settings.previewSlice) + " is outside axis " +
                               std::to_string(a) + " (0.." + std::to_string(size - 1) + ")");
    }
  }
}

/** The network with --model, else --process, on images of type TImage. */
template <typename TImage>
PatchwiseRunResult<TImage::ImageDimension>
RunPipeline(const PatchwiseFilterSettings & settings,
            unsigned int                    components,
            const std::string &             outputFile,
            PatchwiseProgressBar *          progress)
{
  try
  {
#ifdef PatchwiseFilter_HAS_TORCH
    if (!settings.model.empty())
    {
      return RunNetworkPlugin<TImage::ImageDimension>(settings, components, outputFile, progress);
    }
#endif
    return RunPatchwise<TImage>(settings, components, outputFile, progress);
  }
  catch (const itk::ExceptionObject & error)
  {
    // An ImageIO's Read (the input's voxels: a file cut short) names neither the option nor the file's role.
    if (std::string(error.GetLocation()).find("ImageIO::Read") == std::string::npos)
    {
      throw;
    }
    throw std::runtime_error("input \"" + settings.input + "\" cannot be read: " + Readable(error));
  }
}

/** Whether a patch of `grid` reaches outside the image, where it reads the
 * padding. The starts grow along every axis with the grid index, so the first
 * and the last patch bound them all. */
template <unsigned int VDimension>
bool
ReadsPadding(const itk::PatchGrid<VDimension> & grid)
{
  const auto & image = grid.GetImageRegion();
  return !image.IsInside(grid.GetPatchRegion(0)) || !image.IsInside(grid.GetPatchRegion(grid.GetNumberOfPatches() - 1));
}

/** The summary's line of what was done: the grid, the border, the padding
 * read, the processing and the weighting. The overlap of a grid of one patch
 * is said to be unused: no neighbour shares its voxels. */
template <unsigned int VDimension>
std::string
DescribeRun(const PatchwiseFilterSettings & settings, const PatchwiseRunResult<VDimension> & result)
{
  const auto &       grid = result.grid;
  std::ostringstream what;
  what << "grid " << Joined(grid.GetGridSize(), VDimension) << " = "
       << CountOf(grid.GetNumberOfPatches(), "patch", "patches") << " of " << Joined(grid.GetPatchSize(), VDimension)
       << " voxels, overlap " << Joined(grid.GetPatchOverlap(), VDimension);
  if (grid.GetNumberOfPatches() == 1)
  {
    what << " (unused: one patch)";
  }
  what << ", " << settings.borderMode << " border, ";
  if (!ReadsPadding(grid))
  {
    what << "no padding read";
  }
  else
  {
    what << settings.padding;
    if (settings.padding == "constant")
    {
      what << " " << settings.paddingValue;
    }
    what << " padding";
  }
  what << "; " << result.processing << "; " << settings.weighting << " weighting";
  if (result.windows.GetWindowFloor() > 0.0)
  {
    what << " (minimum weight on the window)";
  }
  return what.str();
}

/** Runs on a VDimension-D image; returns the summary the progress prints at its end. */
template <unsigned int VDimension>
std::string
RunDimension(const PatchwiseFilterSettings & settings, const itk::ImageIOBase & image, PatchwiseProgressBar * progress)
{
  PatchwiseValidators::RejectFilterPastThePatch(settings, image);
  const unsigned int components = image.GetNumberOfComponents();
  // Both files are checked for writability before the work starts.
  AtomicOutputFile                  output(settings.output, settings.OutputName());
  std::unique_ptr<AtomicOutputFile> preview;
  if (!settings.preview.empty())
  {
    preview = std::make_unique<AtomicOutputFile>(settings.preview, "--preview");
  }
  const auto result =
    components == 1
      ? RunPipeline<itk::Image<float, VDimension>>(settings, components, output.GetTemporaryPath(), progress)
      : RunPipeline<itk::VectorImage<float, VDimension>>(settings, components, output.GetTemporaryPath(), progress);
  CheckWrittenImage(output.GetTemporaryPath(), settings.output); // before the preview reads it

  const auto &      grid = result.grid;
  const std::string what = DescribeRun(settings, result);
  if (preview)
  {
    const auto slices =
      MakePreviewSlices<VDimension>(settings.input,
                                    output.GetTemporaryPath(),
                                    grid,
                                    result.windows,
                                    PreviewChoice{ settings.previewAxis, settings.previewSlice, result.labels });
    WritePreviewPicture("PatchwiseFilter: " + what, slices, preview->GetTemporaryPath());
  }
  AtomicOutputFile::CommitTogether(preview ? std::vector<AtomicOutputFile *>{ preview.get(), &output }
                                           : std::vector<AtomicOutputFile *>{ &output });

  std::ostringstream summary;
  summary << "PatchwiseFilter: wrote " << settings.output << "\n"
          << "  input     " << settings.input << ": " << Joined(grid.GetImageRegion().GetSize(), VDimension)
          << " voxels, " << CountOf(components, "component") << ", spacing " << grid.GetSpacing() << "\n"
          << "  done      " << what << "\n"
          << "  streamed  in " << CountOf(result.divisions, "division");
  if (!result.assembledFor.empty())
  {
    summary << ", the output assembled whole for " << result.assembledFor
            << ", which writes a file in one piece (MetaImage .mha and .mhd are written piece by piece)";
  }
  summary << "\n"
          << "  time      " << result.seconds << " s (read, extract, process, merge, write)\n";
  if (preview)
  {
    summary << "  preview   " << settings.preview << "\n";
  }
  if (!result.warning.empty())
  {
    summary << "  warning   " << result.warning << "\n";
  }
  return summary.str();
}

/** Reads the header of `input` into `image`. MetaImage's reader prints its
 * reasons on std::cerr and then throws with a stale errno ("No such file or
 * directory" for a file that exists), so std::cerr is held meanwhile: on a
 * failure its lines are the reason given, on success they are passed on. */
void
ReadHeader(itk::ImageIOBase & image, const std::string & input)
{
  std::ostringstream     held;
  std::streambuf * const stderrBuffer = std::cerr.rdbuf(held.rdbuf());
  try
  {
    image.ReadImageInformation();
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr.rdbuf(stderrBuffer);
    std::istringstream lines(held.str());
    std::string        reasons;
    for (std::string line; std::getline(lines, line);)
    {
      reasons += line.empty() ? "" : (reasons.empty() ? "" : "; ") + line;
    }
    throw std::runtime_error("input \"" + input +
                             "\" cannot be read: " + (reasons.empty() ? Readable(error) : reasons));
  }
  std::cerr.rdbuf(stderrBuffer);
  std::cerr << held.str();
}

/** Refuses an input whose voxel volume, the product of its spacings, is below a double's normal
 * range: ITK inverts its voxel-to-physical matrix in double precision, printing SVD warnings
 * (a subnormal volume) or failing with "Singular matrix" (one that underflows to 0), neither
 * naming the file. Python's sliding_window_inference refuses such a `spacing` the same way.
 * A negative spacing counts as its size, as ITK's reader reads it (flipping the direction's
 * column); a spacing of 0 or one that is not finite is left to ITK, which refuses it by name. */
void
CheckVoxelVolume(const std::string & input, const itk::ImageIOBase & image)
{
  double      volume = 1.0;
  std::string spacing;
  for (unsigned int d = 0; d < std::min(image.GetNumberOfDimensions(), 3u); ++d)
  {
    const double size = std::abs(image.GetSpacing(d));
    if (!(size > 0.0) || !std::isfinite(size))
    {
      return;
    }
    volume *= size;
    spacing += (d ? " x " : "") + PatchwiseDecimal::ShortestDecimal(image.GetSpacing(d));
  }
  if (volume < std::numeric_limits<double>::min())
  {
    std::ostringstream message;
    message << "input \"" << input << "\": its spacing " << spacing << " gives a voxel volume of " << volume
            << ", below a double's normal range (" << std::numeric_limits<double>::min()
            << "), and ITK cannot invert its voxel-to-physical matrix: save it with a spacing nearer 1 (e.g. in "
               "other units)";
    throw std::runtime_error(message.str());
  }
}

/** With --model, before the input is read or a file made: the network plugin loaded (exit 1
 * when it cannot be) and a CUDA --device checked against libtorch (exit 2, a bad argument).
 * Returns the exit status, 0 to go on. Without --model nothing is loaded: libtorch's start-up
 * is not paid and --device is unused. */
int
PrepareNetwork([[maybe_unused]] const PatchwiseFilterSettings & settings)
{
#ifdef PatchwiseFilter_HAS_TORCH
  if (settings.model.empty())
  {
    return 0;
  }
  try
  {
    const auto & plugin = NetworkPlugin();
    if (settings.device != "cpu" && !plugin.isCudaAvailable())
    {
      std::cerr << "PatchwiseFilter: --device: \"" << settings.device
                << "\": this libtorch has no CUDA device (Debian's is built for the CPU only); give cpu" << std::endl;
      return 2;
    }
  }
  catch (const std::runtime_error & error)
  {
    std::cerr << "PatchwiseFilter: " << OneLine(error.what()) << std::endl;
    return 1;
  }
#endif
  return 0;
}

/** What to do with an image of more than 3 axes (none for fewer): its extra axes are one voxel long
 * (a 3-D image saved as 4-D), or hold a series or channels, which are read as a vector image's
 * components. The Python twin is `unread_axes_hint` in python/patchstreaming/_sources.py. */
std::string
UnreadDimensionsHint(const itk::ImageIOBase & image)
{
  if (image.GetNumberOfDimensions() <= 3)
  {
    return {};
  }
  std::string size;
  bool        extraAxesOfOne = true;
  for (unsigned int d = 0; d < image.GetNumberOfDimensions(); ++d)
  {
    size += (d ? "x" : "") + std::to_string(image.GetDimensions(d));
    extraAxesOfOne = extraAxesOfOne && (d < 3 || image.GetDimensions(d) == 1);
  }
  return extraAxesOfOne
           ? " (" + size + " voxels: its axes past the third are one voxel long; save it as a 3-D image)"
           : " (" + size + " voxels: a series or channels on the axes past the third are not read; store channels " +
               "as the voxels' components, a vector image)";
}

std::string
Run(const PatchwiseFilterSettings & settings, PatchwiseProgressBar * progress)
{
  if (settings.threads > 0)
  {
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(settings.threads);
  }
  auto image = itk::ImageIOFactory::CreateImageIO(settings.input.c_str(), itk::IOFileModeEnum::ReadMode);
  if (image == nullptr)
  {
    throw std::runtime_error("input \"" + settings.input + "\": no ITK image format reads this file");
  }
  image->SetFileName(settings.input);
  ReadHeader(*image, settings.input);
  CheckVoxelVolume(settings.input, *image);
  CheckVoxelDataLength(settings.input, image->GetImageSizeInBytes());
  CheckPreviewSlice(settings, *image);
  switch (image->GetNumberOfDimensions())
  {
    case 2:
      return RunDimension<2>(settings, *image, progress);
    case 3:
      return RunDimension<3>(settings, *image, progress);
    default:
      throw std::runtime_error("input \"" + settings.input + "\" is a " +
                               std::to_string(image->GetNumberOfDimensions()) +
                               "-D image; PatchwiseFilter reads 2-D and 3-D images" + UnreadDimensionsHint(*image));
  }
}
} // namespace

int
main(int argc, char * argv[])
{
  PatchwiseFilterOptions options;
  options.GetApp().add_flag_callback(
    "--xml",
    [&options] {
      WriteSlicerModuleDescription(std::cout, options, PatchStreaming_VERSION);
      throw CLI::Success();
    },
    "Print the 3D Slicer module description (SlicerExecutionModel XML) and exit");
  RegisterImageFormats(); // before the options: the output's format is checked with them
  try
  {
    options.Parse(argc, argv);
  }
  catch (const CLI::ParseError & error)
  {
    if (error.get_exit_code() == 0)
    {
      return options.GetApp().exit(error); // --help
    }
    std::cerr << "PatchwiseFilter: " << OneLine(error.what()) << std::endl;
    return 2;
  }

  if (const int status = PrepareNetwork(options.GetSettings()))
  {
    return status;
  }
  auto progress = PatchwiseProgressBar::New();
  try
  {
    progress->Finish(Run(options.GetSettings(), progress));
  }
  catch (const itk::ExceptionObject & error)
  {
    progress->EndLine();
    std::cerr << "PatchwiseFilter: " << Readable(error) << std::endl;
    return 1;
  }
  catch (const std::exception & error)
  {
    progress->EndLine();
    std::cerr << "PatchwiseFilter: " << OneLine(error.what()) << std::endl;
    return 1;
  }
  return 0;
}
