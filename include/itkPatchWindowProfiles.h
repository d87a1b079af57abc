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
#ifndef itkPatchWindowProfiles_h
#define itkPatchWindowProfiles_h

#include "PatchStreamingExport.h"
#include "itkIntTypes.h"

#include <vector>

namespace itk
{
/** \brief The 1-D blending windows of docs/design.md section 4, for a window of
 * `length` voxels, t = 0 .. length-1.
 *
 * Gaussian: exp(-(t-c)^2 / (2 sigma^2)), c = (length-1)/2,
 * sigma = sigmaScale * length, amplitude 1 (the peak voxel is 1 for odd
 * lengths, slightly less for even ones); values below minimumWeight are
 * raised to it, so every voxel of the window keeps a positive weight.
 * Throws an itk::ExceptionObject naming SigmaScale or MinimumWeight and the
 * value when sigmaScale is not positive and finite or minimumWeight is not in [0, 1].
 *
 * \ingroup PatchStreaming
 */
PatchStreaming_EXPORT std::vector<double>
                      GaussianWindowProfile(SizeValueType length, double sigmaScale, double minimumWeight);

/** \brief Hann: sin^2(pi (t+1) / (length+1)), positive on every voxel of the window.
 * \ingroup PatchStreaming */
PatchStreaming_EXPORT std::vector<double>
                      HannWindowProfile(SizeValueType length);

/** \brief A user profile given for full-length patches, fitted to a window of
 * `length` voxels (Adaptive's shorter patches): linear interpolation at
 * u = t (P-1)/(length-1), so the first and last values stay at the ends; a
 * one-voxel window takes the value at the profile's center (P-1)/2. The
 * profile must not be empty.
 * \ingroup PatchStreaming */
PatchStreaming_EXPORT std::vector<double>
                      ResampledWindowProfile(const std::vector<double> & profile, SizeValueType length);
} // end namespace itk

#endif
