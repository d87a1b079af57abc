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
#include "PatchwiseNetworkInterface.h"
#include "PatchwiseNetworkPlugin.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{
/** Where the plugin may be: beside the executable, then in the installed tree's library directory. */
std::vector<std::filesystem::path>
PluginCandidates()
{
  std::error_code             error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::filesystem::path directory = error ? std::filesystem::path(".") : executable.parent_path();
  const std::string           name = PatchwiseFilter_NETWORK_PLUGIN_FILE;
  return { directory / name, (directory / PatchwiseFilter_NETWORK_PLUGIN_DIRECTORY / name).lexically_normal() };
}

/** Why `file` is not a whole shared library of this program's ELF class, or empty. dlopen
 * maps a file cut short (an interrupted copy) and the process dies of SIGBUS at the first
 * read past its end, so the extent its headers describe is checked against its size first
 * (the ELF header, the program headers and the segments they load, the section headers). */
std::string
DamagedLibrary(const std::filesystem::path & file)
{
  std::ifstream in(file, std::ios::binary);
  ElfW(Ehdr) header{};
  if (!in.read(reinterpret_cast<char *>(&header), sizeof(header)) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
  {
    return "it is not a shared library (no ELF header)";
  }
  if (header.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
      header.e_phentsize != sizeof(ElfW(Phdr)))
  {
    return std::string(); // another class or layout: dlopen says which
  }
  auto extent = static_cast<std::uintmax_t>(header.e_shoff) + std::uintmax_t{ header.e_shnum } * header.e_shentsize;
  const auto              size = std::filesystem::file_size(file);
  std::vector<ElfW(Phdr)> segments(header.e_phnum);
  in.seekg(static_cast<std::streamoff>(header.e_phoff));
  if (!in.read(reinterpret_cast<char *>(segments.data()),
               static_cast<std::streamsize>(sizeof(ElfW(Phdr)) * segments.size())))
  {
    extent = std::max<std::uintmax_t>(extent, header.e_phoff + sizeof(ElfW(Phdr)) * segments.size());
  }
  for (const auto & segment : segments)
  {
    extent = std::max<std::uintmax_t>(extent, static_cast<std::uintmax_t>(segment.p_offset) + segment.p_filesz);
  }
  return extent <= size ? std::string()
                        : "it is cut short (" + std::to_string(size) + " bytes, its headers describe " +
                            std::to_string(extent) + ")";
}

using EntryPoints = const PatchwiseNetworkFunctions * (*)();

/** The plugin's entry point, PatchwiseNetworkEntryPoints, in the loaded `plugin`; nullptr (dlerror
 * says why) when it has none. */
EntryPoints
EntryPointsOf(void * plugin)
{
  return reinterpret_cast<EntryPoints>(dlsym(plugin, PatchwiseNetworkEntryPointName));
}

/** The child of CrashWhenLoaded: loads `file`, calls its entry point, ends with status 0. */
[[noreturn]] void
TryLoading(const std::filesystem::path & file)
{
  prctl(PR_SET_PDEATHSIG, SIGKILL); // ends with the program (killed from outside while a library hangs)
  const rlimit noCore{ 0, 0 };
  setrlimit(RLIMIT_CORE, &noCore); // a crash here is expected and reported: no core file
  const int silent = open("/dev/null", O_WRONLY); // the crash is reported by the program, once
  for (const int output : { STDOUT_FILENO, STDERR_FILENO })
  {
    if (silent < 0 || dup2(silent, output) < 0)
    {
      close(output);
    }
  }
  if (void * const plugin = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL))
  {
    if (const auto entryPoints = EntryPointsOf(plugin))
    {
      entryPoints();
    }
  }
  _exit(0); // neither exit handlers nor the program's buffered output run twice
}

/** How loading `file` in a child process ended, "" when it did not crash. dlopen runs the library's
 * code (its relocations, its constructors and those of the libraries it loads, libtorch's among
 * them), and a library damaged inside (a zeroed .dynamic or .text, which keeps its size) kills the
 * process that loads it: a trial in a child process, before the program loads it itself, turns
 * that into a message. Any end of the child but status 0 (a signal, a sanitizer's report) is a
 * crash, except the signals that stop a program from outside (Ctrl-C, kill), which end this one
 * too or let it go on. The program is single-threaded here (only the arguments have been parsed),
 * so the child may call dlopen. */
