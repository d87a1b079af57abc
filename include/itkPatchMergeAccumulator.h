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

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

namespace itk
{
namespace PatchStreamingDetail
{
/** \class PatchMergeAccumulator
 * \brief Where PatchMerger keeps the partial sums of the requested output
 * region, and which rows of them a patch line adds to or finishes.
 *
 * The sums of a row live in the output buffer (a float or double output with
 * the stack's components), or else in a buffer of their own, allocated (zeroed)
 * when a line first reaches the row and freed as soon as the row is finished:
 * integer outputs, label maps (PatchMerger's argmax output), a mask-restricted
 * grid (whose weights are summed next to the values), and the rows past the end
 * of the requested region on the slice axis, which PatchMerger carries to the
 * next division (docs/design.md section 5). So only the rows some line has
 * reached and some later line still will are resident: about P-S slices of the
 * region's other axes, not the region. The arithmetic on a row is
 * PatchMergeRowKernel's. PatchMerger drives it: it pulls the patch lines and
 * splits the rows over the work units; AllocateRows and ReleaseRows run on one
 * thread, and every other method touches only the rows it is given, so two
 * threads never write one voxel.
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

  /** The axis the slices, the row slots and the carry are along: the slice axis
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

  /** Chooses where the line-by-line merge keeps the sums of the region's
   * rows: the output buffer (returns true: the caller zeroes its rows with
   * ZeroRow), else row buffers of their own (AllocateRows). */
  bool
  AllocateSums();

  /** Zeroes the sums of one row of the output buffer. */
  void
  ZeroRow(const IndexType & rowStart, SizeValueType length) const;

  /** Frees a row buffer, which AllocateRows allocated with calloc (zeroed; fresh pages need no writing). */
  struct FreeRow
  {
    void
    operator()(AccumulatorType * row) const
    {
      std::free(row);
    }
  };
  /** The sums of one row, GetRowValues() values. */
  using RowBuffer = std::unique_ptr<AccumulatorType[], FreeRow>;

  /** A carried row that no later line reaches, finished: its output values (a label map's
   * labels: one byte a voxel instead of C sums) and its non-finite merged values, counted
   * when the row is written (FinishRow), in the division it belongs to. */
  struct FinishedRow
  {
    std::unique_ptr<OutputComponentType[]> values{};
    SizeValueType                          nonFinite{ 0 };
  };

  /** The row buffers, in slots keyed by (slice mod 2P, row in the slice),
   * each with the slice whose row it holds: its sums, or once finished past
   * the region, its output values (FinishCarriedRow). The rows open at once lie within
   * fewer than 2P consecutive slices (a line spans P slices, and the rows
   * before the current line's first slice are finished, but for the arrived
   * carry, which starts less than P slices before it), so slots are never
   * shared; AllocateRows throws if they were. Kept between divisions, so the
   * next one takes over the carried rows in their slots. */
  struct RowSlots
  {
    std::vector<RowBuffer>      sums{};
    std::vector<FinishedRow>    finished{};
    std::vector<IndexValueType> slices{};

    void
    Clear()
    {
      sums.clear();
      finished.clear();
      slices.clear();
    }

    /** The rows with a buffer of sums. */
    SizeValueType
    GetNumberOfRowsHeld() const
    {
      return static_cast<SizeValueType>(
        std::count_if(sums.begin(), sums.end(), [](const RowBuffer & row) { return row != nullptr; }));
    }

    /** The rows held finished, as output values. */
    SizeValueType
    GetNumberOfFinishedRowsHeld() const
    {
      return static_cast<SizeValueType>(
        std::count_if(finished.begin(), finished.end(), [](const FinishedRow & row) { return row.values != nullptr; }));
    }
  };
  using CarriedRows = RowSlots;

  /** Lines that straddle the region's end leave sums in the slices after it,
   * at most P-1 of them, which the next division takes over. Takes the slots
   * with the rows `arrived` from the previous division (`carried`, emptied;
   * new empty slots when `arrived` is empty), copying the rows inside the
   * region to the output buffer when the sums live there. Returns the end of
   * the slices past the region that lines of the grid box `lines` reach. */
  IndexValueType
  PrepareCarry(CarriedRows & carried, const RegionType & lines, const RegionType & arrived);

