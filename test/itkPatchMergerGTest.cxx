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
// PatchMerger: exact round trips, nested-loop references, geometry, the grid
// read back from a NRRD file, multi-component pixels, threads, bad input.
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkNiftiImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"
#include "gtest/gtest.h"

#include <cstdio>
#include <limits>

namespace
{
using BorderMode = itk::PatchStreamingEnums::BorderMode;
using Weighting = itk::PatchStreamingEnums::Weighting;

template <typename TImage>
using StackOf = itk::Image<typename TImage::PixelType, TImage::ImageDimension + 1>;

struct ModeCase
{
  BorderMode mode;
  bool       padOverlap;
};
const ModeCase CoveringModes[] = { { BorderMode::Squeeze, false }, { BorderMode::Edge, false },
                                   { BorderMode::Adaptive, false }, { BorderMode::Pad, false },
                                   { BorderMode::Pad, true } };

template <typename TImage>
typename itk::PatchExtractor<TImage>::Pointer
MakeExtractor(const TImage * image, const typename TImage::SizeType & patch, const typename TImage::SizeType & overlap,
              BorderMode mode, bool padOverlap = false)
{
  auto extractor = itk::PatchExtractor<TImage>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize(patch);
  extractor->SetPatchOverlap(overlap);
  extractor->SetBorderMode(mode);
  extractor->SetPadOverlap(padOverlap);
  return extractor;
}

template <typename TImage>
void
ExpectSameGeometry(const TImage * expected, const TImage * actual)
{
  EXPECT_EQ(actual->GetLargestPossibleRegion(), expected->GetLargestPossibleRegion());
  EXPECT_EQ(actual->GetSpacing(), expected->GetSpacing());
  EXPECT_EQ(actual->GetOrigin(), expected->GetOrigin());
  EXPECT_EQ(actual->GetDirection(), expected->GetDirection());
}

template <typename TImage>
void
ExpectExactRoundTrips(const typename TImage::SizeType & size, const typename TImage::SizeType & patch,
                      const typename TImage::SizeType & overlap)
{
  typename TImage::IndexType start;
  start.Fill(-3);
  const auto image = PatchStreamingTest::MakeRandomImage<TImage>(size, 21, 1, start);
  for (const auto & c : CoveringModes)
  {
    for (const Weighting weighting : { Weighting::Average, Weighting::Crop })
    {
      SCOPED_TRACE(itk::ToString(c.mode) + (c.padOverlap ? "+PadOverlap " : " ") + itk::ToString(weighting));
      auto extractor = MakeExtractor<TImage>(image, patch, overlap, c.mode, c.padOverlap);
      auto merger = itk::PatchMerger<StackOf<TImage>>::New();
      merger->SetInput(extractor->GetOutput());
      merger->SetWeighting(weighting);
      merger->Update();
      ExpectSameGeometry<TImage>(image, merger->GetOutput());
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(image.GetPointer(), merger->GetOutput(),
                                                        image->GetLargestPossibleRegion()),
                "");
    }
  }
}

TEST(PatchMerger, RoundTripIsExactInEveryCoveringMode3D)
{
  ExpectExactRoundTrips<itk::Image<float, 3>>({ { 37, 23, 19 } }, { { 12, 8, 6 } }, { { 6, 3, 2 } });
}

TEST(PatchMerger, RoundTripIsExactInEveryCoveringMode2D)
{
  ExpectExactRoundTrips<itk::Image<float, 2>>({ { 41, 17 } }, { { 9, 20 } }, { { 4, 5 } });
}

