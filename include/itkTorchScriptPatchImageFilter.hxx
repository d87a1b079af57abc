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
#ifndef itkTorchScriptPatchImageFilter_hxx
#define itkTorchScriptPatchImageFilter_hxx

#include "itkTorchScriptPatchImageFilter.h"
#include "itkPatchPixelComponents.h"

#include <algorithm>

namespace itk
{
namespace PatchStreamingDetail
{
/** The grid's patch size as TorchScriptModel takes it. */
template <unsigned int VDimension>
std::vector<SizeValueType>
PatchSizeOf(const PatchGrid<VDimension> & grid)
{
  std::vector<SizeValueType> size(VDimension);
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    size[d] = grid.GetPatchSize()[d];
  }
  return size;
}
} // end namespace PatchStreamingDetail

template <typename TInputImage, typename TOutputImage>
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::TorchScriptPatchImageFilter()
  : m_Model(ModelType::New())
{}

template <typename TInputImage, typename TOutputImage>
void
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::SetMirrorAxes(const std::vector<unsigned int> & axes)
{
  for (const unsigned int axis : axes)
  {
    if (axis >= PatchDimension)
    {
      itkExceptionMacro(<< "MirrorAxes contains " << axis << "; the patches are " << PatchDimension
                        << "-D: expected axes 0 to " << PatchDimension - 1);
    }
  }
  if (axes != m_MirrorAxes)
  {
    m_MirrorAxes = axes;
    this->Modified();
  }
}

template <typename TInputImage, typename TOutputImage>
void
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::VerifyPreconditions() ITKv5_CONST
{
  Superclass::VerifyPreconditions();
  if (m_BatchSize == 0)
  {
    itkExceptionMacro(<< "BatchSize = 0: expected at least 1 patch per forward pass");
  }
  if (m_Model.IsNull())
  {
    itkExceptionMacro(<< "Model is nullptr: set a loaded TorchScriptModel or a ModelFileName");
  }
  if (m_ModelFileName.empty() && !m_Model->IsLoaded())
  {
    itkExceptionMacro(<< "ModelFileName is not set: expected a TorchScript file (.pt)");
  }
}

template <typename TInputImage, typename TOutputImage>
void
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::GenerateOutputInformation()
{
  Superclass::GenerateOutputInformation();
  const InputImageType * stack = this->GetInput();
  OutputImageType *      output = this->GetOutput();
  const PatchGridType &  grid = m_PatchGrid.Resolve(*stack);
  output->SetMetaDataDictionary(stack->GetMetaDataDictionary());
  EncapsulatePatchGrid(output->GetMetaDataDictionary(), grid);

  if (!m_ModelFileName.empty() &&
      (!m_Model->IsLoaded() || m_Model->GetFileName() != m_ModelFileName || m_Model->GetDevice() != m_Device))
  {
    m_Model->Load(m_ModelFileName, m_Device);
  }
  m_Model->SetOutputIndex(m_OutputIndex);
  unsigned int channels = m_NumberOfOutputChannels;
  if (channels == 0)
  {
    typename ModelType::BatchShape shape;
    shape.Components = stack->GetNumberOfComponentsPerPixel();
    shape.PatchSize = PatchStreamingDetail::PatchSizeOf(grid);
    channels = m_Model->ProbeOutputChannels(shape);
  }
  if (channels != 1 && std::is_same<typename OutputImageType::PixelType, float>::value)
  {
    itkExceptionMacro(<< "the network returns " << channels
                      << " channels, but the output stack is a scalar image: use a VectorImage<float, "
                      << ImageDimension << "> output stack");
  }
  output->SetNumberOfComponentsPerPixel(channels);
  m_ProbedOutputChannels = channels;
}

template <typename TInputImage, typename TOutputImage>
void
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::EnlargeOutputRequestedRegion(DataObject * data)
{
  auto * output = dynamic_cast<OutputImageType *>(data);
  output->SetRequestedRegion(
    PatchStreamingDetail::WholePatches(output->GetRequestedRegion(), output->GetLargestPossibleRegion()));
}

