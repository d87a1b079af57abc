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
#ifndef itkPatchSampler_hxx
#define itkPatchSampler_hxx

#include "itkPatchAxisLayout.h"
#include "itkPatchSampler.h"

namespace itk
{
template <unsigned int VDimension>
auto
PatchSampler<VDimension>::Sample(SizeValueType count) -> LocationsType
{
  if (count == 0)
  {
    // An empty list given to PatchExtractor::SetPatchLocations would cut the whole grid.
    itkExceptionMacro(<< "Sample(0): count = 0; expected at least 1 patch (an empty list of locations given to "
                         "PatchExtractor::SetPatchLocations means the whole grid)");
  }
  if (m_ReferenceImage.IsNull())
  {
    itkExceptionMacro(<< "ReferenceImage is not set");
  }
  // The geometry only: a reader reads its header here, not its voxels.
  const_cast<ImageBaseType *>(m_ReferenceImage.GetPointer())->UpdateOutputInformation();
  const RegionType & image = m_ReferenceImage->GetLargestPossibleRegion();
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    VerifyPatchLength(m_PatchSize[d], d);
    if (image.GetSize(d) == 0)
    {
      itkExceptionMacro(<< "ReferenceImage size[" << d << "] = 0: the image is empty along axis " << d);
    }
    const auto half = static_cast<IndexValueType>(m_PatchSize[d] / 2);
    if (m_AllowOutside)
    {
      m_CenterRegion.SetIndex(d, image.GetIndex(d));
      m_CenterRegion.SetSize(d, image.GetSize(d));
      continue;
    }
    if (m_PatchSize[d] > image.GetSize(d))
    {
      itkExceptionMacro(<< "PatchSize[" << d << "] = " << m_PatchSize[d] << " exceeds the image's size "
                        << image.GetSize(d) << " along axis " << d
                        << ": no patch fits inside (AllowOutside lets patches reach outside)");
    }
    m_CenterRegion.SetIndex(d, image.GetIndex(d) + half);
    m_CenterRegion.SetSize(d, image.GetSize(d) - m_PatchSize[d] + 1);
  }
  this->PrepareSampling();

  PatchRandomGenerator generator(m_Seed);
  LocationsType        locations;
  locations.reserve(count);
  for (SizeValueType k = 0; k < count; ++k)
  {
    IndexType start = this->DrawCenter(generator);
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      start[d] -= static_cast<IndexValueType>(m_PatchSize[d] / 2);
    }
    locations.push_back(start);
  }
  return locations;
}

template <unsigned int VDimension>
void
PatchSampler<VDimension>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "ReferenceImage: " << m_ReferenceImage.GetPointer() << std::endl;
  os << indent << "PatchSize: " << m_PatchSize << std::endl;
  os << indent << "AllowOutside: " << m_AllowOutside << std::endl;
  os << indent << "Seed: " << m_Seed << std::endl;
  os << indent << "CenterRegion: " << m_CenterRegion << std::endl;
}
} // end namespace itk

#endif
