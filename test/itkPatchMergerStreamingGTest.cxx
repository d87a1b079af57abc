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
// PatchMerger streaming: the stack is pulled one patch line at a time, every
// patch once per update, and streamed output equals the single update bit for bit.
#include "itkPatchExtractor.h"
#include "itkPatchMergeReference.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkImageAlgorithm.h"
#include "itkImageToImageFilter.h"
#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <sstream>
#include <string>

namespace
{
using namespace PatchStreamingTest;

/** A pass-through "per-patch model" that computes only the stack region
 * requested of it (so the merger pulls it line by line) and records each one. */
template <typename TStack = StackType>
class RecordingFilter : public itk::ImageToImageFilter<TStack, TStack>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(RecordingFilter);
  using Self = RecordingFilter;
  using Superclass = itk::ImageToImageFilter<TStack, TStack>;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);

  struct Request
  {
    typename TStack::RegionType region;
    int                         division;
  };
  std::vector<Request> requests;
  int                  currentDivision{ -1 };

protected:
  RecordingFilter() = default;
  void
  BeforeThreadedGenerateData() override
  {
    requests.push_back({ this->GetOutput()->GetRequestedRegion(), currentDivision });
  }
  void
  DynamicThreadedGenerateData(const typename TStack::RegionType & region) override
  {
    itk::ImageAlgorithm::Copy(this->GetInput(), this->GetOutput(), region, region);
  }
};

struct Pipeline
{
  ImageType::Pointer                      image;
  itk::PatchExtractor<ImageType>::Pointer extractor;
  RecordingFilter<>::Pointer              model;
  itk::PatchMerger<StackType>::Pointer    merger;
};

Pipeline
MakePipeline(Weighting weighting, BorderMode mode = BorderMode::Squeeze)
{
  Pipeline p;
  p.image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 23, 29 } }, 31, 1, { { 0, 4, -2 } });
  for (itk::ImageRegionIterator<ImageType> it(p.image, p.image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(std::sin(it.Get()) * 2.1f); // arbitrary floats: exercises rounding order
  }
  p.extractor = itk::PatchExtractor<ImageType>::New();
  p.extractor->SetInput(p.image);
  p.extractor->SetPatchSize({ { 12, 10, 8 } });
  p.extractor->SetPatchOverlap({ { 6, 5, 4 } }); // 50 %
  p.extractor->SetBorderMode(mode);
  p.extractor->UpdateOutputInformation();
  p.model = RecordingFilter<>::New();
  p.model->SetInput(p.extractor->GetOutput());
  p.merger = itk::PatchMerger<StackType>::New();
  p.merger->SetInput(p.model->GetOutput());
  p.merger->SetPatchGrid(p.extractor->GetPatchGrid());
  PatchStreamingTest::ApplyWeighting(p.merger.GetPointer(),
                                     PatchStreamingTest::MakeTestWeighting(weighting, p.extractor->GetPatchSize()));
  return p;
}

/** Is the region one patch line (or part of one): full patches sharing every grid index but axis 0's? */
bool
IsAtMostOneLine(const StackType::RegionType & region, const itk::PatchGrid<3> & grid)
{
  for (unsigned int d = 0; d < 3; ++d)
  {
    if (region.GetSize(d) != grid.GetPatchSize()[d])
    {
      return false;
    }
  }
  const auto first = grid.GetGridIndex(static_cast<itk::SizeValueType>(region.GetIndex(3)));
  const auto last = grid.GetGridIndex(static_cast<itk::SizeValueType>(region.GetUpperIndex()[3]));
  return first[1] == last[1] && first[2] == last[2];
}

