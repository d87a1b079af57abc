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
// PatchMerger's weightings (Average, Gaussian, Hann, Crop, Custom) against the
// brute-force reference, constant images, high overlap, multi-channel stacks.
#include "itkMultiplyImageFilter.h"
#include "itkPatchMergeReference.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"
#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <array>
#include <cmath>
#include <limits>

namespace
{
using namespace PatchStreamingTest;

struct ModeCase
{
  BorderMode mode;
  bool       padOverlap;
};
const ModeCase  EveryBorderMode[] = { { BorderMode::Squeeze, false },  { BorderMode::Edge, false },
                                      { BorderMode::Adaptive, false }, { BorderMode::Crop, false },
                                      { BorderMode::Pad, false },      { BorderMode::Pad, true } };
const Weighting EveryWeighting[] = { Weighting::Average,
                                     Weighting::Gaussian,
                                     Weighting::Hann,
                                     Weighting::Crop,
                                     Weighting::Custom };

std::string
Describe(const ModeCase & c, const PatchStreamingTest::ReferenceWeighting & w)
{
  return itk::ToString(c.mode) + (c.padOverlap ? "+PadOverlap " : " ") + itk::ToString(w.Weighting) + " sigma " +
         std::to_string(w.SigmaScale);
}

/** The weightings the tests sweep: each mode with defaults, and narrow and wide Gaussians. */
std::vector<PatchStreamingTest::ReferenceWeighting>
WeightingsToTest(const ImageType::SizeType & patch)
{
  std::vector<PatchStreamingTest::ReferenceWeighting> weightings;
  for (const Weighting weighting : EveryWeighting)
  {
    weightings.push_back(PatchStreamingTest::MakeTestWeighting(weighting, patch));
  }
  for (const double sigmaScale : { 0.05, 0.5 })
  {
    weightings.push_back(PatchStreamingTest::MakeTestWeighting(Weighting::Gaussian, patch));
    weightings.back().SigmaScale = sigmaScale;
  }
  return weightings;
}

/** The merge of `stack` into a TOutput image with the given weighting and background. */
template <typename TOutput = ImageType, typename TStack = StackType>
typename TOutput::Pointer
Merge(const TStack *                                  stack,
      const itk::PatchGrid<TOutput::ImageDimension> & grid,
      const PatchStreamingTest::ReferenceWeighting &  weighting,
      float                                           background)
{
  auto merger = itk::PatchMerger<TStack, TOutput>::New();
  merger->SetInput(stack);
  merger->SetPatchGrid(grid);
  merger->SetBackgroundValue(background);
  PatchStreamingTest::ApplyWeighting(merger.GetPointer(), weighting);
  merger->Update();
  return merger->GetOutput();
}

/** How Merge of `stack` into a TOutput differs from the nested-loop reference
 * (in double) over `region`, to a relative 1e-6: empty when it does not. */
template <typename TOutput, typename TStack>
std::string
DifferencesFromTheReference(const TStack *                                  stack,
                            const itk::PatchGrid<TOutput::ImageDimension> & grid,
                            const PatchStreamingTest::ReferenceWeighting &  weighting,
                            float                                           background,
                            const typename TOutput::RegionType &            region)
{
  const auto reference = PatchStreamingTest::NestedLoopMerge<itk::Image<double, TOutput::ImageDimension>>(
    stack, grid, PatchStreamingTest::MakeReferenceProfile(grid, weighting), background);
  const auto merged = Merge<TOutput>(stack, grid, weighting, background);
  return PatchStreamingTest::DescribeDifferences(
    reference.GetPointer(), merged.GetPointer(), region, PatchStreamingTest::WithinRelative(1e-6));
}

TEST(PatchMergerWeighting, ConstantImageComesBackConstantForEveryWeightingAndBorderMode)
{
  // Weights that do not sum to one would show here as a non-constant result.
  const ImageType::SizeType patch{ { 9, 7, 5 } };
  auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 29, 19, 13 } }, 41, 1, { { -2, 5, 1 } });
  image->FillBuffer(3.7f);
  for (const auto & c : EveryBorderMode)
  {
    auto extractor = MakeExtractor<ImageType>(image, patch, { { 4, 3, 2 } }, c.mode, c.padOverlap);
    extractor->Update();
    const auto & grid = extractor->GetPatchGrid();
    // 3.7 where some patch covers the voxel (all but Crop's remainder), else the background.
    const auto expected = PatchStreamingTest::NestedLoopMerge<ImageType>(
      extractor->GetOutput(), grid, PatchStreamingTest::MakeReferenceProfile(grid, { Weighting::Average }), -1.0);
    for (const auto & weighting : WeightingsToTest(patch))
    {
      SCOPED_TRACE(Describe(c, weighting));
      const auto merged = Merge(extractor->GetOutput(), grid, weighting, -1.0f);
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(expected.GetPointer(),
                                                        merged.GetPointer(),
                                                        image->GetLargestPossibleRegion(),
                                                        PatchStreamingTest::WithinRelative(1e-6)),
                "");
      // A double output sums in double, but w v is formed in the float stack's precision.
      const auto mergedDouble = Merge<itk::Image<double, 3>>(extractor->GetOutput(), grid, weighting, -1.0f);
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(expected.GetPointer(),
                                                        mergedDouble.GetPointer(),
                                                        image->GetLargestPossibleRegion(),
                                                        PatchStreamingTest::WithinRelative(1e-7)),
                "");
    }
  }
}

