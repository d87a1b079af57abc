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
#ifndef itkPatchSampler_h
#define itkPatchSampler_h

#include "itkImageBase.h"
#include "itkObject.h"
#include "itkObjectFactory.h"
#include "itkPatchRandomNumbers.h"
#include "itkPatchStreamingCompatibility.h"

#include <vector>

namespace itk
{
/** \class PatchSampler
 * \brief Draws random patch locations for training: the base of
 * UniformPatchSampler, WeightedPatchSampler and LabelPatchSampler.
 *
 * Sample(n) returns n patch start indices in the ReferenceImage's index
 * space, for PatchExtractor::SetPatchLocations. Only the ReferenceImage's
 * geometry is used (UpdateOutputInformation: a reader reads its header), never
 * its voxels.
 *
 * The center of a patch is the voxel start + floor(PatchSize / 2). Without
 * AllowOutside every patch lies inside the image: the allowed centers are
 * those whose patch fits, and PatchSize[d] must not exceed the image's size.
 * With AllowOutside every image voxel is an allowed center, and a patch may
 * reach outside the image by at most floor(PatchSize / 2) voxels, where the
 * extractor's Padding fills it.
 *
 * Reproducible: every Sample() call restarts std::mt19937_64 from Seed and
 * draws one patch after another with distributions of our own
 * (itkPatchRandomNumbers.h), so the same seed gives the same list on any
 * machine and with any number of threads.
 *
 * \sa UniformPatchSampler, WeightedPatchSampler, LabelPatchSampler, PatchExtractor::SetPatchLocations
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension>
class ITK_TEMPLATE_EXPORT PatchSampler : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PatchSampler);

  using Self = PatchSampler;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkOverrideGetNameOfClassMacro(PatchSampler);

  static constexpr unsigned int ImageDimension = VDimension;
  using ImageBaseType = ImageBase<VDimension>;
  using IndexType = Index<VDimension>;
  using SizeType = Size<VDimension>;
  using RegionType = ImageRegion<VDimension>;
  using LocationsType = std::vector<IndexType>;

  /** The image the patches will be cut from; only its geometry is read. */
  itkSetConstObjectMacro(ReferenceImage, ImageBaseType);
  itkGetConstObjectMacro(ReferenceImage, ImageBaseType);

  /** Patch size in voxels (every entry at least 1). */
  itkSetMacro(PatchSize, SizeType);
  itkGetConstReferenceMacro(PatchSize, SizeType);

  /** Whether patches may reach outside the image (default off). */
  itkSetMacro(AllowOutside, bool);
  itkGetConstMacro(AllowOutside, bool);
  itkBooleanMacro(AllowOutside);

  /** The seed of the random generator (default 0). */
  itkSetMacro(Seed, std::uint64_t);
  itkGetConstMacro(Seed, std::uint64_t);

  /** Draws `count` patch start indices. Throws an itk::ExceptionObject naming
   * the parameter and its value when the settings admit no patch, and for a
   * count of 0 (an empty list given to PatchExtractor::SetPatchLocations means
   * the whole grid, not no patch). */
  LocationsType
  Sample(SizeValueType count);

  /** Sample(count) as one flat list: count x ImageDimension index values,
   * axis 0 first within each location. For the Python wrapping, which has
   * lists of integers but no list of itk::Index (PatchExtractor takes them
   * back with SetPatchLocationIndices). */
  std::vector<IndexValueType>
  SampleIndices(SizeValueType count)
  {
    std::vector<IndexValueType> flat;
    flat.reserve(count * VDimension);
    for (const IndexType & location : this->Sample(count))
    {
      flat.insert(flat.end(), location.begin(), location.end());
    }
    return flat;
  }

  /** The allowed patch centers, known once Sample() ran. */
  itkGetConstReferenceMacro(CenterRegion, RegionType);

  /** \deprecated Use GetCenterRegion() (ITK's spelling). */
  [[deprecated("use GetCenterRegion()")]] const RegionType &
  GetCentreRegion() const
  {
    return this->GetCenterRegion();
  }

protected:
  PatchSampler() = default;
  ~PatchSampler() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  /** Called by Sample() once ReferenceImage's geometry and CenterRegion are
   * known: subclasses read their map and build their distribution here. */
  virtual void
  PrepareSampling()
  {}

  /** One allowed patch center. */
  virtual IndexType
  DrawCenter(PatchRandomGenerator & generator) const = 0;

private:
  typename ImageBaseType::ConstPointer m_ReferenceImage{};
  SizeType                             m_PatchSize{};
  bool                                 m_AllowOutside{ false };
  std::uint64_t                        m_Seed{ 0 };
  RegionType                           m_CenterRegion{};
};
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkPatchSampler.hxx"
#endif

#endif
