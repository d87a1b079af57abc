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
#include "PatchwiseMessages.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <utility>

std::string
OneLine(const std::string & text)
{
  std::string line;
  for (const char c : text)
  {
    if (c == '\n' || c == '\r')
    {
      if (!line.empty() && line.back() != ' ')
      {
        line += ' ';
      }
      continue;
    }
    line += c;
  }
  while (!line.empty() && line.back() == ' ')
  {
    line.pop_back();
  }
  return line;
}

std::string
CountOf(unsigned long long count, const std::string & noun, const std::string & plural)
{
  return std::to_string(count) + " " + (count == 1 ? noun : plural.empty() ? noun + "s" : plural);
}

std::string
Lowercase(std::string text)
{
  std::transform(
    text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string
Readable(const itk::ExceptionObject & error)
{
  std::string text = OneLine(error.GetDescription());
  for (const std::string prefix : { "ITK ERROR: ", "itk::ERROR: " })
  {
    if (text.rfind(prefix, 0) == 0)
    {
      text.erase(0, prefix.size());
    }
  }
  // Object addresses, "(0x" hexadecimal digits ")". (std::regex would do this, but GCC 12
  // warns inside its <regex> at -O1, the sanitized build's level.)
  for (auto open = text.find("(0x"); open != std::string::npos; open = text.find("(0x", open))
  {
    const auto close = text.find_first_not_of("0123456789abcdefABCDEF", open + 3);
    if (close != std::string::npos && close > open + 3 && text[close] == ')')
    {
      text.erase(open, close + 1 - open);
    }
    else
    {
      ++open;
    }
  }
  // The merger's weighting parameters by the options that set them, in its messages' phrases only (a file
  // name holding the words is left alone): "(SigmaScale = 0.01, MinimumWeight = 0) ... raise MinimumWeight".
  for (const auto & [phrase, option] : std::initializer_list<std::pair<std::string, std::string>>{
         { "(SigmaScale = ", "(--sigma-scale " },
         { ", MinimumWeight = ", ", --minimum-weight " },
         { "raise MinimumWeight", "raise --minimum-weight" },
         { "raise SigmaScale", "raise --sigma-scale" },
         { "or SigmaScale", "or --sigma-scale" },
         { "with MinimumWeight on the window", "with --gaussian-floor window" } })
  {
    for (auto at = text.find(phrase); at != std::string::npos; at = text.find(phrase, at + option.size()))
    {
      text.replace(at, phrase.size(), option);
    }
  }
  return text;
}

std::string
HeaderFieldValue(const std::string & line, const std::string & key)
{
  const auto start = line.find_first_not_of(" \t");
  if (start == std::string::npos || line.compare(start, key.size(), key) != 0)
  {
    return {};
  }
  const auto separator = line.find_first_not_of(" \t", start + key.size());
  if (separator == std::string::npos || (line[separator] != '=' && line[separator] != ':'))
  {
    return {};
  }
  const auto first = line.find_first_not_of(" \t", separator + 1);
  const auto last = line.find_last_not_of(" \t\r");
  return first == std::string::npos || last < first ? std::string() : line.substr(first, last + 1 - first);
}
