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
// SeparableGaussianWeighting: the weighted stack against the closed form, the
// N-D window as the outer product of the profiles, bit-identical merges of a
// pre-weighted stack, streaming of any requested stack region.
#include "itkPatchMergeReference.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"
#include "itkSeparableGaussianWeighting.h"

#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

namespace
{
using BorderMode = itk::PatchStreamingEnums::BorderMode;
using Weighting = itk::PatchStreamingEnums::Weighting;
using ImageType = itk::Image<float, 3>;
using StackType = itk::Image<float, 4>;
using WeightingFilterType = itk::SeparableGaussianWeighting<StackType>;
using PatchStreamingTest::MakeExtractor;
using PatchStreamingTest::ClosedFormGaussian;

TEST(SeparableGaussianWeighting, ProfilesAreTheClosedFormAndTheWindowImageTheirOuterProduct)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 30, 21, 16 } }, 51, 1, { { 4, -2, 1 } });
  auto       extractor = MakeExtractor<ImageType>(image, { { 10, 7, 6 } }, { { 4, 3, 2 } }, BorderMode::Adaptive);
  auto       weighting = WeightingFilterType::New();
  weighting->SetInput(extractor->GetOutput());
  weighting->SetSigmaScale(0.2);
  weighting->SetMinimumWeight(0.05);
  weighting->UpdateOutputInformation();
  const auto & grid = weighting->GetPatchGrid();
  ASSERT_EQ(grid, extractor->GetPatchGrid());

  std::vector<std::vector<double>> profiles;
  for (unsigned int d = 0; d < 3; ++d)
  {
    profiles.push_back(weighting->GetProfile(d));
    ASSERT_EQ(profiles[d].size(), grid.GetPatchSize()[d]);
    for (itk::SizeValueType t = 0; t < profiles[d].size(); ++t)
    {
      ASSERT_NEAR(profiles[d][t], ClosedFormGaussian(t, grid.GetPatchSize()[d], 0.2, 0.05), 1e-12)
        << "axis " << d << " t " << t;
    }
  }

  // Patch 0 is full length on every axis: its window is the outer product of the three profiles.
  const auto window = weighting->GetWindowImage(0);
  EXPECT_EQ(window->GetLargestPossibleRegion().GetSize(), grid.GetPatchSize());
  EXPECT_EQ(window->GetSpacing(), image->GetSpacing());
  EXPECT_EQ(window->GetDirection(), image->GetDirection());
  EXPECT_EQ(window->GetOrigin(), grid.GetPatchOrigin(0));
  for (itk::ImageRegionConstIteratorWithIndex<itk::Image<double, 3>> it(window, window->GetBufferedRegion());
       !it.IsAtEnd();
       ++it)
  {
    const auto & t = it.GetIndex();
    ASSERT_NEAR(it.Get(), profiles[0][t[0]] * profiles[1][t[1]] * profiles[2][t[2]], 1e-15) << t;
  }

  // The last patch of an Adaptive grid is shorter on every axis: its window is
  // the product of profiles of the shorter lengths, 0 past them.
  const auto last = grid.GetNumberOfPatches() - 1;
  const auto lastWindow = weighting->GetWindowImage(last);
  EXPECT_EQ(lastWindow->GetOrigin(), grid.GetPatchOrigin(last));
  for (itk::ImageRegionConstIteratorWithIndex<itk::Image<double, 3>> it(lastWindow, lastWindow->GetBufferedRegion());
       !it.IsAtEnd();
       ++it)
  {
    double expected = 1.0;
    for (unsigned int d = 0; d < 3; ++d)
    {
      const auto length = grid.GetAxisLayout(d).GetWindowLength(grid.GetAxisLayout(d).GetNumberOfPositions() - 1);
      ASSERT_LT(length, grid.GetPatchSize()[d]);
      expected *= it.GetIndex()[d] < static_cast<itk::IndexValueType>(length)
                    ? ClosedFormGaussian(it.GetIndex()[d], length, 0.2, 0.05)
                    : 0.0;
    }
    ASSERT_NEAR(it.Get(), expected, 1e-15) << it.GetIndex();
  }
}

TEST(SeparableGaussianWeighting, WeightedStackIsEachVoxelTimesTheClosedFormWindow)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 27, 19, 14 } }, 52);
  for (const BorderMode mode : { BorderMode::Squeeze, BorderMode::Adaptive, BorderMode::Pad })
  {
    SCOPED_TRACE(itk::ToString(mode));
    auto extractor = MakeExtractor<ImageType>(image, { { 9, 8, 5 } }, { { 4, 3, 2 } }, mode);
    extractor->Update();
    const auto & grid = extractor->GetPatchGrid();
    const auto   profile = PatchStreamingTest::MakeReferenceProfile(grid, { Weighting::Gaussian });
    auto         weighting = WeightingFilterType::New();
    weighting->SetInput(extractor->GetOutput());
    weighting->InPlaceOff(); // keep the extractor's stack for the comparison
    weighting->Update();
    const StackType * stack = extractor->GetOutput();
    for (itk::ImageRegionConstIteratorWithIndex<StackType> it(weighting->GetOutput(),
                                                              stack->GetLargestPossibleRegion());
         !it.IsAtEnd();
         ++it)
    {
      const auto & x = it.GetIndex();
      const auto   gridIndex = grid.GetGridIndex(static_cast<itk::SizeValueType>(x[3]));
      double       w = 1.0;
      for (unsigned int d = 0; d < 3; ++d)
      {
        w *= profile(d, static_cast<itk::SizeValueType>(gridIndex[d]), x[d]);
      }
      const double expected = w * stack->GetPixel(x);
      ASSERT_NEAR(it.Get(), expected, 1e-6 * std::max(std::abs(expected), 1.0)) << x;
    }
  }
}

