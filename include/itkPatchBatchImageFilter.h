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
#ifndef itkPatchBatchImageFilter_h
#define itkPatchBatchImageFilter_h

#include "itkImage.h"
#include "itkInPlaceImageFilter.h"
#include "itkPatchGrid.h"
#include "itkPatchStackGrid.h"
#include "itkPatchStreamingCompatibility.h"

#include <type_traits>

namespace itk
{
/** \class PatchBatchImageFilter
 * \brief Hands the requested patches of an (N+1)-D patch stack to a per-batch
 * computation, BatchSize patches at a time: stack in, stack of C_out components out.
 *
 * The computation is GenerateBatch(): by default an observer of
 * IterationEvent fills the batch's output (this is how a Python callable, for
 * example a PyTorch network wrapped in itk.PyCommand, runs inside the ITK
 * pipeline); TorchScriptPatchImageFilter overrides it to run a TorchScript
 * network. During the event, GetCurrentBatchStart() and GetCurrentBatchSize()
 * give the patches (stack indices along the last axis), and
 * GetCurrentBatchInput() / GetCurrentBatchOutput() their values: the batch's
 * patches one after another, each P_0 x ... x P_{N-1} voxels (axis 0
 * fastest), the components of a voxel next to each other. An observer with
 * the batch's results channels first (a PyTorch tensor (B, C, D, H, W)) hands
 * them to SetCurrentBatchOutputFromChannelsFirst(), which interleaves them
 * into the output in ITK's threads. The default GenerateBatch() zeroes the
 * batch's output before the event (ClearBatchOutput, on by default; not in
 * place, where the output is the input).
 *
 * The output stack has the input's geometry and grid metadata (PatchGrid_*
 * keys, so a PatchMerger downstream needs nothing set), the entry
 * PatchBatchSize = BatchSize (EncapsulatePatchBatchSize), and
 * NumberOfOutputChannels components (0, the default: the input's); more than
 * one needs a VectorImage output stack.
 *
 * Streaming: only the requested patches are computed, whole
 * (EnlargeOutputRequestedRegion), from the same patches of the input
 * (GenerateInputRequestedRegion), in batches of BatchSize consecutive patches
 * of the request (cut at patches a mask-restricted grid skips, which are not
 * computed: zero). A PatchMerger downstream reads PatchBatchSize and asks for
 * one batch at a time: patches [k BatchSize, (k + 1) BatchSize), counted from
 * patch 0 across the ends of patch lines, so every call but the grid's last
 * gets BatchSize patches whatever the line length, a patch has the same batch
 * mates whichever part of the output is requested (a network's result may
 * depend on them), and the stack held is one batch, not a patch line
 * (docs/design.md section 5).
 *
 * In place (InPlaceOn, the default) when the output stack has the input's
 * type and number of components (a one-channel network on one-channel
 * patches): the batch's output is then written over its input, after the
 * computation read it, and the batch is held once, not twice.
 *
 * Otherwise the output's memory is kept between requests, and the next batch
 * is written into it when nothing else refers to it and it is large enough
 * (with ReleaseDataFlag on, the merger releases the stack after each batch,
 * and ITK would allocate the next one anew): a pipeline that asks for one
 * batch at a time then maps no fresh pages for each, where page faults can
 * cost as much as the merge (docs/performance.md). The last output's memory
 * is held until the filter is deleted or ReleaseBatchBuffer() is called.
 *
 * \sa TorchScriptPatchImageFilter, PatchByPatchImageFilter, PatchExtractor, PatchMerger
 * \ingroup PatchStreaming
 */
template <typename TInputImage, typename TOutputImage = TInputImage>
class ITK_TEMPLATE_EXPORT PatchBatchImageFilter : public InPlaceImageFilter<TInputImage, TOutputImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PatchBatchImageFilter);

  using Self = PatchBatchImageFilter;
  using Superclass = InPlaceImageFilter<TInputImage, TOutputImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(PatchBatchImageFilter);

  static constexpr unsigned int ImageDimension = TInputImage::ImageDimension;
  static constexpr unsigned int PatchDimension = ImageDimension - 1;
  static_assert(TOutputImage::ImageDimension == ImageDimension, "input and output stacks have the same dimension");

  using InputImageType = TInputImage;
  using OutputImageType = TOutputImage;
  using RegionType = typename OutputImageType::RegionType;
  using PatchGridType = PatchGrid<PatchDimension>;
  using InputComponentType = typename NumericTraits<typename InputImageType::PixelType>::ValueType;
  using OutputComponentType = typename NumericTraits<typename OutputImageType::PixelType>::ValueType;

  /** Patches per batch; default 4; 0 throws at the next update. */
  itkSetMacro(BatchSize, SizeValueType);
  itkGetConstMacro(BatchSize, SizeValueType);

  /** Components of the output stack; 0 (default) for the input's. */
  itkSetMacro(NumberOfOutputChannels, unsigned int);
  itkGetConstMacro(NumberOfOutputChannels, unsigned int);

  /** The batch being computed: its first stack index and its number of patches. */
  itkGetConstMacro(CurrentBatchStart, SizeValueType);
  itkGetConstMacro(CurrentBatchSize, SizeValueType);

  /** The current batch's input values (GetCurrentBatchSize() patches, see the class description). */
  const InputComponentType *
  GetCurrentBatchInput() const;

  /** The current batch's output values, to be written by an IterationEvent observer. */
  OutputComponentType *
  GetCurrentBatchOutput();

  /** A batch's results channels first: an image of size (P_0, ..., P_{N-1},
   * GetCurrentBatchSize() * C), C the output's components; the values of
   * patch b, channel c are slice b * C + c of the last axis (the memory of a
   * contiguous PyTorch tensor (B, C, D, H, W), seen through
   * itk.image_view_from_array). */
  using ChannelsFirstBatchType = Image<OutputComponentType, ImageDimension>;

  /** Writes the current batch's output from `batch` (ChannelsFirstBatchType),
   * interleaving the channels into the output's components in ITK's threads.
   * Throws an ExceptionObject outside a batch, or when the batch's size is not
   * (P_0, ..., P_{N-1}, GetCurrentBatchSize() * C); both sizes are named. */
  void
  SetCurrentBatchOutputFromChannelsFirst(const ChannelsFirstBatchType * batch);

  /** Whether GenerateBatch() zeroes a batch's output before IterationEvent, so
   * that values an observer does not write are 0; default on. An observer that
   * always writes the whole batch turns it off to save a pass over the values. */
  itkSetMacro(ClearBatchOutput, bool);
  itkGetConstMacro(ClearBatchOutput, bool);
  itkBooleanMacro(ClearBatchOutput);

  /** The grid the stack was cut with (set, or read from the stack's MetaDataDictionary). */
  itkPatchStackGridMacro(PatchGridType);

  /** Frees the memory kept from the last batch's output for the next one (see the class
   * description); an output that still uses it keeps it. */
  void
  ReleaseBatchBuffer()
  {
    m_BatchBuffer = nullptr;
  }

