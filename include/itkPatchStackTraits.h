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
#ifndef itkPatchStackTraits_h
#define itkPatchStackTraits_h

#include "itkImage.h"
#include "itkVectorImage.h"

namespace itk
{
/** \class RebindImageDimension
 * \brief The same kind of image with another dimension: Image<P, N> becomes
 * Image<P, D> and VectorImage<T, N> becomes VectorImage<T, D>.
 *
 * The extractor's default stack type and the merger's default output type
 * use it, so a VectorImage gives a VectorImage stack (DESIGN section 2).
 *
 * \ingroup PatchStreaming
 */
template <typename TImage, unsigned int VDimension>
struct RebindImageDimension;

template <typename TPixel, unsigned int VImageDimension, unsigned int VDimension>
struct RebindImageDimension<Image<TPixel, VImageDimension>, VDimension>
{
  using Type = Image<TPixel, VDimension>;
};

template <typename TComponent, unsigned int VImageDimension, unsigned int VDimension>
struct RebindImageDimension<VectorImage<TComponent, VImageDimension>, VDimension>
{
  using Type = VectorImage<TComponent, VDimension>;
};
} // end namespace itk

#endif
