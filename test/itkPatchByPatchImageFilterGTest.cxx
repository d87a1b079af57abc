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
// PatchByPatchImageFilter: per-patch smoothing merged with Crop equals
// smoothing the whole image; each patch carries its true geometry; channel
// counts may change; in-place and multi-filter inner pipelines; bad input.
#include "itkPatchByPatchImageFilter.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"
#include "itkSyntheticClassModelImageFilter.h"

#include "itkDiscreteGaussianImageFilter.h"
#include "itkGaussianOperator.h"
#include "itkImageFileReader.h"
#include "itkMultiplyImageFilter.h"
#include "itkNiftiImageIOFactory.h"
#include "itkShrinkImageFilter.h"
#include "gtest/gtest.h"

namespace
{
using namespace PatchStreamingTest;
using SmoothingType = itk::DiscreteGaussianImageFilter<ImageType, ImageType>;

/** The kernel radius DiscreteGaussianImageFilter uses along `axis` (it builds the same operator). */
unsigned int
SmoothingRadius(const ImageType * image, double variance, unsigned int axis)
{
  itk::GaussianOperator<float, 3> gaussian;
  gaussian.SetDirection(axis);
  gaussian.SetVariance(variance / (image->GetSpacing()[axis] * image->GetSpacing()[axis]));
  gaussian.SetMaximumError(0.01);
  gaussian.SetMaximumKernelWidth(32);
  gaussian.CreateDirectional();
  return static_cast<unsigned int>(gaussian.GetRadius(axis));
}

/** Smooths patch by patch with Crop weighting, overlap 2r+2 on each axis, and
 * expects the whole-image smoothing at every voxel. */
void
ExpectPerPatchSmoothingEqualsWholeImage(const ImageType * image, const ImageType::SizeType & patch, double variance)
{
  ImageType::SizeType overlap;
  for (unsigned int d = 0; d < 3; ++d)
  {
    overlap[d] = 2 * SmoothingRadius(image, variance, d) + 2;
    ASSERT_LT(overlap[d], patch[d]) << "axis " << d;
  }
  auto extractor = PatchStreamingTest::MakeExtractor<ImageType>(image, patch, overlap, BorderMode::Squeeze);
  auto smoothing = SmoothingType::New();
  smoothing->SetVariance(variance); // physical units, zero-flux boundary (the defaults)
  auto perPatch = itk::PatchByPatchImageFilter<StackType>::New();
  perPatch->SetInput(extractor->GetOutput());
  perPatch->SetFilter(smoothing);
  auto merger = itk::PatchMerger<StackType>::New();
  merger->SetInput(perPatch->GetOutput());
  merger->SetWeighting(Weighting::Crop);
  merger->Update();

  auto whole = SmoothingType::New();
  whole->SetInput(image);
  whole->SetVariance(variance);
  whole->Update();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(whole->GetOutput(),
                                                    merger->GetOutput(),
                                                    image->GetLargestPossibleRegion(),
                                                    PatchStreamingTest::WithinRelative(1e-5)),
            "");
  EXPECT_GT(extractor->GetPatchGrid().GetNumberOfPatches(), 8u);
}

TEST(PatchByPatchImageFilter, PerPatchSmoothingMergedWithCropEqualsSmoothingTheWholeT1Volume)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(PatchStreaming_T1_IMAGE);
  reader->Update();
  ExpectPerPatchSmoothingEqualsWholeImage(reader->GetOutput(), { { 40, 36, 24 } }, 9.0);
}

TEST(PatchByPatchImageFilter, PerPatchSmoothingMergedWithCropEqualsSmoothingAnOddObliqueVolume)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 47, 39, 29 } }, 61, 1, { { 3, -5, 2 } });
  ExpectPerPatchSmoothingEqualsWholeImage(image, { { 21, 19, 17 } }, 1.2);
}

