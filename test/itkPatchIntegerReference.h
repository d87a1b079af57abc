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
#ifndef itkPatchIntegerReference_h
#define itkPatchIntegerReference_h

// The documented float-to-integer rule (docs/design.md section 4, "Integer
// pixels"), written independently of include/itkPatchValueConversion.h for the
// tests and the fuzzer to check it against.

#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

namespace PatchStreamingTest
{
/** Rounded half away from zero, saturated at TInteger's limits, NaN to 0;
 * compared in long double, whose 64-bit mantissa holds every value of every
 * integer type exactly. */
template <typename TInteger>
TInteger
ReferenceInteger(long double value)
{
  if (std::isnan(value))
  {
    return 0;
  }
  const long double rounded = std::round(value);
  if (rounded >= static_cast<long double>(std::numeric_limits<TInteger>::max()))
  {
    return std::numeric_limits<TInteger>::max();
  }
  if (rounded <= static_cast<long double>(std::numeric_limits<TInteger>::lowest()))
  {
    return std::numeric_limits<TInteger>::lowest();
  }
  return static_cast<TInteger>(rounded);
}

/** Values at every edge of TInteger's range and past it, in double: halves,
 * the type's limits and their neighbours, 2^digits, huge values, +-Inf, NaN. */
template <typename TInteger>
std::vector<double>
IntegerEdgeValues()
{
  const double inf = std::numeric_limits<double>::infinity();
  const double top = std::ldexp(1.0, std::numeric_limits<TInteger>::digits); // max + 1
  const double bottom = std::is_signed<TInteger>::value ? -top : 0.0;
  return { 0.0,  0.5,  -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, 126.5, 127.5, 255.5, -128.5, 65535.4, 1e9,
           -1e9, 1e19, -1e19, 1e20, -1e20, 1e300, -1e300, inf, -inf, std::nan(""), top, std::nextafter(top, 0.0),
           top - 1.0, top + 2048.0, bottom, std::nextafter(bottom, -inf), std::nextafter(bottom, inf), bottom - 1.0 };
}
} // namespace PatchStreamingTest

#endif
