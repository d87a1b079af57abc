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
#ifndef PatchwisePreview_h
#define PatchwisePreview_h

#include "PatchwiseReading.h"
#include "PreviewPicture.h"
#include "itkPatchWindows.h"

#include "itkExtractImageFilter.h"
#include "itkImageFileReader.h"
#include "itkImageRegionConstIteratorWithIndex.h"
#include "itkVectorImage.h"

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

/** Which slices the preview shows, and how it shows the output. */
struct PreviewChoice
{
  int  axis{ -1 };      // -1: one slice across each axis
  int  slice{ -1 };     // -1: the middle slice
  bool labels{ false }; // the output is a network's: its labels, or the argmax of its class probabilities
};

/** The value the preview shows of an output pixel: component 0, or the
 * label (a label map's value, the argmax of class probabilities, ties to
 * the lowest class as ComponentArgmaxImageFilter breaks them). */
template <typename TPixel>
float
PreviewOutputValue(const TPixel & pixel, bool labels)
{
  const unsigned int components = pixel.Size();
  if (!labels || components == 1)
  {
    return pixel[0];
  }
  unsigned int best = 0;
  for (unsigned int c = 1; c < components; ++c)
  {
    best = pixel[c] > pixel[best] ? c : best;
  }
  return static_cast<float>(best);
}

/** The axes the preview shows a slice across: `choice.axis`, or each axis
 * (-1); for a 2-D image the value VDimension, no axis: the whole image. */
template <unsigned int VDimension>
std::vector<unsigned int>
PreviewAxes(const PreviewChoice & choice)
{
  std::vector<unsigned int> across;
  if (VDimension == 2)
  {
    across.push_back(VDimension);
    return across;
  }
  for (unsigned int a = 0; a < VDimension; ++a)
  {
    if (choice.axis < 0 || static_cast<unsigned int>(choice.axis) == a)
    {
      across.push_back(a);
    }
  }
  return across;
}

/** The sum of the window weights the merger divides by at `voxel` (relative to the image's first
 * voxel): the separable normaliser prod_d W_d(x_d), or, with the Gaussian floored on the N-D window
 * (MONAI's), the sum over the patches whose window covers the voxel of max(prod_d a_d, floor),
 * which is not separable. */
template <unsigned int VDimension>
double
WeightSum(const itk::PatchGrid<VDimension> &    grid,
          const itk::PatchWindows<VDimension> & windows,
          double                                windowFloor,
          const itk::Offset<VDimension> &       voxel)
{
  double normalizer = 1.0;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    normalizer *= windows.GetAxisWindow(d).GetNormalizer(static_cast<itk::SizeValueType>(voxel[d]));
  }
  if (!(windowFloor > 0.0))
  {
    return normalizer;
  }
  std::array<std::pair<itk::SizeValueType, itk::SizeValueType>, VDimension> positions;
  auto                                                                      position = itk::Index<VDimension>();
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    positions[d] = grid.GetAxisLayout(d).GetOverlappingPositions(voxel[d], voxel[d] + 1);
    position[d] = static_cast<itk::IndexValueType>(positions[d].first);
  }
  double sum = 0.0;
  for (;;) // every combination of the positions along the axes, axis 0 fastest
  {
    double product = 1.0;
    bool   covered = true; // by the patch's window (Adaptive's shorter windows end before the patch)
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      const auto & layout = grid.GetAxisLayout(d);
      const auto   i = static_cast<itk::SizeValueType>(position[d]);
      const auto   t = voxel[d] - layout.GetStart(i);
      covered = covered && t < static_cast<itk::OffsetValueType>(layout.GetWindowLength(i));
      product *= covered ? windows.GetAxisWindow(d).GetProfile(i)[static_cast<std::size_t>(t)] : 0.0;
    }
    sum += covered ? std::max(product, windowFloor) : 0.0;
    unsigned int d = 0;
    for (; d<VDimension && static_cast<itk::SizeValueType>(++position[d])> positions[d].second; ++d)
    {
      position[d] = static_cast<itk::IndexValueType>(positions[d].first);
    }
    if (d == VDimension)
    {
      return sum;
    }
  }
}

/** Fills `preview`'s input, output and weight values over `region` (one
 * slice; its in-plane axes `inPlane`, u along inPlane[0] fastest) from the
 * two extract filters, updated to that region here. */
template <typename TExtract, unsigned int VDimension>
void
FillPreviewValues(PreviewSlice &                       preview,
                  TExtract &                           inputSlice,
                  TExtract &                           outputSlice,
                  const itk::ImageRegion<VDimension> & region,
                  const itk::ImageRegion<VDimension> & imageRegion,
                  const unsigned int (&inPlane)[2],
                  const itk::PatchGrid<VDimension> &    grid,
                  const itk::PatchWindows<VDimension> & windows,
                  double                                windowFloor)
{
  const std::size_t voxels = static_cast<std::size_t>(preview.width) * preview.height;
  preview.input.resize(voxels);
  preview.output.resize(voxels);
  preview.weight.resize(voxels);
  inputSlice.SetExtractionRegion(region);
  inputSlice.UpdateLargestPossibleRegion();
  outputSlice.SetExtractionRegion(region);
  outputSlice.UpdateLargestPossibleRegion();
  using ImageType = typename TExtract::OutputImageType;
  itk::ImageRegionConstIteratorWithIndex<ImageType> in(inputSlice.GetOutput(), region);
  itk::ImageRegionConstIteratorWithIndex<ImageType> out(outputSlice.GetOutput(), region);
  for (; !in.IsAtEnd(); ++in, ++out)
  {
    const auto        u = static_cast<itk::SizeValueType>(in.GetIndex()[inPlane[0]] - imageRegion.GetIndex(inPlane[0]));
    const auto        v = static_cast<itk::SizeValueType>(in.GetIndex()[inPlane[1]] - imageRegion.GetIndex(inPlane[1]));
    const std::size_t voxel = u + v * preview.width;
    preview.input[voxel] = in.Get()[0];
    preview.output[voxel] = PreviewOutputValue(out.Get(), preview.labels);
    preview.weight[voxel] =
      static_cast<float>(WeightSum(grid, windows, windowFloor, in.GetIndex() - imageRegion.GetIndex()));
  }
}

