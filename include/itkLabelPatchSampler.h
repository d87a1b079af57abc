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
#ifndef itkLabelPatchSampler_h
#define itkLabelPatchSampler_h

#include "itkMapPatchSampler.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace itk
{
/** \class LabelPatchSampler
 * \brief Draws patch locations balanced across label values, as TorchIO's
 * LabelSampler: the label at the patch center is l with probability
 * LabelProbabilities[l], and the center is uniform among the voxels of that
 * label where a patch fits.
 *
 * LabelProbabilities maps label values to non-negative weights (normalised
 * here; labels not in the table are never centers). Counts are taken over
 * the voxels where a patch fits. A label of the table that occurs at none of
 * them has its probability redistributed over the present labels in
 * proportion to theirs (TorchIO's renormalisation);
 * GetEffectiveLabelProbabilities() tells the probabilities used. If no label
 * with a positive probability is present, Sample() throws.
 *
 * The LabelMap may be coarser than the ReferenceImage or have another
 * geometry (MapPatchSampler): then "uniform among the voxels of a label"
 * holds over the map's voxels, and the center is drawn inside the chosen one.
 *
 * \sa PatchSampler, MapPatchSampler, WeightedPatchSampler, UniformPatchSampler, PatchExtractor::SetPatchLocations
 * \ingroup PatchStreaming
 */
template <typename TLabelImage>
class ITK_TEMPLATE_EXPORT LabelPatchSampler : public MapPatchSampler<TLabelImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(LabelPatchSampler);

  using Self = LabelPatchSampler;
  using Superclass = MapPatchSampler<TLabelImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(LabelPatchSampler);

  using LabelImageType = TLabelImage;
  using LabelType = typename LabelImageType::PixelType;
  using LabelProbabilitiesType = std::map<LabelType, double>;
  using IndexType = typename Superclass::IndexType;

  itkSetConstObjectMacro(LabelMap, LabelImageType);
  itkGetConstObjectMacro(LabelMap, LabelImageType);

  void
  SetLabelProbabilities(const LabelProbabilitiesType & probabilities)
  {
    if (probabilities != m_LabelProbabilities)
    {
      m_LabelProbabilities = probabilities;
      this->Modified();
    }
  }
  const LabelProbabilitiesType &
  GetLabelProbabilities() const
  {
    return m_LabelProbabilities;
  }

  /** Sets one entry of LabelProbabilities (for the Python wrapping, which has no std::map of labels). */
  void
  SetLabelProbability(LabelType label, double probability)
  {
    auto probabilities = m_LabelProbabilities;
    probabilities[label] = probability;
    this->SetLabelProbabilities(probabilities);
  }

  /** Empties LabelProbabilities. */
  void
  ClearLabelProbabilities()
  {
    this->SetLabelProbabilities(LabelProbabilitiesType());
  }

  /** The probability of each label of the table after the redistribution; known once Sample() ran. */
  const LabelProbabilitiesType &
  GetEffectiveLabelProbabilities() const
  {
    return m_EffectiveLabelProbabilities;
  }

protected:
  LabelPatchSampler() = default;
  ~LabelPatchSampler() override = default;

  void
  PrepareSampling() override
  {
    using PrintType = typename NumericTraits<LabelType>::PrintType;
    if (m_LabelMap.IsNull())
    {
      itkExceptionMacro(<< "LabelMap is not set");
    }
    if (m_LabelProbabilities.empty())
    {
      itkExceptionMacro(<< "LabelProbabilities is empty: no label to draw");
    }
    for (const auto & [label, probability] : m_LabelProbabilities)
    {
      if (!(probability >= 0.0) || !std::isfinite(probability))
      {
        itkExceptionMacro(<< "LabelProbabilities[" << static_cast<PrintType>(label) << "] = " << probability
                          << " is negative or not finite");
      }
    }

    // How often each label of the table occurs where a patch fits.
    std::map<LabelType, SizeValueType> counts;
    this->ReadMap(m_LabelMap);
    this->ForEachVoxel([&](const LabelType & label, const IndexType &, bool valid) {
      if (valid && m_LabelProbabilities.count(label) != 0)
      {
        ++counts[label];
      }
    });
    // Summed scaled by a power of two that brings the largest below 1 (exact), so that
    // probabilities near double's maximum do not overflow the sum.
    double largest = 0.0;
    for (const auto & [label, count] : counts)
    {
      largest = std::max(largest, m_LabelProbabilities.at(label));
    }
    int exponent = 0;
    std::frexp(largest, &exponent);
    double present = 0.0;
    for (const auto & [label, count] : counts)
    {
      present += std::ldexp(m_LabelProbabilities.at(label), -exponent);
    }
    if (!(present > 0.0))
    {
      itkExceptionMacro(<< "LabelProbabilities: no label with a positive probability occurs in LabelMap where a patch "
                        << "of size " << this->GetPatchSize() << " fits");
    }
    m_EffectiveLabelProbabilities.clear();
    for (const auto & [label, probability] : m_LabelProbabilities)
    {
      m_EffectiveLabelProbabilities[label] =
        counts.count(label) != 0 ? std::ldexp(probability, -exponent) / present : 0.0;
    }
    // Each voxel of label l: P(l) / count(l), so that the label is drawn with P(l).
    this->BuildDistribution([&](const LabelType & label, const IndexType &) {
      const auto count = counts.find(label);
      return count == counts.end() ? 0.0 : m_EffectiveLabelProbabilities.at(label) / static_cast<double>(count->second);
    });
  }

  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    using PrintType = typename NumericTraits<LabelType>::PrintType;
    Superclass::PrintSelf(os, indent);
    os << indent << "LabelMap: " << m_LabelMap.GetPointer() << std::endl;
    for (const auto & [label, probability] : m_LabelProbabilities)
    {
      os << indent << "LabelProbabilities[" << static_cast<PrintType>(label) << "]: " << probability << " (effective "
         << (m_EffectiveLabelProbabilities.count(label) ? m_EffectiveLabelProbabilities.at(label) : 0.0) << ")"
         << std::endl;
    }
  }

private:
  typename LabelImageType::ConstPointer m_LabelMap{};
  LabelProbabilitiesType                m_LabelProbabilities{};
  LabelProbabilitiesType                m_EffectiveLabelProbabilities{};
};
} // end namespace itk

#endif
