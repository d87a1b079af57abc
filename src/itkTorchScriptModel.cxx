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
#include "itkTorchScriptModel.h"
#include "itkPatchInterleaveChannels.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <fstream>
#include <functional>
#include <numeric>
#include <sstream>

namespace itk
{
struct TorchScriptModel::Module
{
  torch::jit::Module module{};
  torch::Device      device{ torch::kCPU };
  bool               loaded{ false };
};

namespace
{
std::string
ShapeText(c10::IntArrayRef sizes)
{
  std::ostringstream text;
  text << "(";
  for (size_t i = 0; i < sizes.size(); ++i)
  {
    text << (i > 0 ? ", " : "") << sizes[i];
  }
  text << ")";
  return text.str();
}

/** The tensor shape of a batch: (B, C, P_{N-1}, ..., P_0), channels first. */
std::vector<int64_t>
ChannelsFirstShape(int64_t patches, int64_t channels, const std::vector<SizeValueType> & patchSize)
{
  std::vector<int64_t> shape{ patches, channels };
  shape.insert(shape.end(), patchSize.rbegin(), patchSize.rend());
  return shape;
}

/** The output tensor `index` of what the module returned: the tensor itself,
 * or an element of a tuple or list; `outputs` is set to how many it returned. */
torch::Tensor
SelectOutput(const torch::jit::IValue & returned, unsigned int index, unsigned int & outputs)
{
  torch::jit::IValue selected = returned;
  outputs = 1;
  if (returned.isTuple() || returned.isList())
  {
    const std::vector<torch::jit::IValue> elements =
      returned.isTuple() ? returned.toTupleRef().elements().vec() : returned.toListRef().vec();
    outputs = static_cast<unsigned int>(elements.size());
    if (index >= elements.size())
    {
      itkGenericExceptionMacro(<< "OutputIndex = " << index << ", but the module returns " << elements.size()
                               << " outputs: expected an index below " << elements.size());
    }
    selected = elements[index];
  }
  else if (index != 0)
  {
    itkGenericExceptionMacro(<< "OutputIndex = " << index
                             << ", but the module returns a single output: expected 0 (or a module returning a tuple)");
  }
  if (!selected.isTensor())
  {
    itkGenericExceptionMacro(<< "the module's output " << index << " is a " << selected.tagKind()
                             << ", expected a tensor (B, C_out, spatial...)");
  }
  torch::Tensor tensor = selected.toTensor();
  if (tensor.is_complex()) // converting it to float would drop the imaginary part
  {
    itkGenericExceptionMacro(<< "the module's output " << index << " is a complex tensor (" << tensor.scalar_type()
                             << "); expected real values (take .real, .abs() or .angle() in the module)");
  }
  return tensor;
}
/** What libtorch says went wrong: the last line of its message. A TorchScript
 * module's error carries the interpreter's traceback of the serialized code
 * before it, which names the module's internals rather than the cause. */
std::string
TorchErrorCause(const std::exception & error)
{
  const auto *      torchError = dynamic_cast<const c10::Error *>(&error);
  const std::string message = torchError ? torchError->what_without_backtrace() : error.what();
  const auto        end = message.find_last_not_of(" \t\r\n");
  if (end == std::string::npos)
  {
    return message;
  }
  const auto newline = message.find_last_of('\n', end);
  const auto start = newline == std::string::npos ? 0 : newline + 1;
  return message.substr(start, end + 1 - start);
}

} // namespace

TorchScriptModel::TorchScriptModel()
  : m_Module(std::make_unique<Module>())
{}

TorchScriptModel::~TorchScriptModel() = default;

void
TorchScriptModel::Load(const std::string & fileName, const std::string & device)
{
  m_Module->loaded = false;
  if (!std::ifstream(fileName).good())
  {
    itkExceptionMacro(<< "ModelFileName \"" << fileName << "\" cannot be read: expected a TorchScript file (.pt)");
  }
  torch::Device parsed{ torch::kCPU };
  try
  {
    parsed = torch::Device(device);
  }
  catch (const c10::Error &)
  {
    itkExceptionMacro(<< "Device \"" << device << "\" is not a device name: expected cpu or cuda:N");
  }
  if (!parsed.is_cpu() && !(parsed.is_cuda() && torch::cuda::is_available()))
  {
    itkExceptionMacro(<< "Device \"" << device << "\" is not available: this libtorch "
                      << (torch::cuda::is_available() ? "has CUDA devices, but only cpu and cuda:N are supported"
                                                      : "has no CUDA device; use cpu"));
  }
  try
  {
    m_Module->module = torch::jit::load(fileName, parsed);
  }
  catch (const c10::Error & error)
  {
    itkExceptionMacro(<< "ModelFileName \"" << fileName
                      << "\" is not a TorchScript module libtorch can load (save one with torch.jit.script or "
                         "torch.jit.trace, then .save()): "
                      << TorchErrorCause(error));
  }
  m_Module->module.eval();
  m_Module->device = parsed;
  m_Module->loaded = true;
  m_FileName = fileName;
  m_Device = device;
  this->Modified();
}

bool
TorchScriptModel::IsLoaded() const
{
  return m_Module->loaded;
}

void
TorchScriptModel::SetNumberOfThreads(unsigned int threads)
{
  // Only when it changes: a streamed update sets it once per patch line.
  const int wanted = static_cast<int>(std::max(threads, 1u));
  if (at::get_num_threads() != wanted)
  {
    at::set_num_threads(wanted);
  }
}

bool
TorchScriptModel::IsCudaAvailable()
{
  return torch::cuda::is_available();
}

namespace
{
/** One forward pass on `batch`; the selected output on the CPU as float. `hint` ends the message of a
 * module that rejects the batch. */
torch::Tensor
RunModule(torch::jit::Module &  module,
          const torch::Device & device,
          const torch::Tensor & batch,
          unsigned int          index,
          unsigned int &        outputs,
          const char *          hint = "")
{
  torch::jit::IValue returned;
  try
  {
    returned = module.forward({ batch.to(device) });
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< "the module raised an error on an input tensor of shape " << ShapeText(batch.sizes())
                             << " (B, C_in, spatial...): " << TorchErrorCause(error) << hint);
  }
  return SelectOutput(returned, index, outputs).to(torch::kCPU, torch::kFloat);
}

/** Throws unless `output` is (B, channels, spatial of `input`); channels 0 accepts any but 0. */
void
CheckOutputShape(const torch::Tensor & output, const torch::Tensor & input, int64_t channels)
{
  bool matches =
    output.dim() == input.dim() && output.size(0) == input.size(0) && (channels == 0 || output.size(1) == channels);
  for (int64_t d = 2; matches && d < input.dim(); ++d)
  {
    matches = output.size(d) == input.size(d);
  }
  if (!matches)
  {
    itkGenericExceptionMacro(<< "the module returned a tensor of shape " << ShapeText(output.sizes())
                             << " for an input of shape " << ShapeText(input.sizes()) << "; expected (" << input.size(0)
                             << " (the batch), " << (channels == 0 ? std::string("C_out") : std::to_string(channels))
                             << ", the patch size " << ShapeText(input.sizes().slice(2)) << ")");
  }
  if (output.size(1) == 0)
  {
    itkGenericExceptionMacro(<< "the module returned a tensor of shape " << ShapeText(output.sizes())
                             << ": 0 channels; expected at least 1 (C_out in (B, C_out, spatial...))");
  }
}
/** The shape of a batch as ITK stores it: (B, P_{N-1}, ..., P_0, channels), channels last. */
std::vector<int64_t>
ChannelsLastShape(const TorchScriptModel::BatchShape & shape, int64_t channels)
{
  std::vector<int64_t> sizes{ static_cast<int64_t>(shape.Patches) };
  sizes.insert(sizes.end(), shape.PatchSize.rbegin(), shape.PatchSize.rend());
  sizes.push_back(channels);
  return sizes;
}

/** The batch as the module takes it, (B, C, P_{N-1}, ..., P_0): a view of ITK's buffer for one channel, else a copy. */
torch::Tensor
ChannelsFirstView(const float * input, const TorchScriptModel::BatchShape & shape)
{
  const auto           dimension = static_cast<int64_t>(shape.PatchSize.size());
  std::vector<int64_t> toChannelsFirst{ 0, dimension + 1 };
  for (int64_t d = 1; d <= dimension; ++d)
  {
    toChannelsFirst.push_back(d);
  }
  // from_blob takes a mutable pointer; the module gets the tensor as its input and, as PyTorch
  // modules do, does not write to it.
  const torch::Tensor batch =
    torch::from_blob(const_cast<float *>(input), ChannelsLastShape(shape, shape.Components)).permute(toChannelsFirst);
  return shape.Components > 1 ? batch.contiguous() : batch;
}

/** The mean of the module's outputs over every combination of flips of `mirrorDims`, each flipped back. */
torch::Tensor
MirrorAveraged(torch::jit::Module &         module,
               const torch::Device &        device,
               const torch::Tensor &        batch,
               const std::vector<int64_t> & mirrorDims,
               unsigned int                 index,
               unsigned int                 outputChannels)
{
  torch::Tensor      sum;
  unsigned int       outputs = 0; // known from the probe
  const unsigned int combinations = 1u << mirrorDims.size();
  // The flipped passes (copies) first, the batch itself last: a module that writes over its input
  // (ReLU(inplace=True) first) changes no later pass's input.
  for (unsigned int step = 0; step < combinations; ++step)
  {
    const unsigned int   combination = combinations - 1 - step;
    std::vector<int64_t> flipped;
    for (size_t i = 0; i < mirrorDims.size(); ++i)
    {
      if (combination & (1u << i))
      {
        flipped.push_back(mirrorDims[i]);
      }
    }
    torch::Tensor result = RunModule(module, device, flipped.empty() ? batch : batch.flip(flipped), index, outputs);
    CheckOutputShape(result, batch, outputChannels);
    result = flipped.empty() ? result : result.flip(flipped);
    // Each pass divided first, by a power of two (exact): outputs near float's maximum do not
    // overflow their sum, and other sums are the same bits.
    result = combinations > 1 ? result / static_cast<double>(combinations) : result;
    sum = step == 0 ? result : sum + result;
  }
  return sum;
}

/** The NaN and infinite values of `values`. Their sum is finite only when they all are (a NaN
 * or an infinity in a sum makes it NaN or infinite): one pass with no temporary, the common
 * case. Otherwise they are counted a million at a time: torch::isfinite of a whole batch (16
 * channels of 4 patches of 64^3: 64 MiB) makes temporaries twice its size, pages the kernel
 * maps afresh for every batch. */
SizeValueType
CountNonFinite(const torch::Tensor & values)
{
  if (torch::isfinite(values.sum()).item<bool>())
  {
    return 0;
  }
  SizeValueType count = 0;
  for (const torch::Tensor & part : values.reshape(-1).split(int64_t{ 1 } << 20))
  {
    count += static_cast<SizeValueType>(torch::isfinite(part).logical_not_().sum().item<int64_t>());
  }
  return count;
}
} // namespace

