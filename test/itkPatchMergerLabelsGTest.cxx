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
// PatchMerger with a label output (a C-component stack merged into a scalar
// integer image): each voxel's label is the first largest of its merged
// components as PatchMerger's C-component output holds them (a nested loop
// here, NaN never winning), BackgroundValue where no kept patch reaches (found
// here from the grid's patch regions); streamed in divisions and on two
// threads, from a streamed stack and from one in memory, with a
// mask-restricted grid, NaN in the input, 2-D and 3-D, 300 classes.
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <string>

namespace
{
using BorderMode = itk::PatchStreamingEnums::BorderMode;
using Weighting = itk::PatchStreamingEnums::Weighting;

struct LabelCase
{
  BorderMode   border;
  Weighting    weighting;
  unsigned int divisions;
  unsigned int workUnits;
  /** The stack is computed and held whole before the merge (the row-by-row merge), else streamed line by line. */
  bool inMemory{ false };
  /** Patches with no voxel inside the central box are skipped (the weights are summed). */
  bool masked{ false };
  /** Component 1 of every 7th voxel is NaN. */
  bool withNaN{ false };
};

std::string
Describe(const LabelCase & c)
{
  std::ostringstream text;
  text << "border " << c.border << ", weighting " << c.weighting << ", " << c.divisions << " divisions, " << c.workUnits
       << " work units" << (c.inMemory ? ", stack in memory" : "") << (c.masked ? ", masked" : "")
       << (c.withNaN ? ", NaN" : "");
  return text.str();
}

/** The first largest component that is not NaN (0 when all are). */
template <typename TPixel>
unsigned int
FirstLargest(const TPixel & pixel)
{
  int best = -1;
  for (unsigned int c = 0; c < pixel.GetSize(); ++c)
  {
    if (!std::isnan(pixel[c]) && (best < 0 || pixel[c] > pixel[static_cast<unsigned int>(best)]))
    {
      best = static_cast<int>(c);
    }
  }
  return best < 0 ? 0u : static_cast<unsigned int>(best);
}

template <unsigned int N, typename TLabel>
class LabelPipeline
{
public:
  using ImageType = itk::VectorImage<float, N>;
  using StackType = itk::VectorImage<float, N + 1>;
  using LabelType = itk::Image<TLabel, N>;
  using MaskType = itk::Image<unsigned char, N>;
  using ExtractorType = itk::PatchExtractor<ImageType, StackType, MaskType>;

  LabelPipeline(const typename ImageType::SizeType & size,
                const typename ImageType::SizeType & patch,
                const typename ImageType::SizeType & overlap,
                unsigned int                         components,
                const LabelCase &                    c)
    : m_Case(c)
  {
    m_Image = PatchStreamingTest::MakeRandomImage<ImageType>(size, 61, components);
    if (c.withNaN)
    {
      float * buffer = m_Image->GetBufferPointer();
      for (itk::SizeValueType v = 0; v < m_Image->GetBufferedRegion().GetNumberOfPixels(); v += 7)
      {
        buffer[v * components + 1] = std::numeric_limits<float>::quiet_NaN();
      }
    }
    m_Extractor = ExtractorType::New();
    m_Extractor->SetInput(m_Image);
    m_Extractor->SetPatchSize(patch);
    m_Extractor->SetPatchOverlap(overlap);
    m_Extractor->SetBorderMode(c.border);
    if (c.masked)
    {
      m_Extractor->SetMaskImage(this->MakeCentralBox());
    }
    m_Extractor->UpdateOutputInformation();
  }

  /** The stack the mergers read: the extractor's output, or a copy of it in memory. */
  const StackType *
  GetStack()
  {
    if (!m_Case.inMemory)
    {
      return m_Extractor->GetOutput();
    }
    if (m_Held.IsNull())
    {
      m_Extractor->Update();
      m_Held = m_Extractor->GetOutput();
      m_Held->DisconnectPipeline();
    }
    return m_Held;
  }

  template <typename TOutput>
  typename itk::PatchMerger<StackType, TOutput>::Pointer
  MakeMerger()
  {
    auto merger = itk::PatchMerger<StackType, TOutput>::New();
    merger->SetInput(this->GetStack());
    merger->SetWeighting(m_Case.weighting);
    merger->SetNumberOfWorkUnits(m_Case.workUnits);
    return merger;
  }