TEST(PatchMergerWeighting, EveryWeightingAndBorderModeMatchesTheBruteForceReference)
{
  const ImageType::SizeType patch{ { 11, 8, 7 } };
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 31, 21, 17 } }, 42, 1, { { 3, -1, 0 } });
  for (const auto & c : EveryBorderMode)
  {
    auto extractor = MakeExtractor<ImageType>(image, patch, { { 5, 3, 4 } }, c.mode, c.padOverlap);
    extractor->Update();
    const auto & grid = extractor->GetPatchGrid();
    const auto   stack = PatchStreamingTest::PerturbedCopy<StackType>(extractor->GetOutput());
    for (const auto & weighting : WeightingsToTest(patch))
    {
      SCOPED_TRACE(Describe(c, weighting));
      EXPECT_EQ(DifferencesFromTheReference<ImageType>(
                  stack.GetPointer(), grid, weighting, -5.0f, image->GetLargestPossibleRegion()),
                "");
    }
  }
}

TEST(PatchMergerWeighting, TwoDimensionalMergesMatchTheReference)
{
  using Image2Type = itk::Image<float, 2>;
  using Stack2Type = itk::Image<float, 3>;
  const Image2Type::SizeType patch{ { 13, 6 } };
  const auto                 image = PatchStreamingTest::MakeRandomImage<Image2Type>({ { 40, 23 } }, 43);
  for (const BorderMode mode : { BorderMode::Squeeze, BorderMode::Adaptive, BorderMode::Pad })
  {
    auto extractor = MakeExtractor<Image2Type>(image, patch, { { 7, 2 } }, mode);
    extractor->Update();
    const auto & grid = extractor->GetPatchGrid();
    const auto   stack = PatchStreamingTest::PerturbedCopy<Stack2Type>(extractor->GetOutput());
    for (const Weighting weighting : EveryWeighting)
    {
      SCOPED_TRACE(itk::ToString(mode) + " " + itk::ToString(weighting));
      const auto settings = PatchStreamingTest::MakeTestWeighting(weighting, patch);
      EXPECT_EQ(DifferencesFromTheReference<Image2Type>(
                  stack.GetPointer(), grid, settings, 0.0f, image->GetLargestPossibleRegion()),
                "");
    }
  }
}

