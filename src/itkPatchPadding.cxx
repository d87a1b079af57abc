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
#include "itkPatchPadding.h"

#include <algorithm>

namespace itk
{
namespace
{
// The mathematical modulo, in [0, period) also for negative values.
OffsetValueType
PositiveModulo(OffsetValueType value, OffsetValueType period)
{
  const OffsetValueType remainder = value % period;
  return remainder < 0 ? remainder + period : remainder;
}
} // namespace

OffsetValueType
MapPaddedIndex(OffsetValueType index, SizeValueType length, PatchStreamingEnums::Padding padding)
{
  const auto extent = static_cast<OffsetValueType>(length);
  if (index >= 0 && index < extent)
  {
    return index;
  }
  switch (padding)
  {
    case PatchStreamingEnums::Padding::ZeroFluxNeumann:
      return std::min(std::max(index, OffsetValueType{ 0 }), extent - 1);
    case PatchStreamingEnums::Padding::Mirror: {
      const OffsetValueType folded = PositiveModulo(index, 2 * extent);
      return folded < extent ? folded : 2 * extent - 1 - folded;
    }
    case PatchStreamingEnums::Padding::Periodic:
      return PositiveModulo(index, extent);
    case PatchStreamingEnums::Padding::Constant:
    default:
      return -1;
  }
}
} // end namespace itk
