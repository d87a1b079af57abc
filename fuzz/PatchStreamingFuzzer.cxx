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
// libFuzzer target: random geometry, grid and weighting in 1 to 4 dimensions,
// run through extract -> (weight) -> merge, unstreamed and streamed, checked
// against invariants. Any broken invariant aborts with a description, which
// libFuzzer reports together with the input that caused it.
#include "itkPatchExtractor.h"
#include "itkPatchIntegerReference.h"
#include "itkPatchMergeReference.h"
#include "itkPatchMerger.h"
#include "itkSeparableGaussianWeighting.h"
#include "itkStreamingImageFilter.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>

namespace
{
using BorderMode = itk::PatchStreamingEnums::BorderMode;
using Padding = itk::PatchStreamingEnums::Padding;
using Weighting = itk::PatchStreamingEnums::Weighting;

/** Stacks beyond this many voxels are skipped: they test nothing new and slow the search. */
constexpr itk::SizeValueType LargestStackVoxels = itk::SizeValueType{ 1 } << 20;

[[noreturn]] void
Fail(const std::string & what)
{
  std::cerr << "PatchStreamingFuzzer: " << what << std::endl;
  std::abort();
}

/** The parameter a case breaks on purpose, and the words its exception must contain. */
struct Breakage
{
  bool        broken{ false };
  std::string words{};
};

template <unsigned int VDimension>
struct FuzzCase
{
  using ImageType = itk::Image<float, VDimension>;
  using SizeType = typename ImageType::SizeType;
  using RegionType = typename ImageType::RegionType;

  typename ImageType::Pointer            image;
  SizeType                               patchSize;
  SizeType                               overlap;
  BorderMode                             borderMode{ BorderMode::Squeeze };
  bool                                   padOverlap{ false };
  Padding                                padding{ Padding::Constant };
  float                                  paddingValue{ 0.0f };
  PatchStreamingTest::ReferenceWeighting weighting;
  bool                                   weightFirst{ false };
  unsigned int                           threads{ 1 };
  unsigned int                           streamedThreads{ 1 };
  unsigned int                           divisions{ 1 };
  RegionType                             requested;
  Breakage                               breakage;
};

/** An image of 1..64 voxels per axis (at most 2^14 in all), a start index off
 * zero, anisotropic spacing, an origin and a rotated direction, random values
 * on a 1/8 grid. */
template <unsigned int VDimension>
typename itk::Image<float, VDimension>::Pointer
MakeImage(FuzzedDataProvider & data)
{
  using ImageType = itk::Image<float, VDimension>;
  typename ImageType::SizeType    size;
  typename ImageType::IndexType   index;
  typename ImageType::SpacingType spacing;
  typename ImageType::PointType   origin;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    size[d] = data.ConsumeIntegralInRange<itk::SizeValueType>(1, 64);
    index[d] = data.ConsumeIntegralInRange<itk::IndexValueType>(-3, 3);
    spacing[d] = data.PickValueInArray({ 0.5, 1.0, 1.7, 3.0 });
    origin[d] = 0.25 * data.ConsumeIntegralInRange<int>(-40, 40);
  }
  while (typename ImageType::RegionType(size).GetNumberOfPixels() > (itk::SizeValueType{ 1 } << 14))
  {
    unsigned int largest = 0;
    for (unsigned int d = 1; d < VDimension; ++d)
    {
      largest = size[d] > size[largest] ? d : largest;
    }
    size[largest] = (size[largest] + 1) / 2;
  }
  typename ImageType::DirectionType direction;
  direction.SetIdentity();
  if (VDimension > 1)
  {
    // A rotation in the plane of axes 0 and 1.
    const double angle = 0.1 * data.ConsumeIntegralInRange<int>(0, 62);
    direction(0, 0) = std::cos(angle);
    direction(0, 1) = -std::sin(angle);
    direction(1, 0) = std::sin(angle);
    direction(1, 1) = std::cos(angle);
  }
  auto image = ImageType::New();
  image->SetRegions(typename ImageType::RegionType(index, size));
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  image->Allocate();
  std::mt19937 generator(data.ConsumeIntegral<std::uint32_t>());
  for (itk::SizeValueType i = 0; i < image->GetBufferedRegion().GetNumberOfPixels(); ++i)
  {
    image->GetBufferPointer()[i] = static_cast<float>(static_cast<int>(generator() % 1024) - 512) / 8.0f;
  }
  return image;
}

