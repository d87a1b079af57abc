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
#ifndef PatchwiseNetworkRun_h
#define PatchwiseNetworkRun_h

#include "PatchwiseMessages.h"
#include "PatchwiseRun.h"
#include "itkPatchMerger.h"
#include "itkTorchScriptPatchImageFilter.h"

#include "itkVectorImage.h"

#include <limits>
#include <sstream>

/** The merged class probabilities' argmax, written as an unsigned char label
 * map (unsigned short for more than 256 classes): a PatchMerger of the
 * network's C-component stack into the label map, which finds each voxel's
 * label as it finishes the voxel's row, so the C channels are held only for
 * the rows some patch has reached and a later one still will, and are never
 * written. */
template <typename TLabel, typename TImage, typename TStack>
void
WriteLabels(const TStack *                               probabilities,
            const PatchwiseSource<TImage> &              source,
            const PatchwiseFilterSettings &              settings,
            const std::string &                          outputFile,
            PatchwiseProgressBar *                       progress,
            PatchwiseRunResult<TImage::ImageDimension> & result)
{
  using LabelImageType = itk::Image<TLabel, TImage::ImageDimension>;
  auto merger = itk::PatchMerger<TStack, LabelImageType>::New();
  merger->SetInput(probabilities);
  PrepareMerger(merger.GetPointer(), source, settings, result);
  WriteInDivisions(merger->GetOutput(), merger->GetInput(), settings, outputFile, progress, result);
}

/** "network segmentation.pt (3 classes, batch 4, cpu, mirrored 0 2)", with
 * "output N of M" after the name for a module returning M > 1 tensors; a file
 * name longer than 40 characters is shortened in its middle ("abc...xyz.pt"),
 * so that the settings after it stay in the preview's title. */
inline std::string
NetworkDescription(const PatchwiseFilterSettings & settings, unsigned int outputs, unsigned int classes)
{
  constexpr std::size_t Longest = 40;
  std::string           name = settings.model.substr(settings.model.find_last_of('/') + 1);
  if (name.size() > Longest)
  {
    name = name.substr(0, Longest / 2 - 2) + "..." + name.substr(name.size() - (Longest / 2 - 1));
  }
  std::ostringstream text;
  text << "network " << name;
  if (outputs > 1)
  {
    text << " output " << settings.modelOutput << " of " << outputs;
  }
  text << " (" << CountOf(classes, "class", "classes") << ", batch " << settings.batchSize << ", " << settings.device;
  for (std::size_t a = 0; a < settings.mirrorAxes.size(); ++a)
  {
    text << (a == 0 ? ", mirrored " : " ") << settings.mirrorAxes[a];
  }
  text << ")";
  return text.str();
}

/** reader -> PatchExtractor -> TorchScriptPatchImageFilter -> PatchMerger
 * (C class components, or their argmax) -> writer: the network on every
 * patch, in batches; the merged probabilities or, for `--output-type labels`,
 * their argmax. */
template <typename TImage>
PatchwiseRunResult<TImage::ImageDimension>
RunNetworkPipeline(const PatchwiseFilterSettings & settings,
                   unsigned int                    components,
                   const std::string &             outputFile,
                   PatchwiseProgressBar *          progress)
{
  constexpr unsigned int Dimension = TImage::ImageDimension;
  using StackType = typename TImage::template RebindImageType<typename TImage::PixelType, Dimension + 1>;
  using ProbabilitiesType = itk::VectorImage<float, Dimension>;
  using ProbabilityStackType = itk::VectorImage<float, Dimension + 1>;
  PatchwiseRunResult<Dimension> result;
  const PatchwiseSource<TImage> source(settings, components);

  for (const unsigned int axis : settings.mirrorAxes)
  {
    if (axis >= Dimension)
    {
      throw std::runtime_error("--mirror-axes " + std::to_string(axis) + ": the image is " + std::to_string(Dimension) +
                               "-D: expected axes 0 to " + std::to_string(Dimension - 1));
    }
  }
  auto network = itk::TorchScriptPatchImageFilter<StackType, ProbabilityStackType>::New();
  network->SetInput(source.extractor->GetOutput());
  network->SetModelFileName(settings.model);
  network->SetOutputIndex(settings.modelOutput);
  network->SetBatchSize(settings.batchSize);
  network->SetDevice(settings.device);
  network->SetMirrorAxes(settings.mirrorAxes);
  network->UpdateOutputInformation();
  const unsigned int classes = network->GetOutput()->GetNumberOfComponentsPerPixel();
  result.processing = NetworkDescription(settings, network->GetModel()->GetNumberOfOutputs(), classes);
  result.labels = true;
  if (settings.outputType != "labels")
  {
    result.processing += ", probabilities";
    auto merger = itk::PatchMerger<ProbabilityStackType, ProbabilitiesType>::New();
    merger->SetInput(network->GetOutput());
    PrepareMerger(merger.GetPointer(), source, settings, result);
    WriteInDivisions(merger->GetOutput(), merger->GetInput(), settings, outputFile, progress, result);
  }
  else if (classes < 2)
  {
    throw std::runtime_error("--output-type labels (or --label-map): the network has 1 output channel; a label "
                             "map is the argmax of 2 or more classes (write its probabilities instead)");
  }
  else if (classes <= 1u + std::numeric_limits<unsigned char>::max())
  {
    result.processing += ", labels (unsigned char)";
    WriteLabels<unsigned char>(network->GetOutput(), source, settings, outputFile, progress, result);
  }
  else if (classes <= 1u + std::numeric_limits<unsigned short>::max())
  {
    result.processing += ", labels (unsigned short)";
    WriteLabels<unsigned short>(network->GetOutput(), source, settings, outputFile, progress, result);
  }
  else
  {
    throw std::runtime_error("--output-type labels (or --label-map): the network has " + std::to_string(classes) +
                             " classes; a label map holds at most 65536");
  }
  if (network->GetNumberOfNonFiniteValues() > 0)
  {
    result.warning =
      "the network returned " + CountOf(network->GetNumberOfNonFiniteValues(), "NaN or infinite value") +
      " (as a network does for the input's NaN or infinite voxels): " +
      (settings.outputType == "labels" ? "the labels there are chosen among the other classes (a NaN class never "
                                         "wins, +inf always does; 0 where all are NaN)"
                                       : "the output is NaN or infinite where they reach");
  }
  return result;
}

/** RunNetworkPipeline, with the network's own errors (loading the module, its
 * forward pass, the shape it returns: those thrown from the TorchScript classes)
 * prefixed by --model and the file. */
template <typename TImage>
PatchwiseRunResult<TImage::ImageDimension>
RunNetwork(const PatchwiseFilterSettings & settings,
           unsigned int                    components,
           const std::string &             outputFile,
           PatchwiseProgressBar *          progress)
{
  try
  {
    return RunNetworkPipeline<TImage>(settings, components, outputFile, progress);
  }
  catch (const itk::ExceptionObject & error)
  {
    if (std::string(error.GetFile()).find("TorchScript") == std::string::npos)
    {
      throw;
    }
    const std::string output =
      settings.modelOutput == 0 ? std::string() : " --model-output " + std::to_string(settings.modelOutput);
    throw std::runtime_error("--model \"" + settings.model + "\"" + output + ": " + Readable(error));
  }
}

#endif