TEST(PatchMergerStreaming, SingleUpdatePullsOneLineAtATimeAndEveryPatchOnce)
{
  for (const Weighting weighting : { Weighting::Average, Weighting::Gaussian, Weighting::Crop })
  {
    Pipeline p = MakePipeline(weighting);
    p.merger->Update();
    const auto &                           grid = p.extractor->GetPatchGrid();
    std::map<itk::SizeValueType, unsigned> computed;
    itk::SizeValueType                     largestRequest = 0;
    for (const auto & request : p.model->requests)
    {
      EXPECT_TRUE(IsAtMostOneLine(request.region, grid)) << request.region;
      largestRequest = std::max<itk::SizeValueType>(largestRequest, request.region.GetSize(3));
      for (itk::SizeValueType k = 0; k < request.region.GetSize(3); ++k)
      {
        ++computed[static_cast<itk::SizeValueType>(request.region.GetIndex(3)) + k];
      }
    }
    // Every patch computed exactly once.
    ASSERT_EQ(computed.size(), grid.GetNumberOfPatches());
    for (const auto & patch : computed)
    {
      EXPECT_EQ(patch.second, 1u) << "patch " << patch.first;
    }
    // Peak stack memory: the largest stack region ever buffered is one patch line.
    EXPECT_EQ(largestRequest, grid.GetGridSize()[0]);
    EXPECT_LT(largestRequest, grid.GetNumberOfPatches() / 4);
    EXPECT_EQ(p.model->requests.size(), grid.GetGridSize()[1] * grid.GetGridSize()[2]);
  }
}

TEST(PatchMergerStreaming, StreamedDivisionsAreBitIdenticalAndPullOnlyOverlappingLines)
{
  for (const Weighting weighting :
       { Weighting::Average, Weighting::Gaussian, Weighting::Hann, Weighting::Crop, Weighting::Custom })
  {
    Pipeline whole = MakePipeline(weighting, BorderMode::Edge);
    whole.merger->Update();
    for (const unsigned int divisions : { 1u, 3u, 7u })
    {
      SCOPED_TRACE(itk::ToString(weighting) + " divisions " + std::to_string(divisions));
      Pipeline p = MakePipeline(weighting, BorderMode::Edge);
      auto     streamer = itk::StreamingImageFilter<ImageType, ImageType>::New();
      streamer->SetInput(p.merger->GetOutput());
      streamer->SetNumberOfStreamDivisions(divisions);
      std::vector<ImageType::RegionType> divisionRegions;
      p.merger->AddObserver(itk::StartEvent(), [&](const itk::EventObject &) {
        divisionRegions.push_back(p.merger->GetOutput()->GetRequestedRegion());
        p.model->currentDivision = static_cast<int>(divisionRegions.size()) - 1;
      });
      streamer->Update();
      // The splitter may make fewer pieces than asked (29 slices in 7 -> 6 pieces of 5).
      EXPECT_EQ(divisionRegions.size(),
                streamer->GetRegionSplitter()->GetNumberOfSplits(whole.image->GetLargestPossibleRegion(), divisions));
      EXPECT_GE(divisionRegions.size(), std::min(divisions, 6u));
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
                  whole.merger->GetOutput(), streamer->GetOutput(), whole.image->GetLargestPossibleRegion()),
                "");

      const auto &                           grid = p.extractor->GetPatchGrid();
      std::map<itk::SizeValueType, unsigned> computed;
      for (const auto & request : p.model->requests)
      {
        for (itk::SizeValueType k = 0; k < request.region.GetSize(3); ++k)
        {
          ++computed[static_cast<itk::SizeValueType>(request.region.GetIndex(3)) + k];
        }
      }
      // Divisions arrive in order: the sums of straddling lines are carried, every patch is computed once.
      EXPECT_EQ(computed.size(), grid.GetNumberOfPatches());
      EXPECT_EQ(std::count_if(computed.begin(), computed.end(), [](const auto & patch) { return patch.second != 1; }),
                0);
      for (const auto & request : p.model->requests)
      {
        ASSERT_GE(request.division, 0);
        EXPECT_TRUE(IsAtMostOneLine(request.region, grid)) << request.region;
        // Every patch the division pulled overlaps the division.
        for (itk::SizeValueType k = 0; k < request.region.GetSize(3); ++k)
        {
          auto patchRegion = grid.GetPatchRegion(static_cast<itk::SizeValueType>(request.region.GetIndex(3)) + k);
          EXPECT_TRUE(patchRegion.Crop(divisionRegions[static_cast<std::size_t>(request.division)]))
            << "division " << request.division << " pulled patch " << request.region.GetIndex(3) + k;
        }
      }
    }
  }
}

