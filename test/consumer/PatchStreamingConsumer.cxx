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
// A program outside the project that uses the installed PatchStreaming:
// extract and merge a small image, write it with ITK's IO (registered by
// ITK's use file) to the file given as the argument, read it back and check
// that the round trip is exact.
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkImageRegionIterator.h"
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"
#include "itkSeparableGaussianWeighting.h"

#include <cmath>
#include <iostream>

int
main(int argc, char * argv[])
{
  if (argc != 2)
  {
    std::cerr << "usage: " << argv[0] << " merged.mha" << std::endl;
    return 2;
  }
  using ImageType = itk::Image<float, 2>;
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { 21, 13 } });
  image->Allocate();
  float value = 0.0f;
  for (itk::ImageRegionIterator<ImageType> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(value += 0.5f);
  }

  auto extractor = itk::PatchExtractor<ImageType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize({ { 8, 8 } });
  extractor->SetPatchOverlap({ { 4, 4 } });
  // Gaussian blending of identical patches gives the image back (to rounding).
  auto weighting = itk::SeparableGaussianWeighting<itk::Image<float, 3>>::New();
  weighting->SetInput(extractor->GetOutput());
  auto merger = itk::PatchMerger<itk::Image<float, 3>>::New();
  merger->SetInput(weighting->GetOutput());
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
  merger->InputIsWeightedOn();
  ImageType::Pointer readBack;
  try
  {
    itk::WriteImage(merger->GetOutput(), argv[1]);
    readBack = itk::ReadImage<ImageType>(argv[1]);
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << error << std::endl;
    return 1;
  }

  itk::ImageRegionConstIterator<ImageType> expected(image, image->GetBufferedRegion());
  itk::ImageRegionConstIterator<ImageType> merged(readBack, image->GetBufferedRegion());
  for (; !expected.IsAtEnd(); ++expected, ++merged)
  {
    if (std::abs(expected.Get() - merged.Get()) > 1e-5f * std::abs(expected.Get()))
    {
      std::cerr << "round trip differs at " << expected.GetIndex() << std::endl;
      return 1;
    }
  }
  std::cout << "installed PatchStreaming: " << extractor->GetPatchGrid().GetNumberOfPatches()
            << " Gaussian-weighted patches merged back" << std::endl;
  return 0;
}
