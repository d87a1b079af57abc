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
// Mask-restricted grids: the kept patches against brute force, the grid's
// metadata, skipped patches never requested, merges equal to the unmasked
// result where kept patches reach, background elsewhere, streaming.
#include "itkPatchByPatchImageFilter.h"
#include "itkPatchExtractor.h"
#include "itkPatchGridMetaData.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkMultiplyImageFilter.h"
#include "itkStreamingImageFilter.h"
#include "gtest/gtest.h"

#include <set>

namespace
{
using namespace PatchStreamingTest;
using MaskType = itk::Image<unsigned char, 3>;

/** Foreground: a ball in one corner and one stray voxel far from it. */
MaskType::Pointer
MakeMask(const ImageType * image)
{
  auto       mask = PatchStreamingTest::MakeImageLike<MaskType>(image, true);
  const auto start = image->GetLargestPossibleRegion().GetIndex();
  for (itk::ImageRegionIteratorWithIndex<MaskType> it(mask, mask->GetBufferedRegion()); !it.IsAtEnd(); ++it)
  {
    double distance = 0.0;
    for (unsigned int d = 0; d < 3; ++d)
    {
      const double offset = static_cast<double>(it.GetIndex()[d] - start[d]) - 6.0;
      distance += offset * offset;
    }
    it.Set(distance < 30.0 ? 1 : 0);
  }
  auto stray = image->GetLargestPossibleRegion().GetUpperIndex();
  stray[1] -= 3;
  mask->SetPixel(stray, 7);
  return mask;
}

struct MaskedPipeline
{
  ImageType::Pointer                      image;
  MaskType::Pointer                       mask;
  itk::PatchExtractor<ImageType>::Pointer extractor;
};

MaskedPipeline
MakeMaskedPipeline()
{
  MaskedPipeline p;
  p.image = PatchStreamingTest::MakeRandomImage<ImageType>({ { 37, 29, 25 } }, 91, 1, { { 2, -3, 5 } });
  p.mask = MakeMask(p.image);
  p.extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(p.image, { { 10, 9, 8 } }, { { 5, 4, 4 } }, BorderMode::Squeeze);
  p.extractor->SetMaskImage(p.mask);
  p.extractor->UpdateOutputInformation();
  return p;
}

TEST(PatchMaskedGrid, KeptPatchesAreThoseWithAForegroundVoxel)
{
  const MaskedPipeline p = MakeMaskedPipeline();
  const auto &         grid = p.extractor->GetPatchGrid();
  ASSERT_TRUE(grid.HasSkippedPatches());
  itk::SizeValueType kept = 0;
  for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
  {
    bool foreground = false;
    for (itk::ImageRegionConstIterator<MaskType> it(p.mask, grid.GetValidPatchRegion(k)); !it.IsAtEnd(); ++it)
    {
      foreground = foreground || it.Get() != 0;
    }
    EXPECT_EQ(grid.IsPatchKept(k), foreground) << "patch " << k;
    kept += foreground ? 1 : 0;
  }
  EXPECT_EQ(grid.GetNumberOfKeptPatches(), kept);
  EXPECT_GT(kept, 1u);
  EXPECT_LT(kept, grid.GetNumberOfPatches() / 2);

  // The kept set travels in the stack's metadata.
  itk::PatchGrid<3> fromMetaData;
  ASSERT_TRUE(itk::ExposePatchGrid(p.extractor->GetOutput()->GetMetaDataDictionary(), fromMetaData));
  EXPECT_EQ(fromMetaData, grid);
  // ... and a corrupt run is named.
  itk::MetaDataDictionary corrupt = p.extractor->GetOutput()->GetMetaDataDictionary();
  itk::EncapsulateMetaData<std::string>(corrupt, "PatchGrid_KeptPatches", "3-1");
  PatchStreamingTest::ExpectExceptionMentioning([&] { itk::ExposePatchGrid(corrupt, fromMetaData); },
                                                "PatchGrid_KeptPatches = \"3-1\"");
  // A mask of another size is refused.
  auto small = MaskType::New();
  small->CopyInformation(p.image); // same physical space, fewer voxels
  small->SetRegions(MaskType::SizeType{ { 5, 5, 5 } });
  small->Allocate(true);
  auto extractor =
    PatchStreamingTest::MakeExtractor<ImageType>(p.image, { { 10, 9, 8 } }, { { 5, 4, 4 } }, BorderMode::Squeeze);
  extractor->SetMaskImage(small);
  PatchStreamingTest::ExpectExceptionMentioning([&] { extractor->UpdateOutputInformation(); }, "MaskImage region");
}

TEST(PatchMaskedGrid, SkippedPatchesAreNeverRequestedAndKeptRegionsMergeAsUnmasked)
{
  const MaskedPipeline p = MakeMaskedPipeline();
  const auto &         grid = p.extractor->GetPatchGrid();
  // A per-patch model that records every patch it processes.
  auto identity = itk::MultiplyImageFilter<ImageType, ImageType, ImageType>::New();
  identity->SetConstant(1.0f);
  auto perPatch = itk::PatchByPatchImageFilter<StackType>::New();
  perPatch->SetInput(p.extractor->GetOutput());
  perPatch->SetFilter(identity);
  std::multiset<itk::SizeValueType>  processed;
  std::vector<StackType::RegionType> requests;
  perPatch->AddObserver(itk::IterationEvent(),
                        [&](const itk::EventObject &) { processed.insert(perPatch->GetPatchNumber()); });
  p.extractor->AddObserver(itk::StartEvent(), [&](const itk::EventObject &) {
    requests.push_back(p.extractor->GetOutput()->GetRequestedRegion());
  });

  for (const Weighting weighting : { Weighting::Average, Weighting::Gaussian })
  {
    SCOPED_TRACE(itk::ToString(weighting));
    processed.clear();
    requests.clear();
    auto merger = itk::PatchMerger<StackType>::New();
    merger->SetInput(perPatch->GetOutput());
    merger->SetWeighting(weighting);
    merger->SetBackgroundValue(-999.0f);
    merger->Update();

    // Every kept patch processed once, no skipped one extracted or processed.
    EXPECT_EQ(processed.size(), grid.GetNumberOfKeptPatches());
    for (const auto k : processed)
    {
      EXPECT_TRUE(grid.IsPatchKept(k)) << "processed skipped patch " << k;
      EXPECT_EQ(processed.count(k), 1u) << "patch " << k;
    }
    for (const auto & request : requests)
    {
      for (itk::SizeValueType k = 0; k < request.GetSize(3); ++k)
      {
        EXPECT_TRUE(grid.IsPatchKept(static_cast<itk::SizeValueType>(request.GetIndex(3)) + k)) << request;
      }
    }
    // Inside the union of kept patches the round trip gives the image; elsewhere the background.
    itk::SizeValueType inside = 0;
    for (itk::ImageRegionConstIteratorWithIndex<ImageType> it(merger->GetOutput(), p.image->GetLargestPossibleRegion());
         !it.IsAtEnd();
         ++it)
    {
      bool covered = false;
      for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches() && !covered; ++k)
      {
        covered = grid.IsPatchKept(k) && grid.GetValidPatchRegion(k).IsInside(it.GetIndex());
      }
      inside += covered ? 1 : 0;
      const float expected = covered ? p.image->GetPixel(it.GetIndex()) : -999.0f;
      ASSERT_NEAR(it.Get(), expected, 1e-5f * std::max(1.0f, std::abs(expected))) << it.GetIndex();
    }
    EXPECT_GT(inside, 0u);
  }
}

