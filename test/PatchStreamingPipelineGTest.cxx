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
// The pipeline example (examples/PatchStreamingPipeline.cxx) run as a user
// runs it, on the T1 volume: the file it writes in streamed pieces equals,
// voxel for voxel, the same filters run here in one piece.
#include "itkPatchByPatchImageFilter.h"
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkImageFileWriter.h"
#include "itkMedianImageFilter.h"
#include "itkMetaImageIOFactory.h"
#include "itkNiftiImageIOFactory.h"
#include "gtest/gtest.h"

#include <filesystem>

namespace
{
using ImageType = itk::Image<float, 3>;
using StackType = itk::Image<float, 4>;

TEST(PatchStreamingPipeline, WritesTheUnstreamedResultOfTheSameFilters)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  itk::MetaImageIOFactory::RegisterOneFactory();
  const auto folder = std::filesystem::temp_directory_path() / ("PatchStreamingPipeline-" + std::to_string(getpid()));
  std::filesystem::create_directories(folder);
  const std::string input = (folder / "T1.mha").string();
  const std::string output = (folder / "T1_pipeline.mha").string();
  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetInput(PatchStreamingTest::ReadImage<ImageType>(PatchStreaming_T1_IMAGE));
  writer->SetFileName(input);
  writer->Update();

  const std::string command =
    std::string("'") + PatchStreamingPipeline_EXECUTABLE + "' '" + input + "' '" + output + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  ASSERT_TRUE(std::filesystem::exists(output)) << output;

  const auto image = PatchStreamingTest::ReadImage<ImageType>(input);
  auto       extractor = itk::PatchExtractor<ImageType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize(ImageType::SizeType::Filled(32));
  extractor->SetPatchOverlap(ImageType::SizeType::Filled(16));
  auto perPatch = itk::PatchByPatchImageFilter<StackType>::New();
  perPatch->SetInput(extractor->GetOutput());
  perPatch->SetFilter(itk::MedianImageFilter<ImageType, ImageType>::New());
  auto merger = itk::PatchMerger<StackType>::New();
  merger->SetInput(perPatch->GetOutput());
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
  merger->Update();
  const ImageType * expected = merger->GetOutput();

  const auto written = PatchStreamingTest::ReadImage<ImageType>(output);
  ASSERT_EQ(written->GetLargestPossibleRegion(), expected->GetLargestPossibleRegion());
  for (unsigned int i = 0; i < 3; ++i)
  {
    EXPECT_NEAR(written->GetSpacing()[i], expected->GetSpacing()[i], 1e-9);
    EXPECT_NEAR(written->GetOrigin()[i], expected->GetOrigin()[i], 1e-9);
    for (unsigned int j = 0; j < 3; ++j)
    {
      EXPECT_NEAR(written->GetDirection()[i][j], expected->GetDirection()[i][j], 1e-9);
    }
  }
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(expected, written.GetPointer(), expected->GetLargestPossibleRegion()),
            "");
  std::filesystem::remove_all(folder);
}
} // namespace