TEST(PatchMerger, CropBorderModeWritesBackgroundOnTheUncoveredRemainder)
{
  using ImageType = itk::Image<float, 3>;
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 23, 19 } }, 22);
  auto       extractor = MakeExtractor<ImageType>(image, { { 10, 8, 6 } }, { { 0, 2, 3 } }, BorderMode::Crop);
  auto       merger = itk::PatchMerger<StackOf<ImageType>>::New();
  merger->SetInput(extractor->GetOutput());
  merger->SetBackgroundValue(-100.0f);
  merger->Update();
  // Covered: x < 30, y < 20, z < 18 (starts 0,10,20 / 0,6,12 / 0,3,...,12).
  for (itk::ImageRegionConstIteratorWithIndex<ImageType> it(merger->GetOutput(), image->GetLargestPossibleRegion());
       !it.IsAtEnd(); ++it)
  {
    const auto & i = it.GetIndex();
    const bool   covered = i[0] < 30 && i[1] < 20 && i[2] < 18;
    ASSERT_EQ(it.Get(), covered ? image->GetPixel(i) : -100.0f) << i;
  }
}

// The nested-loop reference of DESIGN section 4 with full-size sum and weight
// volumes: out = sum_k w_k v_k / sum_k w_k, for Average (w = 1 on the window)
// and Crop (w = 1 where the patch's centre is the nearest along every axis).
template <typename TImage, typename TStack>
typename TImage::Pointer
NestedLoopMerge(const TStack * stack, const itk::PatchGrid<TImage::ImageDimension> & grid, Weighting weighting,
                float background)
{
  constexpr unsigned int N = TImage::ImageDimension;
  const auto &           region = grid.GetImageRegion();
  auto                   sums = itk::Image<double, N>::New();
  auto                   weights = itk::Image<double, N>::New();
  for (auto & volume : { sums, weights })
  {
    volume->SetRegions(region);
    volume->Allocate(true);
  }
  const auto centreIsNearest = [&](unsigned int d, itk::SizeValueType position, itk::OffsetValueType voxel) {
    const auto & layout = grid.GetAxisLayout(d);
    const auto   distance = [&](itk::SizeValueType i) {
      return std::abs(2.0 * voxel - (2.0 * layout.GetStart(i) + layout.GetWindowLength(i) - 1));
    };
    const auto covers = [&](itk::SizeValueType i) {
      return voxel >= layout.GetStart(i) &&
             voxel < layout.GetStart(i) + static_cast<itk::OffsetValueType>(layout.GetWindowLength(i));
    };
    for (itk::SizeValueType i = 0; i < layout.GetNumberOfPositions(); ++i)
    {
      if (i != position && covers(i) &&
          (distance(i) < distance(position) || (distance(i) == distance(position) && i < position)))
      {
        return false;
      }
    }
    return true;
  };
  for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
  {
    const auto patchRegion = grid.GetPatchRegion(k);
    const auto gridIndex = grid.GetGridIndex(k);
    const auto valid = grid.GetValidPatchRegion(k);
    for (itk::ImageRegionIteratorWithIndex<itk::Image<double, N>> it(sums, valid); !it.IsAtEnd(); ++it)
    {
      const auto & x = it.GetIndex();
      double       weight = 1.0;
      for (unsigned int d = 0; d < N; ++d)
      {
        const auto & layout = grid.GetAxisLayout(d);
        const auto   position = static_cast<itk::SizeValueType>(gridIndex[d]);
        const auto   t = x[d] - patchRegion.GetIndex(d);
        const auto   voxel = x[d] - region.GetIndex(d);
        if (t >= static_cast<itk::OffsetValueType>(layout.GetWindowLength(position)) ||
            (weighting == Weighting::Crop && !centreIsNearest(d, position, voxel)))
        {
          weight = 0.0;
        }
      }
      typename TStack::IndexType stackIndex;
      for (unsigned int d = 0; d < N; ++d)
      {
        stackIndex[d] = x[d] - patchRegion.GetIndex(d);
      }
      stackIndex[N] = static_cast<itk::IndexValueType>(k);
      it.Set(it.Get() + weight * stack->GetPixel(stackIndex));
      weights->SetPixel(x, weights->GetPixel(x) + weight);
    }
  }
  auto merged = TImage::New();
  merged->SetRegions(region);
  merged->Allocate();
  for (itk::ImageRegionIteratorWithIndex<TImage> it(merged, region); !it.IsAtEnd(); ++it)
  {
    const double weight = weights->GetPixel(it.GetIndex());
    it.Set(weight > 0.0 ? static_cast<float>(sums->GetPixel(it.GetIndex()) / weight) : background);
  }
  return merged;
}

