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
// Extraction and merge throughput against the bytes they must move, with
// Google Benchmark. Every figure has its baseline in the same run:
//
//   BM_Memcpy/P/O/T          memcpy of the stack's bytes (what any extraction
//                            must write and any merge must read), T threads
//   BM_Extract/P/O/T         PatchExtractor::Update, 256^3 float, T threads
//   BM_Merge/W/P/O/T         PatchMerger::Update from an in-memory stack,
//                            weighting W (0 Average, 1 Gaussian, 3 Crop)
//   BM_NaiveMerge/P/O        the crop-and-merge blog's algorithm in C++: three
//                            loops over patch positions, += into a full-size
//                            sum and a full-size count volume, then divide
//   BM_Argmax/C/A            the labels of 128 x 128 x 64 voxels of C random
//                            float scores (ComponentArgmaxImageFilter's rows),
//                            A 1: one voxel after another (ArgmaxOfVoxel, the
//                            baseline), A 4: ArgmaxRow (4 voxels at once)
//
// P/O: patch/overlap 96/48, 64/32, 128/64; T: 1 thread and all threads.
// bytes_per_second counts the stack's bytes; scripts/benchmark.sh turns the
// times into ratios to BM_Memcpy of the same P/O.
#include "PatchBenchmarkVolumes.h"
#include "itkImageRegionIterator.h"
#include "itkMultiThreaderBase.h"
#include "itkPatchArgmaxRow.h"
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <random>
#include <thread>

namespace
{
using PatchBenchmark::ImageType;
using StackType = itk::Image<float, 4>;
constexpr itk::SizeValueType VolumeSize = 256;

const ImageType *
Volume()
{
  static const ImageType::Pointer volume = PatchBenchmark::MakeSmoothRandomField(VolumeSize);
  return volume;
}

itk::PatchExtractor<ImageType>::Pointer
MakeExtractor(itk::SizeValueType patch, itk::SizeValueType overlap, unsigned int threads)
{
  auto extractor = itk::PatchExtractor<ImageType>::New();
  extractor->SetInput(Volume());
  extractor->SetPatchSize(ImageType::SizeType::Filled(patch));
  extractor->SetPatchOverlap(ImageType::SizeType::Filled(overlap));
  extractor->SetNumberOfWorkUnits(threads);
  return extractor;
}

/** The stack of each patch geometry, extracted once and kept for the merges. */
const itk::PatchExtractor<ImageType> *
Stack(itk::SizeValueType patch, itk::SizeValueType overlap)
{
  static std::map<std::pair<itk::SizeValueType, itk::SizeValueType>, itk::PatchExtractor<ImageType>::Pointer> stacks;
  auto & extractor = stacks[{ patch, overlap }];
  if (extractor.IsNull())
  {
    extractor = MakeExtractor(patch, overlap, itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads());
    extractor->Update();
  }
  return extractor;
}

double
StackBytes(itk::SizeValueType patch, itk::SizeValueType overlap)
{
  return static_cast<double>(Stack(patch, overlap)->GetOutput()->GetBufferedRegion().GetNumberOfPixels()) *
         sizeof(float);
}

void
SetStackBytes(benchmark::State & state, itk::SizeValueType patch, itk::SizeValueType overlap)
{
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * StackBytes(patch, overlap)));
}

/** Updates `filter` once (its output buffer allocated and its pages touched
 * once, as memcpy's destination is), then times updating it again. */
void
TimeUpdates(benchmark::State & state, itk::ProcessObject * filter, itk::SizeValueType patch, itk::SizeValueType overlap)
{
  filter->Update();
  for (auto _ : state)
  {
    filter->Modified();
    filter->Update();
    benchmark::DoNotOptimize(filter->GetOutputs().front().GetPointer());
  }
  SetStackBytes(state, patch, overlap);
}