protected:
  PatchBatchImageFilter() = default;
  ~PatchBatchImageFilter() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  /** In place only when the output keeps the input's type and number of components. */
  bool
  CanRunInPlace() const override;

  /** Checks BatchSize. */
  void
  VerifyPreconditions() ITKv5_CONST override;

  /** The input's geometry, the grid in the metadata, and the number of output
   * components (FindNumberOfOutputChannels()). */
  void
  GenerateOutputInformation() override;

  /** The output's number of components: NumberOfOutputChannels, else the input's. */
  virtual unsigned int
  FindNumberOfOutputChannels(const PatchGridType & grid);

  /** The requested patches, whole: every patch axis set to the patch size. */
  void
  EnlargeOutputRequestedRegion(DataObject * output) override;

  /** The same patches of the input stack, whole. */
  void
  GenerateInputRequestedRegion() override;

  /** Allocates the requested patches (the output's buffered region is its requested region):
   * in place, or in the memory kept from the previous request when nothing else refers to it,
   * it holds them and the output's container is empty (PatchStreamingDetail::OfferKeptBuffer;
   * no fresh pages), else as ITK does (that memory is then kept). */
  void
  AllocateOutputs() override;

  /** The requested patches, BatchSize kept patches at a time, through GenerateBatch(). */
  void
  GenerateData() override;

  /** Computes the current batch: zeroes its output (ClearBatchOutput, unless running in place) and invokes
   * IterationEvent. */
  virtual void
  GenerateBatch();

private:
  SizeValueType                  m_BatchSize{ 4 };
  unsigned int                   m_NumberOfOutputChannels{ 0 };
  bool                           m_ClearBatchOutput{ true };
  PatchStackGrid<PatchDimension> m_PatchGrid{};
  SizeValueType                  m_CurrentBatchStart{ 0 };
  SizeValueType                  m_CurrentBatchSize{ 0 };
  typename OutputImageType::PixelContainerPointer m_BatchBuffer{};
};
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkPatchBatchImageFilter.hxx"
#endif

#endif
