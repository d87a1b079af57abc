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
#ifndef itkPatchMerger_h
#define itkPatchMerger_h

#include "itkImageToImageFilter.h"
#include "itkPatchGrid.h"
#include "itkPatchGridMetaData.h"
#include "itkPatchMergeAccumulator.h"
#include "itkPatchStackGrid.h"
#include "itkPatchStackPuller.h"
#include "itkPatchPixelComponents.h"
#include "itkPatchStreamingCompatibility.h"
#include "itkPatchWindows.h"

#include <array>
#include <type_traits>
#include <utility>
#include <vector>

namespace itk
{
/** \class PatchMerger
 * \brief Blends an (N+1)-D patch stack back into the N-D image it was cut from.
 *
 * Every patch k contributes w_k(x) v_k(x); the output is
 * sum_k w_k(x) v_k(x) / sum_k w_k(x) where some patch covers x, and
 * BackgroundValue elsewhere (the remainder of Crop border mode). The windows
 * are separable and the patches form the grid's full Cartesian product, so the
 * denominator is the product of one 1-D normaliser per axis (docs/design.md section 4):
 * no weight or count volume is ever allocated.
 *
 * Weighting (1-D profiles per axis, see PatchAxisWindow and docs/design.md section 4):
 * - Average: 1 on the patch.
 * - Gaussian: exp(-(t-c)^2/(2 sigma^2)), c = (P-1)/2, sigma = SigmaScale P
 *   (default 0.125), raised to MinimumWeight (default 1e-3). With
 *   MinimumWeightOnWindow the floor applies to the N-D window, the product of
 *   the profiles, max(prod_d g_d, MinimumWeight), as MONAI's
 *   compute_importance_map clamps its importance map (equal to the product of
 *   the floored profiles raised to the floor again, since every profile is at
 *   most 1). Such windows are not separable: the merger then sums the weights
 *   next to the values, as for a mask-restricted grid (below), in row buffers
 *   over the requested region, never a full-size volume.
 * - Hann: sin^2(pi (t+1)/(P+1)).
 * - Crop: each covered voxel taken from the one patch whose center is
 *   nearest; a seamless partition, no blending.
 * - Custom: one user profile of P_d values per axis (SetCustomProfile), of
 *   any scale: only its ratios matter (it is scaled exactly, by a power of two).
 * Adaptive's shorter patches get profiles built for their window length.
 *
 * InputIsWeighted: the stack already holds w_k v_k for the merger's own
 * weighting (SeparableGaussianWeighting with the same SigmaScale and
 * MinimumWeight for Weighting::Gaussian); the merger only adds the values
 * and divides by the normaliser, and the result is bit-identical to merging
 * the unweighted stack. A weighted value is always formed in the stack's
 * floating-point component type (the accumulator's for integer stacks), as
 * SeparableGaussianWeighting stores it.
 *
 * Streaming (docs/design.md section 5): inside one Update the merger pulls the stack
 * one patch line (the patches that share every grid index but the one on
 * axis 0) at a time, only the lines that overlap the requested output region,
 * the way StreamingImageFilter drives its input; it never requests the whole
 * stack. A downstream StreamingImageFilter or ImageFileWriter with several
 * divisions makes each division pull only the lines that overlap it; the
 * lines that straddle a division's end are scattered whole, and the sums they
 * leave past the end are carried to the next request when it is the adjacent
 * division (the usual order) with nothing modified in between, so every patch
 * is computed once per streamed update. Any other request recomputes them.
 * Divisions and the carry are along the slice axis: the slowest axis the
 * image is more than one voxel long on, as ITK's splitters cut (axis 1 for a
 * 3-D image one slice deep).
 * When the stack's ReleaseDataFlag is on, each line is released as soon as
 * it is scattered, so the next line is never computed while it is still held.
 *
 * A stack already in memory whole (the first line pulled leaves every patch
 * over the request buffered: an image, or a source that produced the stack
 * whole) is merged row by row instead: each output row gathers every patch
 * row over it, line after line in the same order, in a buffer that stays in
 * cache, and is written once. Nothing is zeroed or carried, and the stack is
 * read once in its own order, so the merge runs close to the speed of reading
 * the stack; when its lines reach past the request, the stack stays buffered
 * for the next division even with ReleaseDataFlag on. The result is bit-identical to the line-by-line merge. (A
 * mask-restricted grid, below, is always merged line by line.)
 *
 * A mask-restricted grid (PatchGrid::HasSkippedPatches, from an extractor
 * with a MaskImage) breaks the separable denominator: the merger then sums
 * the weights too, next to the values over the requested region only (in the
 * row buffers, never a full-size volume), requests only runs of kept patches,
 * and writes BackgroundValue where no kept patch reaches.
 *
 * Multi-component stacks (VectorImage, Image<Vector>) merge component by
 * component into an output with as many components: C class probabilities
 * computed from a 1-channel image merge with the grid of that image. Merged
 * into a scalar integer image (unsigned char, or unsigned short past 256
 * classes) they give the label map: each voxel the first largest of its
 * merged components (NaN never wins, 0 where all are NaN), the labels
 * ComponentArgmaxImageFilter takes from the C-component output, found as
 * each row is finished; BackgroundValue labels the voxels no kept patch
 * reaches, and more components than the type holds labels for throw in
 * GenerateOutputInformation (docs/design.md section 4).
 *
 * Line by line, accumulation happens in the output buffer when the output's
 * component type is float or double, and else in row buffers (double; the
 * stack's type for a label map) allocated when a line first reaches the row
 * and freed once it is finished, so only about the overlap's slices are
 * resident; integer outputs' values are
 * rounded to nearest (halves away from zero), saturate exactly at the type's
 * limits (+-Inf too) and are 0 for NaN (docs/design.md section 4). A row is finished
 * (normalised, converted, written) right after the last line that touches it,
 * while its sums are still in cache. Patches are added in increasing k, so the
 * result is bit-identical for any number of threads and any streaming split.
 *
 * The grid comes from SetPatchGrid() or, when none is set, from the stack's
 * MetaDataDictionary (PatchGrid_* keys, as PatchExtractor writes them). The
 * stack's pixel type and number of components may differ from the image the
 * grid came from; its size must be [P_0, ..., P_{N-1}, number of patches].
 * The output has the grid's image geometry.
 *
 * \sa PatchExtractor, SeparableGaussianWeighting, PatchByPatchImageFilter, ComponentArgmaxImageFilter,
 * StreamingImageFilter, JoinSeriesImageFilter, TileImageFilter \ingroup PatchStreaming
 */
template <typename TInputImage,
          typename TOutputImage = typename TInputImage::template RebindImageType<typename TInputImage::PixelType,
                                                                                 TInputImage::ImageDimension - 1>>
class ITK_TEMPLATE_EXPORT PatchMerger : public ImageToImageFilter<TInputImage, TOutputImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PatchMerger);

  using Self = PatchMerger;
  using Superclass = ImageToImageFilter<TInputImage, TOutputImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkOverrideGetNameOfClassMacro(PatchMerger);

  static constexpr unsigned int InputImageDimension = TInputImage::ImageDimension;
  static constexpr unsigned int OutputImageDimension = TOutputImage::ImageDimension;
  static_assert(InputImageDimension == OutputImageDimension + 1, "the stack has one more axis than the image");

  using InputImageType = TInputImage;
  using OutputImageType = TOutputImage;
  using OutputPixelType = typename OutputImageType::PixelType;
  using OutputImageRegionType = typename OutputImageType::RegionType;
  using OutputImageIndexType = typename OutputImageType::IndexType;
  using InputImageRegionType = typename InputImageType::RegionType;
  using PatchGridType = PatchGrid<OutputImageDimension>;
  using WeightingEnum = PatchStreamingEnums::Weighting;

  /** SetPatchGrid(grid): the grid the stack was cut with; an empty grid means:
   * read it from the stack's MetaDataDictionary. GetPatchGrid(): the grid in
   * use, the one set, else the one read from the stack (after UpdateOutputInformation()). */
  itkPatchStackGridMacro(PatchGridType);

  /** The blending window (default Average). */
  itkSetMacro(Weighting, WeightingEnum);
  itkGetConstMacro(Weighting, WeightingEnum);

  /** Gaussian sigma as a fraction of the patch size (default 0.125). */
  itkSetMacro(SigmaScale, double);
  itkGetConstMacro(SigmaScale, double);

  /** The floor of the Gaussian profiles (default 1e-3). */
  itkSetMacro(MinimumWeight, double);
  itkGetConstMacro(MinimumWeight, double);

  /** Weighting::Gaussian only: MinimumWeight raises the N-D window (MONAI's importance map)
   * rather than each 1-D profile (default off: separable, no weight sums). Refused with
   * InputIsWeighted, whose stack was weighted per axis (SeparableGaussianWeighting). */
  itkSetMacro(MinimumWeightOnWindow, bool);
  itkGetConstMacro(MinimumWeightOnWindow, bool);
  itkBooleanMacro(MinimumWeightOnWindow);

  /** The stack already holds weighted values w_k v_k (default off). */
  itkSetMacro(InputIsWeighted, bool);
  itkGetConstMacro(InputIsWeighted, bool);
  itkBooleanMacro(InputIsWeighted);

  /** The profile of Weighting::Custom along `axis`: PatchSize[axis] finite,
   * non-negative values (checked at update), of any scale (only the ratios
   * matter; Get returns them as given). */
  void
  SetCustomProfile(unsigned int axis, const std::vector<double> & profile);
  const std::vector<double> &
  GetCustomProfile(unsigned int axis) const;

  /** The value of voxels no patch covers (default zero). */
  itkSetMacro(BackgroundValue, OutputPixelType);
  itkGetConstReferenceMacro(BackgroundValue, OutputPixelType);

  /** The merged output values (voxel components; for a label map, the merged components its
   * labels are taken from) that were NaN or infinite, over every
   * region merged since the merger was made or ResetNumberOfNonFiniteValues() was called:
   * a NaN or an infinity in the stack where its weight is not 0 makes the voxels it reaches
   * NaN or infinite, and so do finite values whose weighted sum overflows. Counted as the
   * rows are written (no pass of its own); for an integer output, before RoundToInteger
   * turns NaN into 0. The background of uncovered voxels is never counted. A streamed output
   * counts each voxel once, a region merged again counts again. */
  itkGetConstMacro(NumberOfNonFiniteValues, SizeValueType);
  void
  ResetNumberOfNonFiniteValues()
  {
    m_NumberOfNonFiniteValues = 0;
  }

