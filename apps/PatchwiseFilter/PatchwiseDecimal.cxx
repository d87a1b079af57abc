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
#include "PatchwiseDecimal.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace
{
constexpr int MaximumDigits = 18;   // a mantissa below 10^18 < 2^63
constexpr int MaximumExponent = 38; // values from 10^39 are refused (OutOfRange): std::stod of one below is finite

using Wide = unsigned __int128;

Wide
PowerOfTen(int exponent)
{
  Wide power = 1;
  for (int i = 0; i < exponent; ++i)
  {
    power *= 10;
  }
  return power;
}

/** The exponent after an 'e' or 'E' at `position`; throws on anything but [+-]digits. */
int
ParseExponent(const std::string & text, std::size_t position, const std::string & bad)
{
  std::size_t i = position;
  const bool  negative = i < text.size() && text[i] == '-';
  if (i < text.size() && (text[i] == '-' || text[i] == '+'))
  {
    ++i;
  }
  if (i == text.size())
  {
    throw std::invalid_argument(bad);
  }
  int exponent = 0;
  for (; i < text.size(); ++i)
  {
    if (!std::isdigit(static_cast<unsigned char>(text[i])))
    {
      throw std::invalid_argument(bad);
    }
    exponent = std::min(exponent * 10 + (text[i] - '0'), 1000000); // far past any value's: 0 or refused
  }
  return negative ? -exponent : exponent;
}

void
RejectSpaces(const std::string & text, const std::string & what)
{
  if (text.find_first_of(" \t\n\v\f\r") != std::string::npos)
  {
    throw std::invalid_argument(what + " \"" + text + "\" has spaces: a number is written without them");
  }
}

/** `text` as typed with digits and '/' when it holds a fraction character a document may hold,
 * else `text` itself: a vulgar fraction below 1 as the whole text after a sign ("\u2153" is 1/3;
 * "1\u00bd" is left, not read as 11/2) and the fraction and division slashes (U+2044, U+2215). */
std::string
PlainFractionCharacters(const std::string & text)
{
  static const std::pair<const char *, const char *> fractions[]{
    { "\xC2\xBD", "1/2" },     { "\xC2\xBC", "1/4" },      { "\xC2\xBE", "3/4" },     { "\xE2\x85\x90", "1/7" },
    { "\xE2\x85\x91", "1/9" }, { "\xE2\x85\x92", "1/10" }, { "\xE2\x85\x93", "1/3" }, { "\xE2\x85\x94", "2/3" },
    { "\xE2\x85\x95", "1/5" }, { "\xE2\x85\x96", "2/5" },  { "\xE2\x85\x97", "3/5" }, { "\xE2\x85\x98", "4/5" },
    { "\xE2\x85\x99", "1/6" }, { "\xE2\x85\x9A", "5/6" },  { "\xE2\x85\x9B", "1/8" }, { "\xE2\x85\x9C", "3/8" },
    { "\xE2\x85\x9D", "5/8" }, { "\xE2\x85\x9E", "7/8" },  { "\xE2\x86\x89", "0/3" },
  };
  const std::size_t sign = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  for (const auto & [character, digits] : fractions)
  {
    if (text.compare(sign, std::string::npos, character) == 0)
    {
      return text.substr(0, sign) + digits;
    }
  }
  std::string plain = text;
  for (const char * slash : { "\xE2\x81\x84", "\xE2\x88\x95" })
  {
    for (std::size_t at = plain.find(slash); at != std::string::npos; at = plain.find(slash, at))
    {
      plain.replace(at, std::char_traits<char>::length(slash), "/");
    }
  }
  return plain;
}

/** Whether `text` holds a fraction character (see PlainFractionCharacters) or a vulgar fraction
 * among other characters ("1\u00bd"): U+00BC to U+00BE, U+2150 to U+215E, U+2189, U+2044, U+2215. */
bool
HasFractionCharacter(const std::string & text)
{
  for (const char * character :
       { "\xC2\xBC", "\xC2\xBD", "\xC2\xBE", "\xE2\x85", "\xE2\x86\x89", "\xE2\x81\x84", "\xE2\x88\x95" })
  {
    if (text.find(character) != std::string::npos)
    {
      return true;
    }
  }
  return false;
}
} // namespace

