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
// PatchExtractor: every patch against ITK's own ROI and pad filters, geometry,
// metadata, requested regions, multi-component pixels, progress, bad input.
#include "itkPatchExtractor.h"
#include "itkPatchGridMetaData.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkCommand.h"
#include "itkConstantPadImageFilter.h"
#include "itkMirrorPadImageFilter.h"
#include "itkRegionOfInterestImageFilter.h"
#include "itkWrapPadImageFilter.h"
#include "itkZeroFluxNeumannPadImageFilter.h"
#include "gtest/gtest.h"

namespace
{
using namespace PatchStreamingTest;

const BorderMode AllBorderModes[] = { BorderMode::Squeeze,
                                      BorderMode::Edge,
                                      BorderMode::Adaptive,
                                      BorderMode::Crop,
                                      BorderMode::Pad };
const Padding    AllPaddings[] = { Padding::Constant, Padding::ZeroFluxNeumann, Padding::Mirror, Padding::Periodic };

/** The image padded by `bound` voxels on every side with ITK's pad filter for `padding`. */
template <typename TImage>
typename TImage::Pointer
PadWithItk(const TImage *                    image,
           Padding                           padding,
           const typename TImage::SizeType & bound,
           typename TImage::PixelType        constant)
{
  typename itk::PadImageFilter<TImage, TImage>::Pointer pad;
  switch (padding)
  {
    case Padding::Constant: {
      auto constantPad = itk::ConstantPadImageFilter<TImage, TImage>::New();
      constantPad->SetConstant(constant);
      pad = constantPad;
      break;
    }
    case Padding::ZeroFluxNeumann:
      pad = itk::ZeroFluxNeumannPadImageFilter<TImage, TImage>::New();
      break;
    case Padding::Mirror:
      pad = itk::MirrorPadImageFilter<TImage, TImage>::New();
      break;
    case Padding::Periodic:
      pad = itk::WrapPadImageFilter<TImage, TImage>::New();
      break;
  }
  pad->SetInput(image);
  pad->SetPadLowerBound(bound);
  pad->SetPadUpperBound(bound);
  pad->Update();
  return pad->GetOutput();
}

/** Asserts that patch k of `stack` equals RegionOfInterestImageFilter of
 * the extractor's GetPatchRegion(k) on `reference` (the image, or the image
 * padded by ITK) for every k, and that its origin is the ROI's. */
template <typename TImage, typename TStack, typename TExtractor>
void
ExpectPatchesEqualRegionsOfInterest(const TImage *     reference,
                                    const TStack *     stack,
                                    const TExtractor * extractor,
                                    itk::SizeValueType patches)
{
  constexpr unsigned int N = TImage::ImageDimension;
  ASSERT_EQ(stack->GetLargestPossibleRegion().GetSize(N), patches);
  for (itk::SizeValueType k = 0; k < patches; ++k)
  {
    auto roi = itk::RegionOfInterestImageFilter<TImage, TImage>::New();
    roi->SetInput(reference);
    roi->SetRegionOfInterest(extractor->GetPatchRegion(k));
    roi->Update();
    for (unsigned int d = 0; d < N; ++d)
    {
      ASSERT_NEAR(extractor->GetPatchOrigin(k)[d], roi->GetOutput()->GetOrigin()[d], 1e-9) << "patch " << k;
    }
    const TImage * patch = roi->GetOutput();
    for (itk::ImageRegionConstIteratorWithIndex<TImage> it(patch, patch->GetLargestPossibleRegion()); !it.IsAtEnd();
         ++it)
    {
      typename TStack::IndexType stackIndex;
      for (unsigned int d = 0; d < N; ++d)
      {
        stackIndex[d] = it.GetIndex()[d] - patch->GetLargestPossibleRegion().GetIndex(d);
      }
      stackIndex[N] = static_cast<itk::IndexValueType>(k);
      ASSERT_EQ(stack->GetPixel(stackIndex), it.Get()) << "patch " << k << " voxel " << it.GetIndex();
    }
  }
}

template <typename TImage>
void
ExpectEveryModeAndPaddingMatchesItk(const typename TImage::SizeType & imageSize,
                                    const typename TImage::SizeType & patchSize,
                                    const typename TImage::SizeType & overlap)
{
  constexpr unsigned int     N = TImage::ImageDimension;
  typename TImage::IndexType start;
  for (unsigned int d = 0; d < N; ++d)
  {
    start[d] = static_cast<itk::IndexValueType>(d) * 2 - 1;
  }
  const auto                image = PatchStreamingTest::MakeRandomImage<TImage>(imageSize, 3, 1, start);
  typename TImage::SizeType bound;
  for (unsigned int d = 0; d < N; ++d)
  {
    bound[d] = 2 * patchSize[d];
  }
  for (const Padding padding : AllPaddings)
  {
    const auto padded = PadWithItk<TImage>(image, padding, bound, -7.5f);
    for (const BorderMode mode : AllBorderModes)
    {
      for (const bool padOverlap : { false, true })
      {
        if (padOverlap && mode != BorderMode::Pad)
        {
          continue;
        }
        SCOPED_TRACE(itk::ToString(mode) + (padOverlap ? "+PadOverlap" : "") + " / " + itk::ToString(padding));
        auto extractor = itk::PatchExtractor<TImage>::New();
        extractor->SetInput(image);
        extractor->SetPatchSize(patchSize);
        extractor->SetPatchOverlap(overlap);
        extractor->SetBorderMode(mode);
        extractor->SetPadOverlap(padOverlap);
        extractor->SetPadding(padding);
        extractor->SetPaddingValue(-7.5f);
        extractor->Update();
        ExpectPatchesEqualRegionsOfInterest(padded.GetPointer(),
                                            extractor->GetOutput(),
                                            extractor.GetPointer(),
                                            extractor->GetPatchGrid().GetNumberOfPatches());
      }
    }
  }
}

TEST(PatchExtractor, PatchesEqualItkRegionsOfInterestAndPadFilters3D)
{
  ExpectEveryModeAndPaddingMatchesItk<itk::Image<float, 3>>({ { 37, 23, 19 } }, { { 8, 7, 6 } }, { { 3, 2, 2 } });
}

TEST(PatchExtractor, PatchesEqualItkRegionsOfInterestAndPadFilters2DWithAxisShorterThanPatch)
{
  ExpectEveryModeAndPaddingMatchesItk<itk::Image<float, 2>>({ { 29, 3 } }, { { 9, 8 } }, { { 4, 3 } });
}

TEST(PatchExtractor, PatchesEqualItkRegionsOfInterestAndPadFilters4D)
{
  ExpectEveryModeAndPaddingMatchesItk<itk::Image<float, 4>>({ { 9, 7, 6, 5 } }, { { 4, 4, 3, 3 } }, { { 1, 2, 1, 1 } });
}

TEST(PatchExtractor, StackGeometryEmbedsTheImageGeometryAndCarriesTheGrid)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 23, 19 } }, 5, 1, { { 3, -2, 5 } });
  auto       extractor = itk::PatchExtractor<ImageType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize({ { 16, 12, 8 } });
  extractor->SetPatchOverlap({ { 8, 6, 4 } });
  extractor->Update();
  const StackType * stack = extractor->GetOutput();
  const auto &      grid = extractor->GetPatchGrid();

  EXPECT_EQ(stack->GetLargestPossibleRegion().GetIndex(), StackType::IndexType());
  EXPECT_EQ(stack->GetLargestPossibleRegion().GetSize(),
            (StackType::SizeType{ { 16, 12, 8, grid.GetNumberOfPatches() } }));
  ImageType::PointType patchZero;
  image->TransformIndexToPhysicalPoint(grid.GetPatchRegion(0).GetIndex(), patchZero);
  for (unsigned int row = 0; row < 4; ++row)
  {
    EXPECT_EQ(stack->GetSpacing()[row], row < 3 ? image->GetSpacing()[row] : 1.0);
    EXPECT_NEAR(stack->GetOrigin()[row], row < 3 ? patchZero[row] : 0.0, 1e-12);
    for (unsigned int column = 0; column < 4; ++column)
    {
      const double expected =
        (row < 3 && column < 3) ? image->GetDirection()[row][column] : (row == column ? 1.0 : 0.0);
      EXPECT_EQ(stack->GetDirection()[row][column], expected);
    }
  }
  itk::PatchGrid<3> fromMetaData;
  ASSERT_TRUE(itk::ExposePatchGrid(stack->GetMetaDataDictionary(), fromMetaData));
  EXPECT_EQ(fromMetaData, grid);
}