/** The carried rows the merger holds, as its PrintSelf reports them ("CarriedSums: ... (N rows held, M
 * finished rows held as output values"): the rows of sums, or with `what` " finished rows held", the rows finished. */
long
CarriedRowsHeld(const itk::Object * merger, const std::string & what = " rows held")
{
  std::ostringstream printed;
  merger->Print(printed);
  const std::string text = printed.str();
  const auto        held = text.find(what);
  if (held == std::string::npos)
  {
    return -1;
  }
  const auto number = text.find_last_not_of("0123456789", held - 1) + 1;
  return std::stol(text.substr(number, held - number));
}

TEST(PatchMergerStreaming, OnlyTheSlicesCarriedAreHeldBetweenDivisions)
{
  // After each division the merger holds exactly the rows of the slices that
  // the last line over the division reaches past its end (not a whole ring of P-1).
  for (const unsigned int divisions : { 2u, 3u, 5u, 7u, 29u })
  {
    SCOPED_TRACE("divisions " + std::to_string(divisions));
    Pipeline p = MakePipeline(Weighting::Gaussian);
    auto     streamer = itk::StreamingImageFilter<ImageType, ImageType>::New();
    streamer->SetInput(p.merger->GetOutput());
    streamer->SetNumberOfStreamDivisions(divisions);
    const auto &              grid = p.extractor->GetPatchGrid();
    const itk::IndexValueType imageStart = p.image->GetLargestPossibleRegion().GetIndex(2);
    const auto imageEnd = imageStart + static_cast<itk::IndexValueType>(p.image->GetLargestPossibleRegion().GetSize(2));
    std::vector<long> expected;
    std::vector<long> held;
    p.merger->AddObserver(itk::EndEvent(), [&](const itk::EventObject &) {
      const auto &        region = p.merger->GetOutput()->GetRequestedRegion();
      const auto          end = region.GetUpperIndex()[2] + 1;
      itk::IndexValueType lastLineEnd = end;
      for (itk::SizeValueType j = 0; j < grid.GetGridSize()[2]; ++j)
      {
        const auto start = imageStart + grid.GetAxisLayout(2).GetStart(j);
        if (start < end)
        {
          lastLineEnd = std::min(start + static_cast<itk::IndexValueType>(grid.GetPatchSize()[2]), imageEnd);
        }
      }
      expected.push_back(std::max<long>(lastLineEnd - end, 0) * static_cast<long>(region.GetSize(1)));
      held.push_back(CarriedRowsHeld(p.merger));
    });
    streamer->Update();
    EXPECT_EQ(held, expected);
    EXPECT_GT(*std::max_element(expected.begin(), expected.end()), 0);
    EXPECT_EQ(held.back(), 0); // nothing is kept after the last division
  }
}

using LabelType = itk::Image<unsigned char, 3>;
using LabelStackType = itk::Image<unsigned char, 4>;

/** An unsigned char image of `size` (random values about 128, from `seed`), cut into patches of
 * `patch` voxels overlapping by `overlap`: an integer output's merge (double sums). */