TEST(PatchMergerWeighting, OneDimensionalMergesMatchTheReferenceStreamedAndWithIntegerOutputs)
{
  // In 1-D axis 0 is both the row axis and the slowest axis: each patch is a line of its own.
  using Image1Type = itk::Image<float, 1>;
  using Stack1Type = itk::Image<float, 2>;
  const Image1Type::SizeType patch{ { 9 } };
  const auto                 image = PatchStreamingTest::MakeRandomImage<Image1Type>({ { 38 } }, 47, 1, { { -3 } });
  for (const auto & c : EveryBorderMode)
  {
    auto extractor = MakeExtractor<Image1Type>(image, patch, { { 4 } }, c.mode, c.padOverlap);
    extractor->Update();
    const auto & grid = extractor->GetPatchGrid();
    const auto   stack = PatchStreamingTest::PerturbedCopy<Stack1Type>(extractor->GetOutput());
    for (const Weighting weighting : EveryWeighting)
    {
      const auto settings = PatchStreamingTest::MakeTestWeighting(weighting, patch);
      SCOPED_TRACE(Describe(c, settings));
      const auto reference = PatchStreamingTest::NestedLoopMerge<itk::Image<double, 1>>(
        stack.GetPointer(), grid, PatchStreamingTest::MakeReferenceProfile(grid, settings), -1.0);

      auto merger = itk::PatchMerger<Stack1Type>::New();
      merger->SetInput(stack);
      merger->SetPatchGrid(grid);
      merger->SetBackgroundValue(-1.0f);
      PatchStreamingTest::ApplyWeighting(merger.GetPointer(), settings);
      merger->Update();
      const auto region = image->GetLargestPossibleRegion();
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
                  reference.GetPointer(), merger->GetOutput(), region, PatchStreamingTest::WithinRelative(1e-6)),
                "");

      // Five divisions (the sums carried across them) give the same bits.
      auto streamer = itk::StreamingImageFilter<Image1Type, Image1Type>::New();
      streamer->SetInput(merger->GetOutput());
      streamer->SetNumberOfStreamDivisions(5);
      streamer->Update();
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(merger->GetOutput(), streamer->GetOutput(), region), "");

      // A short output accumulates in the double ring of P one-voxel slices.
      auto scaled = itk::MultiplyImageFilter<Stack1Type>::New();
      scaled->SetInput(stack);
      scaled->SetConstant(100.0f);
      const auto shortMerged = Merge<itk::Image<short, 1>>(scaled->GetOutput(), grid, settings, -1.0f);
      scaled->UpdateLargestPossibleRegion(); // the merger left only its last line buffered
      const auto scaledReference = PatchStreamingTest::NestedLoopMerge<itk::Image<double, 1>>(
        scaled->GetOutput(), grid, PatchStreamingTest::MakeReferenceProfile(grid, settings), -1.0);
      for (itk::IndexValueType x = region.GetIndex(0); x <= region.GetUpperIndex()[0]; ++x)
      {
        EXPECT_NEAR(shortMerged->GetPixel({ { x } }), scaledReference->GetPixel({ { x } }), 0.5 + 1e-3)
          << "voxel " << x;
      }
    }
  }
}

TEST(PatchMergerWeighting, MoreThan255PatchesOnAVoxelMergeCorrectly)
{
  const ImageType::SizeType patch{ { 8, 8, 8 } };
  const auto                image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 19, 17, 15 } }, 44);
  auto                      extractor = MakeExtractor<ImageType>(image, patch, { { 7, 7, 7 } }, BorderMode::Squeeze);
  extractor->Update();
  const auto & grid = extractor->GetPatchGrid();
  const auto   stack = PatchStreamingTest::PerturbedCopy<StackType>(extractor->GetOutput());

  // 8 x 8 x 8 = 512 patches cover the central voxel: an 8-bit counter would wrap.
  const ImageType::IndexType center{ { 9, 8, 7 } };
  itk::SizeValueType         covering = 0;
  for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
  {
    covering += grid.GetPatchRegion(k).IsInside(center) ? 1 : 0;
  }
  ASSERT_EQ(covering, 512u);

  for (const Weighting weighting : { Weighting::Average, Weighting::Gaussian, Weighting::Hann })
  {
    SCOPED_TRACE(itk::ToString(weighting));
    const auto settings = PatchStreamingTest::MakeTestWeighting(weighting, patch);
    const auto reference = PatchStreamingTest::NestedLoopMerge<itk::Image<double, 3>>(
      stack.GetPointer(), grid, PatchStreamingTest::MakeReferenceProfile(grid, settings), 0.0);
    EXPECT_EQ(PatchStreamingTest::DescribeDifferences(reference.GetPointer(),
                                                      Merge(stack.GetPointer(), grid, settings, 0.0f).GetPointer(),
                                                      image->GetLargestPossibleRegion(),
                                                      PatchStreamingTest::WithinRelative(1e-5)),
              "");
    // Integer outputs accumulate in a double window: the reference rounded to
    // nearest (either neighbour where the reference sits on a tie, to rounding).
    using LabelType = itk::Image<short, 3>;
    const auto labels = Merge<LabelType>(stack.GetPointer(), grid, settings, 0.0f);
    EXPECT_EQ(PatchStreamingTest::DescribeDifferences(reference.GetPointer(),
                                                      labels.GetPointer(),
                                                      image->GetLargestPossibleRegion(),
                                                      [](double expected, short actual) {
                                                        return std::abs(static_cast<double>(actual) - expected) <=
                                                               0.5 + 1e-6 * std::max(std::abs(expected), 1.0);
                                                      }),
              "");
  }
}

