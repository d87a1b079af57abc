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
#include "PatchwiseNetworkPlugin.h"

#include <dlfcn.h>

#include <filesystem>
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

const PatchwiseNetworkFunctions &
LoadNetworkPlugin()
{
  std::string failures;
  for (const auto & candidate : PluginCandidates())
  {
    if (!std::filesystem::exists(candidate))
    {
      failures += (failures.empty() ? "" : "; ") + candidate.string() + " does not exist";
      continue;
    }
    // Never closed: libtorch is not unloaded safely, and the program ends soon after the run.
    void * const plugin = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (plugin == nullptr)
    {
      throw std::runtime_error("--model needs PatchwiseFilter's network plugin, which cannot be loaded: " +
                               std::string(dlerror()));
    }
    using EntryPoints = const PatchwiseNetworkFunctions * (*)();
    const auto entryPoints = reinterpret_cast<EntryPoints>(dlsym(plugin, PatchwiseNetworkEntryPointName));
    if (entryPoints == nullptr)
    {
      throw std::runtime_error("--model needs PatchwiseFilter's network plugin, and " + candidate.string() +
                               " is not it: " + std::string(dlerror()));
    }
    return *entryPoints();
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