void
BM_Memcpy(benchmark::State & state)
{
  const auto        patch = static_cast<itk::SizeValueType>(state.range(0));
  const auto        overlap = static_cast<itk::SizeValueType>(state.range(1));
  const auto *      from = reinterpret_cast<const char *>(Stack(patch, overlap)->GetOutput()->GetBufferPointer());
  const auto        bytes = static_cast<std::size_t>(StackBytes(patch, overlap));
  std::vector<char> to(bytes);
  const auto        threads = static_cast<std::size_t>(state.range(2));
  for (auto _ : state)
  {
    // T threads each copy one contiguous T-th of the bytes.
    std::vector<std::thread> copies;
    for (std::size_t t = 0; t < threads; ++t)
    {
      const std::size_t begin = bytes * t / threads;
      const std::size_t end = bytes * (t + 1) / threads;
      copies.emplace_back([&, begin, end] { PatchBenchmark::CopyBytes(to.data() + begin, from + begin, end - begin); });
    }
    for (auto & copy : copies)
    {
      copy.join();
    }
    benchmark::DoNotOptimize(to.data());
    benchmark::ClobberMemory();
  }
  SetStackBytes(state, patch, overlap);
}

void
BM_Extract(benchmark::State & state)
{
  const auto patch = static_cast<itk::SizeValueType>(state.range(0));
  const auto overlap = static_cast<itk::SizeValueType>(state.range(1));
  TimeUpdates(state, MakeExtractor(patch, overlap, static_cast<unsigned int>(state.range(2))), patch, overlap);
}

void
BM_Merge(benchmark::State & state)
{
  const auto patch = static_cast<itk::SizeValueType>(state.range(1));
  const auto overlap = static_cast<itk::SizeValueType>(state.range(2));
  const auto source = Stack(patch, overlap);
  auto       merger = itk::PatchMerger<StackType>::New();
  merger->SetInput(source->GetOutput());
  merger->SetPatchGrid(source->GetPatchGrid());
  merger->SetWeighting(static_cast<itk::PatchStreamingEnums::Weighting>(state.range(0)));
  merger->SetNumberOfWorkUnits(static_cast<unsigned int>(state.range(3)));
  TimeUpdates(state, merger, patch, overlap);
}

/** The naive merge a user writes first: full-size sum and count, one += per stack voxel, then divide. */
void
BM_NaiveMerge(benchmark::State & state)
{
  const auto   patch = static_cast<itk::SizeValueType>(state.range(0));
  const auto   overlap = static_cast<itk::SizeValueType>(state.range(1));
  const auto * source = Stack(patch, overlap);
  const auto & grid = source->GetPatchGrid();
  const auto * stack = source->GetOutput();
  auto         sum = itk::Image<double, 3>::New();
  sum->SetRegions(Volume()->GetLargestPossibleRegion());
  sum->Allocate();
  auto count = itk::Image<double, 3>::New();
  count->SetRegions(Volume()->GetLargestPossibleRegion());
  count->Allocate();
  auto merged = ImageType::New();
  merged->SetRegions(Volume()->GetLargestPossibleRegion());
  merged->Allocate();
  for (auto _ : state)
  {
    sum->FillBuffer(0.0);
    count->FillBuffer(0.0);
    const float * patchVoxel = stack->GetBufferPointer();
    const auto    gridSize = grid.GetGridSize();
    itk::SizeValueType k = 0;
    for (itk::SizeValueType gz = 0; gz < gridSize[2]; ++gz)
    {
      for (itk::SizeValueType gy = 0; gy < gridSize[1]; ++gy)
      {
        for (itk::SizeValueType gx = 0; gx < gridSize[0]; ++gx, ++k)
        {
          const auto                                 region = grid.GetPatchRegion(k);
          itk::ImageRegionIterator<itk::Image<double, 3>> s(sum, region);
          itk::ImageRegionIterator<itk::Image<double, 3>> c(count, region);
          for (; !s.IsAtEnd(); ++s, ++c, ++patchVoxel)
          {
            s.Set(s.Get() + *patchVoxel);
            c.Set(c.Get() + 1.0);
          }
        }
      }
    }
    itk::ImageRegionConstIterator<itk::Image<double, 3>> s(sum, sum->GetBufferedRegion());
    itk::ImageRegionConstIterator<itk::Image<double, 3>> c(count, count->GetBufferedRegion());
    itk::ImageRegionIterator<ImageType>                  m(merged, merged->GetBufferedRegion());
    for (; !m.IsAtEnd(); ++s, ++c, ++m)
    {
      m.Set(static_cast<float>(s.Get() / c.Get()));
    }
    benchmark::DoNotOptimize(merged->GetBufferPointer());
  }
  SetStackBytes(state, patch, overlap);
}

