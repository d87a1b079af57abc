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
#include "PatchwiseProcess.h"
#include "PatchwiseArgumentChecks.h"
#include "PatchwiseDecimal.h"
#include "PatchwiseMessages.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace
{
/** What `text` (its process `name` in lower case, and what follows its colon)
 * was most likely meant to be, in parentheses; "" when nothing is close. */
std::string
SpecificationHint(const std::string & text, const std::string & name, const std::string & argument)
{
  // "median=2", "gaussian 1.5": the argument after another character than the colon.
  const std::size_t other = name.find_first_of("= ");
  const std::string head = name.substr(0, other);
  if (other != std::string::npos && (head == "gaussian" || head == "median"))
  {
    return " (did you mean " + head + ":" + text.substr(other + 1) + "?)";
  }
  if (name == "none")
  {
    return " (no processing is identity)";
  }
  const std::string meant = PatchwiseArgumentChecks::Closest(name, { "identity", "gaussian", "median" });
  if (meant.empty())
  {
    return {};
  }
  if (meant != name)
  {
    return " (did you mean " + meant + text.substr(name.size()) + "?)";
  }
  if (meant == "identity")
  {
    return " (identity takes nothing after it)";
  }
  return " (" + meant + " takes its " + (meant == "median" ? "radius" : "sigma") + " after a colon: " + meant + ":" +
         (argument.empty() ? "1" : argument) + ")";
}

/** " (write it median:N)" for a radius written other than in plain digits that is still a whole number in
 * 1..1000 ("2.0", "1e1", "02", "+3"); "" otherwise. */
std::string
MedianRadiusSuggestion(const std::string & argument)
{
  try
  {
    const double radius = PatchwiseDecimal::ParseDouble(argument, "median radius");
    if (radius >= 1.0 && radius <= 1000.0 && radius == std::floor(radius))
    {
      return " (write it median:" + std::to_string(static_cast<unsigned int>(radius)) + ")";
    }
  }
  catch (const std::invalid_argument &)
  {}
  return {};
}
} // namespace

PatchwiseProcess
PatchwiseProcess::Parse(const std::string & text)
{
  const std::size_t colon = text.find(':');
  const std::string name = Lowercase(text.substr(0, colon)); // in any case, as the other choices
  const std::string argument = colon == std::string::npos ? std::string() : text.substr(colon + 1);
  PatchwiseProcess  process;
  if (name == "identity" && colon == std::string::npos)
  {
    return process;
  }
  if (name == "gaussian" && colon != std::string::npos)
  {
    process.kind = Kind::Gaussian;
    if (argument.size() > 2 && Lowercase(argument.substr(argument.size() - 2)) == "mm")
    {
      throw std::invalid_argument("gaussian sigma \"" + argument + "\": the sigma is in millimetres, written without " +
                                  "the unit (gaussian:" + argument.substr(0, argument.size() - 2) + ")");
    }
    try
    {
      process.sigma = PatchwiseDecimal::ParseDouble(argument, "gaussian sigma");
    }
    catch (const std::invalid_argument & error) // "1,5": with its plain form
    {
      throw std::invalid_argument(error.what() + PatchwiseDecimal::Suggestion(argument, false));
    }
    if (!(process.sigma > 0.0))
    {
      throw std::invalid_argument("gaussian sigma " + argument + " must be positive (millimetres)");
    }
    return process;
  }
  if (name == "median" && colon != std::string::npos)
  {
    process.kind = Kind::Median;
    // Written in digits without a leading zero, as the whole numbers of the other options ("2.0", "1e1" and
    // "02" are refused with their plain form).
    const bool plain = !argument.empty() && argument.size() <= 4 && argument[0] != '0' &&
                       argument.find_first_not_of("0123456789") == std::string::npos;
    if (argument.empty())
    {
      throw std::invalid_argument("median radius: none given after the colon (median:1, in voxels)");
    }
    if (!plain || std::stoul(argument) > 1000)
    {
      throw std::invalid_argument("median radius " + argument + " must be a whole number of voxels in 1..1000" +
                                  MedianRadiusSuggestion(argument));
    }
    process.radius = static_cast<unsigned int>(std::stoul(argument));
    return process;
  }
  throw std::invalid_argument("\"" + text + "\" is not identity, gaussian:SIGMA_MM or median:RADIUS" +
                              SpecificationHint(text, name, argument));
}

std::string
PatchwiseProcess::ToString() const
{
  std::ostringstream text;
  switch (kind)
  {
    case Kind::Identity:
      text << "identity";
      break;
    case Kind::Gaussian:
      text << "gaussian, sigma " << sigma << " mm";
      break;
    case Kind::Median:
      text << "median, radius " << CountOf(radius, "voxel");
      break;
  }
  return text.str();
}
