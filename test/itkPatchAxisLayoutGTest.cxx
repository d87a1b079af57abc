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
// The per-axis layout: start positions computed by hand for every border mode.
#include "itkPatchAxisLayout.h"
#include "itkPatchStreamingTestUtilities.h"

#include "gtest/gtest.h"

#include <string>

namespace
{
using itk::PatchAxisLayout;
using BorderMode = itk::PatchStreamingEnums::BorderMode;

std::vector<itk::OffsetValueType>
Starts(const PatchAxisLayout & layout)
{
  std::vector<itk::OffsetValueType> starts;
  for (itk::SizeValueType i = 0; i < layout.GetNumberOfPositions(); ++i)
  {
    starts.push_back(layout.GetStart(i));
  }
  return starts;
}

std::vector<itk::SizeValueType>
WindowLengths(const PatchAxisLayout & layout)
{
  std::vector<itk::SizeValueType> lengths;
  for (itk::SizeValueType i = 0; i < layout.GetNumberOfPositions(); ++i)
  {
    lengths.push_back(layout.GetWindowLength(i));
  }
  return lengths;
}

struct LayoutCase
{
  itk::SizeValueType                length;
  itk::SizeValueType                patch;
  itk::SizeValueType                overlap;
  BorderMode                        mode;
  bool                              padOverlap;
  std::vector<itk::OffsetValueType> starts;
  std::vector<itk::SizeValueType>   windows;
};

// L, P, O, mode, PadOverlap -> starts and window lengths, worked out by hand.
const std::vector<LayoutCase> HandComputed = {
  // (L-P) divisible by the stride: every mode but Crop agrees.
  { 10, 4, 2, BorderMode::Squeeze, false, { 0, 2, 4, 6 }, { 4, 4, 4, 4 } },
  { 10, 4, 2, BorderMode::Edge, false, { 0, 2, 4, 6 }, { 4, 4, 4, 4 } },
  { 10, 4, 2, BorderMode::Adaptive, false, { 0, 2, 4, 6 }, { 4, 4, 4, 4 } },
  { 10, 4, 2, BorderMode::Crop, false, { 0, 2, 4, 6 }, { 4, 4, 4, 4 } },
  { 10, 4, 2, BorderMode::Pad, false, { 0, 2, 4, 6 }, { 4, 4, 4, 4 } },
  // Not divisible: room 7, stride 2.
  { 11, 4, 2, BorderMode::Squeeze, false, { 0, 2, 4, 5, 7 }, { 4, 4, 4, 4, 4 } }, // round(i*7/4), halves up
  { 11, 4, 2, BorderMode::Edge, false, { 0, 2, 4, 6, 7 }, { 4, 4, 4, 4, 4 } },
  { 11, 4, 2, BorderMode::Adaptive, false, { 0, 2, 4, 6, 8 }, { 4, 4, 4, 4, 3 } },
  { 11, 4, 2, BorderMode::Crop, false, { 0, 2, 4, 6 }, { 4, 4, 4, 4 } },
  { 11, 4, 2, BorderMode::Pad, false, { 0, 2, 4, 6, 8 }, { 4, 4, 4, 4, 4 } },
  // PadOverlap: h = 1 voxel before and after, padded length 13.
  { 11, 4, 2, BorderMode::Pad, true, { -1, 1, 3, 5, 7, 9 }, { 4, 4, 4, 4, 4, 4 } },
  // Overlap 0: room 7, stride 3.
  { 10, 3, 0, BorderMode::Squeeze, false, { 0, 2, 5, 7 }, { 3, 3, 3, 3 } }, // round(i*7/3)
  { 10, 3, 0, BorderMode::Edge, false, { 0, 3, 6, 7 }, { 3, 3, 3, 3 } },
  { 10, 3, 0, BorderMode::Adaptive, false, { 0, 3, 6, 9 }, { 3, 3, 3, 1 } },
  { 10, 3, 0, BorderMode::Crop, false, { 0, 3, 6 }, { 3, 3, 3 } },
  { 10, 3, 0, BorderMode::Pad, false, { 0, 3, 6, 9 }, { 3, 3, 3, 3 } },
  // L == P: one patch.
  { 4, 4, 2, BorderMode::Squeeze, false, { 0 }, { 4 } },
  { 4, 4, 2, BorderMode::Crop, false, { 0 }, { 4 } },
  { 4, 4, 2, BorderMode::Adaptive, false, { 0 }, { 4 } },
  // L < P: one padded patch in every mode; Adaptive's window is the image.
  { 3, 4, 2, BorderMode::Squeeze, false, { 0 }, { 4 } },
  { 3, 4, 2, BorderMode::Edge, false, { 0 }, { 4 } },
  { 3, 4, 2, BorderMode::Adaptive, false, { 0 }, { 3 } },
  { 3, 4, 2, BorderMode::Crop, false, { 0 }, { 4 } },
  { 3, 4, 2, BorderMode::Pad, false, { 0 }, { 4 } },
  { 3, 4, 2, BorderMode::Pad, true, { -1, 1 }, { 4, 4 } }, // padded length 5 > 4
  { 1, 5, 0, BorderMode::Squeeze, false, { 0 }, { 5 } },
  // 50 % overlap on a long odd axis: room 27, stride 8 -> n = 5, starts round(i*27/4).
  { 43, 16, 8, BorderMode::Squeeze, false, { 0, 7, 14, 20, 27 }, { 16, 16, 16, 16, 16 } },
};

TEST(PatchAxisLayout, StartsMatchHandComputedValues)
{
  for (const auto & c : HandComputed)
  {
    SCOPED_TRACE("L=" + std::to_string(c.length) + " P=" + std::to_string(c.patch) + " O=" +
                 std::to_string(c.overlap) + " mode=" + itk::ToString(c.mode) + (c.padOverlap ? " PadOverlap" : ""));
    const PatchAxisLayout layout(c.length, c.patch, c.overlap, c.mode, c.padOverlap, 0);
    EXPECT_EQ(Starts(layout), c.starts);
    EXPECT_EQ(WindowLengths(layout), c.windows);
  }
}

TEST(PatchAxisLayout, CoveringModesCoverEveryVoxelWithStridesAtMostS)
{
  for (const BorderMode mode : { BorderMode::Squeeze, BorderMode::Edge, BorderMode::Adaptive, BorderMode::Pad })
  {
    for (itk::SizeValueType length = 1; length <= 40; ++length)
    {
      for (itk::SizeValueType patch = 1; patch <= 12; ++patch)
      {
        for (itk::SizeValueType overlap = 0; overlap < patch; ++overlap)
        {
          const PatchAxisLayout layout(length, patch, overlap, mode, false, 0);
          std::vector<int>      covered(length, 0);
          for (itk::SizeValueType i = 0; i < layout.GetNumberOfPositions(); ++i)
          {
            if (i > 0)
            {
              ASSERT_GT(layout.GetStart(i), layout.GetStart(i - 1));
              ASSERT_LE(layout.GetStart(i) - layout.GetStart(i - 1), static_cast<itk::OffsetValueType>(patch - overlap));
            }
            for (itk::SizeValueType t = 0; t < layout.GetWindowLength(i); ++t)
            {
              const itk::OffsetValueType voxel = layout.GetStart(i) + static_cast<itk::OffsetValueType>(t);
              if (voxel >= 0 && voxel < static_cast<itk::OffsetValueType>(length))
              {
                covered[voxel] = 1;
              }
            }
          }
          ASSERT_EQ(std::count(covered.begin(), covered.end(), 1), static_cast<long>(length))
            << itk::ToString(mode) << " L=" << length << " P=" << patch << " O=" << overlap;
        }
      }
    }
  }
}

TEST(PatchAxisLayout, OverlappingPositionsMatchBruteForce)
{
  for (const auto & c : HandComputed)
  {
    const PatchAxisLayout layout(c.length, c.patch, c.overlap, c.mode, c.padOverlap, 0);
    const auto            length = static_cast<itk::OffsetValueType>(c.length);
    for (itk::OffsetValueType begin = -2; begin <= length + 1; ++begin)
    {
      for (itk::OffsetValueType end = begin; end <= length + 2; ++end)
      {
        std::vector<itk::SizeValueType> expected;
        for (itk::SizeValueType i = 0; i < layout.GetNumberOfPositions(); ++i)
        {
          const itk::OffsetValueType start = layout.GetStart(i);
          if (begin < end && start < end && start + static_cast<itk::OffsetValueType>(c.patch) > begin)
          {
            expected.push_back(i);
          }
        }
        const auto range = layout.GetOverlappingPositions(begin, end);
        if (expected.empty())
        {
          EXPECT_GT(range.first, range.second) << begin << " " << end;
        }
        else
        {
          EXPECT_EQ(range.first, expected.front()) << begin << " " << end;
          EXPECT_EQ(range.second, expected.back()) << begin << " " << end;
        }
      }
    }
  }
}

void
ExpectExceptionMentioning(itk::SizeValueType length, itk::SizeValueType patch, itk::SizeValueType overlap,
                          BorderMode mode, bool padOverlap, const std::string & words)
{
  PatchStreamingTest::ExpectExceptionMentioning([&] { PatchAxisLayout(length, patch, overlap, mode, padOverlap, 2); },
                                                words);
}

TEST(PatchAxisLayout, BadParametersThrowNamingParameterAndAxis)
{
  ExpectExceptionMentioning(10, 0, 0, BorderMode::Squeeze, false, "PatchSize[2] = 0");
  ExpectExceptionMentioning(10, 4, 4, BorderMode::Squeeze, false, "PatchOverlap[2] = 4 must be less than PatchSize[2] = 4");
  ExpectExceptionMentioning(10, 4, 9, BorderMode::Edge, false, "PatchOverlap[2] = 9");
  ExpectExceptionMentioning(0, 4, 1, BorderMode::Pad, false, "image size[2] = 0");
  ExpectExceptionMentioning(10, 4, 2, BorderMode::Edge, true, "PadOverlap");
}
/** helper-95: 2 i (L-P) overflowed 64 bits (on an axis of 2^40 voxels with patches of 2^15,
 * or here 2^62 and 2^52), and the squeeze starts wrapped round, most of the axis uncovered.
 * Evenly spread: 0 first, L-P last, every step floor or ceil of (L-P)/(n-1). */
TEST(PatchAxisLayout, SqueezeStartsOnTheLongestAxisAreEvenlySpread)
{
  const itk::SizeValueType length = itk::SizeValueType{ 1 } << 62;
  const itk::SizeValueType patch = itk::SizeValueType{ 1 } << 52;
  const PatchAxisLayout    layout(length, patch, 5, BorderMode::Squeeze, false, 0);
  const auto               n = layout.GetNumberOfPositions();
  const itk::SizeValueType room = length - patch;
  ASSERT_EQ(n, (room + patch - 6) / (patch - 5) + 1); // ceil(room / stride) + 1
  EXPECT_EQ(layout.GetStart(0), 0);
  EXPECT_EQ(layout.GetStart(n - 1), static_cast<itk::OffsetValueType>(room));
  const auto low = static_cast<itk::OffsetValueType>(room / (n - 1));
  for (itk::SizeValueType i = 1; i < n; ++i)
  {
    const auto step = layout.GetStart(i) - layout.GetStart(i - 1);
    ASSERT_TRUE(step == low || step == low + 1) << "i=" << i << " step " << step;
  }
}
} // namespace
