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
#include "itkPatchAxisLayout.h"
#include "itkMacro.h"

#include <algorithm>

namespace itk
{
namespace
{
SizeValueType
CeilDivide(SizeValueType numerator, SizeValueType denominator)
{
  return (numerator + denominator - 1) / denominator;
}
} // namespace

void
VerifyPatchLength(SizeValueType patchSize, unsigned int axis)
{
  if (patchSize == 0)
  {
    itkGenericExceptionMacro(<< "PatchSize[" << axis << "] = 0: a patch needs at least one voxel along axis " << axis);
  }
  if (patchSize > LargestPatchAxisLength)
  {
    itkGenericExceptionMacro(<< "PatchSize[" << axis << "] = " << patchSize
                             << " exceeds 2^62 voxels (a negative value converted to an unsigned size?)");
  }
}

PatchAxisLayout::PatchAxisLayout(SizeValueType  imageLength,
                                 SizeValueType  patchSize,
                                 SizeValueType  overlap,
                                 BorderModeEnum borderMode,
                                 bool           padOverlap,
                                 unsigned int   axis)
  : m_ImageLength(imageLength)
  , m_PatchSize(patchSize)
  , m_Overlap(overlap)
  , m_BorderMode(borderMode)
  , m_PadOverlap(padOverlap)
{
  if (imageLength == 0)
  {
    itkGenericExceptionMacro(<< "image size[" << axis << "] = 0: the image is empty along axis " << axis);
  }
  VerifyPatchLength(patchSize, axis);
  if (imageLength > LargestPatchAxisLength)
  {
    itkGenericExceptionMacro(<< "image size[" << axis << "] = " << imageLength << " exceeds 2^62 voxels");
  }
  if (overlap >= patchSize)
  {
    itkGenericExceptionMacro(<< "PatchOverlap[" << axis << "] = " << overlap << " must be less than PatchSize[" << axis
                             << "] = " << patchSize << " (the stride would be zero or negative)");
  }
  if (padOverlap && borderMode != BorderModeEnum::Pad)
  {
    itkGenericExceptionMacro(<< "PadOverlap is on but BorderMode is " << ToString(borderMode) << " along axis " << axis
                             << ": PadOverlap needs BorderMode Pad");
  }

  const SizeValueType   stride = patchSize - overlap;
  const OffsetValueType before = padOverlap ? static_cast<OffsetValueType>(overlap / 2) : 0;
  const SizeValueType   paddedLength = imageLength + 2 * static_cast<SizeValueType>(before);

  if (paddedLength <= patchSize)
  {
    m_Starts.push_back(-before);
    m_WindowLengths.push_back(borderMode == BorderModeEnum::Adaptive ? imageLength : patchSize);
    return;
  }

  const SizeValueType room = paddedLength - patchSize;
  const SizeValueType count = (borderMode == BorderModeEnum::Crop ? room / stride : CeilDivide(room, stride)) + 1;
  m_Starts.resize(count);
  m_WindowLengths.assign(count, patchSize);
  for (SizeValueType i = 0; i < count; ++i)
  {
    SizeValueType start = i * stride;
    if (borderMode == BorderModeEnum::Squeeze)
    {
      // round(i * room / (count - 1)), halves up, in integers: 128-bit, as 2 i room passes 64
      // bits on an axis past 2^31 voxels.
      __extension__ using Wide = unsigned __int128;
      start = static_cast<SizeValueType>((2 * Wide{ i } * room + (count - 1)) / (2 * Wide{ count - 1 }));
    }
    else if (borderMode == BorderModeEnum::Edge)
    {
      start = std::min(start, room);
    }
    else if (borderMode == BorderModeEnum::Adaptive)
    {
      m_WindowLengths[i] = std::min(patchSize, imageLength - start);
    }
    m_Starts[i] = static_cast<OffsetValueType>(start) - before;
  }
}

std::pair<SizeValueType, SizeValueType>
PatchAxisLayout::GetOverlappingPositions(OffsetValueType begin, OffsetValueType end) const
{
  const auto patchSize = static_cast<OffsetValueType>(m_PatchSize);
  // Starts increase strictly: the overlapping positions are one contiguous run.
  const auto first = std::upper_bound(m_Starts.begin(), m_Starts.end(), begin - patchSize);
  const auto pastLast = std::lower_bound(m_Starts.begin(), m_Starts.end(), end);
  if (begin >= end || first >= pastLast)
  {
    return { 1, 0 };
  }
  return { static_cast<SizeValueType>(first - m_Starts.begin()),
           static_cast<SizeValueType>(pastLast - m_Starts.begin()) - 1 };
}

bool
PatchAxisLayout::operator==(const PatchAxisLayout & other) const
{
  return m_ImageLength == other.m_ImageLength && m_PatchSize == other.m_PatchSize && m_Overlap == other.m_Overlap &&
         m_BorderMode == other.m_BorderMode && m_PadOverlap == other.m_PadOverlap && m_Starts == other.m_Starts &&
         m_WindowLengths == other.m_WindowLengths;
}
} // end namespace itk
