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
// The out-of-core benchmark: a generated volume on disk, patch by
// patch through a per-patch filter, merged with Gaussian weighting and written
// back to disk in writer divisions, never holding the volume in memory.
//
//   reader -> PatchExtractor -> PatchByPatchImageFilter -> PatchMerger -> writer
//
// Usage: PatchStreamingOutOfCore [smooth|classes|threads] [size] [patch] [overlap] [divisions] [classes] [directory]
//   smooth   per-patch DiscreteGaussianImageFilter (variance 4), float volume out
//   classes  per-patch synthetic C-class model (softmax), merged straight into
//            the argmax label map (PatchMerger to unsigned char labels)
//   threads  times two patch lines smoothed by PatchByPatchImageFilter (one
//            patch at a time, the filter's own threads) against the same
//            patches smoothed in parallel, one single-threaded filter per patch
// Defaults: smooth 512 96 48 16 16 . ; prints peak RSS (getrusage), wall time
// against a streamed copy of the same file, and patch computations / patches.
#include "PatchBenchmarkMeasures.h"
#include "itkPatchByPatchImageFilter.h"
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"
#include "itkSyntheticClassModelImageFilter.h"

#include "itkDiscreteGaussianImageFilter.h"
#include "itkGaussianImageSource.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkMetaImageIOFactory.h"
#include "itkImageRegionSplitterSlowDimension.h"
#include "itkMultiThreaderBase.h"
#include "itkPatchPixelComponents.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace
{
using PatchBenchmark::GenerateVolume;
using PatchBenchmark::PeakResidentMiB;
using PatchBenchmark::ResidentMiB;
using PatchBenchmark::SecondsFor;
using ImageType = itk::Image<float, 3>;
using StackType = itk::Image<float, 4>;
using ProbabilitiesType = itk::VectorImage<float, 3>;
using ProbabilityStackType = itk::VectorImage<float, 4>;
using LabelType = itk::Image<unsigned char, 3>;

/** Reader -> writer with the same divisions: the I/O every out-of-core run pays, the time baseline. */
void
CopyVolume(const std::string & input, const std::string & output, unsigned int divisions)
{
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(input);
  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetInput(reader->GetOutput());
  writer->SetFileName(output);
  writer->SetNumberOfStreamDivisions(divisions);
  writer->Update();
}

struct Settings
{
  std::string        mode{ "smooth" };
  itk::SizeValueType size{ 512 };
  itk::SizeValueType patch{ 96 };
  itk::SizeValueType overlap{ 48 };
  unsigned int       divisions{ 16 };
  unsigned int       classes{ 16 };
  std::string        directory{ "." };
};

/** The reader and the extractor for the settings; each releases its data once the next filter used it. */
struct Source
{
  itk::ImageFileReader<ImageType>::Pointer reader;
  itk::PatchExtractor<ImageType>::Pointer  extractor;
};

Source
MakeSource(const std::string & input, const Settings & settings)
{
  Source source{ itk::ImageFileReader<ImageType>::New(), itk::PatchExtractor<ImageType>::New() };
  source.reader->SetFileName(input);
  source.reader->ReleaseDataFlagOn();
  source.extractor->SetInput(source.reader->GetOutput());
  source.extractor->SetPatchSize(ImageType::SizeType::Filled(settings.patch));
  source.extractor->SetPatchOverlap(ImageType::SizeType::Filled(settings.overlap));
  source.extractor->ReleaseDataFlagOn();
  return source;
}

using SmoothingType = itk::DiscreteGaussianImageFilter<ImageType, ImageType>;

SmoothingType::Pointer
MakeSmoothing()
{
  auto smoothing = SmoothingType::New();
  smoothing->SetVariance(4.0);
  return smoothing;
}

/** Threading over patches or inside the per-patch filter: times both on the same two patch lines. */
void
MeasureThreading(const std::string & input, const Settings & settings)
{
  const Source source = MakeSource(input, settings);
  auto &       extractor = source.extractor;
  extractor->ReleaseDataFlagOff();
  extractor->UpdateOutputInformation();
  const auto & grid = extractor->GetPatchGrid();
  auto         lines = extractor->GetOutput()->GetLargestPossibleRegion();
  lines.SetSize(3, 2 * grid.GetGridSize()[0]);
  extractor->GetOutput()->SetRequestedRegion(lines);
  extractor->GetOutput()->Update();
  const StackType * stack = extractor->GetOutput();

  auto perPatch = itk::PatchByPatchImageFilter<StackType>::New();
  perPatch->SetInput(stack);
  perPatch->SetFilter(MakeSmoothing());
  perPatch->InPlaceOff();
  perPatch->GetOutput()->SetRequestedRegion(lines);
  const double insideSeconds = SecondsFor([&] { perPatch->GetOutput()->Update(); });

  auto parallel = StackType::New();
  parallel->CopyInformation(stack);
  parallel->SetRegions(lines);
  parallel->Allocate();
  const itk::SizeValueType patchValues = lines.GetNumberOfPixels() / lines.GetSize(3);
  // Plain threads, each with its own single-work-unit filters: a filter updated
  // inside ITK's pool threads would wait on the pool it occupies.
  const unsigned int threads = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
  const double       overSeconds = SecondsFor([&] {
    std::vector<std::thread> workers;
    for (unsigned int t = 0; t < threads; ++t)
    {
      workers.emplace_back([&, t] {
        for (itk::SizeValueType k = t; k < lines.GetSize(3); k += threads)
        {
          auto patch = ImageType::New();
          patch->SetRegions(ImageType::RegionType(grid.GetPatchSize()));
          patch->SetSpacing(grid.GetSpacing());
          patch->SetDirection(grid.GetDirection());
          patch->SetOrigin(grid.GetPatchOrigin(k));
          patch->Allocate();
          std::copy_n(stack->GetBufferPointer() + k * patchValues, patchValues, patch->GetBufferPointer());
          auto smoothing = MakeSmoothing();
          smoothing->SetInput(patch);
          smoothing->SetNumberOfWorkUnits(1);
          smoothing->Update();
          std::copy_n(
            smoothing->GetOutput()->GetBufferPointer(), patchValues, parallel->GetBufferPointer() + k * patchValues);
        }
      });
    }
    for (auto & worker : workers)
    {
      worker.join();
    }
  });
  const bool         same = std::equal(parallel->GetBufferPointer(),
                               parallel->GetBufferPointer() + lines.GetNumberOfPixels(),
                               perPatch->GetOutput()->GetBufferPointer());
  std::cout << "threading            " << lines.GetSize(3) << " patches of " << grid.GetPatchSize() << ", " << threads
            << " threads\n"
            << "  inside the filter  " << insideSeconds << " s (PatchByPatchImageFilter, one patch at a time)\n"
            << "  over patches       " << overSeconds
            << " s (one single-threaded filter per patch) = " << overSeconds / insideSeconds << " x; results "
            << (same ? "identical" : "DIFFER") << "\n";
}

/** The buffers the pipeline holds at its peak, in MiB (docs/out-of-core.md, "Memory"):
 * the merger's output division and carried slices (into a label map: its open
 * rows' sums instead), the reader's slab, the
 * extractor's and the per-patch filter's stack lines, and the inner pipeline's patches. */
struct MemoryAccount
{
  double division{ 0.0 };
  double carry{ 0.0 };
  double openRows{ 0.0 };
  double slab{ 0.0 };
  double inputLine{ 0.0 };
  double outputLine{ 0.0 };
  double innerPatches{ 0.0 };
  double labels{ 0.0 };

  double
  Total() const
  {
    // Extracting a line holds the slab and the input line; processing it, both lines and the inner patches.
    return division + carry + openRows + labels + std::max(slab + inputLine, inputLine + outputLine + innerPatches);
  }
};

MemoryAccount
AccountMemory(const Settings & settings, const itk::PatchGrid<3> & grid)
{
  const bool   classes = settings.mode == "classes";
  const double components = classes ? settings.classes : 1.0;
  const double sliceMiB = static_cast<double>(settings.size * settings.size * sizeof(float)) / 1048576.0;
  const double patchMiB =
    static_cast<double>(grid.GetPatchSize()[0] * grid.GetPatchSize()[1] * grid.GetPatchSize()[2] * sizeof(float)) /
    1048576.0;
  const double lineMiB = patchMiB * static_cast<double>(grid.GetGridSize()[0]);
  // The writer's divisions (ITK splits along the slowest axis), and for each the slices
  // its last line reaches past its end: the carry, at most P-1 slices.
  auto                splitter = itk::ImageRegionSplitterSlowDimension::New();
  const auto          whole = ImageType::RegionType(ImageType::SizeType::Filled(settings.size));
  const auto          count = splitter->GetNumberOfSplits(whole, settings.divisions);
  const auto &        layout = grid.GetAxisLayout(2);
  itk::SizeValueType  thickest = 0;
  itk::IndexValueType carried = 0;
  for (unsigned int i = 0; i < count; ++i)
  {
    ImageType::RegionType division = whole;
    splitter->GetSplit(i, count, division);
    thickest = std::max(thickest, division.GetSize(2));
    const itk::IndexValueType end = division.GetUpperIndex()[2] + 1;
    itk::IndexValueType       lastLineEnd = 0;
    for (itk::SizeValueType j = 0; j < layout.GetNumberOfPositions() && layout.GetStart(j) < end; ++j)
    {
      lastLineEnd = std::min<itk::IndexValueType>(layout.GetStart(j) + grid.GetPatchSize()[2], settings.size);
    }
    carried = std::max(carried, lastLineEnd - end);
  }
  MemoryAccount account;
  if (classes)
  {
    // The merger's row buffers: the overlap past a finished plane of lines across the slice and one
    // line's rows (P1 x P2 rows of X voxels), or the carried slices when they are more.
    itk::IndexValueType overlap = 0;
    for (itk::SizeValueType j = 1; j < layout.GetNumberOfPositions(); ++j)
    {
      overlap = std::max(overlap,
                         layout.GetStart(j - 1) + static_cast<itk::IndexValueType>(grid.GetPatchSize()[2]) -
                           layout.GetStart(j));
    }
    const double lineRows = static_cast<double>(grid.GetPatchSize()[1] * grid.GetPatchSize()[2]);
    const double openSlices = std::max(static_cast<double>(carried),
                                       static_cast<double>(overlap) + lineRows / static_cast<double>(settings.size));
    account.openRows = openSlices * sliceMiB * components;
  }
  else
  {
    account.division = static_cast<double>(thickest) * sliceMiB * components;
    account.carry = static_cast<double>(carried) * sliceMiB * components;
  }
  account.slab = static_cast<double>(grid.GetPatchSize()[2]) * sliceMiB;
  account.inputLine = lineMiB;
  // In place when the channel count stays (smoothing): the output line is the input line.
  account.outputLine = classes ? lineMiB * components : 0.0;
  // The patch handed to the inner pipeline and its result; DiscreteGaussianImageFilter
  // holds two more patches inside (its mini-pipeline of three directional passes).
  account.innerPatches = patchMiB * (classes ? 1.0 + components : 4.0);
  account.labels = classes ? static_cast<double>(thickest) * sliceMiB / sizeof(float) : 0.0;
  return account;
}

void
PrintMemoryAccount(const MemoryAccount & account, double measured)
{
  std::cout << "memory account       " << account.Total() << " MiB by the formula against " << measured
            << " MiB measured (peak RSS - the libraries' resident set) = " << measured / account.Total() << "\n"
            << "  output division    " << account.division << " MiB (0: the sums are in row buffers)\n"
            << "  carried slices     " << account.carry << " MiB\n"
            << "  open rows' sums    " << account.openRows << " MiB (a label map: the row buffers open at once)\n"
            << "  reader slab        " << account.slab << " MiB\n"
            << "  input stack line   " << account.inputLine << " MiB\n"
            << "  output stack line  " << account.outputLine << " MiB (0: in place)\n"
            << "  inner patches      " << account.innerPatches << " MiB\n"
            << "  label division     " << account.labels << " MiB\n";
}

/** Runs the pipeline to `output`; returns the number of patch computations. */
template <typename TPerPatch, typename TMerger>
itk::SizeValueType
RunPipeline(TPerPatch * perPatch, TMerger * merger, const std::string & output, unsigned int divisions)
{
  itk::SizeValueType computations = 0;
  perPatch->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { ++computations; });
  perPatch->ReleaseDataFlagOn(); // the merger frees each line once scattered
  merger->SetInput(perPatch->GetOutput());
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
  auto writer = itk::ImageFileWriter<typename TMerger::OutputImageType>::New();
  writer->SetInput(merger->GetOutput());
  writer->SetFileName(output);
  writer->SetNumberOfStreamDivisions(divisions);
  writer->Update();
  return computations;
}
/** The settings from the command line: mode, size, patch, overlap, divisions, classes, directory. */
Settings
ParseSettings(int argc, char * argv[])
{
  Settings settings;
  settings.mode = argc > 1 ? argv[1] : settings.mode;
  settings.size = argc > 2 ? std::stoul(argv[2]) : settings.size;
  settings.patch = argc > 3 ? std::stoul(argv[3]) : settings.patch;
  settings.overlap = argc > 4 ? std::stoul(argv[4]) : settings.patch / 2;
  settings.divisions = argc > 5 ? static_cast<unsigned int>(std::stoul(argv[5])) : settings.divisions;
  settings.classes = argc > 6 ? static_cast<unsigned int>(std::stoul(argv[6])) : settings.classes;
  settings.directory = argc > 7 ? argv[7] : settings.directory;
  if (settings.mode != "smooth" && settings.mode != "classes" && settings.mode != "threads")
  {
    throw std::invalid_argument("mode = " + settings.mode + " must be smooth, classes or threads");
  }
  return settings;
}

