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
#include "PatchwisePastedWords.h"
#include "PatchwiseArgumentChecks.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace PatchwiseArgumentChecks
{
namespace
{
/** The ASCII character of the full-width form (U+FF01 to U+FF5E, "\uFF16\uFF14" is "64") at
 * `i` of `text`, or 0. */
char
FullWidthCharacter(const std::string & text, std::size_t i)
{
  if (i + 2 >= text.size() || text[i] != '\xEF' || (text[i + 1] != '\xBC' && text[i + 1] != '\xBD') ||
      (static_cast<unsigned char>(text[i + 2]) & 0xC0u) != 0x80u) // not a continuation byte: no character
  {
    return 0;
  }
  const unsigned int codePoint =
    0xF000u + ((static_cast<unsigned char>(text[i + 1]) & 0x3Fu) << 6) + (static_cast<unsigned char>(text[i + 2]) & 0x3Fu);
  return codePoint >= 0xFF01 && codePoint <= 0xFF5E ? static_cast<char>(codePoint - 0xFEE0) : 0;
}

/** `text` with each typographic dash (U+2010 to U+2015), minus sign (U+2212) as a hyphen, each
 * typographic quote (U+2018, U+2019, U+201C, U+201D) left out, and in `aValue` (of an option,
 * a file name's excepted) also each zero-width space (U+200B), a division sign (U+00F7) as '/' and
 * full-width characters as ASCII: what a word pasted from a document meant. `held` receives the
 * names of the characters replaced, each once, and `foreign` whether any was of those three. */
std::string
PlainTypography(const std::string & text, bool aValue, std::vector<std::string> & held, bool & foreign)
{
  struct Typographic
  {
    const char * utf8;
    const char * plain;
    const char * name;
    bool         foreign; // in no value of an option (but may be in a file name)
  };
  static const Typographic characters[]{
    { "\xE2\x80\x90", "-", "a Unicode hyphen", false },  { "\xE2\x80\x91", "-", "a non-breaking hyphen", false },
    { "\xE2\x80\x92", "-", "a figure dash", false },     { "\xE2\x80\x93", "-", "an en dash", false },
    { "\xE2\x80\x94", "-", "an em dash", false },        { "\xE2\x80\x95", "-", "a horizontal bar", false },
    { "\xE2\x88\x92", "-", "a minus sign", false },      { "\xE2\x80\x98", "", "typographic quotes", false },
    { "\xE2\x80\x99", "", "typographic quotes", false }, { "\xE2\x80\x9C", "", "typographic quotes", false },
    { "\xE2\x80\x9D", "", "typographic quotes", false }, { "\xE2\x80\x8B", "", "a zero-width space", true },
    { "\xC3\xB7", "/", "a division sign", true },
  };
  std::string plain;
  for (std::size_t i = 0; i < text.size();)
  {
    const auto found =
      std::find_if(std::begin(characters), std::end(characters), [&text, i, aValue](const Typographic & c) {
        return (aValue || !c.foreign) && text.compare(i, std::char_traits<char>::length(c.utf8), c.utf8) == 0;
      });
    const char        fullWidth = aValue ? FullWidthCharacter(text, i) : '\0';
    const std::string name = fullWidth != 0 ? "full-width characters" : found != std::end(characters) ? found->name : "";
    if (name.empty())
    {
      plain += text[i++];
      continue;
    }
    plain += fullWidth != 0 ? std::string(1, fullWidth) : std::string(found->plain);
    foreign = foreign || fullWidth != 0 || found->foreign;
    i += fullWidth != 0 ? 3 : std::char_traits<char>::length(found->utf8);
    if (std::find(held.begin(), held.end(), name) == held.end())
    {
      held.push_back(name);
    }
  }
  return plain;
}

/** What the validators of `option` say of `value`, of each of its items for a list (as CLI11
 * validates them, split at the option's delimiter); "" when they take it. */
std::string
Refusal(CLI::Option & option, const std::string & value)
{
  const std::vector<std::string> items =
    option.get_delimiter() != '\0' ? CLI::detail::split(value, option.get_delimiter()) : std::vector<std::string>{ value };
  try
  {
    for (int v = 0;; ++v)
    {
      const CLI::Validator & validator = *option.get_validator(v);
      for (std::string item : items)
      {
        const std::string error = validator(item);
        if (!error.empty())
        {
          return error;
        }
      }
    }
  }
  catch (const CLI::OptionNotFound &)
  {
    return {}; // past its last validator (CLI11 gives no count)
  }
}

/** Throws for `word` pasted from a document (see RejectTypography), charged to `name`: the
 * word itself, or the value of `option` (then quoted in the message, and the plain word is
 * suggested only when the option would take it). */
void
RejectPastedWord(const std::string & word, const std::string & name, CLI::Option * option)
{
  const bool isValue = option != nullptr;
  // A file name (a positional word, --preview, --label-map, --model) may hold any of them.
  const bool               notAFile = isValue && option->get_type_name().find("FILE") == std::string::npos;
  std::vector<std::string> held;
  bool                     foreign = false;
  const std::string        plain = PlainTypography(word, notAFile, held, foreign);
  if (plain == word || (plain.empty() && !foreign) || std::ifstream(word).good())
  {
    return;
  }
  std::string characters;
  for (std::size_t h = 0; h < held.size(); ++h)
  {
    characters += (h == 0 ? "" : h + 1 == held.size() ? " and " : ", ") + held[h];
  }
  if (plain.empty())
  {
    throw CLI::ValidationError(name, "\"" + word + "\" is only " + characters + " (pasted from a document?): give a value");
  }
  const std::size_t start = plain.find_first_not_of('-');
  if (!isValue && plain.front() == '-' && word.front() != '-' && start != std::string::npos &&
      !std::isdigit(static_cast<unsigned char>(plain[start])) && plain[start] != '.') // "−1": a number, below
  {
    throw CLI::ValidationError(name,
                               "begins with " + characters + ", not two hyphens (pasted from a document?): write --" +
                                 plain.substr(start));
  }
  if (plain.front() == '-' || plain.size() + 6 <= word.size() || foreign)
  {
    const std::string refused = isValue ? Refusal(*option, plain) : std::string();
    throw CLI::ValidationError(name,
                               (isValue ? "\"" + word + "\" has " : "has ") + characters + " (pasted from a document?)" +
                                 (refused.empty() ? ": write " + plain : ", and " + plain + " is refused too: " + refused));
  }
}
} // namespace

void
RejectTypography(CLI::App & app, int argc, const char * const * argv)
{
  const std::vector<CLI::Option *> options = app.get_options();
  ForEachGivenOption(app, argc, argv, [&options](const GivenOption & given) {
    if (given.option.get_items_expected_min() > 0 && given.value != nullptr)
    {
      const auto found = std::find(options.begin(), options.end(), &given.option); // always: one of the app's
      RejectPastedWord(*given.value, given.flag, found != options.end() ? *found : nullptr);
    }
  });
  for (int a = 1; a < argc; ++a)
  {
    RejectPastedWord(argv[a], argv[a], nullptr);
  }
}
} // namespace PatchwiseArgumentChecks