itk::PatchExtractor<LabelType>::Pointer
MakeByteExtractor(const itk::Size<3> & size,
                  unsigned int         seed,
                  const itk::Size<3> & patch,
                  const itk::Size<3> & overlap)
{
  auto image = PatchStreamingTest::MakeRandomImage<ImageType>(size, seed);
  auto labels = PatchStreamingTest::MakeImageLike<LabelType>(image, false);
  for (itk::ImageRegionIteratorWithIndex<LabelType> it(labels, labels->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(static_cast<unsigned char>(image->GetPixel(it.GetIndex()) * 2.0f + 128.0f));
  }
  auto extractor = itk::PatchExtractor<LabelType>::New();
  extractor->SetInput(labels);
  extractor->SetPatchSize(patch);
  extractor->SetPatchOverlap(overlap);
  return extractor;
}

TEST(PatchMergerStreaming, CarriedRowsNoLaterLineReachesAreHeldAsOutputValues)
{
  // An integer output's sums are doubles in row buffers of their own: the carried rows before
  // the next line's start are finished once the last line over them is scattered and held as
  // one byte a voxel, not eight; only the rows a later line reaches stay sums. Divisions thinner and
  // thicker than the stride (6 slices), their ends anywhere in it; the output streamed equals
  // the single update bit for bit.
  auto         extractor = MakeByteExtractor({ { 23, 17, 31 } }, 33, { { 8, 7, 8 } }, { { 3, 2, 2 } });
  const auto * labels = extractor->GetInput();
  extractor->UpdateOutputInformation();
  const auto & grid = extractor->GetPatchGrid();
  auto         whole = itk::PatchMerger<LabelStackType>::New();
  whole->SetInput(extractor->GetOutput());
  whole->Update();
  for (const unsigned int divisions : { 3u, 4u, 7u, 31u })
  {
    SCOPED_TRACE("divisions " + std::to_string(divisions));
    auto merger = itk::PatchMerger<LabelStackType>::New();
    merger->SetInput(extractor->GetOutput());
    std::vector<long> expected;
    std::vector<long> held;
    merger->AddObserver(itk::EndEvent(), [&](const itk::EventObject &) {
      const auto &        region = merger->GetOutput()->GetRequestedRegion();
      const auto          end = region.GetUpperIndex()[2] + 1;
      itk::IndexValueType lastLineEnd = end;
      itk::IndexValueType nextLineStart = 31;
      for (itk::SizeValueType j = grid.GetGridSize()[2]; j-- > 0;)
      {
        const auto start = grid.GetAxisLayout(2).GetStart(j);
        if (start < end)
        {
          lastLineEnd = std::min<itk::IndexValueType>(start + 8, 31);
          break;
        }
        nextLineStart = start;
      }
      const long finished = std::max<long>(std::min(lastLineEnd, nextLineStart) - end, 0);
      const long open = std::max<long>(lastLineEnd - end, 0) - finished;
      expected.insert(expected.end(), { open * 17, finished * 17 });
      held.insert(held.end(), { CarriedRowsHeld(merger), CarriedRowsHeld(merger, " finished rows held") });
    });
    auto streamer = itk::StreamingImageFilter<LabelType, LabelType>::New();
    streamer->SetInput(merger->GetOutput());
    streamer->SetNumberOfStreamDivisions(divisions);
    streamer->Update();
    EXPECT_EQ(held, expected);
    EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
                whole->GetOutput(), streamer->GetOutput(), labels->GetLargestPossibleRegion()),
              "");
  }
}

TEST(PatchMergerStreaming, OutOfOrderAndRepeatedRequestsRecomputeCorrectly)
{
  Pipeline whole = MakePipeline(Weighting::Gaussian, BorderMode::Edge);
  whole.merger->Update();
  Pipeline   p = MakePipeline(Weighting::Gaussian, BorderMode::Edge);
  const auto full = whole.image->GetLargestPossibleRegion();
  auto       assembled = PatchStreamingTest::MakeImageLike<ImageType>(whole.image, true);
  // Slabs of 6 slices along z, last first, then one repeated and one adjacent pair:
  // no carried sum may be used across a non-adjacent or repeated request.
  std::vector<itk::IndexValueType> slabStarts;
  for (itk::IndexValueType z = full.GetIndex(2) + 24; z >= full.GetIndex(2); z -= 6)
  {
    slabStarts.push_back(z);
  }
  slabStarts.push_back(full.GetIndex(2) + 6);
  slabStarts.push_back(full.GetIndex(2) + 6);
  slabStarts.push_back(full.GetIndex(2) + 12);
  for (const itk::IndexValueType z : slabStarts)
  {
    auto slab = full;
    slab.SetIndex(2, z);
    slab.SetSize(2, static_cast<itk::SizeValueType>(std::min<itk::IndexValueType>(6, full.GetUpperIndex()[2] + 1 - z)));
    p.merger->GetOutput()->SetRequestedRegion(slab);
    p.merger->GetOutput()->Update();
    EXPECT_EQ(PatchStreamingTest::DescribeDifferences(whole.merger->GetOutput(), p.merger->GetOutput(), slab), "")
      << "slab at z = " << z;
  }
}

