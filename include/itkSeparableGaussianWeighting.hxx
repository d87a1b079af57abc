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
#ifndef itkSeparableGaussianWeighting_hxx
#define itkSeparableGaussianWeighting_hxx

#include "itkSeparableGaussianWeighting.h"
#include "itkPatchImageRows.h"
#include "itkPatchStackGrid.h"
#include "itkPatchWindowProfiles.h"
#include "itkTotalProgressReporter.h"

namespace itk
{
template <typename TImage>
SeparableGaussianWeighting<TImage>::SeparableGaussianWeighting()
{
  // Weighting is a per-voxel product: the stack's own buffer can take the result.
  this->InPlaceOn();
  // Progress comes from the voxels weighted (DynamicThreadedGenerateData) over the
  // whole request; the threader's fraction of work units done would set it back.
  this->ThreaderUpdateProgressOff();
}

template <typename TImage>
auto
SeparableGaussianWeighting<TImage>::MakeWindows() const -> WindowsType
{
  PatchWindowParameters parameters;
  parameters.Weighting = PatchStreamingEnums::Weighting::Gaussian;
  parameters.SigmaScale = m_SigmaScale;
  parameters.MinimumWeight = m_MinimumWeight;
  WindowsType windows(m_PatchGrid.GetRequired(), parameters);
  windows.template CheckWeightsFit<ComponentType>(parameters);
  return windows;
}

template <typename TImage>
std::vector<double>
SeparableGaussianWeighting<TImage>::GetProfile(unsigned int axis) const
{
  if (axis >= PatchDimension)
  {
    itkExceptionMacro(<< "GetProfile axis = " << axis << " must be less than " << PatchDimension);
  }
  return GaussianWindowProfile(m_PatchGrid.GetRequired().GetPatchSize()[axis], m_SigmaScale, m_MinimumWeight);
}

template <typename TImage>
auto
SeparableGaussianWeighting<TImage>::GetWindowImage(SizeValueType patch) const -> typename WindowImageType::Pointer
{
  const WindowsType     windows = this->MakeWindows();
  const PatchGridType & grid = this->GetPatchGrid();
  if (patch >= grid.GetNumberOfPatches())
  {
    itkExceptionMacro(<< "GetWindowImage patch = " << patch << " must be less than the number of patches, "
                      << grid.GetNumberOfPatches());
  }
  auto window = WindowImageType::New();
  window->SetRegions(typename WindowImageType::RegionType(grid.GetPatchSize()));
  window->SetSpacing(grid.GetSpacing());
  window->SetDirection(grid.GetDirection());
  window->SetOrigin(grid.GetPatchOrigin(patch));
  window->Allocate();
  const auto gridIndex = grid.GetGridIndex(patch);
  PatchStreamingDetail::ForEachImageRow(
    window->GetBufferedRegion(), [&](const typename WindowImageType::IndexType & rowStart) {
      const double   rowWeight = windows.GetRowWeight(gridIndex, rowStart);
      const double * profile = windows.GetRowProfile(gridIndex, 0);
      double *       target = window->GetBufferPointer() + window->ComputeOffset(rowStart);
      for (SizeValueType j = 0; j < grid.GetPatchSize()[0]; ++j)
      {
        target[j] = rowWeight * profile[j];
      }
    });
  return window;
}

template <typename TImage>
void
SeparableGaussianWeighting<TImage>::GenerateOutputInformation()
{
  Superclass::GenerateOutputInformation();
  const ImageType * stack = this->GetInput();
  ImageType *       output = this->GetOutput();
  if (stack == nullptr)
  {
    itkExceptionMacro(<< "Input patch stack is not set");
  }
  const PatchGridType & grid = m_PatchGrid.Resolve(*stack);
  // The merger downstream reads the grid from here.
  output->SetMetaDataDictionary(stack->GetMetaDataDictionary());
  EncapsulatePatchGrid(output->GetMetaDataDictionary(), grid);
}

template <typename TImage>
void
SeparableGaussianWeighting<TImage>::BeforeThreadedGenerateData()
{
  m_Windows = this->MakeWindows();
}

template <typename TImage>
void
SeparableGaussianWeighting<TImage>::AfterThreadedGenerateData()
{
  this->UpdateProgress(1.0f);
}

template <typename TImage>
void
SeparableGaussianWeighting<TImage>::DynamicThreadedGenerateData(const RegionType & outputRegionForThread)
{
  const ImageType *     input = this->GetInput();
  ImageType *           output = this->GetOutput();
  const auto *          inputBuffer = PatchStreamingDetail::GetComponentBuffer(input);
  auto *                outputBuffer = PatchStreamingDetail::GetComponentBuffer(output);
  const OffsetValueType components = output->GetNumberOfComponentsPerPixel();
  const SizeValueType   rowLength = outputRegionForThread.GetSize(0);
  const PatchGridType & grid = this->GetPatchGrid();

  TotalProgressReporter progress(
    this, output->GetRequestedRegion().GetNumberOfPixels(), 100, PatchStreamingDetail::ThreadedProgressWeight);

  // Rows come patch by patch (the patch axis is the slowest): look each patch's grid index up once.
  auto                              patch = NumericTraits<SizeValueType>::max();
  typename PatchGridType::IndexType gridIndex{};
  PatchStreamingDetail::ForEachImageRow(outputRegionForThread, [&](const typename ImageType::IndexType & rowStart) {
    if (static_cast<SizeValueType>(rowStart[PatchDimension]) != patch)
    {
      patch = static_cast<SizeValueType>(rowStart[PatchDimension]);
      gridIndex = grid.GetGridIndex(patch);
    }
    // The stack's index along the image axes is the voxel's offset inside its patch.
    const double   rowWeight = m_Windows.GetRowWeight(gridIndex, rowStart);
    const double * profile = m_Windows.GetRowProfile(gridIndex, rowStart[0]);
    const auto *   source = inputBuffer + components * input->ComputeOffset(rowStart);
    auto *         target = outputBuffer + components * output->ComputeOffset(rowStart);
    for (SizeValueType j = 0; j < rowLength; ++j)
    {
      const auto weight = static_cast<ComponentType>(rowWeight * profile[j]);
      for (OffsetValueType c = 0; c < components; ++c)
      {
        const OffsetValueType i = static_cast<OffsetValueType>(j) * components + c;
        target[i] = weight * source[i];
      }
    }
    progress.Completed(rowLength);
  });
}

template <typename TImage>
void
SeparableGaussianWeighting<TImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  m_PatchGrid.Print(os, indent);
  os << indent << "SigmaScale: " << m_SigmaScale << std::endl;
  os << indent << "MinimumWeight: " << m_MinimumWeight << std::endl;
  os << indent << "Windows: " << (m_Windows.GetAxisWindow(0).GetNumberOfPositions() > 0 ? "built" : "not built")
     << std::endl;
}
} // end namespace itk

#endif
