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
#ifndef itkPatchMerger_hxx
#define itkPatchMerger_hxx

#include "itkPatchMerger.h"
#include "itkPatchImageRows.h"
#include "itkPatchPrefetch.h"
#include "itkPatchStackGrid.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace itk
{
template <typename TInputImage, typename TOutputImage>
struct PatchMerger<TInputImage, TOutputImage>::Accumulator
{
  static constexpr unsigned int SliceAxis = OutputImageDimension - 1;

  Accumulator(const OutputImageRegionType & accumulatedRegion, OffsetValueType componentsPerPixel, bool sumWeights)
    : region(accumulatedRegion)
    , components(componentsPerPixel)
    , valuesPerVoxel(componentsPerPixel + (sumWeights ? 1 : 0))
  {
    for (unsigned int d = 0; d < SliceAxis; ++d)
    {
      sliceVoxels *= static_cast<OffsetValueType>(region.GetSize(d));
    }
  }

  /** The partial sums of the row that starts at `rowStart`: inside `region`
   * (output buffer or ring), or past its end on the slowest axis (carry). */
  AccumulatorType *
  Row(const typename OutputImageType::IndexType & rowStart) const
  {
    if (rowStart[SliceAxis] >= region.GetIndex(SliceAxis) + static_cast<IndexValueType>(region.GetSize(SliceAxis)))
    {
      return this->CarryRow(rowStart);
    }
    OffsetValueType slice = rowStart[SliceAxis] - region.GetIndex(SliceAxis);
    if (ringSlices > 0)
    {
      slice %= ringSlices;
    }
    return base + (slice * sliceVoxels + this->VoxelInSlice(rowStart)) * valuesPerVoxel;
  }

  /** The carry ring's row for `rowStart`, a slice past the region (or carried into it). */
  AccumulatorType *
  CarryRow(const typename OutputImageType::IndexType & rowStart) const
  {
    const OffsetValueType slot = ((rowStart[SliceAxis] % carryRingSlices) + carryRingSlices) % carryRingSlices;
    return carry + (slot * sliceVoxels + this->VoxelInSlice(rowStart)) * valuesPerVoxel;
  }

  OffsetValueType
  VoxelInSlice(const typename OutputImageType::IndexType & rowStart) const
  {
    OffsetValueType voxel = 0;
    OffsetValueType stride = 1;
    for (unsigned int d = 0; d < SliceAxis; ++d)
    {
      voxel += (rowStart[d] - region.GetIndex(d)) * stride;
      stride *= static_cast<OffsetValueType>(region.GetSize(d));
    }
    return voxel;
  }

  const OutputImageRegionType region;
  const OffsetValueType       components;
  /** components, plus the sum of the weights when some patches are skipped (it follows the components). */
  const OffsetValueType valuesPerVoxel;
  OffsetValueType       sliceVoxels{ 1 };
  AccumulatorType *     base{ nullptr };
  /** 0 when the sums live in the output buffer, else the number of slices of the ring. */
  OffsetValueType ringSlices{ 0 };
  /** The ring of P-1 slices (keyed by slice index) holding the sums past the region, up to carryEnd. */
  AccumulatorType * carry{ nullptr };
  OffsetValueType   carryRingSlices{ 0 };
  IndexValueType    carryEnd{ 0 };
};

template <typename TInputImage, typename TOutputImage>
struct PatchMerger<TInputImage, TOutputImage>::PatchRun
{
  /** The first patch's k: the run holds patches first, first + 1, ... */
  SizeValueType first{ 0 };
  /** The grid index of the first patch: the run's patches share it but on axis 0. */
  typename OutputImageType::IndexType gridIndex{};
  /** Each patch's region of the image. */
  std::vector<OutputImageRegionType> regions{};
  /** Grid index along axis 0, a patch's. */
  std::vector<IndexValueType> positions{};
  /** Most positions (all interior ones) share one axis-0 profile. */
  std::vector<const std::vector<double> *> distinctProfiles{};
  /** A patch's profile, into distinctProfiles. */
  std::vector<SizeValueType> profileOfPatch{};
  /** Every profile is 1 throughout (Average weighting). */
  bool unitProfiles{ true };
};

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::SetCustomProfile(unsigned int axis, const std::vector<double> & profile)
{
  if (axis >= OutputImageDimension)
  {
    itkExceptionMacro(<< "CustomProfile axis = " << axis << " must be less than " << OutputImageDimension);
  }
  if (profile != m_CustomProfiles[axis])
  {
    m_CustomProfiles[axis] = profile;
    this->Modified();
  }
}

template <typename TInputImage, typename TOutputImage>
const std::vector<double> &
PatchMerger<TInputImage, TOutputImage>::GetCustomProfile(unsigned int axis) const
{
  if (axis >= OutputImageDimension)
  {
    itkExceptionMacro(<< "CustomProfile axis = " << axis << " must be less than " << OutputImageDimension);
  }
  return m_CustomProfiles[axis];
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::GenerateOutputInformation()
{
  // The output is N-D and the input (N+1)-D, so Superclass's copy does not apply.
  const InputImageType * stack = this->GetInput();
  OutputImageType *      output = this->GetOutput();
  if (stack == nullptr)
  {
    itkExceptionMacro(<< "Input patch stack is not set");
  }
  const PatchGridType & grid = m_PatchGrid.Resolve(*stack);

  output->SetLargestPossibleRegion(grid.GetImageRegion());
  output->SetSpacing(grid.GetSpacing());
  output->SetOrigin(grid.GetOrigin());
  output->SetDirection(grid.GetDirection());
  output->SetNumberOfComponentsPerPixel(stack->GetNumberOfComponentsPerPixel());
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();

  auto * stack = const_cast<InputImageType *>(this->GetInput());
  if (stack == nullptr)
  {
    return;
  }
  stack->SetRequestedRegion(this->GetStackRegion(m_LinePatchRange.first, m_LinePatchRange.second));
}

template <typename TInputImage, typename TOutputImage>
auto
PatchMerger<TInputImage, TOutputImage>::GetStackRegion(SizeValueType first, SizeValueType last) const
  -> InputImageRegionType
{
  InputImageRegionType patches = this->GetInput()->GetLargestPossibleRegion();
  patches.SetIndex(OutputImageDimension, static_cast<IndexValueType>(first));
  patches.SetSize(OutputImageDimension, last - first + 1);
  patches.Crop(this->GetInput()->GetLargestPossibleRegion());
  return patches;
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::PropagateRequestedRegion(DataObject * output)
{
  if (this->m_Updating)
  {
    return;
  }
  this->EnlargeOutputRequestedRegion(output);
  this->GenerateOutputRequestedRegion(output);
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::UpdateOutputData(DataObject * itkNotUsed(output))
{
  // ProcessObject::UpdateOutputData would first update the input with one
  // requested region; the merger drives its input itself, line by line.
  if (this->m_Updating)
  {
    return;
  }
  this->PrepareOutputs();
  if (this->GetNumberOfValidRequiredInputs() < this->GetNumberOfRequiredInputs())
  {
    itkExceptionMacro(<< "Input patch stack is not set");
  }
  this->m_Updating = true;
  this->InvokeEvent(StartEvent());
  this->SetAbortGenerateData(false);
  this->UpdateProgress(0.0f);
  try
  {
    this->GenerateData();
  }
  catch (ProcessAborted &)
  {
    this->InvokeEvent(AbortEvent());
    this->ResetPipeline();
    throw;
  }
  catch (...)
  {
    this->ResetPipeline();
    throw;
  }
  this->UpdateProgress(1.0f);
  this->InvokeEvent(EndEvent());
  for (auto & outputName : this->GetOutputNames())
  {
    if (this->ProcessObject::GetOutput(outputName))
    {
      this->ProcessObject::GetOutput(outputName)->DataHasBeenGenerated();
    }
  }
  this->ReleaseInputs();
  this->m_Updating = false;
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::GenerateData()
{
  OutputImageType * output = this->GetOutput();
  this->AllocateOutputs();
  const OutputImageRegionType region = output->GetRequestedRegion();
  const PatchGridType &       grid = this->GetPatchGrid();
  const unsigned int          components = output->GetNumberOfComponentsPerPixel();
  const auto background = PixelToComponents<OutputComponentType>(m_BackgroundValue, components, "BackgroundValue");

  PatchWindowParameters parameters;
  parameters.Weighting = m_Weighting;
  parameters.SigmaScale = m_SigmaScale;
  parameters.MinimumWeight = m_MinimumWeight;
  parameters.CustomProfiles.assign(m_CustomProfiles.begin(), m_CustomProfiles.end());
  const WindowsType windows(grid, parameters);

  // A mask-restricted grid breaks the separable normaliser (DESIGN section 4):
  // then the weights are summed too, over the requested region only.
  const bool  sumWeights = grid.HasSkippedPatches();
  Accumulator accumulator(region, components, sumWeights);

  // Sums carried from the previous request, when it was the division just
  // before this one: the lines it scattered are not pulled again. Until this
  // request succeeds, nothing is carried.
  const bool                  useCarried = this->CanUseCarriedSums(region);
  const OutputImageRegionType arrived = useCarried ? m_CarriedSums.region : OutputImageRegionType();
  const IndexValueType        scatteredThrough = useCarried ? m_CarriedSums.lastLinePosition : -1;
  m_CarriedSums.region = OutputImageRegionType();
  m_CarriedSums.lastLinePosition = -1;

  const OutputImageRegionType lines = grid.GetOverlappingGridRegion(region);
  if (!sumWeights && this->StackHoldsEveryLine(lines, scatteredThrough))
  {
    m_CarriedSums.sums = std::vector<AccumulatorType>();
    this->MergeRowByRow(accumulator, windows, background, lines);
    this->ReleaseStackIfFlagged();
  }
  else
  {
    this->MergeLineByLine(accumulator, windows, background, lines, arrived, scatteredThrough);
  }
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::MergeLineByLine(Accumulator &                            accumulator,
                                                        const WindowsType &                      windows,
                                                        const std::vector<OutputComponentType> & background,
                                                        const OutputImageRegionType &            lines,
                                                        const OutputImageRegionType &            arrived,
                                                        IndexValueType                           scatteredThrough)
{
  constexpr unsigned int        SliceAxis = Accumulator::SliceAxis;
  OutputImageType *             output = this->GetOutput();
  const OutputImageRegionType & region = accumulator.region;
  const PatchGridType &         grid = this->GetPatchGrid();
  const OffsetValueType         components = accumulator.components;
  const bool                    sumWeights = accumulator.valuesPerVoxel > components; // a mask-restricted grid

  std::vector<AccumulatorType> ring;
  const auto sliceComponents = static_cast<SizeValueType>(accumulator.sliceVoxels * accumulator.valuesPerVoxel);
  if constexpr (std::is_same<AccumulatorType, OutputComponentType>::value)
  {
    if (!sumWeights)
    {
      accumulator.base = GetComponentBuffer(output);
      // Zeroed by all work units: with one, this fill is a good part of a merge's time.
      this->ForEachRowInParallel(region,
                                 [&](const typename OutputImageType::IndexType & rowStart, SizeValueType length) {
                                   std::fill_n(accumulator.Row(rowStart), length * components, AccumulatorType{ 0 });
                                 });
    }
  }
  if (accumulator.base == nullptr)
  {
    // A line touches P slices and no row below the current line's first slice is still open: P slices suffice.
    accumulator.ringSlices =
      static_cast<OffsetValueType>(std::min(grid.GetPatchSize()[SliceAxis], region.GetSize(SliceAxis)));
    ring.assign(static_cast<SizeValueType>(accumulator.ringSlices) * sliceComponents, AccumulatorType{ 0 });
    accumulator.base = ring.data();
  }

  const IndexValueType regionEnd = region.GetIndex(SliceAxis) + static_cast<IndexValueType>(region.GetSize(SliceAxis));
  // Lines that straddle the region's end leave sums in the slices after it,
  // at most P-1 of them: a ring of P-1 slices keeps them for the next division.
  IndexValueType carryEnd = regionEnd;
  if (arrived.GetNumberOfPixels() > 0)
  {
    carryEnd = std::max(carryEnd, arrived.GetUpperIndex()[SliceAxis] + 1);
  }
  IndexValueType lastLinePosition = scatteredThrough;
  if (lines.GetNumberOfPixels() > 0)
  {
    const IndexValueType imageEnd = grid.GetImageRegion().GetUpperIndex()[SliceAxis] + 1;
    const IndexValueType lastLineEnd =
      grid.GetImageRegion().GetIndex(SliceAxis) +
      grid.GetAxisLayout(SliceAxis).GetStart(static_cast<SizeValueType>(lines.GetUpperIndex()[SliceAxis])) +
      static_cast<IndexValueType>(grid.GetPatchSize()[SliceAxis]);
    carryEnd = std::max(carryEnd, std::min(lastLineEnd, imageEnd));
    lastLinePosition = std::max(lastLinePosition, lines.GetUpperIndex()[SliceAxis]);
  }
  if (carryEnd > regionEnd && arrived.GetNumberOfPixels() == 0)
  {
    m_CarriedSums.sums.assign((grid.GetPatchSize()[SliceAxis] - 1) * sliceComponents, AccumulatorType{ 0 });
  }
  accumulator.carry = m_CarriedSums.sums.data();
  accumulator.carryRingSlices = static_cast<OffsetValueType>(grid.GetPatchSize()[SliceAxis]) - 1;
  accumulator.carryEnd = carryEnd;
  // Carried slices inside this region move to the accumulator; their ring slots are freed.
  OutputImageRegionType arriving = arrived;
  if (arriving.Crop(region))
  {
    ForEachSliceRow(arriving, [&](const typename OutputImageType::IndexType & rowStart, SizeValueType length) {
      const SizeValueType rowValues = length * static_cast<SizeValueType>(accumulator.valuesPerVoxel);
      AccumulatorType *   slot = accumulator.CarryRow(rowStart);
      std::copy_n(slot, rowValues, accumulator.Row(rowStart));
      std::fill_n(slot, rowValues, AccumulatorType{ 0 });
    });
  }

  const SizeValueType numberOfLines = GetNumberOfSliceRows(lines);
  SizeValueType       merged = 0;

  // Each row of the grid box `lines` is one patch line (or the part of it that
  // overlaps the region); they come with non-decreasing start on the slowest
  // axis. In 1-D each patch is a line of its own.
  ForEachSliceRow(lines, [&](const typename OutputImageType::IndexType & lineStart, SizeValueType lineLength) {
    this->ReportProgress(static_cast<float>(merged++) / static_cast<float>(numberOfLines));
    const OutputImageRegionType lastTouched = this->GetRowsLastTouchedBy(lineStart, lines, region);
    OutputImageRegionType       finished; // the rows the scatter finished itself
    // Lines scattered by the previous division have their sums carried.
    if (lineStart[SliceAxis] > scatteredThrough)
    {
      // The line, or in a mask-restricted grid each run of kept patches in it: skipped patches are never requested.
      const SizeValueType lineFirst = grid.GetLinearIndex(lineStart);
      const SizeValueType lineEnd = lineFirst + lineLength;
      for (SizeValueType first = lineFirst; first < lineEnd;)
      {
        if (!grid.IsPatchKept(first))
        {
          ++first;
          continue;
        }
        SizeValueType last = first;
        while (last + 1 < lineEnd && grid.IsPatchKept(last + 1))
        {
          ++last;
        }
        this->PullPatches(first, last);
        finished = this->ScatterLine(accumulator, windows, background, first, last, lastTouched);
        this->ReleaseStackIfFlagged(); // before the next line is computed
        first = last + 1;
      }
    }
    this->FinishRows(accumulator, windows, background, lastTouched, finished);
  });
  if (lines.GetNumberOfPixels() == 0)
  {
    this->FinishRows(accumulator, windows, background, region, OutputImageRegionType()); // no patch reaches the region
  }

  if (carryEnd > regionEnd)
  {
    m_CarriedSums.region = region;
    m_CarriedSums.region.SetIndex(SliceAxis, regionEnd);
    m_CarriedSums.region.SetSize(SliceAxis, static_cast<SizeValueType>(carryEnd - regionEnd));
    m_CarriedSums.lastLinePosition = lastLinePosition;
    m_CarriedSums.pipelineMTime = output->GetPipelineMTime();
  }
  else
  {
    m_CarriedSums.sums = std::vector<AccumulatorType>();
  }
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::ReleaseStackIfFlagged()
{
  auto * stack = const_cast<InputImageType *>(this->GetInput());
  if (stack->ShouldIReleaseData())
  {
    stack->ReleaseData();
  }
}


template <typename TInputImage, typename TOutputImage>
bool
PatchMerger<TInputImage, TOutputImage>::CanUseCarriedSums(const OutputImageRegionType & region) const
{
  // Only for the division right after the one that left them, with nothing changed upstream or here.
  constexpr unsigned int SliceAxis = OutputImageDimension - 1;
  if (m_CarriedSums.region.GetNumberOfPixels() == 0 ||
      m_CarriedSums.pipelineMTime != this->GetOutput()->GetPipelineMTime() ||
      m_CarriedSums.region.GetIndex(SliceAxis) != region.GetIndex(SliceAxis))
  {
    return false;
  }
  for (unsigned int d = 0; d < SliceAxis; ++d)
  {
    if (m_CarriedSums.region.GetIndex(d) != region.GetIndex(d) || m_CarriedSums.region.GetSize(d) != region.GetSize(d))
    {
      return false;
    }
  }
  return true;
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::PullPatches(SizeValueType first, SizeValueType last)
{
  auto * stack = const_cast<InputImageType *>(this->GetInput());
  m_LinePatchRange = { first, last };
  this->GenerateInputRequestedRegion();
  stack->PropagateRequestedRegion();
  stack->UpdateOutputData();
  if (!stack->GetBufferedRegion().IsInside(stack->GetRequestedRegion()))
  {
    itkExceptionMacro(<< "the stack's source produced " << stack->GetBufferedRegion() << " instead of "
                      << stack->GetRequestedRegion());
  }
}

template <typename TInputImage, typename TOutputImage>
bool
PatchMerger<TInputImage, TOutputImage>::StackHoldsEveryLine(const OutputImageRegionType & lines,
                                                            IndexValueType                scatteredThrough)
{
  constexpr unsigned int SliceAxis = Accumulator::SliceAxis;
  if (lines.GetNumberOfPixels() == 0)
  {
    return false;
  }
  auto firstLine = lines.GetIndex();
  firstLine[SliceAxis] = std::max(firstLine[SliceAxis], scatteredThrough + 1);
  if (firstLine[SliceAxis] > lines.GetUpperIndex()[SliceAxis])
  {
    return false; // the previous division scattered every line: their sums are carried
  }
  // Pulling the line the line-by-line merge would pull first costs nothing
  // extra; a source that streams the stack produces that line only.
  const PatchGridType & grid = this->GetPatchGrid();
  const SizeValueType   first = grid.GetLinearIndex(firstLine);
  const SizeValueType   lineLength = OutputImageDimension > 1 ? lines.GetSize(0) : 1; // in 1-D a patch is a line
  this->PullPatches(first, first + lineLength - 1);
  return this->GetInput()->GetBufferedRegion().IsInside(
    this->GetStackRegion(grid.GetLinearIndex(lines.GetIndex()), grid.GetLinearIndex(lines.GetUpperIndex())));
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::MergeRowByRow(const Accumulator &                      accumulator,
                                                      const WindowsType &                      windows,
                                                      const std::vector<OutputComponentType> & background,
                                                      const OutputImageRegionType &            lines)
{
  const PatchGridType & grid = this->GetPatchGrid();
  // Every line of the box, by its place in ForEachSliceRow's order.
  std::vector<PatchRun> runs;
  runs.reserve(GetNumberOfSliceRows(lines));
  ForEachSliceRow(lines, [&](const typename OutputImageType::IndexType & lineStart, SizeValueType lineLength) {
    const SizeValueType first = grid.GetLinearIndex(lineStart);
    runs.push_back(this->MakePatchRun(windows, first, first + lineLength - 1));
  });

  // In chunks of slices, so that progress and abort are handled on this
  // thread between them (ProcessObject sends progress events from the
  // updating thread only).
  constexpr SizeValueType       ProgressSteps = 32;
  constexpr unsigned int        SliceAxis = Accumulator::SliceAxis;
  const OutputImageRegionType & region = accumulator.region;
  const SizeValueType           slices = region.GetSize(SliceAxis);
  const SizeValueType           chunks = std::min(slices, ProgressSteps);
  for (SizeValueType chunk = 0; chunk < chunks; ++chunk)
  {
    this->ReportProgress(static_cast<float>(chunk) / static_cast<float>(chunks));
    OutputImageRegionType rows = region;
    rows.SetIndex(SliceAxis, region.GetIndex(SliceAxis) + static_cast<IndexValueType>(slices * chunk / chunks));
    rows.SetSize(SliceAxis, slices * (chunk + 1) / chunks - slices * chunk / chunks);
    this->ForEachPieceInParallel(rows, [&](const OutputImageRegionType & piece) {
      std::vector<AccumulatorType>   sums(piece.GetSize(0) * static_cast<SizeValueType>(accumulator.valuesPerVoxel));
      std::vector<WeightedValueType> rowWeights;
      ForEachSliceRow(piece, [&](const typename OutputImageType::IndexType & rowStart, SizeValueType rowLength) {
        std::fill_n(
          sums.data(), rowLength * static_cast<SizeValueType>(accumulator.valuesPerVoxel), AccumulatorType{ 0 });
        typename OutputImageType::SizeType rowSize;
        rowSize.Fill(1);
        rowSize[0] = rowLength;
        // The lines over the row, in the order the line-by-line merge adds them.
        ForEachSliceRow(grid.GetOverlappingGridRegion(OutputImageRegionType(rowStart, rowSize)),
                        [&](const typename OutputImageType::IndexType & lineStart, SizeValueType) {
                          this->AddRunToRow(runs[GetSliceRowNumber(lines, lineStart)],
                                            accumulator,
                                            windows,
                                            sums.data(),
                                            rowStart,
                                            rowLength,
                                            rowWeights);
                        });
        this->FinishRow(accumulator, sums.data(), windows, background, rowStart, rowLength);
      });
    });
  }
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::ReportProgress(float progress)
{
  if (this->GetAbortGenerateData())
  {
    ProcessAborted aborted(__FILE__, __LINE__);
    aborted.SetDescription("PatchMerger: AbortGenerateDataOn");
    throw aborted;
  }
  this->UpdateProgress(progress);
}

template <typename TInputImage, typename TOutputImage>
auto
PatchMerger<TInputImage, TOutputImage>::MakePatchRun(const WindowsType & windows,
                                                     SizeValueType       first,
                                                     SizeValueType       last) const -> PatchRun
{
  const PatchGridType &   grid = this->GetPatchGrid();
  const PatchAxisWindow & axis0Window = windows.GetAxisWindow(0);
  PatchRun                run;
  run.first = first;
  run.gridIndex = grid.GetGridIndex(first);
  for (SizeValueType patch = first; patch <= last; ++patch)
  {
    run.regions.push_back(grid.GetPatchRegion(patch));
    run.positions.push_back(grid.GetGridIndex(patch)[0]);
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

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::AddRunToRow(const PatchRun &                            run,
                                                    const Accumulator &                         accumulator,
                                                    const WindowsType &                         windows,
                                                    AccumulatorType *                           rowSums,
                                                    const typename OutputImageType::IndexType & rowStart,
                                                    SizeValueType                               rowLength,
                                                    std::vector<WeightedValueType> &            rowWeights) const
{
  // Along axes 1..N-1 the row is at the same offset in every patch of the run.
  const double rowWeight = windows.GetRowWeight(run.gridIndex, rowStart - run.regions.front().GetIndex());
  if (rowWeight == 0.0)
  {
    return;
  }
  const InputImageType * stack = this->GetInput();
  const auto *           stackBuffer = GetComponentBuffer(stack);
  const OffsetValueType  components = accumulator.components;
  const OffsetValueType  valuesPerVoxel = accumulator.valuesPerVoxel;
  const bool             sumWeights = valuesPerVoxel > components; // a mask-restricted grid
  const bool             scalar = valuesPerVoxel == 1;
  const SizeValueType    profileLength = this->GetPatchGrid().GetPatchSize()[0];
  // Where every weight is 1 (Average), w·v = v exactly: the values are added as they are.
  const bool unitWeights = scalar && run.unitProfiles && rowWeight == 1.0;
  if (scalar && !unitWeights)
  {
    // The scalar case forms the row's weights once per distinct profile,
    // w = float(rowWeight * profile) exactly as PatchWindows defines it.
    rowWeights.resize(run.distinctProfiles.size() * profileLength);
    for (SizeValueType p = 0; p < run.distinctProfiles.size(); ++p)
    {
      std::transform(run.distinctProfiles[p]->begin(),
                     run.distinctProfiles[p]->end(),
                     rowWeights.begin() + static_cast<OffsetValueType>(p * profileLength),
                     [rowWeight](double value) { return static_cast<WeightedValueType>(rowWeight * value); });
    }
  }
  // Every patch of the run adds its part of the row in increasing k.
  const IndexValueType rowEnd = rowStart[0] + static_cast<IndexValueType>(rowLength);
  for (SizeValueType i = 0; i < run.regions.size(); ++i)
  {
    const OutputImageRegionType & patchRegion = run.regions[i];
    const IndexValueType          begin = std::max(rowStart[0], patchRegion.GetIndex(0));
    const IndexValueType          end =
      std::min(rowEnd, patchRegion.GetIndex(0) + static_cast<IndexValueType>(patchRegion.GetSize(0)));
    if (begin >= end)
    {
      continue;
    }
    auto partStart = rowStart;
    partStart[0] = begin;
    const auto                         offset = partStart - patchRegion.GetIndex();
    typename InputImageType::IndexType stackIndex;
    for (unsigned int d = 0; d < OutputImageDimension; ++d)
    {
      stackIndex[d] = offset[d];
    }
    stackIndex[OutputImageDimension] = static_cast<IndexValueType>(run.first + i);
    const auto * source = stackBuffer + components * stack->ComputeOffset(stackIndex);
    // The patch's next rows follow this one in the stack.
    PrefetchRowAhead(
      source, components * stack->GetOffsetTable()[1], components * static_cast<std::size_t>(end - begin));
    AccumulatorType *   sums = rowSums + (begin - rowStart[0]) * valuesPerVoxel;
    const SizeValueType length = static_cast<SizeValueType>(end - begin);
    if (unitWeights)
    {
      for (SizeValueType j = 0; j < length; ++j)
      {
        sums[j] += static_cast<AccumulatorType>(static_cast<WeightedValueType>(source[j]));
      }
      continue;
    }
    if (scalar)
    {
      // Branch-free so that it vectorises: a zero weight selects 0
      // (never 0·v, which is NaN for v = NaN or Inf).
      const WeightedValueType * weights = rowWeights.data() + run.profileOfPatch[i] * profileLength + offset[0];
      const bool                inputIsWeighted = m_InputIsWeighted;
      for (SizeValueType j = 0; j < length; ++j)
      {
        const auto value = static_cast<WeightedValueType>(source[j]);
        const auto term = inputIsWeighted ? value : weights[j] * value;
        sums[j] += weights[j] != WeightedValueType{ 0 } ? static_cast<AccumulatorType>(term) : AccumulatorType{ 0 };
      }
      continue;
    }
    auto gridIndex = run.gridIndex;
    gridIndex[0] = run.positions[i];
    const double * profile = windows.GetRowProfile(gridIndex, offset[0]);
    for (SizeValueType j = 0; j < length; ++j)
    {
      const double weight = rowWeight * profile[j];
      // Voxels outside a patch's window (Crop, Adaptive's padding) never touch the sums.
      if (weight == 0.0)
      {
        continue;
      }
      const auto sourceVoxel = source + j * components;
      auto       sumsVoxel = sums + j * valuesPerVoxel;
      for (OffsetValueType c = 0; c < components; ++c)
      {
        const auto value = static_cast<WeightedValueType>(sourceVoxel[c]);
        sumsVoxel[c] +=
          static_cast<AccumulatorType>(m_InputIsWeighted ? value : static_cast<WeightedValueType>(weight) * value);
      }
      if (sumWeights)
      {
        sumsVoxel[components] += static_cast<AccumulatorType>(weight);
      }
    }
  }
}

template <typename TInputImage, typename TOutputImage>
auto
PatchMerger<TInputImage, TOutputImage>::ScatterLine(const Accumulator &                      accumulator,
                                                    const WindowsType &                      windows,
                                                    const std::vector<OutputComponentType> & background,
                                                    SizeValueType                            first,
                                                    SizeValueType                            last,
                                                    const OutputImageRegionType & finalRows) -> OutputImageRegionType
{
  const PatchGridType & grid = this->GetPatchGrid();
  // Along a line only the position on axis 0 changes: the line spans from its first patch to its last.
  OutputImageRegionType lineRegion = grid.GetPatchRegion(first);
  lineRegion.SetSize(
    0, static_cast<SizeValueType>(grid.GetPatchRegion(last).GetUpperIndex()[0] - lineRegion.GetIndex(0) + 1));
  // Inside the region, and past its end as far as the carry reaches.
  OutputImageRegionType sumsRegion = accumulator.region;
  sumsRegion.SetSize(Accumulator::SliceAxis,
                     static_cast<SizeValueType>(accumulator.carryEnd - sumsRegion.GetIndex(Accumulator::SliceAxis)));
  if (!lineRegion.Crop(sumsRegion))
  {
    return OutputImageRegionType();
  }
  const PatchRun run = this->MakePatchRun(windows, first, last);
  // The final rows this line covers whole along axis 0 are finished as soon
  // as the line's last patch has added to them, while they are in cache.
  OutputImageRegionType fused = finalRows;
  const bool            fuseFinish = accumulator.valuesPerVoxel == 1 && finalRows.GetNumberOfPixels() > 0 &&
                          lineRegion.GetIndex(0) == finalRows.GetIndex(0) &&
                          lineRegion.GetSize(0) == finalRows.GetSize(0) && fused.Crop(lineRegion);
  if (!fuseFinish)
  {
    fused = OutputImageRegionType();
  }

  this->ForEachPieceInParallel(lineRegion, [&](const OutputImageRegionType & piece) {
    // Each thread owns its voxels. Row by row, every patch of the line adds
    // its part of the row while the row's sums stay in cache.
    std::vector<WeightedValueType> rowWeights;
    ForEachSliceRow(piece, [&](const typename OutputImageType::IndexType & rowStart, SizeValueType rowLength) {
      AccumulatorType * sums = accumulator.Row(rowStart);
      this->AddRunToRow(run, accumulator, windows, sums, rowStart, rowLength, rowWeights);
      if (fused.IsInside(rowStart))
      {
        this->FinishRow(accumulator, sums, windows, background, rowStart, rowLength);
      }
    });
  });
  return fused;
}

template <typename TInputImage, typename TOutputImage>
auto
PatchMerger<TInputImage, TOutputImage>::GetRowsLastTouchedBy(const typename OutputImageType::IndexType & line,
                                                             const OutputImageRegionType &               lines,
                                                             const OutputImageRegionType &               region) const
  -> OutputImageRegionType
{
  // Lines come in order of their grid index on axes 1..N-1 (axis 1 fastest),
  // so a row's last line has, on each of those axes, the last grid position
  // whose patch starts at or before the row: the rows between this line's
  // start and the next line's start. The box's first and last lines also take
  // the rows before and after every patch (Crop border mode's remainder).
  // In 1-D each patch is a line and the rows are voxels along axis 0.
  constexpr unsigned int FirstLineAxis = OutputImageDimension > 1 ? 1 : 0;
  const PatchGridType &  grid = this->GetPatchGrid();
  OutputImageRegionType  rows = region;
  for (unsigned int d = FirstLineAxis; d < OutputImageDimension; ++d)
  {
    const auto &         layout = grid.GetAxisLayout(d);
    const IndexValueType imageStart = grid.GetImageRegion().GetIndex(d);
    const IndexValueType begin = line[d] == lines.GetIndex(d)
                                   ? region.GetIndex(d)
                                   : imageStart + layout.GetStart(static_cast<SizeValueType>(line[d]));
    const IndexValueType end = line[d] == lines.GetUpperIndex()[d]
                                 ? region.GetUpperIndex()[d] + 1
                                 : imageStart + layout.GetStart(static_cast<SizeValueType>(line[d] + 1));
    const IndexValueType croppedBegin = std::max(begin, region.GetIndex(d));
    const IndexValueType croppedEnd = std::min(end, region.GetUpperIndex()[d] + 1);
    rows.SetIndex(d, croppedBegin);
    rows.SetSize(d, static_cast<SizeValueType>(std::max<IndexValueType>(croppedEnd - croppedBegin, 0)));
  }
  return rows;
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::FinishRows(const Accumulator &                      accumulator,
                                                   const WindowsType &                      windows,
                                                   const std::vector<OutputComponentType> & background,
                                                   const OutputImageRegionType &            rows,
                                                   const OutputImageRegionType &            finished)
{
  constexpr unsigned int SliceAxis = Accumulator::SliceAxis;
  if (rows.GetNumberOfPixels() == 0)
  {
    return;
  }
  // Two slices sharing a ring slot (the uncovered remainder of Crop border
  // mode follows the last line) must not be finished by two threads at once:
  // at most one ring's worth of slices per parallel pass.
  const IndexValueType begin = rows.GetIndex(SliceAxis);
  const IndexValueType end = begin + static_cast<IndexValueType>(rows.GetSize(SliceAxis));
  const IndexValueType passSlices = accumulator.ringSlices > 0 ? accumulator.ringSlices : end - begin;
  for (IndexValueType passBegin = begin; passBegin < end; passBegin += passSlices)
  {
    OutputImageRegionType pass = rows;
    pass.SetIndex(SliceAxis, passBegin);
    pass.SetSize(SliceAxis, static_cast<SizeValueType>(std::min(passSlices, end - passBegin)));
    this->ForEachRowInParallel(pass, [&](const typename OutputImageType::IndexType & rowStart, SizeValueType length) {
      if (!finished.IsInside(rowStart))
      {
        this->FinishRow(accumulator, accumulator.Row(rowStart), windows, background, rowStart, length);
      }
    });
  }
}

template <typename TInputImage, typename TOutputImage>
template <typename TRowFunction>
void
PatchMerger<TInputImage, TOutputImage>::ForEachRowInParallel(const OutputImageRegionType & rows,
                                                             TRowFunction &&               function)
{
  this->ForEachPieceInParallel(rows, [&](const OutputImageRegionType & piece) { ForEachSliceRow(piece, function); });
}

template <typename TInputImage, typename TOutputImage>
template <typename TPieceFunction>
void
PatchMerger<TInputImage, TOutputImage>::ForEachPieceInParallel(const OutputImageRegionType & region,
                                                               TPieceFunction &&             function)
{
  this->GetMultiThreader()->SetNumberOfWorkUnits(this->GetNumberOfWorkUnits());
  this->GetMultiThreader()->template ParallelizeImageRegion<OutputImageDimension>(region, function, nullptr);
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::FinishRow(const Accumulator &                         accumulator,
                                                  AccumulatorType *                           sums,
                                                  const WindowsType &                         windows,
                                                  const std::vector<OutputComponentType> &    background,
                                                  const typename OutputImageType::IndexType & rowStart,
                                                  SizeValueType                               length)
{
  OutputImageType *     output = this->GetOutput();
  auto *                outputBuffer = GetComponentBuffer(output);
  const auto &          imageIndex = this->GetPatchGrid().GetImageRegion().GetIndex();
  const OffsetValueType components = accumulator.components;
  // The separable normaliser's reciprocal: 1/W_0(x_0) times 1 / (the
  // product of the other axes' W_d), so no voxel is divided.
  const double   rowNormalizer = windows.GetRowNormalizer(rowStart - imageIndex);
  const double   rowReciprocal = rowNormalizer > 0.0 ? 1.0 / rowNormalizer : 0.0;
  const double * reciprocals =
    windows.GetAxisWindow(0).GetNormalizerReciprocals().data() + (rowStart[0] - imageIndex[0]);
  OutputComponentType * target = outputBuffer + components * output->ComputeOffset(rowStart);
  const OffsetValueType valuesPerVoxel = accumulator.valuesPerVoxel;
  if constexpr (!std::is_integral<OutputComponentType>::value)
  {
    if (valuesPerVoxel == 1)
    {
      // The common scalar case, branch-free so that it vectorises: an
      // uncovered voxel's sum is +0 and its scale 0, so adding the background
      // there is exact, and subtracting -0 elsewhere keeps every value's bits.
      // With a zero background (the default) nothing needs adding.
      const double uncovered = background[0];
      const auto   finishScalarRow = [&](auto addBackground) {
        const auto normalised = [&](SizeValueType j, AccumulatorType sum) {
          const double scale = rowReciprocal * reciprocals[j];
          const double value = static_cast<double>(sum) * scale;
          if constexpr (decltype(addBackground)::value)
          {
            return static_cast<OutputComponentType>(value - (scale != 0.0 ? 0.0 : -uncovered));
          }
          return static_cast<OutputComponentType>(value);
        };
        if constexpr (std::is_same<AccumulatorType, OutputComponentType>::value)
        {
          if (sums == target)
          {
            // The sums are the output row: one pointer, because the
            // compiler does not vectorise a loop whose two pointers are equal.
            for (SizeValueType j = 0; j < length; ++j)
            {
              target[j] = normalised(j, target[j]);
            }
            return;
          }
        }
        for (SizeValueType j = 0; j < length; ++j)
        {
          target[j] = normalised(j, sums[j]);
        }
        if (accumulator.ringSlices > 0)
        {
          std::fill_n(sums, length, AccumulatorType{ 0 }); // the ring slots are reused by later slices
        }
      };
      if (uncovered == 0.0)
      {
        finishScalarRow(std::false_type{});
      }
      else
      {
        finishScalarRow(std::true_type{});
      }
      return;
    }
  }
  for (SizeValueType j = 0; j < length; ++j)
  {
    AccumulatorType * voxelSums = sums + static_cast<OffsetValueType>(j) * valuesPerVoxel;
    // Summed weights in a mask-restricted grid, else the separable normaliser.
    const double summedWeights = valuesPerVoxel > components ? static_cast<double>(voxelSums[components]) : 0.0;
    const double scale =
      valuesPerVoxel > components ? (summedWeights > 0.0 ? 1.0 / summedWeights : 0.0) : rowReciprocal * reciprocals[j];
    for (OffsetValueType c = 0; c < components; ++c)
    {
      const OffsetValueType i = static_cast<OffsetValueType>(j) * components + c;
      if (scale > 0.0)
      {
        const double value = static_cast<double>(voxelSums[c]) * scale;
        if constexpr (std::is_integral<OutputComponentType>::value)
        {
          // Round to nearest; values past the type's range saturate (documented in the class).
          const double lowest = static_cast<double>(std::numeric_limits<OutputComponentType>::lowest());
          const double highest = static_cast<double>(std::numeric_limits<OutputComponentType>::max());
          target[i] = static_cast<OutputComponentType>(std::min(std::max(std::round(value), lowest), highest));
        }
        else
        {
          target[i] = static_cast<OutputComponentType>(value);
        }
      }
      else
      {
        target[i] = background[c];
      }
    }
    if (accumulator.ringSlices > 0)
    {
      std::fill_n(voxelSums, valuesPerVoxel, AccumulatorType{ 0 }); // the ring slot is reused by a later slice
    }
  }
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  m_PatchGrid.Print(os, indent);
  os << indent << "Weighting: " << m_Weighting << std::endl;
  os << indent << "SigmaScale: " << m_SigmaScale << std::endl;
  os << indent << "MinimumWeight: " << m_MinimumWeight << std::endl;
  os << indent << "InputIsWeighted: " << (m_InputIsWeighted ? "On" : "Off") << std::endl;
  for (unsigned int d = 0; d < OutputImageDimension; ++d)
  {
    os << indent << "CustomProfile[" << d << "]: [";
    for (std::size_t t = 0; t < m_CustomProfiles[d].size(); ++t)
    {
      os << (t == 0 ? "" : ", ") << m_CustomProfiles[d][t];
    }
    os << "]" << std::endl;
  }
  os << indent
     << "BackgroundValue: " << static_cast<typename NumericTraits<OutputPixelType>::PrintType>(m_BackgroundValue)
     << std::endl;
  os << indent << "CarriedSums: " << m_CarriedSums.region << " (" << m_CarriedSums.sums.size()
     << " values, lines through slowest-axis position " << m_CarriedSums.lastLinePosition << ")" << std::endl;
  os << indent << "LinePatchRange: [" << m_LinePatchRange.first << ", " << m_LinePatchRange.second << "]" << std::endl;
}
} // end namespace itk

#endif
