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
#include "ImageFileNames.h"
#include "PatchwiseMessages.h"
#include "PatchwiseVoxelData.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace fs = std::filesystem;

bool
IsSameFile(const std::string & a, const std::string & b)
{
  std::error_code error;
  if (fs::exists(a, error) && fs::exists(b, error))
  {
    const bool same = fs::equivalent(a, b, error);
    return same && !error;
  }
  return fs::weakly_canonical(fs::absolute(a), error) == fs::weakly_canonical(fs::absolute(b), error);
}

std::string
LowercaseExtension(const std::string & path)
{
  return Lowercase(fs::path(path).extension().string());
}

namespace
{
/** A numbered file name's parts: "<prefix>%[0][width]d<suffix>", one printf
 * conversion of at most 3 width digits (MetaIO's and NRRD's patterns). */
struct NumberedFileFormat
{
  std::string prefix;
  bool        zeroPadded{ false };
  int         width{ 0 };
  std::string suffix;
};

/** Splits `name` into `format`; false when it is not one such pattern. (By
 * hand: GCC 12 warns inside <regex> at -O1, the sanitized build's level.) */
bool
ParseNumberedFileFormat(const std::string & name, NumberedFileFormat & format)
{
  const std::size_t percent = name.find('%');
  if (percent == std::string::npos || name.find('%', percent + 1) != std::string::npos)
  {
    return false;
  }
  std::size_t at = percent + 1;
  format.zeroPadded = at < name.size() && name[at] == '0';
  at += format.zeroPadded ? 1 : 0;
  const std::size_t digits = at;
  while (at < name.size() && at - digits < 3 && name[at] >= '0' && name[at] <= '9')
  {
    ++at;
  }
  if (at >= name.size() || name[at] != 'd')
  {
    return false;
  }
  format.prefix = name.substr(0, percent);
  format.width = at > digits ? std::stoi(name.substr(digits, at - digits)) : 0;
  format.suffix = name.substr(at + 1);
  return true;
}

/** The files a data-file field's `value` names: none for LOCAL; for LIST, the
 * names on the header's `following` lines; for a pattern "name%03d.raw first
 * last step" (MetaIO's and NRRD's), each name (at most 100000; a pattern other
 * than one %d conversion names none); else the value itself. */
std::vector<std::string>
NamedDataFiles(const std::string & value, std::istream & following)
{
  std::istringstream words(value);
  std::string        name;
  words >> name;
  std::vector<std::string> names;
  if (value == "LOCAL")
  {
    return names;
  }
  if (name == "LIST")
  {
    for (std::string line; std::getline(following, line);)
    {
      std::istringstream listed(line);
      if (listed >> name)
      {
        names.push_back(name);
      }
    }
    return names;
  }
  if (name.find('%') == std::string::npos)
  {
    return { value };
  }
  NumberedFileFormat format;
  long long          first = 0;
  long long          last = 0;
  long long          step = 0;
  if (ParseNumberedFileFormat(name, format) && words >> first >> last >> step && step != 0)
  {
    for (long long i = first; (step > 0 ? i <= last : i >= last) && names.size() < 100000; i += step)
    {
      std::ostringstream file;
      file << format.prefix << std::setfill(format.zeroPadded ? '0' : ' ') << std::setw(format.width) << i
           << format.suffix;
      names.push_back(file.str());
    }
  }
  return names;
}

/** The data files the MetaImage (`metaImage`: ElementDataFile) or NRRD (data
 * file) header `header` names, relative to its folder; none when its voxels
 * follow the header. Reads the header only: a NRRD header ends at its first
 * blank line, a MetaImage's at ElementDataFile. */
std::vector<std::string>
DataFilesNamedBy(const fs::path & header, bool metaImage)
{
  std::ifstream stream(header, std::ios::binary);
  std::size_t   read = 0;
  for (std::string line; read < (1u << 20) && std::getline(stream, line);)
  {
    read += line.size() + 1;
    if (!metaImage && line.find_first_not_of(" \t\r") == std::string::npos)
    {
      break;
    }
    std::string value = HeaderFieldValue(line, metaImage ? "ElementDataFile" : "data file");
    value = value.empty() && !metaImage ? HeaderFieldValue(line, "datafile") : value;
    if (!value.empty())
    {
      return NamedDataFiles(value, stream);
    }
  }
  return {};
}

/** The other file of an Analyze/NIfTI pair named `path` (NiftiPairCandidates): the one ITK
 * writes (the same compression), or with `forReading` the ones the NIfTI library looks for up to
 * the first that exists (all when none does: a file written there would be read). */
std::vector<std::string>
PairedFiles(const std::string & path, bool forReading)
{
  const auto candidates = NiftiPairCandidates(path);
  if (candidates.empty())
  {
    return {};
  }
  if (!forReading)
  {
    return { candidates[LowercaseExtension(path) == ".gz" ? 1 : 0] };
  }
  std::error_code ignored;
  return fs::exists(candidates[0], ignored) ? std::vector<std::string>{ candidates[0] } : candidates;
}
} // namespace

