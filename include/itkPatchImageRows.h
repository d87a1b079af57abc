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

namespace itk
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
} // end namespace itk

#endif
