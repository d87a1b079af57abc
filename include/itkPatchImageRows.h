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
#ifndef itkPatchImageRows_h
#define itkPatchImageRows_h

#include "itkImageRegion.h"

#include <algorithm>

namespace itk
{
namespace PatchStreamingDetail
{
/** Calls `function(rowStart)` for every row (a run along axis 0) of `region`,
 * axis 1 fastest. The patch filters work row by row so their inner loops run
 * over contiguous voxels.
 *
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension, typename TFunction>
void
ForEachImageRow(const ImageRegion<VDimension> & region, TFunction && function)
{
  if (region.GetNumberOfPixels() == 0)
  {
    return;
  }
  Index<VDimension>       rowStart = region.GetIndex();
  const Index<VDimension> upper = region.GetUpperIndex();
  while (true)
  {
    function(static_cast<const Index<VDimension> &>(rowStart));
    unsigned int d = 1;
    for (; d < VDimension; ++d)
    {
      if (++rowStart[d] <= upper[d])
      {
        break;
      }
      rowStart[d] = region.GetIndex(d);
    }
    if (d >= VDimension)
    {
      return;
    }
  }
}

/** Calls `function(rowStart, length)` for every run along axis 0 of `region`
 * that stays inside one slice of the slowest axis: the rows of a 2-D or larger
 * region, the single voxels of a 1-D one (whose axis 0 is the slowest axis).
 * The merger's row buffers hold the rows of one slice each.
 *
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension, typename TFunction>
void
ForEachSliceRow(const ImageRegion<VDimension> & region, TFunction && function)
{
  if constexpr (VDimension == 1)
  {
    Index<1> voxel = region.GetIndex();
    for (SizeValueType i = 0; i < region.GetSize(0); ++i, ++voxel[0])
    {
      function(static_cast<const Index<1> &>(voxel), SizeValueType{ 1 });
    }
  }
  else
  {
    ForEachImageRow(region, [&](const Index<VDimension> & rowStart) { function(rowStart, region.GetSize(0)); });
  }
}

/** The merger's slice axis for an image of `imageRegion`: the slowest axis
 * along which the image is more than one voxel long (at least axis 1 in 2-D
 * and more, so that a row stays inside one slice). A downstream
 * StreamingImageFilter or ImageFileWriter cuts its divisions along this axis
 * (ITK's ImageRegionSplitterSlowDimension), so a 3-D image one slice deep is
 * streamed, and its sums carried, along axis 1.
 *
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension>
unsigned int
GetSliceAxis(const ImageRegion<VDimension> & imageRegion)
{
  unsigned int axis = VDimension - 1;
  while (axis > 1 && imageRegion.GetSize(axis) <= 1)
  {
    --axis;
  }
  return axis;
}

/** How many calls ForEachSliceRow makes for `region`. */
template <unsigned int VDimension>
SizeValueType
GetNumberOfSliceRows(const ImageRegion<VDimension> & region)
{
  return VDimension == 1 ? region.GetNumberOfPixels()
                         : region.GetNumberOfPixels() / std::max<SizeValueType>(region.GetSize(0), 1);
}

/** The place of the row that starts at `rowStart` in ForEachSliceRow's order over `region`. */
template <unsigned int VDimension>
SizeValueType
GetSliceRowNumber(const ImageRegion<VDimension> & region, const Index<VDimension> & rowStart)
{
  if constexpr (VDimension == 1)
  {
    return static_cast<SizeValueType>(rowStart[0] - region.GetIndex(0));
  }
  SizeValueType number = 0;
  SizeValueType rowsPerStep = 1; // rows between two steps along axis d
  for (unsigned int d = 1; d < VDimension; ++d)
  {
    number += static_cast<SizeValueType>(rowStart[d] - region.GetIndex(d)) * rowsPerStep;
    rowsPerStep *= region.GetSize(d);
  }
  return number;
}
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