/** merge(weight(stack), InputIsWeighted) must equal merge(stack, Gaussian) bit for bit. */
template <typename TStack, typename TOutput>
void
ExpectPreWeightedMergeIsBitIdentical(const TStack * stack, double sigmaScale, double minimumWeight)
{
  auto direct = itk::PatchMerger<TStack, TOutput>::New();
  direct->SetInput(stack);
  direct->SetWeighting(Weighting::Gaussian);
  direct->SetSigmaScale(sigmaScale);
  direct->SetMinimumWeight(minimumWeight);
  direct->Update();

  auto weighting = itk::SeparableGaussianWeighting<TStack>::New();
  weighting->SetInput(stack);
  weighting->SetSigmaScale(sigmaScale);
  weighting->SetMinimumWeight(minimumWeight);
  weighting->InPlaceOff();
  auto weighted = itk::PatchMerger<TStack, TOutput>::New();
  weighted->SetInput(weighting->GetOutput()); // the grid comes through the weighting's metadata
  weighted->SetWeighting(Weighting::Gaussian);
  weighted->SetSigmaScale(sigmaScale);
  weighted->SetMinimumWeight(minimumWeight);
  weighted->InputIsWeightedOn();
  weighted->Update();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
              direct->GetOutput(), weighted->GetOutput(), direct->GetOutput()->GetLargestPossibleRegion()),
            "");
}

TEST(SeparableGaussianWeighting, PreWeightedMergeIsBitIdenticalToTheGaussianMerge)
{
  auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 33, 22, 17 } }, 53, 1, { { 1, 1, -3 } });
  for (itk::ImageRegionIterator<ImageType> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(std::sin(it.Get()) * 2.3f); // arbitrary floats
  }
  for (const BorderMode mode :
       { BorderMode::Squeeze, BorderMode::Edge, BorderMode::Adaptive, BorderMode::Crop, BorderMode::Pad })
  {
    SCOPED_TRACE(itk::ToString(mode));
    auto extractor = MakeExtractor<ImageType>(image, { { 12, 9, 6 } }, { { 6, 4, 3 } }, mode);
    extractor->Update();
    ExpectPreWeightedMergeIsBitIdentical<StackType, ImageType>(extractor->GetOutput(), 0.125, 1e-3);
    ExpectPreWeightedMergeIsBitIdentical<StackType, itk::Image<double, 3>>(extractor->GetOutput(), 0.07, 0.01);
    ExpectPreWeightedMergeIsBitIdentical<StackType, itk::Image<unsigned char, 3>>(extractor->GetOutput(), 0.125, 1e-3);
  }
  // Multi-component and double stacks.
  using VectorImageType = itk::VectorImage<double, 3>;
  using VectorStackType = itk::VectorImage<double, 4>;
  const auto vectors = PatchStreamingTest::MakeRandomImage<VectorImageType>({ { 21, 18, 13 } }, 54, 2);
  auto       vectorExtractor = itk::PatchExtractor<VectorImageType, VectorStackType>::New();
  vectorExtractor->SetInput(vectors);
  vectorExtractor->SetPatchSize({ { 8, 7, 6 } });
  vectorExtractor->SetPatchOverlap({ { 4, 3, 3 } });
  vectorExtractor->Update();
  ExpectPreWeightedMergeIsBitIdentical<VectorStackType, VectorImageType>(vectorExtractor->GetOutput(), 0.125, 1e-3);
}

