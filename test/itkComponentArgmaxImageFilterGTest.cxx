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
// ComponentArgmaxImageFilter: labels against a nested loop, ties, NaN, the
// output type's range, argmax of streamed merged probabilities, and the
// input streamed in slabs (adjacent merger requests, every patch once).
#include "itkComponentArgmaxImageFilter.h"
#include "itkPatchByPatchImageFilter.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"
#include "itkSyntheticClassModelImageFilter.h"

#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>
#include <vector>
#include <limits>
#include <sstream>

namespace
{
using namespace PatchStreamingTest;
using ProbabilitiesType = itk::VectorImage<float, 3>;
using LabelType = itk::Image<unsigned char, 3>;

/** The nested-loop argmax: the first largest component. */
LabelType::Pointer
ReferenceArgmax(const ProbabilitiesType * probabilities)
{
  auto labels = PatchStreamingTest::MakeImageLike<LabelType>(probabilities, false);
  for (itk::ImageRegionIteratorWithIndex<LabelType> it(labels, labels->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    const auto   pixel = probabilities->GetPixel(it.GetIndex());
    unsigned int best = 0;
    for (unsigned int c = 1; c < pixel.GetSize(); ++c)
    {
      best = pixel[c] > pixel[best] ? c : best;
    }
    it.Set(static_cast<unsigned char>(best));
  }
  return labels;
}

/** extractor -> synthetic 7-class model per patch -> merger (Gaussian) -> argmax, and the labels of the whole merge. */
struct ClassPipeline
{
  using ProbabilityStackType = itk::VectorImage<float, 4>;
  using PerPatchType = itk::PatchByPatchImageFilter<itk::Image<float, 4>, ProbabilityStackType>;
  using MergerType = itk::PatchMerger<ProbabilityStackType, ProbabilitiesType>;
  using ArgmaxType = itk::ComponentArgmaxImageFilter<ProbabilitiesType>;

  explicit ClassPipeline(const ImageType * image)
    : extractor(PatchStreamingTest::MakeExtractor<ImageType>(image,
                                                             { { 12, 10, 9 } },
                                                             { { 6, 5, 4 } },
                                                             itk::PatchStreamingEnums::BorderMode::Squeeze))
  {
    auto model = itk::SyntheticClassModelImageFilter<ImageType, ProbabilitiesType>::New();
    model->SetNumberOfClasses(7);
    model->SetIntensityRange(-64.0, 64.0);
    perPatch->SetInput(extractor->GetOutput());
    perPatch->SetFilter(model);
    perPatch->AddObserver(itk::IterationEvent(), [this](const itk::EventObject &) { ++patchesComputed; });
    merger->SetInput(perPatch->GetOutput());
    merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
    merger->Update();
    reference = ReferenceArgmax(merger->GetOutput());
    merger->AddObserver(itk::StartEvent(), [this](const itk::EventObject &) {
      const auto & request = merger->GetOutput()->GetRequestedRegion();
      largestRequest = std::max(largestRequest, request.GetNumberOfPixels());
      largestRequestSlices = std::max(largestRequestSlices, request.GetSize(2));
      ++mergerRequests;
    });
    argmax->SetInput(merger->GetOutput());
  }

  /** Forgets the counts and makes the next update compute every patch again. */
  void
  ResetCounts()
  {
    perPatch->Modified();
    patchesComputed = 0;
    largestRequest = 0;
    largestRequestSlices = 0;
    mergerRequests = 0;
  }

  typename itk::PatchExtractor<ImageType>::Pointer extractor;
  PerPatchType::Pointer                            perPatch{ PerPatchType::New() };
  MergerType::Pointer                              merger{ MergerType::New() };
  ArgmaxType::Pointer                              argmax{ ArgmaxType::New() };
  LabelType::Pointer                               reference{};
  itk::SizeValueType                               patchesComputed{ 0 };
  itk::SizeValueType                               largestRequest{ 0 };
  itk::SizeValueType                               largestRequestSlices{ 0 };
  itk::SizeValueType                               mergerRequests{ 0 };
};

/** A StreamingImageFilter of `divisions` behind `labels`. */
itk::StreamingImageFilter<LabelType, LabelType>::Pointer
MakeStreamer(LabelType * labels, unsigned int divisions)
{
  auto streamer = itk::StreamingImageFilter<LabelType, LabelType>::New();
  streamer->SetInput(labels);
  streamer->SetNumberOfStreamDivisions(divisions);
  return streamer;
}

TEST(ComponentArgmaxImageFilter, LabelsAreTheFirstLargestComponent)
{
  auto scores = PatchStreamingTest::MakeRandomImage<ProbabilitiesType>({ { 17, 12, 9 } }, 71, 6);
  // Ties: every component of one voxel equal, and a tie between 2 and 4.
  ProbabilitiesType::PixelType tie(6);
  tie.Fill(1.5f);
  scores->SetPixel({ { 0, 0, 0 } }, tie);
  tie[2] = 9.0f;
  tie[4] = 9.0f;
  scores->SetPixel({ { 1, 0, 0 } }, tie);
  // NaN never wins; all NaN gives 0.
  ProbabilitiesType::PixelType nans(6);
  nans.Fill(std::numeric_limits<float>::quiet_NaN());
  nans[3] = -1.0f;
  scores->SetPixel({ { 2, 0, 0 } }, nans);
  nans[3] = std::numeric_limits<float>::quiet_NaN();
  scores->SetPixel({ { 3, 0, 0 } }, nans);

  auto argmax = itk::ComponentArgmaxImageFilter<ProbabilitiesType>::New();
  argmax->SetInput(scores);
  argmax->Update();
  const LabelType * labels = argmax->GetOutput();
  EXPECT_EQ(labels->GetPixel({ { 0, 0, 0 } }), 0);
  EXPECT_EQ(labels->GetPixel({ { 1, 0, 0 } }), 2);
  EXPECT_EQ(labels->GetPixel({ { 2, 0, 0 } }), 3);
  EXPECT_EQ(labels->GetPixel({ { 3, 0, 0 } }), 0);
  auto clean = PatchStreamingTest::MakeRandomImage<ProbabilitiesType>({ { 17, 12, 9 } }, 71, 6);
  argmax->SetInput(clean);
  argmax->Update();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
              ReferenceArgmax(clean).GetPointer(), argmax->GetOutput(), clean->GetLargestPossibleRegion()),
            "");
  EXPECT_EQ(argmax->GetOutput()->GetSpacing(), clean->GetSpacing());
  EXPECT_EQ(argmax->GetOutput()->GetDirection(), clean->GetDirection());