  /** The nested-loop reference: the unfused merge's components, their first largest, and
   * `background` where no kept patch's valid region reaches. */
  typename LabelType::Pointer
  MakeReference(TLabel background, itk::SizeValueType & nonFinite)
  {
    auto merger = this->template MakeMerger<ImageType>();
    merger->Update();
    nonFinite = merger->GetNumberOfNonFiniteValues();
    const ImageType * merged = merger->GetOutput();
    auto              labels = PatchStreamingTest::MakeImageLike<LabelType>(merged, true);
    auto              covered = PatchStreamingTest::MakeImageLike<MaskType>(merged, true);
    const auto &      grid = m_Extractor->GetPatchGrid();
    for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
    {
      for (itk::ImageRegionIterator<MaskType> it(covered, grid.GetValidPatchRegion(k));
           grid.IsPatchKept(k) && !it.IsAtEnd();
           ++it)
      {
        it.Set(1);
      }
    }
    for (itk::ImageRegionIteratorWithIndex<LabelType> it(labels, labels->GetBufferedRegion()); !it.IsAtEnd(); ++it)
    {
      const bool isCovered = covered->GetPixel(it.GetIndex()) != 0;
      it.Set(isCovered ? static_cast<TLabel>(FirstLargest(merged->GetPixel(it.GetIndex()))) : background);
    }
    return labels;
  }

  const ImageType *
  GetImage() const
  {
    return m_Image;
  }

private:
  /** Foreground in the middle third of every axis. */
  typename MaskType::Pointer
  MakeCentralBox() const
  {
    auto mask = PatchStreamingTest::MakeImageLike<MaskType>(m_Image, true);
    auto box = m_Image->GetLargestPossibleRegion();
    for (unsigned int d = 0; d < N; ++d)
    {
      box.SetIndex(d, box.GetIndex(d) + static_cast<itk::IndexValueType>(box.GetSize(d) / 3));
      box.SetSize(d, std::max<itk::SizeValueType>(box.GetSize(d) / 3, 1));
    }
    for (itk::ImageRegionIterator<MaskType> it(mask, box); !it.IsAtEnd(); ++it)
    {
      it.Set(1);
    }
    return mask;
  }