/** A stack whose every patch differs (v + k/8): patches no longer agree where they overlap. */
template <typename TStack>
typename TStack::Pointer
PerturbedCopy(const TStack * stack)
{
  auto copy = TStack::New();
  copy->SetRegions(stack->GetLargestPossibleRegion());
  copy->Allocate();
  for (itk::ImageRegionIteratorWithIndex<TStack> it(copy, copy->GetLargestPossibleRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(stack->GetPixel(it.GetIndex()) + static_cast<float>(it.GetIndex()[TStack::ImageDimension - 1] % 5) / 8.0f);
  }
  return copy;
}

TEST(PatchMerger, MergingDifferingPatchesEqualsTheNestedLoopReference)
{
  using ImageType = itk::Image<float, 3>;
  using StackType = StackOf<ImageType>;
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 23, 19 } }, 23, 1, { { 2, 0, -4 } });
  for (const BorderMode mode : { BorderMode::Squeeze, BorderMode::Adaptive, BorderMode::Crop, BorderMode::Pad })
  {
    auto extractor = MakeExtractor<ImageType>(image, { { 11, 9, 7 } }, { { 6, 3, 4 } }, mode);
    extractor->Update();
    const auto stack = PerturbedCopy<StackType>(extractor->GetOutput());
    for (const Weighting weighting : { Weighting::Average, Weighting::Crop })
    {
      SCOPED_TRACE(itk::ToString(mode) + " " + itk::ToString(weighting));
      auto merger = itk::PatchMerger<StackType>::New();
      merger->SetInput(stack);
      merger->SetPatchGrid(extractor->GetPatchGrid());
      merger->SetWeighting(weighting);
      merger->SetBackgroundValue(-1.0f);
      merger->Update();
      const auto reference = NestedLoopMerge<ImageType>(stack.GetPointer(), extractor->GetPatchGrid(), weighting, -1.0f);
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(reference.GetPointer(), merger->GetOutput(),
                                                        image->GetLargestPossibleRegion()),
                "");
    }
  }
}

TEST(PatchMerger, ArbitraryFloatsMergeWithinRoundingOfTheReference)
{
  using ImageType = itk::Image<float, 3>;
  using StackType = StackOf<ImageType>;
  auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 25, 18, 13 } }, 24);
  for (itk::ImageRegionIterator<ImageType> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(std::sin(it.Get()) * 3.3f); // no longer a multiple of 1/8
  }
  auto extractor = MakeExtractor<ImageType>(image, { { 9, 7, 5 } }, { { 6, 4, 3 } }, BorderMode::Squeeze);
  auto merger = itk::PatchMerger<StackType>::New();
  merger->SetInput(extractor->GetOutput());
  merger->Update();
  for (itk::ImageRegionConstIteratorWithIndex<ImageType> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    // Float sums of up to 27 equal terms, then one division: a few ulps at most.
    ASSERT_NEAR(merger->GetOutput()->GetPixel(it.GetIndex()), it.Get(), 8 * std::numeric_limits<float>::epsilon() * std::abs(it.Get()))
      << it.GetIndex();
  }
}

