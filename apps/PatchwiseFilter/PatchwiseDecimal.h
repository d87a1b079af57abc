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
#ifndef PatchwiseDecimal_h
#define PatchwiseDecimal_h

#include <cstdint>
#include <stdexcept>
#include <string>

/** A non-negative decimal number or fraction exactly as typed on the command
 * line (or passed by 3D Slicer as the decimal text of a default): mantissa ·
 * 10^exponent / denominator, never rounded to binary. Parameters derived from
 * it by the documented rule, such as the overlap ⌊fraction · patch size⌋, are
 * computed in integers, so 0.58 · 50 is 29 and not the 28 that the double
 * 0.57999999999999996 gives, and 1/3 · 96 is 32 (no decimal of 1/3 is). */
class PatchwiseDecimal
{
public:
  /** Parses "58", "0.58", ".58", "0.5800", "5.8e-1", "58E-2", "1e-39" (any
   * value closer to 0 is exact too), and a fraction of two whole numbers of up
   * to 18 digits, "1/3", each with an optional "+" ("+0.5", "+1/3") and "-"
   * before a zero ("-0", as strtod reads it); throws OutOfRange for a value of
   * 10^39 or more and std::invalid_argument naming `what` and the text for
   * anything else (a negative number, an empty text, spaces, more than 18
   * significant digits (zeros after the last digit are none), a zero
   * denominator, a decimal in a fraction, a leading zero in a fraction ("01/3";
   * a decimal takes them as strtod does, "00.5" is 0.5), a
   * fraction character pasted from a document, "\u2153" or "1\u20443", with the
   * text to write instead). */
  static PatchwiseDecimal
  Parse(const std::string & text, const std::string & what);

  /** Thrown by ParseDouble for a number a double cannot hold ("1e-400", "1e999"), and by
   * Parse for a value of 10^39 or more. */
  class OutOfRange : public std::invalid_argument
  {
  public:
    using std::invalid_argument::invalid_argument;
  };

  /** The whole of `text` as a finite double, any sign ("-1.5", "2e-3"); throws
   * OutOfRange (a std::invalid_argument) for a number past a double's range or
   * closer to 0 than one holds, std::invalid_argument naming `what` and the
   * text for anything else, spaces included (" 1.5", which strtod would take,
   * as the lists and fractions refuse them). */
  static double
  ParseDouble(const std::string & text, const std::string & what);

  /** The shortest text that reads back as `value` ("5." as 5, 99.99999999999999 not rounded to
   * 100; 1e+300 with an exponent where that is shorter). */
  static std::string
  ShortestDecimal(double value);

  /** A percentage as the fraction it stands for, written in full: ShortestDecimal(value) with its
   * decimal point moved two places left rather than divided in binary (33.3 gives 0.333, not
   * 0.33299999999999996; 5 gives 0.05, 150 gives 1.5); divided when it has an exponent. */
  static std::string
  PercentAsFraction(double value);

  /** How `text`, refused as a number, was likely meant: a decimal comma ("0,5") gives
   * " (write it 0.5, with a decimal point)" and, when `percentages`, a percentage ("50%")
   * " (write it 0.5, a fraction)"; "" for anything else. */
  static std::string
  Suggestion(const std::string & text, bool percentages);

  /** Whether the value is below 1. */
  bool
  IsBelowOne() const;

  /** ⌊value · count⌋, exactly, for a value below 1 and a count below 2^32. */
  std::uint64_t
  FloorOfProduct(std::uint64_t count) const;

private:
  /** Parse for a text with a '/'. */
  static PatchwiseDecimal
  ParseFraction(const std::string & text, const std::string & what);

  /** Parse for a text without a '/'. */
  static PatchwiseDecimal
  ParseDecimal(const std::string & text, const std::string & what);

  std::uint64_t m_Mantissa{ 0 };    // at most 18 digits
  int           m_Exponent{ 0 };    // 0 for a fraction
  std::uint64_t m_Denominator{ 1 }; // at most 18 digits; 1 for a decimal
};

#endif