/** A C-channel stack built from a scalar stack: channel c = v (c + 1) / 2 + (k mod (c + 2)) / 4. */
template <typename TMultiStack>
typename TMultiStack::Pointer
MakeChannels(const StackType * stack, unsigned int channels)
{
  auto multi = TMultiStack::New();
  multi->SetRegions(stack->GetLargestPossibleRegion());
  multi->SetNumberOfComponentsPerPixel(channels);
  multi->Allocate();
  for (itk::ImageRegionIteratorWithIndex<TMultiStack> it(multi, multi->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    auto pixel = it.Get();
    for (unsigned int c = 0; c < channels; ++c)
    {
      pixel[c] = stack->GetPixel(it.GetIndex()) * static_cast<float>(c + 1) / 2.0f +
                 static_cast<float>(it.GetIndex()[3] % (c + 2)) / 4.0f;
    }
    it.Set(pixel);
  }
  return multi;
}

/** Channel `channel` of a multi-channel stack as a scalar stack. */
template <typename TMultiStack>
StackType::Pointer
ChannelOf(const TMultiStack * multi, unsigned int channel)
{
  auto scalar = StackType::New();
  scalar->SetRegions(multi->GetLargestPossibleRegion());
  scalar->Allocate();
  for (itk::ImageRegionIteratorWithIndex<StackType> it(scalar, scalar->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(multi->GetPixel(it.GetIndex())[channel]);
  }
  return scalar;
}

template <typename TMultiStack, typename TMultiImage>
void
ExpectChannelsMergeLikeScalarMerges()
{
  // A 1-channel image in, a 3-channel stack out of a "network", merged with the image's grid.
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 27, 20, 15 } }, 45, 1, { { 0, 2, -1 } });
  auto       extractor = MakeExtractor<ImageType>(image, { { 10, 7, 6 } }, { { 5, 3, 3 } }, BorderMode::Adaptive);
  extractor->Update();
  const auto & grid = extractor->GetPatchGrid();
  auto         multi = MakeChannels<TMultiStack>(extractor->GetOutput(), 3);
  // The grid travels in the metadata, as it would from a model that passes it on.
  multi->SetMetaDataDictionary(extractor->GetOutput()->GetMetaDataDictionary());
  for (const Weighting weighting : { Weighting::Gaussian, Weighting::Crop, Weighting::Custom })
  {
    SCOPED_TRACE(itk::ToString(weighting));
    const auto settings = PatchStreamingTest::MakeTestWeighting(weighting, grid.GetPatchSize());
    auto       merger = itk::PatchMerger<TMultiStack, TMultiImage>::New();
    merger->SetInput(multi);
    PatchStreamingTest::ApplyWeighting(merger.GetPointer(), settings);
    merger->Update();
    const TMultiImage * merged = merger->GetOutput();
    ASSERT_EQ(merged->GetNumberOfComponentsPerPixel(), 3u);
    EXPECT_EQ(merged->GetLargestPossibleRegion(), image->GetLargestPossibleRegion());
    EXPECT_EQ(merged->GetSpacing(), image->GetSpacing());
    EXPECT_EQ(merged->GetOrigin(), image->GetOrigin());
    EXPECT_EQ(merged->GetDirection(), image->GetDirection());
    for (unsigned int c = 0; c < 3; ++c)
    {
      const auto         scalar = Merge(ChannelOf(multi.GetPointer(), c).GetPointer(), grid, settings, 0.0f);
      itk::SizeValueType differing = 0;
      for (itk::ImageRegionConstIteratorWithIndex<ImageType> it(scalar, scalar->GetBufferedRegion()); !it.IsAtEnd();
           ++it)
      {
        differing += merged->GetPixel(it.GetIndex())[c] == it.Get() ? 0 : 1;
      }
      EXPECT_EQ(differing, 0u) << "channel " << c;
    }
  }
}

TEST(PatchMergerWeighting, VectorImageChannelsMergeLikeThreeScalarMerges)
{
  ExpectChannelsMergeLikeScalarMerges<itk::VectorImage<float, 4>, itk::VectorImage<float, 3>>();
}

TEST(PatchMergerWeighting, ImageOfVectorChannelsMergeLikeThreeScalarMerges)
{
  ExpectChannelsMergeLikeScalarMerges<itk::Image<itk::Vector<float, 3>, 4>, itk::Image<itk::Vector<float, 3>, 3>>();
}

