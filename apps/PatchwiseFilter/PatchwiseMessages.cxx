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
#include <regex>

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
Lowercase(std::string text)
{
  std::transform(
    text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string
Readable(const itk::ExceptionObject & error)
{
  static const std::regex prefix("^(ITK ERROR|itk::ERROR): ");
  static const std::regex address("\\(0x[0-9a-fA-F]+\\)");
  return std::regex_replace(std::regex_replace(OneLine(error.GetDescription()), prefix, ""), address, "");
}
