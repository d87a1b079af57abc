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
#ifndef itkComponentArgmaxImageFilter_hxx
#define itkComponentArgmaxImageFilter_hxx

#include "itkComponentArgmaxImageFilter.h"
#include "itkPatchArgmaxRow.h"
#include "itkPatchImageRows.h"
#include "itkPatchPixelComponents.h"
#include "itkTotalProgressReporter.h"

#include <algorithm>

namespace itk
{
template <typename TInputImage, typename TOutputImage>
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::ComponentArgmaxImageFilter()
{
  this->DynamicMultiThreadingOn();
  // Progress comes from the rows computed (DynamicThreadedGenerateData) over
  // the whole request, so it rises across the slabs instead of restarting.
  this->ThreaderUpdateProgressOff();
}

template <typename TInputImage, typename TOutputImage>
void
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "SlabThickness: " << m_SlabThickness << std::endl;
}

template <typename TInputImage, typename TOutputImage>
void
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::GenerateOutputInformation()
{
  Superclass::GenerateOutputInformation();
  const unsigned int components = this->GetInput()->GetNumberOfComponentsPerPixel();
  this->GetOutput()->SetNumberOfComponentsPerPixel(1);
  if (components < 2)
  {
    itkExceptionMacro(<< "the input has " << components << (components == 1 ? " component" : " components")
                      << " per pixel, whose argmax is 0 everywhere: expected 2 or more (class "
                         "probabilities or logits)");
  }
  if (static_cast<double>(components - 1) > static_cast<double>(NumericTraits<OutputPixelType>::max()))
  {
    itkExceptionMacro(<< "the input has " << components
                      << " components per pixel; the output pixel type holds labels up to "
                      << static_cast<typename NumericTraits<OutputPixelType>::PrintType>(
                           NumericTraits<OutputPixelType>::max()));
  }
}

template <typename TInputImage, typename TOutputImage>
void
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();
  if (this->StreamsInput())
  {
    auto * input = const_cast<InputImageType *>(this->GetInput());
    input->SetRequestedRegion(this->GetSlab(this->GetOutput()->GetRequestedRegion(), 0));
  }
}

template <typename TInputImage, typename TOutputImage>
void
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::GenerateData()
{
  this->AllocateOutputs();
  this->BeforeThreadedGenerateData();
  const OutputImageRegionType requested = this->GetOutput()->GetRequestedRegion();
  const SizeValueType         slabs = this->GetNumberOfSlabs(requested);
  for (SizeValueType s = 0; s < slabs; ++s)
  {
    if (this->GetAbortGenerateData())
    {
      ProcessAborted aborted(__FILE__, __LINE__);
      aborted.SetDescription("ComponentArgmaxImageFilter: AbortGenerateDataOn");
      throw aborted;
    }
    const OutputImageRegionType slab = this->GetSlab(requested, s);
    if (this->StreamsInput())
    {
      this->PullSlab(slab); // the first slab is up to date already: nothing is pulled
    }
    this->GetMultiThreader()->SetNumberOfWorkUnits(this->GetNumberOfWorkUnits());
    this->GetMultiThreader()->SetUpdateProgress(this->GetThreaderUpdateProgress());
    this->GetMultiThreader()->template ParallelizeImageRegion<ImageDimension>(
      slab, [this](const OutputImageRegionType & piece) { this->DynamicThreadedGenerateData(piece); }, this);
  }
  this->AfterThreadedGenerateData();
  this->UpdateProgress(1.0f);
}

template <typename TInputImage, typename TOutputImage>
bool
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::StreamsInput() const
{
  return m_SlabThickness > 0 && this->GetInput() != nullptr && this->GetInput()->GetSource() != nullptr;
}

template <typename TInputImage, typename TOutputImage>
SizeValueType
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::GetNumberOfSlabs(const OutputImageRegionType & region) const
{
  if (!this->StreamsInput())
  {
    return 1;
  }
  const SizeValueType slices = region.GetSize(ImageDimension - 1);
  return (slices + m_SlabThickness - 1) / m_SlabThickness;
}

template <typename TInputImage, typename TOutputImage>
auto
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::GetSlab(const OutputImageRegionType & region,
                                                               SizeValueType slab) const -> OutputImageRegionType
{
  if (!this->StreamsInput())
  {
    return region;
  }
  constexpr unsigned int SliceAxis = ImageDimension - 1;
  const SizeValueType    first = slab * m_SlabThickness;
  OutputImageRegionType  result = region;
  result.SetIndex(SliceAxis, region.GetIndex(SliceAxis) + static_cast<IndexValueType>(first));
  result.SetSize(SliceAxis,
                 std::min(m_SlabThickness, region.GetSize(SliceAxis) - std::min(first, region.GetSize(SliceAxis))));
  return result;
}

template <typename TInputImage, typename TOutputImage>
void
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::PullSlab(const OutputImageRegionType & slab)
{
  auto * input = const_cast<InputImageType *>(this->GetInput());
  input->SetRequestedRegion(slab);
  input->PropagateRequestedRegion();
  input->UpdateOutputData();
  if (!input->GetBufferedRegion().IsInside(slab))
  {
    itkExceptionMacro(<< "the input's source produced " << input->GetBufferedRegion() << " instead of the slab " << slab
                      << " (SlabThickness " << m_SlabThickness << ")");
  }
}

template <typename TInputImage, typename TOutputImage>
void
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::DynamicThreadedGenerateData(
  const OutputImageRegionType & outputRegionForThread)
{
  const InputImageType * input = this->GetInput();
  OutputImageType *      output = this->GetOutput();
  const auto *           inputBuffer = PatchStreamingDetail::GetComponentBuffer(input);
  const OffsetValueType  components = input->GetNumberOfComponentsPerPixel();
  const SizeValueType    rowLength = outputRegionForThread.GetSize(0);

  TotalProgressReporter progress(
    this, output->GetRequestedRegion().GetNumberOfPixels(), 100, PatchStreamingDetail::ThreadedProgressWeight);
  PatchStreamingDetail::ForEachImageRow(
    outputRegionForThread, [&](const typename OutputImageType::IndexType & rowStart) {
      const auto *      scores = inputBuffer + input->ComputeOffset(rowStart) * components;
      OutputPixelType * labels = output->GetBufferPointer() + output->ComputeOffset(rowStart);
      PatchStreamingDetail::ArgmaxRow(scores, components, rowLength, labels);
      progress.Completed(rowLength);
    });
}
} // end namespace itk

#endif
