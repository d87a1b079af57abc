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
#ifndef itkPatchMergeAccumulator_hxx
#define itkPatchMergeAccumulator_hxx

#include "itkPatchMergeAccumulator.h"
#include "itkPatchImageRows.h"
#include "itkPatchPrefetch.h"

#include <algorithm>
#include <new>
#include <string>

namespace itk
{
namespace PatchStreamingDetail
{
template <typename TStack, typename TOutputImage>
PatchMergeAccumulator<TStack, TOutputImage>::PatchMergeAccumulator(const TStack *       stack,
                                                                   OutputImageType *    output,
                                                                   const GridType &     grid,
                                                                   const SettingsType & settings)
  : m_Output(output)
  , m_Grid(grid)
  , m_Kernel(stack, output, grid, settings)
  , m_Region(output->GetRequestedRegion())
  , m_SliceAxis(PatchStreamingDetail::GetSliceAxis(grid.GetImageRegion()))
  , m_ValuesPerVoxel(m_Kernel.GetValuesPerVoxel())
{
  for (unsigned int d = 0; d < m_SliceAxis; ++d)
  {
    m_SliceVoxels *= static_cast<OffsetValueType>(m_Region.GetSize(d));
    m_RowsPerSlice *= d > 0 ? m_Region.GetSize(d) : 1;
  }
  // A row is a run along axis 0 within one slice; in 1-D each voxel is a slice (ForEachSliceRow).
  m_RowLength = ImageDimension > 1 ? m_Region.GetSize(0) : 1;
  m_RowValues = m_RowLength * static_cast<SizeValueType>(m_ValuesPerVoxel);
  m_SlotSlices = 2 * static_cast<IndexValueType>(grid.GetPatchSize()[m_SliceAxis]);
}

template <typename TStack, typename TOutputImage>
bool
PatchMergeAccumulator<TStack, TOutputImage>::AllocateSums()
{
  if constexpr (std::is_same<AccumulatorType, OutputComponentType>::value)
  {
    if (!this->SumsWeights() && m_Kernel.WritesComponents())
    {
      m_Base = GetComponentBuffer(m_Output);
      return true;
    }
  }
  return false;
}

template <typename TStack, typename TOutputImage>
void
PatchMergeAccumulator<TStack, TOutputImage>::ZeroRow(const IndexType & rowStart, SizeValueType length) const
{
  std::fill_n(this->Row(rowStart), length * static_cast<SizeValueType>(m_ValuesPerVoxel), AccumulatorType{ 0 });
}

template <typename TStack, typename TOutputImage>
IndexValueType
PatchMergeAccumulator<TStack, TOutputImage>::GetCarryEnd(const RegionType & lines, const RegionType & arrived) const
{
  IndexValueType carryEnd = m_Region.GetIndex(m_SliceAxis) + static_cast<IndexValueType>(m_Region.GetSize(m_SliceAxis));
  if (arrived.GetNumberOfPixels() > 0)
  {
    carryEnd = std::max(carryEnd, arrived.GetUpperIndex()[m_SliceAxis] + 1);
  }
  if (lines.GetNumberOfPixels() > 0)
  {
    const IndexValueType imageEnd = m_Grid.GetImageRegion().GetUpperIndex()[m_SliceAxis] + 1;
    const IndexValueType lastLineEnd =
      m_Grid.GetImageRegion().GetIndex(m_SliceAxis) +
      m_Grid.GetAxisLayout(m_SliceAxis).GetStart(static_cast<SizeValueType>(lines.GetUpperIndex()[m_SliceAxis])) +
      static_cast<IndexValueType>(m_Grid.GetPatchSize()[m_SliceAxis]);
    carryEnd = std::max(carryEnd, std::min(lastLineEnd, imageEnd));
  }
  return carryEnd;
}

template <typename TStack, typename TOutputImage>
bool
PatchMergeAccumulator<TStack, TOutputImage>::ReachesPastRegion(const RegionType & lines) const
{
  return this->GetCarryEnd(lines, RegionType()) >
         m_Region.GetIndex(m_SliceAxis) + static_cast<IndexValueType>(m_Region.GetSize(m_SliceAxis));
}

template <typename TStack, typename TOutputImage>
IndexValueType
PatchMergeAccumulator<TStack, TOutputImage>::PrepareCarry(CarriedRows &      carried,
                                                          const RegionType & lines,
                                                          const RegionType & arrived)
{
  m_CarryEnd = this->GetCarryEnd(lines, arrived);
  const SizeValueType slots = static_cast<SizeValueType>(m_SlotSlices) * m_RowsPerSlice;
  // The carried slots hold the rows of this region's first slices (PatchMerger::CanUseCarriedSums).
  if (arrived.GetNumberOfPixels() > 0 && carried.sums.size() == slots)
  {
    m_Rows = std::move(carried);
  }
  else
  {
    m_Rows.Clear();
    m_Rows.sums.resize(slots);
    m_Rows.finished.resize(slots);
    m_Rows.slices.resize(slots);
  }
  carried.Clear();
  RegionType arriving = arrived;
  if (m_Base != nullptr && arriving.Crop(m_Region))
  {
    ForEachSliceRow(arriving, [&](const IndexType & rowStart, SizeValueType length) {
      const SizeValueType key = this->RowKey(rowStart);
      if (m_Rows.sums[key] && m_Rows.slices[key] == rowStart[m_SliceAxis])
      {
        std::copy_n(m_Rows.sums[key].get(), length * static_cast<SizeValueType>(m_ValuesPerVoxel), this->Row(rowStart));
        m_Rows.sums[key].reset();
      }
    });
  }
  return m_CarryEnd;
}

template <typename TStack, typename TOutputImage>
bool
PatchMergeAccumulator<TStack, TOutputImage>::FinishesCarriedRows() const
{
  return m_Base == nullptr &&
         sizeof(OutputComponentType) * static_cast<SizeValueType>(m_Kernel.GetOutputValuesPerVoxel()) <
           sizeof(AccumulatorType) * static_cast<SizeValueType>(m_ValuesPerVoxel);
}

template <typename TStack, typename TOutputImage>
IndexValueType
PatchMergeAccumulator<TStack, TOutputImage>::GetNextLineStart(IndexValueType lastLine) const
{
  const IndexValueType imageStart = m_Grid.GetImageRegion().GetIndex(m_SliceAxis);
  const auto           next = static_cast<SizeValueType>(std::max<IndexValueType>(lastLine + 1, 0));
  return next < m_Grid.GetGridSize()[m_SliceAxis] ? imageStart + m_Grid.GetAxisLayout(m_SliceAxis).GetStart(next)
                                                  : m_Grid.GetImageRegion().GetUpperIndex()[m_SliceAxis] + 1;
}

template <typename TStack, typename TOutputImage>
auto
PatchMergeAccumulator<TStack, TOutputImage>::AllocateFinishedRows(const RegionType & rows) -> std::vector<IndexType>
{
  const SizeValueType values = m_RowLength * static_cast<SizeValueType>(m_Kernel.GetOutputValuesPerVoxel());
  std::vector<IndexType> starts;
  ForEachSliceRow(rows, [&](const IndexType & rowStart, SizeValueType) {
    const SizeValueType key = this->RowKey(rowStart);
    if (!m_Rows.sums[key] || m_Rows.slices[key] != rowStart[m_SliceAxis])
    {
      return;
    }
    starts.push_back(rowStart);
    m_Rows.finished[key].values.reset(new (std::nothrow) OutputComponentType[values]);
    if (!m_Rows.finished[key].values)
    {
      throw MemoryAllocationError(__FILE__,
                                  __LINE__,
                                  "PatchMerger: no memory for the values of one output row (" +
                                    std::to_string(values * sizeof(OutputComponentType)) + " bytes)",
                                  ITK_LOCATION);
    }
  });
  return starts;
}

template <typename TStack, typename TOutputImage>
void
PatchMergeAccumulator<TStack, TOutputImage>::FinishCarriedRow(const IndexType & rowStart)
{
  const SizeValueType key = this->RowKey(rowStart);
  FinishedRow &       finished = m_Rows.finished[key];
  const RowSums       row{ this->Row(rowStart), rowStart, m_RowLength };
  finished.nonFinite = m_Kernel.FinishRowInto(row, finished.values.get());
  m_Rows.sums[key].reset();
}

template <typename TStack, typename TOutputImage>
auto
PatchMergeAccumulator<TStack, TOutputImage>::Finished(const IndexType & rowStart) const -> const FinishedRow *
{
  if (this->IsInOutputBuffer(rowStart))
  {
    return nullptr;
  }
  const SizeValueType key = this->RowKey(rowStart);
  const bool          held = key < m_Rows.finished.size() && m_Rows.finished[key].values && !m_Rows.sums[key] &&
                    m_Rows.slices[key] == rowStart[m_SliceAxis];
  return held ? &m_Rows.finished[key] : nullptr;
}

template <typename TStack, typename TOutputImage>
void
PatchMergeAccumulator<TStack, TOutputImage>::TakeCarry(CarriedRows & carried)
{
  carried = std::move(m_Rows);
  m_Rows.Clear();
}

template <typename TStack, typename TOutputImage>
void
PatchMergeAccumulator<TStack, TOutputImage>::AllocateRows(const RegionType & rows, const RegionType & except)
{
  ForEachSliceRow(rows, [&](const IndexType & rowStart, SizeValueType) {
    if (this->IsInOutputBuffer(rowStart) || except.IsInside(rowStart))
    {
      return;
    }
    const SizeValueType  key = this->RowKey(rowStart);
    const IndexValueType slice = rowStart[m_SliceAxis];
    RowBuffer &          row = m_Rows.sums[key];
    const bool           finished = m_Rows.finished[key].values != nullptr;
    if ((row || finished) && m_Rows.slices[key] != slice)
    {
      itkGenericExceptionMacro(<< "PatchMerger: internal error: the sums of slices " << m_Rows.slices[key] << " and "
                               << slice << " would share a row buffer");
    }
    if (!row && !finished) // a row finished while carried needs no sums
    {
      row.reset(
        static_cast<AccumulatorType *>(std::calloc(std::max<SizeValueType>(m_RowValues, 1), sizeof(AccumulatorType))));
      if (!row)
      {
        throw MemoryAllocationError(__FILE__,
                                    __LINE__,
                                    "PatchMerger: no memory for the sums of one output row (" +
                                      std::to_string(m_RowValues * sizeof(AccumulatorType)) + " bytes)",
                                    ITK_LOCATION);
      }
      m_Rows.slices[key] = slice;
    }
  });
}

template <typename TStack, typename TOutputImage>
void
PatchMergeAccumulator<TStack, TOutputImage>::ReleaseRows(const RegionType & rows)
{
  ForEachSliceRow(rows, [&](const IndexType & rowStart, SizeValueType) {
    const SizeValueType key = this->RowKey(rowStart);
    if (m_Rows.slices[key] == rowStart[m_SliceAxis])
    {
      m_Rows.sums[key].reset();
      m_Rows.finished[key].values.reset();
    }
  });
}

template <typename TStack, typename TOutputImage>
SizeValueType
PatchMergeAccumulator<TStack, TOutputImage>::GetSlicesPerFinishPass(SizeValueType slices) const
{
  return m_Base != nullptr ? slices : std::min(slices, m_Grid.GetPatchSize()[m_SliceAxis]);
}

template <typename TStack, typename TOutputImage>
auto
PatchMergeAccumulator<TStack, TOutputImage>::GetRowsLastTouchedBy(const IndexType &  line,
                                                                  const RegionType & lines) const -> RegionType
{
  // Lines come in order of their grid index on axes 1..N-1 (axis 1 fastest),
  // so a row's last line has, on each of those axes, the last grid position
  // whose patch starts at or before the row: the rows between this line's
  // start and the next line's start. The box's first and last lines also take
  // the rows before and after every patch (Crop border mode's remainder).
  // In 1-D each patch is a line and the rows are voxels along axis 0.
  constexpr unsigned int FirstLineAxis = ImageDimension > 1 ? 1 : 0;
  RegionType             rows = m_Region;
  for (unsigned int d = FirstLineAxis; d < ImageDimension; ++d)
  {
    const auto &         layout = m_Grid.GetAxisLayout(d);
    const IndexValueType imageStart = m_Grid.GetImageRegion().GetIndex(d);
    const IndexValueType begin = line[d] == lines.GetIndex(d)
                                   ? m_Region.GetIndex(d)
                                   : imageStart + layout.GetStart(static_cast<SizeValueType>(line[d]));
    const IndexValueType end = line[d] == lines.GetUpperIndex()[d]
                                 ? m_Region.GetUpperIndex()[d] + 1
                                 : imageStart + layout.GetStart(static_cast<SizeValueType>(line[d] + 1));
    const IndexValueType croppedBegin = std::max(begin, m_Region.GetIndex(d));
    const IndexValueType croppedEnd = std::min(end, m_Region.GetUpperIndex()[d] + 1);
    rows.SetIndex(d, croppedBegin);
    rows.SetSize(d, static_cast<SizeValueType>(std::max<IndexValueType>(croppedEnd - croppedBegin, 0)));
  }
  return rows;
}

template <typename TStack, typename TOutputImage>
bool
PatchMergeAccumulator<TStack, TOutputImage>::IsInOutputBuffer(const IndexType & rowStart) const
{
  return m_Base != nullptr && rowStart[m_SliceAxis] < m_Region.GetIndex(m_SliceAxis) +
                                                        static_cast<IndexValueType>(m_Region.GetSize(m_SliceAxis));
}

template <typename TStack, typename TOutputImage>
auto
PatchMergeAccumulator<TStack, TOutputImage>::Row(const IndexType & rowStart) const -> AccumulatorType *
{
  if (this->IsInOutputBuffer(rowStart))
  {
    const OffsetValueType slice = rowStart[m_SliceAxis] - m_Region.GetIndex(m_SliceAxis);
    return m_Base + (slice * m_SliceVoxels + this->VoxelInSlice(rowStart)) * m_ValuesPerVoxel;
  }
  // Its own buffer (AllocateRows), from the region's first voxel on axis 0.
  return m_Rows.sums[this->RowKey(rowStart)].get() + this->AlongRow(rowStart) * m_ValuesPerVoxel;
}

template <typename TStack, typename TOutputImage>
SizeValueType
PatchMergeAccumulator<TStack, TOutputImage>::RowKey(const IndexType & rowStart) const
{
  auto key = static_cast<SizeValueType>(((rowStart[m_SliceAxis] % m_SlotSlices) + m_SlotSlices) % m_SlotSlices);
  if constexpr (ImageDimension > 2)
  {
    for (unsigned int d = m_SliceAxis; d > 1;)
    {
      --d;
      key = key * m_Region.GetSize(d) + static_cast<SizeValueType>(rowStart[d] - m_Region.GetIndex(d));
    }
  }
  return key;
}

template <typename TStack, typename TOutputImage>
OffsetValueType
PatchMergeAccumulator<TStack, TOutputImage>::VoxelInSlice(const IndexType & rowStart) const
{
  OffsetValueType voxel = 0;
  OffsetValueType stride = 1;
  for (unsigned int d = 0; d < m_SliceAxis; ++d)
  {
    voxel += (rowStart[d] - m_Region.GetIndex(d)) * stride;
    stride *= static_cast<OffsetValueType>(m_Region.GetSize(d));
  }
  return voxel;
}

template <typename TStack, typename TOutputImage>
auto
PatchMergeAccumulator<TStack, TOutputImage>::GetLineRegion(SizeValueType first, SizeValueType last) const -> RegionType
{
  // Along a line only the position on axis 0 changes: the line spans from its first patch to its last.
  RegionType lineRegion = m_Grid.GetPatchRegion(first);
  lineRegion.SetSize(
    0, static_cast<SizeValueType>(m_Grid.GetPatchRegion(last).GetUpperIndex()[0] - lineRegion.GetIndex(0) + 1));
  // Inside the region, and past its end as far as the carry reaches.
  RegionType sumsRegion = m_Region;
  sumsRegion.SetSize(m_SliceAxis, static_cast<SizeValueType>(m_CarryEnd - sumsRegion.GetIndex(m_SliceAxis)));
  if (!lineRegion.Crop(sumsRegion))
  {
    return RegionType();
  }
  return lineRegion;
}

template <typename TStack, typename TOutputImage>
auto
PatchMergeAccumulator<TStack, TOutputImage>::GetRowsFinishedInScatter(const RegionType & lineRegion,
                                                                      const RegionType & finalRows) const -> RegionType
{
  RegionType fused = finalRows;
  if (this->IsScalar() && finalRows.GetNumberOfPixels() > 0 && lineRegion.GetIndex(0) == finalRows.GetIndex(0) &&
      lineRegion.GetSize(0) == finalRows.GetSize(0) && fused.Crop(lineRegion))
  {
    return fused;
  }
  return RegionType();
}

template <typename TStack, typename TOutputImage>
void
PatchMergeAccumulator<TStack, TOutputImage>::ScatterPiece(const PatchRun &   run,
                                                          const RegionType & piece,
                                                          const RegionType & finalRows,
                                                          bool               partOfRun) const
{
  // Row by row, every patch of the line adds its part of the row while the row's sums stay in cache.
  // Eight rows ahead: measured on 384^3 in batches of 1 and 4 (four rows ahead gained less).
  constexpr std::ptrdiff_t SumsRowsAhead = 8;
  const std::ptrdiff_t     sumsRowBytes = static_cast<std::ptrdiff_t>(sizeof(AccumulatorType)) *
                                      static_cast<std::ptrdiff_t>(m_Region.GetSize(0)) * m_ValuesPerVoxel;
  std::vector<typename KernelType::WeightedValueType> weights;
  ForEachSliceRow(piece, [&](const IndexType & rowStart, SizeValueType rowLength) {
    const RowSums row{ this->Row(rowStart), rowStart, rowLength };
    // Rows of the output buffer follow one another; rows of their own buffers do not.
    if (partOfRun && this->IsInOutputBuffer(rowStart))
    {
      PrefetchBytes(row.sums, sumsRowBytes * SumsRowsAhead, sizeof(AccumulatorType) * rowLength * m_ValuesPerVoxel);
    }
    m_Kernel.AddRunToRow(run, row, weights);
    if (finalRows.IsInside(rowStart))
    {
      m_Kernel.FinishRow(row);
    }
  });
}

template <typename TStack, typename TOutputImage>
void
PatchMergeAccumulator<TStack, TOutputImage>::FinishRow(const IndexType & rowStart, SizeValueType length) const
{
  if (const FinishedRow * finished = this->Finished(rowStart))
  {
    // A row may come in parts (a work unit's piece): its non-finite values are counted with its first voxel.
    const OffsetValueType alongRow = this->AlongRow(rowStart);
    const OffsetValueType values = m_Kernel.GetOutputValuesPerVoxel();
    std::copy_n(finished->values.get() + alongRow * values,
                length * static_cast<SizeValueType>(values),
                m_Kernel.GetOutputRow(rowStart));
    m_Kernel.AddNonFiniteValues(alongRow == 0 ? finished->nonFinite : 0);
    return;
  }
  m_Kernel.FinishRow(RowSums{ this->Row(rowStart), rowStart, length });
}

template <typename TStack, typename TOutputImage>
void
PatchMergeAccumulator<TStack, TOutputImage>::SetLines(const RegionType & lines)
{
  // Every line of the box, by its place in ForEachSliceRow's order.
  m_Lines = lines;
  m_Runs.clear();
  m_Runs.reserve(GetNumberOfSliceRows(lines));
  ForEachSliceRow(lines, [&](const IndexType & lineStart, SizeValueType lineLength) {
    const SizeValueType first = m_Grid.GetLinearIndex(lineStart);
    m_Runs.push_back(m_Kernel.MakePatchRun(first, first + lineLength - 1));
  });
}

template <typename TStack, typename TOutputImage>
void
PatchMergeAccumulator<TStack, TOutputImage>::MergePiece(const RegionType & piece) const
{
  std::vector<AccumulatorType> sums(piece.GetSize(0) * static_cast<SizeValueType>(m_ValuesPerVoxel));
  std::vector<typename KernelType::WeightedValueType> weights;
  ForEachSliceRow(piece, [&](const IndexType & rowStart, SizeValueType rowLength) {
    std::fill_n(sums.data(), rowLength * static_cast<SizeValueType>(m_ValuesPerVoxel), AccumulatorType{ 0 });
    const RowSums                      row{ sums.data(), rowStart, rowLength };
    typename OutputImageType::SizeType rowSize;
    rowSize.Fill(1);
    rowSize[0] = rowLength;
    // The lines over the row, in the order the line-by-line merge adds them.
    ForEachSliceRow(m_Grid.GetOverlappingGridRegion(RegionType(rowStart, rowSize)),
                    [&](const IndexType & lineStart, SizeValueType) {
                      m_Kernel.AddRunToRow(m_Runs[GetSliceRowNumber(m_Lines, lineStart)], row, weights);
                    });
    m_Kernel.FinishRow(row);
  });
}

} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