  LabelCase                       m_Case;
  typename ImageType::Pointer     m_Image;
  typename ExtractorType::Pointer m_Extractor;
  typename StackType::Pointer     m_Held;
};

template <unsigned int N, typename TLabel = unsigned char>
void
ExpectLabelsOfTheMergedComponents(const typename itk::Size<N> & size,
                                  const typename itk::Size<N> & patch,
                                  const typename itk::Size<N> & overlap,
                                  unsigned int                  components,
                                  const LabelCase &             c)
{
  SCOPED_TRACE(Describe(c));
  constexpr TLabel         Background = 7;
  LabelPipeline<N, TLabel> p(size, patch, overlap, components, c);
  itk::SizeValueType       expectedNonFinite = 0;
  const auto               reference = p.MakeReference(Background, expectedNonFinite);
  using LabelType = typename LabelPipeline<N, TLabel>::LabelType;
  auto merger = p.template MakeMerger<LabelType>();
  merger->SetBackgroundValue(Background);
  auto streamer = itk::StreamingImageFilter<LabelType, LabelType>::New();
  streamer->SetInput(merger->GetOutput());
  streamer->SetNumberOfStreamDivisions(c.divisions);
  streamer->Update();
  const LabelType * labels = streamer->GetOutput();
  EXPECT_EQ(PatchStreamingTest::DescribeDifferences(reference.GetPointer(), labels, labels->GetLargestPossibleRegion()),
            "");
  EXPECT_EQ(merger->GetNumberOfNonFiniteValues(), expectedNonFinite);
  EXPECT_EQ(c.withNaN, expectedNonFinite > 0);
  // The label map keeps the image's geometry.
  EXPECT_EQ(labels->GetSpacing(), p.GetImage()->GetSpacing());
  EXPECT_EQ(labels->GetOrigin(), p.GetImage()->GetOrigin());
  EXPECT_EQ(labels->GetDirection(), p.GetImage()->GetDirection());
  EXPECT_EQ(labels->GetNumberOfComponentsPerPixel(), 1u);
}

TEST(PatchMergerLabels, LabelsAreTheFirstLargestMergedComponentIn3D)
{
  const itk::Size<3> size{ { 23, 19, 17 } };
  const itk::Size<3> patch{ { 8, 7, 6 } };
  const itk::Size<3> overlap{ { 3, 3, 2 } };
  for (const auto weighting : { Weighting::Average, Weighting::Gaussian, Weighting::Crop })
  {
    for (const auto border : { BorderMode::Squeeze, BorderMode::Crop, BorderMode::Adaptive })
    {
      // 17 divisions: one slice each, so that most carried rows are finished before their division.
      for (const unsigned int divisions : { 1u, 4u, 17u })
      {
        ExpectLabelsOfTheMergedComponents<3>(size, patch, overlap, 5, { border, weighting, divisions, 2 });
      }
    }
  }
  ExpectLabelsOfTheMergedComponents<3>(size, patch, overlap, 5, { BorderMode::Crop, Weighting::Gaussian, 5, 1 });
  ExpectLabelsOfTheMergedComponents<3>(
    size, patch, overlap, 3, { BorderMode::Squeeze, Weighting::Gaussian, 3, 2, true });
}

TEST(PatchMergerLabels, AMaskRestrictedGridAndNaNScoresGiveTheLabelsOfTheMergedComponents)
{
  const itk::Size<3> size{ { 29, 22, 19 } };
  const itk::Size<3> patch{ { 9, 8, 7 } };
  const itk::Size<3> overlap{ { 4, 4, 3 } };
  // 19 divisions: one slice each; the non-finite values of rows finished while carried count once.
  for (const unsigned int divisions : { 1u, 3u, 19u })
  {
    LabelCase masked{ BorderMode::Squeeze, Weighting::Gaussian, divisions, 2, false, true };
    ExpectLabelsOfTheMergedComponents<3>(size, patch, overlap, 4, masked);
    LabelCase withNaN{ BorderMode::Edge, Weighting::Gaussian, divisions, 2, false, false, true };
    ExpectLabelsOfTheMergedComponents<3>(size, patch, overlap, 4, withNaN);
  }
}

TEST(PatchMergerLabels, LabelsIn1DAnd2DAndOfThreeHundredClasses)
{
  // In 1-D every voxel is a slice of its own, each with its own row of sums.
  for (const auto border : { BorderMode::Squeeze, BorderMode::Crop })
  {
    for (const unsigned int divisions : { 1u, 7u })
    {
      ExpectLabelsOfTheMergedComponents<1>(
        { { 301 } }, { { 17 } }, { { 7 } }, 4, { border, Weighting::Gaussian, divisions, 2 });
    }
  }
  for (const unsigned int divisions : { 1u, 5u })
  {
    ExpectLabelsOfTheMergedComponents<2>(
      { { 31, 26 } }, { { 9, 8 } }, { { 4, 3 } }, 6, { BorderMode::Crop, Weighting::Hann, divisions, 2 });
  }
  ExpectLabelsOfTheMergedComponents<3, unsigned short>(
    { { 11, 9, 8 } }, { { 6, 5, 4 } }, { { 2, 2, 2 } }, 300, { BorderMode::Squeeze, Weighting::Gaussian, 2, 2 });
}

/** A 9 x 8 x 7 pipeline of `components` components, one division on one work unit. */
LabelPipeline<3, unsigned char>
SmallLabelPipeline(unsigned int components)
{
  return LabelPipeline<3, unsigned char>(
    { { 9, 8, 7 } }, { { 5, 4, 4 } }, { { 2, 2, 2 } }, components, { BorderMode::Squeeze, Weighting::Average, 1, 1 });
}

TEST(PatchMergerLabels, MoreClassesThanTheLabelTypeHoldsThrows)
{
  auto p = SmallLabelPipeline(257);
  auto merger = p.MakeMerger<itk::Image<unsigned char, 3>>();
  PatchStreamingTest::ExpectExceptionMentioning([&] { merger->Update(); }, "257 components");
  auto fits = SmallLabelPipeline(256);
  using LabelType = itk::Image<unsigned char, 3>;
  EXPECT_NO_THROW(fits.MakeMerger<LabelType>()->Update());
}

TEST(PatchMergerLabels, OneComponentOrAnOutputOfOtherComponentsThrows)
{
  // One component is no label map (every label would be 0); a float output of
  // one component cannot hold three (its buffer would be overrun).
  auto one = SmallLabelPipeline(1);
  auto labels = one.MakeMerger<itk::Image<unsigned char, 3>>();
  PatchStreamingTest::ExpectExceptionMentioning([&] { labels->Update(); }, "1 component per pixel");
  auto three = SmallLabelPipeline(3);
  auto scalar = three.MakeMerger<itk::Image<float, 3>>();
  PatchStreamingTest::ExpectExceptionMentioning([&] { scalar->Update(); }, "3 components per pixel but the output");
  auto vectors = three.MakeMerger<itk::Image<itk::Vector<float, 2>, 3>>();
  PatchStreamingTest::ExpectExceptionMentioning([&] { vectors->Update(); }, "holds 2");
  using ThreeVectorsType = itk::Image<itk::Vector<float, 3>, 3>;
  EXPECT_NO_THROW(three.MakeMerger<ThreeVectorsType>()->Update());
}
} // namespace