protected:
  PatchMerger() = default;
  ~PatchMerger() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  /** Takes the grid (set, or from the stack's metadata), checks the stack's size
   * against it, checks the weighting on the grid's patches (PatchWindows: a
   * window that sums to 0, weights too small for the stack's precision), and
   * gives the output the grid's image geometry. Nothing upstream is computed
   * before a refusal. */
  void
  GenerateOutputInformation() override;

  /** Like StreamingImageFilter: the stack's requested regions are set line by
   * line in GenerateData (PatchStackPuller), so nothing is propagated upstream here
   * and GenerateInputRequestedRegion is never called. */
  void
  PropagateRequestedRegion(DataObject * output) override;

  /** Runs GenerateData without first updating the whole input. */
  void
  UpdateOutputData(DataObject * output) override;

  /** Merges the requested output region: row by row when the stack holds
   * every patch over it, else pulling and scattering the lines that overlap it.
   * Adds the region's non-finite values to NumberOfNonFiniteValues. */
  void
  GenerateData() override;

private:
  using AccumulatorType = PatchStreamingDetail::PatchMergeAccumulator<InputImageType, OutputImageType>;
  using AccumulatorValueType = typename AccumulatorType::AccumulatorType;
  using StackPullerType = PatchStreamingDetail::PatchStackPuller<InputImageType>;

  /** Partial sums that lines straddling the end of the last request left in
   * the slices after it (docs/design.md section 5), kept for the adjacent division. */
  struct CarriedSums
  {
    /** The slots holding the rows of the slices held (PatchMergeAccumulator::TakeCarry): sums, or
     * output values for the rows already finished (PatchMergeAccumulator::FinishCarriedRow). */
    typename AccumulatorType::CarriedRows sums{};
    /** The slices held: [end of the last request, end of its last line) x the request's other axes. */
    OutputImageRegionType region{};
    /** Lines up to this grid position on the slice axis are already scattered. */
    IndexValueType   lastLinePosition{ -1 };
    ModifiedTimeType pipelineMTime{ 0 };
  };

  /** GenerateData's merge of the accumulator's region (the output's requested region). */
  void
  MergeRequestedRegion(AccumulatorType & accumulator, StackPullerType & stack);

  /** Whether the carried sums belong to the division just before `region`, with nothing modified since. */
  bool
  CanUseCarriedSums(const OutputImageRegionType & region) const;

  /** The weighting's parameters: Weighting, SigmaScale, MinimumWeight and the custom profiles. */
  PatchWindowParameters
  GetWindowParameters() const;

  /** The axis divisions are cut along and sums carried along: the slowest axis
   * the image is more than one voxel long on (PatchStreamingDetail::GetSliceAxis). */
  unsigned int
  GetSliceAxis() const;

  /** Throws ProcessAborted when AbortGenerateData is set, else sends `progress`. */
  void
  ReportProgress(float progress);

  /** The first line of the grid box `lines` not yet scattered by the previous
   * division (`scatteredThrough` on the slice axis); false when there is none. */
  bool
  GetFirstLineToPull(const OutputImageRegionType & lines,
                     IndexValueType                scatteredThrough,
                     OutputImageIndexType &        firstLine) const;

  /** Merges the accumulator's region line by line (docs/design.md section 5):
   * pulls each line of `lines` past `scatteredThrough`, scatters it, finishes
   * the rows no later line touches, and carries the sums past the region's end.
   * `arrived` holds the sums carried from the previous division. */
  void
  MergeLineByLine(AccumulatorType &             accumulator,
                  StackPullerType &             stack,
                  const OutputImageRegionType & lines,
                  const OutputImageRegionType & arrived,
                  IndexValueType                scatteredThrough);

  /** For the line whose rows in the region are `lastTouched` (its last slice-axis position of
   * the region's lines): where the sums have row buffers of their own and the output values
   * take less memory (a label map), finishes the same rows past the region up to `end` (the
   * next line's start: no later line reaches them) as soon as the line is scattered, and holds
   * them as output values (PatchMergeAccumulator::FinishCarriedRow) for their division. */
  void
  FinishRowsPastRegion(AccumulatorType & accumulator, const OutputImageRegionType & lastTouched, IndexValueType end);

  /** Keeps the carried sums for the next division when lines reached past
   * the region's end (`carryEnd`), else frees them. */
  void
  KeepCarry(AccumulatorType & accumulator, IndexValueType carryEnd, IndexValueType lastLinePosition);

  /** Pulls and scatters one patch line (in a mask-restricted grid, each run of
   * kept patches of it: skipped patches are never requested), and returns the
   * rows of `finalRows` its scatter finished. */
  OutputImageRegionType
  MergeLine(AccumulatorType &             accumulator,
            StackPullerType &             stack,
            const OutputImageIndexType &  lineStart,
            SizeValueType                 lineLength,
            const OutputImageRegionType & finalRows);

  /** Merges the accumulator's region from a stack that holds every patch of
   * `lines`, one row at a time: the row's sums gather every patch over it, in
   * the order of the line-by-line merge, in a buffer that stays in cache, and
   * the row is written once. Nothing is zeroed or carried. */
  void
  MergeRowByRow(AccumulatorType & accumulator, const OutputImageRegionType & lines);

  /** Adds the patches first..last of one line to the sums, over the rows
   * that patches rowsFrom..last cover (rowsFrom <= first: the earlier patches
   * of the line were added before). When they are scalar, it also finishes
   * the rows of `finalRows` it covers, whole, right after their last
   * addition, and returns the box of them (else an empty one). `partOfRun`:
   * a batch ends inside the line's run, so first..last is not all of it. */
  OutputImageRegionType
  ScatterLine(AccumulatorType &             accumulator,
              SizeValueType                 rowsFrom,
              SizeValueType                 first,
              SizeValueType                 last,
              const OutputImageRegionType & finalRows,
              bool                          partOfRun);

  /** Finishes the rows of `rows` outside the box `finished`. */
  void
  FinishRows(AccumulatorType &             accumulator,
             const OutputImageRegionType & rows,
             const OutputImageRegionType & finished);

  /** Calls `function(rowStart, length)` for the rows of `rows`, split over the work units. */
  template <typename TRowFunction>
  void
  ForEachRowInParallel(const OutputImageRegionType & rows, TRowFunction && function);

  /** Calls `function(piece)` for the pieces of `region` the work units split it into. */
  template <typename TPieceFunction>
  void
  ForEachPieceInParallel(const OutputImageRegionType & region, TPieceFunction && function);

  PatchStackGrid<OutputImageDimension>                  m_PatchGrid{};
  WeightingEnum                                         m_Weighting{ WeightingEnum::Average };
  double                                                m_SigmaScale{ 0.125 };
  double                                                m_MinimumWeight{ 1e-3 };
  bool                                                  m_InputIsWeighted{ false };
  bool                                                  m_MinimumWeightOnWindow{ false };
  std::array<std::vector<double>, OutputImageDimension> m_CustomProfiles{};
  OutputPixelType                                       m_BackgroundValue{};
  CarriedSums                                           m_CarriedSums{};
  /** Added to by each GenerateData that succeeds (GetNumberOfNonFiniteValues). */
  SizeValueType m_NumberOfNonFiniteValues{ 0 };
};
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkPatchMerger.hxx"
#endif

#endif
