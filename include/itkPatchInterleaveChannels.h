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
#ifndef itkPatchInterleaveChannels_h
#define itkPatchInterleaveChannels_h

#include "itkMultiThreaderBase.h"

#include <algorithm>

namespace itk
{
namespace PatchStreamingDetail
{
/** Copies `patches` patches of `channels` x `voxels` values (channels first)
 * to `target` with the channels interleaved (channels last), one of the
 * patch's `slices` slices (along its slowest axis) per work unit of `threader`. */
template <typename TValue>
void
InterleaveChannels(const TValue *      source,
                   TValue *            target,
                   SizeValueType       patches,
                   SizeValueType       channels,
                   SizeValueType       voxels,
                   SizeValueType       slices,
                   MultiThreaderBase * threader)
{
  const SizeValueType sliceVoxels = voxels / slices;
  threader->ParallelizeArray(
    0,
    patches * slices,
    [=](SizeValueType unit) {
      const SizeValueType patch = unit / slices;
      const SizeValueType begin = (unit % slices) * sliceVoxels;
      const TValue *      patchSource = source + patch * channels * voxels;
      TValue *            patchTarget = target + patch * channels * voxels;
      // Tiles of 64 voxels: each channel's values read in a run, written to a tile that stays in the cache.
      constexpr SizeValueType tile = 64;
      for (SizeValueType tileBegin = begin; tileBegin < begin + sliceVoxels; tileBegin += tile)
      {
        const SizeValueType tileEnd = std::min(tileBegin + tile, begin + sliceVoxels);
        for (SizeValueType c = 0; c < channels; ++c)
        {
          const TValue * channelSource = patchSource + c * voxels;
          TValue *       channelTarget = patchTarget + c;
          for (SizeValueType j = tileBegin; j < tileEnd; ++j)
          {
            channelTarget[j * channels] = channelSource[j];
          }
        }
      }
    },
    nullptr);
}
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
