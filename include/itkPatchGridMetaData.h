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
#ifndef itkPatchGridMetaData_h
#define itkPatchGridMetaData_h

#include "itkMetaDataDictionary.h"
#include "itkMetaDataObject.h"
#include "itkPatchGrid.h"
#include "vnl/algo/vnl_determinant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace itk
{
/** \brief Writes a PatchGrid into a MetaDataDictionary as string entries whose
 * keys start with "PatchGrid_" (docs/design.md section 6; PatchGrid_KeptPatches only
 * for a mask-restricted grid), so that a stack saved as
 * NRRD and read back carries its grid. Numbers are written with full precision.
 *
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension>
void
EncapsulatePatchGrid(MetaDataDictionary & dictionary, const PatchGrid<VDimension> & grid);

/** \brief Removes every "PatchGrid_" entry from a MetaDataDictionary: a stack
 * whose patches form no grid (PatchExtractor's patches at explicit locations)
 * carries none, so that no merger reads a grid from it.
 *
 * \ingroup PatchStreaming
 */
inline void
ErasePatchGrid(MetaDataDictionary & dictionary)
{
  for (const auto & key : dictionary.GetKeys())
  {
    if (key.rfind("PatchGrid_", 0) == 0)
    {
      dictionary.Erase(key);
    }
  }
}

/** \brief Reads a PatchGrid back from a MetaDataDictionary.
 *
 * Returns false (and leaves `grid` alone) when the dictionary holds no
 * "PatchGrid_" entries; throws an itk::ExceptionObject naming the key when an
 * entry is missing, malformed, or of another dimension, when a spacing is not
 * positive or the direction is singular.
 *
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension>
bool
ExposePatchGrid(const MetaDataDictionary & dictionary, PatchGrid<VDimension> & grid);

/** \brief Writes how many patches a stack's source computes together
 * (PatchBatchImageFilter's BatchSize) into a MetaDataDictionary as the string
 * entry "PatchBatchSize", so that a PatchMerger downstream asks that source
 * for whole batches (docs/design.md section 5).
 *
 * \ingroup PatchStreaming
 */
inline void
EncapsulatePatchBatchSize(MetaDataDictionary & dictionary, SizeValueType batchSize)
{
  EncapsulateMetaData<std::string>(dictionary, "PatchBatchSize", std::to_string(batchSize));
}

namespace PatchGridMetaDataDetail
{
template <typename TValue>
std::string
JoinValues(const TValue * values, unsigned int count)
{
  std::ostringstream text;
  text.precision(std::numeric_limits<double>::max_digits10);
  for (unsigned int i = 0; i < count; ++i)
  {
    text << (i == 0 ? "" : " ") << values[i];
  }
  return text.str();
}

inline std::string
ReadEntry(const MetaDataDictionary & dictionary, const std::string & key)
{
  std::string value;
  if (!ExposeMetaData<std::string>(dictionary, key, value))
  {
    itkGenericExceptionMacro(<< "the stack's MetaDataDictionary entry " << key << " is missing or not a string");
  }
  return value;
}

/** "a number", "3 numbers". */
inline std::string
CountOf(unsigned int count, const std::string & noun)
{
  return count == 1 ? "a " + noun : std::to_string(count) + " " + noun + "s";
}

/** Reads `count` numbers from the string entry `key`; throws naming the key and
 * its text when it holds fewer, more, or (for an unsigned TValue) a negative one,
 * which an istream would read as 2^N minus it. */
template <typename TValue>
void
ParseValues(const MetaDataDictionary & dictionary, const std::string & key, TValue * values, unsigned int count)
{
  const std::string  text = ReadEntry(dictionary, key);
  std::istringstream stream(text);
  for (unsigned int i = 0; i < count; ++i)
  {
    stream >> std::ws;
    if ((std::is_unsigned<TValue>::value && stream.peek() == '-') || !(stream >> values[i]))
    {
      itkGenericExceptionMacro(<< key << " = \"" << text << "\" does not hold "
                               << CountOf(count, std::is_unsigned<TValue>::value ? "whole number" : "number")
                               << (std::is_unsigned<TValue>::value ? " of at least 0" : ""));
    }
  }
  std::string rest;
  if (stream >> rest)
  {
    itkGenericExceptionMacro(<< key << " = \"" << text << "\" holds more than " << count
                             << (count == 1 ? " number" : " numbers"));
  }
}

/** The kept patches of a mask-restricted grid as runs "first-last first-last ..." ("none" when none is kept). */
inline std::string
JoinKeptRuns(const std::vector<bool> & kept)
{
  std::ostringstream text;
  for (std::size_t k = 0; k < kept.size();)
  {
    if (!kept[k])
    {
      ++k;
      continue;
    }
    const std::size_t first = k;
    while (k < kept.size() && kept[k])
    {
      ++k;
    }
    text << (text.tellp() > 0 ? " " : "") << first << "-" << k - 1;
  }
  return text.tellp() > 0 ? text.str() : "none";
}

inline std::vector<bool>
ParseKeptRuns(const std::string & text, SizeValueType patches)
{
  std::vector<bool> kept(patches, false);
  if (text == "none")
  {
    return kept;
  }
  std::istringstream stream(text);
  std::string        run;
  while (stream >> run)
  {
    std::istringstream runStream(run);
    SizeValueType      first = 0;
    SizeValueType      last = 0;
    char               dash = 0;
    if (!(runStream >> first >> dash >> last) || dash != '-' || first > last || last >= patches || !runStream.eof())
    {
      itkGenericExceptionMacro(<< "PatchGrid_KeptPatches = \"" << text << "\" holds the run \"" << run
                               << "\", not first-last with last < " << patches);
    }
    std::fill(
      kept.begin() + static_cast<std::ptrdiff_t>(first), kept.begin() + static_cast<std::ptrdiff_t>(last) + 1, true);
  }
  return kept;
}
} // namespace PatchGridMetaDataDetail

/** \brief Reads "PatchBatchSize" back: 0 when the dictionary has no such
 * entry; throws an itk::ExceptionObject naming the key and its value when it
 * is not a whole number of at least 1.
 *
 * \ingroup PatchStreaming
 */
inline SizeValueType
ExposePatchBatchSize(const MetaDataDictionary & dictionary)
{
  if (!dictionary.HasKey("PatchBatchSize"))
  {
    return 0;
  }
  SizeValueType batchSize = 0;
  PatchGridMetaDataDetail::ParseValues(dictionary, "PatchBatchSize", &batchSize, 1);
  if (batchSize == 0)
  {
    itkGenericExceptionMacro(<< "PatchBatchSize = 0: expected a whole number of at least 1");
  }
  return batchSize;
}

template <unsigned int VDimension>
void
EncapsulatePatchGrid(MetaDataDictionary & dictionary, const PatchGrid<VDimension> & grid)
{
  using namespace PatchGridMetaDataDetail;
  const auto & region = grid.GetImageRegion();
  const auto   patchSize = grid.GetPatchSize();
  const auto   overlap = grid.GetPatchOverlap();
  EncapsulateMetaData<std::string>(dictionary, "PatchGrid_Dimension", std::to_string(VDimension));
  EncapsulateMetaData<std::string>(
    dictionary, "PatchGrid_ImageIndex", JoinValues(region.GetIndex().data(), VDimension));
  EncapsulateMetaData<std::string>(dictionary, "PatchGrid_ImageSize", JoinValues(region.GetSize().data(), VDimension));
  EncapsulateMetaData<std::string>(
    dictionary, "PatchGrid_Spacing", JoinValues(grid.GetSpacing().GetDataPointer(), VDimension));
  EncapsulateMetaData<std::string>(
    dictionary, "PatchGrid_Origin", JoinValues(grid.GetOrigin().GetDataPointer(), VDimension));
  EncapsulateMetaData<std::string>(
    dictionary,
    "PatchGrid_Direction",
    JoinValues(grid.GetDirection().GetVnlMatrix().data_block(), VDimension * VDimension));
  EncapsulateMetaData<std::string>(dictionary, "PatchGrid_PatchSize", JoinValues(patchSize.data(), VDimension));
  EncapsulateMetaData<std::string>(dictionary, "PatchGrid_PatchOverlap", JoinValues(overlap.data(), VDimension));
  EncapsulateMetaData<std::string>(dictionary, "PatchGrid_BorderMode", ToString(grid.GetBorderMode()));
  EncapsulateMetaData<std::string>(dictionary, "PatchGrid_PadOverlap", grid.GetPadOverlap() ? "1" : "0");
  if (grid.HasSkippedPatches())
  {
    EncapsulateMetaData<std::string>(dictionary, "PatchGrid_KeptPatches", JoinKeptRuns(grid.GetKeptPatches()));
  }
  else
  {
    dictionary.Erase("PatchGrid_KeptPatches"); // a copied dictionary may hold another grid's
  }
}

template <unsigned int VDimension>
bool
ExposePatchGrid(const MetaDataDictionary & dictionary, PatchGrid<VDimension> & grid)
{
  using namespace PatchGridMetaDataDetail;
  if (!dictionary.HasKey("PatchGrid_Dimension"))
  {
    return false;
  }
  unsigned int dimension = 0;
  ParseValues(dictionary, "PatchGrid_Dimension", &dimension, 1);
  if (dimension != VDimension)
  {
    itkGenericExceptionMacro(<< "PatchGrid_Dimension = " << dimension << " but the stack holds " << VDimension
                             << "-D patches");
  }
  using GridType = PatchGrid<VDimension>;
  typename GridType::IndexType     index;
  typename GridType::SizeType      size;
  typename GridType::SpacingType   spacing;
  typename GridType::PointType     origin;
  typename GridType::DirectionType direction;
  typename GridType::SizeType      patchSize;
  typename GridType::SizeType      overlap;
  unsigned int                     padOverlap = 0;
  ParseValues(dictionary, "PatchGrid_ImageIndex", index.data(), VDimension);
  ParseValues(dictionary, "PatchGrid_ImageSize", size.data(), VDimension);
  ParseValues(dictionary, "PatchGrid_Spacing", spacing.GetDataPointer(), VDimension);
  ParseValues(dictionary, "PatchGrid_Origin", origin.GetDataPointer(), VDimension);
  ParseValues(dictionary, "PatchGrid_Direction", direction.GetVnlMatrix().data_block(), VDimension * VDimension);
  ParseValues(dictionary, "PatchGrid_PatchSize", patchSize.data(), VDimension);
  ParseValues(dictionary, "PatchGrid_PatchOverlap", overlap.data(), VDimension);
  ParseValues(dictionary, "PatchGrid_PadOverlap", &padOverlap, 1);
  const auto borderMode = BorderModeFromString(ReadEntry(dictionary, "PatchGrid_BorderMode"));
  // The merger gives its output this geometry: it must be one an image can have.
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    if (!(spacing[d] > 0.0))
    {
      itkGenericExceptionMacro(<< "PatchGrid_Spacing[" << d << "] = " << spacing[d] << " must be positive");
    }
  }
  const double determinant = vnl_determinant(direction.GetVnlMatrix());
  if (!(std::abs(determinant) > 0.0))
  {
    itkGenericExceptionMacro(<< "PatchGrid_Direction \"" << ReadEntry(dictionary, "PatchGrid_Direction")
                             << "\" is singular (determinant " << determinant << ")");
  }
  grid = GridType(typename GridType::RegionType(index, size),
                  spacing,
                  origin,
                  direction,
                  patchSize,
                  overlap,
                  borderMode,
                  padOverlap != 0);
  if (dictionary.HasKey("PatchGrid_KeptPatches"))
  {
    grid.SetKeptPatches(ParseKeptRuns(ReadEntry(dictionary, "PatchGrid_KeptPatches"), grid.GetNumberOfPatches()));
  }
  return true;
}
} // end namespace itk

#endif