  // Image<Vector> input too.
  using VectorImageType = itk::Image<itk::Vector<double, 3>, 2>;
  const auto vectors = PatchStreamingTest::MakeRandomImage<VectorImageType>({ { 11, 7 } }, 72, 3);
  auto       vectorArgmax = itk::ComponentArgmaxImageFilter<VectorImageType>::New();
  vectorArgmax->SetInput(vectors);
  vectorArgmax->Update();
  for (itk::ImageRegionConstIteratorWithIndex<VectorImageType> it(vectors, vectors->GetBufferedRegion()); !it.IsAtEnd();
       ++it)
  {
    const auto & v = it.Get();
    const int    expected = v[0] >= v[1] ? (v[0] >= v[2] ? 0 : 2) : (v[1] >= v[2] ? 1 : 2);
    ASSERT_EQ(vectorArgmax->GetOutput()->GetPixel(it.GetIndex()), expected) << it.GetIndex();
  }
}

/** The label by its definition, written another way than the filter: the first class whose
 * score equals the largest of the scores that are numbers; 0 when none is. */
template <typename TScore>
unsigned int
LabelByDefinition(const std::vector<TScore> & scores)
{
  std::vector<TScore> numbers;
  std::copy_if(scores.begin(), scores.end(), std::back_inserter(numbers), [](TScore v) { return !std::isnan(v); });
  if (numbers.empty())
  {
    return 0;
  }
  const TScore largest = *std::max_element(numbers.begin(), numbers.end());
  return static_cast<unsigned int>(std::find(scores.begin(), scores.end(), largest) - scores.begin());
}

/** Rows of 1 to 11 voxels of 1 to 18 classes drawn from {NaN, -inf, -1, 0, 0.5, +inf}: ties,
 * NaN first, last and everywhere, infinities, in every lane of the 4 voxels done at once. */