unsigned int
TorchScriptModel::ProbeOutputChannels(const BatchShape & shape, unsigned int outputIndex)
{
  if (!m_Module->loaded)
  {
    itkExceptionMacro(<< "no module is loaded: call Load() first");
  }
  try
  {
    c10::InferenceMode inference;
    // A network of 3-D layers reads a 2-D batch (B, C, H, W) as one unbatched volume (B channels, C slices): where
    // its input channels are B it runs and returns a wrong result. Its channels are likely 1 or C_in, so 2-D
    // patches are probed as a batch of 2 (3 for 2 channels), which it refuses.
    const int64_t       patches = shape.PatchSize.size() == 2 ? (shape.Components == 2 ? 3 : 2) : 1;
    const torch::Tensor zeros = torch::zeros(ChannelsFirstShape(patches, shape.Components, shape.PatchSize));
    m_NumberOfOutputs = 0;
    const torch::Tensor output = RunModule(
      m_Module->module,
      m_Module->device,
      zeros,
      outputIndex,
      m_NumberOfOutputs,
      shape.PatchSize.size() == 2
        ? " (probed with 2-D patches, (B, C, H, W): a network of 3-D layers takes "
          "(B, C, D, H, W) and reads them as one unbatched volume; they are probed as a batch of 2, or 3 for 2 "
          "channels, which it refuses)"
        : "");
    CheckOutputShape(output, zeros, 0);
    return static_cast<unsigned int>(output.size(1));
  }
  catch (const c10::Error & error)
  {
    itkExceptionMacro(<< "libtorch failed on a zero batch: " << TorchErrorCause(error));
  }
}