TEST(PatchMaskedGrid, MaskedMergesStreamBitIdentically)
{
  const MaskedPipeline p = MakeMaskedPipeline();
  const auto           stack = PatchStreamingTest::PerturbedCopy<StackType>([&] {
    p.extractor->UpdateLargestPossibleRegion();
    return p.extractor->GetOutput();
  }());
  auto                 whole = itk::PatchMerger<StackType>::New();
  whole->SetInput(stack);
  whole->SetPatchGrid(p.extractor->GetPatchGrid());
  whole->SetWeighting(Weighting::Gaussian);
  whole->Update();
  for (const unsigned int divisions : { 3u, 7u })
  {
    auto merger = itk::PatchMerger<StackType>::New();
    merger->SetInput(stack);
    merger->SetPatchGrid(p.extractor->GetPatchGrid());
    merger->SetWeighting(Weighting::Gaussian);
    auto streamer = itk::StreamingImageFilter<ImageType, ImageType>::New();
    streamer->SetInput(merger->GetOutput());
    streamer->SetNumberOfStreamDivisions(divisions);
    streamer->Update();
    EXPECT_EQ(PatchStreamingTest::DescribeDifferences(
                whole->GetOutput(), streamer->GetOutput(), p.image->GetLargestPossibleRegion()),
              "")
      << divisions << " divisions";
  }
}
} // namespace
