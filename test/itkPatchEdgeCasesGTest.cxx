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
// Inputs that are valid but unusual: empty requested regions, a direction
// matrix that is not orthonormal, images of a single voxel.
#include "itkPatchExtractor.h"
#include "itkPatchGridMetaData.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"
#include "itkSeparableGaussianWeighting.h"
#include "itkStreamingImageFilter.h"
#include "gtest/gtest.h"

namespace
{
using namespace PatchStreamingTest;

TEST(PatchEdgeCases, EmptyRequestedRegionsMeanTheWholeImageOrNothing)
{
  const auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 21, 17, 13 } }, 71, 1, { { 2, -1, 0 } });
  auto       extractor = MakeExtractor<ImageType>(image, { { 8, 6, 5 } }, { { 4, 2, 1 } }, BorderMode::Squeeze);
  itk::SizeValueType extractions = 0;
  extractor->AddObserver(itk::StartEvent(), [&extractions](const itk::EventObject &) { ++extractions; });
  auto weighting = itk::SeparableGaussianWeighting<StackType>::New();
  weighting->SetInput(extractor->GetOutput());
  auto merger = itk::PatchMerger<StackType>::New();
  merger->SetInput(weighting->GetOutput());
  merger->SetInputIsWeighted(true);
  merger->SetWeighting(Weighting::Gaussian);
  merger->UpdateOutputInformation();
  const ImageType::RegionType empty(image->GetLargestPossibleRegion().GetIndex(), ImageType::SizeType{ { 21, 0, 13 } });

  // Handed straight to the pipeline, an empty output region pulls no patch and writes nothing.
  merger->GetOutput()->SetRequestedRegion(empty);
  merger->GetOutput()->PropagateRequestedRegion();
  EXPECT_NO_THROW(merger->GetOutput()->UpdateOutputData());
  EXPECT_EQ(merger->GetOutput()->GetBufferedRegion().GetNumberOfPixels(), 0u);
  EXPECT_EQ(extractions, 0u);

  // An empty stack region: the extractor and the weighting run on no patches.
  StackType::RegionType noPatches = extractor->GetOutput()->GetLargestPossibleRegion();
  noPatches.SetSize(3, 0);
  weighting->GetOutput()->SetRequestedRegion(noPatches);
  weighting->GetOutput()->PropagateRequestedRegion();
  EXPECT_NO_THROW(weighting->GetOutput()->UpdateOutputData());
  EXPECT_EQ(weighting->GetOutput()->GetBufferedRegion().GetNumberOfPixels(), 0u);

  // Through Update(), ITK reads a zero-size requested region as "not set"
  // (ImageBase::UpdateOutputInformation): the whole image, as for any ITK filter.
  merger->GetOutput()->SetRequestedRegion(empty);
  merger->Update();
  EXPECT_EQ(merger->GetOutput()->GetBufferedRegion(), image->GetLargestPossibleRegion());
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(image.GetPointer(),
                                                    merger->GetOutput(),
                                                    image->GetLargestPossibleRegion(),
                                                    PatchStreamingTest::WithinRelative(1e-6)),
            "");
}

