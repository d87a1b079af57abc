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
#ifndef itkPatchStackGrid_h
#define itkPatchStackGrid_h

#include "itkPatchGridMetaData.h"

#include <string>

namespace itk
{
/** \brief The grid a patch stack was cut with, checked against the stack.
 *
 * `setGrid` when it is not empty, else the grid in the stack's
 * MetaDataDictionary (PatchGrid_* keys, as PatchExtractor writes them).
 * Throws an itk::ExceptionObject when there is neither, or when the stack's
 * largest region is not [P_0, ..., P_{N-1}, number of patches] from index 0.
 * The stack's pixel type and number of components are free.
 *
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension, typename TStack>
PatchGrid<VDimension>
GetStackPatchGrid(const PatchGrid<VDimension> & setGrid, const TStack & stack)
{
  static_assert(TStack::ImageDimension == VDimension + 1, "the stack has one more axis than the image");
  PatchGrid<VDimension> grid = setGrid;
  if (grid.IsEmpty() && !ExposePatchGrid(stack.GetMetaDataDictionary(), grid))
  {
    itkGenericExceptionMacro(<< "PatchGrid is not set: call SetPatchGrid() (e.g. with the extractor's GetPatchGrid()) "
                                "or give a stack whose MetaDataDictionary holds the PatchGrid_ keys (a stack cut at "
                                "explicit locations, PatchExtractor::SetPatchLocations, holds none: its patches form "
                                "no grid to merge)");
  }
  const auto & stackRegion = stack.GetLargestPossibleRegion();
  for (unsigned int d = 0; d <= VDimension; ++d)
  {
    const bool          patchAxis = d < VDimension;
    const SizeValueType expected = patchAxis ? grid.GetPatchSize()[d] : grid.GetNumberOfPatches();
    const std::string   needed = patchAxis ? "PatchSize[" + std::to_string(d) + "]" : "number of patches";
    if (stackRegion.GetSize(d) != expected || stackRegion.GetIndex(d) != 0)
    {
      itkGenericExceptionMacro(<< "stack size[" << d << "] = " << stackRegion.GetSize(d) << " (index "
                               << stackRegion.GetIndex(d) << ") does not match the patch grid, which needs " << needed
                               << " = " << expected << " starting at index 0");
    }
  }
  return grid;
}

namespace PatchStreamingDetail
{
/** The whole patches of the stack region `region`: every patch axis (all but
 * the last) spans `largest`'s, the patch axis keeps `region`'s range, cropped
 * to `largest`. What a filter that works patch by patch requests and computes. */
template <typename TRegion>
TRegion
WholePatches(const TRegion & region, const TRegion & largest)
{
  constexpr unsigned int PatchAxis = TRegion::ImageDimension - 1;
  TRegion                whole = largest;
  whole.SetIndex(PatchAxis, region.GetIndex(PatchAxis));
  whole.SetSize(PatchAxis, region.GetSize(PatchAxis));
  whole.Crop(largest);
  return whole;
}
} // end namespace PatchStreamingDetail

/** \class PatchStackGrid
 * \brief The grid a stack filter works with: the one set by the user, else
 * the one read from its input stack (PatchMerger, SeparableGaussianWeighting,
 * PatchByPatchImageFilter share it).
 *
 * \sa PatchGrid, PatchMerger, SeparableGaussianWeighting, PatchByPatchImageFilter
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension>
class PatchStackGrid
{
public:
  using GridType = PatchGrid<VDimension>;

  /** Returns whether the set grid changed (the filter then calls Modified()). */
  bool
  Set(const GridType & grid)
  {
    if (grid == m_Set)
    {
      return false;
    }
    m_Set = grid;
    return true;
  }

  /** The set grid, else the one read from the stack by the last Resolve(); empty when neither. */
  const GridType &
  Get() const
  {
    return m_Set.IsEmpty() ? m_FromStack : m_Set;
  }

  /** Get(), or an itk::ExceptionObject when no grid is known yet. */
  const GridType &
  GetRequired() const
  {
    if (this->Get().IsEmpty())
    {
      itkGenericExceptionMacro(<< "PatchGrid is not set: call SetPatchGrid() or UpdateOutputInformation() first");
    }
    return this->Get();
  }

  /** Reads the grid from the stack when none is set and checks the stack against it (GetStackPatchGrid). */
  template <typename TStack>
  const GridType &
  Resolve(const TStack & stack)
  {
    const GridType grid = GetStackPatchGrid(m_Set, stack);
    m_FromStack = m_Set.IsEmpty() ? grid : GridType();
    return this->Get();
  }

  void
  Print(std::ostream & os, Indent indent) const
  {
    os << indent << "PatchGrid (set):" << std::endl;
    m_Set.Print(os, indent.GetNextIndent());
    os << indent << "PatchGrid (from the stack):" << std::endl;
    m_FromStack.Print(os, indent.GetNextIndent());
  }

private:
  GridType m_Set{};
  GridType m_FromStack{};
};
} // end namespace itk

/** \brief Declares SetPatchGrid() and GetPatchGrid() in a filter of patch
 * stacks that holds a PatchStackGrid as `m_PatchGrid`: SetPatchGrid(grid)
 * calls Modified() when the set grid changes; GetPatchGrid() returns the set
 * grid, else the one read from the stack by the last Resolve() (in
 * GenerateOutputInformation()), else an empty grid.
 *
 * \ingroup PatchStreaming
 */
#define itkPatchStackGridMacro(gridType)                                                                               \
  void SetPatchGrid(const gridType & grid)                                                                             \
  {                                                                                                                    \
    if (this->m_PatchGrid.Set(grid))                                                                                   \
    {                                                                                                                  \
      this->Modified();                                                                                                \
    }                                                                                                                  \
  }                                                                                                                    \
  const gridType & GetPatchGrid() const                                                                                \
  {                                                                                                                    \
    return this->m_PatchGrid.Get();                                                                                    \
  }                                                                                                                    \
  ITK_MACROEND_NOOP_STATEMENT

#endif
