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
#include "itkPatchImageRows.h"
#include "itkPatchPixelComponents.h"
#include "itkTotalProgressReporter.h"

#include <cmath>
#include <limits>

namespace itk
{
template <typename TInputImage, typename TOutputImage>
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::ComponentArgmaxImageFilter()
{
  this->DynamicMultiThreadingOn();
}

template <typename TInputImage, typename TOutputImage>
void
ComponentArgmaxImageFilter<TInputImage, TOutputImage>::GenerateOutputInformation()
{
  Superclass::GenerateOutputInformation();
  const unsigned int components = this->GetInput()->GetNumberOfComponentsPerPixel();
  this->GetOutput()->SetNumberOfComponentsPerPixel(1);
  if (components == 0 ||
      static_cast<double>(components - 1) > static_cast<double>(NumericTraits<OutputPixelType>::max()))
  {
    itkExceptionMacro(<< "the input has " << components
                      << " components per pixel; the output pixel type holds labels up to "
                      << static_cast<typename NumericTraits<OutputPixelType>::PrintType>(
                           NumericTraits<OutputPixelType>::max()));
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

  TotalProgressReporter progress(this, output->GetRequestedRegion().GetNumberOfPixels());
  PatchStreamingDetail::ForEachImageRow(
    outputRegionForThread, [&](const typename OutputImageType::IndexType & rowStart) {
      const auto *      scores = inputBuffer + input->ComputeOffset(rowStart) * components;
      OutputPixelType * labels = output->GetBufferPointer() + output->ComputeOffset(rowStart);
      for (SizeValueType j = 0; j < rowLength; ++j, scores += components)
      {
        OffsetValueType best = 0;
        for (OffsetValueType c = 1; c < components; ++c)
        {
          // A NaN best is replaced by the first number; a NaN candidate never wins.
          if (scores[c] > scores[best] ||
              (std::isnan(static_cast<double>(scores[best])) && !std::isnan(static_cast<double>(scores[c]))))
          {
            best = c;
          }
        }
        labels[j] = static_cast<OutputPixelType>(best);
      }
      progress.Completed(rowLength);
    });
}
} // end namespace itk

#endif