TEST(PatchEdgeCases, NonOrthonormalDirectionIsCarriedThroughUnchanged)
{
  // ITK accepts any invertible direction matrix (a sheared acquisition, say):
  // the filters carry it and map patch starts through it like any other.
  auto image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 19, 14, 11 } }, 72, 1, { { -4, 3, 1 } });
  ImageType::DirectionType sheared;
  sheared(0, 0) = 1.0;
  sheared(0, 1) = 0.35;
  sheared(0, 2) = 0.0;
  sheared(1, 0) = 0.0;
  sheared(1, 1) = 0.9;
  sheared(1, 2) = -0.2;
  sheared(2, 0) = 0.25;
  sheared(2, 1) = 0.0;
  sheared(2, 2) = 1.3;
  image->SetDirection(sheared);
  auto extractor = MakeExtractor<ImageType>(image, { { 7, 6, 4 } }, { { 3, 2, 1 } }, BorderMode::Adaptive);
  extractor->Update();
  const auto & grid = extractor->GetPatchGrid();
  for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
  {
    ImageType::PointType expected;
    image->TransformIndexToPhysicalPoint(grid.GetPatchRegion(k).GetIndex(), expected);
    EXPECT_LT(expected.EuclideanDistanceTo(grid.GetPatchOrigin(k)), 1e-12) << "patch " << k;
  }
  itk::PatchGrid<3> fromMetaData;
  ASSERT_TRUE(itk::ExposePatchGrid(extractor->GetOutput()->GetMetaDataDictionary(), fromMetaData));
  EXPECT_EQ(fromMetaData, grid);

  auto merger = itk::PatchMerger<StackType>::New();
  merger->SetInput(extractor->GetOutput());
  merger->Update();
  const ImageType * merged = merger->GetOutput();
  EXPECT_EQ(merged->GetDirection(), sheared);
  EXPECT_EQ(merged->GetOrigin(), image->GetOrigin());
  EXPECT_EQ(merged->GetSpacing(), image->GetSpacing());
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(image.GetPointer(), merged, image->GetLargestPossibleRegion()), "");
}

/** A D-dimensional image of one voxel, cut into patches of 4 with overlap 2, comes back exactly. */
template <unsigned int VDimension>
void
ExpectOneVoxelRoundTrip()
{
  using OneVoxelImage = itk::Image<float, VDimension>;
  using OneVoxelStack = itk::Image<float, VDimension + 1>;
  const auto image = PatchStreamingTest::MakeRandomImage<OneVoxelImage>(
    OneVoxelImage::SizeType::Filled(1), 73, 1, OneVoxelImage::IndexType::Filled(5));
  const float voxel = image->GetPixel(image->GetLargestPossibleRegion().GetIndex());
  struct ModeCase
  {
    BorderMode mode;
    bool       padOverlap;
  };
  for (const ModeCase c : { ModeCase{ BorderMode::Squeeze, false },
                            ModeCase{ BorderMode::Edge, false },
                            ModeCase{ BorderMode::Adaptive, false },
                            ModeCase{ BorderMode::Crop, false },
                            ModeCase{ BorderMode::Pad, false },
                            ModeCase{ BorderMode::Pad, true } })
  {
    auto extractor = MakeExtractor<OneVoxelImage>(
      image, OneVoxelImage::SizeType::Filled(4), OneVoxelImage::SizeType::Filled(2), c.mode, c.padOverlap);
    extractor->SetPaddingValue(-7.0f);
    extractor->Update();
    // One patch; the voxel sits at its offset in it (1 with PadOverlap, else 0), padding elsewhere.
    const auto & grid = extractor->GetPatchGrid();
    ASSERT_EQ(grid.GetNumberOfPatches(), 1u) << itk::ToString(c.mode);
    typename OneVoxelStack::IndexType at;
    at.Fill(c.padOverlap ? 1 : 0);
    at[VDimension] = 0;
    EXPECT_EQ(extractor->GetOutput()->GetPixel(at), voxel);
    at[0] = 3;
    EXPECT_EQ(extractor->GetOutput()->GetPixel(at), -7.0f);

    for (const Weighting weighting : { Weighting::Average, Weighting::Gaussian, Weighting::Hann, Weighting::Crop })
    {
      auto merger = itk::PatchMerger<OneVoxelStack>::New();
      merger->SetInput(extractor->GetOutput());
      merger->SetWeighting(weighting);
      merger->Update();
      EXPECT_NEAR(
        merger->GetOutput()->GetPixel(image->GetLargestPossibleRegion().GetIndex()), voxel, 1e-6 * std::abs(voxel))
        << VDimension << "-D " << itk::ToString(c.mode) << (c.padOverlap ? "+PadOverlap " : " ")
        << itk::ToString(weighting);
    }
  }
}

TEST(PatchEdgeCases, OneVoxelImagesComeBackInEveryBorderModeAndDimension)
{
  ExpectOneVoxelRoundTrip<1>();
  ExpectOneVoxelRoundTrip<2>();
  ExpectOneVoxelRoundTrip<3>();
}
} // namespace
