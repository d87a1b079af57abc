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
#include "itkPatchStreamingEnums.h"
#include "itkMacro.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace itk
{
namespace
{
// One table per enum: the short names, in the order of the enumerators.
constexpr std::array<const char *, 5> BorderModeNames{ { "Squeeze", "Edge", "Adaptive", "Crop", "Pad" } };
constexpr std::array<const char *, 4> PaddingNames{ { "Constant", "ZeroFluxNeumann", "Mirror", "Periodic" } };
constexpr std::array<const char *, 5> WeightingNames{ { "Average", "Gaussian", "Hann", "Crop", "Custom" } };

std::string
Lowercase(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

template <typename TEnum, std::size_t VCount>
TEnum
EnumFromName(const std::array<const char *, VCount> & names, const std::string & name, const char * enumName)
{
  const std::string wanted = Lowercase(name);
  for (std::size_t i = 0; i < VCount; ++i)
  {
    if (Lowercase(names[i]) == wanted)
    {
      return static_cast<TEnum>(i);
    }
  }
  std::string known;
  for (const char * candidate : names)
  {
    known += std::string(known.empty() ? "" : ", ") + candidate;
  }
  itkGenericExceptionMacro(<< enumName << " \"" << name << "\" is not one of: " << known);
}
} // namespace

std::string
ToString(PatchStreamingEnums::BorderMode value)
{
  return BorderModeNames.at(static_cast<std::size_t>(value));
}

std::string
ToString(PatchStreamingEnums::Padding value)
{
  return PaddingNames.at(static_cast<std::size_t>(value));
}

std::string
ToString(PatchStreamingEnums::Weighting value)
{
  return WeightingNames.at(static_cast<std::size_t>(value));
}

PatchStreamingEnums::BorderMode
BorderModeFromString(const std::string & name)
{
  return EnumFromName<PatchStreamingEnums::BorderMode>(BorderModeNames, name, "BorderMode");
}

PatchStreamingEnums::Padding
PaddingFromString(const std::string & name)
{
  return EnumFromName<PatchStreamingEnums::Padding>(PaddingNames, name, "Padding");
}

PatchStreamingEnums::Weighting
WeightingFromString(const std::string & name)
{
  return EnumFromName<PatchStreamingEnums::Weighting>(WeightingNames, name, "Weighting");
}

std::ostream &
operator<<(std::ostream & out, const PatchStreamingEnums::BorderMode value)
{
  return out << "itk::PatchStreamingEnums::BorderMode::" << ToString(value);
}

std::ostream &
operator<<(std::ostream & out, const PatchStreamingEnums::Padding value)
{
  return out << "itk::PatchStreamingEnums::Padding::" << ToString(value);
}

std::ostream &
operator<<(std::ostream & out, const PatchStreamingEnums::Weighting value)
{
  return out << "itk::PatchStreamingEnums::Weighting::" << ToString(value);
}
} // end namespace itk
