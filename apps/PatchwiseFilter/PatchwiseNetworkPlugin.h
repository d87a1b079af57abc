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
#ifndef PatchwiseNetworkPlugin_h
#define PatchwiseNetworkPlugin_h

#include "PatchwiseRun.h"

#include <cstddef>

/** The network half of PatchwiseFilter, `--model`, lives in a plugin of its
 * own, PatchwiseFilterNetwork (PatchwiseFilterNetwork.cxx: libtorch and
 * TorchScriptPatchImageFilter), loaded when a network is to run. libtorch's
 * start-up (its operators' registration, about 0.8 s on one core) is then
 * paid by `--model` runs only, not by `--help`, Slicer's `--xml` at its start,
 * a `--process` run or a refused argument. (In the sanitized build the tests
 * run `--model` without LeakSanitizer: test/PatchwiseFilterProgram.h says why.)
 *
 * The plugin is looked for beside the executable (the build tree) and in
 * PatchwiseFilter_NETWORK_PLUGIN_DIRECTORY relative to it (the installed
 * tree); the first found is loaded, and a damaged one (cut short, damaged
 * inside so that loading it crashes, another build's) is reported rather than
 * passed over. Whether loading it crashes is tried in a child process first,
 * which pays libtorch's start-up once more. Its one entry point,
 * PatchwiseNetworkEntryPoints, returns these functions. */
struct PatchwiseNetworkFunctions
{
  /** sizeof(PatchwiseNetworkFunctions), PatchStreaming_VERSION and
   * PatchwiseNetwork_INTERFACE_DIGEST (the headers' digest: every type passed or
   * shared, PatchwiseNetworkInterface.cmake), as the plugin was built: a plugin of
   * another build is refused, not called. Always the first members. */
  std::size_t  size;
  const char * version;
  const char * interfaceDigest;
  /** reader -> PatchExtractor -> TorchScriptPatchImageFilter -> PatchMerger
   * (probabilities or labels) -> writer on a 2-D or 3-D float image of
   * `components` components per pixel (PatchwiseNetworkRun.h, RunNetwork). */
  PatchwiseRunResult<2> (*runNetwork2D)(const PatchwiseFilterSettings & settings,
                                        unsigned int                    components,
                                        const std::string &             outputFile,
                                        PatchwiseProgressBar *          progress);
  PatchwiseRunResult<3> (*runNetwork3D)(const PatchwiseFilterSettings & settings,
                                        unsigned int                    components,
                                        const std::string &             outputFile,
                                        PatchwiseProgressBar *          progress);
  /** itk::TorchScriptModel::IsCudaAvailable: whether libtorch sees a CUDA device. */
  bool (*isCudaAvailable)();
};

/** The name of the plugin's entry point,
 * `extern "C" const PatchwiseNetworkFunctions * PatchwiseNetworkEntryPoints()`. */
constexpr const char * PatchwiseNetworkEntryPointName = "PatchwiseNetworkEntryPoints";

/** The plugin's functions, the plugin loaded at the first call. Throws
 * std::runtime_error naming each file tried and the loader's error when it
 * cannot be loaded (a missing plugin or libtorch). */
const PatchwiseNetworkFunctions &
NetworkPlugin();

/** The network on a VDimension-D image, through the plugin. */
template <unsigned int VDimension>
PatchwiseRunResult<VDimension>
RunNetworkPlugin(const PatchwiseFilterSettings & settings,
                 unsigned int                    components,
                 const std::string &             outputFile,
                 PatchwiseProgressBar *          progress)
{
  static_assert(VDimension == 2 || VDimension == 3, "PatchwiseFilter runs on 2-D and 3-D images");
  if constexpr (VDimension == 2)
  {
    return NetworkPlugin().runNetwork2D(settings, components, outputFile, progress);
  }
  else
  {
    return NetworkPlugin().runNetwork3D(settings, components, outputFile, progress);
  }
}

#endif
