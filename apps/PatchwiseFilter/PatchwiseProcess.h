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
#ifndef PatchwiseProcess_h
#define PatchwiseProcess_h

#include <string>

/** The per-patch processing of `--process`: identity, gaussian:SIGMA_MM
 * (a DiscreteGaussianImageFilter with sigma in millimetres, i.e. in the
 * image's physical units) or median:RADIUS (a MedianImageFilter with a radius
 * in voxels, as ITK's filter takes it). */
struct PatchwiseProcess
{
  enum class Kind
  {
    Identity,
    Gaussian,
    Median
  };
  Kind         kind{ Kind::Identity };
  double       sigma{ 0.0 };
  unsigned int radius{ 0 };

  /** Parses the option's text; throws std::invalid_argument with a one-line
   * message naming the problem. */
  static PatchwiseProcess
  Parse(const std::string & text);

  std::string
  ToString() const;
};

#endif