template <unsigned int VDimension>
FuzzCase<VDimension>
MakeCase(FuzzedDataProvider & data)
{
  FuzzCase<VDimension> c;
  c.image = MakeImage<VDimension>(data);
  const auto & imageSize = c.image->GetLargestPossibleRegion().GetSize();
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    // Up to 4 voxels longer than the image: such axes are padded.
    c.patchSize[d] = data.ConsumeIntegralInRange<itk::SizeValueType>(1, imageSize[d] + 4);
    c.overlap[d] = data.ConsumeIntegralInRange<itk::SizeValueType>(0, c.patchSize[d] - 1);
  }
  c.borderMode = data.PickValueInArray(
    { BorderMode::Squeeze, BorderMode::Edge, BorderMode::Adaptive, BorderMode::Crop, BorderMode::Pad });
  c.padOverlap = c.borderMode == BorderMode::Pad && data.ConsumeBool();
  c.padding =
    data.PickValueInArray({ Padding::Constant, Padding::ZeroFluxNeumann, Padding::Mirror, Padding::Periodic });
  c.paddingValue = static_cast<float>(data.ConsumeIntegralInRange<int>(-9, 9));
  c.weighting.Weighting = data.PickValueInArray(
    { Weighting::Average, Weighting::Gaussian, Weighting::Hann, Weighting::Crop, Weighting::Custom });
  c.weighting.SigmaScale = data.PickValueInArray({ 0.05, 0.125, 0.3, 1.0 });
  // No floor only with sigmas whose products of 1-D weights stay normal floats.
  c.weighting.MinimumWeight =
    c.weighting.SigmaScale < 0.1 ? data.PickValueInArray({ 1e-3, 0.1 }) : data.PickValueInArray({ 0.0, 1e-3, 0.1 });
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    std::vector<double> profile(c.patchSize[d]);
    for (auto & value : profile)
    {
      value = 0.1 * data.ConsumeIntegralInRange<int>(1, 10);
    }
    c.weighting.CustomProfiles.push_back(profile);
  }
  c.weightFirst = c.weighting.Weighting == Weighting::Gaussian && data.ConsumeBool();
  c.threads = data.ConsumeIntegralInRange<unsigned int>(1, 4);
  c.streamedThreads = data.ConsumeIntegralInRange<unsigned int>(1, 4);
  c.divisions = data.ConsumeIntegralInRange<unsigned int>(1, 8);
  typename FuzzCase<VDimension>::RegionType requested = c.image->GetLargestPossibleRegion();
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    const auto skip = data.ConsumeIntegralInRange<itk::SizeValueType>(0, imageSize[d] - 1);
    requested.SetIndex(d, requested.GetIndex(d) + static_cast<itk::IndexValueType>(skip));
    requested.SetSize(d, data.ConsumeIntegralInRange<itk::SizeValueType>(1, imageSize[d] - skip));
  }
  c.requested = requested;

  // One case in four breaks one parameter.
  const auto        axis = data.ConsumeIntegralInRange<unsigned int>(0, VDimension - 1);
  const std::string onAxis = "[" + std::to_string(axis) + "]";
  switch (data.ConsumeIntegralInRange<int>(0, 23))
  {
    case 0:
      c.patchSize[axis] = 0;
      c.breakage = { true, "PatchSize" + onAxis + " = 0" };
      break;
    case 1:
      c.overlap[axis] = c.patchSize[axis] + data.ConsumeIntegralInRange<itk::SizeValueType>(0, 3);
      c.breakage = { true, "PatchOverlap" + onAxis };
      break;
    case 2:
      c.padOverlap = c.borderMode != BorderMode::Pad;
      c.breakage = { c.padOverlap, "PadOverlap" };
      break;
    case 3:
      c.weighting.Weighting = Weighting::Gaussian;
      c.weighting.SigmaScale = data.PickValueInArray({ 0.0, -0.5, std::nan("") });
      c.breakage = { true, "SigmaScale" };
      break;
    case 4:
      c.weighting.Weighting = Weighting::Gaussian;
      c.weighting.MinimumWeight = data.PickValueInArray({ -0.1, 1.5 });
      c.breakage = { true, "MinimumWeight" };
      break;
    case 5:
      c.weighting.Weighting = Weighting::Custom;
      c.weighting.CustomProfiles[axis].push_back(1.0);
      c.breakage = { true, "CustomProfile" + onAxis };
      break;
    default:
      break;
  }
  return c;
}

