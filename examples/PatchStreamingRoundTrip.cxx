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
// The demo: reads a volume (by default the T1 volume of Debian's ITK
// examples), cuts it into overlapping patches, merges them back with the
// line-streaming merger, writes the result and reports the grid, the memory
// the stack would take at once against what the merger held, and the error.
//
// Usage: PatchStreamingRoundTrip [input] [output] [patch size] [overlap] [border mode] [weighting]
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkImageRegionConstIterator.h"
#include "itkMetaImageIOFactory.h"
#include "itkNiftiImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <string>

namespace
{
using ImageType = itk::Image<float, 3>;
using StackType = itk::Image<float, 4>;

/** What the merge asked the extractor for: the stack regions a per-patch model of a real pipeline would see. */
struct PatchCounts
{
  itk::SizeValueType requests{ 0 };
  itk::SizeValueType patches{ 0 };
  itk::SizeValueType largestRequest{ 0 };
};
} // namespace

int
main(int argc, char * argv[])
{
  const std::string input =
    argc > 1 ? argv[1] : "/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz";
  const std::string   output = argc > 2 ? argv[2] : "T1_merged.nrrd";
  const unsigned long patch = argc > 3 ? std::stoul(argv[3]) : 32;
  const unsigned long overlap = argc > 4 ? std::stoul(argv[4]) : patch / 2;
  itk::NiftiImageIOFactory::RegisterOneFactory();
  itk::NrrdImageIOFactory::RegisterOneFactory();
  itk::MetaImageIOFactory::RegisterOneFactory();

  try
  {
    const auto borderMode = itk::BorderModeFromString(argc > 5 ? argv[5] : "Squeeze");
    const auto weighting = itk::WeightingFromString(argc > 6 ? argv[6] : "Average");

    auto reader = itk::ImageFileReader<ImageType>::New();
    reader->SetFileName(input);
    reader->Update();
    const ImageType * image = reader->GetOutput();

    auto extractor = itk::PatchExtractor<ImageType>::New();
    extractor->SetInput(image);
    extractor->SetPatchSize(ImageType::SizeType::Filled(patch));
    extractor->SetPatchOverlap(ImageType::SizeType::Filled(overlap));
    extractor->SetBorderMode(borderMode);
    PatchCounts counter;
    extractor->AddObserver(itk::StartEvent(), [&counter, &extractor](const itk::EventObject &) {
      const itk::SizeValueType patches = extractor->GetOutput()->GetRequestedRegion().GetSize(3);
      ++counter.requests;
      counter.patches += patches;
      counter.largestRequest = std::max(counter.largestRequest, patches);
    });

    auto merger = itk::PatchMerger<StackType>::New();
    merger->SetInput(extractor->GetOutput());
    merger->SetWeighting(weighting);
    const auto started = std::chrono::steady_clock::now();
    merger->Update();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    auto writer = itk::ImageFileWriter<ImageType>::New();
    writer->SetInput(merger->GetOutput());
    writer->SetFileName(output);
    writer->Update();

    double                                   maximumError = 0.0;
    itk::ImageRegionConstIterator<ImageType> original(image, image->GetLargestPossibleRegion());
    itk::ImageRegionConstIterator<ImageType> merged(merger->GetOutput(), image->GetLargestPossibleRegion());
    for (; !original.IsAtEnd(); ++original, ++merged)
    {
      maximumError = std::max(maximumError, static_cast<double>(std::abs(original.Get() - merged.Get())));
    }

    const auto &             grid = extractor->GetPatchGrid();
    const itk::SizeValueType voxels = image->GetLargestPossibleRegion().GetNumberOfPixels();
    const itk::SizeValueType stackVoxels = extractor->GetOutput()->GetLargestPossibleRegion().GetNumberOfPixels();
    const itk::SizeValueType lineVoxels = stackVoxels / grid.GetNumberOfPatches() * counter.largestRequest;
    std::cout << "input            " << input << "\n"
              << "  size           " << image->GetLargestPossibleRegion().GetSize() << ", spacing "
              << image->GetSpacing() << "\n"
              << "  origin         " << image->GetOrigin() << "\n"
              << "patches          " << ImageType::SizeType::Filled(patch) << " overlap " << overlap << ", "
              << itk::ToString(borderMode) << " border, " << itk::ToString(weighting) << " weighting\n"
              << "  grid           " << grid.GetGridSize() << " = " << grid.GetNumberOfPatches() << " patches\n"
              << "  whole stack    " << stackVoxels << " voxels = " << static_cast<double>(stackVoxels) / voxels
              << " x the image (never held at once)\n"
              << "  merge pulled   " << counter.requests << " patch lines, " << counter.patches
              << " patch computations; largest stack region " << counter.largestRequest
              << " patches = " << static_cast<double>(lineVoxels) / voxels << " x the image\n"
              << "merge time       " << seconds << " s\n"
              << "max |out - in|   " << maximumError << "\n"
              << "output           " << output << " (same size, spacing, origin and direction as the input)\n";
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "PatchStreamingRoundTrip: " << error.GetDescription() << std::endl;
    return EXIT_FAILURE;
  }
  catch (const std::exception & error)
  {
    std::cerr << "PatchStreamingRoundTrip: " << error.what() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
