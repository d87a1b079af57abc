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
#ifndef itkPatchKeptBuffer_h
#define itkPatchKeptBuffer_h

#include "itkIntTypes.h"
#include "itkPatchPixelComponents.h"

#include <sstream>
#include <string>
#include <type_traits>

namespace itk
{
namespace PatchStreamingDetail
{
/** Before `image` is allocated for `region`: gives it `kept`, the pixel
 * container a filter kept from its last output, when only the filter still
 * refers to it (every image it was shared with, the output included, has let
 * it go), it holds the region, and the image's own container is empty
 * (released, or prepared for new data; a container grafted or set by a user
 * is allocated in, as ITK does). Allocate() then reserves within it: a filter
 * asked for one region after another maps no fresh pages for each. */
template <typename TImage>
void
OfferKeptBuffer(TImage & image, const typename TImage::RegionType & region, typename TImage::PixelContainer * kept)
{
  // Elements of the pixel container: pixels, or pixels x components for a VectorImage.
  constexpr bool elementIsPixel =
    std::is_same<typename TImage::PixelContainer::Element, typename TImage::PixelType>::value;
  const SizeValueType elements = region.GetNumberOfPixels() * (elementIsPixel ? 1 : image.GetNumberOfComponentsPerPixel());
  if (kept != nullptr && kept->GetReferenceCount() == 1 && kept->Capacity() >= elements &&
      image.GetPixelContainer()->Capacity() == 0)
  {
    image.SetPixelContainer(kept);
  }
}

/** Why a patch stack could not be allocated for its requested region, for the exception that
 * replaces ITK's "Failed to allocate memory for image.": the patches, their size and
 * components, and the bytes asked for. */
template <typename TStack>
std::string
DescribeStackAllocation(const TStack & stack)
{
  constexpr unsigned int PatchDimension = TStack::ImageDimension - 1;
  const auto &           region = stack.GetRequestedRegion();
  const double           bytes = static_cast<double>(region.GetNumberOfPixels()) *
                       static_cast<double>(stack.GetNumberOfComponentsPerPixel()) *
                       static_cast<double>(sizeof(PixelComponentType<TStack>));
  std::ostringstream description;
  description << "cannot allocate " << region.GetSize(PatchDimension) << " patch(es) of PatchSize [";
  for (unsigned int d = 0; d < PatchDimension; ++d)
  {
    description << (d > 0 ? ", " : "") << region.GetSize(d);
  }
  description << "] with " << stack.GetNumberOfComponentsPerPixel() << " component(s) per pixel ("
              << bytes / (1024.0 * 1024.0 * 1024.0) << " GiB): give a smaller PatchSize";
  return description.str();
}
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
