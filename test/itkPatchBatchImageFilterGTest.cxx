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
// PatchBatchImageFilter: an IterationEvent observer computes each batch; the
// output equals a nested loop over the patches; behind a streamed merger the
// batches are the canonical ones (patches k B to (k + 1) B - 1 across
// patch-line ends, cut to kept patches on a masked grid), every patch runs
// once and the stack held is one batch; an observer can stop the update.
#include "itkPatchBatchImageFilter.h"
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkImageRegionIteratorWithIndex.h"
#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <map>
#include <set>
#include <vector>

namespace
{
using namespace PatchStreamingTest;
using VectorStackType = itk::VectorImage<float, 4>;
using BatchFilterType = itk::PatchBatchImageFilter<StackType, VectorStackType>;
using MaskType = itk::Image<unsigned char, 3>;
using Batches = std::vector<std::pair<itk::SizeValueType, itk::SizeValueType>>;

/** Channel c of voxel v of a patch: (c + 1) * input + k, the patch's stack index (so batches cannot be mixed up). */
float
Expected(float input, unsigned int channel, itk::SizeValueType patch)
{
  return static_cast<float>(channel + 1) * input + static_cast<float>(patch);
}

/** An observer that fills every batch by the rule above, recording each batch. */
struct BatchRecorder
{
  BatchFilterType *                                              filter;
  std::vector<std::pair<itk::SizeValueType, itk::SizeValueType>> batches{};
  itk::SizeValueType                                             mostPatchesHeld{ 0 };
  std::vector<float>                                             lastWritten{}; // the last batch's values
  itk::SizeValueType batchesFindingTheLastOnesValues{ 0 }; // in their output before writing it
  float                                                          offset{ 0.0f }; // added to every output value

