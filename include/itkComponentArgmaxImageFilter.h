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
 * Slabs (SetSlabThickness(S), S > 0): inside one request the filter streams
 * its input the way StreamingImageFilter does, in slabs of S slices along the
 * slowest axis, in order, so it holds C channels of one slab only, whatever
 * the downstream writer's divisions. Behind a PatchMerger the slabs are
 * adjacent requests, so the merger's carry keeps every patch computed once
 * (docs/out-of-core.md, Memory). An input with no source (an image in memory)
 * has nothing to stream and is read in one piece, as with S = 0.
 * The default, 0, keeps ImageToImageFilter's contract (one input request
 * per output request): an upstream filter that reads a margin around its
 * request would recompute it for every slab. Set S (8 is a good value) when
 * the input is a PatchMerger, whose slabs cost nothing extra.
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

  /** Slices (along the slowest axis) of the input held at once inside one
   * request; 0 (the default) = the whole request at once. */
  itkSetMacro(SlabThickness, SizeValueType);
  itkGetConstMacro(SlabThickness, SizeValueType);

protected:
  ComponentArgmaxImageFilter();
  ~ComponentArgmaxImageFilter() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  /** The input's geometry, one component per output pixel; checks that the
   * output type can hold every class index. */
  void
  GenerateOutputInformation() override;

  /** Requests the output's requested region from the input (ImageToImageFilter's
   * default), or only its first slab when the input is streamed in slabs. */
  void
  GenerateInputRequestedRegion() override;

  /** Allocates the output's requested region and computes it slab by slab:
   * the first slab from the input as the pipeline updated it, each next one
   * after setting the input's requested region to it and updating the input
   * (as StreamingImageFilter drives its input). One slab when slabs are off
   * or the input has no source. Progress rises over the whole request; an
   * AbortGenerateData stops it between slabs and inside one. */
  void
  GenerateData() override;

  /** The labels of the region from the same input region. */
  void
  DynamicThreadedGenerateData(const OutputImageRegionType & outputRegionForThread) override;

private:
  /** Whether the input is streamed in slabs: SlabThickness > 0 and the input has a source. */
  bool
  StreamsInput() const;

  /** The number of slabs `region` is computed in (1 when the input is not streamed). */
  SizeValueType
  GetNumberOfSlabs(const OutputImageRegionType & region) const;

  /** Slab `slab` of `region`: SlabThickness slices along the slowest axis (the
   * last one may be thinner), or `region` itself when the input is not streamed. */
  OutputImageRegionType
  GetSlab(const OutputImageRegionType & region, SizeValueType slab) const;

  /** Sets the input's requested region to `slab` and brings it up to date
   * (nothing happens when it already is); throws when its source did not produce it. */
  void
  PullSlab(const OutputImageRegionType & slab);

  SizeValueType m_SlabThickness{ 0 };
};
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkComponentArgmaxImageFilter.hxx"
#endif

#endif
