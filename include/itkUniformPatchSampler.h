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
#ifndef itkUniformPatchSampler_h
#define itkUniformPatchSampler_h

#include "itkPatchSampler.h"

namespace itk
{
/** \class UniformPatchSampler
 * \brief Draws patch locations uniformly: every allowed position equally
 * likely (each axis independently), as TorchIO's UniformSampler.
 *
 * Needs no map and reads no voxel: only the ReferenceImage's geometry.
 *
 * \sa PatchSampler, WeightedPatchSampler, LabelPatchSampler, PatchExtractor::SetPatchLocations
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension>
class ITK_TEMPLATE_EXPORT UniformPatchSampler : public PatchSampler<VDimension>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(UniformPatchSampler);

  using Self = UniformPatchSampler;
  using Superclass = PatchSampler<VDimension>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(UniformPatchSampler);

  using IndexType = typename Superclass::IndexType;

protected:
  UniformPatchSampler() = default;
  ~UniformPatchSampler() override = default;

  IndexType
  DrawCenter(PatchRandomGenerator & generator) const override
  {
    const auto & centers = this->GetCenterRegion();
    IndexType    center;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      center[d] = centers.GetIndex(d) +
                  static_cast<IndexValueType>(PatchStreamingDetail::PatchUniformInteger(generator, centers.GetSize(d)));
    }
    return center;
  }
};
} // end namespace itk

#endif
