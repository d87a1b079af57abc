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
#ifndef itkPatchStackPuller_h
#define itkPatchStackPuller_h

#include "itkPatchGrid.h"

#include <utility>

namespace itk
{
namespace PatchStreamingDetail
{
/** \class PatchStackPuller
 * \brief How PatchMerger drives its input: which patches of the (N+1)-D stack
 * to request, a batch at a time, and when to give the stack's data back.
 *
 * The merger pulls its stack as StreamingImageFilter drives its input: it sets
 * the stack's requested region to whole patches (their full extent on the
 * image axes, consecutive on the stack axis), propagates it and updates the
 * stack. With a source that computes batches of n patches (a network behind
 * PatchBatchImageFilter, ExposePatchBatchSize), the request is the batch that
 * holds the patch wanted, counted from patch 0 across line ends, so a patch is
 * computed with the same batch mates whichever output region is requested
 * (docs/design.md section 5, "Batch by batch"). A stack flagged ReleaseData is released as soon
 * as it buffers no patch that is still to be merged.
 *
 * \sa PatchMerger, PatchBatchImageFilter
 * \ingroup PatchStreaming
 */
template <typename TStack>
class ITK_TEMPLATE_EXPORT PatchStackPuller
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PatchStackPuller);

  static constexpr unsigned int ImageDimension = TStack::ImageDimension - 1;
  using StackType = TStack;
  using StackRegionType = typename TStack::RegionType;
  using PatchGridType = PatchGrid<ImageDimension>;
  using LineRegionType = ImageRegion<ImageDimension>;
  using PatchRangeType = std::pair<SizeValueType, SizeValueType>;

  /** Pulls the patches of `grid` from `stack` (the merger's input; its
   * requested region is set here). Both must outlive the puller. */
  PatchStackPuller(const StackType * stack, const PatchGridType & grid);

  /** Sets the stack's requested region to patches first..last and brings it
   * up to date; throws when the source produced less. */
  void
  PullPatches(SizeValueType first, SizeValueType last);

  /** Brings the batch that holds patch `first` up to date (GetBatchHolding):
   * the patches the stack's source computes together with it. Returns the end
   * of the batch's patches in first..last, at least first + 1. */
  SizeValueType
  PullPatchesFrom(SizeValueType first, SizeValueType last);

  /** The patches [begin, end) to request for patch `first` of the run
   * first..last of a line: with a stack whose source computes batches of n
   * patches (ExposePatchBatchSize), the batch [k n, (k + 1) n) that holds
   * `first`, across line ends, cut to kept patches, whatever part of the line
   * the request covers; else first..last. */
  PatchRangeType
  GetBatchHolding(SizeValueType first, SizeValueType last) const;

  /** The patches [begin, end) the stack buffers whole; [0, 0) when none. */
  PatchRangeType
  GetBufferedPatches() const;

  /** The stack region of patches first..last: their full extent on the image
   * axes, cropped to the stack. */
  StackRegionType
  GetStackRegion(SizeValueType first, SizeValueType last) const;

  /** Whether the stack's buffered region holds every patch of the grid box
   * `lines`: a stack in memory, or a source that produced it whole. */
  bool
  HoldsEveryLine(const LineRegionType & lines) const;

  /** A stack flagged ReleaseData gives its data back as soon as it is
   * merged: when it buffers no patch past `mergedEnd` (a batch that reaches
   * into the lines of the next division is kept for it). */
  void
  ReleaseIfFlagged(SizeValueType mergedEnd);

private:
  StackType *           m_Stack{};
  const PatchGridType & m_Grid;
};
} // end namespace PatchStreamingDetail
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkPatchStackPuller.hxx"
#endif

#endif
