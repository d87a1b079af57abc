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
#ifndef PatchwiseRun_h
#define PatchwiseRun_h

#include "PatchwiseDecimal.h"
#include "PatchwiseFilterOptions.h"
#include "PatchwiseMessages.h"
#include "PatchwiseOutputFormat.h"
#include "PatchwiseProcessing.h"
#include "PatchwiseProgressBar.h"
#include "PatchwiseReading.h"
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"
#include "itkPatchPixelComponents.h"

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkImageIOFactory.h"
#include "itkImageRegionSplitterSlowDimension.h"
#include "itkStreamingImageFilter.h"
#include "itksys/SystemInformation.hxx"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

/** What a run did, for the report and the preview. */
template <unsigned int VDimension>
struct PatchwiseRunResult
{
  itk::PatchGrid<VDimension> grid{};
  itk::PatchWindowParameters windows{};
  std::string                processing{};    // what ran on every patch, and what was written
  bool                       labels{ false }; // the preview shows the output as labels (a network's argmax)
  unsigned int               divisions{ 1 };
  std::string                assembledFor{}; // the ImageIO that writes in one piece, when divisions > 1
  double                     seconds{ 0.0 };
  std::string                warning{}; // for the summary: what in the output the user should know of
};

/** One value for every axis or one per axis, as `flag` was given. */
template <unsigned int VDimension>
itk::Size<VDimension>
PerAxis(const std::vector<unsigned int> & values, const std::string & flag)
{
  if (values.size() != 1 && values.size() != VDimension)
  {
    // "--overlap 0,5": a decimal comma, meant as half the patch.
    const std::string decimal = values.size() == 2 && values[0] == 0 ? "0." + std::to_string(values[1]) : "";
    throw std::runtime_error(
      flag + " has " + std::to_string(values.size()) + " values; the image is " + std::to_string(VDimension) +
      "-D: give 1 or " + std::to_string(VDimension) +
      (flag == "--overlap" && !decimal.empty()
         ? " (for " + decimal + " of the patch, drop --overlap and give --overlap-fraction " + decimal + ")"
         : ""));
  }
  itk::Size<VDimension> size;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    size[d] = values[values.size() == 1 ? 0 : d];
  }
  return size;
}

/** "64x64x32": the first `dimension` values of `size`. */
template <typename TSize>
std::string
Joined(const TSize & size, unsigned int dimension)
{
  std::ostringstream text;
  for (unsigned int d = 0; d < dimension; ++d)
  {
    text << (d ? "x" : "") << size[d];
  }
  return text.str();
}

/** Throws, naming --patch-size, when the patch does not fit an image of
 * `imageSize` voxels in ITK's (x, y, z) order but would reversed: the (D, H, W)
 * order of a tensor's shape (MONAI's roi_size, the Python package's patch_size)
 * given by mistake. The run would not fail (an axis shorter than the patch is
 * padded), so the mistake would pass unseen; the Python package refuses it alike. */
template <unsigned int VDimension>
void
CheckPatchAxisOrder(const itk::Size<VDimension> & patchSize, const itk::Size<VDimension> & imageSize)
{
  itk::Size<VDimension> reversed;
  bool                  fits = true;
  bool                  fitsReversed = true;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    reversed[d] = patchSize[VDimension - 1 - d];
    fits = fits && patchSize[d] <= imageSize[d];
    fitsReversed = fitsReversed && reversed[d] <= imageSize[d];
  }
  if (!fits && fitsReversed)
  {
    std::string given = Joined(reversed, VDimension);
    std::replace(given.begin(), given.end(), 'x', ',');
    throw std::runtime_error("--patch-size: " + Joined(patchSize, VDimension) +
                             " voxels in ITK's (x, y, z) order does not fit the image of " +
                             Joined(imageSize, VDimension) + " voxels, but reversed (a tensor's (D, H, W) order) " +
                             "it would: if you meant that patch, give --patch-size " + given);
  }
}

/** Throws, naming --patch-size, when one patch of `components` float values
 * per voxel is larger than this machine's physical memory: the run would fail
 * allocating it (or swap for ever) long after it started. */
template <unsigned int VDimension>
void
CheckPatchFitsInMemory(const itk::Size<VDimension> & patchSize, unsigned int components)
{
  double bytes = static_cast<double>(components) * sizeof(float);
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    bytes *= static_cast<double>(patchSize[d]);
  }
  itksys::SystemInformation system;
  system.RunMemoryCheck();
  const double memory = static_cast<double>(system.GetTotalPhysicalMemory()) * 1024.0 * 1024.0;
  if (memory > 0.0 && bytes > memory)
  {
    constexpr double   GiB = 1024.0 * 1024.0 * 1024.0;
    std::ostringstream message;
    message.precision(4);
    message << "--patch-size: one patch of " << Joined(patchSize, VDimension) << " voxels ("
            << CountOf(components, "component") << ") is " << bytes / GiB << " GiB as float, more than this machine's "
            << memory / GiB << " GiB of memory; give a smaller --patch-size";
    throw std::runtime_error(message.str());
  }
}

