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
// PatchGrid: numbering, regions, physical origins, patch ranges, metadata.
#include "itkPatchGrid.h"
#include "itkPatchGridMetaData.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkImage.h"
#include "gtest/gtest.h"

#include <random>

namespace
{
using namespace PatchStreamingTest;
using GridType = itk::PatchGrid<3>;

GridType
MakeGrid(const ImageType * image, BorderMode mode, bool padOverlap = false)
{
  return GridType(image->GetLargestPossibleRegion(),
                  image->GetSpacing(),
                  image->GetOrigin(),
                  image->GetDirection(),
                  GridType::SizeType{ { 8, 6, 5 } },
                  GridType::SizeType{ { 3, 2, 2 } },
                  mode,
                  padOverlap);
}

ImageType::Pointer
OddObliqueImage()
{
  return PatchStreamingTest::MakeRandomImage<ImageType>(
    ImageType::SizeType{ { 37, 23, 19 } }, 1, 1, ImageType::IndexType{ { 3, -2, 5 } });
}

TEST(PatchGrid, NumbersPatchesWithAxisZeroFastest)
{
  const auto     image = OddObliqueImage();
  const GridType grid = MakeGrid(image, BorderMode::Squeeze);
  const auto     n = grid.GetGridSize();
  EXPECT_EQ(grid.GetNumberOfPatches(), n[0] * n[1] * n[2]);
  itk::SizeValueType k = 0;
  for (itk::IndexValueType g2 = 0; g2 < static_cast<itk::IndexValueType>(n[2]); ++g2)
  {
    for (itk::IndexValueType g1 = 0; g1 < static_cast<itk::IndexValueType>(n[1]); ++g1)
    {
      for (itk::IndexValueType g0 = 0; g0 < static_cast<itk::IndexValueType>(n[0]); ++g0, ++k)
      {
        const GridType::IndexType gridIndex{ { g0, g1, g2 } };
        ASSERT_EQ(grid.GetLinearIndex(gridIndex), k);
        ASSERT_EQ(grid.GetGridIndex(k), gridIndex);
      }
    }
  }
  EXPECT_THROW(grid.GetGridIndex(k), itk::ExceptionObject);
  EXPECT_THROW(grid.GetLinearIndex(GridType::IndexType{ { static_cast<itk::IndexValueType>(n[0]), 0, 0 } }),
               itk::ExceptionObject);
}

TEST(PatchGrid, RegionsAndOriginsFollowTheLayoutsAndTheImageGeometry)
{
  const auto image = OddObliqueImage();
  for (const BorderMode mode :
       { BorderMode::Squeeze, BorderMode::Edge, BorderMode::Adaptive, BorderMode::Crop, BorderMode::Pad })
  {
    const GridType grid = MakeGrid(image, mode);
    for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
    {
      const auto gridIndex = grid.GetGridIndex(k);
      const auto region = grid.GetPatchRegion(k);
      for (unsigned int d = 0; d < 3; ++d)
      {
        ASSERT_EQ(region.GetIndex(d),
                  image->GetLargestPossibleRegion().GetIndex(d) +
                    grid.GetAxisLayout(d).GetStart(static_cast<itk::SizeValueType>(gridIndex[d])));
        ASSERT_EQ(region.GetSize(d), grid.GetPatchSize()[d]);
      }
      auto valid = region;
      ASSERT_TRUE(valid.Crop(image->GetLargestPossibleRegion()));
      ASSERT_EQ(grid.GetValidPatchRegion(k), valid);

      itk::Point<double, 3> expected;
      image->TransformIndexToPhysicalPoint(region.GetIndex(), expected);
      const auto origin = grid.GetPatchOrigin(k);
      for (unsigned int d = 0; d < 3; ++d)
      {
        ASSERT_NEAR(origin[d], expected[d], 1e-9);
      }
    }
  }
}

TEST(PatchGrid, PatchRangeHoldsEveryOverlappingPatchAndStartsAndEndsOnOne)
{
  const auto   image = OddObliqueImage();
  const auto & largest = image->GetLargestPossibleRegion();
  std::mt19937 generator(7);
  for (const BorderMode mode : { BorderMode::Squeeze, BorderMode::Crop, BorderMode::Pad })
  {
    const GridType grid = MakeGrid(image, mode, mode == BorderMode::Pad);
    for (int trial = 0; trial < 200; ++trial)
    {
      GridType::RegionType region;
      for (unsigned int d = 0; d < 3; ++d)
      {
        std::uniform_int_distribution<long> begin(0, static_cast<long>(largest.GetSize(d)) - 1);
        const long                          b = begin(generator);
        std::uniform_int_distribution<long> size(1, static_cast<long>(largest.GetSize(d)) - b);
        region.SetIndex(d, largest.GetIndex(d) + b);
        region.SetSize(d, static_cast<itk::SizeValueType>(size(generator)));
      }
      const auto range = grid.GetPatchRange(region);
      long       firstOverlap = -1;
      long       lastOverlap = -1;
      for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
      {
        auto overlap = grid.GetPatchRegion(k);
        if (overlap.Crop(region))
        {
          firstOverlap = firstOverlap < 0 ? static_cast<long>(k) : firstOverlap;
          lastOverlap = static_cast<long>(k);
        }
      }
      if (firstOverlap < 0)
      {
        // Only Crop mode leaves voxels that no patch covers.
        ASSERT_EQ(mode, BorderMode::Crop) << region;
        ASSERT_GT(range.first, range.second) << region;
        continue;
      }
      ASSERT_EQ(range.first, static_cast<itk::SizeValueType>(firstOverlap));
      ASSERT_EQ(range.second, static_cast<itk::SizeValueType>(lastOverlap));
    }
  }
  // A region past the image overlaps nothing.
  const GridType       grid = MakeGrid(image, BorderMode::Squeeze);
  GridType::RegionType outside = largest;
  outside.SetIndex(0, largest.GetIndex(0) + 1000);
  const auto none = grid.GetPatchRange(outside);
  EXPECT_GT(none.first, none.second);
}

TEST(PatchGrid, GridBoundingRegionOfARangeMatchesBruteForce)
{
  const auto     image = OddObliqueImage();
  const GridType grid = MakeGrid(image, BorderMode::Edge);
  const auto     count = grid.GetNumberOfPatches();
  for (itk::SizeValueType first = 0; first < count; first += 3)
  {
    for (itk::SizeValueType last = first; last < count; last += 5)
    {
      GridType::IndexType low = grid.GetGridIndex(first);
      GridType::IndexType high = low;
      for (itk::SizeValueType k = first; k <= last; ++k)
      {
        const auto g = grid.GetGridIndex(k);
        for (unsigned int d = 0; d < 3; ++d)
        {
          low[d] = std::min(low[d], g[d]);
          high[d] = std::max(high[d], g[d]);
        }
      }
      const auto bounds = grid.GetGridBoundingRegion(first, last);
      ASSERT_EQ(bounds.GetIndex(), low) << first << " " << last;
      ASSERT_EQ(bounds.GetUpperIndex(), high) << first << " " << last;
    }
  }
}

TEST(PatchGrid, MetaDataRoundTripGivesTheSameGrid)
{
  const auto              image = OddObliqueImage();
  const GridType          grid = MakeGrid(image, BorderMode::Pad, true);
  itk::MetaDataDictionary dictionary;
  GridType                untouched;
  EXPECT_FALSE(itk::ExposePatchGrid(dictionary, untouched));
  itk::EncapsulatePatchGrid(dictionary, grid);
  GridType read;
  ASSERT_TRUE(itk::ExposePatchGrid(dictionary, read));
  EXPECT_EQ(read, grid);
}

TEST(PatchGrid, CorruptOrForeignMetaDataThrowsNamingTheKey)
{
  const auto              image = OddObliqueImage();
  itk::MetaDataDictionary dictionary;
  itk::EncapsulatePatchGrid(dictionary, MakeGrid(image, BorderMode::Squeeze));
  const auto expectThrowMentioning = [](const itk::MetaDataDictionary & corrupt, const std::string & words) {
    GridType grid;
    PatchStreamingTest::ExpectExceptionMentioning([&] { itk::ExposePatchGrid(corrupt, grid); }, words);
  };
  const auto expectEntryThrowsMentioning =
    [&](const std::string & key, const std::string & value, const std::string & words) {
      auto corrupt = dictionary;
      itk::EncapsulateMetaData<std::string>(corrupt, key, value);
      expectThrowMentioning(corrupt, words);
    };
  expectEntryThrowsMentioning("PatchGrid_PatchSize", "8 six 5", "PatchGrid_PatchSize");
  expectEntryThrowsMentioning("PatchGrid_BorderMode", "Sideways", "Sideways");
  expectEntryThrowsMentioning("PatchGrid_Dimension", "2", "PatchGrid_Dimension = 2");
  expectEntryThrowsMentioning("PatchGrid_PatchSize", "8 0 5", "PatchSize[1] = 0");
  expectEntryThrowsMentioning("PatchGrid_Spacing", "0.7 0 1.8", "PatchGrid_Spacing[1] = 0 must be positive");
  expectEntryThrowsMentioning(
    "PatchGrid_Direction", "1 0 0 0 1 0 1 1 0", "PatchGrid_Direction \"1 0 0 0 1 0 1 1 0\" is singular");
  auto missing = dictionary;
  missing.Erase("PatchGrid_Origin");
  expectThrowMentioning(missing, "PatchGrid_Origin");
  // An istream reads "-6" into an unsigned size as 2^64 - 6: a sign is refused by name.
  expectEntryThrowsMentioning(
    "PatchGrid_PatchSize", "8 -6 5", "PatchGrid_PatchSize = \"8 -6 5\" does not hold 3 whole numbers of at least 0");
  expectEntryThrowsMentioning("PatchGrid_ImageSize", "9 9 9 9", "PatchGrid_ImageSize = \"9 9 9 9\" holds more than 3");
}

TEST(PatchGrid, BatchSizeMetaDataRoundTripsAndRefusesAnythingButAWholeNumberOfAtLeastOne)
{
  itk::MetaDataDictionary dictionary;
  EXPECT_EQ(itk::ExposePatchBatchSize(dictionary), 0u); // no entry: no batches
  itk::EncapsulatePatchBatchSize(dictionary, 7);
  EXPECT_EQ(itk::ExposePatchBatchSize(dictionary), 7u);
  const std::vector<std::pair<std::string, std::string>> cases{
    { "0", "PatchBatchSize = 0: expected a whole number of at least 1" },
    { "-3", "PatchBatchSize = \"-3\" does not hold a whole number of at least 0" },
    { "four", "PatchBatchSize = \"four\" does not hold a whole number" },
    { "", "PatchBatchSize = \"\" does not hold a whole number" },
    { "4 5", "PatchBatchSize = \"4 5\" holds more than 1 number" },
  };
  for (const auto & [text, words] : cases)
  {
    itk::MetaDataDictionary corrupt;
    itk::EncapsulateMetaData<std::string>(corrupt, "PatchBatchSize", text);
    PatchStreamingTest::ExpectExceptionMentioning([&] { itk::ExposePatchBatchSize(corrupt); }, words);
  }
  itk::MetaDataDictionary notAString;
  itk::EncapsulateMetaData<int>(notAString, "PatchBatchSize", 4);
  PatchStreamingTest::ExpectExceptionMentioning([&] { itk::ExposePatchBatchSize(notAString); },
                                                "entry PatchBatchSize is missing or not a string");
}

TEST(PatchGrid, CountsAndIndicesAre64Bit)
{
  // 2^12 positions per axis in 3-D: 2^36 patches, more than any 32-bit index holds.
  using BigGrid = itk::PatchGrid<3>;
  const BigGrid::RegionType region(BigGrid::SizeType{ { 8193, 8193, 8193 } });
  BigGrid::DirectionType    direction;
  direction.SetIdentity();
  const BigGrid grid(region,
                     BigGrid::SpacingType(1.0),
                     BigGrid::PointType(),
                     direction,
                     BigGrid::SizeType{ { 3, 3, 3 } },
                     BigGrid::SizeType{ { 1, 1, 1 } },
                     BorderMode::Edge,
                     false);
  EXPECT_EQ(grid.GetNumberOfPatches(), itk::SizeValueType{ 4096 } * 4096 * 4096);
  const itk::SizeValueType last = grid.GetNumberOfPatches() - 1;
  EXPECT_EQ(grid.GetLinearIndex(grid.GetGridIndex(last)), last);
  EXPECT_EQ(grid.GetPatchRegion(last).GetIndex(), (BigGrid::IndexType{ { 8190, 8190, 8190 } }));
}
} // namespace

