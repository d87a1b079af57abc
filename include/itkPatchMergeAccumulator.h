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
#ifndef itkPatchMergeAccumulator_h
#define itkPatchMergeAccumulator_h

#include "itkPatchMergeRowKernel.h"

#include <vector>

namespace itk
{
namespace PatchStreamingDetail
{
/** \class PatchMergeAccumulator
 * \brief Where PatchMerger keeps the partial sums of the requested output
 * region, and which rows of them a patch line adds to or finishes.
 *
 * The sums of a row live in the output buffer (float or double output), in a
 * ring of at most P slices along the slice axis (integer outputs, or a
 * mask-restricted grid, whose weights are summed next to the values), or, for
 * slices past the end of the requested region, in the carry ring of P-1
 * slices that PatchMerger keeps between divisions (docs/design.md section 5).
 * The arithmetic on a row is PatchMergeRowKernel's. PatchMerger drives it: it
 * pulls the patch lines and splits the rows over the work units; every method
 * here touches only the rows it is given, so two threads never write one voxel.
 *
 * \sa PatchMerger, PatchMergeRowKernel
 * \ingroup PatchStreaming
 */
template <typename TStack, typename TOutputImage>
class ITK_TEMPLATE_EXPORT PatchMergeAccumulator
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PatchMergeAccumulator);

  using KernelType = PatchMergeRowKernel<TStack, TOutputImage>;
  static constexpr unsigned int ImageDimension = KernelType::ImageDimension;

  using OutputImageType = TOutputImage;
  using RegionType = typename KernelType::RegionType;
  using IndexType = typename KernelType::IndexType;
  using GridType = typename KernelType::GridType;
  using OutputComponentType = typename KernelType::OutputComponentType;
  using AccumulatorType = typename KernelType::AccumulatorType;
  using SettingsType = typename KernelType::SettingsType;
  using PatchRun = typename KernelType::PatchRun;

  /** The sums of the output's requested region, read from `stack` and written
   * to `output`. Throws what PatchWindows throws (bad weighting parameters). */
  PatchMergeAccumulator(const TStack *       stack,
                        OutputImageType *    output,
                        const GridType &     grid,
                        const SettingsType & settings);

  /** The axis the slices, the ring and the carry are along: the slice axis
   * the image is more than one voxel long on (PatchStreamingDetail::GetSliceAxis). */
  unsigned int
  GetSliceAxis() const
  {
    return m_SliceAxis;
  }

  /** The output region whose sums this accumulates (the output's requested region). */
  const RegionType &
  GetRegion() const
  {
    return m_Region;
  }

  /** Whether the weights are summed next to the values (a mask-restricted grid). */
  bool
  SumsWeights() const
  {
    return m_Kernel.SumsWeights();
  }

  /** The merged values finished so far that were NaN or infinite (PatchMergeRowKernel::GetNumberOfNonFiniteValues). */
  SizeValueType
  GetNumberOfNonFiniteValues() const
  {
    return m_Kernel.GetNumberOfNonFiniteValues();
  }

  /** Whether a row's sums are one value per voxel (a scalar stack, no summed weights). */
  bool
  IsScalar() const
  {
    return m_ValuesPerVoxel == 1;
  }

  /** The slices of the ring the sums live in; 0 when they live in the output buffer. */
  OffsetValueType
  GetRingSlices() const
  {
    return m_RingSlices;
  }

  /** Chooses where the line-by-line merge keeps its sums: the output buffer
   * (returns true: the caller zeroes its rows with ZeroRow), else a ring of
   * min(P, region) slices, zeroed here. */
  bool
  AllocateSums();

  /** Zeroes the sums of one row of the output buffer. */
  void
  ZeroRow(const IndexType & rowStart, SizeValueType length) const;

  /** One slot per slice of a ring of P-1 slices (keyed by slice index); a
   * slot holds one slice of sums while that slice is carried, else nothing. */
  using CarrySlots = std::vector<std::vector<AccumulatorType>>;

  /** Lines that straddle the region's end leave sums in the slices after it,
   * at most P-1 of them, kept in `carriedSums` for the next division. Empties
   * every slot when nothing `arrived` from the previous division, moves the
   * arrived sums inside the region to the sums and frees their slots, then
   * allocates (zeroed) the slots of the slices that the grid box `lines`
   * reaches past the region and that are not carried yet. Returns the end of
   * the slices carried. Only the slices carried are resident: at most
   * min(P-1, end of the last line - end of the region) of them. */
  IndexValueType
  PrepareCarry(CarrySlots & carriedSums, const RegionType & lines, const RegionType & arrived);

