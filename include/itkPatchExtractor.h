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
#ifndef itkPatchExtractor_h
#define itkPatchExtractor_h

#include "itkImageToImageFilter.h"
#include "itkPatchGrid.h"
#include "itkPatchPixelComponents.h"
#include "itkPatchStreamingCompatibility.h"

#include <vector>

namespace itk
{
/** \class PatchExtractor
 * \brief Cuts an N-D image into the (N+1)-D stack of its overlapping patches.
 *
 * Voxel i of patch k is stack index [i_0, ..., i_{N-1}, k]; the patches are
 * numbered as in PatchGrid (grid axis 0 fastest). Patch size, overlap and
 * border mode define the grid (docs/design.md section 3); voxels of a patch that fall
 * outside the image come from the Padding boundary condition (Constant with
 * PaddingValue, ZeroFluxNeumann, Mirror or Periodic) in every border mode.
 *
 * Stack geometry: the first N axes keep the input's spacing and direction
 * (embedded block-diagonally, 1 on the stack axis, spacing 1), the origin is
 * the physical point of patch 0's first voxel; GetPatchGrid().GetPatchOrigin(k)
 * gives every patch's. The grid is also written into the stack's
 * MetaDataDictionary (keys PatchGrid_*), so a stack saved as NRRD can be merged
 * later with no other information.
 *
 * An optional MaskImage (same grid of voxels as the input) restricts the
 * grid: a patch whose part inside the image holds no non-zero mask voxel is
 * skipped (PatchGrid::IsPatchKept). The mask is read once, in
 * GenerateOutputInformation, a slab of P slices at a time; skipped patches are
 * never requested by the merger, and if asked for they are filled with the
 * padding value without reading the input.
 *
 * Explicit patch locations (SetPatchLocations, e.g. from a sampler) replace
 * the grid: patch k starts at the k-th given index, anywhere, overlapping or
 * not; the stack, its geometry and GetPatchOrigin(k) behave as for the grid,
 * and only the bounding box of the requested patches is requested from the
 * input. PatchOverlap, BorderMode, PadOverlap and the mask do not apply, and
 * no grid is written into the stack's MetaDataDictionary.
 *
 * The default stack type is Image<P, N+1> for Image<P, N> and
 * VectorImage<T, N+1> for VectorImage<T, N>; the stack's component type may
 * differ from the input's (components are converted with static_cast).
 *
 * \sa PatchMerger, PatchGrid, PatchByPatchImageFilter, RegionOfInterestImageFilter, ConstantPadImageFilter,
 * MirrorPadImageFilter, WrapPadImageFilter, PatchSampler \ingroup PatchStreaming
 */
template <typename TInputImage,
          typename TOutputImage = typename TInputImage::template RebindImageType<typename TInputImage::PixelType,
                                                                                 TInputImage::ImageDimension + 1>,
          typename TMaskImage = Image<unsigned char, TInputImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT PatchExtractor : public ImageToImageFilter<TInputImage, TOutputImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PatchExtractor);

  using Self = PatchExtractor;
  using Superclass = ImageToImageFilter<TInputImage, TOutputImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(PatchExtractor);

  static constexpr unsigned int InputImageDimension = TInputImage::ImageDimension;
  static constexpr unsigned int OutputImageDimension = TOutputImage::ImageDimension;
  static_assert(OutputImageDimension == InputImageDimension + 1, "the stack has one more axis than the image");

  using InputImageType = TInputImage;
  using OutputImageType = TOutputImage;
  using InputPixelType = typename InputImageType::PixelType;
  using OutputImageRegionType = typename OutputImageType::RegionType;
  using PatchGridType = PatchGrid<InputImageDimension>;
  using SizeType = typename PatchGridType::SizeType;
  using BorderModeEnum = PatchStreamingEnums::BorderMode;
  using PaddingEnum = PatchStreamingEnums::Padding;

  /** Patch size in voxels per axis (required, every entry at least 1). */
  itkSetMacro(PatchSize, SizeType);
  itkGetConstReferenceMacro(PatchSize, SizeType);

  /** Overlap of neighbouring patches in voxels per axis (less than the patch size). */
  itkSetMacro(PatchOverlap, SizeType);
  itkGetConstReferenceMacro(PatchOverlap, SizeType);

  /** What happens when the patches do not tile an axis exactly (default Squeeze). */
  itkSetMacro(BorderMode, BorderModeEnum);
  itkGetConstMacro(BorderMode, BorderModeEnum);

  /** In Pad mode, also extend the grid by floor(overlap/2) before and after the image. */
  itkSetMacro(PadOverlap, bool);
  itkGetConstMacro(PadOverlap, bool);
  itkBooleanMacro(PadOverlap);

  /** Where voxels outside the image come from (default Constant). */
  itkSetMacro(Padding, PaddingEnum);
  itkGetConstMacro(Padding, PaddingEnum);

  /** The value of outside voxels with Constant padding (default zero). */
  itkSetMacro(PaddingValue, InputPixelType);
  itkGetConstReferenceMacro(PaddingValue, InputPixelType);

  /** Optional: patches with no non-zero mask voxel are skipped. */
  using MaskImageType = TMaskImage;
  itkSetInputMacro(MaskImage, MaskImageType);
  itkGetInputMacro(MaskImage, MaskImageType);

  /** The grid of the current input; valid after UpdateOutputInformation(). */
  const PatchGridType &
  GetPatchGrid() const
  {
    return m_PatchGrid;
  }

  using IndexType = typename InputImageType::IndexType;
  using RegionType = typename InputImageType::RegionType;
  using PointType = typename InputImageType::PointType;
  using PatchLocationsType = std::vector<IndexType>;

  /** Explicit patches instead of the grid: the first voxel of each patch in
   * the input's index space. Each patch must overlap the input's largest
   * region (its outside voxels come from Padding). Empty (the default): the grid. */
  void
  SetPatchLocations(const PatchLocationsType & locations)
  {
    if (locations != m_PatchLocations)
    {
      m_PatchLocations = locations;
      this->Modified();
    }
  }
  const PatchLocationsType &
  GetPatchLocations() const
  {
    return m_PatchLocations;
  }

  /** SetPatchLocations from one flat list of index values, InputImageDimension per
   * location (axis 0 first), as PatchSampler::SampleIndices gives them: for the
   * Python wrapping. Throws unless the length is a multiple of InputImageDimension. */
  void
  SetPatchLocationIndices(const std::vector<IndexValueType> & flat)
  {
    if (flat.size() % InputImageDimension != 0)
    {
      itkExceptionMacro(<< "SetPatchLocationIndices: " << flat.size() << " values is not a multiple of the "
                        << InputImageDimension << " values of one location");
    }
    PatchLocationsType locations(flat.size() / InputImageDimension);
    for (size_t k = 0; k < locations.size(); ++k)
    {
      std::copy_n(
        flat.begin() + static_cast<std::ptrdiff_t>(k * InputImageDimension), InputImageDimension, locations[k].begin());
    }
    this->SetPatchLocations(locations);
  }

  /** Patch k's region in the input's index space, from the grid or the
   * explicit locations; valid after UpdateOutputInformation(). */
  RegionType
  GetPatchRegion(SizeValueType k) const;

  /** The physical point of patch k's first voxel; valid after UpdateOutputInformation(). */
  PointType
  GetPatchOrigin(SizeValueType k) const;