TEST(PatchByPatchImageFilter, EachPatchHasItsPhysicalGeometryAndMayChangeTheChannelCount)
{
  // A pointwise model of intensity and physical position: per patch and merged
  // it must equal the model run on the whole image.
  using ProbabilitiesType = itk::VectorImage<float, 3>;
  using ProbabilityStackType = itk::VectorImage<float, 4>;
  using ModelType = itk::SyntheticClassModelImageFilter<ImageType, ProbabilitiesType>;
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 33, 27, 19 } }, 62, 1, { { -4, 0, 7 } });
  auto       extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 12, 10, 8 } }, { { 6, 4, 3 } }, BorderMode::Adaptive);
  auto model = ModelType::New();
  model->SetNumberOfClasses(5);
  model->SetIntensityRange(-64.0, 64.0);
  auto perPatch = itk::PatchByPatchImageFilter<StackType, ProbabilityStackType>::New();
  perPatch->SetInput(extractor->GetOutput());
  perPatch->SetFilter(model);
  itk::SizeValueType iterations = 0;
  perPatch->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { ++iterations; });
  auto merger = itk::PatchMerger<ProbabilityStackType, ProbabilitiesType>::New();
  merger->SetInput(perPatch->GetOutput()); // the grid comes through the metadata
  merger->SetWeighting(Weighting::Gaussian);
  merger->Update();
  EXPECT_EQ(iterations, extractor->GetPatchGrid().GetNumberOfPatches());
  ASSERT_EQ(merger->GetOutput()->GetNumberOfComponentsPerPixel(), 5u);
  // Updated again with nothing changed, nothing runs again (the output's 5 components were set
  // after the input's 1 at each UpdateOutputInformation, which marked it modified).
  const auto mergedAt = merger->GetOutput()->GetUpdateMTime();
  merger->Update();
  EXPECT_EQ(iterations, extractor->GetPatchGrid().GetNumberOfPatches());
  EXPECT_EQ(merger->GetOutput()->GetUpdateMTime(), mergedAt);

  auto whole = ModelType::New();
  whole->SetNumberOfClasses(5);
  whole->SetIntensityRange(-64.0, 64.0);
  whole->SetInput(image);
  whole->Update();
  itk::SizeValueType differing = 0;
  for (itk::ImageRegionConstIteratorWithIndex<ProbabilitiesType> it(whole->GetOutput(),
                                                                    image->GetLargestPossibleRegion());
       !it.IsAtEnd();
       ++it)
  {
    const auto merged = merger->GetOutput()->GetPixel(it.GetIndex());
    for (unsigned int c = 0; c < 5; ++c)
    {
      differing += std::abs(merged[c] - it.Get()[c]) <= 1e-5f ? 0 : 1;
    }
  }
  EXPECT_EQ(differing, 0u);
}

TEST(PatchByPatchImageFilter, InPlaceInnerFiltersAndMiniPipelinesWork)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 25, 18, 13 } }, 63);
  auto       extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 9, 8, 6 } }, { { 3, 2, 2 } }, BorderMode::Edge);
  extractor->Update();

  // Times 2, in place (it takes the patch buffer), then times 3 in a second filter: 6 v.
  using MultiplyType = itk::MultiplyImageFilter<ImageType, ImageType, ImageType>;
  auto twice = MultiplyType::New();
  twice->SetConstant(2.0f);
  twice->InPlaceOn();
  auto thrice = MultiplyType::New();
  thrice->SetInput(twice->GetOutput());
  thrice->SetConstant(3.0f);
  auto perPatch = itk::PatchByPatchImageFilter<StackType>::New();
  perPatch->SetInput(extractor->GetOutput());
  perPatch->SetInputFilter(twice);
  perPatch->SetOutputFilter(thrice);
  perPatch->InPlaceOff(); // keep the extractor's stack for the comparison
  perPatch->Update();
  const StackType * stack = extractor->GetOutput();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(stack,
                                                    perPatch->GetOutput(),
                                                    stack->GetLargestPossibleRegion(),
                                                    [](float v, float result) { return result == 6.0f * v; }),
            "");
  EXPECT_EQ(perPatch->GetOutput()->GetSpacing(), stack->GetSpacing());
  EXPECT_EQ(perPatch->GetOutput()->GetOrigin(), stack->GetOrigin());

  // In place, the result lands in the stack's own buffer.
  auto copy = PatchStreamingTest::PerturbedCopy<StackType>(stack);
  copy->SetMetaDataDictionary(stack->GetMetaDataDictionary());
  const float * copyBuffer = copy->GetBufferPointer();
  const auto    expected = PatchStreamingTest::PerturbedCopy<StackType>(stack);
  auto          inPlace = itk::PatchByPatchImageFilter<StackType>::New();
  inPlace->SetInput(copy);
  inPlace->SetInputFilter(twice);
  inPlace->SetOutputFilter(thrice);
  inPlace->Update();
  EXPECT_EQ(inPlace->GetOutput()->GetBufferPointer(), copyBuffer);
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(expected.GetPointer(),
                                                    inPlace->GetOutput(),
                                                    stack->GetLargestPossibleRegion(),
                                                    [](float v, float result) { return result == 6.0f * v; }),
            "");

  // A request for some patches computes just those, whole.
  auto partial = itk::PatchByPatchImageFilter<StackType>::New();
  auto single = MultiplyType::New();
  single->SetConstant(-1.0f);
  partial->SetInput(extractor->GetOutput());
  partial->SetFilter(single);
  partial->InPlaceOff();
  itk::SizeValueType iterations = 0;
  partial->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { ++iterations; });
  auto request = stack->GetLargestPossibleRegion();
  request.SetIndex(3, 4);
  request.SetSize(3, 3);
  request.SetSize(0, 2); // grows to the whole patch
  partial->GetOutput()->SetRequestedRegion(request);
  partial->GetOutput()->Update();
  EXPECT_EQ(iterations, 3u);
  request.SetSize(0, stack->GetLargestPossibleRegion().GetSize(0));
  EXPECT_EQ(partial->GetOutput()->GetBufferedRegion(), request);
}

