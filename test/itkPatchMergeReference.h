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
#ifndef itkPatchMergeReference_h
#define itkPatchMergeReference_h

// The brute-force merge of docs/design.md section 4, written independently of the
// library's 1-D machinery: full-size sum and weight volumes accumulated patch
// by patch with nested loops, then divided. The window profiles are the
// formulas of the README, evaluated here from the grid's per-axis starts and
// window lengths.

#include "itkImage.h"
#include "itkImageRegionIteratorWithIndex.h"
#include "itkIndexRange.h"
#include "itkMath.h"
#include "itkPatchGrid.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

namespace PatchStreamingTest
{
/** The Gaussian window of the README: exp(-(t-c)^2/(2 sigma^2)), c = (length-1)/2,
 * sigma = sigmaScale length, raised to floor. */
inline double
ClosedFormGaussian(double t, double length, double sigmaScale, double floor)
{
  const double center = (length - 1.0) / 2.0;
  const double sigma = sigmaScale * length;
  return std::max(std::exp(-(t - center) * (t - center) / (2.0 * sigma * sigma)), floor);
}

/** The window value a_{axis,position}(t) at voxel t of the patch (0 <= t < P). */
using ReferenceProfile = std::function<double(unsigned int axis, itk::SizeValueType position, itk::OffsetValueType t)>;

/** What the reference profiles need besides the grid. */
struct ReferenceWeighting
{
  itk::PatchStreamingEnums::Weighting Weighting{ itk::PatchStreamingEnums::Weighting::Average };
  double                              SigmaScale{ 0.125 };
  double                              MinimumWeight{ 1e-3 };
  std::vector<std::vector<double>>    CustomProfiles{};
};

/** `weighting` with its defaults and, for Custom, an asymmetric ramp 1, 2, ..., P_d per axis. */
template <typename TSize>
ReferenceWeighting
MakeTestWeighting(itk::PatchStreamingEnums::Weighting weighting, const TSize & patchSize)
{
  ReferenceWeighting result;
  result.Weighting = weighting;
  for (unsigned int d = 0; d < TSize::Dimension; ++d)
  {
    std::vector<double> ramp(patchSize[d]);
    for (std::size_t t = 0; t < ramp.size(); ++t)
    {
      ramp[t] = 1.0 + static_cast<double>(t);
    }
    result.CustomProfiles.push_back(ramp);
  }
  return result;
}

/** Gives a PatchMerger the weighting and its parameters. */
template <typename TMerger>
void
ApplyWeighting(TMerger * merger, const ReferenceWeighting & weighting)
{
  merger->SetWeighting(weighting.Weighting);
  merger->SetSigmaScale(weighting.SigmaScale);
  merger->SetMinimumWeight(weighting.MinimumWeight);
  for (unsigned int d = 0; d < weighting.CustomProfiles.size(); ++d)
  {
    merger->SetCustomProfile(d, weighting.CustomProfiles[d]);
  }
}

template <unsigned int VDimension>
ReferenceProfile
MakeReferenceProfile(const itk::PatchGrid<VDimension> & grid, const ReferenceWeighting & weighting)
{
  using Weighting = itk::PatchStreamingEnums::Weighting;
  return [grid, weighting](unsigned int axis, itk::SizeValueType position, itk::OffsetValueType t) -> double {
    const auto & layout = grid.GetAxisLayout(axis);
    const auto   length = static_cast<itk::OffsetValueType>(layout.GetWindowLength(position));
    if (t >= length)
    {
      return 0.0;
    }
    const double x = static_cast<double>(t);
    const double l = static_cast<double>(length);
    switch (weighting.Weighting)
    {
      case Weighting::Average:
        return 1.0;
      case Weighting::Gaussian:
        return ClosedFormGaussian(x, l, weighting.SigmaScale, weighting.MinimumWeight);
      case Weighting::Hann:
        return std::pow(std::sin(itk::Math::pi * (x + 1.0) / (l + 1.0)), 2);
      case Weighting::Crop:
      {
        // Owned when no other covering window's center is nearer (ties to the lower start).
        const itk::OffsetValueType voxel = layout.GetStart(position) + t;
        const auto distance = [&](itk::SizeValueType i) {
          return std::abs(static_cast<double>(voxel) -
                          (static_cast<double>(layout.GetStart(i)) + (static_cast<double>(layout.GetWindowLength(i)) - 1.0) / 2.0));
        };
        for (itk::SizeValueType i = 0; i < layout.GetNumberOfPositions(); ++i)
        {
          const bool covers = voxel >= layout.GetStart(i) &&
                              voxel < layout.GetStart(i) + static_cast<itk::OffsetValueType>(layout.GetWindowLength(i));
          if (i != position && covers &&
              (distance(i) < distance(position) || (distance(i) == distance(position) && i < position)))
          {
            return 0.0;
          }
        }
        return 1.0;
      }
      case Weighting::Custom:
      {
        // A shorter window samples the full profile linearly, end to end.
        const std::vector<double> & profile = weighting.CustomProfiles[axis];
        const double                last = static_cast<double>(profile.size() - 1);
        const double                u = length > 1 ? x * last / (l - 1.0) : last / 2.0;
        const auto                  below = static_cast<std::size_t>(u);
        const double                fraction = u - static_cast<double>(below);
        return fraction == 0.0 ? profile[below] : (1.0 - fraction) * profile[below] + fraction * profile[below + 1];
      }
    }
    return 0.0;
  };
}

/** Calls `function(x, stackIndex, weight)` for every voxel x of every patch k
 * inside the image: stackIndex is x's place in patch k of the stack, weight is
 * w_k(x) = prod_d profile(d, i_d, t_d). The nested loop of the references. */
template <unsigned int VDimension, typename TFunction>
void
ForEachPatchVoxel(const itk::PatchGrid<VDimension> & grid, const ReferenceProfile & profile, TFunction && function)
{
  for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
  {
    const auto patchStart = grid.GetPatchRegion(k).GetIndex();
    const auto gridIndex = grid.GetGridIndex(k);
    for (const auto & x : itk::ImageRegionIndexRange<VDimension>(grid.GetValidPatchRegion(k)))
    {
      itk::Index<VDimension + 1> stackIndex;
      double                     weight = 1.0;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        stackIndex[d] = x[d] - patchStart[d];
        weight *= profile(d, static_cast<itk::SizeValueType>(gridIndex[d]), stackIndex[d]);
      }
      stackIndex[VDimension] = static_cast<itk::IndexValueType>(k);
      function(x, stackIndex, weight);
    }
  }
}