TEST(PatchExtractor, RequestsOnlyTheBoundingBoxOfTheRequestedPatches)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 23, 19 } }, 6, 1, { { 3, -2, 5 } });
  for (const Padding padding : { Padding::Constant, Padding::ZeroFluxNeumann })
  {
    auto extractor = itk::PatchExtractor<ImageType>::New();
    extractor->SetInput(image);
    extractor->SetPatchSize({ { 10, 8, 6 } });
    extractor->SetPatchOverlap({ { 5, 4, 3 } });
    extractor->SetBorderMode(BorderMode::Pad);
    extractor->SetPadOverlap(true);
    extractor->SetPadding(padding);
    extractor->UpdateOutputInformation();
    const auto & grid = extractor->GetPatchGrid();
    for (itk::SizeValueType first = 0; first < grid.GetNumberOfPatches(); first += 7)
    {
      const itk::SizeValueType last = std::min(first + 4, grid.GetNumberOfPatches() - 1);
      auto                     stackRegion = extractor->GetOutput()->GetLargestPossibleRegion();
      stackRegion.SetIndex(3, static_cast<itk::IndexValueType>(first));
      stackRegion.SetSize(3, last - first + 1);
      extractor->GetOutput()->SetRequestedRegion(stackRegion);
      extractor->GetOutput()->PropagateRequestedRegion();

      // With constant padding the patches read exactly their valid regions;
      // with replication the outside voxels read the nearest edge voxels, inside the same box.
      ImageType::RegionType expected = grid.GetValidPatchRegion(first);
      for (itk::SizeValueType k = first; k <= last; ++k)
      {
        const auto           valid = grid.GetValidPatchRegion(k);
        ImageType::IndexType low, high;
        for (unsigned int d = 0; d < 3; ++d)
        {
          low[d] = std::min(expected.GetIndex(d), valid.GetIndex(d));
          high[d] = std::max(expected.GetUpperIndex()[d], valid.GetUpperIndex()[d]);
        }
        expected.SetIndex(low);
        expected.SetUpperIndex(high);
      }
      ASSERT_EQ(image->GetRequestedRegion(), expected)
        << itk::ToString(padding) << " patches " << first << ".." << last;
    }
  }
}