/** helper-80: a parameter of the inner pipeline set after an update was ignored, the old output
 * kept (as ITK's SliceBySliceImageFilter keeps it). The patches are computed again after such a
 * change, and only then: here the constant of a MultiplyImageFilter, held as one of its inputs. */
TEST(PatchByPatchImageFilter, AChangeOfTheInnerPipelineComputesThePatchesAgainAndNothingElseDoes)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 13, 11, 9 } }, 5);
  auto       extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 6, 5, 4 } }, { { 2, 1, 1 } }, BorderMode::Squeeze);
  auto multiply = itk::MultiplyImageFilter<ImageType, ImageType, ImageType>::New();
  multiply->SetConstant(2.0f);
  auto perPatch = itk::PatchByPatchImageFilter<StackType>::New();
  perPatch->SetInput(extractor->GetOutput());
  perPatch->SetFilter(multiply);
  itk::SizeValueType iterations = 0;
  perPatch->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { ++iterations; });
  auto merger = itk::PatchMerger<StackType>::New();
  merger->SetInput(perPatch->GetOutput());
  merger->SetWeighting(Weighting::Crop);
  merger->Update();
  const auto patches = extractor->GetPatchGrid().GetNumberOfPatches();
  ASSERT_EQ(iterations, patches);
  merger->Update();
  EXPECT_EQ(iterations, patches);
  multiply->SetConstant(3.0f);
  merger->Update();
  EXPECT_EQ(iterations, 2 * patches);
  for (itk::ImageRegionConstIteratorWithIndex<ImageType> it(image, image->GetLargestPossibleRegion()); !it.IsAtEnd();
       ++it)
  {
    ASSERT_EQ(merger->GetOutput()->GetPixel(it.GetIndex()), 3.0f * it.Get()) << it.GetIndex();
  }
  merger->Update();
  EXPECT_EQ(iterations, 2 * patches);
  // A data object the inner filter reads besides the patch, changed without touching the filter
  // (helper-82: the inner filter's own inputs were not looked at).
  auto constant = itk::SimpleDataObjectDecorator<float>::New();
  constant->Set(4.0f);
  multiply->SetInput2(constant);
  merger->Update();
  EXPECT_EQ(iterations, 3 * patches);
  constant->Set(5.0f);
  merger->Update();
  EXPECT_EQ(iterations, 4 * patches);
  EXPECT_EQ(merger->GetOutput()->GetPixel(image->GetLargestPossibleRegion().GetIndex()),
            5.0f * image->GetPixel(image->GetLargestPossibleRegion().GetIndex()));
}

TEST(PatchByPatchImageFilter, BadInputThrowsNamingTheProblem)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 20, 16, 12 } }, 64);
  auto       extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(image, { { 8, 8, 6 } }, { { 4, 4, 2 } }, BorderMode::Edge);

  auto noFilter = itk::PatchByPatchImageFilter<StackType>::New();
  noFilter->SetInput(extractor->GetOutput());
  PatchStreamingTest::ExpectExceptionMentioning([&] { noFilter->Update(); }, "InputFilter is not set");

  auto shrink = itk::ShrinkImageFilter<ImageType, ImageType>::New();
  shrink->SetShrinkFactors(2);
  auto resizing = itk::PatchByPatchImageFilter<StackType>::New();
  resizing->SetInput(extractor->GetOutput());
  resizing->SetFilter(shrink);
  PatchStreamingTest::ExpectExceptionMentioning([&] { resizing->Update(); }, "it must keep the patch size");

  auto perPatch = itk::PatchByPatchImageFilter<StackType>::New();
  PatchStreamingTest::ExpectExceptionMentioning([&] { perPatch->SetInputFilter(nullptr); },
                                                "InputFilter cannot be nullptr");
  PatchStreamingTest::ExpectExceptionMentioning([&] { perPatch->SetFilter(nullptr); }, "SetFilter needs a filter");
}
} // namespace
