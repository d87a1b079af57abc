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
#ifndef itkPatchDiscreteDistribution_h
#define itkPatchDiscreteDistribution_h

#include "PatchStreamingExport.h"
#include "itkPatchRandomNumbers.h"

#include <cmath>
#include <vector>

namespace itk
{
/** \class PatchDiscreteDistribution
 * \brief Draws index i with probability weights[i] / sum(weights).
 *
 * The cumulative sums are kept (one double per weight) and each draw is a
 * binary search, so a map of M voxels costs M doubles and O(log M) per draw.
 * The weights must be non-negative and finite (checked by the samplers,
 * which know which voxel a weight belongs to); zero weights are never drawn.
 * They are summed scaled by a power of two that brings the largest below 1
 * (exact: the same draws), so that weights near double's maximum draw as
 * their ratios say rather than overflowing the sums.
 *
 * \sa WeightedPatchSampler, LabelPatchSampler
 * \ingroup PatchStreaming
 */
class PatchStreaming_EXPORT PatchDiscreteDistribution
{
public:
  PatchDiscreteDistribution() = default;
  explicit PatchDiscreteDistribution(const std::vector<double> & weights);

  /** The sum of the weights (infinite past double's range); Draw() needs it positive. */
  double
  GetTotal() const
  {
    return std::ldexp(this->GetScaledTotal(), m_Exponent);
  }

  SizeValueType
  Draw(PatchRandomGenerator & generator) const;

private:
  double
  GetScaledTotal() const
  {
    return m_Cumulative.empty() ? 0.0 : m_Cumulative.back();
  }

  /** The cumulative sums of the weights times 2^-m_Exponent. */
  std::vector<double> m_Cumulative{};
  int                 m_Exponent{ 0 };
};
} // end namespace itk

#endif
