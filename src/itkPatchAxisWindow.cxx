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

#include <algorithm>
#include <cstdlib>

namespace itk
{
namespace
{
std::vector<double>
AverageProfile(const PatchAxisLayout & layout, SizeValueType position)
{
  std::vector<double> profile(layout.GetPatchSize(), 0.0);
  std::fill_n(profile.begin(), layout.GetWindowLength(position), 1.0);
  return profile;
}

// Twice the distance from voxel x to the centre of the window at position i,
// in integers (centres fall on half voxels), or -1 when i does not cover x.
OffsetValueType
DoubledDistanceToCentre(const PatchAxisLayout & layout, SizeValueType position, OffsetValueType voxel)
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
    const OffsetValueType own = DoubledDistanceToCentre(layout, position, voxel);
    // Centres increase with the position, so only the adjacent patches can be nearer.
    const OffsetValueType previous = position > 0 ? DoubledDistanceToCentre(layout, position - 1, voxel) : -1;
    const OffsetValueType next = position < last ? DoubledDistanceToCentre(layout, position + 1, voxel) : -1;
    const bool beatsPrevious = previous < 0 || own < previous;
    const bool beatsNext = next < 0 || own <= next;
    profile[t] = (beatsPrevious && beatsNext) ? 1.0 : 0.0;
  }
  return profile;
}
} // namespace

PatchAxisWindow::PatchAxisWindow(const PatchAxisLayout & layout, WeightingEnum weighting)
{
  const SizeValueType positions = layout.GetNumberOfPositions();
  m_Profiles.reserve(positions);
  for (SizeValueType i = 0; i < positions; ++i)
  {
    switch (weighting)
    {
      case WeightingEnum::Average:
        m_Profiles.push_back(AverageProfile(layout, i));
        break;
      case WeightingEnum::Crop:
        m_Profiles.push_back(CropProfile(layout, i));
        break;
      default:
        itkGenericExceptionMacro(<< "Weighting " << ToString(weighting) << " has no 1-D profile yet");
    }
  }

  const auto length = static_cast<OffsetValueType>(layout.GetImageLength());
  m_Normalizer.assign(layout.GetImageLength(), 0.0);
  for (SizeValueType i = 0; i < positions; ++i)
  {
    const OffsetValueType start = layout.GetStart(i);
    const OffsetValueType begin = std::max<OffsetValueType>(start, 0);
    const OffsetValueType end = std::min<OffsetValueType>(start + static_cast<OffsetValueType>(layout.GetPatchSize()), length);
    for (OffsetValueType voxel = begin; voxel < end; ++voxel)
    {
      m_Normalizer[voxel] += m_Profiles[i][voxel - start];
    }
  }
}
} // end namespace itk