/** Adds to `preview` the outline of every patch of `grid` that crosses the
 * slice `region` (across axis `a`; a >= VDimension: the whole 2-D image), in
 * the slice's (u, v) voxels. Patches that differ only across the slice's axis
 * have the same outline: drawn once. */
template <unsigned int VDimension>
void
AddPatchOutlines(PreviewSlice &                       preview,
                 const itk::PatchGrid<VDimension> &   grid,
                 const itk::ImageRegion<VDimension> & region,
                 unsigned int                         a,
                 const unsigned int (&inPlane)[2])
{
  const auto &                      imageRegion = grid.GetImageRegion();
  std::set<std::array<unsigned, 4>> outlines;
  for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
  {
    const auto patch = grid.GetValidPatchRegion(k);
    if (a < VDimension &&
        !(patch.GetIndex(a) <= region.GetIndex(a) &&
          region.GetIndex(a) < patch.GetIndex(a) + static_cast<itk::IndexValueType>(patch.GetSize(a))))
    {
      continue; // the patch does not cross the slice
    }
    std::array<unsigned, 4> box;
    for (unsigned int i = 0; i < 2; ++i)
    {
      box[2 * i] = static_cast<unsigned>(patch.GetIndex(inPlane[i]) - imageRegion.GetIndex(inPlane[i]));
      box[2 * i + 1] = box[2 * i] + static_cast<unsigned>(patch.GetSize(inPlane[i]));
    }
    if (outlines.insert(box).second)
    {
      preview.patches.push_back(box);
    }
  }
}

/** The slices the preview shows: a 2-D image itself; for a 3-D image the
 * slice `choice.slice` (-1: the middle one) across `choice.axis` (-1: across each axis).
 * The input and output slices (component 0) are read back from their files
 * with ExtractImageFilter, so a streaming reader reads only the slice (a NIfTI file is
 * read whole, ReadWholeWhereNoPartCanBeRead); the
 * weight map is the sum sum_k w_k(x) the merger divides by (WeightSum), computed
 * from the grid and the merger's windows alone. */
template <unsigned int VDimension>
std::vector<PreviewSlice>
MakePreviewSlices(const std::string &                inputFile,
                  const std::string &                outputFile,
                  const itk::PatchGrid<VDimension> & grid,
                  const itk::PatchWindowParameters & windowParameters,
                  const PreviewChoice &              choice)
{
  static_assert(VDimension == 2 || VDimension == 3, "the preview shows 2-D images or slices of 3-D ones");
  using ImageType = itk::VectorImage<float, VDimension>;
  const itk::PatchWindows<VDimension> windows(grid, windowParameters);
  const auto                          imageRegion = grid.GetImageRegion();

  auto inputReader = itk::ImageFileReader<ImageType>::New();
  inputReader->SetFileName(inputFile);
  ReadWholeWhereNoPartCanBeRead(*inputReader);
  auto outputReader = itk::ImageFileReader<ImageType>::New();
  outputReader->SetFileName(outputFile);
  ReadWholeWhereNoPartCanBeRead(*outputReader);
  auto inputSlice = itk::ExtractImageFilter<ImageType, ImageType>::New();
  inputSlice->SetInput(inputReader->GetOutput());
  auto outputSlice = itk::ExtractImageFilter<ImageType, ImageType>::New();
  outputSlice->SetInput(outputReader->GetOutput());

  std::vector<PreviewSlice> slices;
  for (const unsigned int a : PreviewAxes<VDimension>(choice))
  {
    const unsigned int  inPlane[2] = { a == 0 ? 1u : 0u, (a == 2 || VDimension == 2) ? 1u : 2u };
    auto                region = imageRegion;
    itk::IndexValueType sliceIndex = 0;
    if (a < VDimension)
    {
      sliceIndex = choice.slice < 0 ? static_cast<itk::IndexValueType>(imageRegion.GetSize(a) / 2) : choice.slice;
      region.SetIndex(a, imageRegion.GetIndex(a) + sliceIndex);
      region.SetSize(a, 1);
    }
    PreviewSlice preview;
    preview.labels = choice.labels;
    preview.width = static_cast<unsigned int>(region.GetSize(inPlane[0]));
    preview.height = static_cast<unsigned int>(region.GetSize(inPlane[1]));
    preview.aspect = grid.GetSpacing()[inPlane[1]] / grid.GetSpacing()[inPlane[0]];
    // Slices count from 0, as --preview-slice counts them: "of 0..127", not "of 128".
    preview.label = a < VDimension ? "across axis " + std::to_string(a) + "\nslice " + std::to_string(sliceIndex) +
                                       "\n(of 0.." + std::to_string(imageRegion.GetSize(a) - 1) + ")"
                                   : "2-D image";
    FillPreviewValues(preview,
                      *inputSlice,
                      *outputSlice,
                      region,
                      imageRegion,
                      inPlane,
                      grid,
                      windows,
                      windowParameters.GetWindowFloor());
    AddPatchOutlines(preview, grid, region, a, inPlane);
    slices.push_back(std::move(preview));
  }
  return slices;
}

#endif
