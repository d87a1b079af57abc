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
#include "itkPatchIntegerReference.h"
#include "itkPatchMerger.h"
#include "itkPatchValueConversion.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <vector>

namespace
{
using PatchStreamingTest::IntegerEdgeValues;
using PatchStreamingTest::ReferenceInteger;

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
  for (const double value : IntegerEdgeValues<TypeParam>())
  {
    SCOPED_TRACE(value);
    EXPECT_EQ(itk::PatchStreamingDetail::RoundToInteger<TypeParam>(value), ReferenceInteger<TypeParam>(value));
    const auto single = static_cast<float>(value);
    EXPECT_EQ(itk::PatchStreamingDetail::RoundToInteger<TypeParam>(single), ReferenceInteger<TypeParam>(single));
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
    for (const double value : IntegerEdgeValues<TypeParam>())
    {
      SCOPED_TRACE(std::to_string(value) + " " + itk::ToString(weighting));
      EXPECT_EQ(MergeOneVoxel<OutputImageType>(value, weighting), ReferenceInteger<TypeParam>(value));
    }
  }
}

TYPED_TEST(PatchValueConversion, IntegerStacksGetRoundedPatchesAndPaddingValues)
{
  using ImageType = itk::Image<float, 2>;
  using StackType = itk::Image<TypeParam, 3>;
  const std::vector<double> values = IntegerEdgeValues<TypeParam>();
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
      EXPECT_EQ(stack->GetPixel({ { i, 0, 0 } }), ReferenceInteger<TypeParam>(single)) << single;
      EXPECT_EQ(stack->GetPixel({ { i, 2, 0 } }), ReferenceInteger<TypeParam>(static_cast<float>(padding)));
    }
  }
}
} // namespace
