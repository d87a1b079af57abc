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
#include "itkPatchMergeReference.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkNiftiImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <cstdio>
#include <limits>

namespace
{
using namespace PatchStreamingTest;

template <typename TImage>
using StackOf = itk::Image<typename TImage::PixelType, TImage::ImageDimension + 1>;

struct ModeCase
{
  BorderMode mode;
  bool       padOverlap;
};
const ModeCase CoveringModes[] = { { BorderMode::Squeeze, false },
                                   { BorderMode::Edge, false },
                                   { BorderMode::Adaptive, false },
                                   { BorderMode::Pad, false },
                                   { BorderMode::Pad, true } };

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
ExpectExactRoundTrips(const typename TImage::SizeType & size,
                      const typename TImage::SizeType & patch,
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
      auto extractor = PatchStreamingTest::MakeExtractor<TImage>(image, patch, overlap, c.mode, c.padOverlap);
      auto merger = itk::PatchMerger<StackOf<TImage>>::New();
      merger->SetInput(extractor->GetOutput());
      merger->SetWeighting(weighting);
      merger->Update();
      ExpectSameGeometry<TImage>(image, merger->GetOutput());
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
                  image.GetPointer(), merger->GetOutput(), image->GetLargestPossibleRegion()),
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
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 23, 19 } }, 22);
  auto       extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 10, 8, 6 } }, { { 0, 2, 3 } }, BorderMode::Crop);
  auto merger = itk::PatchMerger<StackOf<ImageType>>::New();
  merger->SetInput(extractor->GetOutput());
  merger->SetBackgroundValue(-100.0f);
  merger->Update();
  // Covered: x < 30, y < 20, z < 18 (starts 0,10,20 / 0,6,12 / 0,3,...,12).
  for (itk::ImageRegionConstIteratorWithIndex<ImageType> it(merger->GetOutput(), image->GetLargestPossibleRegion());
       !it.IsAtEnd();
       ++it)
  {
    const auto & i = it.GetIndex();
    const bool   covered = i[0] < 30 && i[1] < 20 && i[2] < 18;
    ASSERT_EQ(it.Get(), covered ? image->GetPixel(i) : -100.0f) << i;
  }
}

TEST(PatchMerger, MergingDifferingPatchesEqualsTheNestedLoopReference)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 23, 19 } }, 23, 1, { { 2, 0, -4 } });
  for (const BorderMode mode : { BorderMode::Squeeze, BorderMode::Adaptive, BorderMode::Crop, BorderMode::Pad })
  {
    auto extractor = PatchStreamingTest::MakeExtractor<ImageType>(image, { { 11, 9, 7 } }, { { 6, 3, 4 } }, mode);
    extractor->Update();
    const auto stack = PatchStreamingTest::PerturbedCopy<StackType>(extractor->GetOutput());
    for (const Weighting weighting : { Weighting::Average, Weighting::Crop })
    {
      SCOPED_TRACE(itk::ToString(mode) + " " + itk::ToString(weighting));
      auto merger = itk::PatchMerger<StackType>::New();
      merger->SetInput(stack);
      merger->SetPatchGrid(extractor->GetPatchGrid());
      merger->SetWeighting(weighting);
      merger->SetBackgroundValue(-1.0f);
      merger->Update();
      const auto & grid = extractor->GetPatchGrid();
      const auto   reference = PatchStreamingTest::NestedLoopMerge<ImageType>(
        stack.GetPointer(), grid, PatchStreamingTest::MakeReferenceProfile(grid, { weighting }), -1.0);
      EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
                  reference.GetPointer(), merger->GetOutput(), image->GetLargestPossibleRegion()),
                "");
    }
  }
}

