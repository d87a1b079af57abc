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
#include "PatchwiseHelpFormatter.h"

#include <sstream>

PatchwiseHelpFormatter::PatchwiseHelpFormatter()
{
  this->column_width(30);
}

std::string
PatchwiseHelpFormatter::make_option_desc(const CLI::Option * option) const
{
  return Wrapped(CLI::Formatter::make_option_desc(option), Width - this->get_column_width());
}

std::string
PatchwiseHelpFormatter::Wrapped(const std::string & text, std::size_t width)
{
  std::istringstream words(text);
  std::string        wrapped;
  std::size_t        line = 0; // the length of the current line
  for (std::string word; words >> word;)
  {
    if (line > 0 && line + 1 + word.size() > width)
    {
      wrapped += '\n';
      line = 0;
    }
    else if (line > 0)
    {
      wrapped += ' ';
      ++line;
    }
    wrapped += word;
    line += word.size();
  }
  return wrapped;
}
