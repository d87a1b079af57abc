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
#ifndef itkPatchPrefetch_h
#define itkPatchPrefetch_h

#include <cstddef>
#include <cstdint>

namespace itk
{
namespace PatchStreamingDetail
{
/** Asks the processor to bring the `bytes` bytes that start `offset` bytes
 * after `base` into cache, for a read that comes soon. A hint: nothing is
 * read, and an address outside any buffer is harmless (the address is formed
 * as an integer, never as a pointer past a buffer).
 *
 * \ingroup PatchStreaming
 */
inline void
PrefetchBytes(const void * base, std::ptrdiff_t offset, std::size_t bytes)
{
#if defined(__GNUC__) || defined(__clang__)
  constexpr std::uintptr_t CacheLine = 64;
  const std::uintptr_t     first = reinterpret_cast<std::uintptr_t>(base) + static_cast<std::uintptr_t>(offset);
  for (std::uintptr_t line = first; line < first + bytes; line += CacheLine)
  {
    __builtin_prefetch(reinterpret_cast<const void *>(line));
  }
#else
  (void)base;
  (void)offset;
  (void)bytes;
#endif
}

/** How many rows ahead the patch filters prefetch (measured on the
 * benchmarks: one row is too late, four and eight are equal). */
constexpr std::ptrdiff_t PrefetchRowsAhead = 4;

/** Prefetches the `count` values at the same place `PrefetchRowsAhead` rows
 * after `row`, for rows `rowStride` values apart. The patch filters read
 * short rows (one patch wide), from several patches or one image row apart,
 * which the hardware prefetchers follow poorly: without the hint the copy
 * and the scatter wait for memory. */
template <typename TValue>
inline void
PrefetchRowAhead(const TValue * row, std::ptrdiff_t rowStride, std::size_t count)
{
  PrefetchBytes(
    row, static_cast<std::ptrdiff_t>(sizeof(TValue)) * rowStride * PrefetchRowsAhead, sizeof(TValue) * count);
}
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
