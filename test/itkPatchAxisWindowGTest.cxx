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
// The 1-D window profiles and the separable normaliser.
#include "itkPatchAxisWindow.h"

#include "gtest/gtest.h"

#include <cstdlib>

namespace
{
using itk::PatchAxisLayout;
using itk::PatchAxisWindow;
using BorderMode = itk::PatchStreamingEnums::BorderMode;
using Weighting = itk::PatchStreamingEnums::Weighting;

// Nested-loop reference for Crop: the owner of a voxel is the covering patch
// whose window center is nearest, ties to the lower start; -1 if none covers it.
long
ReferenceOwner(const PatchAxisLayout & layout, itk::OffsetValueType voxel)
{
  long   owner = -1;
  double best = 0.0;
  for (itk::SizeValueType i = 0; i < layout.GetNumberOfPositions(); ++i)
  {
    const itk::OffsetValueType start = layout.GetStart(i);
    const auto                 length = static_cast<itk::OffsetValueType>(layout.GetWindowLength(i));
    if (voxel < start || voxel >= start + length)
    {
      continue;
    }
    const double distance = std::abs(static_cast<double>(voxel) - (start + (length - 1) / 2.0));
    if (owner < 0 || distance < best)
    {
      owner = static_cast<long>(i);
      best = distance;
    }
  }
  return owner;
}

TEST(PatchAxisWindow, AverageIsOneOnTheWindowAndItsSumCountsPatches)
{
  const PatchAxisLayout layout(11, 4, 2, BorderMode::Adaptive, false, 0); // starts 0 2 4 6 8, last window 3
  const PatchAxisWindow window(layout, { Weighting::Average }, 0);
  EXPECT_EQ(window.GetProfile(0), (std::vector<double>{ 1, 1, 1, 1 }));
  EXPECT_EQ(window.GetProfile(4), (std::vector<double>{ 1, 1, 1, 0 }));
  const std::vector<double> counts{ 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 1 };
  for (itk::SizeValueType t = 0; t < 11; ++t)
  {
    EXPECT_EQ(window.GetNormalizer(t), counts[t]) << t;
  }
}

TEST(PatchAxisWindow, CropProfilesMatchHandComputedOwners)
{
  // Edge, L=11 P=4 O=2: starts 0 2 4 6 7, centers 1.5 3.5 5.5 7.5 8.5;
  // owners 0:{0,1,2} 1:{3,4} 2:{5,6} 3:{7,8} (8 is a tie, to the lower start) 4:{9,10}.
  const PatchAxisLayout layout(11, 4, 2, BorderMode::Edge, false, 0);
  const PatchAxisWindow window(layout, { Weighting::Crop }, 0);
  EXPECT_EQ(window.GetProfile(0), (std::vector<double>{ 1, 1, 1, 0 }));
  EXPECT_EQ(window.GetProfile(1), (std::vector<double>{ 0, 1, 1, 0 }));
  EXPECT_EQ(window.GetProfile(2), (std::vector<double>{ 0, 1, 1, 0 }));
  EXPECT_EQ(window.GetProfile(3), (std::vector<double>{ 0, 1, 1, 0 }));
  EXPECT_EQ(window.GetProfile(4), (std::vector<double>{ 0, 0, 1, 1 }));
}

TEST(PatchAxisWindow, CropIsAPartitionMatchingTheNearestCenterReference)
{
  for (const BorderMode mode : { BorderMode::Squeeze, BorderMode::Edge, BorderMode::Adaptive, BorderMode::Crop, BorderMode::Pad })
  {
    for (itk::SizeValueType length = 1; length <= 30; ++length)
    {
      for (itk::SizeValueType patch = 1; patch <= 9; ++patch)
      {
        for (itk::SizeValueType overlap = 0; overlap < patch; ++overlap)
        {
          const PatchAxisLayout layout(length, patch, overlap, mode, false, 0);
          const PatchAxisWindow window(layout, { Weighting::Crop }, 0);
          for (itk::SizeValueType t = 0; t < length; ++t)
          {
            const long owner = ReferenceOwner(layout, static_cast<itk::OffsetValueType>(t));
            ASSERT_EQ(window.GetNormalizer(t), owner < 0 ? 0.0 : 1.0)
              << itk::ToString(mode) << " L=" << length << " P=" << patch << " O=" << overlap << " t=" << t;
            if (owner >= 0)
            {
              const auto ownerIndex = static_cast<itk::SizeValueType>(owner);
              ASSERT_EQ(window.GetProfile(ownerIndex)[t - static_cast<itk::SizeValueType>(layout.GetStart(ownerIndex))], 1.0);
            }
          }
        }
      }
    }
  }
}

TEST(PatchAxisWindow, CropBorderModeLeavesTheRemainderUncovered)
{
  const PatchAxisLayout layout(10, 3, 0, BorderMode::Crop, false, 0); // starts 0 3 6: voxel 9 uncovered
  const PatchAxisWindow average(layout, { Weighting::Average }, 0);
  EXPECT_EQ(average.GetNormalizer(8), 1.0);
  EXPECT_EQ(average.GetNormalizer(9), 0.0);
}

} // namespace
