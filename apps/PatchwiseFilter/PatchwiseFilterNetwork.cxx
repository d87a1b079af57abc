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
// PatchwiseFilterNetwork: the plugin PatchwiseFilter loads to run --model
// (PatchwiseNetworkPlugin.h says why it is a plugin): the network pipeline of
// PatchwiseNetworkRun.h for 2-D and 3-D images of one or more components,
// with libtorch linked here and not into the executable.
#include "PatchwiseNetworkInterface.h"
#include "PatchwiseNetworkPlugin.h"
#include "PatchwiseNetworkRun.h"
#include "itkTorchScriptModel.h"

namespace
{
/** RunNetwork on itk::Image (one component) or itk::VectorImage, as the executable reads the input. */
template <unsigned int VDimension>
PatchwiseRunResult<VDimension>
RunNetworkOnDimension(const PatchwiseFilterSettings & settings,
                      unsigned int                    components,
                      const std::string &             outputFile,
                      PatchwiseProgressBar *          progress)
{
  return components == 1 ? RunNetwork<itk::Image<float, VDimension>>(settings, components, outputFile, progress)
                         : RunNetwork<itk::VectorImage<float, VDimension>>(settings, components, outputFile, progress);
}

bool
IsCudaAvailable()
{
  return itk::TorchScriptModel::IsCudaAvailable();
}
} // namespace

extern "C" __attribute__((visibility("default"))) const PatchwiseNetworkFunctions *
PatchwiseNetworkEntryPoints()
{
  static const PatchwiseNetworkFunctions functions{ sizeof(PatchwiseNetworkFunctions), PatchStreaming_VERSION,
                                                    PatchwiseNetwork_INTERFACE_DIGEST, &RunNetworkOnDimension<2>,
                                                    &RunNetworkOnDimension<3>,         &IsCudaAvailable };
  return &functions;
}
