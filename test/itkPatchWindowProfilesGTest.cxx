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
// The 1-D window profiles (Gaussian, Hann, resampled custom) and the per-axis
// windows built from them, against the closed-form formulas.
#include "itkPatchAxisWindow.h"
#include "itkPatchMergeReference.h"
#include "itkPatchStreamingTestUtilities.h"
#include "itkPatchWindowProfiles.h"

#include "itkMath.h"
#include "gtest/gtest.h"

#include <cmath>
#include <limits>

namespace
{
using itk::PatchAxisLayout;
using itk::PatchAxisWindow;
using BorderMode = itk::PatchStreamingEnums::BorderMode;
using Weighting = itk::PatchStreamingEnums::Weighting;
using PatchStreamingTest::ClosedFormGaussian;

TEST(PatchWindowProfiles, GaussianIsTheClosedFormWithItsFloorForEvenAndOddSizes)
{
  for (const double sigmaScale : { 0.125, 0.05, 0.4 })
  {
    for (const double floor : { 1e-3, 0.0, 0.3 })
    {
      for (itk::SizeValueType length = 1; length <= 40; ++length)
      {
        const auto profile = itk::GaussianWindowProfile(length, sigmaScale, floor);
        ASSERT_EQ(profile.size(), length);
        for (itk::SizeValueType t = 0; t < length; ++t)
        {
          ASSERT_NEAR(profile[t], ClosedFormGaussian(t, length, sigmaScale, floor), 1e-12)
            << "P=" << length << " t=" << t << " s=" << sigmaScale << " floor=" << floor;
        }
        // Symmetric about the center; the peak is 1 on odd sizes.
        for (itk::SizeValueType t = 0; t < length; ++t)
        {
          ASSERT_EQ(profile[t], profile[length - 1 - t]);
        }
        if (length % 2 == 1)
        {
          EXPECT_EQ(profile[length / 2], 1.0);
        }
      }
    }
  }
  // The floor matters: at 1/8 of P the tails of a 64-voxel window reach exp(-8) ~ 3.4e-4 < 1e-3.
  const auto profile = itk::GaussianWindowProfile(64, 0.125, 1e-3);
  EXPECT_EQ(profile.front(), 1e-3);
  EXPECT_GT(profile[16], 1e-3);
}

TEST(PatchWindowProfiles, GaussianAtExtremeSigmaScalesIsItsLimitNeverNaN)
{
  // sigma -> 0: 1 at the center of an odd window, the floor elsewhere (sigma^2 underflows to 0
  // below SigmaScale ~1e-155, where (t-c)^2 / (2 sigma^2) was 0/0 at the center).
  // sigma -> infinity: 1 everywhere (sigma^2 overflows to infinity above ~1e154).
  for (const double sigmaScale : { 1e-200, std::numeric_limits<double>::denorm_min(), 1e-160 })
  {
    for (const itk::SizeValueType length :
         { itk::SizeValueType{ 1 }, itk::SizeValueType{ 6 }, itk::SizeValueType{ 7 } })
    {
      const auto profile = itk::GaussianWindowProfile(length, sigmaScale, 1e-3);
      for (itk::SizeValueType t = 0; t < length; ++t)
      {
        const double expected = (length % 2 == 1 && t == length / 2) ? 1.0 : 1e-3;
        ASSERT_EQ(profile[t], expected) << "P=" << length << " t=" << t << " s=" << sigmaScale;
      }
    }
  }
  for (const double sigmaScale : { 1e200, std::numeric_limits<double>::max() })
  {
    for (const double value : itk::GaussianWindowProfile(7, sigmaScale, 1e-3))
    {
      ASSERT_EQ(value, 1.0) << "s=" << sigmaScale;
    }
  }
}

TEST(PatchWindowProfiles, HannIsSineSquaredAndPositiveOnTheWindow)
{
  for (itk::SizeValueType length = 1; length <= 33; ++length)
  {
    const auto profile = itk::HannWindowProfile(length);
    for (itk::SizeValueType t = 0; t < length; ++t)
    {
      const double s = std::sin(itk::Math::pi * (t + 1.0) / (length + 1.0));
      ASSERT_NEAR(profile[t], s * s, 1e-15) << "P=" << length << " t=" << t;
      ASSERT_GT(profile[t], 0.0);
    }
  }
  EXPECT_NEAR(itk::HannWindowProfile(3)[1], 1.0, 1e-15);
  EXPECT_NEAR(itk::HannWindowProfile(3)[0], 0.5, 1e-15);
}

TEST(PatchWindowProfiles, ResampledProfileKeepsItsEndsAndIsLinearBetweenSamples)
{
  const std::vector<double> profile{ 1.0, 3.0, 2.0, 6.0, 4.0 };
  EXPECT_EQ(itk::ResampledWindowProfile(profile, 5), profile);
  // Length 3: u = 0, 2, 4.
  EXPECT_EQ(itk::ResampledWindowProfile(profile, 3), (std::vector<double>{ 1.0, 2.0, 4.0 }));
  // Length 4: u = 0, 4/3, 8/3, 4.
  const auto four = itk::ResampledWindowProfile(profile, 4);
  EXPECT_DOUBLE_EQ(four[1], 3.0 + (2.0 - 3.0) / 3.0);
  EXPECT_DOUBLE_EQ(four[2], 2.0 + (6.0 - 2.0) * 2.0 / 3.0);
  EXPECT_EQ(four[3], 4.0);
  // One voxel: the value at the center u = 2.
  EXPECT_EQ(itk::ResampledWindowProfile(profile, 1), (std::vector<double>{ 2.0 }));
  // A linear profile stays linear at any length.
  std::vector<double> ramp(9);
  for (std::size_t t = 0; t < ramp.size(); ++t)
  {
    ramp[t] = 0.5 + 0.25 * static_cast<double>(t);
  }
  const auto six = itk::ResampledWindowProfile(ramp, 6);
  for (std::size_t t = 0; t < six.size(); ++t)
  {
    EXPECT_NEAR(six[t], 0.5 + 0.25 * 8.0 * static_cast<double>(t) / 5.0, 1e-14) << t;
  }
}

TEST(PatchWindowProfiles, BadGaussianParametersThrowNamingTheValue)
{
  using PatchStreamingTest::ExpectExceptionMentioning;
  ExpectExceptionMentioning([] { itk::GaussianWindowProfile(8, 0.0, 1e-3); }, "SigmaScale = 0");
  ExpectExceptionMentioning([] { itk::GaussianWindowProfile(8, -0.5, 1e-3); }, "SigmaScale = -0.5");
  ExpectExceptionMentioning([] { itk::GaussianWindowProfile(8, std::numeric_limits<double>::infinity(), 1e-3); },
                            "SigmaScale = inf");
  ExpectExceptionMentioning([] { itk::GaussianWindowProfile(8, std::nan(""), 1e-3); }, "SigmaScale = nan");
  ExpectExceptionMentioning([] { itk::GaussianWindowProfile(8, 0.125, -0.25); }, "MinimumWeight = -0.25");
  ExpectExceptionMentioning([] { itk::GaussianWindowProfile(8, 0.125, 1.5); }, "MinimumWeight = 1.5");
  ExpectExceptionMentioning([] { itk::GaussianWindowProfile(8, 0.125, std::nan("")); }, "MinimumWeight = nan");
}

TEST(PatchAxisWindow, AdaptiveShortPatchGetsTheProfileOfItsOwnLength)
{
  // L=11 P=6 O=2, Adaptive: starts 0 4 8, the last window has 3 voxels.
  const PatchAxisLayout layout(11, 6, 2, BorderMode::Adaptive, false, 0);
  itk::PatchWindowParameters gaussian{ Weighting::Gaussian, 0.2, 1e-3, {} };
  const PatchAxisWindow      window(layout, gaussian, 0);
  for (itk::SizeValueType t = 0; t < 6; ++t)
  {
    EXPECT_NEAR(window.GetProfile(0)[t], ClosedFormGaussian(t, 6, 0.2, 1e-3), 1e-12);
    EXPECT_NEAR(window.GetProfile(2)[t], t < 3 ? ClosedFormGaussian(t, 3, 0.2, 1e-3) : 0.0, 1e-12);
  }
  // W(t) = sum of the covering profiles, voxel by voxel.
  EXPECT_NEAR(window.GetNormalizer(4), ClosedFormGaussian(4, 6, 0.2, 1e-3) + ClosedFormGaussian(0, 6, 0.2, 1e-3), 1e-12);
  EXPECT_NEAR(window.GetNormalizer(9), ClosedFormGaussian(5, 6, 0.2, 1e-3) + ClosedFormGaussian(1, 3, 0.2, 1e-3), 1e-12);
  EXPECT_NEAR(window.GetNormalizer(10), ClosedFormGaussian(2, 3, 0.2, 1e-3), 1e-12);

  const PatchAxisWindow hann(layout, { Weighting::Hann }, 0);
  EXPECT_NEAR(hann.GetProfile(2)[1], 1.0, 1e-15); // the center of a 3-voxel window
  EXPECT_EQ(hann.GetProfile(2)[3], 0.0);

  itk::PatchWindowParameters custom{ Weighting::Custom, 0.125, 1e-3, { { 1, 2, 3, 4, 5, 6 } } };
  const PatchAxisWindow      customWindow(layout, custom, 0);
  // Scaled by 1/8, the power of two that brings the largest value, 6, into [0.5, 1): exactly.
  EXPECT_EQ(customWindow.GetProfile(0), (std::vector<double>{ 1 / 8., 2 / 8., 3 / 8., 4 / 8., 5 / 8., 6 / 8. }));
  EXPECT_EQ(customWindow.GetProfile(2), (std::vector<double>{ 1 / 8., 3.5 / 8., 6 / 8., 0, 0, 0 }));
}

TEST(PatchAxisWindow, BadCustomProfilesThrowNamingTheAxisAndValue)
{
  using PatchStreamingTest::ExpectExceptionMentioning;
  const PatchAxisLayout layout(20, 6, 2, BorderMode::Squeeze, false, 1);
  ExpectExceptionMentioning([&] { PatchAxisWindow(layout, { Weighting::Custom }, 1); },
                            "CustomProfile[1] has 0 values; Weighting Custom needs PatchSize[1] = 6");
  ExpectExceptionMentioning(
    [&] { PatchAxisWindow(layout, { Weighting::Custom, 0.125, 1e-3, { {}, { 1, 1, 1 } } }, 1); },
    "CustomProfile[1] has 3 values");
  ExpectExceptionMentioning(
    [&] { PatchAxisWindow(layout, { Weighting::Custom, 0.125, 1e-3, { {}, { 1, 1, -1, 1, 1, 1 } } }, 1); },
    "CustomProfile[1][2] = -1 must be finite and non-negative");
  ExpectExceptionMentioning(
    [&] { PatchAxisWindow(layout, { Weighting::Custom, 0.125, 1e-3, { {}, { 1, 1, std::nan(""), 1, 1, 1 } } }, 1); },
    "CustomProfile[1][2] = nan");
  // Zeros are allowed as long as every covered voxel keeps some weight (stride 2: a
  // voxel at t = 2 of one patch is at t = 0 or 4 of its neighbours) ...
  const PatchAxisLayout dense(20, 6, 4, BorderMode::Squeeze, false, 1);
  EXPECT_NO_THROW(PatchAxisWindow(dense, { Weighting::Custom, 0.125, 1e-3, { {}, { 1, 1, 0, 1, 1, 1 } } }, 1));
  // ... but not where a voxel would get none (the first and last image voxels here).
  ExpectExceptionMentioning(
    [&] { PatchAxisWindow(layout, { Weighting::Custom, 0.125, 1e-3, { {}, { 0, 0, 1, 1, 1, 1 } } }, 1); },
    "the windows along axis 1 sum to 0 at voxel 0");
  // A Gaussian that underflows without a floor.
  ExpectExceptionMentioning([&] { PatchAxisWindow(layout, { Weighting::Gaussian, 0.001, 0.0, {} }, 1); },
                            "Weighting Gaussian (SigmaScale = 0.001, MinimumWeight = 0): the windows along axis 1 sum "
                            "to 0 at voxel 0, which a patch covers; every covered voxel needs a positive weight "
                            "(raise MinimumWeight above 0, or SigmaScale)");
}
} // namespace
