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
#ifndef PatchwiseFilterProgram_h
#define PatchwiseFilterProgram_h

// What the tests of PatchwiseFilter share: running the program as a user
// runs it, in a directory of its own for each test.
#include "itkImageFileWriter.h"
#include "itkMetaImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"
#include "itkPNGImageIOFactory.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace PatchwiseFilterTest
{
namespace fs = std::filesystem;

struct ProgramRun
{
  int         status{ -1 };
  std::string out{};
  std::string err{};
};

inline std::string
Contents(const fs::path & file)
{
  std::ifstream     in(file, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

/** A directory of its own for each test, removed afterwards. */
class PatchwiseFilterProgram : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    itk::NrrdImageIOFactory::RegisterOneFactory();
    itk::MetaImageIOFactory::RegisterOneFactory();
    itk::PNGImageIOFactory::RegisterOneFactory();
    const auto * test = ::testing::UnitTest::GetInstance()->current_test_info();
    m_Directory = fs::temp_directory_path() /
                  ("PatchwiseFilterGTest-" + std::string(test->name()) + "-" + std::to_string(getpid()));
    fs::remove_all(m_Directory);
    fs::create_directories(m_Directory);
  }

  void
  TearDown() override
  {
    fs::remove_all(m_Directory);
  }

  std::string
  Path(const std::string & name) const
  {
    return (m_Directory / name).string();
  }

  /** Runs the program with `arguments` (each passed as one argument, as Slicer passes them),
   * in `workingDirectory` when one is given, with the files it writes limited to
   * `fileSizeLimit` bytes when that is not 0 (prlimit; SIGXFSZ ignored, so that a write past
   * the limit fails as on a full disk), and its open files to `openFileLimit` when that is not 0. */
  ProgramRun
  Run(const std::vector<std::string> & arguments,
      const std::string &              workingDirectory = "",
      std::uintmax_t                   fileSizeLimit = 0,
      std::uintmax_t                   openFileLimit = 0) const
  {
    const std::string limit =
      (fileSizeLimit == 0 && openFileLimit == 0)
        ? ""
        : "prlimit " + (fileSizeLimit == 0 ? "" : "--fsize=" + std::to_string(fileSizeLimit) + " ") + // util-linux
            (openFileLimit == 0 ? "" : "--nofile=" + std::to_string(openFileLimit) + " ");
    std::string command = (workingDirectory.empty() ? "" : "cd '" + workingDirectory + "' && ") +
                          (fileSizeLimit == 0 ? "" : "trap '' XFSZ; ") + LeakCheckSetting(arguments) + limit +
                          m_Wrapper + "'" + m_Program + "'";
    for (const auto & argument : arguments)
    {
      command += " '" + argument + "'";
    }
    command += " > '" + Path("stdout.txt") + "' 2> '" + Path("stderr.txt") + "'";
    ProgramRun run;
    const int  status = std::system(command.c_str());
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = Contents(Path("stdout.txt"));
    run.err = Contents(Path("stderr.txt"));
    fs::remove(Path("stdout.txt"));
    fs::remove(Path("stderr.txt"));
    return run;
  }

  /** Under the sanitizers, a run that loads a network (--model) runs without LeakSanitizer:
   * GCC 12's crashes at exit ("Tracer caught signal 11") scanning the thread-local storage
   * of libtorch, which the network plugin loads with dlopen. AddressSanitizer and UBSan
   * stay on; the network's own code is leak-checked in the tests' processes, which link
   * libtorch. Elsewhere: nothing. */
  static std::string
  LeakCheckSetting(const std::vector<std::string> & arguments)
  {
#ifdef PatchwiseFilter_NETWORK_RUNS_WITHOUT_LEAK_CHECK
    for (const auto & argument : arguments)
    {
      if (argument == "--model" || argument.rfind("--model=", 0) == 0)
      {
        return "ASAN_OPTIONS=\"${ASAN_OPTIONS}:detect_leaks=0\" ";
      }
    }
#endif
    (void)arguments;
    return "";
  }

  /** A run of `arguments` fails: a non-zero exit, one line on stderr,
   * "PatchwiseFilter: " and `problem` in it, and the directory holds only `kept`.
   * Returns the run, for what its stdout holds. */
  ProgramRun
  ExpectRejected(const std::vector<std::string> & arguments,
                 const std::string &              problem,
                 const std::set<std::string> &    kept) const
  {
    const auto  run = Run(arguments);
    std::string shown;
    for (const auto & argument : arguments)
    {
      shown += argument + " ";
    }
    EXPECT_NE(run.status, 0) << shown;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << shown << ": " << run.err;
    EXPECT_EQ(run.err.rfind("PatchwiseFilter: ", 0), 0u) << run.err;
    EXPECT_NE(run.err.find(problem), std::string::npos) << shown << ": " << run.err;
    // Written for a person: no ITK prefix, no object address.
    EXPECT_EQ(run.err.find("ITK ERROR"), std::string::npos) << shown << ": " << run.err;
    EXPECT_EQ(run.err.find("(0x"), std::string::npos) << shown << ": " << run.err;
    EXPECT_EQ(FilesOtherThan(kept), std::set<std::string>{}) << shown;
    return run;
  }

  /** What the directory holds besides the given files. */
  std::set<std::string>
  FilesOtherThan(const std::set<std::string> & expected) const
  {
    std::set<std::string> others;
    for (const auto & entry : fs::directory_iterator(m_Directory))
    {
      if (expected.count(entry.path().filename().string()) == 0)
      {
        others.insert(entry.path().filename().string());
      }
    }
    return others;
  }

  fs::path    m_Directory;
  std::string m_Program{ PatchwiseFilter_EXECUTABLE }; // the program Run starts
  std::string m_Wrapper{};                             // a command Run starts it through ("setpriv ... "), or nothing
};

template <typename TImage>
void
Write(const TImage * image, const std::string & file)
{
  auto writer = itk::ImageFileWriter<TImage>::New();
  writer->SetInput(image);
  writer->SetFileName(file);
  writer->Update();
}


/** The same region, and spacing, origin and direction up to the files'
 * decimal rounding (NRRD stores spacing times direction). */
template <typename TImage>
void
ExpectSameGeometry(const TImage * expected, const TImage * actual)
{
  constexpr unsigned int Dimension = TImage::ImageDimension;
  EXPECT_EQ(expected->GetLargestPossibleRegion(), actual->GetLargestPossibleRegion());
  for (unsigned int i = 0; i < Dimension; ++i)
  {
    EXPECT_NEAR(expected->GetSpacing()[i], actual->GetSpacing()[i], 1e-12);
    EXPECT_NEAR(expected->GetOrigin()[i], actual->GetOrigin()[i], 1e-12);
    for (unsigned int j = 0; j < Dimension; ++j)
    {
      EXPECT_NEAR(expected->GetDirection()[i][j], actual->GetDirection()[i][j], 1e-12);
    }
  }
}

/** The SlicerExecutionModel progress blocks of a run's stdout, which must
 * hold nothing else: the fractions of the <filter-progress> blocks, between
 * one <filter-start> and one <filter-end>. */
inline std::vector<double>
SlicerProgress(const std::string & out)
{
  std::vector<double> fractions;
  int                 starts = 0, ends = 0;
  for (std::size_t at = out.find_first_not_of(" \n"); at != std::string::npos;)
  {
    std::string tag;
    for (const std::string name : { "filter-start", "filter-progress", "filter-end" })
    {
      tag = out.compare(at, name.size() + 2, "<" + name + ">") == 0 ? name : tag;
    }
    const std::string close = "</" + tag + ">";
    const std::size_t closeAt = tag.empty() ? std::string::npos : out.find(close, at);
    if (closeAt == std::string::npos)
    {
      ADD_FAILURE() << "outside the blocks: " << out.substr(at);
      break;
    }
    const std::size_t contentAt = at + tag.size() + 2;
    const std::string content = out.substr(contentAt, closeAt - contentAt);
    EXPECT_EQ(ends, 0) << "a block after <filter-end>";
    starts += tag == "filter-start" ? 1 : 0;
    ends += tag == "filter-end" ? 1 : 0;
    EXPECT_TRUE(starts == 1) << "progress before <filter-start>, or two of them";
    if (tag == "filter-progress")
    {
      fractions.push_back(std::stod(content));
    }
    if (tag == "filter-end")
    {
      EXPECT_NE(content.find("<filter-time>"), std::string::npos) << content;
    }
    at = out.find_first_not_of(" \n", closeAt + close.size());
  }
  EXPECT_EQ(ends, 1);
  return fractions;
}

} // namespace PatchwiseFilterTest

#endif