TEST(PatchMergerStreaming, IntegerOutputStreamsBitIdentically)
{
  auto         extractor = MakeByteExtractor({ { 33, 21, 27 } }, 32, { { 10, 9, 8 } }, { { 5, 4, 4 } });
  const auto * labels = extractor->GetInput();
  // Average: the labels come back exactly; Gaussian: a single update, streamed.
  auto whole = itk::PatchMerger<LabelStackType>::New();
  whole->SetInput(extractor->GetOutput());
  whole->SetWeighting(Weighting::Gaussian);
  whole->Update();
  for (const Weighting weighting : { Weighting::Average, Weighting::Gaussian })
  {
    auto merger = itk::PatchMerger<LabelStackType>::New();
    merger->SetInput(extractor->GetOutput());
    merger->SetWeighting(weighting);
    auto streamer = itk::StreamingImageFilter<LabelType, LabelType>::New();
    streamer->SetInput(merger->GetOutput());
    streamer->SetNumberOfStreamDivisions(5);
    streamer->Update();
    const LabelType * expected = weighting == Weighting::Average ? labels : whole->GetOutput();
    EXPECT_EQ(
      PatchStreamingTest::DescribeDifferences(expected, streamer->GetOutput(), labels->GetLargestPossibleRegion()), "")
      << itk::ToString(weighting);
  }
}
} // namespace

namespace
{
/** Streams `image` (its slowest axis starting below zero) through extract -> merge in `divisions`. */
template <typename TImage>
void
ExpectStreamedMergeEqualsTheImage(const TImage * image, const typename TImage::SizeType & patch, unsigned int divisions)
{
  using StreamedStack = itk::Image<float, TImage::ImageDimension + 1>;
  auto extractor =
    PatchStreamingTest::MakeExtractor<TImage>(image, patch, typename TImage::SizeType(), BorderMode::Squeeze);
  auto merger = itk::PatchMerger<StreamedStack>::New();
  merger->SetInput(extractor->GetOutput());
  auto streamer = itk::StreamingImageFilter<TImage, TImage>::New();
  streamer->SetInput(merger->GetOutput());
  streamer->SetNumberOfStreamDivisions(divisions);
  streamer->Update();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(image, streamer->GetOutput(), image->GetLargestPossibleRegion()),
            "")
    << "patch " << patch << ", " << divisions << " divisions";
}

// Divisions that end at or below index 0 carry nothing past their end (found
// by the fuzzer: a patch of one slice divided by a carry ring of zero slices).
TEST(PatchMergerStreaming, DivisionsEndingBelowIndexZeroCarryNothingSpurious)
{
  using Image1Type = itk::Image<float, 1>;
  const auto line = PatchStreamingTest::MakeRandomImage<Image1Type>({ { 12 } }, 81, 1, { { -7 } });
  for (const itk::SizeValueType patch : { 1, 2, 5 })
  {
    ExpectStreamedMergeEqualsTheImage<Image1Type>(line, { { patch } }, 6);
  }
  const auto volume = PatchStreamingTest::MakeRandomImage<ImageType>({ { 9, 7, 10 } }, 82, 1, { { 2, -1, -8 } });
  for (const itk::SizeValueType patch : { 1, 3 })
  {
    ExpectStreamedMergeEqualsTheImage<ImageType>(volume, { { 4, 3, patch } }, 5);
  }
}
} // namespace

