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
// The training-patch example run as a user runs it, on the T1 volume: every
// image patch equals the T1 at its location, every label patch the label
// map's, and the center labels are those locations.csv lists.
#include "itkPatchStreamingTestUtilities.h"

#include "itkImageFileReader.h"
#include "itkNiftiImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"
#include "itkRegionOfInterestImageFilter.h"
#include "gtest/gtest.h"

#include <filesystem>
#include <fstream>

namespace
{
using namespace PatchStreamingTest;

TEST(PatchStreamingTrainingPatches, StacksHoldTheImageAtTheListedLocations)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  itk::NrrdImageIOFactory::RegisterOneFactory();
  const auto        folder = std::filesystem::temp_directory_path() / ("TrainingPatches-" + std::to_string(getpid()));
  const std::string command = std::string("'") + PatchStreamingTrainingPatches_EXECUTABLE + "' '" +
                              PatchStreaming_T1_IMAGE + "' --count 40 --patch 16,12,10 --seed 3 --output-folder '" +
                              folder.string() + "' > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  const auto image = PatchStreamingTest::ReadImage<ImageType>(PatchStreaming_T1_IMAGE);
  const auto stack = PatchStreamingTest::ReadImage<StackType>((folder / "KmeansTest_T1UCharRaw_patches.nrrd").string());
  const auto labels =
    PatchStreamingTest::ReadImage<itk::Image<unsigned char, 4>>((folder / "labels_patches.nrrd").string());
  ASSERT_EQ(stack->GetLargestPossibleRegion().GetSize(), (StackType::SizeType{ { 16, 12, 10, 40 } }));
  std::ifstream csv(folder / "locations.csv");
  std::string   line;
  std::getline(csv, line); // header
  itk::IndexValueType k = 0;
  for (; std::getline(csv, line); ++k)
  {
    ImageType::IndexType start;
    int                  patch = 0;
    int                  centerLabel = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%d,%ld,%ld,%ld,%d", &patch, &start[0], &start[1], &start[2], &centerLabel), 5);
    ASSERT_EQ(patch, k);
    auto roi = itk::RegionOfInterestImageFilter<ImageType, ImageType>::New();
    roi->SetInput(image);
    roi->SetRegionOfInterest(ImageType::RegionType(start, { { 16, 12, 10 } }));
    roi->Update();
    for (itk::ImageRegionConstIteratorWithIndex<ImageType> it(roi->GetOutput(),
                                                              roi->GetOutput()->GetLargestPossibleRegion());
         !it.IsAtEnd();
         ++it)
    {
      // The ROI's output starts at index 0: its index is the voxel's offset in the patch.
      const StackType::IndexType voxel{ { it.GetIndex()[0], it.GetIndex()[1], it.GetIndex()[2], k } };
      ASSERT_EQ(stack->GetPixel(voxel), it.Get()) << "patch " << k;
    }
    EXPECT_EQ(labels->GetPixel({ { 8, 6, 5, k } }), centerLabel) << "patch " << k;
    EXPECT_LE(centerLabel, 2);
  }
  EXPECT_EQ(k, 40);
  std::filesystem::remove_all(folder);
}
} // namespace