TEST(PatchMergerWeighting, BadWeightingParametersThrowAtUpdateNamingThem)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 20, 16, 12 } }, 46);
  auto       extractor = MakeExtractor<ImageType>(image, { { 8, 8, 6 } }, { { 4, 4, 2 } }, BorderMode::Edge);
  const auto expectThrow = [&](const std::function<void(itk::PatchMerger<StackType> *)> & configure,
                               const std::string &                                        words) {
    auto merger = itk::PatchMerger<StackType>::New();
    merger->SetInput(extractor->GetOutput());
    configure(merger.GetPointer());
    PatchStreamingTest::ExpectExceptionMentioning([&] { merger->Update(); }, words);
  };
  expectThrow(
    [](auto * m) {
      m->SetWeighting(Weighting::Gaussian);
      m->SetSigmaScale(-0.125);
    },
    "SigmaScale = -0.125");
  expectThrow(
    [](auto * m) {
      m->SetWeighting(Weighting::Gaussian);
      m->SetMinimumWeight(2.0);
    },
    "MinimumWeight = 2");
  expectThrow([](auto * m) { m->SetWeighting(Weighting::Custom); }, "CustomProfile[0] has 0 values");
  expectThrow(
    [](auto * m) {
      m->SetWeighting(Weighting::Custom);
      m->SetCustomProfile(0, std::vector<double>(8, 1.0));
      m->SetCustomProfile(1, std::vector<double>(8, 1.0));
      m->SetCustomProfile(2, { 1, 1, 1, 1, 1, -3 });
    },
    "CustomProfile[2][5] = -3");
  auto merger = itk::PatchMerger<StackType>::New();
  PatchStreamingTest::ExpectExceptionMentioning([&] { merger->SetCustomProfile(3, { 1.0 }); },
                                                "CustomProfile axis = 3");
}

/** A Gaussian merge of the patches of `image` (sigma 0.01 of the patch: every
 * voxel off a center gets the floor) with `minimumWeight`; the stack's pixel
 * type is the image's. */
template <typename TImage>
typename TImage::Pointer
NarrowGaussianMerge(const TImage * image, double minimumWeight)
{
  auto extractor = MakeExtractor<TImage>(image, { { 8, 8, 6 } }, { { 4, 4, 2 } }, BorderMode::Edge);
  auto merger = itk::PatchMerger<itk::Image<typename TImage::PixelType, 4>, TImage>::New();
  merger->SetInput(extractor->GetOutput());
  merger->SetWeighting(Weighting::Gaussian);
  merger->SetSigmaScale(0.01);
  merger->SetMinimumWeight(minimumWeight);
  merger->Update();
  return merger->GetOutput();
}

/** A weight below min / epsilon of the stack's type (9.9e-32 for float: a 3-D
 * window floor of 1e-13 per axis is 1e-39) would leave weighted values
 * denormal or 0, and a voxel whose every weight vanishes merged to 0: refused,
 * naming the parameters and the smallest MinimumWeight that fits. That one
 * merges an unprocessed stack back to the image; a double stack takes 1e-13. */
TEST(PatchMergerWeighting, WeightsTooSmallForTheStacksTypeAreRefusedAndTheSmallestThatFitsIsExact)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 20, 16, 12 } }, 47);
  PatchStreamingTest::ExpectExceptionMentioning(
    [&] { NarrowGaussianMerge<ImageType>(image, 1e-13); },
    "Weighting Gaussian (SigmaScale = 0.01, MinimumWeight = 1e-13): the smallest window weight, a product over 3 "
    "axes, is 1e-39, below 9.86076e-32");
  PatchStreamingTest::ExpectExceptionMentioning([&] { NarrowGaussianMerge<ImageType>(image, 1e-30); },
                                                "raise MinimumWeight to at least 4.62e-11");
  const auto fits = NarrowGaussianMerge<ImageType>(image, 4.62e-11);
  EXPECT_EQ(
    DescribeDifferences(image.GetPointer(), fits.GetPointer(), image->GetLargestPossibleRegion(), WithinRelative(1e-6)),
    "");

  using DoubleImage = itk::Image<double, 3>;
  auto doubles = DoubleImage::New();
  doubles->SetRegions(image->GetLargestPossibleRegion());
  doubles->Allocate();
  std::copy(image->GetBufferPointer(),
            image->GetBufferPointer() + image->GetPixelContainer()->Size(),
            doubles->GetBufferPointer());
  const auto merged = NarrowGaussianMerge<DoubleImage>(doubles, 1e-13);
  EXPECT_EQ(DescribeDifferences(
              doubles.GetPointer(), merged.GetPointer(), doubles->GetLargestPossibleRegion(), WithinRelative(1e-12)),
            "");
}