TEST(PatchExtractor, TakesBackItsBufferWhenNothingElseHoldsItAndNeverOverwritesOneStillHeld)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 29, 13, 17 } }, 7);
  const auto reference = MakeExtractor<ImageType>(image, { { 8, 6, 5 } }, { { 4, 3, 2 } }, BorderMode::Squeeze);
  reference->Update();
  const auto  extractor = MakeExtractor<ImageType>(image, { { 8, 6, 5 } }, { { 4, 3, 2 } }, BorderMode::Squeeze);
  StackType * stack = extractor->GetOutput();
  extractor->UpdateOutputInformation();
  const auto patches = [&](itk::SizeValueType first, itk::SizeValueType count) {
    auto region = stack->GetLargestPossibleRegion();
    region.SetIndex(3, static_cast<itk::IndexValueType>(first));
    region.SetSize(3, count);
    return region;
  };
  const auto request = [&](itk::SizeValueType first, itk::SizeValueType count) {
    stack->SetRequestedRegion(patches(first, count));
    stack->PropagateRequestedRegion();
    stack->UpdateOutputData();
    EXPECT_EQ(DescribeDifferences(reference->GetOutput(), stack, patches(first, count)), "");
  };

  request(0, 4);
  const float * buffer = stack->GetBufferPointer();
  stack->ReleaseData(); // as an in-place filter downstream releases its input
  // The allocator cannot hand that memory back by chance while this holds a block of its size.
  const std::vector<float> blocker(patches(0, 4).GetNumberOfPixels(), 1.0f);
  request(4, 3);
  EXPECT_EQ(stack->GetBufferPointer(), buffer) << "the released buffer was not taken back";

  // An image still holding the buffer (a graft, an in-place output downstream) keeps its values.
  auto held = StackType::New();
  held->Graft(stack);
  stack->ReleaseData();
  request(10, 3);
  EXPECT_NE(stack->GetBufferPointer(), held->GetBufferPointer());
  EXPECT_EQ(DescribeDifferences(reference->GetOutput(), held.GetPointer(), patches(4, 3)), "");

  // A request larger than the buffer gets a larger one.
  held = nullptr;
  stack->ReleaseData();
  request(0, 20);
  EXPECT_EQ(blocker.front(), 1.0f);
}

// VectorImage and Image of Vector: every component of every patch.
template <typename TCase>
using PatchExtractorMultiComponent = PatchStreamingTest::MultiComponentTest<TCase>;
TYPED_TEST_SUITE(PatchExtractorMultiComponent, PatchStreamingTest::MultiComponentCases);

