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
#include "itkLabelPatchSampler.h"
#include "itkPatchExtractor.h"
#include "itkUniformPatchSampler.h"
#include "itkWeightedPatchSampler.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkMultiThreaderBase.h"
#include "gtest/gtest.h"

#include <map>

namespace
{
using ImageType = itk::Image<float, 3>;
using IndexType = ImageType::IndexType;
using LocationsType = std::vector<IndexType>;
constexpr itk::IndexValueType Drawn = 100000;

/** A 3-D image of odd size with a start index off zero, anisotropic spacing and an oblique direction. */
ImageType::Pointer
MakeReference()
{
  return PatchStreamingTest::MakeRandomImage<ImageType>({ { 13, 9, 7 } }, 1, 1, { { 3, -2, 5 } });
}

/** An image of the reference's geometry (or its own), filled with `value`. */
template <typename TImage>
typename TImage::Pointer
MakeMap(const ImageType * reference, typename TImage::PixelType value)
{
  auto map = PatchStreamingTest::MakeImageLike<TImage>(reference, false);
  map->FillBuffer(value);
  return map;
}

/** The center of each patch: start + floor(P / 2). */
LocationsType
Centers(const LocationsType & starts, const ImageType::SizeType & patchSize)
{
  LocationsType centers = starts;
  for (auto & center : centers)
  {
    for (unsigned int d = 0; d < 3; ++d)
    {
      center[d] += static_cast<itk::IndexValueType>(patchSize[d] / 2);
    }
  }
  return centers;
}

/** The 0.999 quantile of chi-square with `df` degrees of freedom (Wilson-Hilferty, accurate to < 0.5 % here). */
double
ChiSquareQuantile999(double df)
{
  const double z = 3.090232306167813; // the standard normal's 0.999 quantile
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

/** Pearson's chi-square of the positions' histogram against uniform over `region`. */
double
ChiSquareAgainstUniform(const LocationsType & positions, const ImageType::RegionType & region)
{
  std::vector<double> histogram(region.GetNumberOfPixels(), 0.0);
  for (const auto & position : positions)
  {
    EXPECT_TRUE(region.IsInside(position)) << position;
    itk::SizeValueType cell = 0;
    for (int d = 2; d >= 0; --d)
    {
      cell = cell * region.GetSize(d) + static_cast<itk::SizeValueType>(position[d] - region.GetIndex(d));
    }
    histogram[cell] += 1.0;
  }
  const double expected = static_cast<double>(positions.size()) / static_cast<double>(histogram.size());
  double       chiSquare = 0.0;
  for (const double observed : histogram)
  {
    chiSquare += (observed - expected) * (observed - expected) / expected;
  }
  return chiSquare;
}

TEST(UniformPatchSampler, PositionsAreUniformAndPatchesInsideTheImageOrItsPaddedExtent)
{
  const auto                reference = MakeReference();
  const auto &              image = reference->GetLargestPossibleRegion();
  const ImageType::SizeType patchSize{ { 4, 3, 5 } };
  for (const bool allowOutside : { false, true })
  {
    auto sampler = itk::UniformPatchSampler<3>::New();
    sampler->SetReferenceImage(reference);
    sampler->SetPatchSize(patchSize);
    sampler->SetAllowOutside(allowOutside);
    sampler->SetSeed(2026);
    const auto starts = sampler->Sample(200000);
    ASSERT_EQ(starts.size(), 200000u);

    // Every start inside the image (or reaching out by at most floor(P/2)), independently computed.
    ImageType::RegionType allowedStarts;
    for (unsigned int d = 0; d < 3; ++d)
    {
      const auto half = static_cast<itk::IndexValueType>(patchSize[d] / 2);
      allowedStarts.SetIndex(d, image.GetIndex(d) - (allowOutside ? half : 0));
      allowedStarts.SetSize(d, allowOutside ? image.GetSize(d) : image.GetSize(d) - patchSize[d] + 1);
    }
    const double chiSquare = ChiSquareAgainstUniform(starts, allowedStarts);
    const double df = static_cast<double>(allowedStarts.GetNumberOfPixels() - 1);
    EXPECT_LT(chiSquare, ChiSquareQuantile999(df)) << "AllowOutside " << allowOutside << ", " << df + 1 << " positions";
    EXPECT_GT(chiSquare, 0.0);
  }
}

/** Sample(0) is refused: its empty list, given to PatchExtractor::SetPatchLocations, cut the
 * whole grid (helper-87). */
TEST(UniformPatchSampler, ACountOfZeroIsRefused)
{
  auto sampler = itk::UniformPatchSampler<3>::New();
  sampler->SetReferenceImage(MakeReference());
  sampler->SetPatchSize({ { 4, 3, 5 } });
  PatchStreamingTest::ExpectExceptionMentioning([&] { sampler->Sample(0); },
                                                "Sample(0): count = 0; expected at least 1 patch (an empty list of "
                                                "locations given to PatchExtractor::SetPatchLocations means the "
                                                "whole grid)");
  PatchStreamingTest::ExpectExceptionMentioning([&] { sampler->SampleIndices(0); }, "Sample(0): count = 0");
  EXPECT_EQ(sampler->Sample(1).size(), 1u);
}

/** The chi-square test can fail: a sampler that never draws the last position along axis 0 is rejected. */
TEST(UniformPatchSampler, TheChiSquareTestRejectsAMissingPosition)
{
  const auto reference = MakeReference();
  auto       sampler = itk::UniformPatchSampler<3>::New();
  sampler->SetReferenceImage(reference);
  sampler->SetPatchSize({ { 4, 3, 5 } });
  auto starts = sampler->Sample(200000);
  for (auto & start : starts)
  {
    start[0] = std::min<itk::IndexValueType>(start[0], 3 + 8); // fold position 9 onto 8
  }
  ImageType::RegionType allowedStarts({ { 3, -2, 5 } }, { { 10, 7, 3 } });
  EXPECT_GT(ChiSquareAgainstUniform(starts, allowedStarts), ChiSquareQuantile999(209.0));
}

TEST(WeightedPatchSampler, ASingleNonZeroVoxelIsTheOnlyCenter)
{
  const auto                reference = MakeReference();
  const ImageType::SizeType patchSize{ { 5, 3, 3 } };
  auto                      map = MakeMap<itk::Image<float, 3>>(reference, 0.0f);
  const IndexType           only{ { 9, 1, 7 } };
  map->SetPixel(only, 0.25f);
  auto sampler = itk::WeightedPatchSampler<itk::Image<float, 3>>::New();
  sampler->SetReferenceImage(reference);
  sampler->SetProbabilityMap(map);
  sampler->SetPatchSize(patchSize);
  for (const auto & center : Centers(sampler->Sample(5000), patchSize))
  {
    ASSERT_EQ(center, only);
  }
}

/** A map of two values, a on one half and b on the other: the halves are drawn a|A| : b|B| (within 1 percentage point).
 */
TEST(WeightedPatchSampler, TwoValuedMapFrequenciesMatchTheExpectedRatio)
{
  const auto                reference = MakeReference();
  const ImageType::SizeType patchSize{ { 3, 3, 1 } };
  auto                      map = MakeMap<itk::Image<double, 3>>(reference, 1.0);
  for (itk::ImageRegionIteratorWithIndex<itk::Image<double, 3>> it(map, map->GetLargestPossibleRegion()); !it.IsAtEnd();
       ++it)
  {
    it.Set(it.GetIndex()[0] < 8 ? 1.0 : 3.0);
  }
  auto sampler = itk::WeightedPatchSampler<itk::Image<double, 3>>::New();
  sampler->SetReferenceImage(reference);
  sampler->SetProbabilityMap(map);
  sampler->SetPatchSize(patchSize);
  sampler->SetSeed(7);
  const auto centers = Centers(sampler->Sample(Drawn), patchSize);
  // Allowed centers along axis 0: 4..14 (start 3 + 1 to 15 - 1); value 1 on 4..7 (4 columns), 3 on 8..14 (7).
  const double expectedLow = 4.0 * 1.0 / (4.0 * 1.0 + 7.0 * 3.0);
  const double low =
    static_cast<double>(std::count_if(centers.begin(), centers.end(), [](const IndexType & c) { return c[0] < 8; })) /
    Drawn;
  EXPECT_NEAR(low, expectedLow, 0.01);
  EXPECT_GT(low, 0.0);
}

TEST(WeightedPatchSampler, BadMapsThrowNamingTheProblem)
{
  const auto reference = MakeReference();
  auto       sampler = itk::WeightedPatchSampler<itk::Image<float, 3>>::New();
  sampler->SetReferenceImage(reference);
  sampler->SetPatchSize({ { 3, 3, 3 } });
  PatchStreamingTest::ExpectExceptionMentioning([&] { sampler->Sample(1); }, "ProbabilityMap is not set");
  sampler->SetProbabilityMap(MakeMap<itk::Image<float, 3>>(reference, 0.0f));
  PatchStreamingTest::ExpectExceptionMentioning([&] { sampler->Sample(1); }, "ProbabilityMap is zero wherever a patch");
  auto negative = MakeMap<itk::Image<float, 3>>(reference, 1.0f);
  negative->SetPixel({ { 4, 0, 6 } }, -0.5f);
  sampler->SetProbabilityMap(negative);
  PatchStreamingTest::ExpectExceptionMentioning([&] { sampler->Sample(1); }, "value -0.5 at index [4, 0, 6]");
  // Non-zero only where no patch fits (the image's first voxel).
  auto border = MakeMap<itk::Image<float, 3>>(reference, 0.0f);
  border->SetPixel({ { 3, -2, 5 } }, 1.0f);
  sampler->SetProbabilityMap(border);
  PatchStreamingTest::ExpectExceptionMentioning([&] { sampler->Sample(1); },
                                                "no patch can be drawn; its 1 voxel above 0 lies where no patch fits");
  // helper-85: a map of ones beside the image in physical space (written without the image's
  // geometry) was said to be zero.
  auto beside = MakeMap<itk::Image<float, 3>>(reference, 1.0f);
  auto origin = reference->GetOrigin();
  origin[1] += 100.0 * reference->GetSpacing()[1];
  beside->SetOrigin(origin);
  sampler->SetProbabilityMap(beside);
  PatchStreamingTest::ExpectExceptionMentioning(
    [&] { sampler->Sample(1); },
    "no patch can be drawn; none of its voxels lies where a patch fits: the map is placed through physical space");
  sampler->SetPatchSize({ { 14, 3, 3 } });
  PatchStreamingTest::ExpectExceptionMentioning([&] { sampler->Sample(1); },
                                                "PatchSize[0] = 14 exceeds the image's size 13");
}

/** A map at half the resolution (its own origin and spacing, the same
 * direction): a drawn map voxel gives centers in the image voxels it covers,
 * through physical space, and each of them. */
TEST(WeightedPatchSampler, ACoarserMapSelectsThroughPhysicalSpace)
{
  const auto reference = MakeReference();
  using MapType = itk::Image<float, 3>;
  auto map = MapType::New();
  map->SetRegions(MapType::SizeType{ { 7, 5, 4 } });
  MapType::SpacingType spacing;
  for (unsigned int d = 0; d < 3; ++d)
  {
    spacing[d] = 2.0 * reference->GetSpacing()[d];
  }
  map->SetSpacing(spacing);
  map->SetDirection(reference->GetDirection());
  // Map voxel [i] covers image voxels start + 2i and start + 2i + 1 along each axis.
  itk::ContinuousIndex<double, 3> corner;
  for (unsigned int d = 0; d < 3; ++d)
  {
    corner[d] = reference->GetLargestPossibleRegion().GetIndex(d) + 0.5;
  }
  MapType::PointType origin;
  reference->TransformContinuousIndexToPhysicalPoint(corner, origin);
  map->SetOrigin(origin);
  map->Allocate();
  map->FillBuffer(0.0f);
  map->SetPixel({ { 3, 2, 1 } }, 1.0f);

  auto sampler = itk::WeightedPatchSampler<MapType>::New();
  sampler->SetReferenceImage(reference);
  sampler->SetProbabilityMap(map);
  sampler->SetPatchSize({ { 3, 3, 3 } });
  std::map<IndexType, int, std::function<bool(const IndexType &, const IndexType &)>> seen(
    [](const IndexType & a, const IndexType & b) {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
    });
  for (const auto & center : Centers(sampler->Sample(4000), { { 3, 3, 3 } }))
  {
    ++seen[center];
  }
  // Image voxels 3 + 6..7, -2 + 4..5, 5 + 2..3: all eight, nothing else, about 500 each.
  ASSERT_EQ(seen.size(), 8u);
  for (const auto & [center, count] : seen)
  {
    EXPECT_TRUE((center[0] == 9 || center[0] == 10) && (center[1] == 2 || center[1] == 3) &&
                (center[2] == 7 || center[2] == 8))
      << center;
    EXPECT_NEAR(count, 500, 120) << center;
  }
}

using LabelMapType = itk::Image<unsigned char, 3>;

/** Labels 1 on x < 6, 2 on 6 <= x < 12, 0 elsewhere (and 9 only on the border where no patch fits). */
LabelMapType::Pointer
MakeLabels(const ImageType * reference)
{
  auto labels = MakeMap<LabelMapType>(reference, 0);
  for (itk::ImageRegionIteratorWithIndex<LabelMapType> it(labels, labels->GetLargestPossibleRegion()); !it.IsAtEnd();
       ++it)
  {
    const auto x = it.GetIndex()[0];
    it.Set(x == 3 ? 9 : (x < 6 ? 1 : (x < 12 ? 2 : 0)));
  }
  return labels;
}

std::map<int, double>
CenterLabelFrequencies(const LabelMapType * labels, const LocationsType & centers)
{
  std::map<int, double> frequencies;
  for (const auto & center : centers)
  {
    frequencies[labels->GetPixel(center)] += 1.0 / static_cast<double>(centers.size());
  }
  return frequencies;
}

/** A label sampler of 3x3x3 patches on the reference and its labels. */
itk::LabelPatchSampler<LabelMapType>::Pointer
MakeLabelSampler(const ImageType *                                                    reference,
                 const LabelMapType *                                                 labels,
                 const itk::LabelPatchSampler<LabelMapType>::LabelProbabilitiesType & table)
{
  auto sampler = itk::LabelPatchSampler<LabelMapType>::New();
  sampler->SetReferenceImage(reference);
  sampler->SetLabelMap(labels);
  sampler->SetPatchSize(ImageType::SizeType::Filled(3));
  sampler->SetLabelProbabilities(table);
  return sampler;
}

TEST(LabelPatchSampler, CenterLabelFrequenciesMatchTheTable)
{
  const auto reference = MakeReference();
  const auto labels = MakeLabels(reference);
  auto       sampler = MakeLabelSampler(reference, labels, { { 0, 0.2 }, { 1, 0.5 }, { 2, 0.3 } });
  sampler->SetSeed(11);
  const auto frequencies =
    CenterLabelFrequencies(labels, Centers(sampler->Sample(Drawn), ImageType::SizeType::Filled(3)));
  EXPECT_NEAR(frequencies.at(0), 0.2, 0.01);
  EXPECT_NEAR(frequencies.at(1), 0.5, 0.01);
  EXPECT_NEAR(frequencies.at(2), 0.3, 0.01);
  EXPECT_EQ(frequencies.count(9), 0u);
}

/** A label absent where a patch fits (7 nowhere, 9 only on the border) has its
 * probability redistributed over the present labels in proportion to theirs. */
TEST(LabelPatchSampler, AbsentLabelsHaveTheirProbabilityRedistributed)
{
  const auto reference = MakeReference();
  const auto labels = MakeLabels(reference);
  auto       sampler = MakeLabelSampler(reference, labels, { { 1, 0.1 }, { 2, 0.3 }, { 7, 0.4 }, { 9, 0.2 } });
  const auto frequencies =
    CenterLabelFrequencies(labels, Centers(sampler->Sample(Drawn), ImageType::SizeType::Filled(3)));
  EXPECT_NEAR(frequencies.at(1), 0.25, 0.01);
  EXPECT_NEAR(frequencies.at(2), 0.75, 0.01);
  EXPECT_EQ(frequencies.size(), 2u);
  const auto & effective = sampler->GetEffectiveLabelProbabilities();
  EXPECT_DOUBLE_EQ(effective.at(1), 0.25);
  EXPECT_DOUBLE_EQ(effective.at(2), 0.75);
  EXPECT_EQ(effective.at(7), 0.0);
  EXPECT_EQ(effective.at(9), 0.0);

  sampler->SetLabelProbabilities({ { 7, 1.0 }, { 9, 1.0 }, { 1, 0.0 } });
  PatchStreamingTest::ExpectExceptionMentioning([&] { sampler->Sample(1); },
                                                "no label with a positive probability occurs");
  sampler->SetLabelProbabilities({ { 1, -0.1 } });
  PatchStreamingTest::ExpectExceptionMentioning([&] { sampler->Sample(1); }, "LabelProbabilities[1] = -0.1");
}

/** Probabilities and map values near double's maximum draw as their ratios say: their sums
 * overflowed to infinity, every effective probability became 0 and every draw the map's first
 * voxel, where no patch fits (label 0, not in the table, outside the valid centers). */
TEST(PatchSamplers, WeightsNearDoublesMaximumDrawAsTheirRatiosSay)
{
  const auto   reference = MakeReference();
  const auto   labels = MakeLabels(reference);
  const double huge = 1e308;
  auto         sampler = MakeLabelSampler(reference, labels, { { 1, huge }, { 2, huge / 3 } });
  const auto   frequencies =
    CenterLabelFrequencies(labels, Centers(sampler->Sample(Drawn), ImageType::SizeType::Filled(3)));
  EXPECT_NEAR(frequencies.at(1), 0.75, 0.01);
  EXPECT_NEAR(frequencies.at(2), 0.25, 0.01);
  EXPECT_EQ(frequencies.size(), 2u);
  EXPECT_DOUBLE_EQ(sampler->GetEffectiveLabelProbabilities().at(1), 0.75);

  // A map of two huge values (and ones) in a double image: the huge voxels, 1:2 as their values.
  auto            map = MakeMap<itk::Image<double, 3>>(reference, 1.0);
  const IndexType first{ { 6, 1, 8 } };
  const IndexType second{ { 10, 4, 9 } };
  map->SetPixel(first, huge / 2);
  map->SetPixel(second, huge);
  auto weighted = itk::WeightedPatchSampler<itk::Image<double, 3>>::New();
  weighted->SetReferenceImage(reference);
  weighted->SetProbabilityMap(map);
  weighted->SetPatchSize(ImageType::SizeType::Filled(3));
  const auto centers = Centers(weighted->Sample(Drawn), ImageType::SizeType::Filled(3));
  const auto atFirst = std::count(centers.begin(), centers.end(), first);
  EXPECT_EQ(atFirst + std::count(centers.begin(), centers.end(), second), Drawn);
  EXPECT_NEAR(static_cast<double>(atFirst) / Drawn, 1.0 / 3.0, 0.01);
}

/** Same seed: the same list, with one thread or many; another seed: another list. */
TEST(PatchSamplers, TheSameSeedGivesTheSameLocationsAndAnotherSeedOthers)
{
  const auto reference = MakeReference();
  const auto labels = MakeLabels(reference);
  auto       uniform = itk::UniformPatchSampler<3>::New();
  auto       weighted = itk::WeightedPatchSampler<itk::Image<float, 3>>::New();
  auto       positive = MakeMap<itk::Image<float, 3>>(reference, 0.0f);
  for (itk::ImageRegionIteratorWithIndex<itk::Image<float, 3>> it(positive, positive->GetLargestPossibleRegion());
       !it.IsAtEnd();
       ++it)
  {
    it.Set(std::max(0.0f, reference->GetPixel(it.GetIndex())));
  }
  weighted->SetProbabilityMap(positive);
  auto label = itk::LabelPatchSampler<LabelMapType>::New();
  label->SetLabelMap(labels);
  label->SetLabelProbabilities({ { 0, 1.0 }, { 1, 1.0 }, { 2, 1.0 } });
  for (itk::PatchSampler<3> * sampler : std::vector<itk::PatchSampler<3> *>{ uniform, weighted, label })
  {
    sampler->SetReferenceImage(reference);
    sampler->SetPatchSize({ { 3, 2, 3 } });
    sampler->SetSeed(42);
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(1);
    const auto first = sampler->Sample(1000);
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(4);
    EXPECT_EQ(sampler->Sample(1000), first) << sampler->GetNameOfClass();
    sampler->SetSeed(43);
    const auto other = sampler->Sample(1000);
    EXPECT_NE(other, first) << sampler->GetNameOfClass();
    EXPECT_GT(std::inner_product(other.begin(), other.end(), first.begin(), 0, std::plus<>(), std::not_equal_to<>()),
              500)
      << sampler->GetNameOfClass();
    std::ostringstream printed;
    sampler->Print(printed);
    EXPECT_NE(printed.str().find("Seed: 43"), std::string::npos) << printed.str();
    EXPECT_NE(printed.str().find("PatchSize: [3, 2, 3]"), std::string::npos) << printed.str();
  }
}


TEST(PatchSampler, FlatIndicesAndSingleLabelEntriesEqualTheStructuredCalls)
{
  // The forms the Python wrapping uses: SampleIndices, SetPatchLocationIndices, SetLabelProbability.
  auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 19, 14, 11 } }, 12, 1, { { 3, -2, 5 } });
  auto sampler = itk::UniformPatchSampler<3>::New();
  sampler->SetReferenceImage(image);
  sampler->SetPatchSize({ { 5, 4, 3 } });
  sampler->SetSeed(31);
  const auto locations = sampler->Sample(17);
  const auto flat = sampler->SampleIndices(17);
  ASSERT_EQ(flat.size(), 17u * 3u);
  for (size_t k = 0; k < locations.size(); ++k)
  {
    for (unsigned int d = 0; d < 3; ++d)
    {
      EXPECT_EQ(flat[3 * k + d], locations[k][d]);
    }
  }
  auto structured = itk::PatchExtractor<ImageType>::New();
  structured->SetPatchLocations(locations);
  auto fromFlat = itk::PatchExtractor<ImageType>::New();
  fromFlat->SetPatchLocationIndices(flat);
  EXPECT_EQ(fromFlat->GetPatchLocations(), structured->GetPatchLocations());
  EXPECT_THROW(fromFlat->SetPatchLocationIndices({ 1, 2 }), itk::ExceptionObject);

  auto labels = itk::LabelPatchSampler<LabelMapType>::New();
  labels->SetLabelProbability(2, 0.25);
  labels->SetLabelProbability(7, 0.75);
  labels->SetLabelProbability(2, 0.5);
  const itk::LabelPatchSampler<LabelMapType>::LabelProbabilitiesType expected{ { 2, 0.5 }, { 7, 0.75 } };
  EXPECT_EQ(labels->GetLabelProbabilities(), expected);
  labels->ClearLabelProbabilities();
  EXPECT_TRUE(labels->GetLabelProbabilities().empty());
}
} // namespace
