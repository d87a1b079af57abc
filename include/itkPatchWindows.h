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
#ifndef itkPatchWindows_h
#define itkPatchWindows_h

#include "itkPatchAxisWindow.h"
#include "itkPatchGrid.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

namespace itk
{
namespace PatchStreamingDetail
{
/** `value` with `digits` significant digits ("1e-90", "4.62e-11", "0.001"). */
inline std::string
ShortNumber(double value, int digits = 3)
{
  std::ostringstream text;
  text.precision(digits);
  text << value;
  return text.str();
}

/** The smallest number of 3 significant digits that is not below `value` (> 0). */
inline double
RoundedUp(double value)
{
  const double unit = std::pow(10.0, std::floor(std::log10(value)) - 2.0);
  return std::ceil(value / unit * (1.0 - 1e-12)) * unit;
}
} // namespace PatchStreamingDetail

/** \class PatchWindows
 * \brief The separable windows of every patch of a grid: one PatchAxisWindow per axis.
 *
 * The weight of patch k at the voxel `offset` from its first voxel is
 * GetRowWeight(gridIndex, offset) * GetRowProfile(gridIndex, offset[0])[0],
 * evaluated in double in exactly that order; PatchMerger and
 * SeparableGaussianWeighting both use it, which is what makes a pre-weighted
 * stack merge bit-identically.
 *
 * \sa PatchAxisWindow, PatchMerger, SeparableGaussianWeighting
 * \ingroup PatchStreaming
 */
template <unsigned int VDimension>
class PatchWindows
{
public:
  static constexpr unsigned int ImageDimension = VDimension;
  using GridType = PatchGrid<VDimension>;
  using IndexType = Index<VDimension>;

  PatchWindows() = default;

  /** Throws what PatchAxisWindow throws, naming the axis. */
  PatchWindows(const GridType & grid, const PatchWindowParameters & parameters)
  {
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      m_AxisWindows[d] = PatchAxisWindow(grid.GetAxisLayout(d), parameters, d);
    }
  }

  const PatchAxisWindow &
  GetAxisWindow(unsigned int axis) const
  {
    return m_AxisWindows[axis];
  }

  /** The product of the profiles along axes 1..N-1 (axis 1 first) at
   * `offset`, whose first N components are voxel offsets inside the patch. */
  template <typename TOffset>
  double
  GetRowWeight(const IndexType & gridIndex, const TOffset & offset) const
  {
    double weight = 1.0;
    for (unsigned int d = 1; d < VDimension; ++d)
    {
      weight *= m_AxisWindows[d].GetProfile(static_cast<SizeValueType>(gridIndex[d]))[offset[d]];
    }
    return weight;
  }

  /** The axis-0 profile of the patch from the voxel offset0 on. */
  const double *
  GetRowProfile(const IndexType & gridIndex, OffsetValueType offset0) const
  {
    return m_AxisWindows[0].GetProfile(static_cast<SizeValueType>(gridIndex[0])).data() + offset0;
  }

  /** The product of W_d along axes 1..N-1 at `voxel` (relative to the image's first voxel). */
  template <typename TOffset>
  double
  GetRowNormalizer(const TOffset & voxel) const
  {
    double normalizer = 1.0;
    for (unsigned int d = 1; d < VDimension; ++d)
    {
      normalizer *= m_AxisWindows[d].GetNormalizer(static_cast<SizeValueType>(voxel[d]));
    }
    return normalizer;
  }

  /** The smallest positive weight of any patch voxel: the product of each
   * axis's smallest positive profile value (the patches are the full product
   * of the axis positions, so one of them has it); 0 when there is none. */
  double
  GetSmallestPositiveWeight() const
  {
    return this->ProductOverAxes(&PatchAxisWindow::GetSmallestPositiveWeight);
  }