std::string
CrashWhenLoaded(const std::filesystem::path & file)
{
  struct sigaction reaped = {}; // SIGCHLD ignored (inherited from a parent) would reap the child unseen
  struct sigaction caller = {};
  reaped.sa_handler = SIG_DFL;
  sigaction(SIGCHLD, &reaped, &caller);
  const pid_t child = fork();
  if (child == 0)
  {
    TryLoading(file);
  }
  int   status = 0;
  pid_t waited = -1;
  while (child > 0 && (waited = waitpid(child, &status, 0)) < 0 && errno == EINTR)
  {
  }
  sigaction(SIGCHLD, &caller, nullptr);
  if (waited != child || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
  {
    return {}; // loaded (or no child to try it in): the program loads it and says what dlopen says
  }
  if (WIFEXITED(status))
  {
    return "a process loading it ended with status " + std::to_string(WEXITSTATUS(status));
  }
  const int signal = WTERMSIG(status);
  for (const int fromOutside : { SIGINT, SIGTERM, SIGHUP, SIGKILL, SIGPIPE, SIGQUIT })
  {
    if (signal == fromOutside)
    {
      return {};
    }
  }
  return "a process loading it was ended by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

/** Why the plugin's functions are not of this program's build, "" when they are: a plugin left
 * from another build would be called with other types. */
std::string
OtherBuild(const PatchwiseNetworkFunctions * functions)
{
  const std::string program = "this program is PatchStreaming " PatchStreaming_VERSION;
  if (functions == nullptr || functions->size != sizeof(PatchwiseNetworkFunctions) || functions->version == nullptr ||
      functions->interfaceDigest == nullptr || functions->runNetwork2D == nullptr ||
      functions->runNetwork3D == nullptr || functions->isCudaAvailable == nullptr)
  {
    return "is another build's (" + program + ")";
  }
  if (std::strcmp(functions->version, PatchStreaming_VERSION) != 0)
  {
    return "is another build's, PatchStreaming " + std::string(functions->version) + " (" + program + ")";
  }
  if (std::strcmp(functions->interfaceDigest, PatchwiseNetwork_INTERFACE_DIGEST) != 0)
  {
    return "is another build's: the same version built from other sources, or with another compiler or ITK (" +
           program + ")";
  }
  return {};
}

/** Loads `file`, or throws std::runtime_error saying why it is not this program's plugin. */
const PatchwiseNetworkFunctions &
LoadPlugin(const std::filesystem::path & file)
{
  const std::string what = "--model needs PatchwiseFilter's network plugin, and " + file.string();
  const std::string remedy = ": copy it again, from the build tree or the installed library directory, with "
                             "libPatchStreamingTorch.so beside it";
  if (const std::string damage = DamagedLibrary(file); !damage.empty())
  {
    throw std::runtime_error(what + " cannot be loaded: " + damage + remedy);
  }
  if (const std::string crash = CrashWhenLoaded(file); !crash.empty())
  {
    throw std::runtime_error(what + " cannot be loaded: loading it crashes (it, or a library it loads such as " +
                             "libtorch, may be damaged): " + crash + remedy +
                             ", and reinstall libtorch if that does not help");
  }
  // Never closed: libtorch is not unloaded safely, and the program ends soon after the run.
  void * const plugin = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (plugin == nullptr)
  {
    throw std::runtime_error(what + " cannot be loaded: " + std::string(dlerror()) + remedy);
  }
  const auto entryPoints = EntryPointsOf(plugin);
  if (entryPoints == nullptr)
  {
    throw std::runtime_error(what + " is not it: " + std::string(dlerror()) + remedy);
  }
  const auto *      functions = entryPoints();
  const std::string otherBuild = OtherBuild(functions);
  if (!otherBuild.empty())
  {
    throw std::runtime_error(what + " " + otherBuild + remedy);
  }
  return *functions;
}

const PatchwiseNetworkFunctions &
LoadNetworkPlugin()
{
  std::string failures;
  for (const auto & candidate : PluginCandidates())
  {
    if (std::filesystem::exists(candidate))
    {
      return LoadPlugin(candidate); // the first found is the one: a damaged one is reported, not passed over
    }
    failures += (failures.empty() ? "" : "; ") + candidate.string() + " does not exist";
  }
  throw std::runtime_error("--model needs PatchwiseFilter's network plugin, which is missing (" + failures +
                           "): install PatchwiseFilter with it, or rebuild");
}
} // namespace

const PatchwiseNetworkFunctions &
NetworkPlugin()
{
  static const PatchwiseNetworkFunctions & functions = LoadNetworkPlugin();
  return functions;
}