SizeValueType
TorchScriptModel::Forward(const float *                     input,
                          const BatchShape &                shape,
                          const std::vector<unsigned int> & mirrorAxes,
                          unsigned int                      outputIndex,
                          unsigned int                      outputChannels,
                          float *                           output) const
{
  if (!m_Module->loaded)
  {
    itkExceptionMacro(<< "no module is loaded: call Load() first");
  }
  // Test-time augmentation: the tensor dim of ITK axis a is 2 + N-1-a.
  const auto           dimension = static_cast<int64_t>(shape.PatchSize.size());
  std::vector<int64_t> mirrorDims;
  for (const unsigned int axis : mirrorAxes)
  {
    if (axis >= shape.PatchSize.size())
    {
      itkExceptionMacro(<< "MirrorAxes contains " << axis << "; the patches have axes 0 to " << dimension - 1);
    }
    mirrorDims.push_back(2 + dimension - 1 - static_cast<int64_t>(axis));
  }
  try
  {
    c10::InferenceMode  inference;
    const torch::Tensor batch = ChannelsFirstView(input, shape);
    const torch::Tensor mean =
      MirrorAveraged(m_Module->module, m_Module->device, batch, mirrorDims, outputIndex, outputChannels).contiguous();
    // Back to ITK's channels-last layout, interleaved straight into the output buffer.
    PatchStreamingDetail::InterleaveChannels(
      mean.data_ptr<float>(),
      output,
      shape.Patches,
      outputChannels,
      std::accumulate(
        shape.PatchSize.begin(), shape.PatchSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>()),
      shape.PatchSize.back(),
      MultiThreaderBase::New());
    return CountNonFinite(mean);
  }
  catch (const c10::Error & error)
  {
    itkExceptionMacro(<< "libtorch failed on a batch of " << shape.Patches << " patches: " << TorchErrorCause(error));
  }
}

void
TorchScriptModel::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "FileName: " << m_FileName << std::endl;
  os << indent << "Device: " << m_Device << std::endl;
  os << indent << "Loaded: " << (m_Module->loaded ? "yes" : "no") << std::endl;
  os << indent << "NumberOfOutputs: " << m_NumberOfOutputs << std::endl;
}
} // end namespace itk
