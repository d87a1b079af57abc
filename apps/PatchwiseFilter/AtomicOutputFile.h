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
#ifndef AtomicOutputFile_h
#define AtomicOutputFile_h

#include <string>
#include <vector>

/** Writes an output file so that the target is never left half-written: the
 * writer writes into a private directory next to the target (same file
 * system), and Commit() renames what it wrote into place, the named file
 * last, each rename atomic. Two-file formats (.mhd + .raw, .nhdr + .raw)
 * keep their relative data file names. Whatever was not committed is removed
 * by the destructor, and by SIGINT (Ctrl-C), SIGTERM, SIGHUP or SIGPIPE (a closed pipe), which then
 * end the program as they would have (SIGKILL cannot be caught: it leaves
 * the hidden directory, named .PatchwiseFilter-XXXXXX). */
class AtomicOutputFile
{
public:
  /** Throws std::runtime_error naming `what` (the option or argument that
   * gave the path, e.g. "output" or "--preview") and the path when its
   * directory does not exist, is not writable, the path is a directory, or a
   * file it would write exists and is not a regular file (a device, a FIFO). */
  AtomicOutputFile(const std::string & path, const std::string & what);
  ~AtomicOutputFile();

  AtomicOutputFile(const AtomicOutputFile &) = delete;
  AtomicOutputFile &
  operator=(const AtomicOutputFile &) = delete;

  /** Where the writer writes: the target's file name inside the private directory. */
  const std::string &
  GetTemporaryPath() const
  {
    return m_TemporaryPath;
  }

  /** Moves every file written into place, the target itself last; SIGINT, SIGTERM, SIGHUP and
   * SIGPIPE meanwhile are held by the handler and raised afterwards: all the files, or none. */
  void
  Commit();

  /** Commit() for several outputs of one run (the output and its preview): the signals held
   * until the last file of the last output is in place. */
  static void
  CommitTogether(const std::vector<AtomicOutputFile *> & files);

private:
  void
  MoveIntoPlace();

  std::string m_Path;
  std::string m_Directory;
  std::string m_TemporaryPath;
  int         m_Removal{ -1 }; // the entry SIGINT, SIGTERM, SIGHUP and SIGPIPE remove the directory by; -1: none
};

#endif