namespace
{
// Index arithmetic is 64-bit: a virtual 2^36-voxel image cut into 2^33 patches,
// never allocated, only its grid.
TEST(PatchGrid, PatchIndicesAndRegionsPast32BitsAreExact)
{
  using GridType = itk::PatchGrid<3>;
  const GridType::SizeType size{ { 4096, 4096, 4096 } };
  GridType::DirectionType  direction;
  direction.SetIdentity();
  const GridType           grid(GridType::RegionType(size),
                      GridType::SpacingType(0.5),
                      GridType::PointType(),
                      direction,
                      GridType::SizeType::Filled(2),
                      GridType::SizeType::Filled(0),
                      itk::PatchStreamingEnums::BorderMode::Squeeze,
                      false);
  const itk::SizeValueType patches = itk::SizeValueType{ 1 } << 33;
  ASSERT_EQ(grid.GetNumberOfPatches(), patches);
  const GridType::IndexType last{ { 2047, 2047, 2047 } };
  EXPECT_EQ(grid.GetLinearIndex(last), patches - 1);
  EXPECT_EQ(grid.GetGridIndex(patches - 1), last);
  const itk::SizeValueType beyond31 = (itk::SizeValueType{ 1 } << 31) + 12345;
  const auto               gridIndex = grid.GetGridIndex(beyond31);
  EXPECT_EQ(grid.GetLinearIndex(gridIndex), beyond31);
  EXPECT_EQ(gridIndex[2], static_cast<itk::IndexValueType>(beyond31 / (2048 * 2048)));
  const auto region = grid.GetPatchRegion(patches - 1);
  EXPECT_EQ(region.GetIndex(), (GridType::IndexType{ { 4094, 4094, 4094 } }));
  EXPECT_EQ(grid.GetPatchOrigin(patches - 1)[2], 4094 * 0.5);
  // The patches overlapping the last voxel's slab: one contiguous range near 2^33.
  GridType::RegionType lastSlab(GridType::IndexType{ { 0, 0, 4095 } }, GridType::SizeType{ { 4096, 4096, 1 } });
  const auto           range = grid.GetPatchRange(lastSlab);
  EXPECT_EQ(range.first, patches - itk::SizeValueType{ 2048 } * 2048);
  EXPECT_EQ(range.second, patches - 1);
}

// A negative size converted to unsigned, or a stack whose voxel count would
// wrap a 64-bit offset, is an exception before anything is allocated.
TEST(PatchGrid, NegativeOrOverflowingSizesThrowNamingThem)
{
  using GridType = itk::PatchGrid<3>;
  GridType::DirectionType direction;
  direction.SetIdentity();
  const auto makeGrid = [&](const GridType::SizeType & image, const GridType::SizeType & patch) {
    return GridType(GridType::RegionType(image),
                    GridType::SpacingType(1.0),
                    GridType::PointType(),
                    direction,
                    patch,
                    GridType::SizeType::Filled(0),
                    BorderMode::Pad,
                    false);
  };
  const auto minusOne = static_cast<itk::SizeValueType>(-1);
  PatchStreamingTest::ExpectExceptionMentioning(
    [&] {
      makeGrid({ { 5, 5, 5 } }, { { 4, minusOne, 4 } });
    },
    "PatchSize[1] = 18446744073709551615 exceeds 2^62");
  // One voxel, one padded patch of 2^21 x 2^21 x 2^22 = 2^64 voxels: one too many bits.
  const itk::SizeValueType mega = itk::SizeValueType{ 1 } << 20;
  PatchStreamingTest::ExpectExceptionMentioning(
    [&] {
      makeGrid({ { 1, 1, 1 } }, { { 2 * mega, 2 * mega, 4 * mega } });
    },
    "the patch stack would exceed 2^63 - 1 voxels");
  // Many patches of a modest size overflow the same way: 2^21 patches per axis of 2^2 voxels.
  PatchStreamingTest::ExpectExceptionMentioning(
    [&] {
      makeGrid({ { 8 * mega, 8 * mega, 8 * mega } }, { { 4, 4, 4 } });
    },
    "grid size [2097152, 2097152, 2097152]");
  // 2^62 voxels still fit: the grid is laid out (never allocated).
  EXPECT_EQ(makeGrid({ { 1, 1, 1 } }, { { 2 * mega, 2 * mega, mega } }).GetNumberOfPatches(), 1u);
}
} // namespace
