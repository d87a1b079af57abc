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
#include "ImageFileNames.h"
#include "PatchwiseMessages.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace
{
/** The most files FilesWrittenFor gives (.mhd: the header, .raw and .zraw). */
constexpr std::size_t MaximumFilesWritten = 3;

/** What an interrupted run removes: the private directory of an
 * AtomicOutputFile alive and the files a writer may have put there, in fixed
 * buffers, as a signal handler may call only async-signal-safe functions
 * (unlink, rmdir, signal, raise). */
struct UncommittedFiles
{
  std::atomic<bool> armed{ false };
  char              directory[PATH_MAX]{};
  char              files[MaximumFilesWritten][PATH_MAX]{};
};

/** One for each output the program writes at once (output or label map, preview), and spares. */
std::array<UncommittedFiles, 4> Uncommitted;

/** Above 0 while Commit() moves files into place: a signal then, in whichever thread takes it, is
 * held in HeldSignal and raised by Commit() once every file is in place. */
std::atomic<int> Committing{ 0 };
std::atomic<int> HeldSignal{ 0 };

extern "C" void
RemoveUncommittedFilesAndReraise(int signalNumber)
{
  if (Committing.load() > 0)
  {
    int none = 0;
    HeldSignal.compare_exchange_strong(none, signalNumber);
    return;
  }
  for (auto & uncommitted : Uncommitted)
  {
    if (uncommitted.armed.load())
    {
      for (const char * file : uncommitted.files)
      {
        if (file[0] != '\0')
        {
          unlink(file);
        }
      }
      rmdir(uncommitted.directory);
    }
  }
  std::signal(signalNumber, SIG_DFL);
  std::raise(signalNumber); // the exit status says which signal ended the run, as without the handler
}

/** Ends a Commit(): raises the signal held meanwhile, when the last one running is done. */
void
RaiseHeldSignal()
{
  if (Committing.fetch_sub(1) == 1)
  {
    if (const int held = HeldSignal.exchange(0))
    {
      std::raise(held);
    }
  }
}

/** Ctrl-C, kill's default, a closed terminal and a closed pipe (stdout into `| head`) remove what was not committed;
 * a signal the caller ignores (nohup, a background job's SIGINT) stays ignored.
 * SIGKILL cannot be caught. */
void
InstallSignalHandlersOnce()
{
  static std::once_flag installed;
  std::call_once(installed, [] {
    for (const int signalNumber : { SIGINT, SIGTERM, SIGHUP, SIGPIPE })
    {
      struct sigaction action = {};
      struct sigaction previous = {};
      action.sa_handler = RemoveUncommittedFilesAndReraise;
      sigemptyset(&action.sa_mask);
      if (sigaction(signalNumber, nullptr, &previous) == 0 && previous.sa_handler != SIG_IGN)
      {
        sigaction(signalNumber, &action, nullptr);
      }
    }
  });
}

/** Arms a free entry with `directory` and `files`; -1 when none is free or a path is too long (then
 * a signal leaves them, as it did without the handler). */
int
ArmRemoval(const std::string & directory, const std::vector<std::string> & files)
{
  InstallSignalHandlersOnce();
  const auto fits = [](const std::string & path) { return path.size() < PATH_MAX; };
  if (!fits(directory) || files.size() > MaximumFilesWritten || !std::all_of(files.begin(), files.end(), fits))
  {
    return -1;
  }
  for (std::size_t entry = 0; entry < Uncommitted.size(); ++entry)
  {
    auto & uncommitted = Uncommitted[entry];
    if (!uncommitted.armed.load())
    {
      std::strcpy(uncommitted.directory, directory.c_str());
      for (std::size_t f = 0; f < MaximumFilesWritten; ++f)
      {
        std::strcpy(uncommitted.files[f], f < files.size() ? files[f].c_str() : "");
      }
      uncommitted.armed.store(true);
      return static_cast<int>(entry);
    }
  }
  return -1;
}
/** Rewrites the MetaImage header `header` so that its ElementDataFile `from` reads `to`. */
void
RenameDataFileInHeader(const std::string & header, const std::string & from, const std::string & to)
{
  std::ifstream in(header, std::ios::binary);
  std::string   text;
  std::string   line;
  bool          found = false;
  while (std::getline(in, line))
  {
    if (!found && HeaderFieldValue(line, "ElementDataFile") == from)
    {
      line = "ElementDataFile = " + to;
      found = true;
    }
    text += line + "\n";
  }
  in.close();
  if (!found)
  {
    throw std::runtime_error("the MetaImage header \"" + header + "\" does not name its data file \"" + from + "\"");
  }
  std::ofstream out(header, std::ios::binary | std::ios::trunc);
  if (!(out << text).flush())
  {
    throw std::runtime_error("cannot rewrite the MetaImage header \"" + header + "\": " + std::strerror(errno));
  }
}

/** Throws, naming `what` and `path`, when `path` is a .mhd whose data file name (its stem and
 * .raw) MetaIO would not read as one file: a name starting with LIST is read as a list of
 * files, one with a '%' as a pattern of numbered files, so the image would not read back
 * (ITK's own writer writes such a name as numbered slices, which the hidden directory's
 * renaming does not keep). The Python package refuses the same names (_check_output_files). */
void
CheckMetaImageDataFileName(const std::string & path, const std::string & what)
{
  const std::string stem = fs::path(path).stem().string();
  const bool        list = stem.rfind("LIST", 0) == 0;
  if (list || stem.find('%') != std::string::npos)
  {
    throw std::runtime_error(what + " \"" + path + "\": MetaImage reads a data file name " +
                             (list ? "starting with LIST as a list of files" : "with a '%' as a pattern of numbered files") +
                             " (" + stem + ".raw), so the image would not read back: rename it, or write .mha (one file)");
  }
}
/** A file `replacement` about to be moved over `existing` takes its permissions (a private
 * 0600 result stays private, a group-shared 0664 one shared; not the setuid, setgid or sticky
 * bits), as a writer opening `existing` itself would keep them. A data file new beside an
 * existing header (x.raw where x.zraw was) takes the header's, `sibling`'s. A symbolic link,
 * which the file replaces, or no file keeps the 0666 less the umask it was created with. */
void
KeepPermissionsOf(const fs::path & existing, const fs::path & replacement, const fs::path & sibling)
{
  std::error_code ignored;
  auto            status = fs::symlink_status(existing, ignored);
  if (!fs::exists(status))
  {
    status = fs::symlink_status(sibling, ignored);
  }
  if (fs::is_regular_file(status))
  {
    fs::permissions(replacement, status.permissions() & fs::perms::all, fs::perm_options::replace);
  }
}
} // namespace