  void
  operator()(const itk::EventObject &)
  {
    const auto         first = filter->GetCurrentBatchStart();
    const auto         count = filter->GetCurrentBatchSize();
    const unsigned int channels = filter->GetOutput()->GetNumberOfComponentsPerPixel();
    const auto         patchVoxels = filter->GetPatchGrid().GetPatchRegion(0).GetNumberOfPixels();
    const float *      input = filter->GetCurrentBatchInput();
    float *            output = filter->GetCurrentBatchOutput();
    const auto         values = static_cast<std::ptrdiff_t>(count * patchVoxels * channels);
    if (!lastWritten.empty() &&
        std::equal(lastWritten.begin(), lastWritten.begin() + std::min<std::ptrdiff_t>(values, lastWritten.size()), output))
    {
      ++batchesFindingTheLastOnesValues;
    }
    for (itk::SizeValueType k = 0; k < count; ++k)
    {
      for (itk::SizeValueType v = 0; v < patchVoxels; ++v)
      {
        for (unsigned int c = 0; c < channels; ++c)
        {
          output[(k * patchVoxels + v) * channels + c] = Expected(input[k * patchVoxels + v], c, first + k) + offset;
        }
      }
    }
    batches.emplace_back(first, count);
    mostPatchesHeld = std::max(mostPatchesHeld, filter->GetOutput()->GetBufferedRegion().GetSize(3));
    lastWritten.assign(output, output + values);
  }
};

/** Every output voxel of the stack is Expected() of its input, with the input's geometry. */
void
ExpectEveryPatchFilledByTheRule(const StackType * stack, const VectorStackType * output, unsigned int channels)
{
  ASSERT_EQ(output->GetNumberOfComponentsPerPixel(), channels);
  EXPECT_EQ(output->GetDirection(), stack->GetDirection());
  EXPECT_EQ(output->GetSpacing(), stack->GetSpacing());
  for (itk::ImageRegionConstIteratorWithIndex<StackType> it(stack, stack->GetLargestPossibleRegion()); !it.IsAtEnd();
       ++it)
  {
    const auto pixel = output->GetPixel(it.GetIndex());
    const auto patch = static_cast<itk::SizeValueType>(it.GetIndex()[3]);
    for (unsigned int c = 0; c < channels; ++c)
    {
      ASSERT_EQ(pixel[c], Expected(it.Get(), c, patch)) << it.GetIndex();
    }
  }
}

/** A batch filter on `stack` with `channels` output components and `batchSize` patches per batch. */
BatchFilterType::Pointer
MakeBatchFilter(StackType * stack, unsigned int channels, itk::SizeValueType batchSize)
{
  auto filter = BatchFilterType::New();
  filter->SetInput(stack);
  filter->SetNumberOfOutputChannels(channels);
  filter->SetBatchSize(batchSize);
  return filter;
}

TEST(PatchBatchImageFilter, ObserverFillsEveryBatchAsANestedLoopWouldAndGeometryCarries)
{
  auto image = MakeRandomImage<ImageType>({ { 21, 17, 11 } }, 3);
  auto extractor = MakeExtractor<ImageType>(image, { { 6, 5, 4 } }, { { 2, 1, 1 } }, BorderMode::Pad);
  extractor->Update();
  auto          filter = MakeBatchFilter(extractor->GetOutput(), 3, 3);
  BatchRecorder recorder{ filter.GetPointer() };
  filter->AddObserver(itk::IterationEvent(), [&](const itk::EventObject & event) { recorder(event); });
  filter->Update();

  ExpectEveryPatchFilledByTheRule(extractor->GetOutput(), filter->GetOutput(), 3);
  // Batches of 3 in order; the last one shorter.
  const auto patches = extractor->GetPatchGrid().GetNumberOfPatches();
  ASSERT_EQ(recorder.batches.size(), (patches + 2) / 3);
  EXPECT_EQ(recorder.batches.back().second, patches - 3 * (recorder.batches.size() - 1));
}

/** An observer handing the results channels first, (B, C, D, H, W) as a
 * PyTorch tensor holds them, with the batch output left uncleared: the same
 * stack as the nested loop; a wrong size, a null batch or a call outside a
 * batch throws, naming the sizes. */
TEST(PatchBatchImageFilter, ChannelsFirstResultsAreInterleavedIntoTheStack)
{
  auto image = MakeRandomImage<ImageType>({ { 19, 14, 9 } }, 7);
  auto extractor = MakeExtractor<ImageType>(image, { { 7, 5, 3 } }, { { 3, 1, 1 } }, BorderMode::Pad);
  extractor->Update();
  auto filter = MakeBatchFilter(extractor->GetOutput(), 3, 4);
  filter->ClearBatchOutputOff();
  using BatchType = BatchFilterType::ChannelsFirstBatchType;
  std::vector<std::string> errors;
  filter->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    const auto    first = filter->GetCurrentBatchStart();
    const auto    count = filter->GetCurrentBatchSize();
    const auto    voxels = filter->GetPatchGrid().GetPatchRegion(0).GetNumberOfPixels();
    auto          batch = BatchType::New();
    const float * input = filter->GetCurrentBatchInput();
    batch->SetRegions(BatchType::SizeType{ { 7, 5, 3, count * 3 + 1 } });
    batch->Allocate();
    for (const BatchType * wrong : { batch.GetPointer(), static_cast<BatchType *>(nullptr) })
    {
      try
      {
        filter->SetCurrentBatchOutputFromChannelsFirst(wrong); // one slice too many; none
      }
      catch (const itk::ExceptionObject & error)
      {
        errors.emplace_back(error.GetDescription());
      }
    }
    batch->SetRegions(BatchType::SizeType{ { 7, 5, 3, count * 3 } });
    batch->Allocate();
    for (itk::SizeValueType k = 0; k < count; ++k)
    {
      for (unsigned int c = 0; c < 3; ++c)
      {
        for (itk::SizeValueType v = 0; v < voxels; ++v)
        {
          batch->GetBufferPointer()[(k * 3 + c) * voxels + v] = Expected(input[k * voxels + v], c, first + k);
        }
      }
    }
    filter->SetCurrentBatchOutputFromChannelsFirst(batch);
  });
  filter->Update();
  ExpectEveryPatchFilledByTheRule(extractor->GetOutput(), filter->GetOutput(), 3);
  ASSERT_EQ(errors.size(), 2 * ((extractor->GetPatchGrid().GetNumberOfPatches() + 3) / 4));
  EXPECT_NE(errors[1].find("the batch is null; expected an image of size [7, 5, 3, 12]"), std::string::npos)
    << errors[1];
  EXPECT_NE(errors.front().find("the batch's size is [7, 5, 3, 13]; expected [7, 5, 3, 12] (the patch size, and 4 "
                                "patches x 3 channels)"),
            std::string::npos)
    << errors.front();
  try
  {
    filter->SetCurrentBatchOutputFromChannelsFirst(BatchType::New());
    ADD_FAILURE() << "no exception outside a batch";
  }
  catch (const itk::ExceptionObject & error)
  {
    EXPECT_NE(std::string(error.GetDescription()).find("no batch is being computed"), std::string::npos);
  }
  EXPECT_EQ(filter->GetCurrentBatchSize(), 0u);
}

