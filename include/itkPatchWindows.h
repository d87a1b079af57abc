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
#ifndef itkPatchWindows_h
#define itkPatchWindows_h

#include "itkPatchAxisWindow.h"
#include "itkPatchGrid.h"

#include <array>

namespace itk
{
/** \class PatchWindows
 * \brief The separable windows of every patch of a grid: one PatchAxisWindow per axis.
 *
 * The weight of patch k at the voxel `offset` from its first voxel is
 * GetRowWeight(gridIndex, offset) * GetRowProfile(gridIndex, offset[0])[0],
 * evaluated in double in exactly that order; PatchMerger and
 * SeparableGaussianWeighting both use it, which is what makes a pre-weighted
 * stack merge bit-identically.
 *
 * \sa PatchAxisWindow, PatchMerger, SeparableGaussianWeighting
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension>
class PatchWindows
{
public:
  static constexpr unsigned int ImageDimension = VDimension;
  using GridType = PatchGrid<VDimension>;
  using IndexType = Index<VDimension>;

  PatchWindows() = default;

  /** Throws what PatchAxisWindow throws, naming the axis. */
  PatchWindows(const GridType & grid, const PatchWindowParameters & parameters)
  {
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      m_AxisWindows[d] = PatchAxisWindow(grid.GetAxisLayout(d), parameters, d);
    }
  }

  const PatchAxisWindow &
  GetAxisWindow(unsigned int axis) const
  {
    return m_AxisWindows[axis];
  }

  /** The product of the profiles along axes 1..N-1 (axis 1 first) at
   * `offset`, whose first N components are voxel offsets inside the patch. */
  template <typename TOffset>
  double
  GetRowWeight(const IndexType & gridIndex, const TOffset & offset) const
  {
    double weight = 1.0;
    for (unsigned int d = 1; d < VDimension; ++d)
    {
      weight *= m_AxisWindows[d].GetProfile(static_cast<SizeValueType>(gridIndex[d]))[offset[d]];
    }
    return weight;
  }

  /** The axis-0 profile of the patch from the voxel offset0 on. */
  const double *
  GetRowProfile(const IndexType & gridIndex, OffsetValueType offset0) const
  {
    return m_AxisWindows[0].GetProfile(static_cast<SizeValueType>(gridIndex[0])).data() + offset0;
  }

  /** The product of W_d along axes 1..N-1 at `voxel` (relative to the image's first voxel). */
  template <typename TOffset>
  double
  GetRowNormalizer(const TOffset & voxel) const
  {
    double normalizer = 1.0;
    for (unsigned int d = 1; d < VDimension; ++d)
    {
      normalizer *= m_AxisWindows[d].GetNormalizer(static_cast<SizeValueType>(voxel[d]));
    }
    return normalizer;
  }

private:
  std::array<PatchAxisWindow, VDimension> m_AxisWindows{};
};
} // end namespace itk

#endif
