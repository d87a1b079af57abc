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
#ifndef itkPatchPadding_h
#define itkPatchPadding_h

#include "itkIntTypes.h"
#include "itkPatchStreamingEnums.h"

namespace itk
{
/** The voxel, in [0, length), that supplies position `index` of an axis of
 * `length` voxels under a boundary condition, or -1 when the position is
 * outside and the padding is Constant. Positions are relative to the first
 * image voxel.
 *
 * - Constant: outside positions take the padding value.
 * - ZeroFluxNeumann: the nearest edge voxel (replicate).
 * - Mirror: reflection that repeats the edge voxel (d c b a | a b c d | d c b a),
 *   as ITK's MirrorPadImageFilter, with period 2 length.
 * - Periodic: wrap around, as ITK's WrapPadImageFilter.
 *
 * \ingroup PatchStreaming
 */
PatchStreaming_EXPORT OffsetValueType
MapPaddedIndex(OffsetValueType index, SizeValueType length, PatchStreamingEnums::Padding padding);
} // end namespace itk

#endif
