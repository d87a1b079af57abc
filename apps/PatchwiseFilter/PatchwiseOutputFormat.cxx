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
#include "PatchwiseOutputFormat.h"

#include "itkImageIOFactory.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace
{
/** "(a, b, c)" of `values`, each to 6 significant digits. */
std::string
Listed(const std::vector<double> & values)
{
  std::ostringstream listed;
  listed.precision(6);
  listed << '(';
  for (std::size_t i = 0; i < values.size(); ++i)
  {
    listed << (i > 0 ? ", " : "") << values[i] + 0.0; // -0 as 0
  }
  listed << ')';
  return listed.str();
}

/** Whether `read` equals `written` to `tolerance` times the larger of `floor` and the value. */
bool
Kept(const std::vector<double> & written, const std::vector<double> & read, double floor)
{
  for (std::size_t i = 0; i < written.size(); ++i)
  {
    if (!(std::abs(read[i] - written[i]) <= 1e-4 * std::max(floor, std::abs(written[i]))))
    {
      return false;
    }
  }
  return true;
}
} // namespace

ProbeDirectory::ProbeDirectory(const std::string & file)
{
  const std::filesystem::path target(file);
  std::string pattern = ((target.has_parent_path() ? target.parent_path() : std::filesystem::path(".")) /
                         ".PatchwiseFilter-probe-XXXXXX")
                          .string();
  if (mkdtemp(pattern.data()) != nullptr)
  {
    m_Path = pattern;
  }
}

ProbeDirectory::~ProbeDirectory()
{
  if (!m_Path.empty())
  {
    std::error_code ignored;
    std::filesystem::remove_all(m_Path, ignored);
  }
}

std::string
LostGeometry(const std::string & probe, const WrittenGeometry & geometry)
{
  WrittenGeometry read;
  try
  {
    const auto io = itk::ImageIOFactory::CreateImageIO(probe.c_str(), itk::IOFileModeEnum::ReadMode);
    if (io != nullptr)
    {
      io->SetFileName(probe);
      io->ReadImageInformation();
      const std::size_t dimension = geometry.spacing.size();
      for (unsigned int d = 0; d < dimension && io->GetNumberOfDimensions() >= dimension; ++d)
      {
        read.spacing.push_back(io->GetSpacing(d));
        read.origin.push_back(io->GetOrigin(d));
      }
      for (unsigned int d = 0; d < dimension && !read.spacing.empty(); ++d) // the direction matrix, row by row
      {
        for (unsigned int e = 0; e < dimension; ++e)
        {
          read.direction.push_back(io->GetDirection(e)[d]);
        }
      }
    }
  }
  catch (const itk::ExceptionObject &)
  {
    read = {};
  }
  if (read.spacing.empty())
  {
    return "";
  }
  std::string lost;
  const auto  compare =
    [&lost](const char * name, const std::vector<double> & written, const std::vector<double> & back, double floor) {
      if (!Kept(written, back, floor))
      {
        lost += std::string(lost.empty() ? "" : "; ") + name + " " + Listed(written) + " reads back as " + Listed(back);
      }
    };
  compare("spacing", geometry.spacing, read.spacing, 0.0);
  compare("origin", geometry.origin, read.origin, 1.0);
  compare("direction", geometry.direction, read.direction, 1.0);
  return lost;
}
