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
#ifndef itkPatchStreamingEnums_h
#define itkPatchStreamingEnums_h

#include "PatchStreamingExport.h"
#include <cstdint>
#include <ostream>
#include <string>

namespace itk
{
/** \class PatchStreamingEnums
 * \brief Enums shared by the patch grid, the extractor and the merger.
 *
 * Each enum has an operator<< in ITK's style (fully qualified name) and a
 * short name (ToString / ...FromString) used in a stack's MetaDataDictionary
 * and on command lines.
 *
 * \sa PatchGrid, PatchExtractor, PatchMerger
 * \ingroup PatchStreaming
 */
class PatchStreamingEnums
{
public:
  /** What happens when (L - P) is not a multiple of the stride (docs/design.md section 3). */
  enum class BorderMode : uint8_t
  {
    Squeeze,
    Edge,
    Adaptive,
    Crop,
    Pad
  };

  /** Where voxels outside the image come from. */
  enum class Padding : uint8_t
  {
    Constant,
    ZeroFluxNeumann,
    Mirror,
    Periodic
  };

  /** The 1-D window profile used to blend overlapping patches. */
  enum class Weighting : uint8_t
  {
    Average,
    Gaussian,
    Hann,
    Crop,
    Custom
  };
};

extern PatchStreaming_EXPORT std::ostream &
                             operator<<(std::ostream & out, const PatchStreamingEnums::BorderMode value);
extern PatchStreaming_EXPORT std::ostream &
                             operator<<(std::ostream & out, const PatchStreamingEnums::Padding value);
extern PatchStreaming_EXPORT std::ostream &
                             operator<<(std::ostream & out, const PatchStreamingEnums::Weighting value);

/** Short names ("Squeeze", "ZeroFluxNeumann", "Gaussian", ...). */
PatchStreaming_EXPORT std::string
                      ToString(PatchStreamingEnums::BorderMode value);
PatchStreaming_EXPORT std::string
                      ToString(PatchStreamingEnums::Padding value);
PatchStreaming_EXPORT std::string
                      ToString(PatchStreamingEnums::Weighting value);

/** Parse a short name (case-insensitive); an unknown name throws an itk::ExceptionObject naming it. */
PatchStreaming_EXPORT PatchStreamingEnums::BorderMode
                      BorderModeFromString(const std::string & name);
PatchStreaming_EXPORT PatchStreamingEnums::Padding
                      PaddingFromString(const std::string & name);
PatchStreaming_EXPORT PatchStreamingEnums::Weighting
                      WeightingFromString(const std::string & name);
} // end namespace itk

#endif
