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
#ifndef itkPatchGrid_hxx
#define itkPatchGrid_hxx

#include "itkNumericTraits.h"
#include "itkPatchGrid.h"

#include <algorithm>

namespace itk
{
template <unsigned int VDimension>
PatchGrid<VDimension>::PatchGrid(const RegionType &    imageRegion,
                                 const SpacingType &   spacing,
                                 const PointType &     origin,
                                 const DirectionType & direction,
                                 const SizeType &      patchSize,
                                 const SizeType &      patchOverlap,
                                 BorderModeEnum        borderMode,
                                 bool                  padOverlap)
  : m_ImageRegion(imageRegion)
  , m_Spacing(spacing)
  , m_Origin(origin)
  , m_Direction(direction)
{
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    m_AxisLayouts[d] =
      PatchAxisLayout(imageRegion.GetSize(d), patchSize[d], patchOverlap[d], borderMode, padOverlap, d);
  }
  // The stack's voxel count, and so every offset into it, must fit a signed 64-bit offset.
  constexpr auto largest = static_cast<SizeValueType>(NumericTraits<OffsetValueType>::max());
  SizeValueType  stackVoxels = 1;
  for (const auto & layout : m_AxisLayouts)
  {
    for (const SizeValueType factor : { layout.GetNumberOfPositions(), layout.GetPatchSize() })
    {
      if (stackVoxels > largest / factor)
      {
        itkGenericExceptionMacro(<< "the patch stack would exceed 2^63 - 1 voxels: grid size " << this->GetGridSize()
                                 << " patches of PatchSize " << patchSize);
      }
      stackVoxels *= factor;
    }
  }
}

template <unsigned int VDimension>
SizeValueType
PatchGrid<VDimension>::GetNumberOfPatches() const
{
  SizeValueType count = 1;
  for (const auto & layout : m_AxisLayouts)
  {
    count *= layout.GetNumberOfPositions();
  }
  return count;
}

template <unsigned int VDimension>
auto
PatchGrid<VDimension>::GetGridSize() const -> SizeType
{
  SizeType size;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    size[d] = m_AxisLayouts[d].GetNumberOfPositions();
  }
  return size;
}

template <unsigned int VDimension>
auto
PatchGrid<VDimension>::GetPatchSize() const -> SizeType
{
  SizeType size;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    size[d] = m_AxisLayouts[d].GetPatchSize();
  }
  return size;
}

template <unsigned int VDimension>
auto
PatchGrid<VDimension>::GetPatchOverlap() const -> SizeType
{
  SizeType size;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    size[d] = m_AxisLayouts[d].GetOverlap();
  }
  return size;
}

template <unsigned int VDimension>
void
PatchGrid<VDimension>::CheckPatchIndex(SizeValueType patch) const
{
  if (patch >= this->GetNumberOfPatches())
  {
    itkGenericExceptionMacro(<< "patch index " << patch << " is out of range: the grid has "
                             << this->GetNumberOfPatches() << " patches");
  }
}

template <unsigned int VDimension>
auto
PatchGrid<VDimension>::GetGridIndex(SizeValueType patch) const -> IndexType
{
  this->CheckPatchIndex(patch);
  IndexType gridIndex;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    const SizeValueType positions = m_AxisLayouts[d].GetNumberOfPositions();
    gridIndex[d] = static_cast<IndexValueType>(patch % positions);
    patch /= positions;
  }
  return gridIndex;
}

template <unsigned int VDimension>
SizeValueType
PatchGrid<VDimension>::GetLinearIndex(const IndexType & gridIndex) const
{
  SizeValueType patch = 0;
  for (int d = static_cast<int>(VDimension) - 1; d >= 0; --d)
  {
    const SizeValueType positions = m_AxisLayouts[d].GetNumberOfPositions();
    if (gridIndex[d] < 0 || static_cast<SizeValueType>(gridIndex[d]) >= positions)
    {
      itkGenericExceptionMacro(<< "grid index[" << d << "] = " << gridIndex[d] << " is outside the grid, which has "
                               << positions << " positions along axis " << d);
    }
    patch = patch * positions + static_cast<SizeValueType>(gridIndex[d]);
  }
  return patch;
}

template <unsigned int VDimension>
auto
PatchGrid<VDimension>::GetPatchRegion(SizeValueType patch) const -> RegionType
{
  const IndexType gridIndex = this->GetGridIndex(patch);
  IndexType       start;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    start[d] = m_ImageRegion.GetIndex(d) + m_AxisLayouts[d].GetStart(static_cast<SizeValueType>(gridIndex[d]));
  }
  return RegionType(start, this->GetPatchSize());
}

template <unsigned int VDimension>
auto
PatchGrid<VDimension>::GetValidPatchRegion(SizeValueType patch) const -> RegionType
{
  RegionType region = this->GetPatchRegion(patch);
  // Every patch holds at least one image voxel, so the crop never fails.
  region.Crop(m_ImageRegion);
  return region;
}

