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
#ifndef itkPatchMergeRowKernel_hxx
#define itkPatchMergeRowKernel_hxx

#include "itkPatchMergeRowKernel.h"
#include "itkPatchArgmaxRow.h"
#include "itkPatchPrefetch.h"
#include "itkPatchValueConversion.h"

#include <algorithm>

namespace itk
{
namespace PatchStreamingDetail
{
template <typename TStack, typename TOutputImage>
auto
PatchMergeRowKernel<TStack, TOutputImage>::MakePatchRun(SizeValueType first, SizeValueType last) const -> PatchRun
{
  const PatchAxisWindow & axis0Window = m_Windows.GetAxisWindow(0);
  PatchRun                run;
  run.first = first;
  run.gridIndex = m_Grid.GetGridIndex(first);
  for (SizeValueType patch = first; patch <= last; ++patch)
  {
    run.regions.push_back(m_Grid.GetPatchRegion(patch));
    run.positions.push_back(m_Grid.GetGridIndex(patch)[0]);
    const auto & profile = axis0Window.GetProfile(static_cast<SizeValueType>(run.positions.back()));
    const auto   same = std::find_if(
      run.distinctProfiles.begin(), run.distinctProfiles.end(), [&](const auto * other) { return *other == profile; });
    run.profileOfPatch.push_back(static_cast<SizeValueType>(same - run.distinctProfiles.begin()));
    if (same == run.distinctProfiles.end())
    {
      run.distinctProfiles.push_back(&profile);
      run.unitProfiles =
        run.unitProfiles && std::all_of(profile.begin(), profile.end(), [](double value) { return value == 1.0; });
    }
  }
  return run;
}

template <typename TStack, typename TOutputImage>
void
PatchMergeRowKernel<TStack, TOutputImage>::AddRunToRow(const PatchRun &                 run,
                                                       const RowSums &                  row,
                                                       std::vector<WeightedValueType> & weights) const
{
  // Along axes 1..N-1 the row is at the same offset in every patch of the run.
  const double rowWeight = m_Windows.GetRowWeight(run.gridIndex, row.start - run.regions.front().GetIndex());
  if (rowWeight == 0.0)
  {
    return;
  }
  // Where every weight is 1 (Average), w·v = v exactly: the values are added as they are.
  const bool scalar = m_ValuesPerVoxel == 1;
  const bool unitWeights = scalar && run.unitProfiles && rowWeight == 1.0;
  // The weights are formed once for the row where patches of the run share a profile (a whole
  // line: most of them); where no two do (a batch of one patch), each patch forms its own as it
  // adds, which saves writing and reading them back (the same float(rowWeight * profile)).
  const bool sharedProfiles = run.distinctProfiles.size() < run.regions.size();
  if (scalar && !unitWeights && sharedProfiles)
  {
    this->FormRowWeights(run, rowWeight, weights);
  }
  // Every patch of the run adds its part of the row in increasing k.
  const SizeValueType  profileLength = m_Grid.GetPatchSize()[0];
  const IndexValueType rowEnd = row.start[0] + static_cast<IndexValueType>(row.length);
  for (SizeValueType i = 0; i < run.regions.size(); ++i)
  {
    const RegionType &   patchRegion = run.regions[i];
    const IndexValueType begin = std::max(row.start[0], patchRegion.GetIndex(0));
    const IndexValueType end =
      std::min(rowEnd, patchRegion.GetIndex(0) + static_cast<IndexValueType>(patchRegion.GetSize(0)));
    if (begin >= end)
    {
      continue;
    }
    PatchRowPart part{
      nullptr, row.sums + (begin - row.start[0]) * m_ValuesPerVoxel, static_cast<SizeValueType>(end - begin), {}
    };
    auto partStart = row.start;
    partStart[0] = begin;
    part.offset = partStart - patchRegion.GetIndex();
    part.source = this->GetPatchRowSource(run, i, part.offset, part.length);
    if (unitWeights)
    {
      AddUnitWeighted(part.source, part.sums, part.length);
    }
    else if (scalar && sharedProfiles)
    {
      const WeightedValueType * formed = weights.data() + run.profileOfPatch[i] * profileLength + part.offset[0];
      this->AddScalar(part.source, part.sums, part.length, [formed](SizeValueType j) { return formed[j]; });
    }
    else if (scalar)
    {
      // Each weight formed as FormRowWeights forms it.
      const double * profile = run.distinctProfiles[run.profileOfPatch[i]]->data() + part.offset[0];
      this->AddScalar(part.source, part.sums, part.length, [profile, rowWeight](SizeValueType j) {
        return static_cast<WeightedValueType>(rowWeight * profile[j]);
      });
    }
    else
    {
      auto gridIndex = run.gridIndex;
      gridIndex[0] = run.positions[i];
      this->AddComponents(part, gridIndex, rowWeight);
    }
  }
}

template <typename TStack, typename TOutputImage>
void
PatchMergeRowKernel<TStack, TOutputImage>::FormRowWeights(const PatchRun &                 run,
                                                          double                           rowWeight,
                                                          std::vector<WeightedValueType> & weights) const
{
  // w = float(rowWeight * profile) exactly as PatchWindows defines it.
  const SizeValueType profileLength = m_Grid.GetPatchSize()[0];
  weights.resize(run.distinctProfiles.size() * profileLength);
  for (SizeValueType p = 0; p < run.distinctProfiles.size(); ++p)
  {
    std::transform(run.distinctProfiles[p]->begin(),
                   run.distinctProfiles[p]->end(),
                   weights.begin() + static_cast<OffsetValueType>(p * profileLength),
                   [rowWeight](double value) { return static_cast<WeightedValueType>(rowWeight * value); });
  }
}

template <typename TStack, typename TOutputImage>
auto
PatchMergeRowKernel<TStack, TOutputImage>::GetPatchRowSource(const PatchRun &                             run,
                                                             SizeValueType                                i,
                                                             const typename OutputImageType::OffsetType & offset,
                                                             SizeValueType length) const -> const InputComponentType *
{
  typename StackType::IndexType stackIndex;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    stackIndex[d] = offset[d];
  }
  stackIndex[ImageDimension] = static_cast<IndexValueType>(run.first + i);
  const InputComponentType * source = GetComponentBuffer(m_Stack) + m_Components * m_Stack->ComputeOffset(stackIndex);
  // The patch's next rows follow this one in the stack. Prefetched for a scalar stack's short rows only:
  // the rows of several components are long enough for the hardware to follow, and the hint cost 6 %
  // of the 16-class pipeline's own work in sliding_window_benchmark.py (docs/performance.md item 14).
  if (m_Components == 1)
  {
    PrefetchRowAhead(source, m_Stack->GetOffsetTable()[1], length);
  }
  return source;
}

template <typename TStack, typename TOutputImage>
void
PatchMergeRowKernel<TStack, TOutputImage>::AddUnitWeighted(const InputComponentType * source,
                                                           AccumulatorType *          sums,
                                                           SizeValueType              length)
{
  for (SizeValueType j = 0; j < length; ++j)
  {
    sums[j] += static_cast<AccumulatorType>(static_cast<WeightedValueType>(source[j]));
  }
}

template <typename TStack, typename TOutputImage>
template <typename TWeightAt>
void
PatchMergeRowKernel<TStack, TOutputImage>::AddScalar(const InputComponentType * source,
                                                     AccumulatorType *          sums,
                                                     SizeValueType              length,
                                                     TWeightAt                  weightAt) const
{
  // Branch-free so that it vectorises: a zero weight selects 0 (never 0·v, which is NaN for v = NaN or Inf).
  const bool inputIsWeighted = m_InputIsWeighted;
  for (SizeValueType j = 0; j < length; ++j)
  {
    const WeightedValueType weight = weightAt(j);
    const auto              value = static_cast<WeightedValueType>(source[j]);
    const auto              term = inputIsWeighted ? value : weight * value;
    sums[j] += weight != WeightedValueType{ 0 } ? static_cast<AccumulatorType>(term) : AccumulatorType{ 0 };
  }
}

template <typename TStack, typename TOutputImage>
void
PatchMergeRowKernel<TStack, TOutputImage>::AddComponents(const PatchRowPart & part,
                                                         const IndexType &    gridIndex,
                                                         double               rowWeight) const
{
  const double * profile = m_Windows.GetRowProfile(gridIndex, part.offset[0]);
  const bool     sumWeights = this->SumsWeights();
  // Members read once, so that the per-voxel loop over the components vectorises.
  const OffsetValueType components = m_Components;
  const OffsetValueType valuesPerVoxel = m_ValuesPerVoxel;
  const double          windowFloor = m_WindowFloor;
  const auto            addVoxels = [&](auto inputIsWeighted) {
    for (SizeValueType j = 0; j < part.length; ++j)
    {
      const double separable = rowWeight * profile[j];
      // Voxels outside a patch's window (Crop, Adaptive's padding) never touch the sums.
      if (separable == 0.0)
      {
        continue;
      }
      // max(prod_d a_d, m) = max(prod_d g_d, m): each floored profile a_d = max(g_d, m) <= 1.
      const double               weight = std::max(separable, windowFloor);
      const InputComponentType * sourceVoxel = part.source + j * components;
      AccumulatorType *          sumsVoxel = part.sums + j * valuesPerVoxel;
      const auto                 voxelWeight = static_cast<WeightedValueType>(weight);
      for (OffsetValueType c = 0; c < components; ++c)
      {
        const auto value = static_cast<WeightedValueType>(sourceVoxel[c]);
        sumsVoxel[c] += static_cast<AccumulatorType>(decltype(inputIsWeighted)::value ? value : voxelWeight * value);
      }
      if (sumWeights)
      {
        sumsVoxel[components] += static_cast<AccumulatorType>(weight);
      }
    }
  };
  if (m_InputIsWeighted)
  {
    addVoxels(std::true_type{});
  }
  else
  {
    addVoxels(std::false_type{});
  }
}

template <typename TStack, typename TOutputImage>
void
PatchMergeRowKernel<TStack, TOutputImage>::FinishRow(const RowSums & row) const
{
  this->AddNonFiniteValues(this->FinishRowInto(row, this->GetOutputRow(row.start)));
}

template <typename TStack, typename TOutputImage>
SizeValueType
PatchMergeRowKernel<TStack, TOutputImage>::FinishRowInto(const RowSums & row, OutputComponentType * values) const
{
  const auto & imageIndex = m_Grid.GetImageRegion().GetIndex();
  // The separable normaliser's reciprocal: 1/W_0(x_0) times 1 / (the
  // product of the other axes' W_d), so no voxel is divided.
  const double   rowNormalizer = m_Windows.GetRowNormalizer(row.start - imageIndex);
  const double   rowReciprocal = rowNormalizer > 0.0 ? 1.0 / rowNormalizer : 0.0;
  const double * reciprocals =
    m_Windows.GetAxisWindow(0).GetNormalizerReciprocals().data() + (row.start[0] - imageIndex[0]);
  const RowTarget target{ values, rowReciprocal, reciprocals };
  if constexpr (IsLabelOutput)
  {
    return this->FinishLabels(row, target);
  }
  else if constexpr (std::is_integral<OutputComponentType>::value)
  {
    return this->FinishVoxels(row, target);
  }
  else
  {
    return m_ValuesPerVoxel == 1 ? this->FinishScalarRow(row, target) : this->FinishVoxels(row, target);
  }
}

template <typename TStack, typename TOutputImage>
SizeValueType
PatchMergeRowKernel<TStack, TOutputImage>::FinishScalarRow(const RowSums & row, const RowTarget & target) const
{
  OutputComponentType * values = target.values;
  const double          rowReciprocal = target.rowReciprocal;
  const double *        reciprocals = target.reciprocals;
  // An uncovered voxel's sum is +0 and its scale 0, so adding the background
  // there is exact, and subtracting -0 elsewhere keeps every value's bits.
  // With a zero background (the default) nothing needs adding. The merged
  // value is counted when non-finite, the background never.
  const auto uncovered = static_cast<OutputComponentType>(-m_Background[0]);
  const auto finish = [&](auto addBackground) {
    SizeValueType nonFinite = 0;
    const auto    normalised = [&](SizeValueType j, AccumulatorType sum) {
      const double scale = rowReciprocal * reciprocals[j];
      const auto   merged = static_cast<OutputComponentType>(static_cast<double>(sum) * scale);
      nonFinite += IsNonFinite(merged);
      if constexpr (decltype(addBackground)::value)
      {
        return static_cast<OutputComponentType>(merged - (scale != 0.0 ? OutputComponentType{ 0 } : uncovered));
      }
      return merged;
    };
    if constexpr (std::is_same<AccumulatorType, OutputComponentType>::value)
    {
      if (row.sums == values)
      {
        // The sums are the output row: one pointer, because the compiler
        // does not vectorise a loop whose two pointers are equal.
        for (SizeValueType j = 0; j < row.length; ++j)
        {
          values[j] = normalised(j, values[j]);
        }
        return nonFinite;
      }
    }
    for (SizeValueType j = 0; j < row.length; ++j)
    {
      values[j] = normalised(j, row.sums[j]);
    }
    return nonFinite;
  };
  if (uncovered == OutputComponentType{ 0 })
  {
    return finish(std::false_type{});
  }
  return finish(std::true_type{});
}

template <typename TStack, typename TOutputImage>
SizeValueType
PatchMergeRowKernel<TStack, TOutputImage>::FinishVoxels(const RowSums & row, const RowTarget & target) const
{
  SizeValueType nonFinite = 0;
  // Read once, so that the loops over the components vectorise.
  const OffsetValueType components = m_Components;
  this->ForEachVoxelScale(row, target, [&](SizeValueType j, const AccumulatorType * voxelSums, double scale) {
    OutputComponentType * voxelValues = target.values + static_cast<OffsetValueType>(j) * components;
    if (scale > 0.0)
    {
      for (OffsetValueType c = 0; c < components; ++c)
      {
        // Integer outputs: rounded to nearest, saturated, NaN to 0 (RoundToInteger).
        const double merged = static_cast<double>(voxelSums[c]) * scale;
        const auto   value = ConvertValue<OutputComponentType>(merged);
        // Counted as written for a floating-point output, before RoundToInteger for an integer one
        // (from the local value, not the stored one: a load after the store would keep the loop scalar).
        nonFinite += IsNonFinite(std::is_integral<OutputComponentType>::value ? merged : static_cast<double>(value));
        voxelValues[c] = value;
      }
    }
    else
    {
      std::copy_n(m_Background.data(), components, voxelValues);
    }
  });
  return nonFinite;
}

template <typename TStack, typename TOutputImage>
SizeValueType
PatchMergeRowKernel<TStack, TOutputImage>::FinishLabels(const RowSums & row, const RowTarget & target) const
{
  SizeValueType         nonFinite = 0;
  const OffsetValueType components = m_Components;
  this->ForEachVoxelScale(row, target, [&](SizeValueType, AccumulatorType * voxelSums, double scale) {
    for (OffsetValueType c = 0; c < components; ++c)
    {
      // The value a C-component output of AccumulatorType holds; 0 where no patch reaches (labelled below).
      const auto merged = static_cast<AccumulatorType>(static_cast<double>(voxelSums[c]) * scale);
      nonFinite += scale > 0.0 ? IsNonFinite(merged) : 0;
      voxelSums[c] = merged;
    }
  });
  const bool sumWeights = this->SumsWeights();
  if (!sumWeights)
  {
    ArgmaxRow(row.sums, components, row.length, target.values);
  }
  // The summed weights follow the merged values, untouched: the scales are the same.
  this->ForEachVoxelScale(row, target, [&](SizeValueType j, const AccumulatorType * voxelSums, double scale) {
    if (sumWeights)
    {
      target.values[j] = static_cast<OutputComponentType>(ArgmaxOfVoxel(voxelSums, components));
    }
    if (!(scale > 0.0))
    {
      target.values[j] = m_Background[0];
    }
  });
  return nonFinite;
}
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
