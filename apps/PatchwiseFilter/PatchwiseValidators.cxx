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
#include "PatchwiseValidators.h"
#include "AtomicOutputFile.h"
#include "PatchwiseDecimal.h"
#include "PatchwiseMessages.h"
#include "PatchwiseProcess.h"

#include <stdexcept>

namespace PatchwiseValidators
{
namespace
{
/** The plain decimal form of a whole number written otherwise: "0x40" (hexadecimal) and
 * "64.0" (a decimal point) give "64"; "" for anything else. */
std::string
PlainWholeNumber(const std::string & text)
{
  const bool hexadecimal = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (hexadecimal && text.size() <= 10 && text.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string::npos)
  {
    return std::to_string(std::stoll(text.substr(2), nullptr, 16));
  }
  const auto point = text.find('.');
  if (point != std::string::npos && point > 0 && point <= 10 && text.find_first_not_of("0123456789") == point &&
      text.find_first_not_of('0', point + 1) == std::string::npos)
  {
    return std::to_string(std::stoll(text.substr(0, point)));
  }
  return {};
}
} // namespace

const CLI::Validator ProcessSpecification(
  [](const std::string & text) {
    try
    {
      PatchwiseProcess::Parse(text);
    }
    catch (const std::invalid_argument & error)
    {
      return std::string(error.what());
    }
    return std::string();
  },
  "identity|gaussian:SIGMA_MM|median:RADIUS");

const CLI::Validator Fraction(
  [](const std::string & text) {
    try
    {
      return PatchwiseDecimal::Parse(text, "overlap fraction").IsBelowOne()
               ? std::string()
               : "overlap fraction " + text + " is not in [0, 1)";
    }
    catch (const std::invalid_argument & error)
    {
      return std::string(error.what());
    }
  },
  "in [0, 1)");

/** A whole number (of `unit`, when not empty) from `minimum` to `maximum`, in a message that says what it is. */
CLI::Validator
WholeNumber(const std::string & what, const std::string & unit, long minimum, long maximum, const std::string & hint)
{
  const std::string range = std::to_string(minimum) + " to " + std::to_string(maximum);
  const std::string expected = " is not a whole number" + (unit.empty() ? "" : " of " + unit) + " from " + range;
  return CLI::Validator(
    [what, minimum, maximum, expected, hint](const std::string & text) {
      const std::size_t sign = minimum < 0 && text.rfind('-', 0) == 0 ? 1 : 0;
      const bool        digits = text.size() > sign && text.find_first_not_of("0123456789", sign) == std::string::npos;
      // CLI11 reads "064" as octal (52) and refuses "08": only 0 itself starts with a zero.
      if (digits && text.size() > sign + 1 && text[sign] == '0')
      {
        const auto first = std::min(text.find_first_not_of('0', sign), text.size() - 1);
        return what + " " + text + " has a leading zero: write it " + text.substr(0, sign) + text.substr(first);
      }
      if (digits && text.size() <= 10 + sign && std::stol(text) >= minimum && std::stol(text) <= maximum)
      {
        return std::string();
      }
      const std::string plain = PlainWholeNumber(text);
      return what + " " + (text.empty() ? "\"\"" : text) + expected +
             (plain.empty() ? hint : " (write it " + plain + ")");
    },
    unit.empty() ? (maximum == 999999999 ? "N" : "N in " + range) : "VOXELS");
}

/** A decimal number from `lowest` to `highest` (NaN never is); the message says it is not `expected`. */
CLI::Validator
DecimalNumber(const std::string & what, double lowest, double highest, const std::string & expected)
{
  return CLI::Validator(
    [what, lowest, highest, expected](const std::string & text) {
      try
      {
        const double value = PatchwiseDecimal::ParseDouble(text, what);
        if (value >= lowest && value <= highest)
        {
          return std::string();
        }
      }
      catch (const PatchwiseDecimal::OutOfRange & error)
      {
        return std::string(error.what()) + "; expected " + expected;
      }
      catch (const std::invalid_argument &)
      {
        // not a number: said below
      }
      return what + " " + text + " is not " + expected;
    },
    "X");
}


/** "cpu", "cuda" or "cuda:N": the devices libtorch names. */
const CLI::Validator Device(
  [](const std::string & text) {
    const std::string device = Lowercase(text); // in any case, as the choices
    std::size_t       digits = 0;
    if (device.rfind("cuda:", 0) == 0)
    {
      digits = device.find_first_not_of("0123456789", 5) == std::string::npos ? device.size() - 5 : 0;
    }
    const std::string hint = device.rfind("gpu", 0) == 0 ? " (libtorch calls a GPU cuda)" : "";
    return device == "cpu" || device == "cuda" || digits > 0
             ? std::string()
             : "\"" + text + "\" is not cpu, cuda or cuda:N (N a device number)" + hint;
  },
  "cpu|cuda:N");

/** An existing file, named. */
const CLI::Validator InputFile(
  [](const std::string & text) { return text.empty() ? std::string("no file name given") : CLI::ExistingFile(text); },
  "FILE");

/** An existing file, when the program can run one. */
const CLI::Validator ModelFile(
  [](const std::string & text) {
#ifdef PatchwiseFilter_HAS_TORCH
    return InputFile(text);
#else
    return text + ": this PatchwiseFilter was built without libtorch; install libtorch-dev and rebuild";
#endif
  },
  "FILE.pt");

const CLI::Validator PngFile(
  [](const std::string & text) {
    return LowercaseExtension(text) == ".png" ? std::string() : "preview file \"" + text + "\" does not end in .png";
  },
  "FILE.png");
} // namespace PatchwiseValidators