/** The merger's window parameters from the settings. */
inline itk::PatchWindowParameters
WindowParameters(const PatchwiseFilterSettings & settings)
{
  itk::PatchWindowParameters windows;
  windows.Weighting = itk::WeightingFromString(settings.weighting);
  windows.SigmaScale = settings.sigmaScale;
  windows.MinimumWeight = settings.minimumWeight;
  windows.MinimumWeightOnWindow = settings.gaussianFloor == "window";
  return windows;
}

/** The reader and the PatchExtractor cutting its image as the settings say
 * (the extractor's input keeps only a weak pointer to the reader, so both are held). */
template <typename TImage>
struct PatchwiseSource
{
  typename itk::ImageFileReader<TImage>::Pointer reader{};
  typename itk::PatchExtractor<TImage>::Pointer  extractor{};

  PatchwiseSource(const PatchwiseFilterSettings & settings, unsigned int components)
    : reader(itk::ImageFileReader<TImage>::New())
    , extractor(itk::PatchExtractor<TImage>::New())
  {
    constexpr unsigned int Dimension = TImage::ImageDimension;
    reader->SetFileName(settings.input);
    ReadWholeWhereNoPartCanBeRead(*reader); // a NIfTI or Analyze input, once
    extractor->SetInput(reader->GetOutput());
    const auto patchSize = PerAxis<Dimension>(settings.patchSize, "--patch-size");
    CheckPatchFitsInMemory(patchSize, components);
    CheckPatchAxisOrder(patchSize, reader->GetOutput()->GetLargestPossibleRegion().GetSize());
    auto overlap = patchSize;
    if (settings.overlap.empty())
    {
      // floor(fraction * patch size) from the decimal text, exactly (PatchwiseDecimal).
      const auto fraction = PatchwiseDecimal::Parse(settings.overlapFraction, "--overlap-fraction");
      for (unsigned int d = 0; d < Dimension; ++d)
      {
        overlap[d] = fraction.FloorOfProduct(patchSize[d]);
      }
    }
    else
    {
      overlap = PerAxis<Dimension>(settings.overlap, "--overlap");
    }
    extractor->SetPatchSize(patchSize);
    extractor->SetPatchOverlap(overlap);
    extractor->SetBorderMode(itk::BorderModeFromString(settings.borderMode));
    extractor->SetPadding(itk::PaddingFromString(settings.padding));
    extractor->SetPadOverlap(settings.padOverlap);
    typename TImage::PixelType paddingValue;
    itk::NumericTraits<typename TImage::PixelType>::SetLength(paddingValue, components);
    paddingValue = static_cast<float>(settings.paddingValue);
    extractor->SetPaddingValue(paddingValue);
  }
};

/** Sets the merger's weighting from the settings, validates the geometry
 * and the weighting before anything is computed, and records the grid. */
template <typename TMerger, typename TImage>
void
PrepareMerger(TMerger *                                    merger,
              const PatchwiseSource<TImage> &              source,
              const PatchwiseFilterSettings &              settings,
              PatchwiseRunResult<TImage::ImageDimension> & result)
{
  result.windows = WindowParameters(settings);
  merger->SetWeighting(result.windows.Weighting);
  merger->SetSigmaScale(result.windows.SigmaScale);
  merger->SetMinimumWeight(result.windows.MinimumWeight);
  merger->SetMinimumWeightOnWindow(result.windows.MinimumWeightOnWindow);
  merger->UpdateOutputInformation();
  result.grid = source.extractor->GetPatchGrid();
}

/** The fraction of the run done once the source of `patches`, the patch
 * stack the merger merges (the network, the per-patch processing or the
 * extractor), has made `progress` (0 to 1) of the patches requested of it. The
 * merger requests the patches in grid order, each once (the sums of the lines
 * that reach past a stream division are carried to the next),
 * so every patch before the request is done: the fraction is that of the
 * patches made, as a Python user's bar counts them, whatever the divisions. */
template <typename TStack>
double
PatchFraction(const TStack * patches, double progress)
{
  constexpr unsigned int PatchAxis = TStack::ImageDimension - 1;
  const auto &           all = patches->GetLargestPossibleRegion();
  const auto &           requested = patches->GetRequestedRegion();
  return (static_cast<double>(requested.GetIndex(PatchAxis) - all.GetIndex(PatchAxis)) +
          progress * static_cast<double>(requested.GetSize(PatchAxis))) /
         static_cast<double>(all.GetSize(PatchAxis));
}