  /** Whether carried rows that no later line reaches are finished before they are carried
   * (FinishCarriedRow): when their sums have buffers of their own and the output values take
   * less memory than the sums (a label map's one label against C sums, an integer output's
   * values against double sums). */
  bool
  FinishesCarriedRows() const;

  /** Where the first patch line after the line at grid position `lastLine` on the slice axis
   * starts (the image's end after the last line): the rows past the region before it are
   * reached by no line after `lastLine`. */
  IndexValueType
  GetNextLineStart(IndexValueType lastLine) const;

  /** Gives every row of `rows` (whole rows along axis 0) whose sums have a buffer a buffer for
   * its output values, and returns their starts, for FinishCarriedRow. Throws
   * MemoryAllocationError when the memory is not there. One thread. */
  std::vector<IndexType>
  AllocateFinishedRows(const RegionType & rows);

  /** Finishes the whole carried row that starts at `rowStart` (one of AllocateFinishedRows'; past
   * the region, and no later line reaches it) into its output-value buffer and frees its sums:
   * FinishRow writes the values in the division the row belongs to. Each thread its rows. */
  void
  FinishCarriedRow(const IndexType & rowStart);

  /** Moves the slots, holding the rows past the region's end (PrepareCarry's slices), into `carried`. */
  void
  TakeCarry(CarriedRows & carried);

  /** Gives every row of `rows` outside `except` that has no buffer yet a
   * zeroed one (nothing for rows in the output buffer). Throws
   * MemoryAllocationError when the memory is not there. One thread. */
  void
  AllocateRows(const RegionType & rows, const RegionType & except);

  /** Frees the buffers of the rows of `rows` (finished rows), output values too. One thread. */
  void
  ReleaseRows(const RegionType & rows);

  /** How many slices FinishRows should give AllocateRows at once: all of
   * `slices` when the sums are the output buffer, else at most one patch's
   * length, so that rows no line reaches (Crop's remainder) are not all
   * resident at once. */
  SizeValueType
  GetSlicesPerFinishPass(SizeValueType slices) const;

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

  /** Finishes the row of the sums that starts at `rowStart`; a row finished while carried
   * (FinishCarriedRow) has its output values copied, and their non-finite ones counted. */
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

  /** The sums of the row that starts at `rowStart`: in the output buffer or in the row's own buffer. */
  AccumulatorType *
  Row(const IndexType & rowStart) const;

  /** The carried row that starts at `rowStart`, finished (FinishCarriedRow); nullptr when it is not. */
  const FinishedRow *
  Finished(const IndexType & rowStart) const;

  /** Whether the row that starts at `rowStart` has its sums in the output buffer. */
  bool
  IsInOutputBuffer(const IndexType & rowStart) const;

  /** The end of the slices past the region that lines of `lines` (or the arrived carry) reach. */
  IndexValueType
  GetCarryEnd(const RegionType & lines, const RegionType & arrived) const;

  /** Where `rowStart` lies along its row: voxels from the region's first on axis 0 (0 in 1-D). */
  OffsetValueType
  AlongRow(const IndexType & rowStart) const
  {
    return ImageDimension > 1 ? rowStart[0] - m_Region.GetIndex(0) : 0;
  }

  /** The row's slot in m_Rows: (slice mod 2P) rows of slices before it, then its place in the slice, axis 1 fastest. */
  SizeValueType
  RowKey(const IndexType & rowStart) const;

  OffsetValueType
  VoxelInSlice(const IndexType & rowStart) const;

  OutputImageType *     m_Output;
  const GridType &      m_Grid;
  const KernelType      m_Kernel;
  const RegionType      m_Region;
  const unsigned int    m_SliceAxis;
  const OffsetValueType m_ValuesPerVoxel;
  OffsetValueType       m_SliceVoxels{ 1 };
  /** The output buffer when the sums live there, else nullptr. */
  AccumulatorType * m_Base{ nullptr };
  /** Voxels in one row: the region's length along axis 0 (1 in 1-D). */
  SizeValueType m_RowLength{ 1 };
  /** Rows per slice of the region, and values in one row's buffer. */
  SizeValueType m_RowsPerSlice{ 1 };
  SizeValueType m_RowValues{ 0 };
  /** The row buffers (RowKey), and the slices of their ring of slots: twice the patch's length. */
  RowSlots       m_Rows{};
  IndexValueType m_SlotSlices{ 2 };
  IndexValueType m_CarryEnd{ 0 };
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
