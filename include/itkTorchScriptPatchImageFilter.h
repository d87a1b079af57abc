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
#ifndef itkTorchScriptPatchImageFilter_h
#define itkTorchScriptPatchImageFilter_h

#include "itkPatchBatchImageFilter.h"
#include "itkTorchScriptModel.h"

#include <string>
#include <type_traits>
#include <vector>

namespace itk
{
/** \class TorchScriptPatchImageFilter
 * \brief Runs a TorchScript network (exported from PyTorch) on the patches of
 * an (N+1)-D patch stack, in batches: stack in, stack of the network's outputs out.
 *
 * The input is a float stack of scalar or multi-component patches (Image or
 * VectorImage, as PatchExtractor makes it); each batch of up to BatchSize
 * patches is handed to the network as the tensor (B, C_in, P_{N-1}, ..., P_0):
 * PyTorch's channels-first order, the slowest image axis first (for a 3-D
 * patch: (B, C, D, H, W) with W along ITK's axis 0). For a scalar stack that
 * tensor is a view of the stack's buffer, not a copy. The network returns
 * (B, C_out, P_{N-1}, ..., P_0) (a tensor, or a tuple of tensors of which
 * OutputIndex is used), which becomes the output stack: an Image for C_out = 1,
 * a VectorImage of C_out components otherwise. Spacing, origin, direction and
 * the patch grid (the PatchGrid_* metadata) carry through, so a PatchMerger
 * downstream merges the output with the input's grid.
 *
 * C_out is known after UpdateOutputInformation(): the network is loaded and
 * run once on one zero patch (2-D patches: a zero batch of 2, 3 for 2 channels,
 * which a network of 3-D layers refuses), unless SetNumberOfOutputChannels() gave it.
 *
 * With MirrorAxes (ITK axis numbers), each batch runs on every combination of
 * flips of those axes, each result is flipped back and their mean is the
 * output: test-time augmentation by mirroring, as nnU-Net does it (2^k passes).
 *
 * Streaming, batches and mask-restricted grids are PatchBatchImageFilter's:
 * only the requested patches run, whole; behind a PatchMerger, in batches of
 * BatchSize patches across patch-line ends (every forward pass but the grid's
 * last is full), each patch once per update, also when a writer streams the
 * merger's output in divisions. An IterationEvent is
 * invoked before each batch; GetCurrentBatchStart() and GetCurrentBatchSize()
 * tell which patches.
 *
 * Threads: libtorch's intra-op threads are set to the filter's number of work
 * units before each update (process-wide, as at::set_num_threads is).
 *
 * Errors are itk::ExceptionObjects naming the problem: no model file, a file
 * that is not TorchScript, a device that is not available, a BatchSize of 0,
 * a network that rejects the input (the shape is given), an output whose
 * spatial size is not the patch size, C_out > 1 with a scalar output stack.
 *
 * Built when libtorch is found at configure time (PatchStreaming_HAS_TORCH).
 *
 * \sa TorchScriptModel, PatchBatchImageFilter, PatchByPatchImageFilter, PatchExtractor, PatchMerger,
 * ComponentArgmaxImageFilter \ingroup PatchStreaming
 */
template <typename TInputImage, typename TOutputImage = TInputImage>
class ITK_TEMPLATE_EXPORT TorchScriptPatchImageFilter : public PatchBatchImageFilter<TInputImage, TOutputImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(TorchScriptPatchImageFilter);

  using Self = TorchScriptPatchImageFilter;
  using Superclass = PatchBatchImageFilter<TInputImage, TOutputImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(TorchScriptPatchImageFilter);

  static constexpr unsigned int ImageDimension = Superclass::ImageDimension;
  static constexpr unsigned int PatchDimension = Superclass::PatchDimension;
  static_assert(std::is_same<typename Superclass::InputComponentType, float>::value &&
                  std::is_same<typename Superclass::OutputComponentType, float>::value,
                "the network reads and writes float patches");

  using InputImageType = TInputImage;
  using OutputImageType = TOutputImage;
  using PatchGridType = typename Superclass::PatchGridType;
  using ModelType = TorchScriptModel;

  /** The TorchScript file (torch.jit.save of a scripted or traced module); loaded in UpdateOutputInformation(). */
  itkSetStringMacro(ModelFileName);
  itkGetStringMacro(ModelFileName);

  /** The device the network runs on: "cpu" (default) or "cuda:N" when libtorch has CUDA. */
  itkSetStringMacro(Device);
  itkGetStringMacro(Device);

  /** The ITK axes (0 to N-1) to mirror for test-time augmentation; none by default. */
  void
  SetMirrorAxes(const std::vector<unsigned int> & axes);
  const std::vector<unsigned int> &
  GetMirrorAxes() const
  {
    return m_MirrorAxes;
  }

  /** Which output of a network returning a tuple is used; 0 by default. */
  itkSetMacro(OutputIndex, unsigned int);
  itkGetConstMacro(OutputIndex, unsigned int);

  /** The network: one the caller loaded, for example to share it between
   * filters (each keeps its own OutputIndex and MirrorAxes; the model holds no
   * choice of a filter's), used when ModelFileName is empty. A ModelFileName,
   * when set, is loaded in UpdateOutputInformation() into a model of the
   * filter's own, which then replaces the one set here (left as it was). */
  itkSetObjectMacro(Model, ModelType);
  itkGetConstObjectMacro(Model, ModelType);

  /** How many values the network returned NaN or infinite (after the mirrored
   * passes' mean), over every batch run since the filter was made or
   * ResetNumberOfNonFiniteValues() was called: the requests of a streamed
   * run (stream divisions, an argmax's slabs) add up. Such values reach the
   * merged output (a weighted sum with a NaN is NaN); a caller warns of them. */
  itkGetConstMacro(NumberOfNonFiniteValues, SizeValueType);
  void
  ResetNumberOfNonFiniteValues()
  {
    m_NumberOfNonFiniteValues = 0;
  }

protected:
  TorchScriptPatchImageFilter();
  ~TorchScriptPatchImageFilter() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  /** Checks BatchSize and the model. */
  void
  VerifyPreconditions() ITKv5_CONST override;

  /** Loads the network (when its file or device changed); C_out is
   * NumberOfOutputChannels when set, else the network run once on one zero patch. */
  unsigned int
  FindNumberOfOutputChannels(const PatchGridType & grid) override;

  /** Invokes IterationEvent (observers see the batch), then runs the network on
   * it, counting the NaN or infinite values it returns. */
  void
  GenerateBatch() override;

private:
  typename ModelType::Pointer m_Model{};
  std::string                 m_ModelFileName{};
  std::string                 m_Device{ "cpu" };
  std::vector<unsigned int>   m_MirrorAxes{};
  unsigned int                m_OutputIndex{ 0 };
  SizeValueType               m_NumberOfNonFiniteValues{ 0 };
};
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkTorchScriptPatchImageFilter.hxx"
#endif

#endif
