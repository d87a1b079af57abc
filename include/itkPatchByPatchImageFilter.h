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
#ifndef itkPatchByPatchImageFilter_h
#define itkPatchByPatchImageFilter_h

#include "itkImageSource.h"
#include "itkImageToImageFilter.h"
#include "itkInPlaceImageFilter.h"
#include "itkPatchGrid.h"
#include "itkPatchPixelComponents.h"
#include "itkPatchStackGrid.h"
#include "itkPatchStreamingCompatibility.h"

namespace itk
{
/** \class PatchByPatchImageFilter
 * \brief Runs an N-D filter or mini-pipeline on every patch of an (N+1)-D patch stack.
 *
 * Modelled on SliceBySliceImageFilter. Each patch of the requested stack
 * region is handed to the input filter as an N-D image of the patch size with
 * the patch's true physical geometry (the grid's spacing and direction, the
 * origin of the patch's first voxel), the output filter is updated, and its
 * output becomes that patch of the output stack. The inner pipeline may change
 * the pixel type and the number of components (1 channel in, C class
 * probabilities out) but must keep the patch size.
 *
 * The grid comes from SetPatchGrid() or from the stack's MetaDataDictionary,
 * and is written into the output's dictionary, so a PatchMerger downstream
 * finds it.
 *
 * Threading: the patches are processed one after another and the inner filter
 * uses its own threads (as SliceBySliceImageFilter does); one pipeline object
 * cannot run on two patches at once, and the per-patch filters of interest
 * (networks, smoothing) are themselves multi-threaded. docs/out-of-core.md gives
 * the measurements behind this choice.
 *
 * In place (InPlaceOn, the default) when the output stack has the input's
 * type and number of components: each patch is copied out before its result
 * is written back, so the stack line is held once, not twice.
 *
 * Patches a mask-restricted grid skips are not processed (their output is zero).
 *
 * An IterationEvent is invoked before each patch; GetPatchNumber() tells which.
 *
 * \sa SliceBySliceImageFilter, PatchExtractor, PatchMerger, ComponentArgmaxImageFilter
 * \ingroup PatchStreaming
 */
template <
  typename TInputImage,
  typename TOutputImage = TInputImage,
  typename TInputFilter = ImageToImageFilter<
    typename TInputImage::template RebindImageType<typename TInputImage::PixelType, TInputImage::ImageDimension - 1>,
    typename TOutputImage::template RebindImageType<typename TOutputImage::PixelType,
                                                    TOutputImage::ImageDimension - 1>>,
  typename TOutputFilter = ImageSource<typename TInputFilter::OutputImageType>,
  typename TInternalInputImage = typename TInputFilter::InputImageType,
  typename TInternalOutputImage = typename TOutputFilter::OutputImageType>
class ITK_TEMPLATE_EXPORT PatchByPatchImageFilter : public InPlaceImageFilter<TInputImage, TOutputImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PatchByPatchImageFilter);

  using Self = PatchByPatchImageFilter;
  using Superclass = InPlaceImageFilter<TInputImage, TOutputImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(PatchByPatchImageFilter);

  static constexpr unsigned int ImageDimension = TInputImage::ImageDimension;
  static constexpr unsigned int PatchDimension = ImageDimension - 1;
  static_assert(TOutputImage::ImageDimension == ImageDimension, "input and output stacks have the same dimension");
  static_assert(TInternalInputImage::ImageDimension == PatchDimension &&
                  TInternalOutputImage::ImageDimension == PatchDimension,
                "the inner filters work on N-D patches of an (N+1)-D stack");

  using InputImageType = TInputImage;
  using OutputImageType = TOutputImage;
  using RegionType = typename OutputImageType::RegionType;
  using InputFilterType = TInputFilter;
  using OutputFilterType = TOutputFilter;
  using InternalInputImageType = TInternalInputImage;
  using InternalOutputImageType = TInternalOutputImage;
  using PatchGridType = PatchGrid<PatchDimension>;

  /** One filter that is both the input and the output of the inner pipeline. */
  void
  SetFilter(InputFilterType * filter);

  /** The first filter of the inner pipeline: it gets each patch as its input. */
  void
  SetInputFilter(InputFilterType * filter);
  itkGetModifiableObjectMacro(InputFilter, InputFilterType);

  /** The last filter of the inner pipeline: its output becomes the patch of the output stack. */
  void
  SetOutputFilter(OutputFilterType * filter);
  itkGetModifiableObjectMacro(OutputFilter, OutputFilterType);

  /** SetPatchGrid(grid): the grid the stack was cut with; an empty grid means:
   * read it from the stack's MetaDataDictionary. GetPatchGrid(): the grid in
   * use, the one set, else the one read from the stack (after UpdateOutputInformation()). */
  itkPatchStackGridMacro(PatchGridType);

  /** The patch being processed (for observers of IterationEvent). */
  itkGetConstMacro(PatchNumber, SizeValueType);

  /** The filter's modification time, or the inner pipeline's where that changed after this
   * filter last ran it (a parameter of an inner filter the caller set, an image it reads):
   * the output is computed again then, unlike ITK's SliceBySliceImageFilter, which keeps its
   * last output. The patches this filter hands the inner pipeline do not count. */
  ModifiedTimeType
  GetMTime() const override;

protected:
  PatchByPatchImageFilter();
  ~PatchByPatchImageFilter() override = default;

  /** Only when the inner pipeline keeps the number of components as well as the type. */
  bool
  CanRunInPlace() const override;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  /** Checks that both inner filters are set. */
  void
  VerifyInputInformation() ITKv5_CONST override;

  /** The input stack's geometry; the grid (set, or from the metadata) checked
   * against the stack and written into the output's MetaDataDictionary; the
   * number of components the inner pipeline produces, from its
   * UpdateOutputInformation on patch 0's geometry. */
  void
  GenerateOutputInformation() override;

  /** Whole patches are computed: the output request grows to the full patch
   * extent along the image axes, keeping its range of patches. */
  void
  EnlargeOutputRequestedRegion(DataObject * output) override;

  /** The input stack region is the (enlarged) output region: the same patches. */
  void
  GenerateInputRequestedRegion() override;

  /** Runs the inner pipeline on each requested patch in increasing patch number. */
  void
  GenerateData() override;

private:
  using OutputComponentType = PatchStreamingDetail::PixelComponentType<OutputImageType>;

  /** Runs the inner pipeline on patch k, handed to it as `patch` (the patch's
   * voxels and true geometry), and writes its result to `target`, the patch's
   * place in the output stack. */
  void
  ProcessPatch(InternalInputImageType * patch, SizeValueType k, OutputComponentType * target);

  /** The latest modification time of the inner pipeline's filters and of the data objects they
   * read, from OutputFilter back to InputFilter (not InputFilter's primary input, the patch). */
  ModifiedTimeType
  GetInnerPipelineMTime() const;

  typename InputFilterType::Pointer  m_InputFilter{};
  typename OutputFilterType::Pointer m_OutputFilter{};
  PatchStackGrid<PatchDimension>     m_PatchGrid{};
  SizeValueType                      m_PatchNumber{ 0 };
  /** GetInnerPipelineMTime() when this filter last finished with the inner pipeline. */
  ModifiedTimeType m_InnerPipelineMTime{ 0 };
};
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkPatchByPatchImageFilter.hxx"
#endif

#endif
