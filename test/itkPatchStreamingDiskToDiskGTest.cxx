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
// Disk to disk: reader -> extractor -> per-patch smoothing -> merger -> writer
// with 1, 4 and 9 writer divisions gives bit-identical files, and every patch
// is computed exactly once (partial sums carried across divisions).
#include "itkPatchByPatchImageFilter.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkDiscreteGaussianImageFilter.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkMetaImageIOFactory.h"
#include "gtest/gtest.h"

#include <cstdio>
#include <fstream>
#include <iterator>

namespace
{
using namespace PatchStreamingTest;

std::string
ReadFile(const std::string & path)
{
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

struct DiskRun
{
  itk::SizeValueType patchComputations{ 0 };
  itk::SizeValueType patches{ 0 };
  itk::SizeValueType largestReaderRegion{ 0 };
};

DiskRun
SmoothFileToFile(const std::string & input, const std::string & output, unsigned int divisions)
{
  // Every stage releases its data once used, the merger each line once scattered.
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(input);
  reader->ReleaseDataFlagOn();
  auto extractor = itk::PatchExtractor<ImageType>::New();
  extractor->SetInput(reader->GetOutput());
  extractor->SetPatchSize({ { 16, 14, 12 } });
  extractor->SetPatchOverlap({ { 8, 7, 6 } });
  extractor->ReleaseDataFlagOn();
  auto smoothing = itk::DiscreteGaussianImageFilter<ImageType, ImageType>::New();
  smoothing->SetVariance(1.5);
  auto perPatch = itk::PatchByPatchImageFilter<StackType>::New();
  perPatch->SetInput(extractor->GetOutput());
  perPatch->SetFilter(smoothing);
  perPatch->ReleaseDataFlagOn();
  auto merger = itk::PatchMerger<StackType>::New();
  merger->SetInput(perPatch->GetOutput());
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetInput(merger->GetOutput());
  writer->SetFileName(output);
  writer->SetNumberOfStreamDivisions(divisions);

  DiskRun run;
  perPatch->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { ++run.patchComputations; });
  reader->AddObserver(itk::EndEvent(), [&](const itk::EventObject &) {
    run.largestReaderRegion =
      std::max(run.largestReaderRegion, reader->GetOutput()->GetBufferedRegion().GetNumberOfPixels());
  });
  writer->Update();
  run.patches = extractor->GetPatchGrid().GetNumberOfPatches();
  return run;
}

TEST(PatchStreamingDiskToDisk, WriterDivisionsGiveBitIdenticalFilesAndComputeEveryPatchOnce)
{
  itk::MetaImageIOFactory::RegisterOneFactory();
  const auto        image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 45, 37, 61 } }, 81, 1, { { 0, 3, -2 } });
  const std::string input = ::testing::TempDir() + "PatchStreamingDiskInput.mha";
  auto              writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetInput(image);
  writer->SetFileName(input);
  writer->SetNumberOfStreamDivisions(3);
  writer->Update();

  std::string first;
  for (const unsigned int divisions : { 1u, 4u, 9u })
  {
    SCOPED_TRACE("divisions " + std::to_string(divisions));
    const std::string output = ::testing::TempDir() + "PatchStreamingDiskOutput" + std::to_string(divisions) + ".mha";
    const DiskRun     run = SmoothFileToFile(input, output, divisions);
    EXPECT_EQ(run.patchComputations, run.patches);
    const std::string written = ReadFile(output);
    ASSERT_GT(written.size(), image->GetLargestPossibleRegion().GetNumberOfPixels() * sizeof(float));
    if (divisions == 1)
    {
      first = written;
    }
    else
    {
      EXPECT_TRUE(written == first) << "the file differs from the single-division one";
      // The reader was asked for slabs, never the whole volume.
      EXPECT_LT(run.largestReaderRegion, image->GetLargestPossibleRegion().GetNumberOfPixels());
    }
    std::remove(output.c_str());
  }
  std::remove(input.c_str());
}
} // namespace
