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
#ifndef itkPatchByPatchImageFilter_hxx
#define itkPatchByPatchImageFilter_hxx

#include "itkPatchByPatchImageFilter.h"
#include "itkPatchPixelComponents.h"
#include "itkPatchStackGrid.h"

#include <algorithm>
#include <set>
#include <vector>

#define itkPatchByPatchTemplate                                                                                        \
  template <typename TInputImage,                                                                                      \
            typename TOutputImage,                                                                                     \
            typename TInputFilter,                                                                                     \
            typename TOutputFilter,                                                                                    \
            typename TInternalInputImage,                                                                              \
            typename TInternalOutputImage>
#define itkPatchByPatchClass                                                                                           \
  PatchByPatchImageFilter<TInputImage,                                                                                 \
                          TOutputImage,                                                                                \
                          TInputFilter,                                                                                \
                          TOutputFilter,                                                                               \
                          TInternalInputImage,                                                                         \
                          TInternalOutputImage>

namespace itk
{
namespace PatchStreamingDetail
{
/** Gives `patch` the size and physical geometry of patch k of `grid`. */
template <typename TPatchImage, typename TGrid>
void
SetPatchGeometry(TPatchImage * patch, const TGrid & grid, SizeValueType k)
{
  patch->SetRegions(typename TPatchImage::RegionType(grid.GetPatchSize()));
  patch->SetSpacing(grid.GetSpacing());
  patch->SetDirection(grid.GetDirection());
  patch->SetOrigin(grid.GetPatchOrigin(k));
}
} // namespace PatchStreamingDetail

itkPatchByPatchTemplate
itkPatchByPatchClass::PatchByPatchImageFilter()
{
  this->InPlaceOn();
}

itkPatchByPatchTemplate bool
itkPatchByPatchClass::CanRunInPlace() const
{
  return Superclass::CanRunInPlace() &&
         this->GetInput()->GetNumberOfComponentsPerPixel() == this->GetOutput()->GetNumberOfComponentsPerPixel();
}

itkPatchByPatchTemplate void
itkPatchByPatchClass::SetFilter(InputFilterType * filter)
{
  auto * outputFilter = dynamic_cast<OutputFilterType *>(filter);
  if (filter == nullptr || outputFilter == nullptr)
  {
    itkExceptionMacro(<< "SetFilter needs a filter that is both an input and an output filter; "
                         "use SetInputFilter() and SetOutputFilter() for a mini-pipeline");
  }
  this->SetInputFilter(filter);
  this->SetOutputFilter(outputFilter);
}

itkPatchByPatchTemplate void
itkPatchByPatchClass::SetInputFilter(InputFilterType * filter)
{
  if (filter == nullptr)
  {
    itkExceptionMacro(<< "InputFilter cannot be nullptr");
  }
  if (m_InputFilter != filter)
  {
    m_InputFilter = filter;
    this->Modified();
  }
}

itkPatchByPatchTemplate void
itkPatchByPatchClass::SetOutputFilter(OutputFilterType * filter)
{
  if (filter == nullptr)
  {
    itkExceptionMacro(<< "OutputFilter cannot be nullptr");
  }
  if (m_OutputFilter != filter)
  {
    m_OutputFilter = filter;
    this->Modified();
  }
}

itkPatchByPatchTemplate void
itkPatchByPatchClass::VerifyInputInformation() ITKv5_CONST
{
  Superclass::VerifyInputInformation();
  if (!m_InputFilter)
  {
    itkExceptionMacro(<< "InputFilter is not set: call SetFilter() or SetInputFilter()");
  }
  if (!m_OutputFilter)
  {
    itkExceptionMacro(<< "OutputFilter is not set: call SetFilter() or SetOutputFilter()");
  }
}

itkPatchByPatchTemplate void
itkPatchByPatchClass::GenerateOutputInformation()
{
  // Not Superclass::GenerateOutputInformation: it would set the input's number of components first.
  const InputImageType * stack = this->GetInput();
  OutputImageType *      output = this->GetOutput();
  PatchStreamingDetail::CopyInformationButComponents(*stack, *output);
  const PatchGridType & grid = m_PatchGrid.Resolve(*stack);
  output->SetMetaDataDictionary(stack->GetMetaDataDictionary());
  EncapsulatePatchGrid(output->GetMetaDataDictionary(), grid);

  // Ask the inner pipeline what it makes of a patch: its size must stay, its
  // number of components becomes the output stack's.
  auto probe = InternalInputImageType::New();
  PatchStreamingDetail::SetPatchGeometry(probe.GetPointer(), grid, 0);
  probe->SetNumberOfComponentsPerPixel(stack->GetNumberOfComponentsPerPixel());
  m_InputFilter->SetInput(probe);
  m_OutputFilter->UpdateOutputInformation();
  const InternalOutputImageType * patchOutput = m_OutputFilter->GetOutput();
  if (patchOutput->GetLargestPossibleRegion().GetSize() != grid.GetPatchSize())
  {
    itkExceptionMacro(<< "the inner pipeline turns a patch of size " << grid.GetPatchSize() << " into one of size "
                      << patchOutput->GetLargestPossibleRegion().GetSize() << "; it must keep the patch size");
  }
  output->SetNumberOfComponentsPerPixel(patchOutput->GetNumberOfComponentsPerPixel());
}

itkPatchByPatchTemplate void
itkPatchByPatchClass::EnlargeOutputRequestedRegion(DataObject * data)
{
  auto * output = dynamic_cast<OutputImageType *>(data);
  output->SetRequestedRegion(
    PatchStreamingDetail::WholePatches(output->GetRequestedRegion(), output->GetLargestPossibleRegion()));
}

itkPatchByPatchTemplate void
itkPatchByPatchClass::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();
  auto * stack = const_cast<InputImageType *>(this->GetInput());
  if (stack == nullptr)
  {
    return;
  }
  stack->SetRequestedRegion(
    PatchStreamingDetail::WholePatches(this->GetOutput()->GetRequestedRegion(), stack->GetLargestPossibleRegion()));
}