PatchwiseDecimal
PatchwiseDecimal::Parse(const std::string & text, const std::string & what)
{
  RejectSpaces(text, what);
  if (HasFractionCharacter(text))
  {
    const std::string pasted = what + " \"" + text + "\" has a fraction character (pasted from a document?): ";
    const std::string plain = PlainFractionCharacters(text);
    const std::string type = pasted + "type the fraction with digits and '/', such as 1/3";
    if (HasFractionCharacter(plain)) // one among other characters: "1\u00bd" is not 11/2
    {
      throw std::invalid_argument(type);
    }
    try
    {
      Parse(plain, what); // suggested only when it would be taken
    }
    catch (const std::invalid_argument &)
    {
      throw std::invalid_argument(type);
    }
    throw std::invalid_argument(pasted + "write " + plain);
  }
  return text.find('/') == std::string::npos ? ParseDecimal(text, what) : ParseFraction(text, what);
}

PatchwiseDecimal
PatchwiseDecimal::ParseFraction(const std::string & text, const std::string & what)
{
  const std::string bad =
    what + " \"" + text + "\" is not a non-negative decimal number or fraction such as 0.25 or 1/3";
  // A sign as the decimals take it: "+1/3", and "-" before a zero numerator ("-0/3").
  const std::size_t sign = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  const std::size_t slash = text.find('/');
  const std::string parts[]{ text.substr(sign, slash - sign), text.substr(slash + 1) };
  for (const std::string & part : parts)
  {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos)
    {
      throw std::invalid_argument(bad);
    }
  }
  if (text[0] == '-' && parts[0].find_first_not_of('0') != std::string::npos)
  {
    throw std::invalid_argument(bad);
  }
  const auto withoutLeadingZeros = [](const std::string & number) {
    return number.substr(std::min(number.find_first_not_of('0'), number.size() - 1));
  };
  for (const std::string & part : parts)
  {
    if (part.size() > 1 && part[0] == '0') // as the whole numbers of the other options
    {
      throw std::invalid_argument(what + " \"" + text + "\" has a leading zero: write it " + text.substr(0, sign) +
                                  withoutLeadingZeros(parts[0]) + "/" + withoutLeadingZeros(parts[1]));
    }
    if (part.size() > MaximumDigits)
    {
      throw std::invalid_argument(what + " \"" + text + "\" has a number of more than 18 digits");
    }
  }
  PatchwiseDecimal fraction;
  fraction.m_Mantissa = std::stoull(parts[0]);
  fraction.m_Denominator = std::stoull(parts[1]);
  if (fraction.m_Denominator == 0)
  {
    throw std::invalid_argument(what + " \"" + text + "\" divides by zero");
  }
  return fraction;
}

PatchwiseDecimal
PatchwiseDecimal::ParseDecimal(const std::string & text, const std::string & what)
{
  const std::string bad =
    what + " \"" + text + "\" is not a non-negative decimal number or fraction such as 0.25 or 1/3";
  // A sign as the other number options take it (strtod): "+0.5", and "-0" (0).
  const std::size_t sign = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  const std::size_t end = std::min(text.find_first_of("eE"), text.size());
  const std::size_t point = std::min(text.find('.'), end);
  // Leading zeros as strtod reads them ("00.5" is 0.5), as the decimal options take them.
  std::string digits = text.substr(sign, point - sign) + (point < end ? text.substr(point + 1, end - point - 1) : "");
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
  {
    throw std::invalid_argument(bad);
  }
  PatchwiseDecimal decimal;
  decimal.m_Exponent = (end < text.size() ? ParseExponent(text, end + 1, bad) : 0) - static_cast<int>(end - point) +
                       (point < end ? 1 : 0);
  // Leading zeros carry no digit, trailing ones a power of ten: "0.500" is 5 · 10^-1.
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  for (; !digits.empty() && digits.back() == '0'; digits.pop_back())
  {
    ++decimal.m_Exponent;
  }
  if (digits.empty())
  {
    return PatchwiseDecimal{}; // 0, with any sign or exponent
  }
  if (text[0] == '-')
  {
    throw std::invalid_argument(bad);
  }
  if (digits.size() > static_cast<std::size_t>(MaximumDigits))
  {
    throw std::invalid_argument(what + " \"" + text + "\" has more than 18 significant digits");
  }
  if (static_cast<int>(digits.size()) - 1 + decimal.m_Exponent > MaximumExponent)
  {
    throw OutOfRange(what + " \"" + text + "\" is 10^39 or more");
  }
  decimal.m_Mantissa = std::stoull(digits);
  return decimal;
}

