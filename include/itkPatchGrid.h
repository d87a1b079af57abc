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
#ifndef itkPatchGrid_h
#define itkPatchGrid_h

#include "itkFloatTypes.h"
#include "itkImageRegion.h"
#include "itkIndent.h"
#include "itkMatrix.h"
#include "itkPatchAxisLayout.h"
#include "itkPoint.h"
#include "itkVector.h"

#include <array>
#include <vector>
#include <utility>

namespace itk
{
/** \class PatchGrid
 * \brief The grid of overlapping patches over an N-D image (docs/design.md sections 2 and 3).
 *
 * A value type: the image geometry (largest region, spacing, origin,
 * direction), the patch size and overlap, the border mode and one
 * PatchAxisLayout per axis. The patches are the Cartesian product of the
 * axis positions, numbered with grid axis 0 fastest:
 * k = g_0 + n_0 (g_1 + n_1 g_2 ...), so the patches that overlap a slab
 * along the slowest image axis form one contiguous range of k.
 *
 * Regions are in the image's index space: a patch region may reach outside
 * the image's largest region (Pad mode, Adaptive's last patch, axes shorter
 * than the patch); the valid region is the part inside.
 *
 * \sa PatchAxisLayout, PatchExtractor, PatchMerger, ExposePatchGrid, EncapsulatePatchGrid
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension>
class ITK_TEMPLATE_EXPORT PatchGrid
{
public:
  static constexpr unsigned int ImageDimension = VDimension;

  using SizeType = Size<VDimension>;
  using IndexType = Index<VDimension>;
  using RegionType = ImageRegion<VDimension>;
  using SpacingType = Vector<SpacePrecisionType, VDimension>;
  using PointType = Point<SpacePrecisionType, VDimension>;
  using DirectionType = Matrix<SpacePrecisionType, VDimension, VDimension>;
  using BorderModeEnum = PatchStreamingEnums::BorderMode;
  using PatchRangeType = std::pair<SizeValueType, SizeValueType>;

  /** An empty grid (no patches); IsEmpty() tells it apart. */
  PatchGrid() = default;

  /** Lays the patches out; throws an itk::ExceptionObject naming the
   * parameter and the axis for a zero patch size, an overlap not less than
   * the patch size, an empty image, or PadOverlap outside Pad mode, and
   * naming the sizes when the stack would exceed 2^63 - 1 voxels. */
  PatchGrid(const RegionType &    imageRegion,
            const SpacingType &   spacing,
            const PointType &     origin,
            const DirectionType & direction,
            const SizeType &      patchSize,
            const SizeType &      patchOverlap,
            BorderModeEnum        borderMode,
            bool                  padOverlap);

  bool
  IsEmpty() const
  {
    return this->GetNumberOfPatches() == 0;
  }

  SizeValueType
  GetNumberOfPatches() const;

  /** Patches per axis. */
  SizeType
  GetGridSize() const;

  SizeType
  GetPatchSize() const;

  SizeType
  GetPatchOverlap() const;

  BorderModeEnum
  GetBorderMode() const
  {
    return m_AxisLayouts[0].GetBorderMode();
  }

  bool
  GetPadOverlap() const
  {
    return m_AxisLayouts[0].GetPadOverlap();
  }

  const PatchAxisLayout &
  GetAxisLayout(unsigned int axis) const
  {
    return m_AxisLayouts[axis];
  }

  /** The patch's full P^N region in image index space (may reach outside the image). */
  RegionType
  GetPatchRegion(SizeValueType patch) const;

  /** The part of GetPatchRegion(patch) inside the image's largest region. */
  RegionType
  GetValidPatchRegion(SizeValueType patch) const;

  /** Physical point of the patch's first voxel (TransformIndexToPhysicalPoint of its start index). */
  PointType
  GetPatchOrigin(SizeValueType patch) const;

  /** Grid index (position per axis) of patch k. */
  IndexType
  GetGridIndex(SizeValueType patch) const;

  /** Linear index k of a grid index; throws when the grid index is outside the grid. */
  SizeValueType
  GetLinearIndex(const IndexType & gridIndex) const;

  /** The box of grid indices whose patches overlap `region` (image index
   * space); its size is 0 along every axis when no patch does. */
  RegionType
  GetOverlappingGridRegion(const RegionType & region) const;

  /** The contiguous range [first, last] of k that holds every patch overlapping
   * `region`; first > last when no patch overlaps it. */
  PatchRangeType
  GetPatchRange(const RegionType & region) const;

  /** The smallest box of grid indices that holds the patches first..last
   * (a contiguous range of k, as in a requested stack region). */
  RegionType
  GetGridBoundingRegion(SizeValueType first, SizeValueType last) const;

  const RegionType &
  GetImageRegion() const
  {
    return m_ImageRegion;
  }
  const SpacingType &
  GetSpacing() const
  {
    return m_Spacing;
  }
  const PointType &
  GetOrigin() const
  {
    return m_Origin;
  }
  const DirectionType &
  GetDirection() const
  {
    return m_Direction;
  }

  /** Restricts the grid to some of its patches (a mask-restricted grid):
   * kept[k] tells whether patch k is extracted and merged. An empty vector, or
   * one that keeps every patch, means all are kept. Throws an
   * itk::ExceptionObject when the size is not GetNumberOfPatches(). The
   * patches keep their numbers; skipped ones are never requested by the merger. */
  void
  SetKeptPatches(std::vector<bool> kept);

  bool
  IsPatchKept(SizeValueType patch) const
  {
    return m_KeptPatches.empty() || m_KeptPatches[patch];
  }

  /** True when some patches are skipped: the denominator is then no longer separable. */
  bool
  HasSkippedPatches() const
  {
    return !m_KeptPatches.empty();
  }

  /** Empty when every patch is kept. */
  const std::vector<bool> &
  GetKeptPatches() const
  {
    return m_KeptPatches;
  }

  SizeValueType
  GetNumberOfKeptPatches() const;

  bool
  operator==(const PatchGrid & other) const;
  bool
  operator!=(const PatchGrid & other) const
  {
    return !(*this == other);
  }

  void
  Print(std::ostream & os, Indent indent) const;

private:
  void
  CheckPatchIndex(SizeValueType patch) const;

  RegionType                              m_ImageRegion{};
  SpacingType                             m_Spacing{ 1.0 };
  PointType                               m_Origin{};
  DirectionType                           m_Direction{ DirectionType::GetIdentity() };
  std::array<PatchAxisLayout, VDimension> m_AxisLayouts{};
  std::vector<bool>                       m_KeptPatches{};
};

template <unsigned int VDimension>
std::ostream &
operator<<(std::ostream & os, const PatchGrid<VDimension> & grid)
{
  grid.Print(os, Indent());
  return os;
}
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkPatchGrid.hxx"
#endif

#endif