/** reader -> extractor -> per-patch smoothing (smooth) or the synthetic class
 * model (classes) -> merger (labels as rows are finished) -> `output`;
 * returns the number of patch computations. */
itk::SizeValueType
MergeVolume(const Source & source, const Settings & settings, const std::string & output)
{
  if (settings.mode == "smooth")
  {
    auto perPatch = itk::PatchByPatchImageFilter<StackType>::New();
    perPatch->SetInput(source.extractor->GetOutput());
    perPatch->SetFilter(MakeSmoothing());
    auto merger = itk::PatchMerger<StackType>::New();
    return RunPipeline(perPatch.GetPointer(), merger.GetPointer(), output, settings.divisions);
  }
  auto model = itk::SyntheticClassModelImageFilter<ImageType, ProbabilitiesType>::New();
  model->SetNumberOfClasses(settings.classes);
  model->SetIntensityRange(0.0, 255.0);
  auto perPatch = itk::PatchByPatchImageFilter<StackType, ProbabilityStackType>::New();
  perPatch->SetInput(source.extractor->GetOutput());
  perPatch->SetFilter(model);
  auto merger = itk::PatchMerger<ProbabilityStackType, LabelType>::New();
  return RunPipeline(perPatch.GetPointer(), merger.GetPointer(), output, settings.divisions);
}

