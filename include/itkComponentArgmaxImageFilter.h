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
#ifndef itkComponentArgmaxImageFilter_h
#define itkComponentArgmaxImageFilter_h

#include "itkImage.h"
#include "itkImageToImageFilter.h"
#include "itkPatchStreamingCompatibility.h"

namespace itk
{
/** \class ComponentArgmaxImageFilter
 * \brief Turns a C-component image (class probabilities or scores) into a
 * label map: each output voxel is the index of its largest component.
 *
 * Works on VectorImage and Image<Vector> inputs (ITK has no argmax for
 * VectorImage). Ties go to the lowest index; NaN components never win unless
 * every component is NaN (label 0). Each requested output region is computed
 * from the same input region alone, so merger -> argmax -> streaming writer
 * holds one stream chunk of C channels, never C full-size channels.
 * The output type must hold C - 1 (checked, an exception names both).
 *
 * \sa PatchMerger, PatchByPatchImageFilter, VectorIndexSelectionCastImageFilter, NthElementImageAdaptor
 * \ingroup PatchStreaming
 */
template <typename TInputImage, typename TOutputImage = Image<unsigned char, TInputImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT ComponentArgmaxImageFilter : public ImageToImageFilter<TInputImage, TOutputImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ComponentArgmaxImageFilter);

  using Self = ComponentArgmaxImageFilter;
  using Superclass = ImageToImageFilter<TInputImage, TOutputImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(ComponentArgmaxImageFilter);

  static constexpr unsigned int ImageDimension = TInputImage::ImageDimension;
  static_assert(TOutputImage::ImageDimension == ImageDimension, "the label map has the image's dimension");

  using InputImageType = TInputImage;
  using OutputImageType = TOutputImage;
  using OutputPixelType = typename OutputImageType::PixelType;
  using OutputImageRegionType = typename OutputImageType::RegionType;

protected:
  ComponentArgmaxImageFilter();
  ~ComponentArgmaxImageFilter() override = default;

  /** The input's geometry, one component per output pixel; checks that the
   * output type can hold every class index. */
  void
  GenerateOutputInformation() override;

  /** The labels of the region from the same input region (ImageToImageFilter's default request). */
  void
  DynamicThreadedGenerateData(const OutputImageRegionType & outputRegionForThread) override;
};
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkComponentArgmaxImageFilter.hxx"
#endif

#endif
