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
#ifndef itkPatchPixelComponents_h
#define itkPatchPixelComponents_h

#include "itkDefaultConvertPixelTraits.h"
#include "itkMacro.h"
#include "itkNumericTraits.h"
#include "itkPatchValueConversion.h"

#include <vector>

namespace itk
{
namespace PatchStreamingDetail
{
/** \brief The patch filters see every image as a flat array of components
 * (C per pixel) so that scalar images, Image<Vector<T, C>> and VectorImage
 * share one code path.
 *
 * \ingroup PatchStreaming
 */
template <typename TImage>
using PixelComponentType = typename DefaultConvertPixelTraits<typename TImage::PixelType>::ComponentType;

/** The image's buffer as components (Image<Vector<T, C>> stores C contiguous T per pixel). */
template <typename TImage>
PixelComponentType<TImage> *
GetComponentBuffer(TImage * image)
{
  return reinterpret_cast<PixelComponentType<TImage> *>(image->GetBufferPointer());
}

template <typename TImage>
const PixelComponentType<TImage> *
GetComponentBuffer(const TImage * image)
{
  return reinterpret_cast<const PixelComponentType<TImage> *>(image->GetBufferPointer());
}

/** The output stack's information from the input stack's, as ImageBase::CopyInformation
 * copies it (largest region, spacing, origin, direction), but for the number of components,
 * which the filter sets once itself: setting the input's first (1 for a scalar stack) and then
 * its own would mark the output modified at every UpdateOutputInformation after an update, so
 * that the filter after it (a merger) ran again, and asked for every patch again, on every
 * Update. Each setter marks the output modified only when its value changes. */
template <typename TInput, typename TOutput>
void
CopyInformationButComponents(const TInput & input, TOutput & output)
{
  output.SetLargestPossibleRegion(input.GetLargestPossibleRegion());
  output.SetSpacing(input.GetSpacing());
  output.SetOrigin(input.GetOrigin());
  output.SetDirection(input.GetDirection());
}

/** A pixel value (a padding or background value) as `components` values of
 * type TComponent. An empty VariableLengthVector means all zeros; a pixel of
 * another length throws an itk::ExceptionObject naming `parameter`. */
template <typename TComponent, typename TPixel>
std::vector<TComponent>
PixelToComponents(const TPixel & value, unsigned int components, const char * parameter)
{
  const unsigned int length = NumericTraits<TPixel>::GetLength(value);
  if (length == 0)
  {
    return std::vector<TComponent>(components, TComponent{});
  }
  if (length != components)
  {
    itkGenericExceptionMacro(<< parameter << " has " << length << " components but the image has " << components
                             << " per pixel");
  }
  std::vector<TComponent> result(components);
  for (unsigned int c = 0; c < components; ++c)
  {
    result[c] = ConvertValue<TComponent>(DefaultConvertPixelTraits<TPixel>::GetNthComponent(c, value));
  }
  return result;
}
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