template <typename T>
std::string
ToText(const T & value)
{
  std::ostringstream text;
  text << value;
  return text.str();
}

template <unsigned int VDimension>
std::string
ToText(const itk::ImageRegion<VDimension> & region)
{
  return ToText(region.GetIndex()) + "+" + ToText(region.GetSize());
}

/** The case in words; printed before it runs when PATCHSTREAMING_FUZZ_VERBOSE is set (to replay a crash). */
template <unsigned int VDimension>
std::string
Describe(const FuzzCase<VDimension> & c)
{
  std::ostringstream text;
  text << VDimension << "-D image " << ToText(c.image->GetLargestPossibleRegion()) << " PatchSize " << c.patchSize
       << " PatchOverlap " << c.overlap << " " << itk::ToString(c.borderMode) << (c.padOverlap ? " PadOverlap " : " ")
       << itk::ToString(c.padding) << " PaddingValue " << c.paddingValue << " " << itk::ToString(c.weighting.Weighting)
       << " SigmaScale " << c.weighting.SigmaScale << " MinimumWeight " << c.weighting.MinimumWeight
       << (c.weightFirst ? " weighted first" : "") << " threads " << c.threads << "/" << c.streamedThreads
       << " divisions " << c.divisions << " requested " << ToText(c.requested)
       << (c.breakage.broken ? " broken: " + c.breakage.words : std::string());
  return text.str();
}

/** Merges a copy of `stack` with extreme values written over some of its
 * voxels (+-Inf, NaN, values at and past every integer type's limits) into an
 * integer output of type TInteger, streamed in the case's divisions, and
 * checks every voxel against the same merge into double converted by the
 * documented rule (PatchStreamingTest::ReferenceInteger): the two merges form
 * the same sums in the same order, so they must agree exactly. */
