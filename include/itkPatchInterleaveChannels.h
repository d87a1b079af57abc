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
#include <type_traits>
// x86-64 always has SSE2 (GCC and Clang say so with __SSE2__, MSVC with _M_X64).
#if defined(__SSE2__) || defined(_M_X64)
#  define itkPatchInterleaveChannels_SSE
#  include <xmmintrin.h>
#endif

namespace itk
{
namespace PatchStreamingDetail
{
/** Voxels [begin, end) of channels [firstChannel, channels) of one patch of
 * `channels` x `voxels` values, channels first, copied to `target` channels
 * last: tiles of 64 voxels, each channel's values read in a run and written
 * to a tile that stays in the cache. */
template <typename TValue>
void
InterleaveTiles(const TValue * source,
                TValue *       target,
                SizeValueType  channels,
                SizeValueType  voxels,
                SizeValueType  begin,
                SizeValueType  end,
                SizeValueType  firstChannel)
{
  constexpr SizeValueType tile = 64;
  for (SizeValueType tileBegin = begin; tileBegin < end; tileBegin += tile)
  {
    const SizeValueType tileEnd = std::min(tileBegin + tile, end);
    for (SizeValueType c = firstChannel; c < channels; ++c)
    {
      const TValue * channelSource = source + c * voxels;
      TValue *       channelTarget = target + c;
      for (SizeValueType j = tileBegin; j < tileEnd; ++j)
      {
        channelTarget[j * channels] = channelSource[j];
      }
    }
  }
}

/** Voxels [begin, end) of one patch (as InterleaveTiles, every channel). For
 * float on x86-64 (SSE2 is part of it), 4 channels x 4 voxels at a time are
 * transposed in registers and stored as 4 voxels' runs: about twice the speed
 * of the tiles alone at 16 channels (a batch of 4 patches of 64^3: 9 ms
 * against 18 ms, the time of a memcpy being 8 ms); the channels and voxels
 * past the last multiple of 4 go through the tiles. */
template <typename TValue>
void
InterleaveVoxels(const TValue * source,
                 TValue *       target,
                 SizeValueType  channels,
                 SizeValueType  voxels,
                 SizeValueType  begin,
                 SizeValueType  end)
{
#if defined(itkPatchInterleaveChannels_SSE)
  if constexpr (std::is_same<TValue, float>::value)
  {
    const SizeValueType channels4 = channels - channels % 4;
    const SizeValueType end4 = end - (end - begin) % 4;
    for (SizeValueType j = begin; j < end4; j += 4)
    {
      for (SizeValueType c = 0; c < channels4; c += 4)
      {
        const float * from = source + c * voxels + j;
        __m128        row0 = _mm_loadu_ps(from);
        __m128        row1 = _mm_loadu_ps(from + voxels);
        __m128        row2 = _mm_loadu_ps(from + 2 * voxels);
        __m128        row3 = _mm_loadu_ps(from + 3 * voxels);
        _MM_TRANSPOSE4_PS(row0, row1, row2, row3);
        float * to = target + j * channels + c;
        _mm_storeu_ps(to, row0);
        _mm_storeu_ps(to + channels, row1);
        _mm_storeu_ps(to + 2 * channels, row2);
        _mm_storeu_ps(to + 3 * channels, row3);
      }
    }
    InterleaveTiles(source, target, channels, voxels, begin, end4, channels4);
    InterleaveTiles(source, target, channels, voxels, end4, end, SizeValueType{ 0 });
    return;
  }
#endif
  InterleaveTiles(source, target, channels, voxels, begin, end, SizeValueType{ 0 });
}

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
      InterleaveVoxels(source + patch * channels * voxels,
                       target + patch * channels * voxels,
                       channels,
                       voxels,
                       begin,
                       begin + sliceVoxels);
    },
    nullptr);
}
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