TEST(PatchMerger, T1VolumeRoundTripIsExactForIntegerAndFloatOutputs)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  using T1Type = itk::Image<unsigned char, 3>;
  auto reader = itk::ImageFileReader<T1Type>::New();
  reader->SetFileName(PatchStreaming_T1_IMAGE);
  ASSERT_NO_THROW(reader->Update()) << "missing " << PatchStreaming_T1_IMAGE;
  const T1Type * t1 = reader->GetOutput();
  ASSERT_EQ(t1->GetLargestPossibleRegion().GetSize(), (T1Type::SizeType{ { 128, 128, 62 } }));
  ASSERT_FALSE(t1->GetDirection().GetVnlMatrix().is_identity(1e-6)) << "the T1 volume should be oblique";

  for (const auto & c : CoveringModes)
  {
    for (const Weighting weighting : { Weighting::Average, Weighting::Crop })
    {
      SCOPED_TRACE(itk::ToString(c.mode) + " " + itk::ToString(weighting));
      auto extractor = MakeExtractor<T1Type>(t1, { { 48, 40, 24 } }, { { 24, 13, 12 } }, c.mode, c.padOverlap);
      auto merger = itk::PatchMerger<StackOf<T1Type>>::New();
      merger->SetInput(extractor->GetOutput());
      merger->SetWeighting(weighting);
      merger->Update();
      ExpectSameGeometry<T1Type>(t1, merger->GetOutput());
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(t1, merger->GetOutput(), t1->GetLargestPossibleRegion()), "");

      auto floatMerger = itk::PatchMerger<StackOf<T1Type>, itk::Image<float, 3>>::New();
      floatMerger->SetInput(extractor->GetOutput());
      floatMerger->SetWeighting(weighting);
      floatMerger->Update();
      for (itk::ImageRegionConstIteratorWithIndex<T1Type> it(t1, t1->GetLargestPossibleRegion()); !it.IsAtEnd(); ++it)
      {
        ASSERT_EQ(floatMerger->GetOutput()->GetPixel(it.GetIndex()), static_cast<float>(it.Get())) << it.GetIndex();
      }
    }
  }
}

TEST(PatchMerger, StackWrittenAsNrrdAndReadBackMergesWithTheGridFromItsMetaData)
{
  itk::NrrdImageIOFactory::RegisterOneFactory();
  using ImageType = itk::Image<float, 3>;
  using StackType = StackOf<ImageType>;
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 29, 17, 13 } }, 25, 1, { { 1, 2, 3 } });
  auto       extractor = MakeExtractor<ImageType>(image, { { 10, 8, 6 } }, { { 4, 4, 2 } }, BorderMode::Pad, true);
  const std::string file = ::testing::TempDir() + "PatchMergerStack.nrrd";
  auto              writer = itk::ImageFileWriter<StackType>::New();
  writer->SetInput(extractor->GetOutput());
  writer->SetFileName(file);
  writer->Update();

  auto reader = itk::ImageFileReader<StackType>::New();
  reader->SetFileName(file);
  auto merger = itk::PatchMerger<StackType>::New();
  merger->SetInput(reader->GetOutput());
  merger->Update();
  EXPECT_EQ(merger->GetPatchGrid(), extractor->GetPatchGrid());
  ExpectSameGeometry<ImageType>(image, merger->GetOutput());
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(image.GetPointer(), merger->GetOutput(), image->GetLargestPossibleRegion()), "");
  std::remove(file.c_str());
}

template <typename TImage>
void
ExpectMultiComponentRoundTrip(unsigned int components)
{
  using StackType = typename itk::RebindImageDimension<TImage, 4>::Type;
  const auto image = PatchStreamingTest::MakeRandomImage<TImage>({ { 21, 15, 11 } }, 26, components);
  auto       extractor = itk::PatchExtractor<TImage, StackType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize({ { 8, 6, 5 } });
  extractor->SetPatchOverlap({ { 4, 3, 2 } });
  auto merger = itk::PatchMerger<StackType, TImage>::New();
  merger->SetInput(extractor->GetOutput());
  merger->Update();
  EXPECT_EQ(merger->GetOutput()->GetNumberOfComponentsPerPixel(), components);
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(image.GetPointer(), merger->GetOutput(), image->GetLargestPossibleRegion()), "");
}

