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

// Every conversion from a floating-point value to an integer pixel: the
// helper against a closed form in long double (which holds every 64-bit
// integer exactly), then the merger, the extractor and their padding and
// background values end to end, at the edges where a plain static_cast is
// undefined: past the type's range, +-Inf and NaN.

#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"
#include "itkPatchValueConversion.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <vector>

namespace
{
/** The documented rule, written independently: round half away from zero,
 * saturate at the type's limits, NaN to 0; compared in long double, whose
 * 64-bit mantissa holds every value of every integer type exactly. */
template <typename TInteger>
TInteger
ExpectedInteger(long double value)
{
  if (std::isnan(value))
  {
    return 0;
  }
  const long double rounded = std::round(value);
  if (rounded >= static_cast<long double>(std::numeric_limits<TInteger>::max()))
  {
    return std::numeric_limits<TInteger>::max();
  }
  if (rounded <= static_cast<long double>(std::numeric_limits<TInteger>::lowest()))
  {
    return std::numeric_limits<TInteger>::lowest();
  }
  return static_cast<TInteger>(rounded);
}

/** Values at every edge of TInteger's range, in double. */
template <typename TInteger>
std::vector<double>
EdgeValues()
{
  const double inf = std::numeric_limits<double>::infinity();
  const double top = std::ldexp(1.0, std::numeric_limits<TInteger>::digits); // max + 1
  const double bottom = std::is_signed<TInteger>::value ? -top : 0.0;
  return { 0.0,
           0.5,
           -0.5,
           1.5,
           2.5,
           -2.5,
           0.49999999999999994,
           126.5,
           127.5,
           255.5,
           -128.5,
           65535.4,
           1e9,
           -1e9,
           1e19,
           -1e19,
           1e20,
           -1e20,
           1e300,
           -1e300,
           inf,
           -inf,
           std::nan(""),
           top,
           std::nextafter(top, 0.0),
           top - 1.0,
           top + 2048.0,
           bottom,
           std::nextafter(bottom, -inf),
           std::nextafter(bottom, inf),
           bottom - 1.0 };
}

template <typename TInteger>
class PatchValueConversion : public ::testing::Test
{};
using IntegerTypes = ::testing::Types<signed char,
                                      unsigned char,
                                      short,
                                      unsigned short,
                                      int,
                                      unsigned int,
                                      long,
                                      unsigned long,
                                      long long,
                                      unsigned long long>;
TYPED_TEST_SUITE(PatchValueConversion, IntegerTypes);

TYPED_TEST(PatchValueConversion, RoundsToNearestSaturatesAndMapsNaNToZero)
{
  for (const double value : EdgeValues<TypeParam>())
  {
    SCOPED_TRACE(value);
    EXPECT_EQ(itk::PatchStreamingDetail::RoundToInteger<TypeParam>(value), ExpectedInteger<TypeParam>(value));
    const auto single = static_cast<float>(value);
    EXPECT_EQ(itk::PatchStreamingDetail::RoundToInteger<TypeParam>(single), ExpectedInteger<TypeParam>(single));
  }
}

/** A merge of a one-voxel image from one one-voxel patch holding `value`:
 * the output pixel is the value converted, whatever the weighting. */
template <typename TOutputImage>
typename TOutputImage::PixelType
MergeOneVoxel(double value, itk::PatchStreamingEnums::Weighting weighting)
{
  using ImageType = itk::Image<double, 3>;
  using StackType = itk::Image<double, 4>;
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { 1, 1, 1 } });
  image->Allocate();
  image->FillBuffer(value);
  auto extractor = itk::PatchExtractor<ImageType, StackType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize({ { 1, 1, 1 } });
  auto merger = itk::PatchMerger<StackType, TOutputImage>::New();
  merger->SetInput(extractor->GetOutput());
  merger->SetWeighting(weighting);
  merger->Update();
  return merger->GetOutput()->GetPixel({ { 0, 0, 0 } });
}

TYPED_TEST(PatchValueConversion, MergedIntegerPixelsAreRoundedAndSaturated)
{
  using OutputImageType = itk::Image<TypeParam, 3>;
  for (const auto weighting :
       { itk::PatchStreamingEnums::Weighting::Average, itk::PatchStreamingEnums::Weighting::Gaussian })
  {
    for (const double value : EdgeValues<TypeParam>())
    {
      SCOPED_TRACE(std::to_string(value) + " " + itk::ToString(weighting));
      EXPECT_EQ(MergeOneVoxel<OutputImageType>(value, weighting), ExpectedInteger<TypeParam>(value));
    }
  }
}

TYPED_TEST(PatchValueConversion, IntegerStacksGetRoundedPatchesAndPaddingValues)
{
  using ImageType = itk::Image<float, 2>;
  using StackType = itk::Image<TypeParam, 3>;
  const std::vector<double> values = EdgeValues<TypeParam>();
  auto                      image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { values.size(), 1 } });
  image->Allocate();
  for (itk::IndexValueType i = 0; i < static_cast<itk::IndexValueType>(values.size()); ++i)
  {
    image->SetPixel({ { i, 0 } }, static_cast<float>(values[static_cast<std::size_t>(i)]));
  }
  for (const double padding : { 1e20, -1e20, static_cast<double>(std::nanf("")), 2.5 })
  {
    SCOPED_TRACE(padding);
    // One patch the image's length along axis 0, three rows along axis 1: row 0 is the image, rows 1-2 padding.
    auto extractor = itk::PatchExtractor<ImageType, StackType>::New();
    extractor->SetInput(image);
    extractor->SetPatchSize({ { values.size(), 3 } });
    extractor->SetPaddingValue(static_cast<float>(padding));
    extractor->Update();
    const StackType * stack = extractor->GetOutput();
    for (itk::IndexValueType i = 0; i < static_cast<itk::IndexValueType>(values.size()); ++i)
    {
      const auto single = static_cast<float>(values[static_cast<std::size_t>(i)]);
      EXPECT_EQ(stack->GetPixel({ { i, 0, 0 } }), ExpectedInteger<TypeParam>(single)) << single;
      EXPECT_EQ(stack->GetPixel({ { i, 2, 0 } }), ExpectedInteger<TypeParam>(static_cast<float>(padding)));
    }
  }
}
} // namespace
