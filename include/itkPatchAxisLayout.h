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
#ifndef itkPatchAxisLayout_h
#define itkPatchAxisLayout_h

#include "itkIntTypes.h"
#include "itkPatchStreamingEnums.h"

#include <utility>
#include <vector>

namespace itk
{
/** Every start, end and offset along an axis must fit a signed 64-bit index:
 * patch sizes and image sizes stay at or below 2^62. */
constexpr SizeValueType LargestPatchAxisLength = SizeValueType{ 1 } << 62;

/** Throws an itk::ExceptionObject naming PatchSize[axis] and its value when
 * it is 0 or above LargestPatchAxisLength (a negative size converted to unsigned).
 * \ingroup PatchStreaming */
PatchStreaming_EXPORT void
VerifyPatchLength(SizeValueType patchSize, unsigned int axis);

/** \class PatchAxisLayout
 * \brief Where the patches start along one image axis (docs/design.md section 3).
 *
 * Given the axis length L, the patch size P, the overlap O (stride S = P - O)
 * and a border mode, the layout holds the start of every patch position along
 * the axis, relative to the first image voxel, in increasing order:
 *
 * - Squeeze: n = ceil((L-P)/S)+1 starts spread evenly,
 *   start_i = round(i (L-P)/(n-1)) (halves round up); the stride shrinks a little.
 * - Edge: start_i = i S, the last one moved back to L-P.
 * - Adaptive: start_i = i S; the last patch is shorter: its window length is L - start.
 * - Crop: start_i = i S while start_i + P <= L; the remainder is not covered.
 * - Pad: start_i = i S - h; the last patch may reach up to S-1 voxels past the
 *   image. h = floor(O/2) when PadOverlap is on (the grid then also extends
 *   by h before the image and the padded axis has length L + 2h), else 0.
 *
 * An axis shorter than (or as long as) the patch always gets one patch at -h,
 * padded, in every mode; in Adaptive mode its window length is L.
 *
 * The window length of a position is the number of voxels, from its start,
 * that the merger's window covers: P, except for Adaptive's short patches.
 *
 * \sa PatchGrid, PatchAxisWindow, PatchStreamingEnums
 * \ingroup PatchStreaming
 */
class PatchStreaming_EXPORT PatchAxisLayout
{
public:
  using BorderModeEnum = PatchStreamingEnums::BorderMode;

  PatchAxisLayout() = default;

  /** Throws an itk::ExceptionObject naming the parameter and `axis` when
   * imageLength or patchSize is 0 or above 2^62, overlap >= patchSize, or
   * padOverlap is set with a border mode other than Pad. */
  PatchAxisLayout(SizeValueType  imageLength,
                  SizeValueType  patchSize,
                  SizeValueType  overlap,
                  BorderModeEnum borderMode,
                  bool           padOverlap,
                  unsigned int   axis);

  SizeValueType
  GetImageLength() const
  {
    return m_ImageLength;
  }
  SizeValueType
  GetPatchSize() const
  {
    return m_PatchSize;
  }
  SizeValueType
  GetOverlap() const
  {
    return m_Overlap;
  }
  BorderModeEnum
  GetBorderMode() const
  {
    return m_BorderMode;
  }
  bool
  GetPadOverlap() const
  {
    return m_PadOverlap;
  }
  SizeValueType
  GetNumberOfPositions() const
  {
    return static_cast<SizeValueType>(m_Starts.size());
  }

  /** Start of the patch at `position`, relative to the first image voxel (negative with PadOverlap). */
  OffsetValueType
  GetStart(SizeValueType position) const
  {
    return m_Starts[position];
  }

  /** Voxels, from the start, that the merger's window covers (P, shorter for Adaptive's last patch). */
  SizeValueType
  GetWindowLength(SizeValueType position) const
  {
    return m_WindowLengths[position];
  }

  /** The positions [first, last] whose patch [start, start + P) intersects the
   * voxels [begin, end) (relative to the first image voxel); first > last when none does. */
  std::pair<SizeValueType, SizeValueType>
  GetOverlappingPositions(OffsetValueType begin, OffsetValueType end) const;

  bool
  operator==(const PatchAxisLayout & other) const;
  bool
  operator!=(const PatchAxisLayout & other) const
  {
    return !(*this == other);
  }

private:
  SizeValueType                m_ImageLength{ 0 };
  SizeValueType                m_PatchSize{ 0 };
  SizeValueType                m_Overlap{ 0 };
  BorderModeEnum               m_BorderMode{ BorderModeEnum::Squeeze };
  bool                         m_PadOverlap{ false };
  std::vector<OffsetValueType> m_Starts{};
  std::vector<SizeValueType>   m_WindowLengths{};
};
} // end namespace itk

#endif
