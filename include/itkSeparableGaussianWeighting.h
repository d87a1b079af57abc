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
#ifndef itkSeparableGaussianWeighting_h
#define itkSeparableGaussianWeighting_h

#include "itkImage.h"
#include "itkInPlaceImageFilter.h"
#include "itkPatchGrid.h"
#include "itkPatchStackGrid.h"
#include "itkPatchPixelComponents.h"
#include "itkPatchStreamingCompatibility.h"
#include "itkPatchWindows.h"

#include <type_traits>
#include <vector>

namespace itk
{
/** \class SeparableGaussianWeighting
 * \brief Multiplies every patch of a patch stack by its separable Gaussian window.
 *
 * The window of patch k is prod_d g_d(x_d), one 1-D profile per image axis
 * (docs/design.md section 4): g(t) = exp(-(t-c)^2/(2 sigma^2)), c = (P-1)/2,
 * sigma = SigmaScale P (default 0.125), raised to MinimumWeight (default
 * 1e-3); Adaptive's shorter patches get the profile of their window length and
 * 0 past it. Only the 1-D profiles are ever held, never a P^N weight array.
 *
 * The weights are exactly those PatchMerger uses for Weighting::Gaussian with
 * the same SigmaScale and MinimumWeight, so
 * merge(SeparableGaussianWeighting(stack), InputIsWeighted) is bit-identical
 * to merge(stack, Weighting::Gaussian). Use it where the weighting must happen
 * before the merge, for instance when weighted patches are stored.
 *
 * GetProfile(axis) returns the profile of a full-length patch, and
 * GetWindowImage(k) the N-D window of patch k as an image with the patch's
 * geometry (for plotting, or for users who want the full window).
 *
 * The stack's last axis is the patch index; the grid comes from
 * SetPatchGrid() or from the stack's MetaDataDictionary, which is passed on to
 * the output with the grid in it. Pixels may be scalars, VectorImage or
 * Image<Vector> of float or double: every component is weighted alike.
 *
 * \sa PatchMerger, PatchExtractor, PatchWindows, DiscreteGaussianImageFilter, GaussianImageSource
 * \ingroup PatchStreaming
 */
template <typename TImage>
class ITK_TEMPLATE_EXPORT SeparableGaussianWeighting : public InPlaceImageFilter<TImage, TImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SeparableGaussianWeighting);

  using Self = SeparableGaussianWeighting;
  using Superclass = InPlaceImageFilter<TImage, TImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(SeparableGaussianWeighting);

  static constexpr unsigned int ImageDimension = TImage::ImageDimension;
  static constexpr unsigned int PatchDimension = ImageDimension - 1;
  static_assert(ImageDimension >= 2, "a patch stack has at least one image axis and the patch axis");

  using ImageType = TImage;
  using RegionType = typename ImageType::RegionType;
  using ComponentType = PatchStreamingDetail::PixelComponentType<ImageType>;
  static_assert(std::is_floating_point<ComponentType>::value,
                "weighting in place needs float or double components (integer patches would be truncated)");
  using PatchGridType = PatchGrid<PatchDimension>;
  using WindowImageType = Image<double, PatchDimension>;

  /** SetPatchGrid(grid): the grid the stack was cut with; an empty grid means:
   * read it from the stack's MetaDataDictionary. GetPatchGrid(): the grid in
   * use, the one set, else the one read from the stack (after UpdateOutputInformation()). */
  itkPatchStackGridMacro(PatchGridType);

  /** Gaussian sigma as a fraction of the patch size (default 0.125, as MONAI and nnU-Net). */
  itkSetMacro(SigmaScale, double);
  itkGetConstMacro(SigmaScale, double);

  /** The floor of each 1-D profile (default 1e-3, as MONAI). */
  itkSetMacro(MinimumWeight, double);
  itkGetConstMacro(MinimumWeight, double);

  /** The 1-D profile of a full-length patch along `axis` (PatchSize[axis] values).
   * Needs the grid: set, or read by UpdateOutputInformation(). */
  std::vector<double>
  GetProfile(unsigned int axis) const;

  /** The N-D window of patch `patch` as an image: size PatchSize, index 0,
   * the grid's spacing and direction and the patch's origin; each voxel holds
   * the product of the profiles, evaluated as the filter applies it. */
  typename WindowImageType::Pointer
  GetWindowImage(SizeValueType patch = 0) const;

protected:
  SeparableGaussianWeighting();
  ~SeparableGaussianWeighting() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  /** Copies the stack's information, takes the grid (set, or from the stack's
   * metadata), checks the stack against it and writes it into the output's
   * MetaDataDictionary. The output's regions are the stack's. */
  void
  GenerateOutputInformation() override;

  /** Builds the 1-D windows of every patch position. */
  void
  BeforeThreadedGenerateData() override;

  /** Weights the requested stack region alone: the input region requested is
   * the output's (ImageToImageFilter's default), so any region streams. */
  void
  DynamicThreadedGenerateData(const RegionType & outputRegionForThread) override;

  /** Reports the request done (progress 1): the work units' last rows may be
   * counted on threads that send no ProgressEvent. */
  void
  AfterThreadedGenerateData() override;

private:
  using WindowsType = PatchWindows<PatchDimension>;

  /** Windows for the grid in use; throws when there is none yet. */
  WindowsType
  MakeWindows() const;

  PatchStackGrid<PatchDimension> m_PatchGrid{};
  double                         m_SigmaScale{ 0.125 };
  double                         m_MinimumWeight{ 1e-3 };
  WindowsType                    m_Windows{};
};
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSeparableGaussianWeighting.hxx"
#endif

#endif
