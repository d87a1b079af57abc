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
  for (size_t i = 0; i < axes.size(); ++i)
  {
    if (axes[i] >= PatchDimension)
    {
      itkExceptionMacro(<< "MirrorAxes contains " << axes[i] << "; the patches are " << PatchDimension
                        << "-D: expected axes 0 to " << PatchDimension - 1);
    }
    if (std::find(axes.begin(), axes.begin() + static_cast<std::ptrdiff_t>(i), axes[i]) !=
        axes.begin() + static_cast<std::ptrdiff_t>(i))
    {
      itkExceptionMacro(<< "MirrorAxes contains " << axes[i] << " twice: expected each axis at most once");
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
  if (m_ModelFileName.empty() && m_Model.IsNull())
  {
    itkExceptionMacro(<< "Model is nullptr: set a loaded TorchScriptModel or a ModelFileName");
  }
  if (m_ModelFileName.empty() && !m_Model->IsLoaded())
  {
    itkExceptionMacro(<< "ModelFileName is not set: expected a TorchScript file (.pt)");
  }
}

template <typename TInputImage, typename TOutputImage>
unsigned int
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::FindNumberOfOutputChannels(const PatchGridType & grid)
{
  if (!m_ModelFileName.empty() && (m_Model.IsNull() || !m_Model->IsLoaded() ||
                                   m_Model->GetFileName() != m_ModelFileName || m_Model->GetDevice() != m_Device))
  {
    // Into a model of the filter's own: one set with SetModel may be shared with other filters.
    const auto model = ModelType::New();
    model->Load(m_ModelFileName, m_Device);
    m_Model = model;
  }
  if (this->GetNumberOfOutputChannels() > 0)
  {
    return this->GetNumberOfOutputChannels();
  }
  typename ModelType::BatchShape shape;
  shape.Components = this->GetInput()->GetNumberOfComponentsPerPixel();
  shape.PatchSize = PatchStreamingDetail::PatchSizeOf(grid);
  return m_Model->ProbeOutputChannels(shape, m_OutputIndex);
}

template <typename TInputImage, typename TOutputImage>
void
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::GenerateBatch()
{
  this->InvokeEvent(IterationEvent());
  ModelType::SetNumberOfThreads(this->GetNumberOfWorkUnits());
  typename ModelType::BatchShape shape;
  shape.Patches = this->GetCurrentBatchSize();
  shape.Components = this->GetInput()->GetNumberOfComponentsPerPixel();
  shape.PatchSize = PatchStreamingDetail::PatchSizeOf(this->GetPatchGrid());
  m_NumberOfNonFiniteValues += m_Model->Forward(this->GetCurrentBatchInput(),
                                                shape,
                                                m_MirrorAxes,
                                                m_OutputIndex,
                                                this->GetOutput()->GetNumberOfComponentsPerPixel(),
                                                this->GetCurrentBatchOutput());
}

template <typename TInputImage, typename TOutputImage>
void
TorchScriptPatchImageFilter<TInputImage, TOutputImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "ModelFileName: " << m_ModelFileName << std::endl;
  os << indent << "Device: " << m_Device << std::endl;
  os << indent << "MirrorAxes: [";
  for (size_t i = 0; i < m_MirrorAxes.size(); ++i)
  {
    os << (i > 0 ? ", " : "") << m_MirrorAxes[i];
  }
  os << "]" << std::endl;
  os << indent << "OutputIndex: " << m_OutputIndex << std::endl;
  os << indent << "Model: " << m_Model.GetPointer() << std::endl;
  os << indent << "NumberOfNonFiniteValues: " << m_NumberOfNonFiniteValues << std::endl;
}
} // end namespace itk

#endif