TYPED_TEST(PatchExtractorMultiComponent, PatchesEqualRegionsOfInterest)
{
  const auto image = TestFixture::MakeImage({ { 19, 14, 11 } }, 8);
  auto       extractor = PatchStreamingTest::MakeExtractor<typename TestFixture::ImageType>(
    image, { { 8, 6, 5 } }, { { 3, 2, 2 } }, BorderMode::Edge);
  extractor->Update();
  EXPECT_EQ(extractor->GetOutput()->GetNumberOfComponentsPerPixel(), TestFixture::Components);
  ExpectPatchesEqualRegionsOfInterest(
    image.GetPointer(), extractor->GetOutput(), extractor.GetPointer(), extractor->GetPatchGrid().GetNumberOfPatches());
}

TEST(PatchExtractor, VectorImagePaddingValueFillsEveryComponent)
{
  using ImageType = itk::VectorImage<float, 2>;
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 5, 4 } }, 9, 3);
  auto       extractor = itk::PatchExtractor<ImageType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize({ { 7, 4 } });
  ImageType::PixelType padding(3);
  padding[0] = 1.0f;
  padding[1] = 2.0f;
  padding[2] = 3.0f;
  extractor->SetPaddingValue(padding);
  extractor->Update();
  EXPECT_EQ(extractor->GetOutput()->GetPixel({ { 6, 0, 0 } }), padding);
  EXPECT_EQ(extractor->GetOutput()->GetPixel({ { 2, 1, 0 } }), image->GetPixel({ { 2, 1 } }));

  ImageType::PixelType wrongLength(2);
  wrongLength.Fill(0.0f);
  extractor->SetPaddingValue(wrongLength);
  PatchStreamingTest::ExpectExceptionMentioning([&] { extractor->Update(); }, "PaddingValue has 2 components");
}

TEST(PatchExtractor, ResultDoesNotDependOnTheNumberOfThreads)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 23, 19 } }, 10);
  auto       single = itk::PatchExtractor<ImageType>::New();
  auto       many = itk::PatchExtractor<ImageType>::New();
  for (auto & extractor : { single, many })
  {
    extractor->SetInput(image);
    extractor->SetPatchSize({ { 8, 8, 8 } });
    extractor->SetPatchOverlap({ { 4, 4, 4 } });
    extractor->SetBorderMode(BorderMode::Pad);
    extractor->SetPadding(Padding::Mirror);
  }
  single->SetNumberOfWorkUnits(1);
  single->Update();
  many->Update();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
              single->GetOutput(), many->GetOutput(), single->GetOutput()->GetLargestPossibleRegion()),
            "");
}

/** The extractor's progress counts the stack's rows over the whole request; ITK's threader
 * progress (which sets the fraction of work units done) would make it fall back and jump. */
TEST(PatchExtractor, ProgressRisesToOneWithAnyNumberOfWorkUnits)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 67, 53, 49 } }, 11);
  auto       extractor = itk::PatchExtractor<ImageType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize({ { 16, 16, 16 } });
  extractor->SetPatchOverlap({ { 8, 8, 8 } });
  for (const itk::ThreadIdType workUnits : { 1, 2, 3, 4 })
  {
    SCOPED_TRACE(workUnits);
    PatchStreamingTest::ExpectProgressRisesToOne(PatchStreamingTest::RecordProgress(extractor, workUnits), 20);
  }
}

void
ExpectUpdateThrowsMentioning(const itk::Size<3> & patchSize, const itk::Size<3> & overlap, const std::string & words)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 9, 8, 7 } }, 12);
  auto       extractor = itk::PatchExtractor<ImageType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize(patchSize);
  extractor->SetPatchOverlap(overlap);
  PatchStreamingTest::ExpectExceptionMentioning([&] { extractor->Update(); }, words);
}

TEST(PatchExtractor, BadParametersThrowNamingParameterAndAxis)
{
  ExpectUpdateThrowsMentioning({ { 4, 0, 4 } }, { { 0, 0, 0 } }, "PatchSize[1] = 0");
  ExpectUpdateThrowsMentioning(
    { { 4, 4, 4 } }, { { 0, 0, 4 } }, "PatchOverlap[2] = 4 must be less than PatchSize[2] = 4");
  ExpectUpdateThrowsMentioning({ { 4, 4, 4 } }, { { 5, 0, 0 } }, "PatchOverlap[0] = 5");
}

/** A patch stack no memory holds names the patches and bytes, not ITK's "Failed to allocate
 * memory for image." (helper-80). AddressSanitizer's allocator aborts on such a size by design. */
