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
// The network benchmark of TorchScriptPatchImageFilter (issue 20; docs/networks.md):
//
//   overhead: extract -> network -> merge (Gaussian) on a size^3 volume in memory,
//             against the bare forward passes of libtorch on the same patches,
//             batch by batch, in the same run (the pipeline's overhead);
//   memory:   reader -> extract -> C-class network -> merge into labels -> writer
//             in divisions, disk to disk: peak RSS against a full C-class buffer.
//
// Usage: PatchStreamingTorchInference overhead MODEL [size 256] [patch 96] [overlap 48] [batch 4] [directory .]
//        PatchStreamingTorchInference memory MODEL [size 256] [patch 64] [overlap 32] [divisions 8] [directory .]
#include "PatchBenchmarkMeasures.h"
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"
#include "itkTorchScriptPatchImageFilter.h"

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkMetaImageIOFactory.h"
#include "itkMultiThreaderBase.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <algorithm>
#include <iostream>
#include <string>

namespace
{
using ImageType = itk::Image<float, 3>;
using StackType = itk::Image<float, 4>;
using ProbabilitiesType = itk::VectorImage<float, 3>;
using ProbabilityStackType = itk::VectorImage<float, 4>;
using LabelType = itk::Image<unsigned char, 3>;
using NetworkType = itk::TorchScriptPatchImageFilter<StackType, ProbabilityStackType>;

struct Settings
{
  std::string        mode{};
  std::string        model{};
  itk::SizeValueType size{ 256 };
  itk::SizeValueType patch{ 96 };
  itk::SizeValueType overlap{ 48 };
  unsigned int       count{ 4 }; // batch size (overhead) or writer divisions (memory)
  std::string        directory{ "." };
};

itk::PatchExtractor<ImageType>::Pointer
MakeExtractor(const ImageType * image, const Settings & settings)
{
  auto extractor = itk::PatchExtractor<ImageType>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize(ImageType::SizeType::Filled(settings.patch));
  extractor->SetPatchOverlap(ImageType::SizeType::Filled(settings.overlap));
  return extractor;
}

/** libtorch alone: the same patches through the module, nothing else, in
 * the pipeline's batches: `batch` patches at a time across patch lines. */
double
BareForwardSeconds(const StackType * stack, const Settings & settings)
{
  auto module = torch::jit::load(settings.model);
  module.eval();
  const auto         patches = static_cast<int64_t>(stack->GetLargestPossibleRegion().GetSize(3));
  const auto         p = static_cast<int64_t>(settings.patch);
  const int64_t      patchValues = p * p * p;
  c10::InferenceMode inference;
  float              checksum = 0.0f;
  const double       seconds = PatchBenchmark::SecondsFor([&] {
    for (int64_t first = 0; first < patches; first += settings.count)
    {
      const int64_t count = std::min<int64_t>(settings.count, patches - first);
      auto          batch =
        torch::from_blob(const_cast<float *>(stack->GetBufferPointer()) + first * patchValues, { count, 1, p, p, p });
      checksum += module.forward({ batch }).toTensor()[0][0][0][0][0].item<float>();
    }
  });
  if (!(checksum == checksum))
  {
    std::cout << "  (checksum is NaN)\n";
  }
  return seconds;
}

struct PipelineSeconds
{
  double whole{ 1e300 };
  double extraction{ 1e300 };
  double network{ 1e300 };
  double merge{ 1e300 };
};

/** The pipeline streamed (the merger pulls line by line), then its stages one by one on whole stacks. */
PipelineSeconds
TimePipeline(const ImageType * image, const Settings & settings)
{
  PipelineSeconds seconds;
  auto            extractor = MakeExtractor(image, settings);
  auto            network = NetworkType::New();
  network->SetInput(extractor->GetOutput());
  network->SetModelFileName(settings.model);
  network->SetBatchSize(settings.count);
  auto merger = itk::PatchMerger<ProbabilityStackType, ProbabilitiesType>::New();
  merger->SetInput(network->GetOutput());
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
  merger->UpdateOutputInformation(); // loads the network and probes it once: not part of the run
  seconds.whole = PatchBenchmark::SecondsFor([&] { merger->Update(); });
  // Stage by stage, each on the whole stack the one before made.
  extractor->Modified();
  seconds.extraction = PatchBenchmark::SecondsFor([&] { extractor->UpdateLargestPossibleRegion(); });
  network->GetOutput()->SetRequestedRegionToLargestPossibleRegion();
  seconds.network = PatchBenchmark::SecondsFor([&] { network->GetOutput()->UpdateOutputData(); });
  merger->Modified();
  seconds.merge = PatchBenchmark::SecondsFor([&] { merger->Update(); });
  return seconds;
}

void
MeasureOverhead(const Settings & settings)
{
  const std::string file = settings.directory + "/PatchStreamingTorchInferenceInput.mha";
  PatchBenchmark::GenerateVolume(file, settings.size, 16);
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(file);
  reader->Update();
  std::remove(file.c_str());
  const ImageType * image = reader->GetOutput();
  const unsigned    threads = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
  at::set_num_threads(static_cast<int>(threads));

  auto stackSource = MakeExtractor(image, settings);
  stackSource->Update();
  const auto &    grid = stackSource->GetPatchGrid();
  const auto      lineLength = static_cast<int64_t>(grid.GetGridSize()[0]);
  double          bare = 1e300;
  PipelineSeconds pipeline;
  for (int run = 0; run < 2; ++run) // interleaved, the best of two each
  {
    bare = std::min(bare, BareForwardSeconds(stackSource->GetOutput(), settings));
    const PipelineSeconds measured = TimePipeline(image, settings);
    pipeline.whole = std::min(pipeline.whole, measured.whole);
    pipeline.extraction = std::min(pipeline.extraction, measured.extraction);
    pipeline.network = std::min(pipeline.network, measured.network);
    pipeline.merge = std::min(pipeline.merge, measured.merge);
  }
  std::cout << "overhead             " << settings.size << "^3, patch " << settings.patch << " overlap "
            << settings.overlap << ", " << grid.GetNumberOfPatches() << " patches (" << lineLength
            << " per line), batch " << settings.count << ", " << threads << " threads, model " << settings.model << "\n"
            << "  bare forward       " << bare << " s (libtorch on the extracted stack, the pipeline's batches)\n"
            << "  whole pipeline     " << pipeline.whole << " s (extract -> network -> Gaussian merge, streamed)\n"
            << "  overhead           " << (pipeline.whole / bare - 1.0) * 100.0 << " % over the same batches\n"
            << "  stages, whole stacks: extraction " << pipeline.extraction << " s, network filter " << pipeline.network
            << " s, merge " << pipeline.merge << " s\n";
}

void
MeasureMemory(const Settings & settings)
{
  const std::string input = settings.directory + "/PatchStreamingTorchInferenceInput.mha";
  const std::string output = settings.directory + "/PatchStreamingTorchInferenceLabels.mha";
  PatchBenchmark::GenerateVolume(input, settings.size, 16);
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(input);
  reader->ReleaseDataFlagOn();
  auto extractor = MakeExtractor(reader->GetOutput(), settings);
  extractor->ReleaseDataFlagOn();
  auto network = NetworkType::New();
  network->SetInput(extractor->GetOutput());
  network->SetModelFileName(settings.model);
  network->ReleaseDataFlagOn();
  // The labels straight from the merger: each voxel's argmax as its row is finished.
  auto merger = itk::PatchMerger<ProbabilityStackType, LabelType>::New();
  merger->SetInput(network->GetOutput());
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
  auto writer = itk::ImageFileWriter<LabelType>::New();
  writer->SetInput(merger->GetOutput());
  writer->SetFileName(output);
  writer->SetNumberOfStreamDivisions(settings.count);
  merger->UpdateOutputInformation(); // libtorch loaded, the network probed: the baseline
  const double       baseline = PatchBenchmark::ResetPeakResidentMiB();
  const double       seconds = PatchBenchmark::SecondsFor([&] { writer->Update(); });
  const double       peak = PatchBenchmark::PeakSinceResetMiB() - baseline;
  const unsigned int classes = network->GetOutput()->GetNumberOfComponentsPerPixel();
  const double full = static_cast<double>(settings.size * settings.size * settings.size) * classes * 4.0 / 1048576.0;
  std::cout << "memory               " << settings.size << "^3, " << classes << " classes -> labels, patch "
            << settings.patch << " overlap " << settings.overlap << ", " << settings.count << " writer divisions\n"
            << "  peak RSS - baseline " << peak << " MiB (baseline " << baseline
            << " MiB: libraries and the loaded network)\n"
            << "  full " << classes << "-class buffer " << full << " MiB; ratio " << peak / full << "\n"
            << "  wall time          " << seconds << " s\n";
  std::remove(input.c_str());
  std::remove(output.c_str());
}
} // namespace

int
main(int argc, char * argv[])
{
  if (argc < 3 || (std::string(argv[1]) != "overhead" && std::string(argv[1]) != "memory"))
  {
    std::cerr << "usage: PatchStreamingTorchInference overhead|memory MODEL [size] [patch] [overlap] "
                 "[batch|divisions] [directory]\n";
    return EXIT_FAILURE;
  }
  Settings settings;
  settings.mode = argv[1];
  settings.model = argv[2];
  const bool overhead = settings.mode == "overhead";
  settings.size = argc > 3 ? std::stoul(argv[3]) : 256;
  settings.patch = argc > 4 ? std::stoul(argv[4]) : (overhead ? 96 : 64);
  settings.overlap = argc > 5 ? std::stoul(argv[5]) : settings.patch / 2;
  settings.count = argc > 6 ? static_cast<unsigned int>(std::stoul(argv[6])) : (overhead ? 4 : 8);
  settings.directory = argc > 7 ? argv[7] : ".";
  itk::MetaImageIOFactory::RegisterOneFactory();
  try
  {
    overhead ? MeasureOverhead(settings) : MeasureMemory(settings);
  }
  catch (const std::exception & error)
  {
    std::cerr << "PatchStreamingTorchInference: " << error.what() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
