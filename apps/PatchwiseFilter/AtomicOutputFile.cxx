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

#include <cerrno>
#include <cstring>
#include <filesystem>
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
