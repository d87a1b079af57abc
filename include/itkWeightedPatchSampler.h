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
#ifndef itkWeightedPatchSampler_h
#define itkWeightedPatchSampler_h

#include "itkMapPatchSampler.h"

#include <cmath>
#include <string>

namespace itk
{
/** \class WeightedPatchSampler
 * \brief Draws patch locations with probability proportional to a
 * probability map at the patch center, as TorchIO's WeightedSampler.
 *
 * The ProbabilityMap (any scalar pixel type) must be non-negative and finite;
 * it need not sum to 1 and may be coarser than the ReferenceImage or have
 * another geometry: a drawn map voxel gives a center inside it through
 * physical space (MapPatchSampler). Positions where no patch fits get
 * probability 0. A map that is zero wherever a patch fits is an exception.
 *
 * \sa PatchSampler, MapPatchSampler, LabelPatchSampler, PatchExtractor::SetPatchLocations
 * \ingroup PatchStreaming
 */
template <typename TProbabilityImage>
class ITK_TEMPLATE_EXPORT WeightedPatchSampler : public MapPatchSampler<TProbabilityImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(WeightedPatchSampler);

  using Self = WeightedPatchSampler;
  using Superclass = MapPatchSampler<TProbabilityImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(WeightedPatchSampler);

  using ProbabilityImageType = TProbabilityImage;
  using IndexType = typename Superclass::IndexType;

  itkSetConstObjectMacro(ProbabilityMap, ProbabilityImageType);
  itkGetConstObjectMacro(ProbabilityMap, ProbabilityImageType);

protected:
  WeightedPatchSampler() = default;
  ~WeightedPatchSampler() override = default;

  void
  PrepareSampling() override
  {
    if (m_ProbabilityMap.IsNull())
    {
      itkExceptionMacro(<< "ProbabilityMap is not set");
    }
    this->ReadMap(m_ProbabilityMap);
    SizeValueType positive = 0;
    const double  total = this->BuildDistribution([this, &positive](const auto & value, const IndexType & index) {
      const auto probability = static_cast<double>(value);
      if (!(probability >= 0.0) || !std::isfinite(probability))
      {
        itkExceptionMacro(<< "ProbabilityMap value " << probability << " at index " << index
                          << " is negative or not finite");
      }
      positive += probability > 0.0;
      return probability;
    });
    if (!(total > 0.0))
    {
      itkExceptionMacro(<< "ProbabilityMap is zero wherever a patch of size " << this->GetPatchSize()
                        << " fits (AllowOutside " << this->GetAllowOutside() << "): no patch can be drawn"
                        << this->WhyZero(positive));
    }
  }

  /** Why a map with `positive` voxels above 0 gives no patch a weight, for the exception. */
  std::string
  WhyZero(SizeValueType positive) const
  {
    if (this->GetNumberOfValidMapVoxels() == 0)
    {
      return "; none of its voxels lies where a patch fits: the map is placed through physical space (its origin, "
             "spacing and direction), and lies outside the ReferenceImage or within half a patch of its border";
    }
    if (positive > 0)
    {
      return "; its " + std::to_string(positive) + (positive == 1 ? " voxel above 0 lies" : " voxels above 0 lie") +
             " where no patch fits (within half a patch of the ReferenceImage's border, or outside it)";
    }
    return "";
  }

  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "ProbabilityMap: " << m_ProbabilityMap.GetPointer() << std::endl;
  }

private:
  typename ProbabilityImageType::ConstPointer m_ProbabilityMap{};
};
} // end namespace itk

#endif
