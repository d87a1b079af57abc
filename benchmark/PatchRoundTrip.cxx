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
// The round-trip workload the Python tools are compared on: a cubic float
// volume holding a deterministic smooth random field, extract -> identity ->
// merge as a user would run it (one Update, no output divisions), timed,
// with the extra peak memory over the input volume and the round-trip error.
//
//   PatchRoundTrip --size N --patch P --overlap O --weighting MODE --threads T
//
// prints one line of key=value pairs (stable; scripts parse it):
//   size patch overlap weighting threads seconds memcpy_seconds ratio_to_memcpy
//   extra_peak_rss_volumes max_abs_error
// memcpy_seconds copies twice the stack's bytes (what extraction writes plus
// what the merge reads) between two stack-sized buffers in the same run.
#include "PatchBenchmarkMeasures.h"
#include "PatchBenchmarkVolumes.h"
#include "itkMultiThreaderBase.h"
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <string>

namespace
{
using PatchBenchmark::ImageType;
using PatchBenchmark::MakeSmoothRandomField;
using PatchBenchmark::MemcpySeconds;
using StackType = itk::Image<float, 4>;
using Weighting = itk::PatchStreamingEnums::Weighting;

struct Options
{
  itk::SizeValueType size{ 384 };
  itk::SizeValueType patch{ 96 };
  itk::SizeValueType overlap{ 48 };
  Weighting          weighting{ Weighting::Gaussian };
  unsigned int       threads{ 1 };
};

Options
ParseOptions(int argc, char * argv[])
{
  Options options;
  for (int i = 1; i < argc; i += 2)
  {
    const std::string flag = argv[i];
    if (i + 1 >= argc)
    {
      throw std::invalid_argument(flag + " needs a value");
    }
    const std::string value = argv[i + 1];
    if (flag == "--size")
    {
      options.size = std::stoul(value);
    }
    else if (flag == "--patch")
    {
      options.patch = std::stoul(value);
    }
    else if (flag == "--overlap")
    {
      options.overlap = std::stoul(value);
    }
    else if (flag == "--weighting")
    {
      options.weighting = itk::WeightingFromString(value);
    }
    else if (flag == "--threads")
    {
      options.threads = static_cast<unsigned int>(std::stoul(value));
    }
    else
    {
      throw std::invalid_argument("unknown option " + flag);
    }
  }
  return options;
}

} // namespace

int
main(int argc, char * argv[])
{
  try
  {
    const Options options = ParseOptions(argc, argv);
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(options.threads);
    const auto   image = MakeSmoothRandomField(options.size);
    const double volumeBytes = static_cast<double>(image->GetBufferedRegion().GetNumberOfPixels()) * sizeof(float);

    const double rssBefore = PatchBenchmark::ResetPeakResidentMiB() * 1048576.0; // peak RSS from here on
    const auto   start = std::chrono::steady_clock::now();
    auto         extractor = itk::PatchExtractor<ImageType>::New();
    extractor->SetInput(image);
    extractor->SetPatchSize(ImageType::SizeType::Filled(options.patch));
    extractor->SetPatchOverlap(ImageType::SizeType::Filled(options.overlap));
    extractor->SetNumberOfWorkUnits(options.threads);
    auto merger = itk::PatchMerger<StackType>::New();
    merger->SetInput(extractor->GetOutput());
    merger->SetWeighting(options.weighting);
    merger->SetNumberOfWorkUnits(options.threads);
    merger->Update();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double extraPeak = PatchBenchmark::PeakSinceResetMiB() * 1048576.0 - rssBefore;

    double        maxError = 0.0;
    const float * in = image->GetBufferPointer();
    const float * out = merger->GetOutput()->GetBufferPointer();
    for (itk::SizeValueType i = 0; i < image->GetBufferedRegion().GetNumberOfPixels(); ++i)
    {
      maxError = std::max(maxError, static_cast<double>(std::abs(out[i] - in[i])));
    }
    const double stackBytes =
      static_cast<double>(extractor->GetOutput()->GetLargestPossibleRegion().GetNumberOfPixels()) * sizeof(float);
    const double memcpySeconds = MemcpySeconds(2.0 * stackBytes);
    std::cout << "size=" << options.size << " patch=" << options.patch << " overlap=" << options.overlap
              << " weighting=" << itk::ToString(options.weighting) << " threads=" << options.threads
              << " seconds=" << seconds << " memcpy_seconds=" << memcpySeconds
              << " ratio_to_memcpy=" << seconds / memcpySeconds << " extra_peak_rss_volumes=" << extraPeak / volumeBytes
              << " max_abs_error=" << maxError << std::endl;
  }
  catch (const std::exception & error)
  {
    std::cerr << "PatchRoundTrip: " << error.what() << std::endl;
    return 1;
  }
  return 0;
}
