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
#ifndef itkTorchScriptModel_h
#define itkTorchScriptModel_h

#include "itkObject.h"
#include "itkObjectFactory.h"
#include "itkPatchStreamingCompatibility.h"
#include "PatchStreamingTorchExport.h"

#include <memory>
#include <string>
#include <vector>

namespace itk
{
/** \class TorchScriptModel
 * \brief A TorchScript module (a model exported from PyTorch with
 * torch.jit.script or torch.jit.trace) run on batches of patches held in ITK
 * buffers.
 *
 * The non-template half of TorchScriptPatchImageFilter: it owns the libtorch
 * module, so that no header of this module includes libtorch's. A batch is
 * B patches of P_0 x ... x P_{N-1} voxels with C components each, stored as
 * ITK stores them: patch after patch, axis 0 fastest, the components of a
 * voxel next to each other (channels last). The module sees it as the tensor
 * (B, C, P_{N-1}, ..., P_0), PyTorch's channels-first layout with the slowest
 * image axis first; for C = 1 that tensor is a view of the buffer, not a copy.
 *
 * Errors (no file, a file that is not TorchScript, a device libtorch does not
 * have, a module that rejects the input or returns something that is not a
 * (B, C_out, P_{N-1}, ..., P_0) float tensor) are itk::ExceptionObjects that
 * name the problem and the shapes.
 *
 * \sa TorchScriptPatchImageFilter
 * \ingroup PatchStreaming
 */
class PatchStreamingTorch_EXPORT TorchScriptModel : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(TorchScriptModel);

  using Self = TorchScriptModel;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(TorchScriptModel);

  /** The shape of a batch: B patches, C components, the patch size in ITK's axis order (P_0 first). */
  struct BatchShape
  {
    SizeValueType              Patches{ 0 };
    unsigned int               Components{ 1 };
    std::vector<SizeValueType> PatchSize{};
  };

  /** Loads `fileName` onto `device` ("cpu", or "cuda:N" when libtorch has
   * CUDA) and puts the module in evaluation mode. Throws when the file is
   * missing or not TorchScript, or the device is not available. */
  void
  Load(const std::string & fileName, const std::string & device);

  /** Whether Load() succeeded; the file name and device it loaded. */
  bool
  IsLoaded() const;
  itkGetStringMacro(FileName);
  itkGetStringMacro(Device);

  /** libtorch's intra-op threads for the forward passes (at::set_num_threads, process-wide). */
  static void
  SetNumberOfThreads(unsigned int threads);

  /** Whether libtorch was built with CUDA and sees a device. */
  static bool
  IsCudaAvailable();

  /** The number of output channels: the module run once on one zero patch of
   * `shape` (Patches is ignored; 2-D patches: a zero batch of 2, 3 for 2
   * components, which a network of 3-D layers, reading a batch (B, C, H, W)
   * as one unbatched volume of B channels, refuses unless it takes B
   * channels). `outputIndex` picks the output of a module that returns a
   * tuple (or list) of tensors; the model keeps no choice of its own, so that
   * filters sharing it may pick different ones. It also records NumberOfOutputs. */
  unsigned int
  ProbeOutputChannels(const BatchShape & shape, unsigned int outputIndex = 0);

  /** What the module returned when last probed: 1 for a tensor, the length of
   * a tuple or list (of which an output index picks one); 0 before any probe. */
  itkGetConstMacro(NumberOfOutputs, unsigned int);

  /** Runs the module on `input` (shape.Patches patches of shape.Components
   * components) and writes the output, `outputChannels` components per voxel,
   * channels last, to `output`, of output `outputIndex` of a module that returns
   * a tuple (or list) of tensors. With `mirrorAxes` (ITK axis numbers) it runs
   * on every combination of flips of those axes, flips each result back and
   * writes their mean (test-time augmentation as nnU-Net does it: 2^k passes).
   * Returns how many of the values written are NaN or infinite (a broken or
   * overflowing network: they reach the merged output). */
  SizeValueType
  Forward(const float *                     input,
          const BatchShape &                shape,
          const std::vector<unsigned int> & mirrorAxes,
          unsigned int                      outputIndex,
          unsigned int                      outputChannels,
          float *                           output) const;

protected:
  TorchScriptModel();
  ~TorchScriptModel() override;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  struct Module;
  std::unique_ptr<Module> m_Module;
  std::string             m_FileName{};
  std::string             m_Device{};
  unsigned int            m_NumberOfOutputs{ 0 };
};
} // end namespace itk

#endif