/** Writes `image` to `outputFile` in the settings' stream divisions: by the
 * writer when the format can be written piece by piece, else through a
 * StreamingImageFilter (the output then is held once, the input and the
 * patches still only piece by piece). The progress starts here, once the
 * pipeline's information is known, and follows the patches made for the
 * merger, `patches` (PatchFraction). */
template <typename TWritten, typename TStack, unsigned int VDimension>
void
WriteInDivisions(TWritten *                       image,
                 const TStack *                   patches,
                 const PatchwiseFilterSettings &  settings,
                 const std::string &              outputFile,
                 PatchwiseProgressBar *           progress,
                 PatchwiseRunResult<VDimension> & result)
{
  auto io = itk::ImageIOFactory::CreateImageIO(outputFile.c_str(), itk::IOFileModeEnum::WriteMode);
  if (io == nullptr)
  {
    throw std::runtime_error(settings.OutputName() + " \"" + settings.output +
                             "\": no ITK image format writes this file name (use .nrrd, .nii, .nii.gz, .mha, ...)");
  }
  CheckFormatHolds<TWritten>(io->GetNameOfClass(), settings.output, settings.OutputName());
  io->SetFileName(outputFile);
  auto writer = itk::ImageFileWriter<TWritten>::New();
  writer->SetImageIO(io);
  writer->SetFileName(outputFile);
  auto streamer = itk::StreamingImageFilter<TWritten, TWritten>::New();
  if (io->CanStreamWrite())
  {
    writer->SetInput(image);
    writer->SetNumberOfStreamDivisions(settings.streamDivisions);
  }
  else
  {
    streamer->SetInput(image);
    streamer->SetNumberOfStreamDivisions(settings.streamDivisions);
    writer->SetInput(streamer->GetOutput());
  }
  image->UpdateOutputInformation();
  CheckFormatKeepsGeometry(image, io.GetPointer(), settings.output, settings.OutputName());
  result.divisions = itk::ImageRegionSplitterSlowDimension::New()->GetNumberOfSplits(image->GetLargestPossibleRegion(),
                                                                                     settings.streamDivisions);
  if (result.divisions > 1 && !io->CanStreamWrite())
  {
    result.assembledFor = io->GetNameOfClass();
  }

  if (progress != nullptr)
  {
    // Started once every check has passed: a refused run prints no <filter-start>.
    progress->Start("patch-wise processing of " + settings.input + " into " + settings.output);
    progress->SetFraction([patches](double made) { return PatchFraction(patches, made); });
    patches->GetSource()->AddObserver(itk::ProgressEvent(), progress);
  }
  const auto started = std::chrono::steady_clock::now();
  writer->Update();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

/** reader -> PatchExtractor -> [PatchByPatchImageFilter] -> PatchMerger -> writer
 * on float images with `components` components, written to `outputFile`. */
template <typename TImage>
PatchwiseRunResult<TImage::ImageDimension>
RunPatchwise(const PatchwiseFilterSettings & settings,
             unsigned int                    components,
             const std::string &             outputFile,
             PatchwiseProgressBar *          progress)
{
  constexpr unsigned int Dimension = TImage::ImageDimension;
  using StackType = typename TImage::template RebindImageType<typename TImage::PixelType, Dimension + 1>;
  PatchwiseRunResult<Dimension> result;
  const PatchwiseSource<TImage> source(settings, components);

  auto       merger = itk::PatchMerger<StackType, TImage>::New();
  const auto process = PatchwiseProcess::Parse(settings.process);
  result.processing = process.ToString();
  // Held until the pipeline has run: its inner filters are referenced only from here.
  PatchwiseProcessingPipeline<typename PatchwiseProcessing<StackType>::FilterType> processing;
  if (process.kind == PatchwiseProcess::Kind::Identity)
  {
    merger->SetInput(source.extractor->GetOutput());
  }
  else
  {
    processing = PatchwiseProcessing<StackType>::Make(process, components);
    processing.perPatch->SetInput(source.extractor->GetOutput());
    merger->SetInput(processing.perPatch->GetOutput());
  }
  PrepareMerger(merger.GetPointer(), source, settings, result);
  WriteInDivisions(merger->GetOutput(), merger->GetInput(), settings, outputFile, progress, result);
  if (merger->GetNumberOfNonFiniteValues() > 0)
  {
    result.warning = "the output holds " + CountOf(merger->GetNumberOfNonFiniteValues(), "NaN or infinite value") +
                     ": the input's NaN or infinite voxels reach there, or its values beyond float's range "
                     "(+-3.4e38, read as infinite)";
  }
  return result;
}

#endif