AtomicOutputFile::AtomicOutputFile(const std::string & path, const std::string & what)
  : m_Path(path)
{
  const fs::path target(path);
  if (fs::is_directory(target))
  {
    throw std::runtime_error(what + " \"" + path + "\" is a directory");
  }
  if (LowercaseExtension(path) == ".mhd")
  {
    CheckMetaImageDataFileName(path, what);
  }
  for (const auto & file : FilesWrittenFor(path)) // a device, FIFO or socket would be replaced by a file
  {
    std::error_code ignored;
    const auto      status = fs::symlink_status(file, ignored); // a link is replaced, not what it names
    if (fs::exists(status) && !fs::is_regular_file(status) && !fs::is_directory(status) && !fs::is_symlink(status))
    {
      throw std::runtime_error(what + " \"" + path + "\": \"" + file +
                               "\" is not a regular file (a device, FIFO or socket), which the output would "
                               "replace: give the name of a file");
    }
    // Replaced by a rename, which asks only the folder: a file the user may not write to (as the
    // shell's > and ITK's writers refuse it) is refused here; not a compressed data file the
    // writers never make (x.zraw, x.raw.gz), left as it is.
    if (fs::is_regular_file(status) && !IsCompressedDataFile(file) &&
        faccessat(AT_FDCWD, file.c_str(), W_OK, AT_EACCESS) != 0 &&
        (errno == EACCES || errno == EPERM || errno == EROFS))
    {
      throw std::runtime_error(what + " \"" + path + "\": \"" + file +
                               "\" is read-only: make it writable (chmod u+w) or write to another file");
    }
  }
  const auto [header, dataFile] = HeaderSharingDataFile(path);
  if (!header.empty())
  {
    throw std::runtime_error(what + " \"" + path + "\" would overwrite \"" + dataFile + "\", the data file of \"" +
                             header + "\" beside it: write to another file (or remove \"" + header + "\" first)");
  }
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string    pattern = (parent / ".PatchwiseFilter-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
  {
    // The directory is named whatever the reason: "Permission denied" or "Read-only file system"
    // alone does not say where, and one that exists and still answers "No such file or
    // directory" (/proc) holds no files.
    const int error = errno;
    throw std::runtime_error("cannot write " + what + " \"" + path + "\": no file can be made in the directory \"" +
                             parent.string() + "\" (the system answers: " + std::strerror(error) + "): write elsewhere");
  }
  m_Directory = pattern;
  // MetaIO writes the second and later pieces of a streamed .mhd into the data
  // file its header names (target.raw) as found from the working directory
  // first, so a target.raw there (an earlier output, the input's data) would
  // receive them. The private directory's own name, which no file there has,
  // keeps them in it; Commit() gives the files the target's name.
  const bool metaHeader = LowercaseExtension(path) == ".mhd";
  const auto unique = fs::path(m_Directory).filename().string().substr(1); // "PatchwiseFilter-XXXXXX"
  m_TemporaryPath =
    (fs::path(m_Directory) / (metaHeader ? unique + target.extension().string() : target.filename().string())).string();
  m_Removal = ArmRemoval(m_Directory, FilesWrittenFor(m_TemporaryPath));
}

AtomicOutputFile::~AtomicOutputFile()
{
  if (m_Removal >= 0)
  {
    Uncommitted[m_Removal].armed.store(false);
  }
  std::error_code ignored;
  fs::remove_all(m_Directory, ignored);
}

void
AtomicOutputFile::Commit()
{
  CommitTogether({ this });
}

void
AtomicOutputFile::CommitTogether(const std::vector<AtomicOutputFile *> & files)
{
  // A signal between two renames would leave a new data file with the old header, or a new preview
  // with the old output: the handler holds it until every file is in place (then it finds nothing
  // of these outputs left to remove).
  Committing.fetch_add(1);
  try
  {
    for (AtomicOutputFile * file : files)
    {
      file->MoveIntoPlace();
    }
  }
  catch (...)
  {
    RaiseHeldSignal();
    throw;
  }
  RaiseHeldSignal();
}

void
AtomicOutputFile::MoveIntoPlace()
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
  const fs::path written(m_TemporaryPath);
  const fs::path target(m_Path);
  for (const auto & file : dataFiles)
  {
    // A data file written under the private name takes the target's (x.raw for x.mhd),
    // in the header first, so that a failed rewrite moves nothing.
    const bool        renamed = file.stem() == written.stem() && written.filename() != target.filename();
    const std::string name = renamed ? target.stem().string() + file.extension().string() : file.filename().string();
    if (renamed)
    {
      RenameDataFileInHeader(m_TemporaryPath, file.filename().string(), name);
    }
    KeepPermissionsOf(parent / name, file, target);
    fs::rename(file, parent / name);
  }
  KeepPermissionsOf(target, written, target);
  fs::rename(m_TemporaryPath, m_Path);
}