TEST(PatchExtractor, AStackNoMemoryHoldsIsNamedWithItsPatchSizeAndBytes)
{
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer aborts on an allocation larger than it supports";
#else
  ExpectUpdateThrowsMentioning({ { 100000, 100000, 100000 } },
                               { { 0, 0, 0 } },
                               "cannot allocate 1 patch(es) of PatchSize [100000, 100000, 100000] with 1 component(s) "
                               "per pixel (3.72529e+06 GiB): give a smaller PatchSize");
#endif
}

/** Explicit locations (inside, overlapping, partly outside): every patch
 * equals RegionOfInterestImageFilter of its region on the image padded by
 * ITK, with the ROI's physical origin; the stack's origin is patch 0's; only
 * the bounding box of the requested patches is requested; the grid keys are
 * not written. */
TEST(PatchExtractor, ExplicitLocationsEqualRegionsOfInterestAndRequestTheirBoundingBox)
{
  const ImageType::IndexType start{ { 3, -2, 5 } };
  const auto                 image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 29, 17, 13 } }, 8, 1, start);
  const ImageType::SizeType  patchSize{ { 7, 5, 4 } };
  const std::vector<ImageType::IndexType> locations{
    { { 10, 3, 8 } }, { { 3, -2, 5 } },   { { 25, 10, 14 } }, { { 11, 4, 9 } }, // overlapping the first
    { { 0, -4, 3 } }, { { 30, 13, 15 } }, { { 10, 3, 8 } },                     // partly outside; a repeat
  };
  for (const Padding padding : AllPaddings)
  {
    auto extractor = itk::PatchExtractor<ImageType>::New();
    extractor->SetInput(image);
    extractor->SetPatchSize(patchSize);
    extractor->SetPatchOverlap({ { 3, 2, 1 } }); // no effect on explicit locations
    extractor->SetPadding(padding);
    extractor->SetPaddingValue(-7.5f);
    extractor->SetPatchLocations(locations);
    extractor->Update();
    const auto * stack = extractor->GetOutput();
    const auto   padded = PadWithItk<ImageType>(image, padding, patchSize, -7.5f);
    ExpectPatchesEqualRegionsOfInterest(padded.GetPointer(), stack, extractor.GetPointer(), locations.size());
    for (unsigned int d = 0; d < 3; ++d)
    {
      EXPECT_EQ(stack->GetOrigin()[d], extractor->GetPatchOrigin(0)[d]);
      EXPECT_EQ(stack->GetSpacing()[d], image->GetSpacing()[d]);
    }
    EXPECT_FALSE(stack->GetMetaDataDictionary().HasKey("PatchGrid_PatchSize"));
  }

  // Patches 1..3 alone: the bounding box of their regions, all inside the image.
  auto extractor = itk::PatchExtractor<ImageType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize(patchSize);
  extractor->SetPatchLocations(locations);
  extractor->UpdateOutputInformation();
  auto stackRegion = extractor->GetOutput()->GetLargestPossibleRegion();
  stackRegion.SetIndex(3, 1);
  stackRegion.SetSize(3, 3);
  extractor->GetOutput()->SetRequestedRegion(stackRegion);
  extractor->GetOutput()->PropagateRequestedRegion();
  ImageType::RegionType expected;
  expected.SetIndex({ { 3, -2, 5 } });
  expected.SetUpperIndex({ { 31, 14, 17 } }); // 25 + 7 - 1, 10 + 5 - 1, 14 + 4 - 1
  EXPECT_EQ(image->GetRequestedRegion(), expected);

  // A location whose patch misses the image.
  extractor->SetPatchLocations({ { { 10, 3, 8 } }, { { -5, 3, 8 } } });
  PatchStreamingTest::ExpectExceptionMentioning([&] { extractor->UpdateOutputInformation(); },
                                                "PatchLocations[1] = [-5, 3, 8]");
  // helper-95: a location whose patch ends past the largest index (start + size overflowed in Crop).
  const auto largest = itk::NumericTraits<itk::IndexValueType>::max();
  extractor->SetPatchLocations({ { { 10, 3, 8 } }, { { 10, largest - 3, 8 } } });
  PatchStreamingTest::ExpectExceptionMentioning([&] { extractor->UpdateOutputInformation(); },
                                                "ends past the largest index, 9223372036854775807, along axis 1");
  extractor->SetPatchLocations({ { { 10, 3, largest - 4 } } }); // ends at the largest index: misses the image
  PatchStreamingTest::ExpectExceptionMentioning([&] { extractor->UpdateOutputInformation(); },
                                                "does not overlap the input's region");
}
} // namespace
