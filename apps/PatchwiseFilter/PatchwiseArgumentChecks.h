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
#ifndef PatchwiseArgumentChecks_h
#define PatchwiseArgumentChecks_h

#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

/** Checks of the command line before CLI11 parses it, for mistakes CLI11
 * reports in its own terms or takes silently. Each throws
 * CLI::ValidationError naming the option as written, the value and what was
 * expected. */
namespace PatchwiseArgumentChecks
{
/** An option as the command line gives it, before the parse. */
struct GivenOption
{
  const CLI::Option &      option;
  std::string              flag;      // as written ("--patch_size")
  const std::string *      value;     // the text after "=" or the next argument; null when there is none
  bool                     inside;    // given as --flag=value
  std::vector<std::string> following; // the words of digits and commas right after the value ("64,", "32")
};

/** Calls `visit` for each option of `app` that argv gives. Arguments after
 * "--" are positional. */
void
ForEachGivenOption(const CLI::App &                                 app,
                   int                                              argc,
                   const char * const *                             argv,
                   const std::function<void(const GivenOption &)> & visit);

/** Throws for an option that takes a value given without one (last, followed
 * by another --flag, or "--flag=" with nothing after it), naming the value's
 * type (CLI11 says "1 required UINT:VOXELS missing"); for a list's values given
 * as separate arguments ("--patch-size 64 64 32": a list is one argument,
 * 64,64,32); and for a comma-separated value with an empty field ("64,",
 * ",64", "64,,32"), which CLI11 would drop silently, with spaces
 * ("64, 64, 32"), or with another separator ("64x64x32"). */
void
RejectMissingValuesAndMalformedLists(const CLI::App & app, int argc, const char * const * argv);

/** Throws for a --flag that is no option of `app`, suggesting the option it
 * is in another case or spelling of (--Patch-Size: --patch-size) or the one
 * that does the job of another tool's option (--roi-size: MONAI's roi_size is
 * --patch-size, in reverse order), and for a
 * word with one dash ("-p", "-patch-size"; a number such as -1 is a value, -h
 * is the help). CLI11 would list it among the arguments not expected, after
 * the values around it. */
void
RejectUnknownOptions(const CLI::App & app, int argc, const char * const * argv);

/** `name` as compared for a suggestion: lower case, "_" as "-" (as a person mistypes them). */
std::string
Folded(std::string name);

/** The one of `candidates` that `word` is most likely meant to be, compared
 * folded: the closest at most 2 edits away (and fewer than half `word`'s
 * characters), else the only one `word` begins (3 characters or more: "prob"
 * for "probabilities"); "" when there is none. */
std::string
Closest(const std::string & word, const std::vector<std::string> & candidates);

/** What other tools (PyTorch, numpy.pad, MONAI) call the values of the choice
 * option `option` ("padding"), by folded value: what the value is here
 * ("reflect": PyTorch's reflect has no ITK boundary condition...); empty for
 * another option. */
const std::map<std::string, std::string> &
OtherToolsValues(const std::string & option);

/** A CLI11 check that a value is one of `choices` (given in lower case), in
 * any case; the message quotes the value, lists the choices and adds what
 * `otherNames` says of the value (another tool's name for a choice, by its
 * folded name) or else the closest choice ("\"label\" not in
 * {probabilities,labels} (did you mean labels?)"). Its description is the
 * list, as CLI::IsMember's. */
CLI::Validator
OneOf(const std::vector<std::string> & choices, const std::map<std::string, std::string> & otherNames = {});

/** Throws for an option given more than once, in either spelling
 * (--patch-size, --patch_size): CLI11 would say "At Most 1 required but
 * received 2", or join a list option's values into one list. */
void
RejectRepeatedOptions(const CLI::App & app, int argc, const char * const * argv);
} // namespace PatchwiseArgumentChecks

#endif
