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

// PatchwiseFilter derives the overlap from --overlap-fraction by the
// documented decimal rule, overlap = floor(fraction * patch size), from the
// text as typed: swept here over every fraction with up to 4 decimals, in
// several spellings, against integer arithmetic on the rational i / 10^4.

#include "PatchwiseDecimal.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace
{
/** i / 10^4 written with exactly four decimals ("0.0058"), trimmed ("0.0058" -> "0.0058", "0.5800" -> "0.58"), without
 * the leading zero (".58") and in scientific notation ("5800e-4", "58000E-5", "00E-5" for 0). */
std::vector<std::string>
Spellings(int i)
{
  std::string fixed = std::to_string(i);
  fixed = "0." + std::string(4 - fixed.size(), '0') + fixed;
  std::string trimmed = fixed;
  while (trimmed.back() == '0' && trimmed[trimmed.size() - 2] != '.')
  {
    trimmed.pop_back();
  }
  return { fixed, trimmed, trimmed.substr(1), std::to_string(i) + "e-4", std::to_string(i) + "0E-5" };
}

/** The message PatchwiseDecimal::Parse throws for `text` as an overlap fraction; "" (and a failure) if it takes it. */
std::string
ParseError(const std::string & text)
{
  try
  {
    PatchwiseDecimal::Parse(text, "overlap fraction");
  }
  catch (const std::invalid_argument & error)
  {
    return error.what();
  }
  ADD_FAILURE() << "no exception for \"" << text << "\"";
  return {};
}

TEST(PatchwiseDecimal, OverlapIsTheFloorOfTheExactProductForEveryFourDecimalFraction)
{
  for (int i = 0; i < 10000; ++i)
  {
    for (const std::string & text : Spellings(i))
    {
      const auto fraction = PatchwiseDecimal::Parse(text, "overlap fraction");
      ASSERT_TRUE(fraction.IsBelowOne()) << text;
      for (std::uint64_t patch = 1; patch <= 300; ++patch)
      {
        ASSERT_EQ(fraction.FloorOfProduct(patch), patch * static_cast<std::uint64_t>(i) / 10000)
          << text << " of " << patch;
      }
    }
  }
}

TEST(PatchwiseDecimal, TheCasesTheDoubleProductGotWrong)
{
  // 0.29 is stored as 0.28999999999999998: the double product truncates to one less.
  const std::pair<const char *, std::uint64_t> cases[] = { { "0.58", 50 },  { "0.29", 100 }, { "0.57", 100 },
                                                           { "0.58", 100 }, { "0.7", 90 },   { "0.35", 180 } };
  const std::uint64_t                          expected[] = { 29, 29, 57, 58, 63, 63 };
  for (std::size_t c = 0; c < 6; ++c)
  {
    EXPECT_EQ(PatchwiseDecimal::Parse(cases[c].first, "f").FloorOfProduct(cases[c].second), expected[c])
      << cases[c].first << " of " << cases[c].second;
  }
}

TEST(PatchwiseDecimal, FractionsOfOneOrMoreAreNotBelowOne)
{
  for (const char * text : { "1", "1.0", "1.0000", "10e-1", "0.1e1", "2.5", "100" })
  {
    EXPECT_FALSE(PatchwiseDecimal::Parse(text, "f").IsBelowOne()) << text;
  }
  for (const char * text : { "0", "0.0", ".0", "0.99999999999999999", "9999e-4", "0.5e-30", "0e5" })
  {
    EXPECT_TRUE(PatchwiseDecimal::Parse(text, "f").IsBelowOne()) << text;
  }
}

TEST(PatchwiseDecimal, ASignIsTakenAsStrtodTakesItForANonNegativeValue)
{
  // As --minimum-weight and the other number options read them: "+0.5" is 0.5, "-0" is 0.
  for (const auto & [text, overlap] : std::vector<std::pair<const char *, std::uint64_t>>{ { "+0.5", 32 },
                                                                                           { "+.25", 16 },
                                                                                           { "-0", 0 },
                                                                                           { "-0.0", 0 },
                                                                                           { "-0e5", 0 },
                                                                                           { "+5.8e-1", 37 },
                                                                                           { "+1/3", 21 },
                                                                                           { "-0/3", 0 } })
  {
    EXPECT_EQ(PatchwiseDecimal::Parse(text, "f").FloorOfProduct(64), overlap) << text;
  }
}

TEST(PatchwiseDecimal, WhatIsNotANonNegativeDecimalThrowsNamingIt)
{
  for (const char * text : { "",
                             ".",
                             "-0.5",
                             "-1e-30",
                             "+-0.5",
                             "-",
                             "+",
                             "abc",
                             "0.5x",
                             "1e",
                             "1e+",
                             "0..5",
                             "0.5.",
                             "e5",
                             "nan",
                             "inf",
                             "0x1p-1",
                             " 0.5",
                             "0.1234567890123456789",
                             "1e39",
                             "1e5000",
                             "1e.5" })
  {
    const std::string message = ParseError(text);
    EXPECT_EQ(message.find(std::string("overlap fraction \"") + text + "\""), 0u) << message;
  }
}
TEST(PatchwiseDecimal, ZerosAroundTheDigitsAndTinyOrHugeExponentsAreReadExactly)
{
  // Zeros after the last digit are no significant digits; a value closer to 0 than a float holds
  // overlaps no voxel, as ⌊value · patch⌋ says.
  for (const auto & [text, overlap] :
       std::vector<std::pair<const char *, std::uint64_t>>{ { "0.5000000000000000000000000", 32 },
                                                            { "1234567890123456780000e-22", 7 },
                                                            { "1e-39", 0 },
                                                            { "1e-5000", 0 },
                                                            { "0.0000000000000000000000000000001", 0 },
                                                            { "999999999999999999e-18", 63 },
                                                            { "0e99999", 0 } })
  {
    EXPECT_EQ(PatchwiseDecimal::Parse(text, "f").FloorOfProduct(64), overlap) << text;
  }
  EXPECT_FALSE(PatchwiseDecimal::Parse("999999999999999999e21", "f").IsBelowOne()); // below 10^39
  EXPECT_THROW(PatchwiseDecimal::Parse("1e39", "f"), PatchwiseDecimal::OutOfRange);
  EXPECT_THROW(PatchwiseDecimal::Parse("10000000000000000000000000000000000000000", "f"), PatchwiseDecimal::OutOfRange);
  // Leading zeros as strtod reads them, and as the decimal options take them.
  EXPECT_EQ(PatchwiseDecimal::Parse("00.50", "f").FloorOfProduct(64), 32u);
  EXPECT_FALSE(PatchwiseDecimal::Parse("0012.5", "f").IsBelowOne());
  EXPECT_EQ(PatchwiseDecimal::Parse("+00e3", "f").FloorOfProduct(64), 0u);
  EXPECT_EQ(ParseError("-00.5").find("overlap fraction \"-00.5\" is not a non-negative decimal"), 0u);
}

/** A fraction p/q of whole numbers is read exactly: ⌊p · patch / q⌋, against
 * integer arithmetic, for every p < q up to 40 (1/3 of 96 is 32, where the
 * shortest decimals 0.333 and 0.3333 give 31). */
TEST(PatchwiseDecimal, AFractionOfWholeNumbersIsTheFloorOfItsExactProduct)
{
  for (std::uint64_t q = 1; q <= 40; ++q)
  {
    for (std::uint64_t p = 0; p <= q + 1; ++p)
    {
      const std::string text = std::to_string(p) + "/" + std::to_string(q);
      const auto        fraction = PatchwiseDecimal::Parse(text, "overlap fraction");
      ASSERT_EQ(fraction.IsBelowOne(), p < q) << text;
      for (std::uint64_t patch = 1; p < q && patch <= 300; ++patch)
      {
        ASSERT_EQ(fraction.FloorOfProduct(patch), p * patch / q) << text << " of " << patch;
      }
    }
  }
  EXPECT_EQ(PatchwiseDecimal::Parse("1/3", "f").FloorOfProduct(96), 32u);
  EXPECT_EQ(PatchwiseDecimal::Parse("333/999", "f").FloorOfProduct(96), 32u);
  EXPECT_EQ(PatchwiseDecimal::Parse("999999999999999998/999999999999999999", "f").FloorOfProduct(4294967295u),
            4294967294u);
  EXPECT_EQ(PatchwiseDecimal::Parse("0.3333", "f").FloorOfProduct(96), 31u);
}

/** Each refused fraction's message names the text and says what is wrong with it, with the
 * text to write where there is one. */
TEST(PatchwiseDecimal, WhatIsNotAFractionOfWholeNumbersThrowsNamingIt)
{
  const std::string generic = "is not a non-negative decimal number or fraction such as 0.25 or 1/3";
  const std::string spaces = "has spaces: a number is written without them";
  const std::string digits = "has a number of more than 18 digits";
  for (const auto & [text, expected] : std::vector<std::pair<const char *, std::string>>{
         { "/3", generic },
         { "1/", generic },
         { "/", generic },
         { "1/3/4", generic },
         { "1.5/3", generic },
         { "1/3.0", generic },
         { "-1/3", generic },
         { "1/-3", generic },
         { "+-1/3", generic },
         { "1e1/30", generic },
         { "1/0x3", generic },
         { " 1/3", spaces },
         { "1 /3", spaces },
         { "1/3 ", spaces },
         { "1/1000000000000000000", digits },
         { "1000000000000000000/3", digits },
         { "01/3", "has a leading zero: write it 1/3" },
         { "1/03", "has a leading zero: write it 1/3" },
         { "+00/3", "has a leading zero: write it +0/3" },
         { "0000000000000000001/3", "has a leading zero: write it 1/3" },
         { "1/0", "divides by zero" },
         { "0/0", "divides by zero" },
         { "\u2153", "has a fraction character (pasted from a document?): write 1/3" },
         { "1\u20443", "has a fraction character (pasted from a document?): write 1/3" },
         { "1\u22153", "has a fraction character (pasted from a document?): write 1/3" },
         { "\u00bd", "has a fraction character (pasted from a document?): write 1/2" },
         { "+\u2152", "has a fraction character (pasted from a document?): write +1/10" },
         { "-1\u20443",
           "has a fraction character (pasted from a document?): type the fraction with digits and '/', "
           "such as 1/3" },
         { "1\u00bd",
           "has a fraction character (pasted from a document?): type the fraction with digits and '/', "
           "such as 1/3" },
         { "\u2153\u2153",
           "has a fraction character (pasted from a document?): type the fraction with digits and '/', "
           "such as 1/3" },
         { "01/", generic },
         { "00/", generic },
         { "01/x", generic },
         { "01/3.5", generic },
         { "-01/3", generic },
         { "-00/3", "has a leading zero: write it -0/3" } })
  {
    const std::string message = ParseError(text);
    EXPECT_EQ(message, std::string("overlap fraction \"") + text + "\" " + expected);
  }
}

TEST(PatchwiseDecimal, ParseDoubleTakesAnyFiniteDecimalAndRefusesSpaces)
{
  EXPECT_EQ(PatchwiseDecimal::ParseDouble("-1.5", "sigma"), -1.5);
  EXPECT_EQ(PatchwiseDecimal::ParseDouble("2e-3", "sigma"), 2e-3);
  // A subnormal double is held (helper-68: 1e-320 was "closer to 0 than a double holds"); one
  // past the subnormals is not, and neither is one past the largest double.
  EXPECT_EQ(PatchwiseDecimal::ParseDouble("1e-320", "sigma"), 1e-320);
  EXPECT_EQ(PatchwiseDecimal::ParseDouble("-4.9e-324", "sigma"), -4.9e-324);
  for (const auto & [text, problem] : { std::pair<std::string, std::string>{ "1e-400", "closer to 0 than a double holds" },
                                        std::pair<std::string, std::string>{ "2e308", "beyond a double's range" } })
  {
    try
    {
      PatchwiseDecimal::ParseDouble(text, "sigma");
      ADD_FAILURE() << "no exception for " << text;
    }
    catch (const PatchwiseDecimal::OutOfRange & error)
    {
      EXPECT_NE(std::string(error.what()).find(problem), std::string::npos) << error.what();
    }
  }
  // strtod skips leading spaces; "--process 'gaussian: 1.5'" was taken while "0.5, 0.5" was refused.
  for (const char * text : { " 1.5", "1.5 ", "\t1.5", "1 .5" })
  {
    try
    {
      PatchwiseDecimal::ParseDouble(text, "gaussian sigma");
      ADD_FAILURE() << "no exception for \"" << text << "\"";
    }
    catch (const std::invalid_argument & error)
    {
      EXPECT_EQ(std::string(error.what()),
                std::string("gaussian sigma \"") + text + "\" has spaces: a number is written without them");
    }
  }
}

/** helper-91: the hints wrote a percentage rounded to 12 digits (99.99999999999999 % as "write 1",
 * itself refused) and divided it in binary; each is now the decimal as read, its point moved. */
TEST(PatchwiseDecimal, APercentageIsWrittenInFullAsTheFractionItStandsFor)
{
  const std::pair<double, const char *> cases[] = {
    { 50.0, "0.5" },
    { 5.0, "0.05" },
    { 12.5, "0.125" },
    { 33.3, "0.333" },
    { 150.0, "1.5" },
    { 1000.0, "10" },
    { 0.5, "0.005" },
    { 0.0, "0" },
    { -5.0, "-0.05" },
    { 2e1, "0.2" },
    { 0.001, "0.00001" },
    { 99.99999999999999, "0.9999999999999999" },
    { 1e300, "1.0000000000000001e+298" },
  };
  for (const auto & [percent, fraction] : cases)
  {
    EXPECT_EQ(PatchwiseDecimal::PercentAsFraction(percent), fraction) << percent;
    if (percent >= 0.0 && PatchwiseDecimal::PercentAsFraction(percent).find('e') == std::string::npos)
    {
      // The fraction reads back as the percentage's decimal, moved: its digits are the percentage's.
      EXPECT_EQ(PatchwiseDecimal::ParseDouble(PatchwiseDecimal::PercentAsFraction(percent), "fraction"),
                std::stod(PatchwiseDecimal::ShortestDecimal(percent).insert(0, "0") + "e-2"))
        << percent;
    }
  }
  EXPECT_EQ(PatchwiseDecimal::ShortestDecimal(99.99999999999999), "99.99999999999999");
  EXPECT_EQ(PatchwiseDecimal::ShortestDecimal(5.0), "5");
  EXPECT_EQ(PatchwiseDecimal::ShortestDecimal(0.1), "0.1");
}
} // namespace
