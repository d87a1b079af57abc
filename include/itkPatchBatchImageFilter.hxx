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
#ifndef itkPatchBatchImageFilter_hxx
#define itkPatchBatchImageFilter_hxx

#include "itkPatchBatchImageFilter.h"
#include "itkPatchInterleaveChannels.h"
#include "itkPatchKeptBuffer.h"
#include "itkPatchPixelComponents.h"

#include <algorithm>

namespace itk
{
template <typename TInputImage, typename TOutputImage>
auto
PatchBatchImageFilter<TInputImage, TOutputImage>::GetCurrentBatchInput() const -> const InputComponentType *
{
  const InputImageType *             stack = this->GetInput();
  typename InputImageType::IndexType index = stack->GetBufferedRegion().GetIndex();
  index[PatchDimension] = static_cast<IndexValueType>(m_CurrentBatchStart);
  return PatchStreamingDetail::GetComponentBuffer(stack) +
         stack->ComputeOffset(index) * stack->GetNumberOfComponentsPerPixel();
}

template <typename TInputImage, typename TOutputImage>
auto
PatchBatchImageFilter<TInputImage, TOutputImage>::GetCurrentBatchOutput() -> OutputComponentType *
{
  OutputImageType *                   output = this->GetOutput();
  typename OutputImageType::IndexType index = output->GetBufferedRegion().GetIndex();
  index[PatchDimension] = static_cast<IndexValueType>(m_CurrentBatchStart);
  return PatchStreamingDetail::GetComponentBuffer(output) +
         output->ComputeOffset(index) * output->GetNumberOfComponentsPerPixel();
}

template <typename TInputImage, typename TOutputImage>
void
PatchBatchImageFilter<TInputImage, TOutputImage>::SetCurrentBatchOutputFromChannelsFirst(
  const ChannelsFirstBatchType * batch)
{
  if (m_CurrentBatchSize == 0)
  {
    itkExceptionMacro("SetCurrentBatchOutputFromChannelsFirst: no batch is being computed (call it from an "
                      "IterationEvent observer)");
  }
  const SizeValueType                       channels = this->GetOutput()->GetNumberOfComponentsPerPixel();
  const auto                                patchRegion = this->GetPatchGrid().GetPatchRegion(0);
  typename ChannelsFirstBatchType::SizeType expected;
  for (unsigned int d = 0; d < PatchDimension; ++d)
  {
    expected[d] = patchRegion.GetSize(d);
  }
  expected[PatchDimension] = m_CurrentBatchSize * channels;
  if (batch == nullptr)
  {
    itkExceptionMacro("SetCurrentBatchOutputFromChannelsFirst: the batch is null; expected an image of size "
                      << expected);
  }
  if (batch->GetBufferedRegion().GetSize() != expected)
  {
    itkExceptionMacro("SetCurrentBatchOutputFromChannelsFirst: the batch's size is "
                      << batch->GetBufferedRegion().GetSize() << "; expected " << expected << " (the patch size, and "
                      << m_CurrentBatchSize << " patches x " << channels << " channels)");
  }
  PatchStreamingDetail::InterleaveChannels(batch->GetBufferPointer(),
                                           this->GetCurrentBatchOutput(),
                                           m_CurrentBatchSize,
                                           channels,
                                           patchRegion.GetNumberOfPixels(),
                                           patchRegion.GetSize(PatchDimension - 1),
                                           this->GetMultiThreader());
}

template <typename TInputImage, typename TOutputImage>
bool
PatchBatchImageFilter<TInputImage, TOutputImage>::CanRunInPlace() const
{
  const InputImageType * input = this->GetInput();
  return Superclass::CanRunInPlace() && input != nullptr &&
         input->GetNumberOfComponentsPerPixel() == this->GetOutput()->GetNumberOfComponentsPerPixel();
}

template <typename TInputImage, typename TOutputImage>
void
PatchBatchImageFilter<TInputImage, TOutputImage>::VerifyPreconditions() ITKv5_CONST
{
  Superclass::VerifyPreconditions();
  if (m_BatchSize == 0)
  {
    itkExceptionMacro(<< "BatchSize = 0: expected at least 1 patch per batch");
  }
}

template <typename TInputImage, typename TOutputImage>
void
PatchBatchImageFilter<TInputImage, TOutputImage>::GenerateOutputInformation()
{
  // Not Superclass::GenerateOutputInformation: it would set the input's number of components first.
  const InputImageType * stack = this->GetInput();
  OutputImageType *      output = this->GetOutput();
  PatchStreamingDetail::CopyInformationButComponents(*stack, *output);
  const PatchGridType & grid = m_PatchGrid.Resolve(*stack);
  output->SetMetaDataDictionary(stack->GetMetaDataDictionary());
  EncapsulatePatchGrid(output->GetMetaDataDictionary(), grid);
  EncapsulatePatchBatchSize(output->GetMetaDataDictionary(), m_BatchSize);
  const unsigned int channels = this->FindNumberOfOutputChannels(grid);
  if (channels != 1 && std::is_same<typename OutputImageType::PixelType, OutputComponentType>::value)
  {
    itkExceptionMacro(<< "the output has " << channels << " channels, but the output stack is a scalar image: "
                      << "use a VectorImage<" << (std::is_same<OutputComponentType, float>::value ? "float" : "...")
                      << ", " << ImageDimension << "> output stack");
  }
  output->SetNumberOfComponentsPerPixel(channels);
}

template <typename TInputImage, typename TOutputImage>
unsigned int
PatchBatchImageFilter<TInputImage, TOutputImage>::FindNumberOfOutputChannels(const PatchGridType &)
{
  return m_NumberOfOutputChannels > 0 ? m_NumberOfOutputChannels : this->GetInput()->GetNumberOfComponentsPerPixel();
}

template <typename TInputImage, typename TOutputImage>
void
PatchBatchImageFilter<TInputImage, TOutputImage>::EnlargeOutputRequestedRegion(DataObject * data)
{
  auto * output = dynamic_cast<OutputImageType *>(data);
  output->SetRequestedRegion(
    PatchStreamingDetail::WholePatches(output->GetRequestedRegion(), output->GetLargestPossibleRegion()));
}

template <typename TInputImage, typename TOutputImage>
void
PatchBatchImageFilter<TInputImage, TOutputImage>::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();
  auto * stack = const_cast<InputImageType *>(this->GetInput());
  if (stack != nullptr)
  {
    stack->SetRequestedRegion(
      PatchStreamingDetail::WholePatches(this->GetOutput()->GetRequestedRegion(), stack->GetLargestPossibleRegion()));
  }
}

