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
#ifndef itkPatchExtractor_hxx
#define itkPatchExtractor_hxx

#include "itkPatchExtractor.h"
#include "itkPatchGridMetaData.h"
#include "itkPatchImageRows.h"
#include "itkPatchKeptBuffer.h"
#include "itkPatchPrefetch.h"
#include "itkPatchPadding.h"
#include "itkTotalProgressReporter.h"

#include <algorithm>
#include <string>
#include <type_traits>

namespace itk
{
template <typename TInputImage, typename TOutputImage, typename TMaskImage>
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::PatchExtractor()
{
  // Progress comes from the rows copied (DynamicThreadedGenerateData) over the
  // whole request; the threader's fraction of work units done would set it back.
  this->ThreaderUpdateProgressOff();
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
void
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::GenerateOutputInformation()
{
  // The geometry of a stack differs from the input's in dimension, so
  // Superclass::GenerateOutputInformation (a plain copy) does not apply.
  const InputImageType * input = this->GetInput();
  OutputImageType *      output = this->GetOutput();
  if (input == nullptr)
  {
    itkExceptionMacro(<< "Input image is not set");
  }

  m_ImageRegion = input->GetLargestPossibleRegion();
  if (m_PatchLocations.empty())
  {
    m_PatchGrid = PatchGridType(m_ImageRegion,
                                input->GetSpacing(),
                                input->GetOrigin(),
                                input->GetDirection(),
                                m_PatchSize,
                                m_PatchOverlap,
                                m_BorderMode,
                                m_PadOverlap);
    if (auto * mask = const_cast<MaskImageType *>(this->GetMaskImage()))
    {
      m_PatchGrid.SetKeptPatches(this->FindKeptPatches(mask));
    }
  }
  else
  {
    this->VerifyPatchLocations();
    m_PatchGrid = PatchGridType();
  }

  typename OutputImageType::SizeType      size;
  typename OutputImageType::SpacingType   spacing;
  typename OutputImageType::PointType     origin;
  typename OutputImageType::DirectionType direction;
  direction.SetIdentity();
  const auto patchOrigin = this->GetPatchOrigin(0);
  for (unsigned int row = 0; row < InputImageDimension; ++row)
  {
    size[row] = m_PatchSize[row];
    spacing[row] = input->GetSpacing()[row];
    origin[row] = patchOrigin[row];
    for (unsigned int column = 0; column < InputImageDimension; ++column)
    {
      direction[row][column] = input->GetDirection()[row][column];
    }
  }
  size[InputImageDimension] = m_PatchLocations.empty() ? m_PatchGrid.GetNumberOfPatches() : m_PatchLocations.size();
  spacing[InputImageDimension] = 1.0;
  origin[InputImageDimension] = 0.0;

  output->SetLargestPossibleRegion(OutputImageRegionType(size));
  output->SetSpacing(spacing);
  output->SetOrigin(origin);
  output->SetDirection(direction);
  output->SetNumberOfComponentsPerPixel(input->GetNumberOfComponentsPerPixel());
  if (m_PatchLocations.empty())
  {
    EncapsulatePatchGrid(output->GetMetaDataDictionary(), m_PatchGrid);
  }
  else
  {
    ErasePatchGrid(output->GetMetaDataDictionary()); // patches at explicit locations form no grid
  }
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
void
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::VerifyPatchLocations() const
{
  if (this->GetMaskImage() != nullptr)
  {
    itkExceptionMacro(<< "MaskImage restricts the grid; it does not apply to " << m_PatchLocations.size()
                      << " explicit PatchLocations");
  }
  for (unsigned int d = 0; d < InputImageDimension; ++d)
  {
    VerifyPatchLength(m_PatchSize[d], d);
  }
  for (SizeValueType k = 0; k < m_PatchLocations.size(); ++k)
  {
    for (unsigned int d = 0; d < InputImageDimension; ++d)
    {
      // The patch's end, start + size, is computed everywhere a region is: it must be an index.
      const IndexValueType start = m_PatchLocations[k][d];
      if (start >= 0 && static_cast<SizeValueType>(NumericTraits<IndexValueType>::max() - start) < m_PatchSize[d])
      {
        itkExceptionMacro(<< "PatchLocations[" << k << "] = " << m_PatchLocations[k] << ": a patch of size "
                          << m_PatchSize << " there ends past the largest index, "
                          << NumericTraits<IndexValueType>::max() << ", along axis " << d);
      }
    }
    RegionType patch(m_PatchLocations[k], m_PatchSize);
    if (!patch.Crop(m_ImageRegion))
    {
      itkExceptionMacro(<< "PatchLocations[" << k << "] = " << m_PatchLocations[k] << ": a patch of size "
                        << m_PatchSize << " there does not overlap the input's region " << m_ImageRegion);
    }
  }
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
auto
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::GetPatchRegion(SizeValueType k) const -> RegionType
{
  return m_PatchLocations.empty() ? m_PatchGrid.GetPatchRegion(k) : RegionType(m_PatchLocations.at(k), m_PatchSize);
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
auto
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::GetPatchOrigin(SizeValueType k) const -> PointType
{
  if (m_PatchLocations.empty())
  {
    return m_PatchGrid.GetPatchOrigin(k);
  }
  PointType origin;
  this->GetInput()->TransformIndexToPhysicalPoint(m_PatchLocations.at(k), origin);
  return origin;
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
std::vector<bool>
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::FindKeptPatches(MaskImageType * mask) const
{
  constexpr unsigned int SliceAxis = InputImageDimension - 1;
  mask->UpdateOutputInformation();
  const auto & imageRegion = m_PatchGrid.GetImageRegion();
  if (mask->GetLargestPossibleRegion() != imageRegion)
  {
    itkExceptionMacro(<< "MaskImage region " << mask->GetLargestPossibleRegion() << " differs from the input's "
                      << imageRegion);
  }
  std::vector<bool> kept(m_PatchGrid.GetNumberOfPatches(), false);
  const auto        gridSize = m_PatchGrid.GetGridSize();
  const auto &      sliceLayout = m_PatchGrid.GetAxisLayout(SliceAxis);
  for (SizeValueType position = 0; position < gridSize[SliceAxis]; ++position)
  {
    // The patches at this position along the slowest axis: read their slab of the mask.
    typename PatchGridType::RegionType positions(gridSize);
    positions.SetIndex(SliceAxis, static_cast<IndexValueType>(position));
    positions.SetSize(SliceAxis, 1);
    const OffsetValueType start = sliceLayout.GetStart(position);
    const OffsetValueType begin = std::max<OffsetValueType>(start, 0);
    const OffsetValueType end =
      std::min<OffsetValueType>(start + static_cast<OffsetValueType>(sliceLayout.GetPatchSize()),
                                static_cast<OffsetValueType>(sliceLayout.GetImageLength()));
    auto slab = imageRegion;
    slab.SetIndex(SliceAxis, imageRegion.GetIndex(SliceAxis) + begin);
    slab.SetSize(SliceAxis, static_cast<SizeValueType>(end - begin));
    mask->SetRequestedRegion(slab);
    mask->PropagateRequestedRegion();
    mask->UpdateOutputData();
    for (SizeValueType line = 0; line < positions.GetNumberOfPixels(); ++line)
    {
      typename PatchGridType::IndexType gridIndex = positions.GetIndex();
      SizeValueType                     rest = line;
      for (unsigned int d = 0; d < SliceAxis; ++d)
      {
        gridIndex[d] = static_cast<IndexValueType>(rest % gridSize[d]);
        rest /= gridSize[d];
      }
      const SizeValueType patch = m_PatchGrid.GetLinearIndex(gridIndex);
      const auto          valid = m_PatchGrid.GetValidPatchRegion(patch);
      bool                foreground = false;
      PatchStreamingDetail::ForEachImageRow(valid, [&](const typename MaskImageType::IndexType & rowStart) {
        const auto * row = mask->GetBufferPointer() + mask->ComputeOffset(rowStart);
        foreground =
          foreground || std::any_of(row, row + valid.GetSize(0), [](const auto value) { return value != 0; });
      });
      kept[patch] = foreground;
    }
  }
  return kept;
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
void
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();

  auto * input = const_cast<InputImageType *>(this->GetInput());
  if (input == nullptr)
  {
    return;
  }
  const OutputImageRegionType & stackRegion = this->GetOutput()->GetRequestedRegion();
  const auto &                  imageRegion = m_ImageRegion;
  if (auto * mask = const_cast<MaskImageType *>(this->GetMaskImage()))
  {
    // FindKeptPatches read the mask; extracting does not need it.
    mask->SetRequestedRegion(
      typename MaskImageType::RegionType(imageRegion.GetIndex(), MaskImageType::SizeType::Filled(1)));
  }
  if (stackRegion.GetNumberOfPixels() == 0)
  {
    // No patch is requested; the pipeline still needs a valid region, so ask for one voxel.
    input->SetRequestedRegion(
      typename InputImageType::RegionType(imageRegion.GetIndex(), InputImageType::SizeType::Filled(1)));
    return;
  }
  const auto [begins, ends] = this->RequestedExtent(stackRegion);

  typename InputImageType::RegionType requested;
  for (unsigned int d = 0; d < InputImageDimension; ++d)
  {
    const OffsetValueType begin = begins[d];
    const OffsetValueType end = ends[d];
    const auto            length = static_cast<OffsetValueType>(imageRegion.GetSize(d));
    // Inside voxels read themselves; outside voxels read what the boundary condition maps them to.
    OffsetValueType low = std::max<OffsetValueType>(begin, 0);
    OffsetValueType high = std::min<OffsetValueType>(end, length) - 1;
    const auto      includeOutside = [&](OffsetValueType outsideBegin, OffsetValueType outsideEnd) {
      for (OffsetValueType voxel = outsideBegin; voxel < outsideEnd; ++voxel)
      {
        const OffsetValueType source = MapPaddedIndex(voxel, imageRegion.GetSize(d), m_Padding);
        if (source >= 0)
        {
          low = std::min(low, source);
          high = std::max(high, source);
        }
      }
    };
    includeOutside(begin, std::min<OffsetValueType>(end, 0));
    includeOutside(std::max(begin, length), end);
    if (low > high)
    {
      // Only constant padding is requested along this axis; the pipeline
      // still needs a valid region, so ask for one voxel.
      low = high = 0;
    }
    requested.SetIndex(d, imageRegion.GetIndex(d) + low);
    requested.SetSize(d, static_cast<SizeValueType>(high - low + 1));
  }
  input->SetRequestedRegion(requested);
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
auto
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::RequestedExtent(const OutputImageRegionType & stackRegion) const
  -> std::pair<IndexType, IndexType>
{
  const auto          firstPatch = static_cast<SizeValueType>(stackRegion.GetIndex(InputImageDimension));
  const SizeValueType lastPatch = firstPatch + stackRegion.GetSize(InputImageDimension) - 1;
  // The lowest and highest patch start along each axis, relative to the first image voxel.
  IndexType lowestStart;
  IndexType highestStart;
  if (m_PatchLocations.empty())
  {
    const auto gridBounds = m_PatchGrid.GetGridBoundingRegion(firstPatch, lastPatch);
    for (unsigned int d = 0; d < InputImageDimension; ++d)
    {
      const PatchAxisLayout & layout = m_PatchGrid.GetAxisLayout(d);
      lowestStart[d] = layout.GetStart(static_cast<SizeValueType>(gridBounds.GetIndex(d)));
      highestStart[d] = layout.GetStart(static_cast<SizeValueType>(gridBounds.GetUpperIndex()[d]));
    }
  }
  else
  {
    lowestStart.Fill(NumericTraits<IndexValueType>::max());
    highestStart.Fill(NumericTraits<IndexValueType>::NonpositiveMin());
    for (SizeValueType k = firstPatch; k <= lastPatch; ++k)
    {
      for (unsigned int d = 0; d < InputImageDimension; ++d)
      {
        const OffsetValueType start = m_PatchLocations[k][d] - m_ImageRegion.GetIndex(d);
        lowestStart[d] = std::min(lowestStart[d], start);
        highestStart[d] = std::max(highestStart[d], start);
      }
    }
  }
  // The requested voxels of the requested patches.
  IndexType begins;
  IndexType ends;
  for (unsigned int d = 0; d < InputImageDimension; ++d)
  {
    begins[d] = lowestStart[d] + stackRegion.GetIndex(d);
    ends[d] = highestStart[d] + stackRegion.GetUpperIndex()[d] + 1;
  }
  return { begins, ends };
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
void
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::AllocateOutputs()
{
  OutputImageType * output = this->GetOutput();
  output->SetBufferedRegion(output->GetRequestedRegion());
  PatchStreamingDetail::OfferKeptBuffer(*output, output->GetBufferedRegion(), m_StackBuffer);
  try
  {
    output->Allocate();
  }
  catch (const MemoryAllocationError &)
  {
    itkExceptionMacro(<< PatchStreamingDetail::DescribeStackAllocation(*output));
  }
  m_StackBuffer = output->GetPixelContainer();
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
void
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::BeforeThreadedGenerateData()
{
  m_PaddingComponents = PatchStreamingDetail::PixelToComponents<OutputComponentType>(
    m_PaddingValue, this->GetInput()->GetNumberOfComponentsPerPixel(), "PaddingValue");
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
void
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::AfterThreadedGenerateData()
{
  this->UpdateProgress(1.0f);
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
void
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::DynamicThreadedGenerateData(
  const OutputImageRegionType & outputRegionForThread)
{
  OutputImageType * output = this->GetOutput();
  const auto        components = static_cast<OffsetValueType>(output->GetNumberOfComponentsPerPixel());
  auto *            outputBuffer = PatchStreamingDetail::GetComponentBuffer(output);
  const auto        rowLength = static_cast<OffsetValueType>(outputRegionForThread.GetSize(0));

  TotalProgressReporter progress(
    this, output->GetRequestedRegion().GetNumberOfPixels(), 100, PatchStreamingDetail::ThreadedProgressWeight);

  // Rows come patch by patch (the patch axis is the slowest): look each patch's start up once.
  auto      patch = NumericTraits<SizeValueType>::max();
  IndexType patchStart{};
  PatchStreamingDetail::ForEachImageRow(
    outputRegionForThread, [&](const typename OutputImageType::IndexType & stackIndex) {
      if (static_cast<SizeValueType>(stackIndex[InputImageDimension]) != patch)
      {
        patch = static_cast<SizeValueType>(stackIndex[InputImageDimension]);
        patchStart = this->GetPatchRegion(patch).GetIndex();
      }
      OutputComponentType * target = outputBuffer + components * output->ComputeOffset(stackIndex);
      if (m_PatchLocations.empty() && !m_PatchGrid.IsPatchKept(patch))
      {
        this->FillPadding(target, rowLength); // a skipped patch reads nothing
      }
      else
      {
        this->CopyPatchRow(patchStart, stackIndex, rowLength, target);
      }
      progress.Completed(rowLength);
    });
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
void
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::FillPadding(OutputComponentType * target,
                                                                   OffsetValueType       count) const
{
  const auto components = static_cast<OffsetValueType>(m_PaddingComponents.size());
  for (OffsetValueType j = 0; j < count; ++j)
  {
    std::copy_n(m_PaddingComponents.data(), components, target + components * j);
  }
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
void
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::CopyPatchRow(
  const IndexType &                           patchStart,
  const typename OutputImageType::IndexType & stackIndex,
  OffsetValueType                             rowLength,
  OutputComponentType *                       target) const
{
  const InputImageType * input = this->GetInput();
  const unsigned int     components = input->GetNumberOfComponentsPerPixel();
  const auto &           imageRegion = m_ImageRegion;
  const auto &           inputBuffered = input->GetBufferedRegion();
  const auto             imageLength0 = static_cast<OffsetValueType>(imageRegion.GetSize(0));
  // The source row, mapped through the boundary condition along axes 1..N-1.
  IndexType sourceRow;
  sourceRow[0] = inputBuffered.GetIndex(0);
  for (unsigned int d = 1; d < InputImageDimension; ++d)
  {
    const OffsetValueType source =
      MapPaddedIndex(patchStart[d] + stackIndex[d] - imageRegion.GetIndex(d), imageRegion.GetSize(d), m_Padding);
    if (source < 0)
    {
      this->FillPadding(target, rowLength); // outside, with a constant boundary
      return;
    }
    sourceRow[d] = imageRegion.GetIndex(d) + source;
  }
  // Source voxels along axis 0 are relative to the first image voxel; the
  // shift turns them into offsets from the first voxel of a buffered input row.
  const OffsetValueType shift = imageRegion.GetIndex(0) - inputBuffered.GetIndex(0);
  const auto *          source =
    PatchStreamingDetail::GetComponentBuffer(input) + components * (input->ComputeOffset(sourceRow) + shift);
  const OffsetValueType first = patchStart[0] + stackIndex[0] - imageRegion.GetIndex(0);
  // The patch's next rows are image rows further on.
  PatchStreamingDetail::PrefetchRowAhead(source + components * std::clamp<OffsetValueType>(first, 0, imageLength0 - 1),
                                         components * input->GetOffsetTable()[1],
                                         components * static_cast<std::size_t>(rowLength));
  for (OffsetValueType j = 0; j < rowLength;)
  {
    const OffsetValueType voxel = first + j;
    // The run inside the image is contiguous in both buffers; outside voxels go one by one.
    const OffsetValueType run =
      (voxel >= 0 && voxel < imageLength0) ? std::min(rowLength - j, imageLength0 - voxel) : 1;
    const OffsetValueType mapped = MapPaddedIndex(voxel, imageRegion.GetSize(0), m_Padding);
    if (mapped < 0)
    {
      this->FillPadding(target + components * j, 1);
    }
    else
    {
      std::transform(source + components * mapped,
                     source + components * (mapped + run),
                     target + components * j,
                     [](const auto value) { return PatchStreamingDetail::ConvertValue<OutputComponentType>(value); });
    }
    j += run;
  }
}

template <typename TInputImage, typename TOutputImage, typename TMaskImage>
void
PatchExtractor<TInputImage, TOutputImage, TMaskImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "PatchSize: " << m_PatchSize << std::endl;
  os << indent << "PatchOverlap: " << m_PatchOverlap << std::endl;
  os << indent << "BorderMode: " << m_BorderMode << std::endl;
  os << indent << "PadOverlap: " << m_PadOverlap << std::endl;
  os << indent << "Padding: " << m_Padding << std::endl;
  os << indent << "PaddingValue: " << static_cast<typename NumericTraits<InputPixelType>::PrintType>(m_PaddingValue)
     << std::endl;
  os << indent << "PatchGrid:" << std::endl;
  m_PatchGrid.Print(os, indent.GetNextIndent());
  os << indent << "PatchLocations: " << m_PatchLocations.size() << " explicit patches" << std::endl;
  os << indent << "ImageRegion: " << m_ImageRegion << std::endl;
  os << indent << "PaddingComponents: " << m_PaddingComponents.size() << " values" << std::endl;
  os << indent << "StackBuffer: "
     << (m_StackBuffer ? std::to_string(m_StackBuffer->Capacity()) + " elements" : std::string("none")) << std::endl;
}
} // end namespace itk

#endif