itkPatchByPatchTemplate void
itkPatchByPatchClass::GenerateData()
{
  this->AllocateOutputs();
  OutputImageType *     output = this->GetOutput();
  const PatchGridType & grid = this->GetPatchGrid();
  const RegionType      region = output->GetRequestedRegion();
  const SizeValueType   patchPixels =
    region.GetNumberOfPixels() / std::max<SizeValueType>(region.GetSize(PatchDimension), 1);
  auto * outputBuffer = PatchStreamingDetail::GetComponentBuffer(output);

  // One patch image, refilled for every patch: the inner pipeline sees a new
  // input each time (Modified) and re-executes.
  auto patch = InternalInputImageType::New();
  patch->SetNumberOfComponentsPerPixel(this->GetInput()->GetNumberOfComponentsPerPixel());
  m_InputFilter->SetInput(patch);

  const auto first = static_cast<SizeValueType>(region.GetIndex(PatchDimension));
  const auto count = region.GetSize(PatchDimension);
  for (SizeValueType k = first; k < first + count; ++k)
  {
    if (this->GetAbortGenerateData())
    {
      ProcessAborted aborted(__FILE__, __LINE__);
      aborted.SetDescription("PatchByPatchImageFilter: AbortGenerateDataOn");
      throw aborted;
    }
    typename OutputImageType::IndexType outputIndex = region.GetIndex();
    outputIndex[PatchDimension] = static_cast<IndexValueType>(k);
    auto * target = outputBuffer + output->ComputeOffset(outputIndex) * output->GetNumberOfComponentsPerPixel();
    if (grid.IsPatchKept(k))
    {
      this->ProcessPatch(patch.GetPointer(), k, target);
    }
    else
    {
      // Skipped by the mask: not processed.
      std::fill_n(target, patchPixels * output->GetNumberOfComponentsPerPixel(), OutputComponentType{});
    }
    this->UpdateProgress(static_cast<float>(k - first + 1) / static_cast<float>(count));
  }
  // Do not keep the last patch, nor the inner pipeline's result for it (P^N
  // values per output component), alive between requests.
  m_InputFilter->SetInput(nullptr);
  m_OutputFilter->GetOutput()->ReleaseData();
  m_InnerPipelineMTime = this->GetInnerPipelineMTime();
}