/** What was measured, for the report. */
struct Measured
{
  itk::SizeValueType computations{ 0 };
  double             seconds{ 0.0 };
  double             copySeconds{ 0.0 };
  double             generateSeconds{ 0.0 };
  double             librariesMiB{ 0.0 };
  double             rssBefore{ 0.0 };
};

/** Prints the run's figures: peak RSS against the volume's bytes (and the
 * full class buffer), its account, and the time against a streamed copy. */
void
PrintReport(const Settings &          settings,
            const itk::PatchGrid<3> & grid,
            const Measured &          measured,
            const std::string &       input,
            const std::string &       output)
{
  const auto   patches = grid.GetNumberOfPatches();
  const double volumeMiB =
    static_cast<double>(settings.size * settings.size * settings.size * sizeof(float)) / 1048576.0;
  const double peak = PeakResidentMiB();
  std::cout << "mode                 " << settings.mode
            << (settings.mode == "classes" ? " (" + std::to_string(settings.classes) + " classes -> argmax label map)"
                                           : "")
            << "\n"
            << "volume               " << settings.size << "^3 float = " << volumeMiB << " MiB on disk (" << input
            << ")\n"
            << "patches              " << settings.patch << " overlap " << settings.overlap << ", grid "
            << grid.GetGridSize() << " = " << patches << " patches\n"
            << "writer divisions     " << settings.divisions << "\n"
            << "patch computations   " << measured.computations << " / " << patches
            << " patches = " << static_cast<double>(measured.computations) / static_cast<double>(patches) << "\n"
            << "peak RSS             " << peak << " MiB = " << peak / volumeMiB << " x the volume's bytes"
            << "\n";
  if (settings.mode == "classes")
  {
    std::cout << "  full-size buffer   " << volumeMiB * settings.classes << " MiB for " << settings.classes
              << " float classes alone (what MONAI and nnU-Net allocate, before their count map)\n";
  }
  PrintMemoryAccount(AccountMemory(settings, grid), peak - measured.librariesMiB);
  std::cout << "  before the run     " << measured.rssBefore << " MiB (generating and copying the file)\n"
            << "wall time            " << measured.seconds << " s = " << measured.seconds / measured.copySeconds
            << " x a streamed copy of the file (" << measured.copySeconds << " s); generating it took "
            << measured.generateSeconds << " s\n"
            << "output               " << output << "\n";
}
} // namespace

