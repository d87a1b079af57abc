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
#include "itkPatchWindowProfiles.h"
#include "itkMacro.h"
#include "itkMath.h"

#include <algorithm>
#include <cmath>

namespace itk
{
std::vector<double>
GaussianWindowProfile(SizeValueType length, double sigmaScale, double minimumWeight)
{
  if (!(sigmaScale > 0.0) || !std::isfinite(sigmaScale))
  {
    itkGenericExceptionMacro(<< "SigmaScale = " << sigmaScale << " must be positive and finite");
  }
  if (!(minimumWeight >= 0.0 && minimumWeight <= 1.0))
  {
    itkGenericExceptionMacro(<< "MinimumWeight = " << minimumWeight << " must be in [0, 1]");
  }
  const double        center = (static_cast<double>(length) - 1.0) / 2.0;
  const double        sigma = sigmaScale * static_cast<double>(length);
  std::vector<double> profile(length);
  for (SizeValueType t = 0; t < length; ++t)
  {
    // Distance in sigmas first: (t-c)^2 / (2 sigma^2) would be 0/0 at the center of an odd
    // window once sigma^2 underflows (SigmaScale below ~1e-155), and the peak must stay 1.
    const double z = (static_cast<double>(t) - center) / sigma;
    profile[t] = std::max(std::exp(-0.5 * z * z), minimumWeight);
  }
  return profile;
}

std::vector<double>
HannWindowProfile(SizeValueType length)
{
  std::vector<double> profile(length);
  for (SizeValueType t = 0; t < length; ++t)
  {
    const double s = std::sin(Math::pi * static_cast<double>(t + 1) / static_cast<double>(length + 1));
    profile[t] = s * s;
  }
  return profile;
}

std::vector<double>
ResampledWindowProfile(const std::vector<double> & profile, SizeValueType length)
{
  if (length == profile.size())
  {
    return profile;
  }
  const double        last = static_cast<double>(profile.size() - 1);
  std::vector<double> resampled(length);
  for (SizeValueType t = 0; t < length; ++t)
  {
    const double u = length > 1 ? static_cast<double>(t) * last / static_cast<double>(length - 1) : last / 2.0;
    const auto   below = static_cast<SizeValueType>(std::floor(u));
    const auto   above = std::min<SizeValueType>(below + 1, profile.size() - 1);
    const double fraction = u - static_cast<double>(below);
    resampled[t] = (1.0 - fraction) * profile[below] + fraction * profile[above];
  }
  return resampled;
}
} // end namespace itk