TEST(PatchMerger, ArbitraryFloatsMergeWithinRoundingOfTheReference)
{
  auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 25, 18, 13 } }, 24);
  for (itk::ImageRegionIterator<ImageType> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(std::sin(it.Get()) * 3.3f); // no longer a multiple of 1/8
  }
  auto extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 9, 7, 5 } }, { { 6, 4, 3 } }, BorderMode::Squeeze);
  auto merger = itk::PatchMerger<StackType>::New();
  merger->SetInput(extractor->GetOutput());
  merger->Update();
  for (itk::ImageRegionConstIteratorWithIndex<ImageType> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    // Float sums of up to 27 equal terms, then one division: a few ulps at most.
    ASSERT_NEAR(merger->GetOutput()->GetPixel(it.GetIndex()),
                it.Get(),
                8 * std::numeric_limits<float>::epsilon() * std::abs(it.Get()))
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
      auto extractor =
        PatchStreamingTest::MakeExtractor<T1Type>(t1, { { 48, 40, 24 } }, { { 24, 13, 12 } }, c.mode, c.padOverlap);
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
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 29, 17, 13 } }, 25, 1, { { 1, 2, 3 } });
  auto       extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 10, 8, 6 } }, { { 4, 4, 2 } }, BorderMode::Pad, true);
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
  EXPECT_EQ(
    PatchStreamingTest::DescribeDifferences(image.GetPointer(), merger->GetOutput(), image->GetLargestPossibleRegion()),
    "");
  std::remove(file.c_str());
}

// VectorImage and Image of Vector: the round trip keeps every component exactly.
template <typename TCase>
using PatchMergerMultiComponent = PatchStreamingTest::MultiComponentTest<TCase>;
TYPED_TEST_SUITE(PatchMergerMultiComponent, PatchStreamingTest::MultiComponentCases);

TYPED_TEST(PatchMergerMultiComponent, RoundTripIsExact)
{
  using ImageType = typename TestFixture::ImageType;
  const auto image = TestFixture::MakeImage({ { 21, 15, 11 } }, 26);
  auto       extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 8, 6, 5 } }, { { 4, 3, 2 } }, BorderMode::Squeeze);
  auto merger = itk::PatchMerger<typename TestFixture::StackType, ImageType>::New();
  merger->SetInput(extractor->GetOutput());
  merger->Update();
  EXPECT_EQ(merger->GetOutput()->GetNumberOfComponentsPerPixel(), TestFixture::Components);
  EXPECT_EQ(
    PatchStreamingTest::DescribeDifferences(image.GetPointer(), merger->GetOutput(), image->GetLargestPossibleRegion()),
    "");
}

TEST(PatchMerger, ResultDoesNotDependOnTheNumberOfThreads)
{
  auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 23, 19 } }, 27);
  for (itk::ImageRegionIterator<ImageType> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(std::cos(it.Get()) * 1.7f);
  }
  auto extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 10, 8, 6 } }, { { 7, 5, 4 } }, BorderMode::Squeeze);
  extractor->Update();
  const auto stack = PatchStreamingTest::PerturbedCopy<StackType>(extractor->GetOutput());
  for (const Weighting weighting :
       { Weighting::Average, Weighting::Gaussian, Weighting::Hann, Weighting::Crop, Weighting::Custom })
  {
    auto single = itk::PatchMerger<StackType>::New();
    auto many = itk::PatchMerger<StackType>::New();
    for (auto & merger : { single, many })
    {
      merger->SetInput(stack);
      merger->SetPatchGrid(extractor->GetPatchGrid());
      PatchStreamingTest::ApplyWeighting(merger.GetPointer(),
                                         PatchStreamingTest::MakeTestWeighting(weighting, extractor->GetPatchSize()));
    }
    single->SetNumberOfWorkUnits(1);
    many->SetNumberOfWorkUnits(7);
    single->Update();
    many->Update();
    EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
                single->GetOutput(), many->GetOutput(), image->GetLargestPossibleRegion()),
              "")
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
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 20, 16, 12 } }, 28);
  auto       extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 8, 8, 6 } }, { { 4, 4, 2 } }, BorderMode::Edge);
  extractor->Update();

  // A stack without metadata and no grid set.
  auto bare = StackType::New();
  bare->SetRegions(extractor->GetOutput()->GetLargestPossibleRegion());
  bare->Allocate(true);
  auto noGrid = itk::PatchMerger<StackType>::New();
  noGrid->SetInput(bare);
  ExpectUpdateThrowsMentioning(noGrid.GetPointer(), "PatchGrid is not set");
  // A stack cut at explicit locations forms no grid: the message says so (helper-87).
  auto located = itk::PatchExtractor<ImageType>::New();
  located->SetInput(image);
  located->SetPatchSize({ { 8, 8, 6 } });
  located->SetPatchLocations({ { { 1, 2, 3 } }, { { 4, 5, 6 } } });
  auto noLocations = itk::PatchMerger<StackType>::New();
  noLocations->SetInput(located->GetOutput());
  ExpectUpdateThrowsMentioning(noLocations.GetPointer(),
                               "(a stack cut at explicit locations, PatchExtractor::SetPatchLocations, holds none: "
                               "its patches form no grid to merge)");

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

  // No input at all.
  auto noInput = itk::PatchMerger<StackType>::New();
  ExpectUpdateThrowsMentioning(noInput.GetPointer(), "not set");
}