/** sum_k w_k(x) v_k(x) / sum_k w_k(x) with w_k = prod_d profile(d, i_d, t_d),
 * in double, from full-size volumes; `background` where the weights sum to 0. */
template <typename TImage, typename TStack>
typename TImage::Pointer
NestedLoopMerge(const TStack * stack, const itk::PatchGrid<TImage::ImageDimension> & grid,
                const ReferenceProfile & profile, double background)
{
  constexpr unsigned int N = TImage::ImageDimension;
  using VolumeType = itk::Image<double, N>;
  const auto & region = grid.GetImageRegion();
  auto         sums = VolumeType::New();
  auto         weights = VolumeType::New();
  for (auto & volume : { sums, weights })
  {
    volume->SetRegions(region);
    volume->Allocate(true);
  }
  ForEachPatchVoxel(grid, profile, [&](const itk::Index<N> & x, const typename TStack::IndexType & stackIndex,
                                       double weight) {
    sums->SetPixel(x, sums->GetPixel(x) + weight * static_cast<double>(stack->GetPixel(stackIndex)));
    weights->SetPixel(x, weights->GetPixel(x) + weight);
  });
  auto merged = TImage::New();
  merged->SetRegions(region);
  merged->Allocate();
  for (itk::ImageRegionIteratorWithIndex<TImage> it(merged, region); !it.IsAtEnd(); ++it)
  {
    const double weight = weights->GetPixel(it.GetIndex());
    it.Set(static_cast<typename TImage::PixelType>(weight > 0.0 ? sums->GetPixel(it.GetIndex()) / weight : background));
  }
  return merged;
}
} // namespace PatchStreamingTest

#endif