/** Only the custom profiles' ratios matter, whatever their scale: profiles so large that a
 * voxel's weights summed past float (helper-68: 1e13 per axis, 1e30, 1e300) were refused, and
 * denormal ones (1e-310) or ones whose product over the axes overflows on the way
 * (1e160 · 1e160 · 1e-300, helper-95) gave inf or NaN or were refused though the weights are
 * finite. Every scale merges an unprocessed stack back to the image; a power of two per axis,
 * which changes no ratio, gives the bytes of the unscaled profiles (also resampled, Adaptive). */
TEST(PatchMergerWeighting, CustomProfilesMergeTheSameAtAnyScale)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 20, 16, 13 } }, 47);
  const auto merge = [&](BorderMode border, const std::array<double, 3> & scales) {
    auto extractor = MakeExtractor<ImageType>(image, { { 8, 8, 6 } }, { { 4, 4, 2 } }, border);
    auto merger = itk::PatchMerger<StackType, ImageType>::New();
    merger->SetInput(extractor->GetOutput());
    merger->SetWeighting(Weighting::Custom);
    for (unsigned int axis = 0; axis < 3; ++axis)
    {
      std::vector<double> profile(axis == 2 ? 6 : 8);
      for (std::size_t i = 0; i < profile.size(); ++i)
      {
        profile[i] = scales[axis] * (1.0 + static_cast<double>(std::min(i, profile.size() - 1 - i)));
      }
      merger->SetCustomProfile(axis, profile);
    }
    merger->Update();
    return ImageType::Pointer(merger->GetOutput());
  };
  const auto region = image->GetLargestPossibleRegion();
  for (const BorderMode border : { BorderMode::Edge, BorderMode::Adaptive })
  {
    const auto unscaled = merge(border, { { 1.0, 1.0, 1.0 } });
    for (const std::array<double, 3> & scales : std::vector<std::array<double, 3>>{ { 1e13, 1e13, 1e13 },
                                                                                    { 1e30, 1e30, 1e30 },
                                                                                    { 1e300, 1e300, 1e300 },
                                                                                    { 1e-310, 1e-310, 1e-310 },
                                                                                    { 1e160, 1e160, 1e-300 },
                                                                                    { 1e-310, 1e300, 3.0 } })
    {
      EXPECT_EQ(
        DescribeDifferences(image.GetPointer(), merge(border, scales).GetPointer(), region, WithinRelative(1e-6)), "")
        << scales[0] << " " << scales[1] << " " << scales[2];
    }
    for (const std::array<double, 3> & scales :
         std::vector<std::array<double, 3>>{ { std::ldexp(1.0, 1000), std::ldexp(1.0, 1000), std::ldexp(1.0, -1060) },
                                             { std::ldexp(1.0, -1070), std::ldexp(1.0, 500), 0.25 } })
    {
      EXPECT_EQ(DescribeDifferences(unscaled.GetPointer(), merge(border, scales).GetPointer(), region), "")
        << scales[0] << " " << scales[1] << " " << scales[2];
    }
  }
}

/** A weighting the windows refuse (too small for the stack's float, or summing
 * to 0 where a patch covers a voxel) is refused by UpdateOutputInformation,
 * as ITK filters check their parameters: before any patch is extracted (or a
 * network run on it), so a program's progress never starts for it. */