template <unsigned int VDimension>
auto
PatchGrid<VDimension>::GetPatchOrigin(SizeValueType patch) const -> PointType
{
  const IndexType start = this->GetPatchRegion(patch).GetIndex();
  PointType       point;
  for (unsigned int row = 0; row < VDimension; ++row)
  {
    point[row] = m_Origin[row];
    for (unsigned int column = 0; column < VDimension; ++column)
    {
      point[row] += m_Direction[row][column] * m_Spacing[column] * static_cast<SpacePrecisionType>(start[column]);
    }
  }
  return point;
}

template <unsigned int VDimension>
auto
PatchGrid<VDimension>::GetOverlappingGridRegion(const RegionType & region) const -> RegionType
{
  RegionType overlapping;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    const OffsetValueType begin = region.GetIndex(d) - m_ImageRegion.GetIndex(d);
    const auto            positions =
      m_AxisLayouts[d].GetOverlappingPositions(begin, begin + static_cast<OffsetValueType>(region.GetSize(d)));
    if (positions.first > positions.second)
    {
      return RegionType();
    }
    overlapping.SetIndex(d, static_cast<IndexValueType>(positions.first));
    overlapping.SetSize(d, positions.second - positions.first + 1);
  }
  return overlapping;
}

template <unsigned int VDimension>
auto
PatchGrid<VDimension>::GetPatchRange(const RegionType & region) const -> PatchRangeType
{
  const RegionType overlapping = this->GetOverlappingGridRegion(region);
  if (overlapping.GetNumberOfPixels() == 0)
  {
    return { 1, 0 };
  }
  return { this->GetLinearIndex(overlapping.GetIndex()), this->GetLinearIndex(overlapping.GetUpperIndex()) };
}

template <unsigned int VDimension>
auto
PatchGrid<VDimension>::GetGridBoundingRegion(SizeValueType first, SizeValueType last) const -> RegionType
{
  this->CheckPatchIndex(first);
  this->CheckPatchIndex(last);
  if (first > last)
  {
    itkGenericExceptionMacro(<< "patch range [" << first << ", " << last << "] is empty");
  }
  RegionType    bounds;
  SizeValueType patchesPerStep = 1; // patches between two steps of the grid index along axis d
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    const SizeValueType positions = m_AxisLayouts[d].GetNumberOfPositions();
    const SizeValueType firstStep = first / patchesPerStep;
    const SizeValueType lastStep = last / patchesPerStep;
    SizeValueType       low = 0;
    SizeValueType       high = positions - 1;
    // Unless the range wraps around axis d, it visits the positions between its ends only.
    if (lastStep - firstStep < positions && firstStep % positions <= lastStep % positions)
    {
      low = firstStep % positions;
      high = lastStep % positions;
    }
    bounds.SetIndex(d, static_cast<IndexValueType>(low));
    bounds.SetSize(d, high - low + 1);
    patchesPerStep *= positions;
  }
  return bounds;
}

template <unsigned int VDimension>
bool
PatchGrid<VDimension>::operator==(const PatchGrid & other) const
{
  return m_ImageRegion == other.m_ImageRegion && m_Spacing == other.m_Spacing && m_Origin == other.m_Origin &&
         m_Direction == other.m_Direction && m_AxisLayouts == other.m_AxisLayouts &&
         m_KeptPatches == other.m_KeptPatches;
}

template <unsigned int VDimension>
void
PatchGrid<VDimension>::SetKeptPatches(std::vector<bool> kept)
{
  if (!kept.empty() && kept.size() != this->GetNumberOfPatches())
  {
    itkGenericExceptionMacro(<< "KeptPatches has " << kept.size() << " flags but the grid has "
                             << this->GetNumberOfPatches() << " patches");
  }
  const bool keepsAll = std::find(kept.begin(), kept.end(), false) == kept.end();
  m_KeptPatches = keepsAll ? std::vector<bool>() : std::move(kept);
}

template <unsigned int VDimension>
SizeValueType
PatchGrid<VDimension>::GetNumberOfKeptPatches() const
{
  return m_KeptPatches.empty()
           ? this->GetNumberOfPatches()
           : static_cast<SizeValueType>(std::count(m_KeptPatches.begin(), m_KeptPatches.end(), true));
}

template <unsigned int VDimension>
void
PatchGrid<VDimension>::Print(std::ostream & os, Indent indent) const
{
  os << indent << "ImageRegion: " << m_ImageRegion.GetIndex() << " " << m_ImageRegion.GetSize() << std::endl;
  os << indent << "Spacing: " << m_Spacing << std::endl;
  os << indent << "Origin: " << m_Origin << std::endl;
  os << indent << "Direction: " << m_Direction.GetVnlMatrix() << std::endl;
  os << indent << "PatchSize: " << this->GetPatchSize() << std::endl;
  os << indent << "PatchOverlap: " << this->GetPatchOverlap() << std::endl;
  os << indent << "BorderMode: " << this->GetBorderMode() << std::endl;
  os << indent << "PadOverlap: " << this->GetPadOverlap() << std::endl;
  os << indent << "GridSize: " << this->GetGridSize() << std::endl;
  os << indent << "KeptPatches: " << this->GetNumberOfKeptPatches() << " of " << this->GetNumberOfPatches()
     << std::endl;
}
} // end namespace itk

#endif