namespace
{
/** Merges `stack` with the merger `configure` sets up, output streamed in
 * `divisions`: straight from the stack (in memory, so merged row by row) or
 * through a filter that computes only the lines requested of it (so merged
 * line by line). */
template <typename TStack, typename TOutput>
typename TOutput::Pointer
MergeStack(TStack *                                                         stack,
           const itk::PatchGrid<TOutput::ImageDimension> &                  grid,
           const std::function<void(itk::PatchMerger<TStack, TOutput> *)> & configure,
           bool                                                             lineByLine,
           unsigned int                                                     divisions)
{
  auto merger = itk::PatchMerger<TStack, TOutput>::New();
  auto lines = RecordingFilter<TStack>::New();
  lines->SetInput(stack);
  merger->SetInput(lineByLine ? lines->GetOutput() : stack);
  merger->SetPatchGrid(grid);
  configure(merger);
  auto streamer = itk::StreamingImageFilter<TOutput, TOutput>::New();
  streamer->SetInput(merger->GetOutput());
  streamer->SetNumberOfStreamDivisions(divisions);
  streamer->Update();
  EXPECT_EQ(lines->requests.empty(), !lineByLine);
  for (const auto & request : lines->requests)
  {
    EXPECT_LE(request.region.GetSize(TOutput::ImageDimension), grid.GetGridSize()[0]) << "more than one line at once";
  }
  return streamer->GetOutput();
}

/** Extracts `image` whole, then expects the row-by-row merge of the stack in
 * memory to equal the line-by-line merge bit for bit, whole and streamed. */
template <typename TImage, typename TOutput = TImage, typename TConfigure>
void
ExpectRowByRowEqualsLineByLine(const TImage *                    image,
                               const typename TImage::SizeType & patch,
                               const typename TImage::SizeType & overlap,
                               BorderMode                        mode,
                               const TConfigure &                configure)
{
  using StackOfImage = typename itk::PatchExtractor<TImage>::OutputImageType;
  auto extractor = PatchStreamingTest::MakeExtractor<TImage>(image, patch, overlap, mode);
  extractor->UpdateLargestPossibleRegion();
  StackOfImage * stack = extractor->GetOutput();
  for (const unsigned int divisions : { 1u, 4u })
  {
    SCOPED_TRACE(itk::ToString(mode) + ", " + std::to_string(divisions) + " divisions");
    const auto rowByRow =
      MergeStack<StackOfImage, TOutput>(stack, extractor->GetPatchGrid(), configure, false, divisions);
    const auto lineByLine =
      MergeStack<StackOfImage, TOutput>(stack, extractor->GetPatchGrid(), configure, true, divisions);
    EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
                lineByLine.GetPointer(), rowByRow.GetPointer(), image->GetLargestPossibleRegion()),
              "");
  }
}

/** Arbitrary floats (times `scale`), so that a different order of additions shows. */
template <typename TImage>
typename TImage::Pointer
MakeArbitraryImage(const typename TImage::SizeType & size,
                   unsigned int                      seed,
                   unsigned int                      components = 1,
                   float                             scale = 1.0f)
{
  auto   image = PatchStreamingTest::MakeRandomImage<TImage>(size, seed, components);
  auto * values = image->GetPixelContainer();
  for (itk::SizeValueType i = 0; i < values->Size(); ++i)
  {
    (*values)[i] = std::sin((*values)[i]) * 2.1f * scale;
  }
  return image;
}

TEST(PatchMergerStreaming, StackInMemoryMergesRowByRowBitIdenticallyToLineByLine)
{
  const auto image = MakeArbitraryImage<ImageType>({ { 37, 23, 29 } }, 91);
  for (const BorderMode mode : { BorderMode::Squeeze, BorderMode::Edge, BorderMode::Crop })
  {
    for (const Weighting weighting :
         { Weighting::Average, Weighting::Gaussian, Weighting::Hann, Weighting::Crop, Weighting::Custom })
    {
      SCOPED_TRACE(itk::ToString(weighting));
      ExpectRowByRowEqualsLineByLine<ImageType>(
        image, { { 12, 10, 8 } }, { { 6, 5, 3 } }, mode, [&](itk::PatchMerger<StackType> * merger) {
          PatchStreamingTest::ApplyWeighting(
            merger, PatchStreamingTest::MakeTestWeighting(weighting, merger->GetPatchGrid().GetPatchSize()));
        });
    }
  }
  // A background where no patch reaches; a stack that holds weighted values.
  ExpectRowByRowEqualsLineByLine<ImageType>(
    image, { { 11, 9, 7 } }, { { 4, 0, 2 } }, BorderMode::Crop, [](itk::PatchMerger<StackType> * merger) {
      merger->SetWeighting(Weighting::Gaussian);
      merger->SetBackgroundValue(-3.5f);
    });
  ExpectRowByRowEqualsLineByLine<ImageType>(
    image, { { 11, 9, 7 } }, { { 4, 3, 2 } }, BorderMode::Edge, [](itk::PatchMerger<StackType> * merger) {
      merger->SetWeighting(Weighting::Gaussian);
      merger->InputIsWeightedOn();
    });
}