  /** The rows of the region whose last line is `line` (a grid index in the
   * box `lines`): no later line touches them, so they can be finished. */
  RegionType
  GetRowsLastTouchedBy(const IndexType & line, const RegionType & lines) const;

  /** The patches first..last (kept, in one line), their regions and distinct axis-0 profiles. */
  PatchRun
  MakePatchRun(SizeValueType first, SizeValueType last) const
  {
    return m_Kernel.MakePatchRun(first, last);
  }

  /** The voxels the patches first..last of one line add to: their box,
   * cropped to the region and the carried slices past it; empty when none. */
  RegionType
  GetLineRegion(SizeValueType first, SizeValueType last) const;

  /** The rows of `finalRows` (rows no later line touches) that the scatter of
   * the line over `lineRegion` finishes itself, right after the line's last
   * patch has added to them while they are in cache: those it covers whole
   * along axis 0, for scalar sums; else an empty region. */
  RegionType
  GetRowsFinishedInScatter(const RegionType & lineRegion, const RegionType & finalRows) const;

  /** Adds the run to the sums of the rows of `piece`, and finishes the rows
   * inside `finalRows` right after (their last line is this run's). For
   * `partOfRun` (a batch ended inside the run: the run has too few patches to
   * hide the wait for each row's sums), the sums of a later row are
   * prefetched; a whole run does not need it and is slower with it. */
  void
  ScatterPiece(const PatchRun & run, const RegionType & piece, const RegionType & finalRows, bool partOfRun) const;

  /** Finishes the row of the sums that starts at `rowStart`. */
  void
  FinishRow(const IndexType & rowStart, SizeValueType length) const;

  /** For the row-by-row merge: a run for every line of the grid box `lines`. */
  void
  SetLines(const RegionType & lines);

  /** For the row-by-row merge: each row of `piece` gathers every line over it
   * (SetLines), in the order of the line-by-line merge, in a row buffer, and
   * is finished and written once. */
  void
  MergePiece(const RegionType & piece) const;

  /** Whether a patch of the grid box `lines` reaches past the region's end on
   * the slice axis (and inside the image): the next division needs it too. */
  bool
  ReachesPastRegion(const RegionType & lines) const;

private:
  using RowSums = typename KernelType::RowSums;

  /** The values of one slice of the region (the size of one carry ring slot). */
  SizeValueType
  GetSliceValues() const
  {
    return static_cast<SizeValueType>(m_SliceVoxels * m_ValuesPerVoxel);
  }

  /** The sums of the row that starts at `rowStart`: inside the region (output
   * buffer or ring), or past its end on the slice axis (carry ring). */
  AccumulatorType *
  Row(const IndexType & rowStart) const;

  /** The end of the slices past the region that lines of `lines` (or the arrived carry) reach. */
  IndexValueType
  GetCarryEnd(const RegionType & lines, const RegionType & arrived) const;

  AccumulatorType *
  CarryRow(const IndexType & rowStart) const;

  /** The slot of the carry ring that holds `slice` (an index on the slice axis). */
  SizeValueType
  CarrySlot(IndexValueType slice) const;

  OffsetValueType
  VoxelInSlice(const IndexType & rowStart) const;

  OutputImageType *            m_Output;
  const GridType &             m_Grid;
  const KernelType             m_Kernel;
  const RegionType             m_Region;
  const unsigned int           m_SliceAxis;
  const OffsetValueType        m_ValuesPerVoxel;
  OffsetValueType              m_SliceVoxels{ 1 };
  AccumulatorType *            m_Base{ nullptr };
  std::vector<AccumulatorType> m_Ring{};
  /** 0 when the sums live in the output buffer, else the number of slices of the ring. */
  OffsetValueType m_RingSlices{ 0 };
  /** The slots of the slices past the region holding sums, up to m_CarryEnd. */
  std::vector<AccumulatorType> * m_Carry{ nullptr };
  OffsetValueType                m_CarryRingSlices{ 0 };
  IndexValueType                 m_CarryEnd{ 0 };
  /** The row-by-row merge's runs, one per line of m_Lines. */
  std::vector<PatchRun> m_Runs{};
  RegionType            m_Lines{};
};
} // end namespace PatchStreamingDetail
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkPatchMergeAccumulator.hxx"
#endif

#endif
