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
#ifndef PatchwiseHelpFormatter_h
#define PatchwiseHelpFormatter_h

#include <CLI/CLI.hpp>

#include <string>

/** CLI11's --help, with each option's description wrapped to fit 80 columns
 * (CLI11 2.1 prints a description on one line, however long). The
 * descriptions themselves stay whole: 3D Slicer shows them from the module's
 * XML. */
class PatchwiseHelpFormatter : public CLI::Formatter
{
public:
  /** Total width of the help text in columns. */
  static constexpr std::size_t Width = 80;

  PatchwiseHelpFormatter();

  std::string
  make_option_desc(const CLI::Option * option) const override;

  /** `text` broken at spaces into lines of at most `width` characters (a longer
   * word stands on a line of its own), joined with newlines. */
  static std::string
  Wrapped(const std::string & text, std::size_t width);
};

#endif