template <typename TInteger, unsigned int VDimension>
void
CheckIntegerOutput(FuzzedDataProvider &                      data,
                   const FuzzCase<VDimension> &              c,
                   const itk::Image<float, VDimension + 1> * stack,
                   const itk::PatchGrid<VDimension> &        grid)
{
  using StackType = itk::Image<float, VDimension + 1>;
  using OutputType = itk::Image<TInteger, VDimension>;
  using ReferenceType = itk::Image<double, VDimension>;
  auto extreme = StackType::New();
  extreme->CopyInformation(stack);
  extreme->SetRegions(stack->GetLargestPossibleRegion());
  extreme->Allocate();
  std::copy_n(stack->GetBufferPointer(), stack->GetPixelContainer()->Size(), extreme->GetBufferPointer());
  const std::vector<double> extremes = PatchStreamingTest::IntegerEdgeValues<TInteger>();
  const unsigned int        count = data.ConsumeIntegralInRange<unsigned int>(0, 8);
  for (unsigned int i = 0; i < count; ++i)
  {
    const auto voxel = data.ConsumeIntegralInRange<std::size_t>(0, extreme->GetPixelContainer()->Size() - 1);
    extreme->GetBufferPointer()[voxel] =
      static_cast<float>(extremes[data.ConsumeIntegralInRange<std::size_t>(0, extremes.size() - 1)]);
  }
  const auto makeMerger = [&](auto output) {
    using MergerType = itk::PatchMerger<StackType, typename decltype(output)::ObjectType>;
    auto merger = MergerType::New();
    PatchStreamingTest::ApplyWeighting(merger.GetPointer(), c.weighting);
    merger->SetPatchGrid(grid);
    merger->SetInput(extreme);
    merger->SetNumberOfWorkUnits(c.streamedThreads);
    return merger;
  };
  auto reference = makeMerger(typename ReferenceType::Pointer());
  reference->SetBackgroundValue(-1000.0);
  reference->Update();
  auto merger = makeMerger(typename OutputType::Pointer());
  merger->SetBackgroundValue(PatchStreamingTest::ReferenceInteger<TInteger>(-1000.0L));
  auto streamer = itk::StreamingImageFilter<OutputType, OutputType>::New();
  streamer->SetInput(merger->GetOutput());
  streamer->SetNumberOfStreamDivisions(c.divisions);
  streamer->UpdateOutputInformation();
  streamer->GetOutput()->SetRequestedRegion(c.requested);
  streamer->Update();
  for (itk::ImageRegionConstIteratorWithIndex<OutputType> it(streamer->GetOutput(), c.requested); !it.IsAtEnd(); ++it)
  {
    const double   value = reference->GetOutput()->GetPixel(it.GetIndex());
    const TInteger expected = PatchStreamingTest::ReferenceInteger<TInteger>(value);
    if (it.Get() != expected)
    {
      Fail("integer voxel " + ToText(it.GetIndex()) + " is " + std::to_string(it.Get()) + "; the double merge " +
           std::to_string(value) + " converts to " + std::to_string(expected));
    }
  }
}

/** CheckIntegerOutput for one of the integer types, 8 to 64 bits, signed and unsigned. */
template <unsigned int VDimension>
void
CheckSomeIntegerOutput(FuzzedDataProvider &                      data,
                       const FuzzCase<VDimension> &              c,
                       const itk::Image<float, VDimension + 1> * stack,
                       const itk::PatchGrid<VDimension> &        grid)
{
  switch (data.ConsumeIntegralInRange<int>(0, 7))
  {
    case 0:
      return CheckIntegerOutput<signed char>(data, c, stack, grid);
    case 1:
      return CheckIntegerOutput<unsigned char>(data, c, stack, grid);
    case 2:
      return CheckIntegerOutput<short>(data, c, stack, grid);
    case 3:
      return CheckIntegerOutput<unsigned short>(data, c, stack, grid);
    case 4:
      return CheckIntegerOutput<int>(data, c, stack, grid);
    case 5:
      return CheckIntegerOutput<unsigned int>(data, c, stack, grid);
    case 6:
      return CheckIntegerOutput<long long>(data, c, stack, grid);
    default:
      return CheckIntegerOutput<unsigned long long>(data, c, stack, grid);
  }
}