/** Extract (a 29 x 13 x 17 image, patch 8 x 6 x 5, overlap 4 x 3 x 2) -> batch filter (2
 * channels, an observer recording every batch) -> merger. */
struct RecordedMerge
{
  RecordedMerge(itk::SizeValueType          batchSize,
                bool                        releaseData,
                const MaskType *            mask = nullptr,
                const ImageType::SizeType & imageSize = { { 29, 13, 17 } })
    : image(MakeRandomImage<ImageType>(imageSize, 4))
    , extractor(MakeExtractor<ImageType>(image, { { 8, 6, 5 } }, { { 4, 3, 2 } }, BorderMode::Squeeze))
  {
    extractor->SetMaskImage(mask);
    filter->SetInput(extractor->GetOutput());
    filter->SetNumberOfOutputChannels(2);
    filter->SetBatchSize(batchSize);
    filter->SetReleaseDataFlag(releaseData);
    filter->AddObserver(itk::IterationEvent(), [this](const itk::EventObject & event) { recorder(event); });
    merger->SetInput(filter->GetOutput());
  }
  ITK_DISALLOW_COPY_AND_MOVE(RecordedMerge);

  ImageType::Pointer                                                     image;
  itk::PatchExtractor<ImageType>::Pointer                                extractor;
  BatchFilterType::Pointer                                               filter{ BatchFilterType::New() };
  BatchRecorder                                                          recorder{ filter.GetPointer() };
  itk::PatchMerger<VectorStackType, itk::VectorImage<float, 3>>::Pointer merger{
    itk::PatchMerger<VectorStackType, itk::VectorImage<float, 3>>::New()
  };
};

/** RecordedMerge streamed in 3 divisions; returns the batches (and the most patches the stack held). */
Batches
StreamedBatches(itk::SizeValueType                    batchSize,
                bool                                  releaseData,
                itk::PatchGrid<3> &                   grid,
                itk::VectorImage<float, 3>::Pointer & merged,
                const MaskType *                      mask = nullptr,
                itk::SizeValueType *                  mostPatchesHeld = nullptr)
{
  RecordedMerge pipeline(batchSize, releaseData, mask);
  auto          streamer = itk::StreamingImageFilter<itk::VectorImage<float, 3>, itk::VectorImage<float, 3>>::New();
  streamer->SetInput(pipeline.merger->GetOutput());
  streamer->SetNumberOfStreamDivisions(3);
  streamer->Update();
  grid = pipeline.extractor->GetPatchGrid();
  merged = streamer->GetOutput();
  if (mostPatchesHeld != nullptr)
  {
    *mostPatchesHeld = pipeline.recorder.mostPatchesHeld;
  }
  return pipeline.recorder.batches;
}

/** The canonical batches, by their definition: patches k * batchSize to (k + 1) * batchSize - 1, cut to runs of
 * consecutive kept patches. */
