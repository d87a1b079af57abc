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
// PatchMerger with MinimumWeightOnWindow: the Gaussian floored on the N-D window, as MONAI's
// compute_importance_map clamps its importance map, against a nested loop that builds MONAI's map
// literally (the product of unfloored Gaussians, raised to MinimumWeight) and sums full-size
// value and weight volumes.
#include "itkPatchExtractor.h"
#include "itkPatchMergeReference.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <sstream>

namespace
{
using namespace PatchStreamingTest;
using VectorImageType = itk::VectorImage<float, 3>;
using VectorStackType = itk::VectorImage<float, 4>;
using LabelType = itk::Image<unsigned char, 3>;

/** The Gaussian's parameters: MONAI's defaults unless a test says otherwise. */
struct Gaussian
{
  double sigmaScale{ 0.125 };
  double minimumWeight{ 1e-3 };
};

/** MONAI's importance-map weight of voxel `stackIndex` of its patch: prod_d exp(-(t-c)^2/(2 sigma^2))
 * over the patch's window lengths, then raised to MinimumWeight. */
double
ImportanceMapWeight(const itk::PatchGrid<3> & grid,
                    itk::SizeValueType        k,
                    const itk::Index<4> &     stackIndex,
                    const Gaussian &          gaussian)
{
  const auto gridIndex = grid.GetGridIndex(k);
  double     product = 1.0;
  for (unsigned int d = 0; d < 3; ++d)
  {
    const auto length =
      static_cast<double>(grid.GetAxisLayout(d).GetWindowLength(static_cast<itk::SizeValueType>(gridIndex[d])));
    if (static_cast<double>(stackIndex[d]) >= length) // Adaptive's padding: outside the window
    {
      return 0.0;
    }
    product *= ClosedFormGaussian(static_cast<double>(stackIndex[d]), length, gaussian.sigmaScale, 0.0);
  }
  return std::max(product, gaussian.minimumWeight);
}

/** sum_k w_k v_k / sum_k w_k per component, in double over full-size volumes, with MONAI's
 * weights; -1 where no patch reaches. */
VectorImageType::Pointer
ImportanceMapReference(const VectorStackType *   stack,
                       const itk::PatchGrid<3> & grid,
                       const VectorImageType *   like,
                       const Gaussian &          gaussian = {})
{
  const unsigned int  components = stack->GetNumberOfComponentsPerPixel();
  const auto          voxels = grid.GetImageRegion().GetNumberOfPixels();
  std::vector<double> sums(voxels * components, 0.0);
  std::vector<double> weights(voxels, 0.0);
  auto                merged = MakeImageLike<VectorImageType>(like, false);
  for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
  {
    const auto patchStart = grid.GetPatchRegion(k).GetIndex();
    for (const auto & x : itk::ImageRegionIndexRange<3>(grid.GetValidPatchRegion(k)))
    {
      itk::Index<4> stackIndex;
      for (unsigned int d = 0; d < 3; ++d)
      {
        stackIndex[d] = x[d] - patchStart[d];
      }
      stackIndex[3] = static_cast<itk::IndexValueType>(k);
      const double weight = ImportanceMapWeight(grid, k, stackIndex, gaussian);
      const auto   offset = merged->ComputeOffset(x);
      const auto   value = stack->GetPixel(stackIndex);
      for (unsigned int c = 0; c < components; ++c)
      {
        sums[offset * components + c] += weight * value[c];
      }
      weights[offset] += weight;
    }
  }
  float * buffer = merged->GetBufferPointer();
  for (itk::SizeValueType v = 0; v < voxels; ++v)
  {
    for (unsigned int c = 0; c < components; ++c)
    {
      buffer[v * components + c] = weights[v] > 0.0 ? static_cast<float>(sums[v * components + c] / weights[v]) : -1.0f;
    }
  }
  return merged;
}

/** The merge of `stack` into TOutput with the Gaussian floored on the N-D window (or per axis),
 * in `divisions` pieces with `workUnits` work units. */
template <typename TOutput>
typename TOutput::Pointer
MergeFlooredOnTheWindow(const VectorStackType *   stack,
                        const itk::PatchGrid<3> & grid,
                        unsigned int              divisions,
                        unsigned int              workUnits,
                        bool                      onWindow = true,
                        const Gaussian &          gaussian = {})
{
  auto merger = itk::PatchMerger<VectorStackType, TOutput>::New();
  merger->SetInput(stack);
  merger->SetPatchGrid(grid);
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
  merger->SetSigmaScale(gaussian.sigmaScale);
  merger->SetMinimumWeight(gaussian.minimumWeight);
  merger->SetMinimumWeightOnWindow(onWindow);
  merger->SetNumberOfWorkUnits(workUnits);
  auto streamer = itk::StreamingImageFilter<TOutput, TOutput>::New();
  streamer->SetInput(merger->GetOutput());
  streamer->SetNumberOfStreamDivisions(divisions);
  streamer->Update();
  typename TOutput::Pointer output = streamer->GetOutput();
  output->DisconnectPipeline();
  return output;
}

/** The differing patches of a 2-component image of odd size, anisotropic spacing and an oblique
 * direction: the extractor's stack plus (k mod 5)/8, held in memory. */
struct DifferingPatches
{
  VectorImageType::Pointer image;
  VectorStackType::Pointer stack;
  itk::PatchGrid<3>        grid;
};

DifferingPatches
MakeDifferingPatches(itk::PatchStreamingEnums::BorderMode mode)
{
  DifferingPatches patches;
  patches.image = MakeRandomImage<VectorImageType>({ { 31, 22, 17 } }, 71, 2, { { 3, -2, 0 } });
  auto extractor = itk::PatchExtractor<VectorImageType, VectorStackType>::New();
  extractor->SetInput(patches.image);
  extractor->SetPatchSize({ { 11, 9, 7 } });
  extractor->SetPatchOverlap({ { 6, 4, 3 } });
  extractor->SetBorderMode(mode);
  extractor->Update();
  patches.grid = extractor->GetPatchGrid();
  patches.stack = extractor->GetOutput();
  patches.stack->DisconnectPipeline();
  float *    buffer = patches.stack->GetBufferPointer();
  const auto patchVoxels = patches.stack->GetLargestPossibleRegion().GetNumberOfPixels() /
                           patches.stack->GetLargestPossibleRegion().GetSize(3);
  for (itk::SizeValueType v = 0; v < patches.stack->GetLargestPossibleRegion().GetNumberOfPixels(); ++v)
  {
    buffer[2 * v] += static_cast<float>((v / patchVoxels) % 5) / 8.0f;
    buffer[2 * v + 1] -= static_cast<float>((v / patchVoxels) % 3) / 4.0f;
  }
  return patches;
}

TEST(PatchMergerImportanceMap, TheWindowFlooredAsMONAIsImportanceMapEqualsItsNestedLoop)
{
  using BorderMode = itk::PatchStreamingEnums::BorderMode;
  for (const BorderMode mode : { BorderMode::Squeeze, BorderMode::Edge, BorderMode::Adaptive, BorderMode::Pad })
  {
    SCOPED_TRACE(itk::ToString(mode));
    const auto patches = MakeDifferingPatches(mode);
    const auto reference = ImportanceMapReference(patches.stack, patches.grid, patches.image);
    const auto merged = MergeFlooredOnTheWindow<VectorImageType>(patches.stack, patches.grid, 1, 1);
    const auto region = patches.image->GetLargestPossibleRegion();
    const auto within = [](const auto & expected, const auto & actual) {
      return std::abs(actual[0] - expected[0]) <= 2e-6 * std::max(std::abs(expected[0]), 1.0f) &&
             std::abs(actual[1] - expected[1]) <= 2e-6 * std::max(std::abs(expected[1]), 1.0f);
    };
    EXPECT_EQ(DescribeDifferences(reference.GetPointer(), merged.GetPointer(), region, within), "");
    EXPECT_EQ(merged->GetSpacing(), patches.image->GetSpacing());
    EXPECT_EQ(merged->GetOrigin(), patches.image->GetOrigin());
    EXPECT_EQ(merged->GetDirection(), patches.image->GetDirection());
    // The floor on the window is not the floor per axis: most of these voxels differ.
    const auto perAxis = MergeFlooredOnTheWindow<VectorImageType>(patches.stack, patches.grid, 1, 1, false);
    EXPECT_NE(DescribeDifferences(reference.GetPointer(), perAxis.GetPointer(), region, within), "");
    // Any streaming split and any number of work units: bit-identical.
    const auto streamed = MergeFlooredOnTheWindow<VectorImageType>(patches.stack, patches.grid, 5, 3);
    EXPECT_EQ(DescribeDifferences(merged.GetPointer(), streamed.GetPointer(), region), "");
  }
}

/** A narrow Gaussian with a tiny floor: every weight is at least the floor on the window, 1e-20,
 * far above float's min / epsilon, so it merges as MONAI's map says (helper-98: it was refused
 * for the per axis rule, the product of the axes' smallest weights, 1e-60). Per axis, the same
 * parameters are refused, and on the window a floor below min / epsilon is refused naming the
 * floor it needs. */
TEST(PatchMergerImportanceMap, ANarrowGaussianWithATinyFloorOnTheWindowMergesAsItsNestedLoop)
{
  const auto     patches = MakeDifferingPatches(itk::PatchStreamingEnums::BorderMode::Edge);
  const Gaussian narrow{ 0.01, 1e-20 };
  const auto     reference = ImportanceMapReference(patches.stack, patches.grid, patches.image, narrow);
  const auto     merged = MergeFlooredOnTheWindow<VectorImageType>(patches.stack, patches.grid, 3, 2, true, narrow);
  const auto     within = [](const auto & expected, const auto & actual) {
    return std::abs(actual[0] - expected[0]) <= 2e-6 * std::max(std::abs(expected[0]), 1.0f) &&
           std::abs(actual[1] - expected[1]) <= 2e-6 * std::max(std::abs(expected[1]), 1.0f);
  };
  EXPECT_EQ(
    DescribeDifferences(reference.GetPointer(), merged.GetPointer(), patches.image->GetLargestPossibleRegion(), within),
    "");
  ExpectExceptionMentioning(
    [&] { MergeFlooredOnTheWindow<VectorImageType>(patches.stack, patches.grid, 1, 1, false, narrow); },
    "a product over 3 axes, is 1e-60");
  ExpectExceptionMentioning(
    [&] {
      MergeFlooredOnTheWindow<VectorImageType>(patches.stack, patches.grid, 1, 1, true, { 0.01, 1e-40 });
    },
    "MinimumWeight = 1e-40): the smallest window weight, with MinimumWeight on the window, is 1e-40, below "
    "9.86076e-32, "
    "the smallest weight whose weighted values keep the precision of the stack's float (min / epsilon); raise "
    "MinimumWeight to at least 9.87e-32, or SigmaScale");
}

TEST(PatchMergerImportanceMap, TheLabelMapIsTheFirstLargestOfTheMergedComponents)
{
  const auto patches = MakeDifferingPatches(itk::PatchStreamingEnums::BorderMode::Squeeze);
  const auto reference = ImportanceMapReference(patches.stack, patches.grid, patches.image);
  for (const unsigned int divisions : { 1u, 4u })
  {
    const auto labels = MergeFlooredOnTheWindow<LabelType>(patches.stack, patches.grid, divisions, 2);
    for (itk::ImageRegionConstIteratorWithIndex<LabelType> it(labels, labels->GetLargestPossibleRegion());
         !it.IsAtEnd();
         ++it)
    {
      const auto expected = reference->GetPixel(it.GetIndex());
      ASSERT_EQ(it.Get(), expected[1] > expected[0] ? 1 : 0) << it.GetIndex() << " " << expected;
    }
  }
}

TEST(PatchMergerImportanceMap, IsRefusedWithAWeightedStackAndPrinted)
{
  const auto patches = MakeDifferingPatches(itk::PatchStreamingEnums::BorderMode::Squeeze);
  auto       merger = itk::PatchMerger<VectorStackType, VectorImageType>::New();
  merger->SetInput(patches.stack);
  merger->SetPatchGrid(patches.grid);
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
  merger->MinimumWeightOnWindowOn();
  merger->InputIsWeightedOn();
  ExpectExceptionMentioning([&] { merger->Update(); }, "MinimumWeightOnWindow is on with InputIsWeighted");
  std::ostringstream printed;
  merger->Print(printed);
  EXPECT_NE(printed.str().find("MinimumWeightOnWindow: On"), std::string::npos);
  // Only a Gaussian has a floor: another weighting with the flag on is that weighting, unchanged.
  merger->InputIsWeightedOff();
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Hann);
  merger->Update();
  auto plain = itk::PatchMerger<VectorStackType, VectorImageType>::New();
  plain->SetInput(patches.stack);
  plain->SetPatchGrid(patches.grid);
  plain->SetWeighting(itk::PatchStreamingEnums::Weighting::Hann);
  plain->Update();
  EXPECT_EQ(DescribeDifferences(plain->GetOutput(), merger->GetOutput(), patches.image->GetLargestPossibleRegion()),
            "");
}
} // namespace