TEST(PatchMerger, VectorImageRoundTripIsExact)
{
  ExpectMultiComponentRoundTrip<itk::VectorImage<float, 3>>(3);
}

TEST(PatchMerger, ImageOfVectorRoundTripIsExact)
{
  ExpectMultiComponentRoundTrip<itk::Image<itk::Vector<float, 2>, 3>>(2);
}

TEST(PatchMerger, ResultDoesNotDependOnTheNumberOfThreads)
{
  using ImageType = itk::Image<float, 3>;
  using StackType = StackOf<ImageType>;
  auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 23, 19 } }, 27);
  for (itk::ImageRegionIterator<ImageType> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(std::cos(it.Get()) * 1.7f);
  }
  auto extractor = MakeExtractor<ImageType>(image, { { 10, 8, 6 } }, { { 7, 5, 4 } }, BorderMode::Squeeze);
  extractor->Update();
  const auto stack = PerturbedCopy<StackType>(extractor->GetOutput());
  for (const Weighting weighting : { Weighting::Average, Weighting::Crop })
  {
    auto single = itk::PatchMerger<StackType>::New();
    auto many = itk::PatchMerger<StackType>::New();
    for (auto & merger : { single, many })
    {
      merger->SetInput(stack);
      merger->SetPatchGrid(extractor->GetPatchGrid());
      merger->SetWeighting(weighting);
    }
    single->SetNumberOfWorkUnits(1);
    many->SetNumberOfWorkUnits(7);
    single->Update();
    many->Update();
    EXPECT_EQ(PatchStreamingTest::DescribeDifferences(single->GetOutput(), many->GetOutput(), image->GetLargestPossibleRegion()), "")
      << itk::ToString(weighting);
  }
}

template <typename TMerger>
void
ExpectUpdateThrowsMentioning(TMerger * merger, const std::string & words)
{
  PatchStreamingTest::ExpectExceptionMentioning([&] { merger->Update(); }, words);
}

TEST(PatchMerger, BadInputThrowsNamingTheProblem)
{
  using ImageType = itk::Image<float, 3>;
  using StackType = StackOf<ImageType>;
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 20, 16, 12 } }, 28);
  auto       extractor = MakeExtractor<ImageType>(image, { { 8, 8, 6 } }, { { 4, 4, 2 } }, BorderMode::Edge);
  extractor->Update();

  // A stack without metadata and no grid set.
  auto bare = StackType::New();
  bare->SetRegions(extractor->GetOutput()->GetLargestPossibleRegion());
  bare->Allocate(true);
  auto noGrid = itk::PatchMerger<StackType>::New();
  noGrid->SetInput(bare);
  ExpectUpdateThrowsMentioning(noGrid.GetPointer(), "PatchGrid is not set");

  // A stack of another patch size, and one with a patch missing.
  auto wrongSize = StackType::New();
  auto size = bare->GetLargestPossibleRegion().GetSize();
  size[1] = 7;
  wrongSize->SetRegions(size);
  wrongSize->Allocate(true);
  auto mismatched = itk::PatchMerger<StackType>::New();
  mismatched->SetInput(wrongSize);
  mismatched->SetPatchGrid(extractor->GetPatchGrid());
  ExpectUpdateThrowsMentioning(mismatched.GetPointer(), "stack size[1] = 7");

  auto shortStack = StackType::New();
  size = bare->GetLargestPossibleRegion().GetSize();
  size[3] -= 1;
  shortStack->SetRegions(size);
  shortStack->Allocate(true);
  auto missing = itk::PatchMerger<StackType>::New();
  missing->SetInput(shortStack);
  missing->SetPatchGrid(extractor->GetPatchGrid());
  ExpectUpdateThrowsMentioning(missing.GetPointer(), "number of patches = " + std::to_string(size[3] + 1));
}
} // namespace