std::vector<std::string>
FilesReadFor(const std::string & path)
{
  const fs::path           file(path);
  const std::string        extension = LowercaseExtension(path);
  std::vector<std::string> files{ path };
  if (extension == ".mha" || extension == ".mhd" || extension == ".nrrd" || extension == ".nhdr")
  {
    for (const auto & data : DataFilesNamedBy(file, extension == ".mha" || extension == ".mhd"))
    {
      files.push_back((file.parent_path() / data).string());
    }
  }
  for (const auto & paired : PairedFiles(path, true))
  {
    files.push_back(paired);
  }
  return files;
}

std::vector<std::string>
FilesWrittenFor(const std::string & path)
{
  const fs::path           file(path);
  const std::string        extension = LowercaseExtension(path);
  std::vector<std::string> files{ path };
  const auto               beside = [&file](const char * replacement) {
    return fs::path(file).replace_extension(replacement).string();
  };
  if (extension == ".mhd")
  {
    files.insert(files.end(), { beside(".raw"), beside(".zraw") });
  }
  else if (extension == ".nhdr")
  {
    files.insert(files.end(), { beside(".raw"), beside(".raw.gz") });
  }
  for (const auto & paired : PairedFiles(path, false)) // NIfTI or Analyze's pair
  {
    files.push_back(paired);
  }
  return files;
}

std::string
SharedFile(const std::vector<std::string> & written, const std::vector<std::string> & read)
{
  for (const auto & file : written)
  {
    for (const auto & other : read)
    {
      if (IsSameFile(file, other))
      {
        return other;
      }
    }
  }
  return {};
}

bool
IsCompressedDataFile(const std::string & path)
{
  const auto endsWith = [&path](const std::string & ending) {
    return path.size() >= ending.size() && path.compare(path.size() - ending.size(), ending.size(), ending) == 0;
  };
  return endsWith(".zraw") || endsWith(".raw.gz");
}

std::pair<std::string, std::string>
HeaderSharingDataFile(const std::string & path)
{
  const auto written = FilesWrittenFor(path);
  if (written.size() == 1)
  {
    return {};
  }
  for (const char * ending : { ".mhd", ".mha", ".nhdr", ".nrrd" })
  {
    std::string upper(ending);
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    for (const std::string & extension : { std::string(ending), upper })
    {
      const std::string header = fs::path(path).replace_extension(extension).string();
      std::error_code   ignored;
      if (!fs::is_regular_file(header, ignored) || IsSameFile(header, path))
      {
        continue;
      }
      const auto read = FilesReadFor(header);
      // Its data files, not the header itself (a header is never an output's data file).
      const std::string shared = SharedFile({ written.begin() + 1, written.end() }, { read.begin() + 1, read.end() });
      if (!shared.empty())
      {
        return { header, shared };
      }
    }
  }
  return {};
}
