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
#include "AtomicOutputFile.h"
#include "PatchwiseMessages.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include <stdlib.h>

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
/** The value after `key` on the first line of the header that starts with it
 * (its spaces trimmed), or "" when no line does. */
std::string
HeaderValue(const fs::path & header, const std::string & key)
{
  std::ifstream stream(header);
  std::string   line;
  while (std::getline(stream, line))
  {
    if (line.rfind(key, 0) == 0)
    {
      const auto first = line.find_first_not_of(" \t", key.size());
      const auto last = line.find_last_not_of(" \t\r");
      return first == std::string::npos ? std::string() : line.substr(first, last + 1 - first);
    }
  }
  return {};
}
} // namespace

std::vector<std::string>
FilesReadFor(const std::string & path)
{
  const fs::path           file(path);
  const std::string        extension = LowercaseExtension(path);
  std::vector<std::string> files{ path };
  std::string              data;
  if (extension == ".mhd")
  {
    data = HeaderValue(file, "ElementDataFile =");
    data = data == "LOCAL" || data.rfind("LIST", 0) == 0 ? std::string() : data;
  }
  else if (extension == ".nhdr")
  {
    data = HeaderValue(file, "data file:");
    data = data.empty() ? HeaderValue(file, "datafile:") : data;
    data = data.rfind("LIST", 0) == 0 || data.find('%') != std::string::npos ? std::string() : data;
  }
  else if (extension == ".hdr" || extension == ".img")
  {
    data = fs::path(file).replace_extension(extension == ".hdr" ? ".img" : ".hdr").filename().string();
  }
  if (!data.empty())
  {
    files.push_back((file.parent_path() / data).string());
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
  else if (extension == ".hdr")
  {
    files.push_back(beside(".img"));
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

AtomicOutputFile::AtomicOutputFile(const std::string & path, const std::string & what)
  : m_Path(path)
{
  const fs::path target(path);
  if (fs::is_directory(target))
  {
    throw std::runtime_error(what + " \"" + path + "\" is a directory");
  }
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string    pattern = (parent / ".PatchwiseFilter-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
  {
    throw std::runtime_error("cannot write " + what + " \"" + path + "\": " + std::strerror(errno));
  }
  m_Directory = pattern;
  m_TemporaryPath = (fs::path(m_Directory) / target.filename()).string();
}

AtomicOutputFile::~AtomicOutputFile()
{
  std::error_code ignored;
  fs::remove_all(m_Directory, ignored);
}

void
AtomicOutputFile::Commit()
{
  const fs::path        parent = fs::path(m_Path).has_parent_path() ? fs::path(m_Path).parent_path() : fs::path(".");
  std::vector<fs::path> dataFiles;
  for (const auto & entry : fs::directory_iterator(m_Directory))
  {
    if (entry.path() != fs::path(m_TemporaryPath))
    {
      dataFiles.push_back(entry.path());
    }
  }
  for (const auto & file : dataFiles)
  {
    fs::rename(file, parent / file.filename());
  }
  fs::rename(m_TemporaryPath, m_Path);
}