TEST(SeparableGaussianWeighting, AnyRequestedStackRegionIsWeightedAlone)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 29, 20, 15 } }, 55);
  auto       extractor = MakeExtractor<ImageType>(image, { { 10, 8, 6 } }, { { 5, 4, 3 } }, BorderMode::Edge);
  auto       whole = WeightingFilterType::New();
  whole->SetInput(extractor->GetOutput());
  whole->InPlaceOff();
  whole->Update();
  for (const unsigned int divisions : { 1u, 3u, 7u })
  {
    SCOPED_TRACE("divisions " + std::to_string(divisions));
    auto weighting = WeightingFilterType::New();
    weighting->SetInput(extractor->GetOutput());
    weighting->InPlaceOff();
    std::vector<StackType::RegionType> inputRequests;
    weighting->AddObserver(itk::StartEvent(), [&](const itk::EventObject &) {
      inputRequests.push_back(extractor->GetOutput()->GetRequestedRegion());
      EXPECT_EQ(extractor->GetOutput()->GetRequestedRegion(), weighting->GetOutput()->GetRequestedRegion());
    });
    auto streamer = itk::StreamingImageFilter<StackType, StackType>::New();
    streamer->SetInput(weighting->GetOutput());
    streamer->SetNumberOfStreamDivisions(divisions);
    streamer->Update();
    const auto & stackRegion = whole->GetOutput()->GetLargestPossibleRegion();
    EXPECT_EQ(inputRequests.size(), streamer->GetRegionSplitter()->GetNumberOfSplits(stackRegion, divisions));
    for (const auto & request : inputRequests)
    {
      // Each division pulls only its own part of the stack.
      EXPECT_EQ(request.GetNumberOfPixels() < stackRegion.GetNumberOfPixels(), divisions > 1) << request;
    }
    EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
                whole->GetOutput(), streamer->GetOutput(), whole->GetOutput()->GetLargestPossibleRegion()),
              "");
  }
}

TEST(SeparableGaussianWeighting, RunsInPlaceOnTheStacksBuffer)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 20, 14, 9 } }, 56);
  auto       extractor = MakeExtractor<ImageType>(image, { { 8, 6, 5 } }, { { 2, 2, 1 } }, BorderMode::Squeeze);
  extractor->Update();
  const float * stackBuffer = extractor->GetOutput()->GetBufferPointer();
  auto          weighting = WeightingFilterType::New();
  weighting->SetInput(extractor->GetOutput());
  weighting->Update();
  EXPECT_EQ(weighting->GetOutput()->GetBufferPointer(), stackBuffer);
}

TEST(SeparableGaussianWeighting, ProgressRisesToOneWithAnyNumberOfWorkUnits)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 67, 53, 49 } }, 57);
  auto       extractor = MakeExtractor<ImageType>(image, { { 16, 16, 16 } }, { { 8, 8, 8 } }, BorderMode::Squeeze);
  auto       weighting = WeightingFilterType::New();
  weighting->SetInput(extractor->GetOutput());
  weighting->InPlaceOff();
  for (const itk::ThreadIdType workUnits : { 1, 2, 3, 4 })
  {
    SCOPED_TRACE(workUnits);
    PatchStreamingTest::ExpectProgressRisesToOne(PatchStreamingTest::RecordProgress(weighting, workUnits), 20);
  }
}

TEST(SeparableGaussianWeighting, BadInputThrowsNamingTheProblem)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 20, 16, 12 } }, 57);
  auto       extractor = MakeExtractor<ImageType>(image, { { 8, 8, 6 } }, { { 4, 4, 2 } }, BorderMode::Edge);
  extractor->Update();

  auto bare = StackType::New(); // no metadata, no grid set
  bare->SetRegions(extractor->GetOutput()->GetLargestPossibleRegion());
  bare->Allocate(true);
  auto noGrid = WeightingFilterType::New();
  noGrid->SetInput(bare);
  PatchStreamingTest::ExpectExceptionMentioning([&] { noGrid->Update(); }, "PatchGrid is not set");
  PatchStreamingTest::ExpectExceptionMentioning([&] { noGrid->GetProfile(0); }, "PatchGrid is not set");

  auto weighting = WeightingFilterType::New();
  weighting->SetInput(extractor->GetOutput());
  weighting->SetSigmaScale(0.0);
  PatchStreamingTest::ExpectExceptionMentioning([&] { weighting->Update(); }, "SigmaScale = 0");
  weighting->SetSigmaScale(0.125);
  weighting->SetMinimumWeight(-1.0);
  PatchStreamingTest::ExpectExceptionMentioning([&] { weighting->Update(); }, "MinimumWeight = -1");
  weighting->SetSigmaScale(0.01);
  weighting->SetMinimumWeight(1e-13); // a 3-D window floor of 1e-39: below float's min / epsilon
  PatchStreamingTest::ExpectExceptionMentioning([&] { weighting->Update(); }, "raise MinimumWeight to at least");
  weighting->SetSigmaScale(0.125);
  weighting->SetMinimumWeight(1e-3);
  weighting->UpdateOutputInformation();
  PatchStreamingTest::ExpectExceptionMentioning([&] { weighting->GetProfile(3); }, "GetProfile axis = 3");
  const auto patches = weighting->GetPatchGrid().GetNumberOfPatches();
  PatchStreamingTest::ExpectExceptionMentioning([&] { weighting->GetWindowImage(patches); },
                                                "GetWindowImage patch = " + std::to_string(patches));

  // A stack whose patch size differs from the grid's.
  auto wrongSize = StackType::New();
  auto size = bare->GetLargestPossibleRegion().GetSize();
  size[0] = 9;
  wrongSize->SetRegions(size);
  wrongSize->Allocate(true);
  auto mismatched = WeightingFilterType::New();
  mismatched->SetInput(wrongSize);
  mismatched->SetPatchGrid(extractor->GetPatchGrid());
  PatchStreamingTest::ExpectExceptionMentioning([&] { mismatched->Update(); }, "stack size[0] = 9");
}
} // namespace
