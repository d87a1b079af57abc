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
#ifndef PatchwiseProcessing_h
#define PatchwiseProcessing_h

#include "PatchwiseProcess.h"
#include "itkPatchByPatchImageFilter.h"

#include "itkCastImageFilter.h"
#include "itkComposeImageFilter.h"
#include "itkDiscreteGaussianImageFilter.h"
#include "itkMedianImageFilter.h"
#include "itkVectorImage.h"
#include "itkVectorIndexSelectionCastImageFilter.h"

#include <limits>
#include <vector>

/** The scalar filter `--process` names, for N-D float patches: a
 * DiscreteGaussianImageFilter with variance sigma^2 in physical units
 * (UseImageSpacing, as every patch carries the image's spacing), its kernel
 * limited only by ITK's default MaximumError, or a MedianImageFilter. */
template <unsigned int VDimension>
typename itk::ImageToImageFilter<itk::Image<float, VDimension>, itk::Image<float, VDimension>>::Pointer
MakePatchFilter(const PatchwiseProcess & process)
{
  using PatchType = itk::Image<float, VDimension>;
  if (process.kind == PatchwiseProcess::Kind::Gaussian)
  {
    auto smoothing = itk::DiscreteGaussianImageFilter<PatchType, PatchType>::New();
    smoothing->SetVariance(process.sigma * process.sigma);
    smoothing->SetUseImageSpacing(true);
    smoothing->SetMaximumKernelWidth(std::numeric_limits<int>::max());
    return smoothing;
  }
  auto median = itk::MedianImageFilter<PatchType, PatchType>::New();
  median->SetRadius(process.radius);
  return median;
}

/** A PatchByPatchImageFilter running `--process` on every patch of a stack of
 * float patches, scalar or multi-component, and the filters between its input
 * and output filters (an image keeps only a weak pointer to its source, so
 * whoever holds the pipeline holds them). */
template <typename TFilter>
struct PatchwiseProcessingPipeline
{
  typename TFilter::Pointer                perPatch{};
  std::vector<itk::ProcessObject::Pointer> innerFilters{};
};

template <typename TStack>
struct PatchwiseProcessing;

template <unsigned int VStackDimension>
struct PatchwiseProcessing<itk::Image<float, VStackDimension>>
{
  using StackType = itk::Image<float, VStackDimension>;
  using FilterType = itk::PatchByPatchImageFilter<StackType>;

  static PatchwiseProcessingPipeline<FilterType>
  Make(const PatchwiseProcess & process, unsigned int)
  {
    PatchwiseProcessingPipeline<FilterType> pipeline{ FilterType::New(), {} };
    pipeline.perPatch->SetFilter(MakePatchFilter<VStackDimension - 1>(process));
    return pipeline;
  }
};

/** Multi-component patches: the scalar filter runs on every component
 * (VectorIndexSelectionCastImageFilter -> filter -> ComposeImageFilter); a
 * pass-through cast takes the patch, as every component's selection reads it. */
template <unsigned int VStackDimension>
struct PatchwiseProcessing<itk::VectorImage<float, VStackDimension>>
{
  static constexpr unsigned int PatchDimension = VStackDimension - 1;
  using StackType = itk::VectorImage<float, VStackDimension>;
  using PatchType = itk::VectorImage<float, PatchDimension>;
  using ComponentType = itk::Image<float, PatchDimension>;
  using FilterType = itk::PatchByPatchImageFilter<StackType,
                                                  StackType,
                                                  itk::ImageToImageFilter<PatchType, PatchType>,
                                                  itk::ImageSource<PatchType>>;

  static PatchwiseProcessingPipeline<FilterType>
  Make(const PatchwiseProcess & process, unsigned int components)
  {
    PatchwiseProcessingPipeline<FilterType> pipeline{ FilterType::New(), {} };
    auto                                    patch = itk::CastImageFilter<PatchType, PatchType>::New();
    auto                                    compose = itk::ComposeImageFilter<ComponentType, PatchType>::New();
    for (unsigned int c = 0; c < components; ++c)
    {
      auto component = itk::VectorIndexSelectionCastImageFilter<PatchType, ComponentType>::New();
      component->SetInput(patch->GetOutput());
      component->SetIndex(c);
      auto filter = MakePatchFilter<PatchDimension>(process);
      filter->SetInput(component->GetOutput());
      compose->SetInput(c, filter->GetOutput());
      pipeline.innerFilters.push_back(component.GetPointer());
      pipeline.innerFilters.push_back(filter.GetPointer());
    }
    pipeline.perPatch->SetInputFilter(patch);
    pipeline.perPatch->SetOutputFilter(compose);
    return pipeline;
  }
};

#endif