template <typename TScore>
void
ExpectLabelsByDefinitionForEveryNumberOfClasses()
{
  using ScoresType = itk::VectorImage<TScore, 2>;
  constexpr TScore nan = std::numeric_limits<TScore>::quiet_NaN();
  constexpr TScore inf = std::numeric_limits<TScore>::infinity();
  const TScore     values[] = { nan, -inf, -1, 0, 0.5, inf };
  std::mt19937     generator(2026);
  for (unsigned int classes = 2; classes <= 18; ++classes) // one throws (FewerThanTwoComponentsThrow)
  {
    for (itk::SizeValueType length = 1; length <= 11; ++length)
    {
      auto scores = ScoresType::New();
      scores->SetRegions(typename ScoresType::SizeType{ { length, 40 } });
      scores->SetNumberOfComponentsPerPixel(classes);
      scores->Allocate();
      std::uniform_int_distribution<int> pick(0, 5);
      std::generate_n(scores->GetBufferPointer(), length * 40 * classes, [&] { return values[pick(generator)]; });
      auto argmax = itk::ComponentArgmaxImageFilter<ScoresType, itk::Image<unsigned char, 2>>::New();
      argmax->SetInput(scores);
      argmax->Update();
      for (itk::ImageRegionConstIteratorWithIndex<ScoresType> it(scores, scores->GetBufferedRegion()); !it.IsAtEnd();
           ++it)
      {
        const auto                pixel = it.Get();
        const std::vector<TScore> voxel(pixel.GetDataPointer(), pixel.GetDataPointer() + classes);
        ASSERT_EQ(argmax->GetOutput()->GetPixel(it.GetIndex()), LabelByDefinition(voxel))
          << classes << " classes, row of " << length << ", voxel " << it.GetIndex();
      }
    }
  }
}

TEST(ComponentArgmaxImageFilter, LabelsOfNaNTiesAndInfinitiesForEveryNumberOfClassesAndRowLength)
{
  ExpectLabelsByDefinitionForEveryNumberOfClasses<float>();  // 4 voxels at once (SSE on x86-64)
  ExpectLabelsByDefinitionForEveryNumberOfClasses<double>(); // one by one
}

/** helper-80: one component gave 0 everywhere without a word (the merger refuses the same case). */
TEST(ComponentArgmaxImageFilter, FewerThanTwoComponentsThrow)
{
  auto argmax = itk::ComponentArgmaxImageFilter<ProbabilitiesType>::New();
  argmax->SetInput(PatchStreamingTest::MakeRandomImage<ProbabilitiesType>({ { 4, 3, 2 } }, 73, 1));
  PatchStreamingTest::ExpectExceptionMentioning([&] { argmax->Update(); },
                                                "the input has 1 component per pixel, whose argmax is 0 everywhere: "
                                                "expected 2 or more");
}

TEST(ComponentArgmaxImageFilter, TooManyClassesForTheLabelTypeThrows)
{
  const auto scores = PatchStreamingTest::MakeRandomImage<ProbabilitiesType>({ { 4, 3, 2 } }, 73, 300);
  auto       argmax = itk::ComponentArgmaxImageFilter<ProbabilitiesType>::New();
  argmax->SetInput(scores);
  PatchStreamingTest::ExpectExceptionMentioning([&] { argmax->Update(); }, "the input has 300 components");
  auto wide = itk::ComponentArgmaxImageFilter<ProbabilitiesType, itk::Image<unsigned short, 3>>::New();
  wide->SetInput(scores);
  EXPECT_NO_THROW(wide->Update());
}

TEST(ComponentArgmaxImageFilter, ArgmaxOfStreamedMergedProbabilitiesEqualsArgmaxOfTheFullMerge)
{
  const auto    image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 41, 30, 26 } }, 74);
  ClassPipeline pipeline(image);
  auto          streamer = MakeStreamer(pipeline.argmax->GetOutput(), 6);
  pipeline.merger->Modified(); // merge again, streamed
  streamer->Update();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
              pipeline.reference.GetPointer(), streamer->GetOutput(), image->GetLargestPossibleRegion()),
            "");
  // The argmax asked the merger for one division at a time, never all C channels of the image.
  EXPECT_LE(pipeline.largestRequest, image->GetLargestPossibleRegion().GetNumberOfPixels() / 5);
}

