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
// Writes the demo's stand-in volume when Debian's T1 example volume is not
// available: a head-like phantom (nested ellipsoids with texture) of the T1
// volume's size, anisotropic spacing and an oblique direction.
//
// Usage: PatchStreamingPhantom output
#include "itkImageFileWriter.h"
#include "itkImageRegionIteratorWithIndex.h"
#include "itkMetaImageIOFactory.h"
#include "itkNiftiImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"

#include <cmath>
#include <iostream>

int
main(int argc, char * argv[])
{
  if (argc != 2)
  {
    std::cerr << "usage: PatchStreamingPhantom output" << std::endl;
    return EXIT_FAILURE;
  }
  itk::NiftiImageIOFactory::RegisterOneFactory();
  itk::NrrdImageIOFactory::RegisterOneFactory();
  itk::MetaImageIOFactory::RegisterOneFactory();
  using ImageType = itk::Image<float, 3>;
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { 128, 128, 62 } });
  image->SetSpacing(ImageType::SpacingType(std::vector<double>{ 2.0, 2.0, 3.0 }.data()));
  ImageType::DirectionType direction;
  direction.SetIdentity();
  const double angle = 0.2; // a slightly oblique acquisition
  direction[0][0] = std::cos(angle);
  direction[0][1] = -std::sin(angle);
  direction[1][0] = std::sin(angle);
  direction[1][1] = std::cos(angle);
  image->SetDirection(direction);
  image->Allocate();
  for (itk::ImageRegionIteratorWithIndex<ImageType> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    // Millimetres from the center, then squared radii of the nested ellipsoids.
    const double x = (it.GetIndex()[0] - 63.5) * 2.0, y = (it.GetIndex()[1] - 63.5) * 2.0;
    const double z = (it.GetIndex()[2] - 30.5) * 3.0;
    const double head = x * x / (95.0 * 95.0) + y * y / (115.0 * 115.0) + z * z / (85.0 * 85.0);
    const double brain = x * x / (85.0 * 85.0) + y * y / (105.0 * 105.0) + z * z / (75.0 * 75.0);
    const double ventricle = (std::abs(x) - 12.0) * (std::abs(x) - 12.0) / 64.0 + y * y / 900.0 + z * z / 400.0;
    double       value = head < 1.0 ? 40.0 : 0.0;
    if (brain < 1.0)
    {
      value = 110.0 + 25.0 * std::sin(x / 6.0) * std::sin(y / 7.0) * std::cos(z / 5.0); // folds
    }
    if (ventricle < 1.0)
    {
      value = 30.0;
    }
    it.Set(static_cast<float>(value));
  }
  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetInput(image);
  writer->SetFileName(argv[1]);
  try
  {
    writer->Update();
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "PatchStreamingPhantom: " << error.GetDescription() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