template <typename TInputImage, typename TOutputImage>
void
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::GenerateInputRequestedRegion()
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
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::GenerateData()
{
  this->AllocateOutputs();
  ModelType::SetNumberOfThreads(this->GetNumberOfWorkUnits());
  const PatchGridType & grid = this->GetPatchGrid();
  const RegionType      region = this->GetOutput()->GetRequestedRegion();
  const auto            first = static_cast<SizeValueType>(region.GetIndex(PatchDimension));
  const SizeValueType   end = first + region.GetSize(PatchDimension);
  // Runs of kept patches, cut into batches; a patch the mask skips gets zeros.
  for (SizeValueType k = first; k < end;)
  {
    if (!grid.IsPatchKept(k))
    {
      this->RunBatch(k, 0);
      ++k;
      continue;
    }
    SizeValueType count = 1;
    while (count < m_BatchSize && k + count < end && grid.IsPatchKept(k + count))
    {
      ++count;
    }
    this->RunBatch(k, count);
    k += count;
    this->UpdateProgress(static_cast<float>(k - first) / static_cast<float>(end - first));
  }
}

template <typename TInputImage, typename TOutputImage>
void
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::RunBatch(SizeValueType first, SizeValueType count)
{
  const InputImageType *              stack = this->GetInput();
  OutputImageType *                   output = this->GetOutput();
  const PatchGridType &               grid = this->GetPatchGrid();
  const SizeValueType                 patchPixels = grid.GetPatchRegion(0).GetNumberOfPixels();
  typename OutputImageType::IndexType outputIndex = output->GetRequestedRegion().GetIndex();
  outputIndex[PatchDimension] = static_cast<IndexValueType>(first);
  auto * target =
    PatchStreamingDetail::GetComponentBuffer(output) + output->ComputeOffset(outputIndex) * m_ProbedOutputChannels;
  if (count == 0)
  {
    std::fill_n(target, patchPixels * m_ProbedOutputChannels, 0.0f); // skipped by the mask: not run
    return;
  }
  if (this->GetAbortGenerateData())
  {
    ProcessAborted aborted(__FILE__, __LINE__);
    aborted.SetDescription("TorchScriptPatchImageFilter: AbortGenerateDataOn");
    throw aborted;
  }
  m_CurrentBatchStart = first;
  m_CurrentBatchSize = count;
  this->InvokeEvent(IterationEvent());

  // A run of patches is contiguous in the stack (the patch axis is the slowest).
  typename InputImageType::IndexType stackIndex = stack->GetBufferedRegion().GetIndex();
  stackIndex[PatchDimension] = static_cast<IndexValueType>(first);
  const auto * source = PatchStreamingDetail::GetComponentBuffer(stack) +
                        stack->ComputeOffset(stackIndex) * stack->GetNumberOfComponentsPerPixel();
  typename ModelType::BatchShape shape;
  shape.Patches = count;
  shape.Components = stack->GetNumberOfComponentsPerPixel();
  shape.PatchSize = PatchStreamingDetail::PatchSizeOf(grid);
  m_Model->Forward(source, shape, m_MirrorAxes, m_ProbedOutputChannels, target);
}

template <typename TInputImage, typename TOutputImage>
void
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "ModelFileName: " << m_ModelFileName << std::endl;
  os << indent << "Device: " << m_Device << std::endl;
  os << indent << "BatchSize: " << m_BatchSize << std::endl;
  os << indent << "MirrorAxes: [";
  for (size_t i = 0; i < m_MirrorAxes.size(); ++i)
  {
    os << (i > 0 ? ", " : "") << m_MirrorAxes[i];
  }
  os << "]" << std::endl;
  os << indent << "OutputIndex: " << m_OutputIndex << std::endl;
  os << indent << "NumberOfOutputChannels: " << m_NumberOfOutputChannels << " (found: " << m_ProbedOutputChannels << ")"
     << std::endl;
  os << indent << "Model: " << m_Model.GetPointer() << std::endl;
  m_PatchGrid.Print(os, indent);
  os << indent << "CurrentBatchStart: " << m_CurrentBatchStart << std::endl;
  os << indent << "CurrentBatchSize: " << m_CurrentBatchSize << std::endl;
}
} // end namespace itk

#endif