  /** Throws an itk::ExceptionObject naming the weighting and its parameters
   * when a weight formed in TWeight (the stack's component type) would lose
   * TWeight's precision: when GetSmallestPositiveWeight() is below
   * min() / epsilon() of TWeight (9.9e-32 for float). Below that, a weighted
   * value of magnitude epsilon or more is no longer a normal number, and a voxel
   * whose every weight underflows to 0 would merge to 0 instead of its value.
   * (No weight is too large: every profile's largest value is at most 1, a
   * custom one scaled so, and a voxel's sum of weights is at most the number
   * of patches over it.) `parameters` are those the windows were built with. */
  template <typename TWeight>
  void
  CheckWeightsFit(const PatchWindowParameters & parameters) const
  {
    using PatchStreamingDetail::ShortNumber;
    const char * const typeName = sizeof(TWeight) == sizeof(float) ? "float" : "double";
    const double floor = static_cast<double>(std::numeric_limits<TWeight>::min()) /
                         static_cast<double>(std::numeric_limits<TWeight>::epsilon());
    // Each axis's smallest positive weight is positive; their product is 0 only where it
    // underflows double (Gaussian tails of a small SigmaScale with MinimumWeight 0): refused too.
    // With the floor on the N-D window (MONAI's), no weight is below that floor.
    const double windowFloor = parameters.GetWindowFloor();
    const double smallest = std::max(this->GetSmallestPositiveWeight(), windowFloor);
    if (smallest < floor)
    {
      const bool        gaussian = parameters.Weighting == PatchStreamingEnums::Weighting::Gaussian;
      const std::string remedy =
        gaussian ? "raise MinimumWeight to at least " +
                     ShortNumber(PatchStreamingDetail::RoundedUp(this->NeededMinimumWeight(parameters, floor))) +
                     ", or SigmaScale"
                 : "raise the profiles' smallest positive values against their largest";
      const std::string settings = gaussian ? " (SigmaScale = " + ShortNumber(parameters.SigmaScale) +
                                                ", MinimumWeight = " + ShortNumber(parameters.MinimumWeight) + ")"
                                            : "";
      const std::string formed = windowFloor > 0.0 ? "with MinimumWeight on the window"
                                                   : "a product over " + std::to_string(VDimension) + " axes";
      itkGenericExceptionMacro(<< "Weighting " << ToString(parameters.Weighting) << settings
                               << ": the smallest window weight, " << formed << ", is " << ShortNumber(smallest, 6)
                               << ", below " << ShortNumber(floor, 6)
                               << ", the smallest weight whose weighted values keep the precision of the stack's "
                               << typeName << " (min / epsilon); " << remedy);
    }
  }

private:
  /** The smallest Gaussian MinimumWeight whose windows' smallest weight is at least `floor`. On
   * the N-D window that is `floor` itself. Per axis, the axes whose smallest weight is
   * MinimumWeight take the raise and the others keep theirs; with no axis at MinimumWeight (their
   * tails lie above it, MinimumWeight 0), or the others' product underflowing, floor^(1/N) lifts
   * every axis: their product is then at least floor. */
  double
  NeededMinimumWeight(const PatchWindowParameters & parameters, double floor) const
  {
    if (parameters.GetWindowFloor() > 0.0)
    {
      return floor;
    }
    unsigned int floored = 0;
    double       others = 1.0;
    for (const auto & axisWindow : m_AxisWindows)
    {
      const double axisSmallest = axisWindow.GetSmallestPositiveWeight();
      floored += axisSmallest <= parameters.MinimumWeight ? 1 : 0;
      others *= axisSmallest <= parameters.MinimumWeight ? 1.0 : axisSmallest;
    }
    return floored == 0 || others == 0.0 ? std::pow(floor, 1.0 / VDimension) : std::pow(floor / others, 1.0 / floored);
  }

  /** The product over the axes of `axisValue` of each axis's window. */
  double
  ProductOverAxes(double (PatchAxisWindow::*axisValue)() const) const
  {
    double product = 1.0;
    for (const auto & axisWindow : m_AxisWindows)
    {
      product *= (axisWindow.*axisValue)();
    }
    return product;
  }

  std::array<PatchAxisWindow, VDimension> m_AxisWindows{};
};
} // end namespace itk

#endif