TEST(PatchMergerStreaming, BothMergesReportProgressAndStopWhenAborted)
{
  const auto image = MakeArbitraryImage<ImageType>({ { 37, 23, 29 } }, 96);
  auto       extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 12, 10, 8 } }, { { 6, 5, 4 } }, BorderMode::Squeeze);
  extractor->UpdateLargestPossibleRegion();
  for (const bool lineByLine : { false, true })
  {
    SCOPED_TRACE(lineByLine ? "line by line" : "row by row");
    const auto makeMerger = [&] {
      auto lines = RecordingFilter<>::New();
      lines->SetInput(extractor->GetOutput());
      auto merger = itk::PatchMerger<StackType>::New();
      merger->SetInput(lineByLine ? lines->GetOutput() : extractor->GetOutput());
      merger->SetPatchGrid(extractor->GetPatchGrid());
      return std::make_pair(merger, lines);
    };
    // Progress rises from 0 to 1 in steps, sent from the updating thread.
    const auto         merging = makeMerger();
    const auto &       merger = merging.first;
    std::vector<float> progress;
    merger->AddObserver(itk::ProgressEvent(),
                        [&](const itk::EventObject &) { progress.push_back(merger->GetProgress()); });
    merger->Update();
    ASSERT_GE(progress.size(), 10u);
    EXPECT_EQ(progress.front(), 0.0f);
    EXPECT_EQ(progress.back(), 1.0f);
    EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
    // An abort requested at the first step past 0 stops the merge there.
    const auto aborting = makeMerger();
    const auto abortingMerger = aborting.first;
    bool       aborted = false;
    abortingMerger->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) {
      if (abortingMerger->GetProgress() > 0.0f)
      {
        abortingMerger->AbortGenerateDataOn();
      }
    });
    abortingMerger->AddObserver(itk::AbortEvent(), [&](const itk::EventObject &) { aborted = true; });
    EXPECT_THROW(abortingMerger->Update(), itk::ProcessAborted);
    EXPECT_TRUE(aborted);
  }
}

TEST(PatchMergerStreaming, RowByRowMergeOfOtherImagesIsBitIdenticalToLineByLine)
{
  // Two components.
  using VectorType = itk::VectorImage<float, 3>;
  ExpectRowByRowEqualsLineByLine<VectorType>(
    MakeArbitraryImage<VectorType>({ { 19, 14, 11 } }, 92, 2),
    { { 8, 6, 5 } },
    { { 4, 3, 2 } },
    BorderMode::Edge,
    [](itk::PatchMerger<itk::VectorImage<float, 4>> * merger) { merger->SetWeighting(Weighting::Gaussian); });
  // An integer output: sums in double, rounded.
  using ShortType = itk::Image<short, 3>;
  ExpectRowByRowEqualsLineByLine<ImageType, ShortType>(
    MakeArbitraryImage<ImageType>({ { 21, 17, 13 } }, 93, 1, 40.0f),
    { { 8, 6, 5 } },
    { { 4, 3, 2 } },
    BorderMode::Squeeze,
    [](itk::PatchMerger<StackType, ShortType> * merger) { merger->SetWeighting(Weighting::Gaussian); });
  // 2-D and 1-D.
  using Image2Type = itk::Image<float, 2>;
  ExpectRowByRowEqualsLineByLine<Image2Type>(
    MakeArbitraryImage<Image2Type>({ { 41, 35 } }, 94),
    { { 12, 9 } },
    { { 6, 4 } },
    BorderMode::Crop,
    [](itk::PatchMerger<itk::Image<float, 3>> * merger) { merger->SetWeighting(Weighting::Hann); });
  using Image1Type = itk::Image<float, 1>;
  ExpectRowByRowEqualsLineByLine<Image1Type>(
    MakeArbitraryImage<Image1Type>({ { 53 } }, 95),
    { { 10 } },
    { { 7 } },
    BorderMode::Edge,
    [](itk::PatchMerger<itk::Image<float, 2>> * merger) { merger->SetWeighting(Weighting::Gaussian); });
}
} // namespace
