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
#include "itkPatchAxisWindow.h"
#include "itkMacro.h"
#include "itkPatchWindowProfiles.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace itk
{
namespace
{
// A profile over the window, zero-filled to the patch size.
std::vector<double>
PaddedToPatchSize(std::vector<double> window, SizeValueType patchSize)
{
  window.resize(patchSize, 0.0);
  return window;
}

// Twice the distance from voxel x to the center of the window at position i,
// in integers (centers fall on half voxels), or -1 when i does not cover x.
OffsetValueType
DoubledDistanceToCenter(const PatchAxisLayout & layout, SizeValueType position, OffsetValueType voxel)
{
  const OffsetValueType start = layout.GetStart(position);
  const auto            length = static_cast<OffsetValueType>(layout.GetWindowLength(position));
  if (voxel < start || voxel >= start + length)
  {
    return -1;
  }
  return std::abs(2 * voxel - (2 * start + length - 1));
}

std::vector<double>
CropProfile(const PatchAxisLayout & layout, SizeValueType position)
{
  std::vector<double> profile(layout.GetPatchSize(), 0.0);
  const SizeValueType last = layout.GetNumberOfPositions() - 1;
  for (SizeValueType t = 0; t < layout.GetWindowLength(position); ++t)
  {
    const OffsetValueType voxel = layout.GetStart(position) + static_cast<OffsetValueType>(t);
    const OffsetValueType own = DoubledDistanceToCenter(layout, position, voxel);
    // Centers increase with the position, so only the adjacent patches can be nearer.
    const OffsetValueType previous = position > 0 ? DoubledDistanceToCenter(layout, position - 1, voxel) : -1;
    const OffsetValueType next = position < last ? DoubledDistanceToCenter(layout, position + 1, voxel) : -1;
    const bool            beatsPrevious = previous < 0 || own < previous;
    const bool            beatsNext = next < 0 || own <= next;
    profile[t] = (beatsPrevious && beatsNext) ? 1.0 : 0.0;
  }
  return profile;
}

/** The axis's custom profile, checked, and scaled by the power of two that brings its largest
 * value into [0.5, 1): only the profiles' ratios matter, and the scaling is exact, so the merge
 * is that of the profile as given, while the weights' sums and products over the axes stay in
 * range whatever the scale the user chose (1e300 per axis overflowed, 1e-310 is denormal). */
std::vector<double>
ScaledCustomProfile(const PatchWindowParameters & parameters, SizeValueType patchSize, unsigned int axis)
{
  if (axis >= parameters.CustomProfiles.size() || parameters.CustomProfiles[axis].size() != patchSize)
  {
    const SizeValueType given = axis < parameters.CustomProfiles.size() ? parameters.CustomProfiles[axis].size() : 0;
    itkGenericExceptionMacro(<< "CustomProfile[" << axis << "] has " << given
                             << " values; Weighting Custom needs PatchSize[" << axis << "] = " << patchSize);
  }
  std::vector<double> profile = parameters.CustomProfiles[axis];
  for (SizeValueType t = 0; t < patchSize; ++t)
  {
    if (!std::isfinite(profile[t]) || profile[t] < 0.0)
    {
      itkGenericExceptionMacro(<< "CustomProfile[" << axis << "][" << t << "] = " << profile[t]
                               << " must be finite and non-negative");
    }
  }
  int exponent = 0;
  std::frexp(*std::max_element(profile.begin(), profile.end()), &exponent);
  for (double & value : profile)
  {
    value = std::ldexp(value, -exponent);
  }
  return profile;
}

std::vector<double>
WindowProfile(const PatchAxisLayout &       layout,
              const PatchWindowParameters & parameters,
              unsigned int                  axis,
              SizeValueType                 position)
{
  const SizeValueType length = layout.GetWindowLength(position);
  switch (parameters.Weighting)
  {
    case PatchStreamingEnums::Weighting::Average:
      return PaddedToPatchSize(std::vector<double>(length, 1.0), layout.GetPatchSize());
    case PatchStreamingEnums::Weighting::Gaussian:
      return PaddedToPatchSize(GaussianWindowProfile(length, parameters.SigmaScale, parameters.MinimumWeight),
                               layout.GetPatchSize());
    case PatchStreamingEnums::Weighting::Hann:
      return PaddedToPatchSize(HannWindowProfile(length), layout.GetPatchSize());
    case PatchStreamingEnums::Weighting::Crop:
      return CropProfile(layout, position);
    case PatchStreamingEnums::Weighting::Custom:
      return PaddedToPatchSize(
        ResampledWindowProfile(ScaledCustomProfile(parameters, layout.GetPatchSize(), axis), length),
        layout.GetPatchSize());
  }
  itkGenericExceptionMacro(<< "Weighting = " << static_cast<int>(parameters.Weighting) << " is not a Weighting");
}
} // namespace

PatchAxisWindow::PatchAxisWindow(const PatchAxisLayout &       layout,
                                 const PatchWindowParameters & parameters,
                                 unsigned int                  axis)
{
  const SizeValueType positions = layout.GetNumberOfPositions();
  m_Profiles.reserve(positions);
  for (SizeValueType i = 0; i < positions; ++i)
  {
    m_Profiles.push_back(WindowProfile(layout, parameters, axis, i));
    for (const double value : m_Profiles.back())
    {
      if (value > 0.0 && (m_SmallestPositiveWeight == 0.0 || value < m_SmallestPositiveWeight))
      {
        m_SmallestPositiveWeight = value;
      }
    }
  }

  const auto length = static_cast<OffsetValueType>(layout.GetImageLength());
  m_Normalizer.assign(layout.GetImageLength(), 0.0);
  std::vector<bool> covered(layout.GetImageLength(), false);
  for (SizeValueType i = 0; i < positions; ++i)
  {
    const OffsetValueType start = layout.GetStart(i);
    const OffsetValueType begin = std::max<OffsetValueType>(start, 0);
    const OffsetValueType end =
      std::min<OffsetValueType>(start + static_cast<OffsetValueType>(layout.GetWindowLength(i)), length);
    for (OffsetValueType voxel = begin; voxel < end; ++voxel)
    {
      m_Normalizer[voxel] += m_Profiles[i][voxel - start];
      covered[voxel] = true;
    }
  }
  for (SizeValueType voxel = 0; voxel < layout.GetImageLength(); ++voxel)
  {
    if (covered[voxel] && !(m_Normalizer[voxel] > 0.0))
    {
      const bool         gaussian = parameters.Weighting == PatchStreamingEnums::Weighting::Gaussian;
      std::ostringstream named;
      if (gaussian)
      {
        named << " (SigmaScale = " << parameters.SigmaScale << ", MinimumWeight = " << parameters.MinimumWeight << ")";
      }
      itkGenericExceptionMacro(<< "Weighting " << ToString(parameters.Weighting) << named.str()
                               << ": the windows along axis " << axis << " sum to " << m_Normalizer[voxel]
                               << " at voxel " << voxel << ", which a patch covers; every covered voxel needs a "
                               << "positive weight"
                               << (gaussian ? " (raise MinimumWeight above 0, or SigmaScale)" : ""));
    }
  }
  // The merger multiplies by these instead of dividing each voxel's sums.
  m_NormalizerReciprocals.resize(m_Normalizer.size());
  std::transform(m_Normalizer.begin(), m_Normalizer.end(), m_NormalizerReciprocals.begin(), [](double normalizer) {
    return normalizer > 0.0 ? 1.0 / normalizer : 0.0;
  });
}
} // end namespace itk
