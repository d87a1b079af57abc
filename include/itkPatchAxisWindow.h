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
/** \class PatchAxisWindow
 * \brief The 1-D window profiles of every patch position along one axis and
 * their sum, the separable normaliser (DESIGN section 4).
 *
 * The merger's N-D window of patch k is the product of one profile per axis,
 * a_{d,i_d}, and because the patches form the full Cartesian product of the
 * axis positions, the N-D normaliser is the product of the per-axis sums
 * W_d(t) = sum_i a_{d,i}(t - s_{d,i}); this class holds both for one axis, so
 * the merger never needs a weight volume.
 *
 * Profiles:
 * - Average: 1 on the patch's window length.
 * - Crop: 1 on the voxels nearer to the patch's own centre than to a
 *   neighbour's (a tie goes to the patch with the lower start), 0 elsewhere:
 *   every covered voxel is owned by exactly one patch, W = 1 where covered.
 *
 * \ingroup PatchStreaming
 */
class PatchStreaming_EXPORT PatchAxisWindow
{
public:
  using WeightingEnum = PatchStreamingEnums::Weighting;

  PatchAxisWindow() = default;

  /** Throws an itk::ExceptionObject naming the weighting when it has no profile here. */
  PatchAxisWindow(const PatchAxisLayout & layout, WeightingEnum weighting);

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

private:
  std::vector<std::vector<double>> m_Profiles{};
  std::vector<double>              m_Normalizer{};
};
} // end namespace itk

#endif
