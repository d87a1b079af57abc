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
// A per-patch Gaussian four ways, with Google Benchmark, one thread each:
//
//   BM_Separable/S/I        three 1-D passes (SeparableGaussianSmoothing.h)
//   BM_FullKernel/S/I       one k^3 kernel, the outer product of the same 1-D kernel
//   BM_DiscreteGaussian/S/I itk::DiscreteGaussianImageFilter (variance S^2)
//   BM_RecursiveGaussian/S/I itk::SmoothingRecursiveGaussianImageFilter (sigma S)
//
// S: sigma 1, 2, 4 voxels; I: 0 a 128^3 volume, 1 a stack of four 96^3
// patches (each smoothed on its own, as per patch). Each reports
// max_diff_vs_separable, the largest |difference| from the separable result
// on the same input (the two ITK filters use their own kernels: ITK's
// discrete Gaussian truncated at MaximumError 0.01 and Deriche's recursive
// approximation, so their differences are their approximation's, not errors).
#include "PatchBenchmarkVolumes.h"
#include "SeparableGaussianSmoothing.h"
#include "itkDiscreteGaussianImageFilter.h"
#include "itkImageAlgorithm.h"
#include "itkSmoothingRecursiveGaussianImageFilter.h"

#include <benchmark/benchmark.h>

#include <limits>
#include <map>

namespace
{
using PatchBenchmark::ImageType;
using PatchBenchmark::Size3;

/** The inputs: one 128^3 volume, or four 96^3 patches cut from a 192^3 volume. */
const std::vector<ImageType::Pointer> &
Inputs(int64_t which)
{
  static std::map<int64_t, std::vector<ImageType::Pointer>> inputs;
  auto &                                                    images = inputs[which];
  if (images.empty())
  {
    if (which == 0)
    {
      images.push_back(PatchBenchmark::MakeSmoothRandomField(128));
    }
    else
    {
      const auto volume = PatchBenchmark::MakeSmoothRandomField(192);
      for (itk::IndexValueType k = 0; k < 4; ++k)
      {
        const ImageType::RegionType patch({ { 96 * (k % 2), 96 * (k / 2), 48 } }, ImageType::SizeType::Filled(96));
        auto                        image = ImageType::New();
        image->SetRegions(ImageType::SizeType::Filled(96));
        image->Allocate();
        itk::ImageAlgorithm::Copy(volume.GetPointer(), image.GetPointer(), patch, image->GetBufferedRegion());
        images.push_back(image);
      }
    }
  }
  return images;
}

Size3
SizeOf(const ImageType * image)
{
  const auto size = image->GetBufferedRegion().GetSize();
  return { static_cast<std::ptrdiff_t>(size[0]), static_cast<std::ptrdiff_t>(size[1]),
           static_cast<std::ptrdiff_t>(size[2]) };
}

std::vector<float>
Smoothed(const ImageType * image, const std::vector<float> & kernel, bool separable)
{
  std::vector<float> out(image->GetBufferedRegion().GetNumberOfPixels());
  (separable ? PatchBenchmark::SmoothSeparable : PatchBenchmark::SmoothFullKernel)(
    image->GetBufferPointer(), out.data(), SizeOf(image), kernel);
  return out;
}

/** The separable results, computed once per input and sigma: the reference of the differences. */
const std::vector<std::vector<float>> &
SeparableResults(int64_t which, double sigma)
{
  static std::map<std::pair<int64_t, double>, std::vector<std::vector<float>>> results;
  auto &                                                                       result = results[{ which, sigma }];
  if (result.empty())
  {
    for (const auto & image : Inputs(which))
    {
      result.push_back(Smoothed(image, PatchBenchmark::GaussianKernel(sigma), true));
    }
  }
  return result;
}

double
MaxDifference(const std::vector<float> & reference, const float * values)
{
  double difference = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i)
  {
    difference = std::max(difference, static_cast<double>(std::abs(reference[i] - values[i])));
  }
  return difference;
}