TEST(PatchMerger, PaddingOrBackgroundOfTheWrongComponentCountThrows)
{
  using VectorType = itk::VectorImage<float, 3>;
  using VectorStackType = itk::VectorImage<float, 4>;
  const auto image = PatchStreamingTest::MakeRandomImage<VectorType>({ { 11, 9, 7 } }, 30, 3);
  auto       extractor =
    PatchStreamingTest::MakeExtractor<VectorType>(image, { { 6, 5, 4 } }, { { 2, 2, 1 } }, BorderMode::Pad);
  itk::VariableLengthVector<float> twoComponents(2);
  twoComponents.Fill(1.0f);
  extractor->SetPaddingValue(twoComponents);
  PatchStreamingTest::ExpectExceptionMentioning([&] { extractor->Update(); },
                                                "PaddingValue has 2 components but the image has 3");
  itk::VariableLengthVector<float> threeComponents(3);
  threeComponents.Fill(0.0f);
  extractor->SetPaddingValue(threeComponents);
  auto merger = itk::PatchMerger<VectorStackType>::New();
  merger->SetInput(extractor->GetOutput());
  merger->SetBackgroundValue(twoComponents);
  ExpectUpdateThrowsMentioning(merger.GetPointer(), "BackgroundValue has 2 components but the image has 3");
}
} // namespace

namespace
{
// Found by the sanitized suite: the remainder that Crop border mode leaves after
// the last line shares ring slots with that line's slices; finishing both in one
// parallel pass raced. Integer outputs, many work units, repeated.
TEST(PatchMerger, CropRemainderOfIntegerOutputsIsFinishedWithoutRaces)
{
  using LabelType = itk::Image<unsigned char, 3>;
  auto image = PatchStreamingTest::MakeRandomImage<itk::Image<float, 3>>({ { 40, 30, 29 } }, 29);
  auto labels = PatchStreamingTest::MakeImageLike<LabelType>(image, false);
  for (itk::ImageRegionIteratorWithIndex<LabelType> it(labels, labels->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    it.Set(static_cast<unsigned char>(image->GetPixel(it.GetIndex()) + 100.0f));
  }
  // z: patch 6, stride 3 -> lines at 0..21, covered [0, 27), remainder 27, 28 (slots of 21, 22).
  auto extractor =
    PatchStreamingTest::MakeExtractor<LabelType>(labels, { { 8, 7, 6 } }, { { 4, 3, 3 } }, BorderMode::Crop);
  extractor->Update();
  for (int repeat = 0; repeat < 20; ++repeat)
  {
    auto merger = itk::PatchMerger<StackOf<LabelType>>::New();
    merger->SetInput(extractor->GetOutput());
    merger->SetWeighting(Weighting::Gaussian);
    merger->SetBackgroundValue(7);
    merger->SetNumberOfWorkUnits(16);
    merger->Update();
    for (itk::ImageRegionConstIteratorWithIndex<LabelType> it(labels, labels->GetBufferedRegion()); !it.IsAtEnd(); ++it)
    {
      const auto & i = it.GetIndex();
      const bool   covered = i[1] < 27 && i[2] < 27; // y: starts 0..20 by 4, patch 7
      ASSERT_EQ(merger->GetOutput()->GetPixel(i), covered ? it.Get() : 7) << i << " repeat " << repeat;
    }
  }
}
} // namespace