bool
PatchwiseDecimal::IsBelowOne() const
{
  if (m_Denominator > 1) // a fraction: no exponent
  {
    return m_Mantissa < m_Denominator;
  }
  if (m_Mantissa == 0 || m_Exponent < -MaximumDigits)
  {
    return true;
  }
  return m_Exponent < 0 && Wide{ m_Mantissa } < PowerOfTen(-m_Exponent);
}

std::uint64_t
PatchwiseDecimal::FloorOfProduct(std::uint64_t count) const
{
  const Wide product = Wide{ m_Mantissa } * count; // below 10^18 · 2^32 < 10^28
  if (m_Exponent < -28)
  {
    return 0;
  }
  // ⌊⌊x⌋ / d⌋ = ⌊x / d⌋ for a whole d.
  if (m_Exponent >= 0)
  {
    return static_cast<std::uint64_t>(product * PowerOfTen(m_Exponent) / m_Denominator);
  }
  return static_cast<std::uint64_t>(product / PowerOfTen(-m_Exponent) / m_Denominator);
}

double
PatchwiseDecimal::ParseDouble(const std::string & text, const std::string & what)
{
  RejectSpaces(text, what); // stod would skip leading ones
  std::size_t used = 0;
  double      value = 0.0;
  try
  {
    // Decimal only: strtod's hexadecimal ("0x1p1") and "inf"/"nan" are refused below.
    value = text.find_first_of("xX") == std::string::npos ? std::stod(text, &used) : 0.0;
  }
  catch (const std::out_of_range &)
  {
    // stod says out of range for both ends, and for a subnormal double (1e-320), which is held:
    // strtod's nearest value tells which.
    char *       end = nullptr;
    const double nearest = std::strtod(text.c_str(), &end);
    const bool   tiny = std::abs(nearest) < 1.0;
    if (!tiny || nearest == 0.0)
    {
      throw OutOfRange(what + " " + text + " is " +
                       (tiny ? "closer to 0 than a double holds (it would be 0)" : "beyond a double's range"));
    }
    value = nearest;
    used = static_cast<std::size_t>(end - text.c_str());
  }
  catch (const std::exception &)
  {
    used = 0;
  }
  if (used == text.size() && !text.empty() && !std::isfinite(value)) // "inf", "-Infinity", "nan"
  {
    throw std::invalid_argument(what + " \"" + text + "\" is not a finite number");
  }
  if (text.empty() || used != text.size())
  {
    throw std::invalid_argument(what + " \"" + text + "\" is not a number");
  }
  return value;
}

std::string
PatchwiseDecimal::ShortestDecimal(double value)
{
  std::array<char, 32> digits{}; // the shortest form is at most 24 characters ("-2.2250738585072014e-308")
  char * const         end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
  return std::string(digits.data(), end);
}

std::string
PatchwiseDecimal::PercentAsFraction(double value)
{
  std::string number = ShortestDecimal(std::abs(value));
  if (number.find('e') != std::string::npos)
  {
    return ShortestDecimal(value / 100.0); // 1e+300 or 1e-05: no digit to move
  }
  const std::size_t dot = number.find('.');
  std::size_t       point = dot == std::string::npos ? number.size() : dot;
  if (dot != std::string::npos)
  {
    number.erase(dot, 1);
  }
  if (point < 3)
  {
    number.insert(0, 3 - point, '0');
    point = 3;
  }
  number.insert(point - 2, ".");
  number.erase(0, std::min(number.find_first_not_of('0'), number.find('.') - 1)); // "012.5" as 12.5
  number.erase(number.find_last_not_of('0') + 1);                                 // "0.50" as 0.5
  if (number.back() == '.')
  {
    number.pop_back();
  }
  return (value < 0.0 ? "-" : "") + number;
}

std::string
PatchwiseDecimal::Suggestion(const std::string & text, bool percentages)
{
  const std::size_t comma = text.find(',');
  const bool        percent = percentages && !text.empty() && text.back() == '%';
  if ((comma == std::string::npos || text.find(',', comma + 1) != std::string::npos) && !percent)
  {
    return {};
  }
  std::string decimal = percent ? text.substr(0, text.size() - 1) : text;
  if (comma != std::string::npos)
  {
    decimal[comma] = '.';
  }
  try
  {
    const double       value = PatchwiseDecimal::ParseDouble(decimal, "");
    return " (write it " + (percent ? PercentAsFraction(value) + ", a fraction" : decimal + ", with a decimal point") +
           ")";
  }
  catch (const std::invalid_argument &)
  {
    return {};
  }
}
