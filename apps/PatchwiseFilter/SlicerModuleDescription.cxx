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
#include "SlicerModuleDescription.h"

#include <algorithm>
#include <cctype>
#include <sstream>

std::string
EscapedXml(const std::string & text)
{
  std::string escaped;
  for (const char c : text)
  {
    switch (c)
    {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

namespace
{
/** "patch-size" -> "patchSize" (Slicer's parameter names are identifiers). */
std::string
Identifier(const std::string & flag)
{
  std::string name;
  bool        upper = false;
  for (const char c : flag)
  {
    if (c == '-')
    {
      upper = !name.empty();
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return name;
}

/** "patch-size" -> "patch_size": Slicer's parser takes letters, digits and
 * underscores only; the program accepts both spellings. */
std::string
LongFlag(const std::string & flag)
{
  std::string longflag = flag;
  std::replace(longflag.begin(), longflag.end(), '-', '_');
  return longflag;
}

/** "patch-size" -> "Patch size". */
std::string
Label(const std::string & flag)
{
  std::string label = flag.substr(flag.find_first_not_of('-'));
  for (char & c : label)
  {
    c = c == '-' ? ' ' : c;
  }
  label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
  return label;
}

void
WriteParameter(std::ostream & out, const SlicerParameter & parameter, int & index)
{
  const CLI::Option & option = *parameter.option;
  const std::string   flag = option.get_positional() ? option.get_name() : option.get_name().substr(2);
  out << "    <" << parameter.element;
  if (!parameter.imageType.empty())
  {
    out << " type=\"" << parameter.imageType << "\"";
  }
  if (!parameter.fileExtensions.empty())
  {
    out << " fileExtensions=\"" << EscapedXml(parameter.fileExtensions) << "\"";
  }
  out << ">\n"
      << "      <name>" << Identifier(flag) << "</name>\n"
      << "      <label>" << EscapedXml(Label(flag)) << "</label>\n"
      << "      <description>"
      << EscapedXml(parameter.description.empty() ? option.get_description() : parameter.description)
      << "</description>\n";
  if (option.get_positional())
  {
    out << "      <index>" << index++ << "</index>\n";
  }
  else
  {
    out << "      <longflag>" << LongFlag(flag) << "</longflag>\n";
  }
  if (!parameter.channel.empty())
  {
    out << "      <channel>" << parameter.channel << "</channel>\n";
  }
  if (parameter.element == "boolean")
  {
    out << "      <default>false</default>\n";
  }
  else if (!option.get_default_str().empty())
  {
    out << "      <default>" << EscapedXml(option.get_default_str()) << "</default>\n";
  }
  for (const auto & element : parameter.elements)
  {
    out << "      <element>" << element << "</element>\n";
  }
  if (!parameter.constraints.empty())
  {
    std::istringstream limits(parameter.constraints);
    std::string        minimum, maximum, step;
    limits >> minimum >> maximum >> step;
    out << "      <constraints>\n"
        << "        <minimum>" << minimum << "</minimum>\n"
        << "        <maximum>" << maximum << "</maximum>\n"
        << "        <step>" << step << "</step>\n"
        << "      </constraints>\n";
  }
  out << "    </" << parameter.element << ">\n";
}
} // namespace

void
WriteSlicerModuleDescription(std::ostream & out, const PatchwiseFilterOptions & options, const std::string & version)
{
  out << "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      << "<executable>\n"
      << "  <category>Filtering</category>\n"
      << "  <title>Patchwise Filter</title>\n"
      << "  <description>Cuts an image into overlapping patches, processes every patch (identity, Gaussian "
         "smoothing, median, or a TorchScript network in batches) and blends the patches back with Average, Gaussian, "
         "Hann or Crop weighting, "
         "streaming through ITK's pipeline; a network's output is written as class probabilities or as a label "
         "map. Spacing, origin and direction are kept.</description>\n"
      << "  <version>" << version << "</version>\n"
      << "  <license>Apache 2.0</license>\n"
      << "  <contributor>The PatchStreaming contributors</contributor>\n"
      << "  <acknowledgements>Built on ITK (PatchStreaming module) and VTK.</acknowledgements>\n";
  int index = 0;
  for (const auto & group : options.GetSlicerGroups())
  {
    out << "  <parameters>\n"
        << "    <label>" << EscapedXml(group.first) << "</label>\n"
        << "    <description>" << EscapedXml(group.first) << " parameters</description>\n";
    for (const auto & parameter : group.second)
    {
      WriteParameter(out, parameter, index);
    }
    out << "  </parameters>\n";
  }
  out << "</executable>\n";
}