template <unsigned int VDimension>
void
RunCase(FuzzedDataProvider & data)
{
  using ImageType = itk::Image<float, VDimension>;
  using StackType = itk::Image<float, VDimension + 1>;
  using OutputType = itk::Image<double, VDimension>;
  using ExtractorType = itk::PatchExtractor<ImageType>;
  using MergerType = itk::PatchMerger<StackType, OutputType>;
  const FuzzCase<VDimension> c = MakeCase<VDimension>(data);
  if (std::getenv("PATCHSTREAMING_FUZZ_VERBOSE") != nullptr)
  {
    std::cerr << Describe(c) << std::endl;
  }

  const auto makeExtractor = [&c](unsigned int threads) {
    auto extractor = ExtractorType::New();
    extractor->SetInput(c.image);
    extractor->SetPatchSize(c.patchSize);
    extractor->SetPatchOverlap(c.overlap);
    extractor->SetBorderMode(c.borderMode);
    extractor->SetPadOverlap(c.padOverlap);
    extractor->SetPadding(c.padding);
    extractor->SetPaddingValue(c.paddingValue);
    extractor->SetNumberOfWorkUnits(threads);
    return extractor;
  };
  const auto makeMerger = [&c](unsigned int threads) {
    auto merger = MergerType::New();
    PatchStreamingTest::ApplyWeighting(merger.GetPointer(), c.weighting);
    merger->SetBackgroundValue(-1000.0);
    merger->SetNumberOfWorkUnits(threads);
    return merger;
  };

  // Unstreamed: the whole stack, then the whole merge.
  auto                         extractor = makeExtractor(c.threads);
  typename OutputType::Pointer merged;
  typename StackType::Pointer  stack;
  try
  {
    extractor->UpdateOutputInformation();
    const auto & stackSize = extractor->GetOutput()->GetLargestPossibleRegion();
    if (stackSize.GetNumberOfPixels() > LargestStackVoxels)
    {
      return;
    }
    extractor->Update();
    stack = extractor->GetOutput();
    stack->DisconnectPipeline();
    auto merger = makeMerger(c.threads);
    merger->SetInput(stack);
    merger->Update();
    merged = merger->GetOutput();
  }
  catch (const itk::ExceptionObject & error)
  {
    const std::string description = error.GetDescription();
    if (!c.breakage.broken)
    {
      Fail("valid parameters threw: " + description);
    }
    if (description.find(c.breakage.words) == std::string::npos)
    {
      Fail("the exception does not mention \"" + c.breakage.words + "\": " + description);
    }
    return;
  }
  if (c.breakage.broken)
  {
    Fail("no exception; expected one mentioning \"" + c.breakage.words + "\"");
  }

  // Against the brute-force reference; Average and Crop give the image back where covered.
  const itk::PatchGrid<VDimension> grid = extractor->GetPatchGrid();
  const auto                       reference = PatchStreamingTest::NestedLoopMerge<OutputType>(
    stack.GetPointer(), grid, PatchStreamingTest::MakeReferenceProfile(grid, c.weighting), -1000.0);
  auto covered = itk::Image<unsigned char, VDimension>::New();
  covered->SetRegions(c.image->GetLargestPossibleRegion());
  covered->Allocate(true);
  for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
  {
    const auto valid = grid.GetValidPatchRegion(k);
    if (!c.image->GetLargestPossibleRegion().IsInside(valid) || valid.GetNumberOfPixels() == 0)
    {
      Fail("patch " + std::to_string(k) + " has a valid region outside the image");
    }
    for (itk::ImageRegionIteratorWithIndex<itk::Image<unsigned char, VDimension>> it(covered, valid); !it.IsAtEnd();
         ++it)
    {
      it.Set(1);
    }
  }
  const bool givesImageBack = c.weighting.Weighting == Weighting::Average || c.weighting.Weighting == Weighting::Crop;
  for (itk::ImageRegionConstIteratorWithIndex<OutputType> it(merged, merged->GetLargestPossibleRegion()); !it.IsAtEnd();
       ++it)
  {
    const auto & x = it.GetIndex();
    const double value = it.Get();
    const double expected = reference->GetPixel(x);
    if (!covered->GetPixel(x))
    {
      if (value != -1000.0 || c.borderMode != BorderMode::Crop)
      {
        Fail("voxel " + ToText(x) + " is uncovered in border mode " + itk::ToString(c.borderMode) + " and holds " +
             std::to_string(value));
      }
      continue;
    }
    if (std::abs(value - expected) > 1e-5 * (1.0 + std::abs(expected)))
    {
      Fail("voxel " + ToText(x) + " merged to " + std::to_string(value) + ", the reference gives " +
           std::to_string(expected));
    }
    if (givesImageBack && std::abs(value - c.image->GetPixel(x)) > 1e-9 * (1.0 + std::abs(value)))
    {
      Fail("voxel " + ToText(x) + " merged to " + std::to_string(value) + " instead of the image's " +
           std::to_string(c.image->GetPixel(x)));
    }
  }

  // Streamed: a random output region in divisions, the stack pulled line by
  // line (weighted first when asked); bit-identical to the unstreamed merge.
  auto                                                         streamedExtractor = makeExtractor(c.streamedThreads);
  auto                                                         streamedMerger = makeMerger(c.streamedThreads);
  typename itk::SeparableGaussianWeighting<StackType>::Pointer weighting;
  if (c.weightFirst)
  {
    weighting = itk::SeparableGaussianWeighting<StackType>::New();
    weighting->SetInput(streamedExtractor->GetOutput());
    weighting->SetSigmaScale(c.weighting.SigmaScale);
    weighting->SetMinimumWeight(c.weighting.MinimumWeight);
    streamedMerger->SetInput(weighting->GetOutput());
    streamedMerger->SetInputIsWeighted(true);
  }
  else
  {
    streamedMerger->SetInput(streamedExtractor->GetOutput());
  }
  // Each stack region the extractor is asked for, with the output region being merged then.
  std::vector<std::pair<typename StackType::RegionType, typename OutputType::RegionType>> requests;
  streamedExtractor->AddObserver(itk::StartEvent(), [&](const itk::EventObject &) {
    requests.emplace_back(streamedExtractor->GetOutput()->GetRequestedRegion(),
                          streamedMerger->GetOutput()->GetRequestedRegion());
  });
  auto streamer = itk::StreamingImageFilter<OutputType, OutputType>::New();
  streamer->SetInput(streamedMerger->GetOutput());
  streamer->SetNumberOfStreamDivisions(c.divisions);
  try
  {
    streamer->UpdateOutputInformation();
    streamer->GetOutput()->SetRequestedRegion(c.requested);
    streamer->Update();
  }
  catch (const itk::ExceptionObject & error)
  {
    Fail(std::string("the streamed run threw: ") + error.GetDescription());
  }
  for (itk::ImageRegionConstIteratorWithIndex<OutputType> it(streamer->GetOutput(), c.requested); !it.IsAtEnd(); ++it)
  {
    if (!(it.Get() == merged->GetPixel(it.GetIndex())))
    {
      Fail("streamed voxel " + ToText(it.GetIndex()) + " is " + std::to_string(it.Get()) + ", unstreamed " +
           std::to_string(merged->GetPixel(it.GetIndex())));
    }
  }
  // Every stack request lies in the stack and holds only patches that overlap the region being merged.
  const auto stackRegion = stack->GetLargestPossibleRegion();
  for (const auto & request : requests)
  {
    const std::string what = "stack request " + ToText(request.first) + " while merging " + ToText(request.second);
    if (!stackRegion.IsInside(request.first) || request.first.GetNumberOfPixels() == 0)
    {
      Fail(what + " is outside the stack " + ToText(stackRegion));
    }
    const auto first = static_cast<itk::SizeValueType>(request.first.GetIndex(VDimension));
    for (itk::SizeValueType k = first; k < first + request.first.GetSize(VDimension); ++k)
    {
      auto patch = grid.GetPatchRegion(k);
      if (!patch.Crop(request.second))
      {
        Fail(what + " holds patch " + std::to_string(k) + ", which does not overlap it");
      }
    }
  }
  CheckSomeIntegerOutput<VDimension>(data, c, stack.GetPointer(), grid);
}
} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t * bytes, std::size_t size)
{
  FuzzedDataProvider data(bytes, size);
  switch (data.ConsumeIntegralInRange<int>(1, 4))
  {
    case 1:
      RunCase<1>(data);
      break;
    case 2:
      RunCase<2>(data);
      break;
    case 3:
      RunCase<3>(data);
      break;
    default:
      RunCase<4>(data);
      break;
  }
  return 0;
}