void
BM_Argmax(benchmark::State & state)
{
  const auto               classes = static_cast<itk::OffsetValueType>(state.range(0));
  constexpr std::size_t    rowLength = 128;
  constexpr std::size_t    rows = 128 * 64;
  std::vector<float>       scores(rowLength * rows * static_cast<std::size_t>(classes));
  std::vector<std::uint8_t> labels(rowLength * rows);
  std::mt19937             generator(7);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::generate(scores.begin(), scores.end(), [&] { return uniform(generator); });
  for (auto _ : state)
  {
    for (std::size_t r = 0; r < rows; ++r)
    {
      const float *  rowScores = scores.data() + r * rowLength * static_cast<std::size_t>(classes);
      std::uint8_t * rowLabels = labels.data() + r * rowLength;
      if (state.range(1) == 1)
      {
        for (std::size_t j = 0; j < rowLength; ++j)
        {
          rowLabels[j] = static_cast<std::uint8_t>(
            itk::PatchStreamingDetail::ArgmaxOfVoxel(rowScores + j * static_cast<std::size_t>(classes), classes));
        }
      }
      else
      {
        itk::PatchStreamingDetail::ArgmaxRow(rowScores, classes, rowLength, rowLabels);
      }
    }
    benchmark::DoNotOptimize(labels.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * scores.size() * sizeof(float)));
}

const std::vector<std::pair<int64_t, int64_t>> PatchGeometries{ { 96, 48 }, { 64, 32 }, { 128, 64 } };

int64_t
AllThreads()
{
  return static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
}
} // namespace

BENCHMARK(BM_Memcpy)->ArgNames({ "patch", "overlap", "threads" })->Apply([](benchmark::internal::Benchmark * b) {
  for (const auto & [patch, overlap] : PatchGeometries)
  {
    b->Args({ patch, overlap, 1 })->Args({ patch, overlap, AllThreads() });
  }
})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Extract)->ArgNames({ "patch", "overlap", "threads" })->Apply([](benchmark::internal::Benchmark * b) {
  for (const auto & [patch, overlap] : PatchGeometries)
  {
    b->Args({ patch, overlap, 1 })->Args({ patch, overlap, AllThreads() });
  }
})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Merge)->ArgNames({ "weighting", "patch", "overlap", "threads" })->Apply([](benchmark::internal::Benchmark * b) {
  for (const int64_t weighting : { 0, 1, 3 })
  {
    for (const auto & [patch, overlap] : PatchGeometries)
    {
      b->Args({ weighting, patch, overlap, 1 })->Args({ weighting, patch, overlap, AllThreads() });
    }
  }
})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NaiveMerge)->ArgNames({ "patch", "overlap" })->Apply([](benchmark::internal::Benchmark * b) {
  for (const auto & [patch, overlap] : PatchGeometries)
  {
    b->Args({ patch, overlap });
  }
})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK(BM_Argmax)->ArgNames({ "classes", "at_once" })->Apply([](benchmark::internal::Benchmark * b) {
  for (const int64_t classes : { 3, 16, 100 })
  {
    b->Args({ classes, 1 })->Args({ classes, 4 });
  }
})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
