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
#ifndef itkSyntheticClassModelImageFilter_h
#define itkSyntheticClassModelImageFilter_h

#include "itkImageToImageFilter.h"
#include "itkPatchImageRows.h"
#include "itkPatchStreamingCompatibility.h"
#include "itkVectorImage.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace itk
{
/** \class SyntheticClassModelImageFilter
 * \brief A stand-in for a segmentation network: C class probabilities per voxel.
 *
 * For the voxel value v at the physical point x, class c scores
 * s_c = -((v - m_c) / w)^2 + 0.5 sin(0.05 (c + 1) sum_d x_d), where the
 * class centers m_c split IntensityRange evenly and w is a class's share of
 * it; the output is the softmax of the scores. It depends on the voxel's
 * physical position, so a patch given a wrong origin gives a wrong answer.
 * Used by the tests and the out-of-core benchmark; it is not part of the library.
 *
 * \ingroup PatchStreaming
 */
template <typename TInputImage, typename TOutputImage = VectorImage<float, TInputImage::ImageDimension>>
class SyntheticClassModelImageFilter : public ImageToImageFilter<TInputImage, TOutputImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SyntheticClassModelImageFilter);

  using Self = SyntheticClassModelImageFilter;
  using Superclass = ImageToImageFilter<TInputImage, TOutputImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(SyntheticClassModelImageFilter);

  using RegionType = typename TOutputImage::RegionType;
  using ComponentType = typename TOutputImage::InternalPixelType;

  itkSetMacro(NumberOfClasses, unsigned int);
  itkGetConstMacro(NumberOfClasses, unsigned int);

  /** The intensities the class centers spread over. */
  void
  SetIntensityRange(double lowest, double highest)
  {
    m_Lowest = lowest;
    m_Highest = highest;
    this->Modified();
  }

protected:
  SyntheticClassModelImageFilter() { this->DynamicMultiThreadingOn(); }
  ~SyntheticClassModelImageFilter() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "NumberOfClasses: " << m_NumberOfClasses << std::endl;
    os << indent << "IntensityRange: [" << m_Lowest << ", " << m_Highest << "]" << std::endl;
  }

  void
  GenerateOutputInformation() override
  {
    Superclass::GenerateOutputInformation();
    if (m_NumberOfClasses == 0 || !(m_Highest > m_Lowest))
    {
      itkExceptionMacro(<< "NumberOfClasses = " << m_NumberOfClasses << " must be positive and IntensityRange = ["
                        << m_Lowest << ", " << m_Highest << "] not empty");
    }
    this->GetOutput()->SetNumberOfComponentsPerPixel(m_NumberOfClasses);
  }

  void
  DynamicThreadedGenerateData(const RegionType & region) override
  {
    const TInputImage *   input = this->GetInput();
    TOutputImage *        output = this->GetOutput();
    const unsigned int    classes = m_NumberOfClasses;
    const double          width = (m_Highest - m_Lowest) / classes;
    std::vector<double>   scores(classes);
    ComponentType *       buffer = output->GetBufferPointer();
    PatchStreamingDetail::ForEachImageRow(region, [&](const typename TOutputImage::IndexType & rowStart) {
      typename TOutputImage::IndexType index = rowStart;
      ComponentType * probabilities = buffer + output->ComputeOffset(rowStart) * classes;
      for (SizeValueType j = 0; j < region.GetSize(0); ++j, ++index[0], probabilities += classes)
      {
        typename TOutputImage::PointType point;
        output->TransformIndexToPhysicalPoint(index, point);
        double coordinateSum = 0.0;
        for (unsigned int d = 0; d < TOutputImage::ImageDimension; ++d)
        {
          coordinateSum += point[d];
        }
        const double value = static_cast<double>(input->GetPixel(index));
        for (unsigned int c = 0; c < classes; ++c)
        {
          const double distance = (value - (m_Lowest + (c + 0.5) * width)) / width;
          scores[c] = -distance * distance + 0.5 * std::sin(0.05 * (c + 1) * coordinateSum);
        }
        const double highest = *std::max_element(scores.begin(), scores.end());
        double       total = 0.0;
        for (double & score : scores)
        {
          score = std::exp(score - highest);
          total += score;
        }
        for (unsigned int c = 0; c < classes; ++c)
        {
          probabilities[c] = static_cast<ComponentType>(scores[c] / total);
        }
      }
    });
  }

private:
  unsigned int m_NumberOfClasses{ 4 };
  double       m_Lowest{ 0.0 };
  double       m_Highest{ 1.0 };
};
} // end namespace itk

#endif
