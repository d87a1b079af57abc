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
#ifndef itkPatchStreamingTestUtilities_h
#define itkPatchStreamingTestUtilities_h

// Images and comparisons shared by the tests: deterministic random images on
// odd sizes with anisotropic spacing and oblique directions.

#include "itkDefaultConvertPixelTraits.h"
#include "itkImageRegionConstIteratorWithIndex.h"
#include "itkImageRegionIterator.h"
#include "itkImageRegionIteratorWithIndex.h"
#include "itkNumericTraits.h"
#include "itkPatchExtractor.h"
#include "itkImageFileReader.h"
#include "itkVector.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace PatchStreamingTest
{
/** The names most tests share: a test file says `using namespace PatchStreamingTest;`. */
using BorderMode = itk::PatchStreamingEnums::BorderMode;
using Padding = itk::PatchStreamingEnums::Padding;
using Weighting = itk::PatchStreamingEnums::Weighting;
/** The tests' usual image and the stack of its patches. */
using ImageType = itk::Image<float, 3>;
using StackType = itk::Image<float, 4>;

/** A proper rotation that mixes every pair of axes (so no axis is aligned with the world). */
template <unsigned int VDimension>
itk::Matrix<itk::SpacePrecisionType, VDimension, VDimension>
ObliqueDirection()
{
  itk::Matrix<itk::SpacePrecisionType, VDimension, VDimension> direction;
  direction.SetIdentity();
  double angle = 0.3;
  for (unsigned int a = 0; a < VDimension; ++a)
  {
    for (unsigned int b = a + 1; b < VDimension; ++b, angle += 0.25)
    {
      itk::Matrix<itk::SpacePrecisionType, VDimension, VDimension> rotation;
      rotation.SetIdentity();
      rotation[a][a] = std::cos(angle);
      rotation[a][b] = -std::sin(angle);
      rotation[b][a] = std::sin(angle);
      rotation[b][b] = std::cos(angle);
      direction = direction * rotation;
    }
  }
  return direction;
}

/** An image of the given size (and start index) with anisotropic spacing,
 * an origin off zero and an oblique direction, filled with random values on
 * a 1/8 grid in [-64, 64): sums of up to 2^17 of them are exact in float. */
template <typename TImage>
typename TImage::Pointer
MakeRandomImage(const typename TImage::SizeType &  size,
                unsigned int                       seed,
                unsigned int                       components = 1,
                const typename TImage::IndexType & index = typename TImage::IndexType())
{
  constexpr unsigned int VDimension = TImage::ImageDimension;
  auto                   image = TImage::New();
  image->SetRegions(typename TImage::RegionType(index, size));
  image->SetNumberOfComponentsPerPixel(components);
  typename TImage::SpacingType spacing;
  typename TImage::PointType   origin;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    spacing[d] = 0.7 + 0.55 * d;
    origin[d] = -12.5 + 7.25 * d;
  }
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(ObliqueDirection<VDimension>());
  image->Allocate();

  std::mt19937                       generator(seed);
  std::uniform_int_distribution<int> eighths(-512, 511);
  using PixelType = typename TImage::PixelType;
  for (itk::ImageRegionIterator<TImage> it(image, image->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    PixelType pixel = it.Get();
    for (unsigned int c = 0; c < itk::NumericTraits<PixelType>::GetLength(pixel); ++c)
    {
      itk::DefaultConvertPixelTraits<PixelType>::SetNthComponent(c, pixel, eighths(generator) / 8.0);
    }
    it.Set(pixel);
  }
  return image;
}

/** A TImage with the geometry of `like` (its largest possible region, spacing,
 * origin and direction), buffered over all of it; zeroed when `zero`, else uninitialized. */
template <typename TImage>
typename TImage::Pointer
MakeImageLike(const itk::ImageBase<TImage::ImageDimension> * like, bool zero)
{
  auto image = TImage::New();
  image->CopyInformation(like);
  image->SetRegions(like->GetLargestPossibleRegion());
  image->Allocate(zero);
  return image;
}

/** An extractor of `image` with the given patch geometry. */
template <typename TImage>
typename itk::PatchExtractor<TImage>::Pointer
MakeExtractor(const TImage *                       image,
              const typename TImage::SizeType &    patch,
              const typename TImage::SizeType &    overlap,
              itk::PatchStreamingEnums::BorderMode mode,
              bool                                 padOverlap = false)
{
  auto extractor = itk::PatchExtractor<TImage>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize(patch);
  extractor->SetPatchOverlap(overlap);
  extractor->SetBorderMode(mode);
  extractor->SetPadOverlap(padOverlap);
  return extractor;
}

/** A stack whose patches differ (v + (k mod 5)/8): patches no longer agree where they overlap. */
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

/** Empty when `same(expected, actual)` holds voxel for voxel over `region`
 * (by default: equal), else how many voxels fail and the first of them. */
template <typename TExpected, typename TActual, typename TSame = std::equal_to<>>
std::string
DescribeDifferences(const TExpected *                      expected,
                    const TActual *                        actual,
                    const typename TExpected::RegionType & region,
                    TSame                                  same = TSame())
{
  itk::ImageRegionConstIteratorWithIndex<TExpected> e(expected, region);
  itk::ImageRegionConstIteratorWithIndex<TActual>   a(actual, region);
  itk::SizeValueType                                differences = 0;
  std::ostringstream                                first;
  first.precision(17);
  for (; !e.IsAtEnd(); ++e, ++a)
  {
    if (!same(e.Get(), a.Get()))
    {
      if (differences++ == 0)
      {
        first << "first at " << e.GetIndex() << ": expected " << e.Get() << ", got " << a.Get();
      }
    }
  }
  if (differences == 0)
  {
    return {};
  }
  return std::to_string(differences) + " voxels differ; " + first.str();
}

/** The image in `file`, read whole. */
template <typename TImage>
typename TImage::Pointer
ReadImage(const std::string & file)
{
  auto reader = itk::ImageFileReader<TImage>::New();
  reader->SetFileName(file);
  reader->Update();
  return reader->GetOutput();
}

/** A comparison for DescribeDifferences: |actual - expected| <= tolerance * max(|expected|, 1). */
inline auto
WithinRelative(double tolerance)
{
  return [tolerance](double expected, double actual) {
    return std::abs(actual - expected) <= tolerance * std::max(std::abs(expected), 1.0);
  };
}

/** Expects `action` to throw an itk::ExceptionObject whose description contains `words`. */
inline void
ExpectExceptionMentioning(const std::function<void()> & action, const std::string & words)
{
  try
  {
    action();
    ADD_FAILURE() << "no exception; expected one mentioning \"" << words << "\"";
  }
  catch (const itk::ExceptionObject & error)
  {
    EXPECT_NE(std::string(error.GetDescription()).find(words), std::string::npos) << error.GetDescription();
  }
}

/** Updates `filter` with `workUnits` work units and returns the progress it reported at each ProgressEvent. */
inline std::vector<float>
RecordProgress(itk::ProcessObject * filter, itk::ThreadIdType workUnits)
{
  std::vector<float> progress;
  filter->SetNumberOfWorkUnits(workUnits);
  const auto observer = filter->AddObserver(
    itk::ProgressEvent(), [&](const itk::EventObject &) { progress.push_back(filter->GetProgress()); });
  filter->Modified();
  filter->Update();
  filter->RemoveObserver(observer);
  return progress;
}

/** Expects `progress` (see RecordProgress) to rise, never fall, to 1, in more than `steps` steps inside (0, 1). */
inline void
ExpectProgressRisesToOne(const std::vector<float> & progress, std::ptrdiff_t steps)
{
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()))
    << "the progress fell: " << ::testing::PrintToString(progress);
  EXPECT_FLOAT_EQ(progress.back(), 1.0f);
  EXPECT_GT(std::count_if(progress.begin(), progress.end(), [](float p) { return p > 0.0f && p < 1.0f; }), steps)
    << ::testing::PrintToString(progress);
}

/** One case of the multi-component typed tests: a 3-D TImage whose pixels have VComponents components. */
template <typename TImage, unsigned int VComponents>
struct MultiComponentCase
{
  using ImageType = TImage;
  static constexpr unsigned int Components = VComponents;
};

/** The multi-component pixels the typed tests run on: a VectorImage and an Image of Vector. */
using MultiComponentCases = ::testing::Types<MultiComponentCase<itk::VectorImage<float, 3>, 3>,
                                             MultiComponentCase<itk::Image<itk::Vector<float, 2>, 3>, 2>>;

/** The fixture of a typed test over MultiComponentCases: the case's image type,
 * the stack of its patches, and random images of it. */
template <typename TCase>
class MultiComponentTest : public ::testing::Test
{
public:
  using ImageType = typename TCase::ImageType;
  using StackType = typename ImageType::template RebindImageType<typename ImageType::PixelType, 4>;
  static constexpr unsigned int Components = TCase::Components;

  /** A random image of `size` (see MakeRandomImage) with the case's components. */
  static typename ImageType::Pointer
  MakeImage(const typename ImageType::SizeType & size, unsigned int seed)
  {
    return MakeRandomImage<ImageType>(size, seed, Components);
  }
};
} // namespace PatchStreamingTest

#endif
