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

#include <algorithm>

namespace itk
{
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

  const PatchWindowParameters parameters = this->GetWindowParameters();
  if (m_InputIsWeighted && parameters.GetWindowFloor() > 0.0)
  {
    itkExceptionMacro(<< "MinimumWeightOnWindow is on with InputIsWeighted: a weighted stack "
                         "(SeparableGaussianWeighting) holds windows floored per axis; turn one of them off");
  }
  PatchWindows<OutputImageDimension>(grid, parameters)
    .template CheckWeightsFit<typename AccumulatorType::KernelType::WeightedValueType>(parameters);

  output->SetLargestPossibleRegion(grid.GetImageRegion());
  output->SetSpacing(grid.GetSpacing());
  output->SetOrigin(grid.GetOrigin());
  output->SetDirection(grid.GetDirection());
  const unsigned int components = stack->GetNumberOfComponentsPerPixel();
  if constexpr (AccumulatorType::KernelType::IsLabelOutput)
  {
    if (components < 2)
    {
      itkExceptionMacro(<< "the stack has " << components
                        << " component per pixel: a scalar integer output of a multi-component stack type is the "
                           "label map of 2 or more components (their argmax); merge a scalar stack for rounded values");
    }
    if (static_cast<double>(components) - 1.0 > static_cast<double>(NumericTraits<OutputPixelType>::max()))
    {
      itkExceptionMacro(<< "the stack has " << components
                        << " components per pixel (classes); the label map's pixel type holds labels up to "
                        << static_cast<typename NumericTraits<OutputPixelType>::PrintType>(
                             NumericTraits<OutputPixelType>::max()));
    }
    output->SetNumberOfComponentsPerPixel(1);
  }
  else
  {
    output->SetNumberOfComponentsPerPixel(components);
    if (output->GetNumberOfComponentsPerPixel() != components)
    {
      itkExceptionMacro(<< "the stack has " << components << " components per pixel but the output's pixel type holds "
                        << output->GetNumberOfComponentsPerPixel() << " (a label map needs a scalar integer output)");
    }
  }
}