std::set<std::pair<itk::SizeValueType, itk::SizeValueType>>
CanonicalBatches(const itk::PatchGrid<3> & grid, itk::SizeValueType batchSize)
{
  std::set<std::pair<itk::SizeValueType, itk::SizeValueType>> batches;
  itk::SizeValueType                                          runFirst = 0;
  for (itk::SizeValueType k = 0; k <= grid.GetNumberOfPatches(); ++k)
  {
    if (k < grid.GetNumberOfPatches() && grid.IsPatchKept(k))
    {
      continue;
    }
    for (itk::SizeValueType first = runFirst; first < k; first = (first / batchSize + 1) * batchSize)
    {
      batches.emplace(first, std::min((first / batchSize + 1) * batchSize, k) - first);
    }
    runFirst = k + 1;
  }
  return batches;
}

/** patch -> times computed, over the batches. */
std::map<itk::SizeValueType, unsigned int>
Runs(const std::vector<std::pair<itk::SizeValueType, itk::SizeValueType>> & batches)
{
  std::map<itk::SizeValueType, unsigned int> runs;
  for (const auto & batch : batches)
  {
    for (itk::SizeValueType k = 0; k < batch.second; ++k)
    {
      ++runs[batch.first + k];
    }
  }
  return runs;
}

TEST(PatchBatchImageFilter, BatchesAreFullAcrossLineEndsEveryPatchRunsOnceAndTheMergeIsTheSame)
{
  itk::PatchGrid<3>                   grid;
  itk::VectorImage<float, 3>::Pointer reference;
  StreamedBatches(1, false, grid, reference);
  const auto lineLength = grid.GetGridSize()[0];
  ASSERT_EQ(lineLength, 7u);
  for (const itk::SizeValueType batchSize :
       { itk::SizeValueType{ 3 }, itk::SizeValueType{ 4 }, lineLength + 3, 3 * lineLength, itk::SizeValueType{ 1000 } })
  {
    for (const bool release : { false, true })
    {
      SCOPED_TRACE("batch " + std::to_string(batchSize) + (release ? ", ReleaseDataFlag" : ""));
      itk::VectorImage<float, 3>::Pointer merged;
      itk::SizeValueType                  mostPatchesHeld = 0;
      const auto batches = StreamedBatches(batchSize, release, grid, merged, nullptr, &mostPatchesHeld);
      const auto runs = Runs(batches);
      EXPECT_EQ(runs.size(), grid.GetNumberOfPatches());
      EXPECT_EQ(std::count_if(runs.begin(), runs.end(), [](const auto & run) { return run.second != 1; }), 0);
      // Patches k * batch to (k + 1) * batch - 1, whatever the line or the division: only the last is shorter.
      const std::set<std::pair<itk::SizeValueType, itk::SizeValueType>> computed(batches.begin(), batches.end());
      EXPECT_EQ(computed, CanonicalBatches(grid, batchSize));
      EXPECT_LE(mostPatchesHeld, batchSize); // one batch, not a line
      EXPECT_EQ(DescribeDifferences(reference.GetPointer(), merged.GetPointer(), reference->GetLargestPossibleRegion()),
                "");
    }
  }
}

/** RecordedMerge on a random image of `imageSize`, streamed in `divisions`: every patch is computed once, and the
 * result equals the merge of one update in batches of one. */
void
ExpectStreamedOnceAndAsOneUpdate(const ImageType::SizeType & imageSize,
                                 itk::SizeValueType          batchSize,
                                 bool                        releaseData,
                                 unsigned int                divisions)
{
  RecordedMerge reference(1, false, nullptr, imageSize);
  reference.merger->Update();
  RecordedMerge pipeline(batchSize, releaseData, nullptr, imageSize);
  auto          streamer = itk::StreamingImageFilter<itk::VectorImage<float, 3>, itk::VectorImage<float, 3>>::New();
  streamer->SetInput(pipeline.merger->GetOutput());
  streamer->SetNumberOfStreamDivisions(divisions);
  streamer->Update();
  const auto runs = Runs(pipeline.recorder.batches);
  EXPECT_EQ(runs.size(), pipeline.extractor->GetPatchGrid().GetNumberOfPatches());
  EXPECT_EQ(std::count_if(runs.begin(), runs.end(), [](const auto & run) { return run.second != 1; }), 0)
    << pipeline.recorder.batches.size() << " batches";
  EXPECT_EQ(DescribeDifferences(reference.merger->GetOutput(),
                                streamer->GetOutput(),
                                reference.merger->GetOutput()->GetLargestPossibleRegion()),
            "");
}

