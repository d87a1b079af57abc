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
#ifndef itkPatchStackPuller_hxx
#define itkPatchStackPuller_hxx

#include "itkPatchStackPuller.h"
#include "itkPatchGridMetaData.h"
#include "itkPatchStackGrid.h"

#include <algorithm>

namespace itk
{
namespace PatchStreamingDetail
{
template <typename TStack>
PatchStackPuller<TStack>::PatchStackPuller(const StackType * stack, const PatchGridType & grid)
  : m_Stack(const_cast<StackType *>(stack)) // the merger drives its input's pipeline
  , m_Grid(grid)
{}

template <typename TStack>
void
PatchStackPuller<TStack>::PullPatches(SizeValueType first, SizeValueType last)
{
  m_Stack->SetRequestedRegion(this->GetStackRegion(first, last));
  m_Stack->PropagateRequestedRegion();
  m_Stack->UpdateOutputData();
  if (!m_Stack->GetBufferedRegion().IsInside(m_Stack->GetRequestedRegion()))
  {
    itkGenericExceptionMacro(<< "PatchMerger: the stack's source produced " << m_Stack->GetBufferedRegion()
                             << " instead of " << m_Stack->GetRequestedRegion());
  }
}

template <typename TStack>
SizeValueType
PatchStackPuller<TStack>::PullPatchesFrom(SizeValueType first, SizeValueType last)
{
  // A batch an earlier request brought (one that reached into this line) is
  // only brought up to date: nothing is recomputed when nothing changed.
  const PatchRangeType batch = this->GetBatchHolding(first, last);
  this->PullPatches(batch.first, batch.second - 1);
  return std::min(last + 1, batch.second);
}

template <typename TStack>
auto
PatchStackPuller<TStack>::GetBatchHolding(SizeValueType first, SizeValueType last) const -> PatchRangeType
{
  const SizeValueType batchSize = ExposePatchBatchSize(m_Stack->GetMetaDataDictionary());
  if (batchSize == 0)
  {
    return { first, last + 1 }; // the run of the line
  }
  // Batches of the stack's source are counted from patch 0 across line ends,
  // so a patch is computed with the same batch mates whichever region is
  // requested, also one that covers part of each line (its batches may then
  // hold patches outside the request: computed, not merged).
  const SizeValueType patches = m_Grid.GetNumberOfPatches();
  SizeValueType       begin = first / batchSize * batchSize;
  SizeValueType       end = begin + std::min(batchSize, patches - begin);
  for (SizeValueType k = first; k > begin; --k) // runs of kept patches only
  {
    if (!m_Grid.IsPatchKept(k - 1))
    {
      begin = k;
      break;
    }
  }
  for (SizeValueType k = first + 1; k < end; ++k)
  {
    if (!m_Grid.IsPatchKept(k))
    {
      end = k;
      break;
    }
  }
  return { begin, end };
}

template <typename TStack>
auto
PatchStackPuller<TStack>::GetBufferedPatches() const -> PatchRangeType
{
  const StackRegionType & buffered = m_Stack->GetBufferedRegion();
  const SizeValueType     count = buffered.GetSize(ImageDimension);
  if (count == 0)
  {
    return { 0, 0 };
  }
  const auto begin = static_cast<SizeValueType>(buffered.GetIndex(ImageDimension));
  if (!buffered.IsInside(this->GetStackRegion(begin, begin + count - 1)))
  {
    return { 0, 0 }; // not whole patches
  }
  return { begin, begin + count };
}

template <typename TStack>
auto
PatchStackPuller<TStack>::GetStackRegion(SizeValueType first, SizeValueType last) const -> StackRegionType
{
  StackRegionType patches;
  patches.SetIndex(ImageDimension, static_cast<IndexValueType>(first));
  patches.SetSize(ImageDimension, last - first + 1);
  return WholePatches(patches, m_Stack->GetLargestPossibleRegion());
}

template <typename TStack>
bool
PatchStackPuller<TStack>::HoldsEveryLine(const LineRegionType & lines) const
{
  return m_Stack->GetBufferedRegion().IsInside(
    this->GetStackRegion(m_Grid.GetLinearIndex(lines.GetIndex()), m_Grid.GetLinearIndex(lines.GetUpperIndex())));
}

template <typename TStack>
void
PatchStackPuller<TStack>::ReleaseIfFlagged(SizeValueType mergedEnd)
{
  if (m_Stack->ShouldIReleaseData() && this->GetBufferedPatches().second <= mergedEnd)
  {
    m_Stack->ReleaseData();
  }
}
} // end namespace PatchStreamingDetail
} // end namespace itk

#endif
