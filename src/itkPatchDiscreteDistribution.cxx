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
#include "itkPatchDiscreteDistribution.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace itk
{
PatchDiscreteDistribution::PatchDiscreteDistribution(const std::vector<double> & weights)
  : m_Cumulative(weights.size())
{
  const double largest = weights.empty() ? 0.0 : *std::max_element(weights.begin(), weights.end());
  if (largest > 0.0)
  {
    std::frexp(largest, &m_Exponent); // largest = f 2^m_Exponent, 0.5 <= f < 1
  }
  std::transform(weights.begin(), weights.end(), m_Cumulative.begin(), [this](double weight) {
    return std::ldexp(weight, -m_Exponent);
  });
  std::partial_sum(m_Cumulative.begin(), m_Cumulative.end(), m_Cumulative.begin());
}

SizeValueType
PatchDiscreteDistribution::Draw(PatchRandomGenerator & generator) const
{
  const double total = this->GetScaledTotal();
  const double target = PatchStreamingDetail::PatchUniformReal(generator) * total;
  // The first index whose cumulative sum exceeds the target: zero weights
  // (equal neighbouring sums) are never chosen.
  auto found = std::upper_bound(m_Cumulative.begin(), m_Cumulative.end(), target);
  if (found == m_Cumulative.end())
  {
    // The target rounded up to the total: the last positive weight, not a trailing zero.
    found = std::lower_bound(m_Cumulative.begin(), m_Cumulative.end(), total);
  }
  return static_cast<SizeValueType>(found - m_Cumulative.begin());
}
} // end namespace itk