template <typename TInputImage, typename TOutputImage>
PatchWindowParameters
PatchMerger<TInputImage, TOutputImage>::GetWindowParameters() const
{
  PatchWindowParameters parameters;
  parameters.Weighting = m_Weighting;
  parameters.SigmaScale = m_SigmaScale;
  parameters.MinimumWeight = m_MinimumWeight;
  parameters.CustomProfiles.assign(m_CustomProfiles.begin(), m_CustomProfiles.end());
  parameters.MinimumWeightOnWindow = m_MinimumWeightOnWindow;
  return parameters;
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
  this->GetOutput()->DataHasBeenGenerated(); // the merger's only output
  // No ReleaseInputs(): GenerateData releases the stack as it merges it
  // (PatchStackPuller::ReleaseIfFlagged), except a batch that reaches into the lines of the
  // next division, kept for it.
  this->m_Updating = false;
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::GenerateData()
{
  OutputImageType * output = this->GetOutput();
  this->AllocateOutputs();
  typename AccumulatorType::SettingsType settings;
  settings.Background = PatchStreamingDetail::PixelToComponents<typename AccumulatorType::OutputComponentType>(
    m_BackgroundValue, output->GetNumberOfComponentsPerPixel(), "BackgroundValue");
  settings.WindowParameters = this->GetWindowParameters();
  settings.InputIsWeighted = m_InputIsWeighted;
  // A mask-restricted grid breaks the separable normaliser (docs/design.md
  // section 4): then the accumulator sums the weights too, over the requested region only.
  AccumulatorType accumulator(this->GetInput(), output, this->GetPatchGrid(), settings);
  StackPullerType stack(this->GetInput(), this->GetPatchGrid());
  this->MergeRequestedRegion(accumulator, stack);
  m_NumberOfNonFiniteValues += accumulator.GetNumberOfNonFiniteValues();
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::MergeRequestedRegion(AccumulatorType & accumulator, StackPullerType & stack)
{
  const OutputImageRegionType & region = accumulator.GetRegion();
  const PatchGridType &         grid = this->GetPatchGrid();

  // Sums carried from the previous request, when it was the division just
  // before this one: the lines it scattered are not pulled again. Until this
  // request succeeds, nothing is carried.
  const bool                  useCarried = this->CanUseCarriedSums(region);
  const OutputImageRegionType arrived = useCarried ? m_CarriedSums.region : OutputImageRegionType();
  const IndexValueType        scatteredThrough = useCarried ? m_CarriedSums.lastLinePosition : -1;
  m_CarriedSums.region = OutputImageRegionType();
  m_CarriedSums.lastLinePosition = -1;

  // Pulling the line the line-by-line merge pulls first costs nothing extra;
  // a source that streams the stack produces that line only, a stack in
  // memory holds them all.
  const OutputImageRegionType lines = grid.GetOverlappingGridRegion(region);
  OutputImageIndexType        firstLine;
  if (!accumulator.SumsWeights() && this->GetFirstLineToPull(lines, scatteredThrough, firstLine))
  {
    const SizeValueType first = grid.GetLinearIndex(firstLine);
    const SizeValueType lineLength = OutputImageDimension > 1 ? lines.GetSize(0) : 1; // in 1-D a patch is a line
    stack.PullPatchesFrom(first, first + lineLength - 1);
    if (stack.HoldsEveryLine(lines))
    {
      m_CarriedSums.sums.Clear();
      this->MergeRowByRow(accumulator, lines);
      // Nothing is carried: lines that reach past the region stay buffered for the next division.
      if (!accumulator.ReachesPastRegion(lines))
      {
        stack.ReleaseIfFlagged(grid.GetLinearIndex(lines.GetUpperIndex()) + 1);
      }
      return;
    }
  }
  this->MergeLineByLine(accumulator, stack, lines, arrived, scatteredThrough);
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::MergeLineByLine(AccumulatorType &             accumulator,
                                                        StackPullerType &             stack,
                                                        const OutputImageRegionType & lines,
                                                        const OutputImageRegionType & arrived,
                                                        IndexValueType                scatteredThrough)
{
  const unsigned int            SliceAxis = accumulator.GetSliceAxis();
  const OutputImageRegionType & region = accumulator.GetRegion();
  if (accumulator.AllocateSums())
  {
    // The sums are the output buffer. Zeroed by all work units: with one,
    // this fill is a good part of a merge's time.
    this->ForEachRowInParallel(region, [&](const OutputImageIndexType & rowStart, SizeValueType length) {
      accumulator.ZeroRow(rowStart, length);
    });
  }
  const IndexValueType carryEnd = accumulator.PrepareCarry(m_CarriedSums.sums, lines, arrived);
  const IndexValueType lastLinePosition =
    lines.GetNumberOfPixels() > 0 ? std::max(scatteredThrough, lines.GetUpperIndex()[SliceAxis]) : scatteredThrough;
  // The rows past the region before the next line's start are reached by no later line.
  const IndexValueType finishedPastEnd = std::min(carryEnd, accumulator.GetNextLineStart(lastLinePosition));

  // Each row of the grid box `lines` is one patch line (or the part of it that
  // overlaps the region); they come with non-decreasing start on the slowest
  // axis. In 1-D each patch is a line of its own.
  const SizeValueType numberOfLines = PatchStreamingDetail::GetNumberOfSliceRows(lines);
  SizeValueType       merged = 0;
  PatchStreamingDetail::ForEachSliceRow(lines, [&](const OutputImageIndexType & lineStart, SizeValueType lineLength) {
    this->ReportProgress(static_cast<float>(merged++) / static_cast<float>(numberOfLines));
    const OutputImageRegionType lastTouched = accumulator.GetRowsLastTouchedBy(lineStart, lines);
    OutputImageRegionType       finished; // the rows the scatter finished itself
    // Lines scattered by the previous division have their sums carried.
    if (lineStart[SliceAxis] > scatteredThrough)
    {
      finished = this->MergeLine(accumulator, stack, lineStart, lineLength, lastTouched);
    }
    this->FinishRows(accumulator, lastTouched, finished);
    if (lineStart[SliceAxis] == lines.GetUpperIndex()[SliceAxis])
    {
      this->FinishRowsPastRegion(accumulator, lastTouched, finishedPastEnd);
    }
  });
  if (lines.GetNumberOfPixels() == 0)
  {
    this->FinishRows(accumulator, region, OutputImageRegionType()); // no patch reaches the region
  }
  this->KeepCarry(accumulator, carryEnd, lastLinePosition);
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::FinishRowsPastRegion(AccumulatorType &             accumulator,
                                                             const OutputImageRegionType & lastTouched,
                                                             IndexValueType                end)
{
  const unsigned int   SliceAxis = accumulator.GetSliceAxis();
  const auto &         region = accumulator.GetRegion();
  const IndexValueType regionEnd = region.GetIndex(SliceAxis) + static_cast<IndexValueType>(region.GetSize(SliceAxis));
  if (!accumulator.FinishesCarriedRows() || end <= regionEnd)
  {
    return;
  }
  // The same rows on the other axes as the line's last-touched rows in the region, past its end.
  OutputImageRegionType past = lastTouched;
  past.SetIndex(SliceAxis, regionEnd);
  past.SetSize(SliceAxis, static_cast<SizeValueType>(end - regionEnd));
  const auto starts = accumulator.AllocateFinishedRows(past);
  this->GetMultiThreader()->SetNumberOfWorkUnits(this->GetNumberOfWorkUnits());
  this->GetMultiThreader()->ParallelizeArray(
    0, starts.size(), [&](SizeValueType i) { accumulator.FinishCarriedRow(starts[i]); }, nullptr);
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::KeepCarry(AccumulatorType & accumulator,
                                                  IndexValueType    carryEnd,
                                                  IndexValueType    lastLinePosition)
{
  const OutputImageRegionType & region = accumulator.GetRegion();
  const unsigned int            SliceAxis = this->GetSliceAxis();
  const IndexValueType regionEnd = region.GetIndex(SliceAxis) + static_cast<IndexValueType>(region.GetSize(SliceAxis));
  if (carryEnd > regionEnd)
  {
    m_CarriedSums.region = region;
    m_CarriedSums.region.SetIndex(SliceAxis, regionEnd);
    m_CarriedSums.region.SetSize(SliceAxis, static_cast<SizeValueType>(carryEnd - regionEnd));
    m_CarriedSums.lastLinePosition = lastLinePosition;
    m_CarriedSums.pipelineMTime = this->GetOutput()->GetPipelineMTime();
    accumulator.TakeCarry(m_CarriedSums.sums);
  }
  else
  {
    m_CarriedSums.sums.Clear();
  }
}

template <typename TInputImage, typename TOutputImage>
auto
PatchMerger<TInputImage, TOutputImage>::MergeLine(AccumulatorType &             accumulator,
                                                  StackPullerType &             stack,
                                                  const OutputImageIndexType &  lineStart,
                                                  SizeValueType                 lineLength,
                                                  const OutputImageRegionType & finalRows) -> OutputImageRegionType
{
  const PatchGridType & grid = this->GetPatchGrid();
  const SizeValueType   lineFirst = grid.GetLinearIndex(lineStart);
  const SizeValueType   lineEnd = lineFirst + lineLength;
  OutputImageRegionType finished;
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
    // A batch may end inside the run, or reach past it into the next line.
    for (SizeValueType segment = first; segment <= last;)
    {
      const SizeValueType segmentEnd = stack.PullPatchesFrom(segment, last);
      // The run's last part scatters over the rows of the whole run, so that it finishes them;
      // an earlier part never does, even where its rows span the whole request (a request
      // narrower than the line): the later parts still add to them.
      const bool lastPart = segmentEnd == last + 1;
      finished = this->ScatterLine(accumulator,
                                   lastPart ? first : segment,
                                   segment,
                                   segmentEnd - 1,
                                   lastPart ? finalRows : OutputImageRegionType(),
                                   segment != first || !lastPart);
      stack.ReleaseIfFlagged(segmentEnd); // before the next patches are computed
      segment = segmentEnd;
    }
    first = last + 1;
  }
  return finished;
}

template <typename TInputImage, typename TOutputImage>
unsigned int
PatchMerger<TInputImage, TOutputImage>::GetSliceAxis() const
{
  return PatchStreamingDetail::GetSliceAxis(this->GetPatchGrid().GetImageRegion());
}

template <typename TInputImage, typename TOutputImage>
bool
PatchMerger<TInputImage, TOutputImage>::CanUseCarriedSums(const OutputImageRegionType & region) const
{
  // Only for the division right after the one that left them, with nothing changed upstream or here.
  const unsigned int SliceAxis = this->GetSliceAxis();
  if (m_CarriedSums.region.GetNumberOfPixels() == 0 ||
      m_CarriedSums.pipelineMTime != this->GetOutput()->GetPipelineMTime() ||
      m_CarriedSums.region.GetIndex(SliceAxis) != region.GetIndex(SliceAxis))
  {
    return false;
  }
  for (unsigned int d = 0; d < OutputImageDimension; ++d)
  {
    if (d != SliceAxis && (m_CarriedSums.region.GetIndex(d) != region.GetIndex(d) ||
                           m_CarriedSums.region.GetSize(d) != region.GetSize(d)))
    {
      return false;
    }
  }
  return true;
}

template <typename TInputImage, typename TOutputImage>
bool
PatchMerger<TInputImage, TOutputImage>::GetFirstLineToPull(const OutputImageRegionType & lines,
                                                           IndexValueType                scatteredThrough,
                                                           OutputImageIndexType &        firstLine) const
{
  const unsigned int SliceAxis = this->GetSliceAxis();
  if (lines.GetNumberOfPixels() == 0)
  {
    return false;
  }
  firstLine = lines.GetIndex();
  firstLine[SliceAxis] = std::max(firstLine[SliceAxis], scatteredThrough + 1);
  // Past the box's last line, the previous division scattered every line: their sums are carried.
  return firstLine[SliceAxis] <= lines.GetUpperIndex()[SliceAxis];
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::MergeRowByRow(AccumulatorType &             accumulator,
                                                      const OutputImageRegionType & lines)
{
  accumulator.SetLines(lines);
  // In chunks of slices, so that progress and abort are handled on this
  // thread between them (ProcessObject sends progress events from the
  // updating thread only).
  constexpr SizeValueType       ProgressSteps = 32;
  const unsigned int            SliceAxis = accumulator.GetSliceAxis();
  const OutputImageRegionType & region = accumulator.GetRegion();
  const SizeValueType           slices = region.GetSize(SliceAxis);
  const SizeValueType           chunks = std::min(slices, ProgressSteps);
  for (SizeValueType chunk = 0; chunk < chunks; ++chunk)
  {
    this->ReportProgress(static_cast<float>(chunk) / static_cast<float>(chunks));
    OutputImageRegionType rows = region;
    rows.SetIndex(SliceAxis, region.GetIndex(SliceAxis) + static_cast<IndexValueType>(slices * chunk / chunks));
    rows.SetSize(SliceAxis, slices * (chunk + 1) / chunks - slices * chunk / chunks);
    this->ForEachPieceInParallel(rows, [&](const OutputImageRegionType & piece) { accumulator.MergePiece(piece); });
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
PatchMerger<TInputImage, TOutputImage>::ScatterLine(AccumulatorType &             accumulator,
                                                    SizeValueType                 rowsFrom,
                                                    SizeValueType                 first,
                                                    SizeValueType                 last,
                                                    const OutputImageRegionType & finalRows,
                                                    bool                          partOfRun) -> OutputImageRegionType
{
  const OutputImageRegionType lineRegion = accumulator.GetLineRegion(rowsFrom, last);
  if (lineRegion.GetNumberOfPixels() == 0)
  {
    return OutputImageRegionType();
  }
  const typename AccumulatorType::PatchRun run = accumulator.MakePatchRun(first, last);
  const OutputImageRegionType              fused = accumulator.GetRowsFinishedInScatter(lineRegion, finalRows);
  accumulator.AllocateRows(lineRegion, OutputImageRegionType());
  // Each thread owns its voxels.
  this->ForEachPieceInParallel(
    lineRegion, [&](const OutputImageRegionType & piece) { accumulator.ScatterPiece(run, piece, fused, partOfRun); });
  return fused;
}

template <typename TInputImage, typename TOutputImage>
void
PatchMerger<TInputImage, TOutputImage>::FinishRows(AccumulatorType &             accumulator,
                                                   const OutputImageRegionType & rows,
                                                   const OutputImageRegionType & finished)
{
  const unsigned int SliceAxis = accumulator.GetSliceAxis();
  if (rows.GetNumberOfPixels() == 0)
  {
    return;
  }
  // Rows with buffers of their own are allocated for a pass (zeroed where no
  // line reached them, as in Crop's remainder) and freed after it, the rows
  // the scatter finished (`finished`) too.
  const IndexValueType begin = rows.GetIndex(SliceAxis);
  const IndexValueType end = begin + static_cast<IndexValueType>(rows.GetSize(SliceAxis));
  const auto passSlices = static_cast<IndexValueType>(accumulator.GetSlicesPerFinishPass(rows.GetSize(SliceAxis)));
  for (IndexValueType passBegin = begin; passBegin < end; passBegin += passSlices)
  {
    OutputImageRegionType pass = rows;
    pass.SetIndex(SliceAxis, passBegin);
    pass.SetSize(SliceAxis, static_cast<SizeValueType>(std::min(passSlices, end - passBegin)));
    accumulator.AllocateRows(pass, finished);
    this->ForEachRowInParallel(pass, [&](const OutputImageIndexType & rowStart, SizeValueType length) {
      if (!finished.IsInside(rowStart))
      {
        accumulator.FinishRow(rowStart, length);
      }
    });
    accumulator.ReleaseRows(pass);
  }
}

template <typename TInputImage, typename TOutputImage>
template <typename TRowFunction>
void
PatchMerger<TInputImage, TOutputImage>::ForEachRowInParallel(const OutputImageRegionType & rows,
                                                             TRowFunction &&               function)
{
  this->ForEachPieceInParallel(
    rows, [&](const OutputImageRegionType & piece) { PatchStreamingDetail::ForEachSliceRow(piece, function); });
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
PatchMerger<TInputImage, TOutputImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  m_PatchGrid.Print(os, indent);
  os << indent << "Weighting: " << m_Weighting << std::endl;
  os << indent << "SigmaScale: " << m_SigmaScale << std::endl;
  os << indent << "MinimumWeight: " << m_MinimumWeight << std::endl;
  os << indent << "InputIsWeighted: " << (m_InputIsWeighted ? "On" : "Off") << std::endl;
  os << indent << "MinimumWeightOnWindow: " << (m_MinimumWeightOnWindow ? "On" : "Off") << std::endl;
  for (unsigned int d = 0; d < OutputImageDimension; ++d)
  {
    os << indent << "CustomProfile[" << d << "]: [";
    for (std::size_t t = 0; t < m_CustomProfiles[d].size(); ++t)
    {
      os << (t == 0 ? "" : ", ") << m_CustomProfiles[d][t];
    }
    os << "]" << std::endl;
  }
  os << indent << "NumberOfNonFiniteValues: " << m_NumberOfNonFiniteValues << std::endl;
  os << indent
     << "BackgroundValue: " << static_cast<typename NumericTraits<OutputPixelType>::PrintType>(m_BackgroundValue)
     << std::endl;
  os << indent << "CarriedSums: " << m_CarriedSums.region << " (" << m_CarriedSums.sums.GetNumberOfRowsHeld()
     << " rows held, " << m_CarriedSums.sums.GetNumberOfFinishedRowsHeld()
     << " finished rows held as output values, lines through slice-axis position " << m_CarriedSums.lastLinePosition
     << ")" << std::endl;
}
} // end namespace itk

#endif