TEST(PatchBatchImageFilter, ABatchHoldingEveryLineOfADivisionStaysForTheNextDivisionsThatNeedIt)
{
  // An image no deeper than a patch or two: every division overlaps every line (1 or 2 positions on the slowest
  // axis), and a batch of a plane of lines or more holds every line of a division, which is then merged row by row.
  // With ReleaseDataFlag on it must stay buffered for the next divisions, not be computed again for each.
  for (const itk::SizeValueType depth : { 3, 5, 7, 8 })
  {
    for (const itk::SizeValueType batchSize : { 28, 1000 })
    {
      SCOPED_TRACE("depth " + std::to_string(depth) + ", batch " + std::to_string(batchSize));
      ExpectStreamedOnceAndAsOneUpdate({ { 29, 13, depth } }, batchSize, true, 3);
    }
  }
}

TEST(PatchBatchImageFilter, AnImageOneSliceDeepIsStreamedAlongAxisOneAndEveryPatchRunsOnce)
{
  // ITK's splitters cut a request along the slowest axis longer than one voxel: axis 1 here. The sums are carried
  // along it, so no patch is computed twice, whatever the batch, and with ReleaseDataFlag on or off.
  for (const itk::SizeValueType height : { 6, 13, 20 })
  {
    for (const itk::SizeValueType batchSize : { 1, 4, 7, 1000 })
    {
      for (const bool release : { false, true })
      {
        SCOPED_TRACE("height " + std::to_string(height) + ", batch " + std::to_string(batchSize) +
                     (release ? ", ReleaseDataFlag" : ""));
        ExpectStreamedOnceAndAsOneUpdate({ { 29, height, 1 } }, batchSize, release, 4);
      }
    }
  }
}

