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
#include "PatchwiseArgumentChecks.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <sstream>

namespace PatchwiseArgumentChecks
{
namespace
{
/** A word that continues a list given as separate arguments: digits and commas ("64", "64,", ",32"). */
bool
IsListWord(const std::string & text)
{
  return text.find_first_of("0123456789") != std::string::npos &&
         text.find_first_not_of("0123456789,") == std::string::npos;
}

/** Characters people join a list's values with other than the delimiter ("64x64x32", "64;64"). */
const std::string Separators = "xX*;:/|";

/** The values of `text` split at the delimiter and at spaces, empty ones and
 * lone separators left out ("64, 64,32" and "64 x 64 x 32" -> 64 64 32). */
std::vector<std::string>
Fields(std::string text, char delimiter)
{
  std::replace(text.begin(), text.end(), delimiter, ' ');
  std::istringstream       words(text);
  std::vector<std::string> fields;
  for (std::string word; words >> word;)
  {
    if (word.find_first_not_of(Separators) != std::string::npos) // not a lone "x" of "64 x 64"
    {
      fields.push_back(word);
    }
  }
  return fields;
}

/** The Levenshtein distance between `a` and `b`: the fewest one-character edits from one to the other. */
std::size_t
EditDistance(const std::string & a, const std::string & b)
{
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
  {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i)
  {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
    {
      const std::size_t above = row[j];
      row[j] = std::min({ row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1) });
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string
Joined(const std::vector<std::string> & words, char separator)
{
  std::string joined;
  for (const std::string & word : words)
  {
    joined += (joined.empty() ? "" : std::string(1, separator)) + word;
  }
  return joined;
}

/** Calls `visit(a, flag, equals)` for each argument a before "--": `flag` is
 * its text before any "=", `equals` the position of that "=" (npos when none). */
template <typename TVisit>
void
ForEachArgument(int argc, const char * const * argv, TVisit visit)
{
  for (int a = 1; a < argc && std::string(argv[a]) != "--"; ++a)
  {
    const std::string argument = argv[a];
    const auto        equals = argument.find('=');
    visit(a, argument.substr(0, equals), equals);
  }
}

/** A word that reads as a number ("-1", "-2.5e3", "-inf") or begins as one ("-1,5", a decimal
 * comma; "-1,2"): a value, not an option, as CLI11 takes it. */
bool
IsNumber(const std::string & text)
{
  char * end = nullptr;
  std::strtod(text.c_str(), &end);
  const bool numeric =
    text.size() > 1 && text[0] == '-' && (std::isdigit(static_cast<unsigned char>(text[1])) || text[1] == '.');
  return numeric || (!text.empty() && end == text.c_str() + text.size());
}

/** A missing value: none after the flag, another --flag, or nothing after "=". */
void
RejectMissingValue(const GivenOption & given)
{
  if (given.option.get_items_expected_min() > 0 &&
      (given.value == nullptr || given.value->rfind("--", 0) == 0 || (given.inside && given.value->empty())))
  {
    throw CLI::ValidationError(given.flag, "no value given: expected " + given.option.get_type_name() + " after it");
  }
}

/** A value given to a flag: "--pad-overlap=false", which CLI11 would read as off and
 * "--pad-overlap=" as on, or "--pad-overlap true", which it would take for a positional argument. */
void
RejectFlagValue(const GivenOption & given)
{
  static const std::vector<std::string> booleans{ "true", "false", "on", "off", "yes", "no", "1", "0" };
  if (given.option.get_expected_max() == 0 && given.value != nullptr &&
      (given.inside || std::find(booleans.begin(), booleans.end(), Folded(*given.value)) != booleans.end()))
  {
    throw CLI::ValidationError(given.flag,
                               "\"" + *given.value + "\" after it: a flag takes no value (give " + given.flag +
                                 " alone for on, leave it out for off)");
  }
}

/** A list given as separate arguments, with an empty field, or with spaces. */
void
RejectMalformedList(const GivenOption & given)
{
  const char delimiter = given.option.get_delimiter();
  if (delimiter == '\0' || given.option.get_allow_extra_args() || given.value == nullptr)
  {
    return; // not a list
  }
  const std::string & value = *given.value;
  if (!given.following.empty())
  {
    std::vector<std::string> all{ value };
    all.insert(all.end(), given.following.begin(), given.following.end());
    const std::string words = Joined(all, ' ');
    throw CLI::ValidationError(given.flag,
                               "\"" + words + "\": a list is one argument, comma-separated (" + given.flag + " " +
                                 Joined(Fields(words, delimiter), delimiter) + ")");
  }
  const std::string doubled{ delimiter, delimiter };
  if (value.find(delimiter) != std::string::npos &&
      (value.front() == delimiter || value.back() == delimiter || value.find(doubled) != std::string::npos))
  {
    throw CLI::ValidationError(given.flag,
                               "\"" + value + "\" has an empty field: give the values separated by single commas");
  }
  // "(64,64,32)", "[64, 64, 32]": a tuple or list as Python writes it.
  if (value.size() > 2 && std::string("([{").find(value.front()) != std::string::npos &&
      std::string(")]}").find(value.back()) != std::string::npos)
  {
    const std::vector<std::string> values = Fields(value.substr(1, value.size() - 2), delimiter);
    const std::vector<std::string> reversed(values.rbegin(), values.rend());
    throw CLI::ValidationError(
      given.flag,
      "\"" + value + "\": a list is given without brackets, in ITK's (x, y, z) order (" + given.flag + " " +
        Joined(values, delimiter) +
        (values.size() > 1 ? "; reversed from a (D, H, W) tuple: " + Joined(reversed, delimiter) : "") + ")");
  }
  // "64x64x32", "64;64": whole numbers joined by a character that is not the delimiter (not "0x40": hexadecimal).
  const std::string & separators = Separators;
  const auto          joiner = value.find_first_not_of("0123456789");
  const bool          hexadecimal = value.size() > 2 && value[0] == '0' && (value[1] == 'x' || value[1] == 'X');
  if (!hexadecimal && joiner != std::string::npos && separators.find(value[joiner]) != std::string::npos &&
      std::isdigit(static_cast<unsigned char>(value.front())) &&
      std::isdigit(static_cast<unsigned char>(value.back())) &&
      value.find_first_not_of("0123456789" + separators) == std::string::npos)
  {
    std::string commas = value;
    std::replace_if(
      commas.begin(),
      commas.end(),
      [&separators](char c) { return separators.find(c) != std::string::npos; },
      delimiter);
    throw CLI::ValidationError(
      given.flag, "\"" + value + "\": a list's values are separated by commas (" + given.flag + " " + commas + ")");
  }
  if (value.find_first_of(" \t") != std::string::npos)
  {
    throw CLI::ValidationError(given.flag,
                               "\"" + value + "\" has spaces: a list is one argument, its values separated by " +
                                 "commas alone (" + given.flag + " " + Joined(Fields(value, delimiter), delimiter) +
                                 ")");
  }
}

/** What this program calls the options of MONAI's sliding_window_inference,
 * TorchIO's GridSampler and other tools that the spelling alone does not
 * lead to, by their folded names. */
const std::map<std::string, std::string> &
OtherToolsNames()
{
  static const std::string labelMap = "a label map is --output-type labels, or --label-map FILE";
  static const std::string files =
    "the input and output are given without a flag: PatchwiseFilter [OPTIONS] input output";
  static const std::map<std::string, std::string> names{
    { "roi-size", "MONAI's roi_size is --patch-size, in ITK's (x, y, z) order: the reverse of roi_size's (D, H, W)" },
    { "sw-batch-size", "MONAI's sw_batch_size is --batch-size" },
    { "mode", "MONAI's mode is --weighting" },
    { "padding-mode", "MONAI's padding_mode is --padding" },
    { "cval", "MONAI's cval is --padding-value" },
    { "patch-overlap", "TorchIO's patch_overlap is --overlap, in voxels" },
    { "argmax", labelMap },
    { "labels", labelMap },
    { "segmentation", labelMap },
    { "stride", "the stride is the patch minus the overlap: give --overlap in voxels or --overlap-fraction" },
    { "step-size", "nnU-Net's step_size is 1 minus --overlap-fraction" },
    { "overlap-ratio", "the overlap as a fraction of the patch is --overlap-fraction" },
    { "gpu", "a GPU is --device cuda, or cuda:N" },
    { "cuda", "a GPU is --device cuda, or cuda:N" },
    { "streams", "the pieces the output is computed in are --stream-divisions" },
    { "number-of-stream-divisions", "ITK's NumberOfStreamDivisions is --stream-divisions" },
    { "number-of-work-units", "ITK's NumberOfWorkUnits is --threads" },
    { "num-threads", "did you mean --threads?" },
    { "number-of-threads", "ITK's NumberOfThreads is --threads" },
    { "tile-step-size", "nnU-Net's tile_step_size is 1 minus --overlap-fraction" },
    { "use-mirroring", "nnU-Net's mirroring is --mirror-axes 0,1,2" },
    { "disable-tta", "mirroring is on only when --mirror-axes is given: leave both out" },
    { "radius", "a median's radius is --process median:RADIUS" },
    { "i", files },
    { "o", files },
    { "sigma", "a smoothing sigma is --process gaussian:SIGMA_MM; the Gaussian weighting's width is --sigma-scale" },
    { "input", files },
    { "output", files },
  };
  return names;
}

/** What other tools call the values of this program's choice options, by option and folded value. */
const std::map<std::string, std::map<std::string, std::string>> &
OtherToolsValuesByOption()
{
  static const std::string padding = "what a patch reads outside the image is --padding; --border-mode says where "
                                     "the last patch goes (pad: the image is extended)";
  static const std::string labels = "the merged channels as the network returns them are probabilities";
  static const std::string nearest = "the edge voxel repeated is zerofluxneumann";
  static const std::map<std::string, std::map<std::string, std::string>> values{
    { "padding",
      { { "zeros", "PyTorch's zeros is constant, with --padding-value 0" },
        { "replicate", "PyTorch's replicate is zerofluxneumann, the edge voxel repeated" },
        { "edge", "numpy.pad's edge is zerofluxneumann, the edge voxel repeated" },
        { "symmetric", "numpy.pad's symmetric is mirror, the edge voxel repeated" },
        { "reflect",
          "PyTorch's reflect (the edge voxel not repeated) has no ITK boundary condition; mirror repeats it" },
        { "circular", "PyTorch's circular is periodic" },
        { "nearest", nearest },
        { "border", "grid_sample's border is zerofluxneumann, the edge voxel repeated" },
        { "neumann", nearest },
        { "wrap", "numpy.pad's wrap is periodic" } } },
    { "weighting",
      { { "constant", "MONAI's constant mode is average" },
        { "uniform", "equal weights are average" },
        { "mean", "equal weights are average" },
        { "hanning", "the Hann window is hann" },
        { "hamming", "the Hamming window is not offered; the Hann window is hann" },
        { "none", "equal weights are average" } } },
    { "border-mode",
      { { "constant", padding },
        { "mirror", padding },
        { "reflect", padding },
        { "replicate", padding },
        { "periodic", padding },
        { "zerofluxneumann", padding },
        { "zeros", padding },
        { "circular", padding },
        { "symmetric", padding },
        { "wrap", padding } } },
    { "output-type",
      { { "argmax", "the argmax of the channels is labels" },
        { "label-map", "the argmax of the channels is labels" },
        { "probs", labels },
        { "logits", labels },
        { "softmax", labels },
        { "probability", labels },
        { "segmentation", "a segmentation's label map is labels" },
        { "mask", "a segmentation's label map is labels" } } },
  };
  return values;
}
} // namespace

std::string
Folded(std::string name)
{
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return c == '_' ? '-' : static_cast<char>(std::tolower(c));
  });
  return name;
}

std::string
Closest(const std::string & word, const std::vector<std::string> & candidates)
{
  const std::string folded = Folded(word);
  std::string       closest;
  std::size_t       fewest = 3;
  std::size_t       extending = 0;
  std::string       extended;
  for (const std::string & candidate : candidates)
  {
    const std::string folding = Folded(candidate);
    const std::size_t distance = EditDistance(folding, folded);
    if (distance < fewest && 2 * distance < word.size()) // "mean" is not "median", nor "wrap" "crop"
    {
      fewest = distance;
      closest = candidate;
    }
    if (folded.size() >= 3 && folding.rfind(folded, 0) == 0 && folding != Folded(extended)) // one per spelling
    {
      ++extending;
      extended = candidate;
    }
  }
  return !closest.empty() || extending != 1 ? closest : extended;
}

void
ForEachGivenOption(const CLI::App &                                 app,
                   int                                              argc,
                   const char * const *                             argv,
                   const std::function<void(const GivenOption &)> & visit)
{
  ForEachArgument(argc, argv, [&](int a, const std::string & flag, std::size_t equals) {
    for (const CLI::Option * option : app.get_options())
    {
      const auto & names = option->get_lnames();
      if (flag.rfind("--", 0) != 0 || std::find(names.begin(), names.end(), flag.substr(2)) == names.end())
      {
        continue;
      }
      const bool        inside = equals != std::string::npos; // --flag=value
      const std::string value = inside         ? std::string(argv[a]).substr(equals + 1)
                                : a + 1 < argc ? std::string(argv[a + 1])
                                               : "";
      GivenOption       given{ *option, flag, inside || a + 1 < argc ? &value : nullptr, inside, {} };
      for (int after = inside ? a + 1 : a + 2; after < argc && IsListWord(argv[after]); ++after)
      {
        given.following.emplace_back(argv[after]);
      }
      visit(given);
    }
  });
}

void
RejectMissingValuesAndMalformedLists(const CLI::App & app, int argc, const char * const * argv)
{
  ForEachGivenOption(app, argc, argv, [](const GivenOption & given) {
    RejectMissingValue(given);
    RejectFlagValue(given);
    RejectMalformedList(given);
  });
}

void
RejectUnknownOptions(const CLI::App & app, int argc, const char * const * argv)
{
  std::vector<std::string> names;
  for (const CLI::Option * option : app.get_options())
  {
    names.insert(names.end(), option->get_lnames().begin(), option->get_lnames().end());
  }
  ForEachArgument(argc, argv, [&names](int, const std::string & flag, std::size_t) {
    // "--flag", or "-p", "-patch-size" (one dash: -h is the only short option); not "--", "-" or a number.
    const bool doubleDash = flag.rfind("--", 0) == 0;
    if (flag.size() < 2 || flag.front() != '-' || flag == "--" || flag == "-h" || IsNumber(flag))
    {
      return;
    }
    const std::string name = flag.substr(doubleDash ? 2 : 1);
    if (doubleDash && std::find(names.begin(), names.end(), name) != names.end())
    {
      return;
    }
    const std::string why = doubleDash ? "no such option" : "no such option: options are written with two dashes";
    const auto        other = OtherToolsNames().find(Folded(name));
    if (other != OtherToolsNames().end()) // "-i": no spelling of it is an option here, so dashes are beside the point
    {
      throw CLI::ValidationError(flag, "no such option (" + other->second + ")");
    }
    const std::string suggestion = Closest(name, names);
    throw CLI::ValidationError(
      flag, why + (suggestion.empty() ? std::string(" (see --help)") : " (did you mean --" + suggestion + "?)"));
  });
}

const std::map<std::string, std::string> &
OtherToolsValues(const std::string & option)
{
  static const std::map<std::string, std::string> none;
  const auto                                      found = OtherToolsValuesByOption().find(option);
  return found == OtherToolsValuesByOption().end() ? none : found->second;
}

CLI::Validator
OneOf(const std::vector<std::string> & choices, const std::map<std::string, std::string> & otherNames)
{
  const std::string listed = "{" + Joined(choices, ',') + "}";
  return CLI::Validator(
    [choices, otherNames, listed](const std::string & text) {
      const std::string folded = Folded(text);
      if (std::any_of(choices.begin(), choices.end(), [&folded](const std::string & c) { return c == folded; }))
      {
        return std::string();
      }
      const auto        other = otherNames.find(folded);
      const std::string suggestion = Closest(text, choices);
      const std::string hint = other != otherNames.end() ? " (" + other->second + ")"
                               : suggestion.empty()      ? ""
                                                         : " (did you mean " + suggestion + "?)";
      return "\"" + text + "\" not in " + listed + hint;
    },
    listed);
}

void
RejectRepeatedOptions(const CLI::App & app, int argc, const char * const * argv)
{
  std::map<const CLI::Option *, std::string> given;
  ForEachGivenOption(app, argc, argv, [&given](const GivenOption & option) {
    const auto first = given.emplace(&option.option, option.flag);
    if (!first.second)
    {
      throw CLI::ValidationError(option.flag,
                                 first.first->second == option.flag
                                   ? "given twice: give it once"
                                   : "given twice (also as " + first.first->second + "): give it once");
    }
  });
}
} // namespace PatchwiseArgumentChecks
