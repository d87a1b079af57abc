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

// PatchMerger::GetNumberOfNonFiniteValues against a nested loop over the
// patches: an output value is non-finite where a patch value that reaches it
// with a weight other than 0 is NaN or infinite.

#include "itkPatchBatchImageFilter.h"
#include "itkPatchExtractor.h"
#include "itkPatchMergeReference.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>

namespace
{
using namespace PatchStreamingTest;

/** The (voxel, component) values of the merged output that a non-finite
 * stack value reaches with a weight other than 0, marked by a nested loop. */
template <typename TStack, unsigned int VDimension>
itk::SizeValueType
ReferenceNonFiniteCount(const TStack *                    stack,
                        const itk::PatchGrid<VDimension> & grid,
                        const ReferenceProfile &           profile,
                        unsigned int                       components)
{
  using MarksType = itk::VectorImage<unsigned char, VDimension>;
  using Traits = itk::DefaultConvertPixelTraits<typename TStack::PixelType>;
  auto marks = MarksType::New();
  marks->SetRegions(grid.GetImageRegion());
  marks->SetNumberOfComponentsPerPixel(components);
  marks->Allocate(true);
  ForEachPatchVoxel(grid, profile, [&](const itk::Index<VDimension> & x, const typename TStack::IndexType & stackIndex,
                                       double weight) {
    const auto pixel = stack->GetPixel(stackIndex);
    auto       mark = marks->GetPixel(x);
    for (unsigned int c = 0; c < components; ++c)
    {
      if (weight != 0.0 && !std::isfinite(static_cast<double>(Traits::GetNthComponent(c, pixel))))
      {
        mark[c] = 1;
      }
    }
    marks->SetPixel(x, mark);
  });
  const unsigned char * begin = marks->GetBufferPointer();
  return static_cast<itk::SizeValueType>(
    std::count(begin, begin + marks->GetPixelContainer()->Size(), static_cast<unsigned char>(1)));
}

/** The output's values that are NaN or infinite. */
template <typename TImage>
itk::SizeValueType
CountNonFiniteIn(const TImage * image)
{
  const auto * begin = image->GetBufferPointer();
  return static_cast<itk::SizeValueType>(std::count_if(
    begin, begin + image->GetPixelContainer()->Size(), [](auto value) { return !std::isfinite(value); }));
}

/** The voxels of the image no patch covers (Crop border mode's remainder). */
template <unsigned int VDimension>
itk::SizeValueType
UncoveredVoxels(const itk::PatchGrid<VDimension> & grid)
{
  std::vector<bool> covered(grid.GetImageRegion().GetNumberOfPixels(), false);
  auto              offsets = itk::Image<char, VDimension>::New();
  offsets->SetRegions(grid.GetImageRegion());
  for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
  {
    for (const auto & x : itk::ImageRegionIndexRange<VDimension>(grid.GetValidPatchRegion(k)))
    {
      covered[static_cast<itk::SizeValueType>(offsets->ComputeOffset(x))] = true;
    }
  }
  return static_cast<itk::SizeValueType>(std::count(covered.begin(), covered.end(), false));
}

struct NonFiniteCase
{
  BorderMode         mode;
  Weighting          weighting;
  unsigned int       divisions;
  itk::SizeValueType nonFiniteStackValues;
  /** 0: the merger reads the stack in memory (row by row); else it pulls batches of this many
   * patches from a PatchBatchImageFilter that copies them (line by line: rows finished in
   * the scatter, by FinishRows, and sums carried from one division to the next). */
  itk::SizeValueType batchSize{ 0 };
  /** A NaN BackgroundValue: the uncovered voxels are NaN, yet never counted. */
  bool nanBackground{ false };
};

/** A PatchBatchImageFilter of `stack`, `batchSize` patches a batch, each copied. */
template <typename TStack>
typename itk::PatchBatchImageFilter<TStack, TStack>::Pointer
CopiedInBatches(TStack * stack, itk::SizeValueType batchSize)
{
  auto batches = itk::PatchBatchImageFilter<TStack, TStack>::New();
  batches->SetInput(stack);
  batches->SetBatchSize(batchSize);
  batches->ReleaseDataFlagOn();
  auto * filter = batches.GetPointer();
  batches->AddObserver(itk::IterationEvent(), [filter](const itk::EventObject &) {
    const auto values = filter->GetPatchGrid().GetPatchRegion(0).GetNumberOfPixels() *
                        filter->GetCurrentBatchSize() * filter->GetOutput()->GetNumberOfComponentsPerPixel();
    std::copy_n(filter->GetCurrentBatchInput(), values, filter->GetCurrentBatchOutput());
  });
  return batches;
}

/** A stack with NaN, +inf and -inf at random places, merged in `divisions`
 * streamed requests: the merger counts what the nested loop marks, each value
 * once however the output is streamed; an update counts again, a reset forgets. */
template <typename TImage, typename TOutput = TImage>
void
ExpectCountOfTheNestedLoop(const NonFiniteCase & test, unsigned int components = 1)
{
  constexpr unsigned int N = TImage::ImageDimension;
  using StackType = std::conditional_t<std::is_same<TImage, itk::VectorImage<float, N>>::value,
                                       itk::VectorImage<float, N + 1>,
                                       itk::Image<float, N + 1>>;
  SCOPED_TRACE(itk::ToString(test.mode) + " " + itk::ToString(test.weighting) + " divisions " +
               std::to_string(test.divisions) + " components " + std::to_string(components) + " batch " +
               std::to_string(test.batchSize) + (test.nanBackground ? " NaN background" : ""));
  const auto image = MakeRandomImage<TImage>({ { 37, 23, 19 } }, 31, components, { { 2, 0, -4 } });
  auto       extractor = itk::PatchExtractor<TImage, StackType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize({ { 11, 9, 7 } });
  extractor->SetPatchOverlap({ { 6, 3, 4 } });
  extractor->SetBorderMode(test.mode);
  extractor->Update();
  typename StackType::Pointer stack = extractor->GetOutput();
  stack->DisconnectPipeline();

  std::mt19937   generator(7);
  const float    nonFinite[] = { std::numeric_limits<float>::quiet_NaN(),
                                 std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::infinity() };
  const auto &   stackRegion = stack->GetLargestPossibleRegion();
  float *        values = stack->GetBufferPointer();
  const auto     count = stack->GetPixelContainer()->Size();
  for (itk::SizeValueType i = 0; i < test.nonFiniteStackValues; ++i)
  {
    values[std::uniform_int_distribution<itk::SizeValueType>(0, count - 1)(generator)] = nonFinite[i % 3];
  }
  EXPECT_EQ(count, stackRegion.GetNumberOfPixels() * components);

  auto merger = itk::PatchMerger<StackType, TOutput>::New();
  const auto batches = CopiedInBatches(stack.GetPointer(), std::max(test.batchSize, itk::SizeValueType{ 1 }));
  merger->SetInput(test.batchSize > 0 ? batches->GetOutput() : stack.GetPointer());
  merger->SetPatchGrid(extractor->GetPatchGrid());
  using OutputValueType = typename itk::NumericTraits<typename TOutput::PixelType>::ValueType;
  if constexpr (std::is_floating_point<OutputValueType>::value)
  {
    if (test.nanBackground)
    {
      typename TOutput::PixelType background{};
      itk::NumericTraits<typename TOutput::PixelType>::SetLength(background, components);
      for (unsigned int c = 0; c < components; ++c)
      {
        itk::DefaultConvertPixelTraits<typename TOutput::PixelType>::SetNthComponent(
          c, background, std::numeric_limits<OutputValueType>::quiet_NaN());
      }
      merger->SetBackgroundValue(background);
    }
  }
  const auto weighting = MakeTestWeighting(test.weighting, extractor->GetPatchSize());
  ApplyWeighting(merger.GetPointer(), weighting);
  auto streamer = itk::StreamingImageFilter<TOutput, TOutput>::New();
  streamer->SetInput(merger->GetOutput());
  streamer->SetNumberOfStreamDivisions(test.divisions);
  streamer->Update();

  const auto & grid = extractor->GetPatchGrid();
  const auto   expected = ReferenceNonFiniteCount(stack.GetPointer(), grid, MakeReferenceProfile(grid, weighting),
                                                components);
  EXPECT_GT(expected, 0u);
  EXPECT_EQ(merger->GetNumberOfNonFiniteValues(), expected);
  if constexpr (std::is_floating_point<OutputValueType>::value)
  {
    // Each uncovered voxel holds a NaN background, not counted.
    EXPECT_EQ(CountNonFiniteIn(streamer->GetOutput()),
              expected + (test.nanBackground ? UncoveredVoxels(grid) * components : 0));
  }
  merger->Modified();
  streamer->Update();
  EXPECT_EQ(merger->GetNumberOfNonFiniteValues(), 2 * expected);
  merger->ResetNumberOfNonFiniteValues();
  EXPECT_EQ(merger->GetNumberOfNonFiniteValues(), 0u);
}

TEST(PatchMerger, NonFiniteMergedValuesAreCountedAsTheNestedLoopMarksThem)
{
  using ImageType3 = itk::Image<float, 3>;
  // Gaussian and Hann reach every voxel of a patch; Crop weighting leaves the overlap
  // halves out (their NaN reach nothing); Crop border mode leaves voxels uncovered.
  for (const NonFiniteCase & test : { NonFiniteCase{ BorderMode::Squeeze, Weighting::Gaussian, 1, 40 },
                                      NonFiniteCase{ BorderMode::Squeeze, Weighting::Gaussian, 4, 40 },
                                      NonFiniteCase{ BorderMode::Squeeze, Weighting::Crop, 3, 200 },
                                      NonFiniteCase{ BorderMode::Crop, Weighting::Average, 2, 40 },
                                      NonFiniteCase{ BorderMode::Pad, Weighting::Hann, 5, 40 },
                                      NonFiniteCase{ BorderMode::Squeeze, Weighting::Gaussian, 3, 40, 2 },
                                      NonFiniteCase{ BorderMode::Squeeze, Weighting::Average, 4, 40, 5 },
                                      NonFiniteCase{ BorderMode::Crop, Weighting::Gaussian, 2, 40, 3, true },
                                      NonFiniteCase{ BorderMode::Crop, Weighting::Average, 1, 40, 0, true } })
  {
    ExpectCountOfTheNestedLoop<ImageType3>(test);
  }
}

TEST(PatchMerger, NonFiniteValuesAreCountedPerComponentAndBeforeIntegerConversion)
{
  ExpectCountOfTheNestedLoop<itk::VectorImage<float, 3>>({ BorderMode::Adaptive, Weighting::Gaussian, 2, 60 }, 3);
  ExpectCountOfTheNestedLoop<itk::VectorImage<float, 3>>({ BorderMode::Crop, Weighting::Gaussian, 3, 60, 4, true }, 3);
  // NaN becomes 0 and infinities saturate in an unsigned char output: counted before (the
  // sums of a batched merge live in a ring of slices then).
  for (const itk::SizeValueType batchSize : { 0, 3 })
  {
    ExpectCountOfTheNestedLoop<itk::Image<float, 3>, itk::Image<unsigned char, 3>>(
      { BorderMode::Squeeze, Weighting::Gaussian, 3, 40, batchSize });
  }
}

TEST(PatchMerger, FiniteValuesWhoseWeightedSumOverflowsAreCounted)
{
  // Average weighting of two overlapping patches of 3e38: the float sum is infinite.
  using ImageType3 = itk::Image<float, 3>;
  auto image = ImageType3::New();
  image->SetRegions(ImageType3::SizeType{ { 12, 5, 5 } });
  image->Allocate();
  image->FillBuffer(3e38f);
  auto extractor =
    PatchStreamingTest::MakeExtractor<ImageType3>(image, { { 8, 5, 5 } }, { { 4, 0, 0 } }, BorderMode::Squeeze);
  auto merger = itk::PatchMerger<itk::Image<float, 4>>::New();
  merger->SetInput(extractor->GetOutput());
  merger->Update();
  // x = 4..7 lie in both patches.
  EXPECT_EQ(merger->GetNumberOfNonFiniteValues(), 4u * 5u * 5u);
  EXPECT_EQ(CountNonFiniteIn(merger->GetOutput()), 4u * 5u * 5u);
}
} // namespace
