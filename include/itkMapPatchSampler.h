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
#ifndef itkMapPatchSampler_h
#define itkMapPatchSampler_h

#include "itkImageRegionConstIteratorWithIndex.h"
#include "itkPatchCenterMapping.h"
#include "itkPatchDiscreteDistribution.h"
#include "itkPatchSampler.h"

#include <algorithm>
#include <memory>
#include <vector>

namespace itk
{
/** \class MapPatchSampler
 * \brief A PatchSampler driven by a voxel map: each map voxel gets a weight,
 * a voxel is drawn with probability proportional to it, and the patch center
 * is an image voxel inside it (PatchCenterMapping: through physical space, so
 * the map may be coarser than the image or have another geometry).
 *
 * The base of WeightedPatchSampler and LabelPatchSampler. Only the map is
 * read whole (it may come from a streaming reader at a coarser resolution);
 * the map voxels whose centers fall on no allowed patch center get weight 0,
 * so the weights are those of the positions where a patch fits.
 *
 * \sa PatchSampler, WeightedPatchSampler, LabelPatchSampler, PatchExtractor::SetPatchLocations
 * \ingroup PatchStreaming
 */
template <typename TMapImage>
class ITK_TEMPLATE_EXPORT MapPatchSampler : public PatchSampler<TMapImage::ImageDimension>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(MapPatchSampler);

  using Self = MapPatchSampler;
  using Superclass = PatchSampler<TMapImage::ImageDimension>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkOverrideGetNameOfClassMacro(MapPatchSampler);

  using MapImageType = TMapImage;
  using IndexType = typename Superclass::IndexType;

protected:
  MapPatchSampler() = default;
  ~MapPatchSampler() override = default;

  /** Reads `map` whole and finds, once, which of its voxels have their
   * center on an allowed patch center; ForEachVoxel and BuildDistribution
   * then work on this map. */
  void
  ReadMap(const MapImageType * map)
  {
    auto * source = const_cast<MapImageType *>(map);
    source->UpdateOutputInformation();
    source->SetRequestedRegionToLargestPossibleRegion();
    source->Update();
    m_Map = map;
    m_Mapping = std::make_unique<PatchStreamingDetail::PatchCenterMapping<Superclass::ImageDimension>>(
      map, this->GetReferenceImage(), this->GetCenterRegion());
    // In buffer order, as ForEachVoxel visits the voxels.
    m_Valid.clear();
    for (ImageRegionConstIteratorWithIndex<MapImageType> it(map, map->GetBufferedRegion()); !it.IsAtEnd(); ++it)
    {
      m_Valid.push_back(m_Mapping->IsValid(it.GetIndex()));
    }
  }

  /** Calls visit(value, index, valid) for every voxel of the map ReadMap read;
   * valid: its center falls on an allowed patch center. */
  template <typename TVisit>
  void
  ForEachVoxel(TVisit && visit) const
  {
    std::size_t voxel = 0;
    for (ImageRegionConstIteratorWithIndex<MapImageType> it(m_Map, m_Map->GetBufferedRegion()); !it.IsAtEnd(); ++it)
    {
      visit(it.Get(), it.GetIndex(), static_cast<bool>(m_Valid[voxel++]));
    }
  }

  /** The voxels of the map ReadMap read whose center falls on an allowed patch center. */
  SizeValueType
  GetNumberOfValidMapVoxels() const
  {
    return static_cast<SizeValueType>(std::count(m_Valid.begin(), m_Valid.end(), true));
  }

  /** Gives every voxel of the map ReadMap read the weight weightOf(value,
   * index) (called for every voxel, so that it can check every value), 0
   * where no patch fits, and prepares drawing. The weights must be finite
   * and not negative; returns their sum. */
  template <typename TWeightOf>
  double
  BuildDistribution(TWeightOf && weightOf)
  {
    std::vector<double> weights;
    weights.reserve(m_Valid.size());
    this->ForEachVoxel([&](const auto & value, const IndexType & index, bool valid) {
      const double weight = weightOf(value, index);
      weights.push_back(valid ? weight : 0.0);
    });
    m_Distribution = PatchDiscreteDistribution(weights);
    return m_Distribution.GetTotal();
  }

  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "Map: " << m_Map.GetPointer() << std::endl;
    os << indent << "Mapping: " << (m_Mapping ? "built" : "not built") << ", " << this->GetNumberOfValidMapVoxels()
       << " of " << m_Valid.size() << " map voxels valid" << std::endl;
    os << indent << "Distribution total weight: " << m_Distribution.GetTotal() << std::endl;
  }

  IndexType
  DrawCenter(PatchRandomGenerator & generator) const override
  {
    const IndexType mapVoxel = m_Map->ComputeIndex(static_cast<OffsetValueType>(m_Distribution.Draw(generator)));
    return m_Mapping->Draw(mapVoxel, generator);
  }

private:
  typename MapImageType::ConstPointer                                                   m_Map{};
  std::unique_ptr<PatchStreamingDetail::PatchCenterMapping<Superclass::ImageDimension>> m_Mapping{};
  std::vector<bool>                                                                     m_Valid{};
  PatchDiscreteDistribution                                                             m_Distribution{};
};
} // end namespace itk

#endif
