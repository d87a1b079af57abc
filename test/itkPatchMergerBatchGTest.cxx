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
// PatchMerger fed by PatchBatchImageFilter in batches that end inside patch
// lines (the scalar merge scatters each part of a line on its own, and finishes
// the line's rows in the scatter of its last part): the result is the
// line-by-line merge's, bit for bit, and the nested-loop reference's.
#include "itkPatchBatchImageFilter.h"
#include "itkPatchExtractor.h"
#include "itkPatchMergeReference.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkStreamingImageFilter.h"
#include "gtest/gtest.h"

#include <utility>

namespace
{
using namespace PatchStreamingTest;

struct GridCase
{
  ImageType::SizeType  imageSize;
  ImageType::IndexType imageIndex;
  ImageType::SizeType  patch;
  ImageType::SizeType  overlap;
};

/** `image` extracted, each patch k made PerturbedCopy's v + (k mod 5) / 8 by an
 * observer of a batch filter of `batchSize`, merged into TOutput streamed in
 * `divisions` pieces; or, when `requested` is not empty, the merger's output
 * over `requested` alone (one request, as a downstream filter makes it). */
template <typename TOutput>
typename TOutput::Pointer
MergeInBatches(const ImageType *                 image,
               const GridCase &                  grid,
               Weighting                         weighting,
               itk::SizeValueType                batchSize,
               unsigned int                      divisions,
               const typename TOutput::RegionType & requested = {})
{
  auto extractor = MakeExtractor<ImageType>(image, grid.patch, grid.overlap, BorderMode::Squeeze);
  auto batches = itk::PatchBatchImageFilter<StackType, StackType>::New();
  batches->SetInput(extractor->GetOutput());
  batches->SetBatchSize(batchSize);
  batches->ReleaseDataFlagOn();
  auto * filter = batches.GetPointer();
  batches->AddObserver(itk::IterationEvent(), [filter](const itk::EventObject &) {
    const auto    patchVoxels = filter->GetPatchGrid().GetPatchRegion(0).GetNumberOfPixels();
    const float * input = filter->GetCurrentBatchInput();
    float *       output = filter->GetCurrentBatchOutput();
    for (itk::SizeValueType v = 0; v < patchVoxels * filter->GetCurrentBatchSize(); ++v)
    {
      const itk::SizeValueType patch = filter->GetCurrentBatchStart() + v / patchVoxels;
      output[v] = input[v] + static_cast<float>(patch % 5) / 8.0f; // as PerturbedCopy
    }
  });
  auto merger = itk::PatchMerger<StackType, TOutput>::New();
  merger->SetInput(batches->GetOutput());
  merger->SetWeighting(weighting);
  if (requested.GetNumberOfPixels() > 0)
  {
    typename TOutput::Pointer merged = merger->GetOutput();
    merger->UpdateOutputInformation();
    merged->SetRequestedRegion(requested);
    merged->PropagateRequestedRegion();
    merged->UpdateOutputData();
    merged->DisconnectPipeline();
    return merged;
  }
  auto streamer = itk::StreamingImageFilter<TOutput, TOutput>::New();
  streamer->SetInput(merger->GetOutput());
  streamer->SetNumberOfStreamDivisions(divisions);
  streamer->Update();
  typename TOutput::Pointer merged = streamer->GetOutput();
  merged->DisconnectPipeline();
  return merged;
}

/** The case's random image and a squeeze extractor of its patches (not yet updated). */
std::pair<ImageType::Pointer, itk::PatchExtractor<ImageType>::Pointer>
MakeGridCase(const GridCase & grid)
{
  auto image = MakeRandomImage<ImageType>(grid.imageSize, 31, 1, grid.imageIndex);
  auto extractor = MakeExtractor<ImageType>(image, grid.patch, grid.overlap, BorderMode::Squeeze);
  return { image, extractor };
}

template <typename TOutput>
void
ExpectBatchesMergeAsOneLineAtATime(const GridCase & grid)
{
  const auto [image, extractor] = MakeGridCase(grid);
  extractor->Update();
  const auto stack = PerturbedCopy<StackType>(extractor->GetOutput());
  const auto lineLength = extractor->GetPatchGrid().GetGridSize()[0];
  for (const Weighting weighting : { Weighting::Gaussian, Weighting::Average, Weighting::Crop })
  {
    // The line-by-line merge of the whole stack, and (Average: sums of eighths, exact) the nested loop's
    // float result (an integer output rounds to nearest, the nested loop truncates).
    auto lineByLine = itk::PatchMerger<StackType, TOutput>::New();
    lineByLine->SetInput(stack);
    lineByLine->SetPatchGrid(extractor->GetPatchGrid());
    lineByLine->SetWeighting(weighting);
    lineByLine->Update();
    if (weighting == Weighting::Average && std::is_same<TOutput, ImageType>::value)
    {
      const auto reference = NestedLoopMerge<ImageType>(stack.GetPointer(),
                                                        extractor->GetPatchGrid(),
                                                        MakeReferenceProfile(extractor->GetPatchGrid(), { weighting }),
                                                        0.0);
      EXPECT_EQ(DescribeDifferences(reference.GetPointer(), lineByLine->GetOutput(), image->GetLargestPossibleRegion()),
                "");
    }
    for (const itk::SizeValueType batchSize : { itk::SizeValueType{ 1 },
                                                itk::SizeValueType{ 2 },
                                                itk::SizeValueType{ 3 },
                                                lineLength - 1,
                                                lineLength + 1,
                                                2 * lineLength + 3 })
    {
      for (const unsigned int divisions : { 1u, 4u })
      {
        SCOPED_TRACE(itk::ToString(weighting) + ", batch " + std::to_string(batchSize) + ", " +
                     std::to_string(divisions) + " divisions, lines of " + std::to_string(lineLength));
        const auto merged = MergeInBatches<TOutput>(image, grid, weighting, batchSize, divisions);
        EXPECT_EQ(merged->GetLargestPossibleRegion(), image->GetLargestPossibleRegion());
        EXPECT_EQ(merged->GetDirection(), image->GetDirection());
        EXPECT_EQ(merged->GetSpacing(), image->GetSpacing());
        EXPECT_EQ(DescribeDifferences(lineByLine->GetOutput(), merged.GetPointer(), image->GetLargestPossibleRegion()),
                  "");
      }
    }
  }
}

const GridCase Grids[] = {
  // 7 patches a line.
  { { { 29, 13, 17 } }, { { 0, 0, 0 } }, { { 8, 6, 5 } }, { { 4, 3, 2 } } },
  // Odd sizes, a shifted image index, an overlap of more than half the patch along z.
  { { { 37, 23, 19 } }, { { 2, 0, -4 } }, { { 11, 9, 7 } }, { { 6, 3, 4 } } },
};

TEST(PatchMergerBatch, ScalarBatchesEndingInsideLinesMergeAsOneLineAtATimeInFloat)
{
  for (const auto & grid : Grids)
  {
    ExpectBatchesMergeAsOneLineAtATime<ImageType>(grid);
  }
}

TEST(PatchMergerBatch, ScalarBatchesEndingInsideLinesMergeAsOneLineAtATimeInAnIntegerOutput)
{
  // Integer outputs keep their sums in a ring of slices, zeroed as each part of a row is finished.
  for (const auto & grid : Grids)
  {
    ExpectBatchesMergeAsOneLineAtATime<itk::Image<short, 3>>(grid);
  }
}

/** A request narrower than the image along axis 0 (the rows): the parts of a
 * line that a batch splits each cover the request's whole width, yet only the
 * line's last part may finish the rows (helper-64's finding: earlier parts
 * finished them too, and the later parts' patches were added to finished values). */
template <typename TOutput>
void
ExpectPartialRowsMergeAsTheWholeImage(const GridCase & grid)
{
  const auto [image, extractor] = MakeGridCase(grid);
  extractor->UpdateOutputInformation();
  const auto lineLength = extractor->GetPatchGrid().GetGridSize()[0];
  const auto & whole = image->GetLargestPossibleRegion();
  for (const Weighting weighting : { Weighting::Gaussian, Weighting::Average })
  {
    const auto reference = MergeInBatches<TOutput>(image, grid, weighting, 2 * lineLength + 3, 1);
    for (const itk::SizeValueType batchSize : { itk::SizeValueType{ 1 }, itk::SizeValueType{ 2 }, lineLength - 1 })
    {
      // The first third of the rows, all of the other axes; the middle third, part of axis 1.
      auto first = whole;
      first.SetSize(0, whole.GetSize(0) / 3);
      auto middle = first;
      middle.SetIndex(0, whole.GetIndex(0) + static_cast<itk::IndexValueType>(whole.GetSize(0) / 3));
      middle.SetIndex(1, whole.GetIndex(1) + 2);
      middle.SetSize(1, whole.GetSize(1) - 4);
      for (const auto & requested : { first, middle })
      {
        SCOPED_TRACE(itk::ToString(weighting) + ", batch " + std::to_string(batchSize) + ", lines of " +
                     std::to_string(lineLength) + ", request at " + ::testing::PrintToString(requested.GetIndex()) +
                     " of size " + ::testing::PrintToString(requested.GetSize()));
        const auto merged = MergeInBatches<TOutput>(image, grid, weighting, batchSize, 1, requested);
        EXPECT_EQ(DescribeDifferences(reference.GetPointer(), merged.GetPointer(), requested), "");
      }
    }
  }
}

TEST(PatchMergerBatch, RequestsNarrowerThanTheRowsMergeAsTheWholeImage)
{
  for (const auto & grid : Grids)
  {
    ExpectPartialRowsMergeAsTheWholeImage<ImageType>(grid);
    ExpectPartialRowsMergeAsTheWholeImage<itk::Image<short, 3>>(grid);
  }
}
} // namespace
