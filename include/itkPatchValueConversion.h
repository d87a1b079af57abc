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
#ifndef itkPatchValueConversion_h
#define itkPatchValueConversion_h

#include "itkIntTypes.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace itk
{
namespace PatchStreamingDetail
{
/** \brief The integer of type TInteger nearest to a floating-point `value`:
 * the one conversion from floating point to integer that every pixel of the
 * module goes through (merged output pixels, patches copied into an integer
 * stack, padding and background values).
 *
 * - Rounded to nearest, halves away from zero (std::round).
 * - Values past TInteger's range saturate at its lowest or max, exactly, for
 *   64-bit types too: the test is against 2^digits (max + 1), a power of two
 *   every floating-point type holds exactly, never against
 *   double(max), which rounds up to 2^63 or 2^64. +Inf and -Inf saturate.
 * - NaN gives 0: the value of "nothing" in a label map or a zeroed buffer, and
 *   the one a NaN-free pipeline gives where data is missing; no integer stands
 *   for "not a number".
 *
 * A plain static_cast is undefined behaviour for every one of these edge
 * cases ([conv.fpint]), and -fsanitize=float-cast-overflow reports it.
 *
 * \ingroup PatchStreaming
 */
template <typename TInteger, typename TReal>
TInteger
RoundToInteger(TReal value)
{
  static_assert(std::is_integral<TInteger>::value && std::is_floating_point<TReal>::value,
                "RoundToInteger converts a floating-point value to an integer type");
  if (std::isnan(value))
  {
    return TInteger{ 0 };
  }
  const TReal rounded = std::round(value);
  const TReal upper = std::ldexp(TReal{ 1 }, std::numeric_limits<TInteger>::digits); // max + 1
  if (rounded >= upper)
  {
    return std::numeric_limits<TInteger>::max();
  }
  // -2^digits is lowest for a signed type, 0 for an unsigned one.
  const TReal lower = std::is_signed<TInteger>::value ? -upper : TReal{ 0 };
  if (rounded <= lower)
  {
    return std::numeric_limits<TInteger>::lowest();
  }
  return static_cast<TInteger>(rounded);
}

/** `value` as a TTo: RoundToInteger from a floating-point to an integer
 * type, the language's conversion otherwise (integer to integer or to
 * floating point, floating point to floating point). */
template <typename TTo, typename TFrom>
TTo
ConvertValue(TFrom value)
{
  if constexpr (std::is_integral<TTo>::value && std::is_floating_point<TFrom>::value)
  {
    return RoundToInteger<TTo>(value);
  }
  else
  {
    return static_cast<TTo>(value);
  }
}

/** 1 when `value` is NaN or infinite, else 0: as a number, so that a loop summing it
 * vectorises (no call, no branch; a NaN fails every comparison). */
template <typename TReal>
inline SizeValueType
IsNonFinite(TReal value)
{
  static_assert(std::is_floating_point<TReal>::value, "IsNonFinite tests a floating-point value");
  return static_cast<SizeValueType>(!(std::abs(value) <= std::numeric_limits<TReal>::max()));
}
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