void
Report(benchmark::State & state, double maxDifference)
{
  const auto & images = Inputs(state.range(1));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * images.size() *
                                               images.front()->GetBufferedRegion().GetNumberOfPixels()));
  state.counters["max_diff_vs_separable"] = maxDifference;
  state.counters["kernel_width"] = static_cast<double>(PatchBenchmark::GaussianKernel(state.range(0)).size());
}

void
SmoothWithOurKernels(benchmark::State & state, bool separable)
{
  const double sigma = static_cast<double>(state.range(0));
  const auto   kernel = PatchBenchmark::GaussianKernel(sigma);
  const auto & images = Inputs(state.range(1));
  std::vector<std::vector<float>> results(images.size());
  for (auto _ : state)
  {
    for (std::size_t i = 0; i < images.size(); ++i)
    {
      results[i] = Smoothed(images[i], kernel, separable);
    }
    benchmark::ClobberMemory();
  }
  double difference = 0.0;
  for (std::size_t i = 0; i < images.size(); ++i)
  {
    difference = std::max(difference, MaxDifference(SeparableResults(state.range(1), sigma)[i], results[i].data()));
  }
  Report(state, difference);
}

void
BM_Separable(benchmark::State & state)
{
  SmoothWithOurKernels(state, true);
}

void
BM_FullKernel(benchmark::State & state)
{
  SmoothWithOurKernels(state, false);
}

template <typename TFilter>
void
SmoothWithItk(benchmark::State & state, const std::function<void(TFilter *, double)> & configure)
{
  const double sigma = static_cast<double>(state.range(0));
  const auto & images = Inputs(state.range(1));
  std::vector<typename TFilter::Pointer> filters;
  for (const auto & image : images)
  {
    auto filter = TFilter::New();
    filter->SetInput(image);
    filter->SetNumberOfWorkUnits(1);
    configure(filter, sigma);
    filters.push_back(filter);
  }
  for (auto _ : state)
  {
    for (auto & filter : filters)
    {
      filter->Modified();
      filter->Update();
    }
  }
  double difference = 0.0;
  for (std::size_t i = 0; i < images.size(); ++i)
  {
    difference = std::max(difference, MaxDifference(SeparableResults(state.range(1), sigma)[i],
                                                    filters[i]->GetOutput()->GetBufferPointer()));
  }
  Report(state, difference);
}

void
BM_DiscreteGaussian(benchmark::State & state)
{
  using FilterType = itk::DiscreteGaussianImageFilter<ImageType, ImageType>;
  SmoothWithItk<FilterType>(state, [](FilterType * filter, double sigma) {
    filter->SetVariance(sigma * sigma);
    filter->SetMaximumKernelWidth(std::numeric_limits<int>::max());
  });
}

void
BM_RecursiveGaussian(benchmark::State & state)
{
  using FilterType = itk::SmoothingRecursiveGaussianImageFilter<ImageType, ImageType>;
  SmoothWithItk<FilterType>(state, [](FilterType * filter, double sigma) { filter->SetSigma(sigma); });
}

void
SigmasAndInputs(benchmark::internal::Benchmark * b)
{
  b->ArgNames({ "sigma", "input" });
  for (const int64_t input : { 0, 1 })
  {
    for (const int64_t sigma : { 1, 2, 4 })
    {
      b->Args({ sigma, input });
    }
  }
}
} // namespace

BENCHMARK(BM_Separable)->Apply(SigmasAndInputs)->Unit(benchmark::kMillisecond)->UseRealTime();
// One iteration: at sigma 4 the k^3 kernel takes seconds per input.
BENCHMARK(BM_FullKernel)->Apply(SigmasAndInputs)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_DiscreteGaussian)->Apply(SigmasAndInputs)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RecursiveGaussian)->Apply(SigmasAndInputs)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
