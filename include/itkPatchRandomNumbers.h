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
#ifndef itkPatchRandomNumbers_h
#define itkPatchRandomNumbers_h

#include "itkIntTypes.h"

#include <cstdint>
#include <limits>
#include <random>

namespace itk
{
/** \brief The samplers' random numbers: std::mt19937_64, whose sequence the C++
 * standard fixes, and distributions written here, because the standard
 * library's distributions differ between implementations. Together they give
 * the same draws for the same seed on any machine.
 * \ingroup PatchStreaming */
using PatchRandomGenerator = std::mt19937_64;

namespace PatchStreamingDetail
{
/** An integer uniform in [0, count), count >= 1 (rejection: no modulo bias). */
inline SizeValueType
PatchUniformInteger(PatchRandomGenerator & generator, SizeValueType count)
{
  const std::uint64_t range = static_cast<std::uint64_t>(count);
  const std::uint64_t largest = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t bound = largest - largest % range; // a multiple of range
  std::uint64_t       draw = generator();
  while (draw >= bound)
  {
    draw = generator();
  }
  return static_cast<SizeValueType>(draw % range);
}

/** A double uniform in [0, 1), from the draw's 53 high bits. */
inline double
PatchUniformReal(PatchRandomGenerator & generator)
{
  return static_cast<double>(generator() >> 11) * (1.0 / 9007199254740992.0);
}
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