int
main(int argc, char * argv[])
{
  Measured measured;
  measured.librariesMiB = ResidentMiB();
  try
  {
    const Settings settings = ParseSettings(argc, argv);
    itk::MetaImageIOFactory::RegisterOneFactory();
    const std::string  input = settings.directory + "/PatchStreamingOutOfCoreInput.mha";
    const std::string  copy = settings.directory + "/PatchStreamingOutOfCoreCopy.mha";
    const std::string  output = settings.directory + "/PatchStreamingOutOfCoreOutput.mha";
    const unsigned int ioDivisions = std::max(settings.divisions, 16u);
    measured.generateSeconds = SecondsFor([&] { GenerateVolume(input, settings.size, ioDivisions); });
    measured.copySeconds = SecondsFor([&] { CopyVolume(input, copy, ioDivisions); });
    std::remove(copy.c_str());
    measured.rssBefore = PeakResidentMiB();
    if (settings.mode == "threads")
    {
      MeasureThreading(input, settings);
    }
    else
    {
      const Source source = MakeSource(input, settings);
      measured.seconds = SecondsFor([&] { measured.computations = MergeVolume(source, settings, output); });
      PrintReport(settings, source.extractor->GetPatchGrid(), measured, input, output);
      std::remove(output.c_str());
    }
    std::remove(input.c_str());
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "PatchStreamingOutOfCore: " << error.GetDescription() << std::endl;
    return EXIT_FAILURE;
  }
  catch (const std::exception & error)
  {
    std::cerr << "PatchStreamingOutOfCore: " << error.what() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