template <typename TInputImage, typename TOutputImage>
void
PatchBatchImageFilter<TInputImage, TOutputImage>::AllocateOutputs()
{
  OutputImageType * output = this->GetOutput();
  if (!(this->GetInPlace() && this->CanRunInPlace()))
  {
    PatchStreamingDetail::OfferKeptBuffer(*output, output->GetRequestedRegion(), m_BatchBuffer);
  }
  try
  {
    Superclass::AllocateOutputs(); // in place: grafts the input when its buffered region is the request
  }
  catch (const MemoryAllocationError &)
  {
    itkExceptionMacro(<< PatchStreamingDetail::DescribeStackAllocation(*output) << " (or BatchSize)");
  }
  m_BatchBuffer = this->GetRunningInPlace() ? nullptr : output->GetPixelContainer();
}

template <typename TInputImage, typename TOutputImage>
void
PatchBatchImageFilter<TInputImage, TOutputImage>::GenerateData()
{
  this->AllocateOutputs();
  const PatchGridType & grid = this->GetPatchGrid();
  const RegionType      region = this->GetOutput()->GetRequestedRegion();
  const auto            first = static_cast<SizeValueType>(region.GetIndex(PatchDimension));
  const SizeValueType   end = first + region.GetSize(PatchDimension);
  const SizeValueType   patchValues =
    grid.GetPatchRegion(0).GetNumberOfPixels() * this->GetOutput()->GetNumberOfComponentsPerPixel();
  // Runs of kept patches, cut into batches; a patch the mask skips gets zeros.
  for (SizeValueType k = first; k < end;)
  {
    SizeValueType count = 0;
    while (count < m_BatchSize && k + count < end && grid.IsPatchKept(k + count))
    {
      ++count;
    }
    m_CurrentBatchStart = k;
    m_CurrentBatchSize = count;
    if (count == 0)
    {
      std::fill_n(this->GetCurrentBatchOutput(), patchValues, OutputComponentType{});
      ++k;
      continue;
    }
    if (this->GetAbortGenerateData())
    {
      ProcessAborted aborted(__FILE__, __LINE__);
      aborted.SetDescription(std::string(this->GetNameOfClass()) + ": AbortGenerateDataOn");
      throw aborted;
    }
    this->GenerateBatch();
    k += count;
    this->UpdateProgress(static_cast<float>(k - first) / static_cast<float>(end - first));
  }
  m_CurrentBatchSize = 0; // no batch outside GenerateData()
}

template <typename TInputImage, typename TOutputImage>
void
PatchBatchImageFilter<TInputImage, TOutputImage>::GenerateBatch()
{
  if (m_ClearBatchOutput && !this->GetRunningInPlace()) // in place, the output is the input the observer reads
  {
    const SizeValueType values = this->GetPatchGrid().GetPatchRegion(0).GetNumberOfPixels() *
                                 this->GetOutput()->GetNumberOfComponentsPerPixel() * m_CurrentBatchSize;
    std::fill_n(this->GetCurrentBatchOutput(), values, OutputComponentType{});
  }
  this->InvokeEvent(IterationEvent());
  if (this->GetAbortGenerateData())
  {
    ProcessAborted aborted(__FILE__, __LINE__);
    aborted.SetDescription(std::string(this->GetNameOfClass()) + ": aborted by the batch's observer");
    throw aborted;
  }
}

template <typename TInputImage, typename TOutputImage>
void
PatchBatchImageFilter<TInputImage, TOutputImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "BatchSize: " << m_BatchSize << std::endl;
  os << indent << "NumberOfOutputChannels: " << m_NumberOfOutputChannels << std::endl;
  os << indent << "ClearBatchOutput: " << (m_ClearBatchOutput ? "On" : "Off") << std::endl;
  m_PatchGrid.Print(os, indent);
  os << indent << "CurrentBatchStart: " << m_CurrentBatchStart << std::endl;
  os << indent << "CurrentBatchSize: " << m_CurrentBatchSize << std::endl;
  os << indent << "BatchBuffer: "
     << (m_BatchBuffer ? std::to_string(m_BatchBuffer->Capacity()) + " elements" : std::string("none")) << std::endl;
}
} // end namespace itk

#endif
