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
#ifndef itkPatchAxisWindow_h
#define itkPatchAxisWindow_h

#include "itkPatchAxisLayout.h"

#include <vector>

namespace itk
{
/** \brief What shapes the blending windows: the Weighting and its parameters.
 *
 * SigmaScale and MinimumWeight shape Gaussian windows (defaults 1/8 and 1e-3,
 * as MONAI and nnU-Net); CustomProfiles holds, for Weighting::Custom, one
 * profile per image axis of PatchSize[axis] values. MinimumWeightOnWindow
 * (Gaussian only, default off) raises the N-D window to MinimumWeight, as
 * MONAI's importance map, instead of each 1-D profile (PatchMerger).
 *
 * \ingroup PatchStreaming
 */
struct PatchWindowParameters
{
  PatchStreamingEnums::Weighting   Weighting{ PatchStreamingEnums::Weighting::Average };
  double                           SigmaScale{ 0.125 };
  double                           MinimumWeight{ 1e-3 };
  std::vector<std::vector<double>> CustomProfiles{};
  bool                             MinimumWeightOnWindow{ false };

  /** The floor of the N-D window: MinimumWeight for a Gaussian with MinimumWeightOnWindow, else 0. */
  double
  GetWindowFloor() const
  {
    return MinimumWeightOnWindow && Weighting == PatchStreamingEnums::Weighting::Gaussian ? MinimumWeight : 0.0;
  }
};

/** \class PatchAxisWindow
 * \brief The 1-D window profiles of every patch position along one axis and
 * their sum, the separable normaliser (docs/design.md section 4).
 *
 * The N-D window of patch k is the product of one profile per axis,
 * a_{d,i_d}, and because the patches form the full Cartesian product of the
 * axis positions, the N-D normaliser is the product of the per-axis sums
 * W_d(t) = sum_i a_{d,i}(t - s_{d,i}); this class holds both for one axis, so
 * neither the merger nor SeparableGaussianWeighting needs a weight volume.
 *
 * Each profile is built for its position's window length (Adaptive's last
 * patch is shorter) and is 0 past it:
 * - Average: 1.
 * - Gaussian, Hann: GaussianWindowProfile, HannWindowProfile.
 * - Crop: 1 on the voxels nearer to the patch's own center than to a
 *   neighbour's (a tie goes to the patch with the lower start), 0 elsewhere:
 *   every covered voxel is owned by exactly one patch, W = 1 where covered.
 * - Custom: the axis's user profile, ResampledWindowProfile for shorter windows.
 *
 * \sa PatchWindows, PatchAxisLayout, PatchMerger, SeparableGaussianWeighting
 * \ingroup PatchStreaming
 */
class PatchStreaming_EXPORT PatchAxisWindow
{
public:
  using WeightingEnum = PatchStreamingEnums::Weighting;

  PatchAxisWindow() = default;

  /** The windows along `axis`. Throws an itk::ExceptionObject naming the
   * parameter and its value when SigmaScale or MinimumWeight is out of range,
   * when a custom profile has the wrong length or a negative or non-finite
   * value, or when a voxel some patch covers gets a total weight of 0. */
  PatchAxisWindow(const PatchAxisLayout & layout, const PatchWindowParameters & parameters, unsigned int axis);

  SizeValueType
  GetNumberOfPositions() const
  {
    return static_cast<SizeValueType>(m_Profiles.size());
  }

  /** The profile of the patch at `position`: P values, 0 past its window length. */
  const std::vector<double> &
  GetProfile(SizeValueType position) const
  {
    return m_Profiles[position];
  }

  /** W(t) for the image voxel t in [0, L); 0 where no patch covers t. */
  double
  GetNormalizer(SizeValueType voxel) const
  {
    return m_Normalizer[voxel];
  }

  /** The smallest positive value of any profile (0 when none is positive). */
  double
  GetSmallestPositiveWeight() const
  {
    return m_SmallestPositiveWeight;
  }

  /** 1 / W(t) for every image voxel t, 0 where no patch covers t. */
  const std::vector<double> &
  GetNormalizerReciprocals() const
  {
    return m_NormalizerReciprocals;
  }

private:
  std::vector<std::vector<double>> m_Profiles{};
  std::vector<double>              m_Normalizer{};
  std::vector<double>              m_NormalizerReciprocals{};
  double                           m_SmallestPositiveWeight{};
};
} // end namespace itk

#endif
