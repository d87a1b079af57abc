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
// ComponentArgmaxImageFilter: labels against a nested loop, ties, NaN, the
// output type's range, and argmax of streamed merged probabilities.
#include "itkComponentArgmaxImageFilter.h"
#include "itkPatchByPatchImageFilter.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"
#include "itkSyntheticClassModelImageFilter.h"

#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <limits>

namespace
{
using namespace PatchStreamingTest;
using ProbabilitiesType = itk::VectorImage<float, 3>;
using LabelType = itk::Image<unsigned char, 3>;

/** The nested-loop argmax: the first largest component. */
LabelType::Pointer
ReferenceArgmax(const ProbabilitiesType * probabilities)
{
  auto labels = PatchStreamingTest::MakeImageLike<LabelType>(probabilities, false);
  for (itk::ImageRegionIteratorWithIndex<LabelType> it(labels, labels->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    const auto   pixel = probabilities->GetPixel(it.GetIndex());
    unsigned int best = 0;
    for (unsigned int c = 1; c < pixel.GetSize(); ++c)
    {
      best = pixel[c] > pixel[best] ? c : best;
    }
    it.Set(static_cast<unsigned char>(best));
  }
  return labels;
}

TEST(ComponentArgmaxImageFilter, LabelsAreTheFirstLargestComponent)
{
  auto scores = PatchStreamingTest::MakeRandomImage<ProbabilitiesType>({ { 17, 12, 9 } }, 71, 6);
  // Ties: every component of one voxel equal, and a tie between 2 and 4.
  ProbabilitiesType::PixelType tie(6);
  tie.Fill(1.5f);
  scores->SetPixel({ { 0, 0, 0 } }, tie);
  tie[2] = 9.0f;
  tie[4] = 9.0f;
  scores->SetPixel({ { 1, 0, 0 } }, tie);
  // NaN never wins; all NaN gives 0.
  ProbabilitiesType::PixelType nans(6);
  nans.Fill(std::numeric_limits<float>::quiet_NaN());
  nans[3] = -1.0f;
  scores->SetPixel({ { 2, 0, 0 } }, nans);
  nans[3] = std::numeric_limits<float>::quiet_NaN();
  scores->SetPixel({ { 3, 0, 0 } }, nans);

  auto argmax = itk::ComponentArgmaxImageFilter<ProbabilitiesType>::New();
  argmax->SetInput(scores);
  argmax->Update();
  const LabelType * labels = argmax->GetOutput();
  EXPECT_EQ(labels->GetPixel({ { 0, 0, 0 } }), 0);
  EXPECT_EQ(labels->GetPixel({ { 1, 0, 0 } }), 2);
  EXPECT_EQ(labels->GetPixel({ { 2, 0, 0 } }), 3);
  EXPECT_EQ(labels->GetPixel({ { 3, 0, 0 } }), 0);
  auto clean = PatchStreamingTest::MakeRandomImage<ProbabilitiesType>({ { 17, 12, 9 } }, 71, 6);
  argmax->SetInput(clean);
  argmax->Update();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
              ReferenceArgmax(clean).GetPointer(), argmax->GetOutput(), clean->GetLargestPossibleRegion()),
            "");
  EXPECT_EQ(argmax->GetOutput()->GetSpacing(), clean->GetSpacing());
  EXPECT_EQ(argmax->GetOutput()->GetDirection(), clean->GetDirection());

  // Image<Vector> input too.
  using VectorImageType = itk::Image<itk::Vector<double, 3>, 2>;
  const auto vectors = PatchStreamingTest::MakeRandomImage<VectorImageType>({ { 11, 7 } }, 72, 3);
  auto       vectorArgmax = itk::ComponentArgmaxImageFilter<VectorImageType>::New();
  vectorArgmax->SetInput(vectors);
  vectorArgmax->Update();
  for (itk::ImageRegionConstIteratorWithIndex<VectorImageType> it(vectors, vectors->GetBufferedRegion()); !it.IsAtEnd();
       ++it)
  {
    const auto & v = it.Get();
    const int    expected = v[0] >= v[1] ? (v[0] >= v[2] ? 0 : 2) : (v[1] >= v[2] ? 1 : 2);
    ASSERT_EQ(vectorArgmax->GetOutput()->GetPixel(it.GetIndex()), expected) << it.GetIndex();
  }
}

TEST(ComponentArgmaxImageFilter, TooManyClassesForTheLabelTypeThrows)
{
  const auto scores = PatchStreamingTest::MakeRandomImage<ProbabilitiesType>({ { 4, 3, 2 } }, 73, 300);
  auto       argmax = itk::ComponentArgmaxImageFilter<ProbabilitiesType>::New();
  argmax->SetInput(scores);
  PatchStreamingTest::ExpectExceptionMentioning([&] { argmax->Update(); }, "the input has 300 components");
  auto wide = itk::ComponentArgmaxImageFilter<ProbabilitiesType, itk::Image<unsigned short, 3>>::New();
  wide->SetInput(scores);
  EXPECT_NO_THROW(wide->Update());
}

TEST(ComponentArgmaxImageFilter, ArgmaxOfStreamedMergedProbabilitiesEqualsArgmaxOfTheFullMerge)
{
  using ProbabilityStackType = itk::VectorImage<float, 4>;
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 41, 30, 26 } }, 74);
  auto       extractor = PatchStreamingTest::MakeExtractor<ImageType>(
    image, { { 14, 12, 10 } }, { { 7, 6, 5 } }, itk::PatchStreamingEnums::BorderMode::Squeeze);
  auto model = itk::SyntheticClassModelImageFilter<ImageType, ProbabilitiesType>::New();
  model->SetNumberOfClasses(7);
  model->SetIntensityRange(-64.0, 64.0);
  auto perPatch = itk::PatchByPatchImageFilter<itk::Image<float, 4>, ProbabilityStackType>::New();
  perPatch->SetInput(extractor->GetOutput());
  perPatch->SetFilter(model);
  auto merger = itk::PatchMerger<ProbabilityStackType, ProbabilitiesType>::New();
  merger->SetInput(perPatch->GetOutput());
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
  merger->Update();
  const auto reference = ReferenceArgmax(merger->GetOutput());

  auto argmax = itk::ComponentArgmaxImageFilter<ProbabilitiesType>::New();
  argmax->SetInput(merger->GetOutput());
  auto streamer = itk::StreamingImageFilter<LabelType, LabelType>::New();
  streamer->SetInput(argmax->GetOutput());
  streamer->SetNumberOfStreamDivisions(6);
  itk::SizeValueType largestRequest = 0;
  argmax->AddObserver(itk::StartEvent(), [&](const itk::EventObject &) {
    largestRequest = std::max(largestRequest, merger->GetOutput()->GetRequestedRegion().GetNumberOfPixels());
  });
  merger->Modified(); // merge again, streamed
  streamer->Update();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
              reference.GetPointer(), streamer->GetOutput(), image->GetLargestPossibleRegion()),
            "");
  // The argmax asked the merger for one division at a time, never all C channels of the image.
  EXPECT_LE(largestRequest, image->GetLargestPossibleRegion().GetNumberOfPixels() / 5);
}
} // namespace