TEST(ComponentArgmaxImageFilter, SlabsAreAdjacentMergerRequestsThatComputeEveryPatchOnce)
{
  // Odd sizes, a start index off zero, anisotropic spacing, an oblique direction.
  const auto    image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 31, 24, 27 } }, 76, 1, { { 2, -3, 5 } });
  ClassPipeline pipeline(image);
  const auto    patches = pipeline.extractor->GetPatchGrid().GetNumberOfPatches();
  EXPECT_EQ(pipeline.argmax->GetSlabThickness(), 0u);
  for (const unsigned int divisions : { 1u, 3u, 4u })
  {
    auto                     streamer = MakeStreamer(pipeline.argmax->GetOutput(), divisions);
    const itk::SizeValueType division = (27 + divisions - 1) / divisions; // the thickest division
    for (const itk::SizeValueType slab : { 1u, 5u, 40u })
    {
      pipeline.argmax->SetSlabThickness(slab);
      pipeline.ResetCounts();
      streamer->Update();
      const std::string configuration = std::to_string(divisions) + " divisions, slabs of " + std::to_string(slab);
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
                  pipeline.reference.GetPointer(), streamer->GetOutput(), image->GetLargestPossibleRegion()),
                "")
        << configuration;
      EXPECT_EQ(pipeline.patchesComputed, patches) << configuration;
      // Fails without slabs: the merger is then asked for a whole division.
      EXPECT_LE(pipeline.largestRequestSlices, std::min(slab, division)) << configuration;
      EXPECT_GE(pipeline.mergerRequests, (27 + slab - 1) / slab) << configuration;
    }
  }
}

TEST(ComponentArgmaxImageFilter, AnImageInMemoryIsReadInOnePiece)
{
  const auto scores =
    PatchStreamingTest::MakeRandomImage<ProbabilitiesType>({ { 13, 11, 9 } }, 75, 5, { { 1, -2, 3 } });
  const auto reference = ReferenceArgmax(scores);
  auto       argmax = itk::ComponentArgmaxImageFilter<ProbabilitiesType>::New();
  argmax->SetInput(scores);
  argmax->SetSlabThickness(2);
  argmax->Update();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
              reference.GetPointer(), argmax->GetOutput(), scores->GetLargestPossibleRegion()),
            "");
  EXPECT_EQ(scores->GetRequestedRegion(), scores->GetLargestPossibleRegion());

  auto streamer = MakeStreamer(argmax->GetOutput(), 3);
  argmax->Modified(); // compute again, division by division
  streamer->Update();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
              reference.GetPointer(), streamer->GetOutput(), scores->GetLargestPossibleRegion()),
            "");
  // The last division, as without slabs: the image is left with the region it was read for.
  EXPECT_EQ(scores->GetRequestedRegion(), argmax->GetOutput()->GetRequestedRegion());
  EXPECT_EQ(scores->GetRequestedRegion().GetSize(2), 3u);
}

TEST(ComponentArgmaxImageFilter, SlabProgressRisesToOneAndAbortStopsTheSlabs)
{
  const auto    image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 23, 20, 21 } }, 77);
  ClassPipeline pipeline(image);
  pipeline.argmax->SetSlabThickness(3);
  std::vector<float> progress;
  const auto         observer = pipeline.argmax->AddObserver(
    itk::ProgressEvent(), [&](const itk::EventObject &) { progress.push_back(pipeline.argmax->GetProgress()); });
  pipeline.ResetCounts();
  pipeline.argmax->Update();
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_FLOAT_EQ(progress.back(), 1.0f);
  EXPECT_GE(std::count_if(progress.begin(), progress.end(), [](float p) { return p > 0.0f && p < 1.0f; }), 6);
  EXPECT_EQ(pipeline.mergerRequests, 7u);
  pipeline.argmax->RemoveObserver(observer);

  pipeline.argmax->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) {
    if (pipeline.argmax->GetProgress() > 0.3f)
    {
      pipeline.argmax->AbortGenerateDataOn();
    }
  });
  pipeline.ResetCounts();
  EXPECT_THROW(pipeline.argmax->Update(), itk::ProcessAborted);
  EXPECT_LT(pipeline.mergerRequests, 7u);
}

TEST(ComponentArgmaxImageFilter, SlabThicknessIsPrinted)
{
  auto argmax = itk::ComponentArgmaxImageFilter<ProbabilitiesType>::New();
  argmax->SetSlabThickness(8);
  EXPECT_EQ(argmax->GetSlabThickness(), 8u);
  std::ostringstream printed;
  argmax->Print(printed);
  EXPECT_NE(printed.str().find("SlabThickness: 8"), std::string::npos) << printed.str();
}
} // namespace
