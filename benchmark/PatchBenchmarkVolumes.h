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
#ifndef PatchBenchmarkVolumes_h
#define PatchBenchmarkVolumes_h

#include "itkImage.h"

#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

namespace PatchBenchmark
{
using ImageType = itk::Image<float, 3>;

/** A cubic float volume holding a sum of eight random plane waves of long
 * wavelength: smooth, deterministic, the same on every machine. */
inline ImageType::Pointer
MakeSmoothRandomField(itk::SizeValueType size)
{
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType::Filled(size));
  image->Allocate();
  std::mt19937                           generator(2026);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<std::array<double, 4>>     waves(8);
  for (auto & wave : waves)
  {
    for (auto & value : wave)
    {
      value = uniform(generator);
    }
  }
  float * voxel = image->GetBufferPointer();
  for (itk::SizeValueType z = 0; z < size; ++z)
  {
    for (itk::SizeValueType y = 0; y < size; ++y)
    {
      for (itk::SizeValueType x = 0; x < size; ++x, ++voxel)
      {
        double value = 0.0;
        for (const auto & wave : waves)
        {
          value += std::sin(0.05 * (wave[0] * x + wave[1] * y + wave[2] * z) + 3.0 * wave[3]);
        }
        *voxel = static_cast<float>(value);
      }
    }
  }
  return image;
}

/** Copies `bytes` from `from` to `to` (both at least `bytes` long) in 64 MiB
 * chunks, one thread: the baseline every byte-moving operation is measured
 * against in the same run. */
inline void
CopyBytes(char * to, const char * from, std::size_t bytes)
{
  const std::size_t chunk = std::size_t{ 64 } << 20;
  for (std::size_t offset = 0; offset < bytes; offset += chunk)
  {
    std::memcpy(to + offset, from + offset, std::min(chunk, bytes - offset));
  }
}

/** Seconds to memcpy `bytes` between two buffers of half that size, there and
 * back, their pages touched beforehand: the copy a stack's worth of bytes
 * costs, not one that a large last-level cache could hold. */
inline double
MemcpySeconds(double bytes)
{
  const auto        half = static_cast<std::size_t>(bytes / 2.0);
  std::vector<char> from(half, 1);
  std::vector<char> to(half, 0);
  const auto        start = std::chrono::steady_clock::now();
  CopyBytes(to.data(), from.data(), half);
  CopyBytes(from.data(), to.data(), half);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (from[half / 2] != 1)
  {
    throw std::logic_error("the copy lost its bytes");
  }
  return seconds;
}

} // namespace PatchBenchmark

#endif