TEST(PatchMergerWeighting, AWeightingTheWindowsRefuseIsRefusedBeforeAnyPatchIsComputed)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 20, 16, 12 } }, 47);
  struct Refused
  {
    double       sigmaScale;
    double       minimumWeight;
    const char * problem;
  };
  // The product over the axes underflows double to 0 (helper-77: then it was let through, and
  // voxels merged to 0 or NaN): Gaussian tails with MinimumWeight 0, or a tiny MinimumWeight.
  for (const Refused & c : { Refused{ 0.01, 1e-13, "the smallest window weight, a product over 3 axes, is 1e-39" },
                             Refused{ 0.0167, 0.0, "is 0, below 9.86076e-32, the smallest weight whose weighted values "
                                                   "keep the precision of the stack's float (min / epsilon); raise "
                                                   "MinimumWeight to at least 4.62e-11, or SigmaScale" },
                             Refused{ 0.01, 1e-120, "a product over 3 axes, is 0, below 9.86076e-32" },
                             Refused{ 0.001, 0.0, "sum to 0 at voxel" } })
  {
    auto extractor = MakeExtractor<ImageType>(image, { { 8, 8, 6 } }, { { 4, 4, 2 } }, BorderMode::Edge);
    auto merger = itk::PatchMerger<StackType, ImageType>::New();
    merger->SetInput(extractor->GetOutput());
    merger->SetWeighting(Weighting::Gaussian);
    merger->SetSigmaScale(c.sigmaScale);
    merger->SetMinimumWeight(c.minimumWeight);
    PatchStreamingTest::ExpectExceptionMentioning([&] { merger->UpdateOutputInformation(); }, c.problem);
    EXPECT_EQ(extractor->GetOutput()->GetBufferedRegion().GetNumberOfPixels(), 0u) << c.problem;
  }
}
} // namespace

namespace
{
// A NaN patch spoils exactly the voxels it covers with non-zero weight; uncovered
// voxels get the background, never 0/0.
TEST(PatchMergerWeighting, NaNOrInfInOnePatchStaysInsideThatPatchsWeightedVoxels)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 29, 23, 19 } }, 47);
  auto       extractor = MakeExtractor<ImageType>(image, { { 10, 8, 6 } }, { { 4, 3, 2 } }, BorderMode::Crop);
  extractor->Update();
  const auto &             grid = extractor->GetPatchGrid();
  const itk::SizeValueType spoiled = grid.GetNumberOfPatches() / 2;
  auto                     patchStack = extractor->GetOutput()->GetLargestPossibleRegion();
  patchStack.SetIndex(3, static_cast<itk::IndexValueType>(spoiled));
  patchStack.SetSize(3, 1);
  for (const float spoil : { std::numeric_limits<float>::quiet_NaN(),
                             std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity() })
  {
    auto stack = PatchStreamingTest::PerturbedCopy<StackType>(extractor->GetOutput());
    for (itk::ImageRegionIterator<StackType> it(stack, patchStack); !it.IsAtEnd(); ++it)
    {
      it.Set(spoil);
    }
    // NaN stays NaN; an infinity stays that infinity (positive weights keep its sign).
    const auto isSpoiled = [spoil](float value) { return std::isnan(spoil) ? std::isnan(value) : value == spoil; };
    for (const Weighting weighting : { Weighting::Gaussian, Weighting::Crop })
    {
      SCOPED_TRACE(itk::ToString(weighting) + " " + std::to_string(spoil));
      const auto         settings = PatchStreamingTest::MakeTestWeighting(weighting, grid.GetPatchSize());
      const auto         profile = PatchStreamingTest::MakeReferenceProfile(grid, settings);
      const auto         merged = Merge(stack.GetPointer(), grid, settings, -3.0f);
      const auto         spoiledIndex = grid.GetGridIndex(spoiled);
      const auto         spoiledStart = grid.GetPatchRegion(spoiled).GetIndex();
      itk::SizeValueType spoiledVoxels = 0;
      for (itk::ImageRegionConstIteratorWithIndex<ImageType> it(merged, merged->GetBufferedRegion()); !it.IsAtEnd();
           ++it)
      {
        const auto & x = it.GetIndex();
        double       weight = grid.GetPatchRegion(spoiled).IsInside(x) ? 1.0 : 0.0;
        for (unsigned int d = 0; d < 3 && weight > 0.0; ++d)
        {
          weight *= profile(d, static_cast<itk::SizeValueType>(spoiledIndex[d]), x[d] - spoiledStart[d]);
        }
        ASSERT_EQ(isSpoiled(it.Get()), weight > 0.0) << x;
        ASSERT_TRUE(weight > 0.0 || std::isfinite(it.Get())) << x;
        spoiledVoxels += isSpoiled(it.Get()) ? 1 : 0;
      }
      EXPECT_GT(spoiledVoxels, 0u);
      // Crop border mode's remainder (x >= 28) is background, not 0/0.
      EXPECT_EQ(merged->GetPixel({ { 28, 0, 0 } }), -3.0f);
    }
  }
}
} // namespace