TEST(PatchBatchImageFilter, OnAMaskedGridBatchesAreCutInRunsOfKeptPatchesAcrossLineEnds)
{
  RecordedMerge sample(1, false);
  auto          mask = MakeImageLike<MaskType>(sample.image, true);
  // Foreground at both x ends of the lower rows: runs of kept patches join a line's end to the next line's start.
  for (itk::ImageRegionIteratorWithIndex<MaskType> it(mask, mask->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    const auto index = it.GetIndex();
    it.Set((index[0] <= 2 || index[0] >= 26) && index[1] <= 4 ? 1 : 0);
  }
  itk::PatchGrid<3>                   grid;
  itk::VectorImage<float, 3>::Pointer reference;
  StreamedBatches(1, false, grid, reference, mask);
  ASSERT_TRUE(grid.HasSkippedPatches());
  for (const itk::SizeValueType batchSize : { 2, 3, 5 })
  {
    SCOPED_TRACE("batch " + std::to_string(batchSize));
    itk::VectorImage<float, 3>::Pointer merged;
    const auto                          batches = StreamedBatches(batchSize, true, grid, merged, mask);
    const std::set<std::pair<itk::SizeValueType, itk::SizeValueType>> computed(batches.begin(), batches.end());
    EXPECT_EQ(computed.size(), batches.size()) << "a batch ran twice";
    EXPECT_EQ(computed, CanonicalBatches(grid, batchSize));
    const auto acrossLines = std::count_if(batches.begin(), batches.end(), [&](const auto & batch) {
      return grid.GetGridIndex(batch.first)[1] != grid.GetGridIndex(batch.first + batch.second - 1)[1];
    });
    EXPECT_GT(acrossLines, 0);
    EXPECT_EQ(DescribeDifferences(reference.GetPointer(), merged.GetPointer(), reference->GetLargestPossibleRegion()),
              "");
  }
}

/** Merges output slices [firstSlice, firstSlice + slices) along `axis` (default z) of `pipeline` alone;
 * returns that region. */
itk::ImageRegion<3>
MergeSlab(RecordedMerge & pipeline, itk::IndexValueType firstSlice, itk::SizeValueType slices, unsigned int axis = 2)
{
  auto * output = pipeline.merger->GetOutput();
  pipeline.merger->UpdateOutputInformation();
  auto slab = output->GetLargestPossibleRegion();
  slab.SetIndex(axis, firstSlice);
  slab.SetSize(axis, slices);
  output->SetRequestedRegion(slab);
  output->PropagateRequestedRegion();
  output->UpdateOutputData();
  return slab;
}

/** The batches that compute output slices [firstSlice, firstSlice + slices) of StreamedBatches' merge, asked for alone.
 */
Batches
SlabBatches(itk::SizeValueType batchSize, itk::IndexValueType firstSlice, itk::SizeValueType slices, unsigned int axis)
{
  RecordedMerge pipeline(batchSize, false);
  MergeSlab(pipeline, firstSlice, slices, axis);
  return pipeline.recorder.batches;
}

/** Slabs along z, and regions narrower than the image along y or x (then part of each patch
 * line: the batches were cut at the request's line before helper-65's finding, and a
 * network's last bits differed from the whole run's). */
TEST(PatchBatchImageFilter, APatchIsComputedInTheSameBatchWhicheverSlabIsRequested)
{
  itk::PatchGrid<3>                   grid;
  itk::VectorImage<float, 3>::Pointer merged;
  StreamedBatches(1, false, grid, merged);
  const auto lineLength = grid.GetGridSize()[0];
  for (const itk::SizeValueType batchSize :
       { itk::SizeValueType{ 3 }, itk::SizeValueType{ 4 }, lineLength + 3, 3 * lineLength })
  {
    const auto whole = StreamedBatches(batchSize, false, grid, merged);
    const std::set<std::pair<itk::SizeValueType, itk::SizeValueType>> wholeBatches(whole.begin(), whole.end());
    for (unsigned int axis = 0; axis < 3; ++axis)
    {
      const auto length = static_cast<itk::IndexValueType>(merged->GetLargestPossibleRegion().GetSize(axis));
      for (itk::IndexValueType firstSlice = 0; firstSlice < length; firstSlice += 3)
      {
        SCOPED_TRACE("batch " + std::to_string(batchSize) + ", axis " + std::to_string(axis) + ", slices from " +
                     std::to_string(firstSlice));
        const auto slab =
          SlabBatches(batchSize, firstSlice, std::min<itk::SizeValueType>(4, length - firstSlice), axis);
        ASSERT_FALSE(slab.empty());
        for (const auto & batch : slab)
        {
          EXPECT_EQ(wholeBatches.count(batch), 1u) << "batch of " << batch.second << " from patch " << batch.first;
        }
      }
    }
  }
}

TEST(PatchBatchImageFilter, ABatchReachingPastARequestIsComputedAgainWhenThePipelineChanges)
{
  // Slices 0-2 take the first plane of patches (28 of them, slices 0-4); batch 25-29 straddles
  // its end, so 28 and 29 stay buffered for the next division. After a change of the
  // computation, slices 5-9, which begin at patch 28, must compute the whole batch again.
  RecordedMerge changed(5, true);
  MergeSlab(changed, 0, 3);
  ASSERT_EQ(changed.recorder.batches.back(), std::make_pair(itk::SizeValueType{ 25 }, itk::SizeValueType{ 5 }));
  changed.recorder.offset = 100.0f;
  changed.filter->Modified();
  const auto before = changed.recorder.batches.size();
  const auto slab = MergeSlab(changed, 5, 5);
  ASSERT_GT(changed.recorder.batches.size(), before);
  EXPECT_EQ(changed.recorder.batches[before], std::make_pair(itk::SizeValueType{ 25 }, itk::SizeValueType{ 5 }));
  RecordedMerge fresh(5, true);
  fresh.recorder.offset = 100.0f;
  MergeSlab(fresh, 5, 5);
  EXPECT_EQ(DescribeDifferences(fresh.merger->GetOutput(), changed.merger->GetOutput(), slab), "");
}

/** helper-80: where the output's channels differ from the input's, a second Update with nothing
 * changed computed every batch again: GenerateOutputInformation set the input's number of
 * components first and then its own, marking the output modified at each update, so that the
 * merger after it ran again. Now nothing is computed again, through a merger or a streamer after
 * it, until something changes. */
TEST(PatchBatchImageFilter, ASecondUpdateWithNothingChangedComputesNoBatch)
{
  for (const bool streamed : { false, true })
  {
    RecordedMerge pipeline(4, true);
    auto          streamer = itk::StreamingImageFilter<itk::VectorImage<float, 3>, itk::VectorImage<float, 3>>::New();
    streamer->SetInput(pipeline.merger->GetOutput());
    streamer->SetNumberOfStreamDivisions(3);
    itk::ProcessObject * last = streamed ? static_cast<itk::ProcessObject *>(streamer) : pipeline.merger;
    last->Update();
    const auto batches = pipeline.recorder.batches.size();
    ASSERT_GT(batches, 0u);
    last->Update();
    EXPECT_EQ(pipeline.recorder.batches.size(), batches) << (streamed ? "streamed" : "merged whole");
    pipeline.filter->Modified();
    last->Update();
    EXPECT_GT(pipeline.recorder.batches.size(), batches);
  }
}

TEST(PatchBatchImageFilter, EveryBatchIsWrittenInTheMemoryOfTheFirstButNotOverAnImageKeptElsewhere)
{
  {
    // The merger releases the stack after each batch (ReleaseDataFlag), and ITK would allocate anew.
    RecordedMerge pipeline(4, true);
    pipeline.filter->ClearBatchOutputOff(); // what the last batch wrote stays until the observer writes
    auto          streamer = itk::StreamingImageFilter<itk::VectorImage<float, 3>, itk::VectorImage<float, 3>>::New();
    streamer->SetInput(pipeline.merger->GetOutput());
    streamer->SetNumberOfStreamDivisions(3);
    streamer->Update();
    // One request a batch, each written over the last one's values: no fresh memory for any.
    EXPECT_GT(pipeline.recorder.batches.size(), 20u);
    EXPECT_EQ(pipeline.recorder.batchesFindingTheLastOnesValues, pipeline.recorder.batches.size() - 1);
  }
  // A stack disconnected from the pipeline keeps its values: the next request is written elsewhere.
  RecordedMerge pipeline(4, false);
  pipeline.filter->Update();
  const VectorStackType::Pointer kept = pipeline.filter->GetOutput();
  kept->DisconnectPipeline();
  pipeline.recorder.offset = 1.0f;
  pipeline.filter->Update();
  EXPECT_NE(static_cast<const void *>(kept->GetBufferPointer()),
            static_cast<const void *>(pipeline.filter->GetOutput()->GetBufferPointer()));
  ExpectEveryPatchFilledByTheRule(pipeline.extractor->GetOutput(), kept, 2);
  EXPECT_EQ(pipeline.filter->GetOutput()->GetPixelContainer()->GetReferenceCount(), 2); // the output's, the filter's
  pipeline.filter->ReleaseBatchBuffer();
  EXPECT_EQ(pipeline.filter->GetOutput()->GetPixelContainer()->GetReferenceCount(), 1);
}

TEST(PatchBatchImageFilter, AContainerTheUserGaveTheOutputIsWrittenNotTheKeptOne)
{
  RecordedMerge pipeline(4, false);
  pipeline.filter->Update(); // the filter now keeps its output's memory
  VectorStackType * output = pipeline.filter->GetOutput();
  const auto        values = output->GetBufferedRegion().GetNumberOfPixels() * output->GetNumberOfComponentsPerPixel();
  const auto        mine = VectorStackType::PixelContainer::New();
  mine->Reserve(values + 7);
  output->SetPixelContainer(mine); // the kept memory is now referred to by the filter alone
  pipeline.filter->Modified();
  pipeline.filter->Update();
  EXPECT_EQ(static_cast<const void *>(output->GetBufferPointer()), static_cast<const void *>(mine->GetBufferPointer()));
  ExpectEveryPatchFilledByTheRule(pipeline.extractor->GetOutput(), output, 2);
}

TEST(PatchBatchImageFilter, InPlaceWhenTheChannelsStayAndNotOtherwise)
{
  auto image = MakeRandomImage<ImageType>({ { 15, 11, 9 } }, 6);
  auto extractor = MakeExtractor<ImageType>(image, { { 6, 5, 4 } }, { { 2, 2, 1 } }, BorderMode::Edge);
  extractor->Update();
  const auto reference = StackType::New(); // the stack before it is overwritten
  reference->Graft(extractor->GetOutput());
  std::vector<float> before(extractor->GetOutput()->GetBufferPointer(),
                            extractor->GetOutput()->GetBufferPointer() +
                              extractor->GetOutput()->GetBufferedRegion().GetNumberOfPixels());
  auto               filter = itk::PatchBatchImageFilter<StackType, StackType>::New();
  filter->SetInput(extractor->GetOutput());
  filter->SetBatchSize(5);
  filter->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    const auto    patchVoxels = filter->GetPatchGrid().GetPatchRegion(0).GetNumberOfPixels();
    const float * input = filter->GetCurrentBatchInput();
    float *       output = filter->GetCurrentBatchOutput();
    for (itk::SizeValueType v = 0; v < patchVoxels * filter->GetCurrentBatchSize(); ++v)
    {
      output[v] = Expected(input[v], 1, filter->GetCurrentBatchStart() + v / patchVoxels);
    }
  });
  filter->Update();
  EXPECT_EQ(filter->GetOutput()->GetBufferPointer(), reference->GetBufferPointer()); // one stack line, not two
  const auto patchVoxels = extractor->GetPatchGrid().GetPatchRegion(0).GetNumberOfPixels();
  for (size_t v = 0; v < before.size(); ++v)
  {
    ASSERT_EQ(filter->GetOutput()->GetBufferPointer()[v], Expected(before[v], 1, v / patchVoxels)) << v;
  }
  // Three channels out of one: a VectorImage of another length cannot be the input.
  auto vectorExtractor =
    MakeExtractor<itk::VectorImage<float, 3>>(MakeRandomImage<itk::VectorImage<float, 3>>({ { 15, 11, 9 } }, 6, 1),
                                              { { 6, 5, 4 } },
                                              { { 2, 2, 1 } },
                                              BorderMode::Edge);
  auto widening = itk::PatchBatchImageFilter<VectorStackType, VectorStackType>::New();
  widening->SetInput(vectorExtractor->GetOutput());
  widening->SetNumberOfOutputChannels(3);
  widening->Update();
  EXPECT_NE(static_cast<const void *>(widening->GetOutput()->GetBufferPointer()),
            static_cast<const void *>(vectorExtractor->GetOutput()->GetBufferPointer()));
  EXPECT_EQ(widening->GetOutput()->GetNumberOfComponentsPerPixel(), 3u);
}

TEST(PatchBatchImageFilter, AnObserverCanStopTheUpdateAndBadSettingsThrow)
{
  auto image = MakeRandomImage<ImageType>({ { 9, 8, 7 } }, 5);
  auto extractor = MakeExtractor<ImageType>(image, { { 4, 4, 4 } }, { { 0, 0, 0 } }, BorderMode::Pad);
  auto filter = BatchFilterType::New();
  filter->SetInput(extractor->GetOutput());
  filter->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { filter->AbortGenerateDataOn(); });
  EXPECT_THROW(filter->Update(), itk::ProcessAborted);
  filter->SetBatchSize(0);
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  auto scalar = itk::PatchBatchImageFilter<StackType, StackType>::New();
  scalar->SetInput(extractor->GetOutput());
  scalar->SetNumberOfOutputChannels(2);
  EXPECT_THROW(scalar->UpdateOutputInformation(), itk::ExceptionObject);
}
} // namespace