protected:
  PatchExtractor();
  ~PatchExtractor() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  /** Lays out the grid over the input's largest region (restricted by the
   * mask, read here slab by slab) and sets the stack's size
   * [P_0, ..., P_{N-1}, number of patches], geometry and grid metadata. */
  void
  GenerateOutputInformation() override;

  /** Requests the bounding box of the input voxels that the requested patches
   * (and the requested voxels within them) read, boundary condition included:
   * always inside the input's largest region. The mask, already read, is
   * asked for one voxel. */
  void
  GenerateInputRequestedRegion() override;

  /** Allocates the requested patches, taking back the buffer of the last
   * request when nothing else holds it any more and it is large enough.
   * A pipeline that releases the stack after each request (an in-place
   * filter downstream, or ReleaseDataFlag) would otherwise get a new buffer,
   * page by page, for every batch or line (glibc maps blocks above 32 MiB
   * afresh each time). The extractor keeps that one buffer, of its largest
   * request, until it is destroyed or a larger request replaces it. */
  void
  AllocateOutputs() override;

  /** Converts PaddingValue to the stack's components (throws when its
   * component count is not the input's); touches no region. */
  void
  BeforeThreadedGenerateData() override;

  /** Copies the requested patches; threads split the stack along its patch axis. */
  void
  DynamicThreadedGenerateData(const OutputImageRegionType & outputRegionForThread) override;

  /** Reports the request done (progress 1): the work units' last rows may be
   * counted on threads that send no ProgressEvent. */
  void
  AfterThreadedGenerateData() override;

private:
  using OutputComponentType = PatchStreamingDetail::PixelComponentType<OutputImageType>;

  /** Checks the explicit locations against the input's largest region. */
  void
  VerifyPatchLocations() const;

  /** Per axis, the first and one-past-last voxel (relative to the first image
   * voxel) that the requested stack region reads, before the boundary condition. */
  std::pair<IndexType, IndexType>
  RequestedExtent(const OutputImageRegionType & stackRegion) const;

  /** Writes one row of patch voxels, `length` long, into the stack at
   * `target`: the row at `stackIndex` of the patch that starts at
   * `patchStart`, read from the input through the boundary condition. */
  void
  CopyPatchRow(const IndexType &                           patchStart,
               const typename OutputImageType::IndexType & stackIndex,
               OffsetValueType                             length,
               OutputComponentType *                       target) const;

  /** Writes the padding value into `count` voxels at `target`. */
  void
  FillPadding(OutputComponentType * target, OffsetValueType count) const;

  /** Which patches hold a non-zero mask voxel, reading the mask one slab of patches at a time. */
  std::vector<bool>
  FindKeptPatches(MaskImageType * mask) const;

  SizeType                         m_PatchSize{};
  SizeType                         m_PatchOverlap{};
  BorderModeEnum                   m_BorderMode{ BorderModeEnum::Squeeze };
  bool                             m_PadOverlap{ false };
  PaddingEnum                      m_Padding{ PaddingEnum::Constant };
  InputPixelType                   m_PaddingValue{};
  PatchGridType                    m_PatchGrid{};
  PatchLocationsType               m_PatchLocations{};
  RegionType                       m_ImageRegion{};
  std::vector<OutputComponentType> m_PaddingComponents{};
  /** The stack's last buffer, for AllocateOutputs to take back. */
  typename OutputImageType::PixelContainerPointer m_StackBuffer{};
};
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkPatchExtractor.hxx"
#endif

#endif
