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
#ifndef itkPatchCenterMapping_h
#define itkPatchCenterMapping_h

#include "itkImageBase.h"
#include "itkPatchRandomNumbers.h"

#include <cmath>

namespace itk
{
namespace PatchStreamingDetail
{
/** \class PatchCenterMapping
 * \brief Maps the voxels of a sampling map (a probability or label map,
 * possibly coarser, in its own geometry) to patch centers in the image the
 * patches are cut from, through physical space.
 *
 * A map voxel is valid when the image voxel nearest to its center is an
 * allowed patch center (inside `centers`). Drawing from a map voxel picks a
 * point uniformly inside it (in the map's continuous index space, kept
 * 1e-6 voxels away from its faces) and returns the image voxel nearest to
 * that point; points whose image voxel is not an allowed center are drawn
 * again (the voxel's own center is allowed, so this ends). When the map has
 * the image's geometry, map voxel m gives exactly center m.
 *
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension>
class PatchCenterMapping
{
public:
  using ImageBaseType = ImageBase<VDimension>;
  using IndexType = Index<VDimension>;
  using RegionType = ImageRegion<VDimension>;
  using ContinuousIndexType = ContinuousIndex<double, VDimension>;

  PatchCenterMapping(const ImageBaseType * map, const ImageBaseType * image, const RegionType & centers)
    : m_Map(map)
    , m_Image(image)
    , m_Centers(centers)
  {}

  /** Whether the image voxel nearest to the map voxel's center is an allowed patch center. */
  bool
  IsValid(const IndexType & mapVoxel) const
  {
    ContinuousIndexType point;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      point[d] = static_cast<double>(mapVoxel[d]);
    }
    return m_Centers.IsInside(NearestImageVoxel(point));
  }

  /** An allowed center inside the (valid) map voxel, drawn uniformly. */
  IndexType
  Draw(const IndexType & mapVoxel, PatchRandomGenerator & generator) const
  {
    constexpr double width = 1.0 - 1e-6;
    for (unsigned int attempt = 0; attempt < 64; ++attempt)
    {
      ContinuousIndexType point;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        point[d] = static_cast<double>(mapVoxel[d]) + width * (PatchStreamingDetail::PatchUniformReal(generator) - 0.5);
      }
      const IndexType center = NearestImageVoxel(point);
      if (m_Centers.IsInside(center))
      {
        return center;
      }
    }
    ContinuousIndexType point;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      point[d] = static_cast<double>(mapVoxel[d]);
    }
    return NearestImageVoxel(point);
  }

private:
  IndexType
  NearestImageVoxel(const ContinuousIndexType & mapPoint) const
  {
    typename ImageBaseType::PointType physical;
    m_Map->TransformContinuousIndexToPhysicalPoint(mapPoint, physical);
    ContinuousIndexType imagePoint;
    m_Image->TransformPhysicalPointToContinuousIndex(physical, imagePoint);
    // A point past 2^62 voxels, infinite or NaN (a degenerate geometry) is
    // no voxel of any image: it maps to the lowest index, outside every region,
    // never through an undefined conversion.
    constexpr double Farthest = 4611686018427387904.0; // 2^62
    IndexType        voxel;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      const double nearest = std::floor(imagePoint[d] + 0.5);
      voxel[d] = std::abs(nearest) < Farthest ? static_cast<IndexValueType>(nearest)
                                              : NumericTraits<IndexValueType>::NonpositiveMin();
    }
    return voxel;
  }

  const ImageBaseType * m_Map;
  const ImageBaseType * m_Image;
  RegionType            m_Centers;
};
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