itkPatchByPatchTemplate ModifiedTimeType
itkPatchByPatchClass::GetMTime() const
{
  const ModifiedTimeType own = Superclass::GetMTime();
  const ModifiedTimeType inner = this->GetInnerPipelineMTime();
  return inner > m_InnerPipelineMTime ? std::max(own, inner) : own;
}

itkPatchByPatchTemplate ModifiedTimeType
itkPatchByPatchClass::GetInnerPipelineMTime() const
{
  ModifiedTimeType                   latest = 0;
  std::vector<const ProcessObject *> pending{ m_OutputFilter.GetPointer() };
  std::set<const ProcessObject *>    seen;
  while (!pending.empty())
  {
    const ProcessObject * filter = pending.back();
    pending.pop_back();
    if (filter == nullptr || !seen.insert(filter).second)
    {
      continue;
    }
    latest = std::max(latest, filter->GetMTime());
    // InputFilter's primary input is the patch; its other inputs (a mask, a constant) count.
    const DataObject * patch = filter == m_InputFilter.GetPointer() ? m_InputFilter->GetInput() : nullptr;
    // GetInputs() is not const in ITK; it only lists them.
    for (const DataObject * input : const_cast<ProcessObject *>(filter)->GetInputs())
    {
      if (input != nullptr && input != patch)
      {
        latest = std::max(latest, input->GetMTime());
        pending.push_back(input->GetSource());
      }
    }
  }
  return latest;
}

itkPatchByPatchTemplate void
itkPatchByPatchClass::ProcessPatch(InternalInputImageType * patch, SizeValueType k, OutputComponentType * target)
{
  const InputImageType * stack = this->GetInput();
  const unsigned int     outputComponents = this->GetOutput()->GetNumberOfComponentsPerPixel();
  const PatchGridType &  grid = this->GetPatchGrid();
  m_PatchNumber = k;
  this->InvokeEvent(IterationEvent());

  typename InputImageType::IndexType stackIndex = stack->GetLargestPossibleRegion().GetIndex();
  stackIndex[PatchDimension] = static_cast<IndexValueType>(k);
  // A whole patch is contiguous in the stack (the patch axis is the slowest);
  // it is copied out before its result is written (the same memory when in place).
  const auto * source = PatchStreamingDetail::GetComponentBuffer(stack) +
                        stack->ComputeOffset(stackIndex) * stack->GetNumberOfComponentsPerPixel();
  PatchStreamingDetail::SetPatchGeometry(patch, grid, k);
  if (patch->GetBufferPointer() == nullptr)
  {
    // First patch, or an in-place inner filter took the previous buffer.
    patch->Allocate();
  }
  const SizeValueType patchPixels = patch->GetLargestPossibleRegion().GetNumberOfPixels();
  std::copy_n(
    source, patchPixels * stack->GetNumberOfComponentsPerPixel(), PatchStreamingDetail::GetComponentBuffer(patch));
  patch->Modified();

  m_OutputFilter->UpdateLargestPossibleRegion();
  const InternalOutputImageType * result = m_OutputFilter->GetOutput();
  if (result->GetBufferedRegion().GetSize() != grid.GetPatchSize() ||
      result->GetNumberOfComponentsPerPixel() != outputComponents)
  {
    itkExceptionMacro(<< "the inner pipeline produced " << result->GetBufferedRegion() << " with "
                      << result->GetNumberOfComponentsPerPixel() << " components for patch " << k
                      << "; expected the patch size " << grid.GetPatchSize() << " and " << outputComponents
                      << " components");
  }
  const auto * values = PatchStreamingDetail::GetComponentBuffer(result);
  std::transform(values, values + patchPixels * outputComponents, target, [](const auto value) {
    return PatchStreamingDetail::ConvertValue<OutputComponentType>(value);
  });
}

itkPatchByPatchTemplate void
itkPatchByPatchClass::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "InputFilter: " << m_InputFilter.GetPointer() << std::endl;
  os << indent << "OutputFilter: " << m_OutputFilter.GetPointer() << std::endl;
  m_PatchGrid.Print(os, indent);
  os << indent << "PatchNumber: " << m_PatchNumber << std::endl;
  os << indent << "InnerPipelineMTime: " << m_InnerPipelineMTime << std::endl;
}
} // end namespace itk

#undef itkPatchByPatchTemplate
#undef itkPatchByPatchClass

#endif
