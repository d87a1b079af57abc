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
#ifndef itkPatchMergeRowKernel_h
#define itkPatchMergeRowKernel_h

#include "itkPatchGrid.h"
#include "itkPatchPixelComponents.h"
#include "itkPatchWindows.h"

#include <atomic>
#include <type_traits>
#include <vector>

namespace itk
{
namespace PatchStreamingDetail
{
/** What the merge arithmetic needs of PatchMerger's settings. */
template <typename TOutputComponent>
struct PatchMergeSettings
{
  /** BackgroundValue as one value per component. */
  std::vector<TOutputComponent> Background{};
  PatchWindowParameters         WindowParameters{};
  bool                          InputIsWeighted{ false };
};

/** \class PatchMergeRowKernel
 * \brief The arithmetic of PatchMerger on one output row: adding the rows of
 * a run of patches to the row's sums, and finishing the row (normalising by
 * the separable normaliser or the summed weights, converting, writing).
 *
 * It owns the separable windows of the grid (PatchWindows) and the
 * background. A weighted value w*v is formed in the stack's floating-point
 * type (the accumulator's for integer stacks), as SeparableGaussianWeighting
 * stores it, and patches are added in increasing k: the sums are
 * bit-identical however the rows are split or ordered between rows.
 * Integer outputs go through RoundToInteger: rounded to nearest, saturated
 * exactly at the type's limits, NaN to 0 (docs/design.md section 4). A label
 * output (IsLabelOutput: a multi-component stack, a scalar integer output)
 * gets the index of each voxel's largest merged component instead, from the
 * merged values a C-component output of the accumulator's type would hold
 * (ArgmaxRow: NaN never wins, ties go to the first component).
 *
 * \sa PatchMergeAccumulator, PatchMerger, PatchWindows
 * \ingroup PatchStreaming
 */
template <typename TStack, typename TOutputImage>
class ITK_TEMPLATE_EXPORT PatchMergeRowKernel
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PatchMergeRowKernel);

  static constexpr unsigned int ImageDimension = TOutputImage::ImageDimension;

  using StackType = TStack;
  using OutputImageType = TOutputImage;
  using RegionType = typename OutputImageType::RegionType;
  using IndexType = typename OutputImageType::IndexType;
  using GridType = PatchGrid<ImageDimension>;
  using WindowsType = PatchWindows<ImageDimension>;
  using OutputComponentType = PixelComponentType<OutputImageType>;
  using InputComponentType = PixelComponentType<StackType>;
  /** A label map of a multi-component stack: each voxel the index of its largest merged component. */
  static constexpr bool IsLabelOutput = !std::is_same<typename StackType::PixelType, InputComponentType>::value &&
                                        std::is_same<typename OutputImageType::PixelType, OutputComponentType>::value &&
                                        std::is_integral<OutputComponentType>::value;
  /** The sums' type: a floating-point output's own; for a label output the stack's floating-point type
   * (the merged values are those of a C-component output of it); else double. */
  using AccumulatorType = std::conditional_t<
    std::is_floating_point<OutputComponentType>::value,
    OutputComponentType,
    std::conditional_t<IsLabelOutput && std::is_floating_point<InputComponentType>::value, InputComponentType, double>>;
  /** Where w * v is formed: the stack's own precision, as SeparableGaussianWeighting stores it. */
  using WeightedValueType =
    std::conditional_t<std::is_floating_point<InputComponentType>::value, InputComponentType, AccumulatorType>;
  using SettingsType = PatchMergeSettings<OutputComponentType>;

  /** A run of kept patches of one patch line, with what adding them to a row needs. */
  struct PatchRun
  {
    /** The first patch's k: the run holds patches first, first + 1, ... */
    SizeValueType first{ 0 };
    /** The grid index of the first patch: the run's patches share it but on axis 0. */
    IndexType gridIndex{};
    /** Each patch's region of the image. */
    std::vector<RegionType> regions{};
    /** Grid index along axis 0, a patch's. */
    std::vector<IndexValueType> positions{};
    /** Most positions (all interior ones) share one axis-0 profile. */
    std::vector<const std::vector<double> *> distinctProfiles{};
    /** A patch's profile, into distinctProfiles. */
    std::vector<SizeValueType> profileOfPatch{};
    /** Every profile is 1 throughout (Average weighting). */
    bool unitProfiles{ true };
  };

  /** The sums of one output row, wherever they live. */
  struct RowSums
  {
    AccumulatorType * sums;
    IndexType         start;
    SizeValueType     length;
  };

  /** Reads `stack`, writes `output` (one value per component, plus the summed
   * weight in a mask-restricted grid). Throws what PatchWindows' constructor
   * throws (bad weighting parameters). The caller has checked that the
   * windows' weights fit WeightedValueType (PatchWindows::CheckWeightsFit:
   * PatchMerger does so in GenerateOutputInformation, before any patch is
   * computed). */
  PatchMergeRowKernel(const StackType *    stack,
                      OutputImageType *    output,
                      const GridType &     grid,
                      const SettingsType & settings)
    : m_Stack(stack)
    , m_Output(output)
    , m_Grid(grid)
    , m_Background(settings.Background)
    , m_InputIsWeighted(settings.InputIsWeighted)
    , m_Windows(grid, settings.WindowParameters)
    , m_Components(stack->GetNumberOfComponentsPerPixel())
    , m_WindowFloor(settings.WindowParameters.GetWindowFloor())
    , m_ValuesPerVoxel(m_Components + (grid.HasSkippedPatches() || m_WindowFloor > 0.0 ? 1 : 0))
  {}

  /** Values per voxel in a row's sums: the components, plus the summed weight in a mask-restricted
   * grid or with a floored N-D window. */
  OffsetValueType
  GetValuesPerVoxel() const
  {
    return m_ValuesPerVoxel;
  }

  /** Whether the weights are summed next to the values (a mask-restricted grid, or a floored N-D
   * window: either breaks the separable normaliser). */
  bool
  SumsWeights() const
  {
    return m_ValuesPerVoxel > m_Components;
  }

  /** Whether the output holds the merged components themselves (not a label map), so that a row's
   * sums can live in the output's row. */
  static constexpr bool
  WritesComponents()
  {
    return !IsLabelOutput;
  }

  /** The patches first..last (kept, in one line), their regions and distinct axis-0 profiles. */
  PatchRun
  MakePatchRun(SizeValueType first, SizeValueType last) const;

  /** Adds the run's part of `row`; `weights` is scratch for the scalar case's weights. */
  void
  AddRunToRow(const PatchRun & run, const RowSums & row, std::vector<WeightedValueType> & weights) const;

  /** Normalises, converts and writes `row` (a label output: overwrites its sums with the merged values), and counts
   * the merged values of it that are NaN or infinite (GetNumberOfNonFiniteValues). Called by
   * several threads at once, on different rows. */
  void
  FinishRow(const RowSums & row) const;

  /** FinishRow into `values` (the row's length times GetOutputValuesPerVoxel() output
   * components) instead of the output buffer: a row past the requested region that no later
   * line reaches, kept so until its division (PatchMergeAccumulator::FinishCarriedRow).
   * Returns the row's non-finite merged values, not yet counted (AddNonFiniteValues). */
  SizeValueType
  FinishRowInto(const RowSums & row, OutputComponentType * values) const;

  /** Counts `count` more non-finite merged values (GetNumberOfNonFiniteValues). */
  void
  AddNonFiniteValues(SizeValueType count) const
  {
    if (count > 0)
    {
      m_NumberOfNonFiniteValues.fetch_add(count, std::memory_order_relaxed);
    }
  }

  /** The output components per voxel: 1 for a label output, else the stack's components. */
  OffsetValueType
  GetOutputValuesPerVoxel() const
  {
    return IsLabelOutput ? 1 : m_Components;
  }

  /** Where the output buffer holds the row that starts at `rowStart`. */
  OutputComponentType *
  GetOutputRow(const IndexType & rowStart) const
  {
    return GetComponentBuffer(m_Output) + this->GetOutputValuesPerVoxel() * m_Output->ComputeOffset(rowStart);
  }

  /** The merged values (voxel components, before conversion to the output type; never the
   * background of uncovered voxels) that were NaN or infinite, over the rows finished so far:
   * a NaN or an infinity in the stack where its weight is not 0, or finite values whose
   * weighted sum overflowed. */
  SizeValueType
  GetNumberOfNonFiniteValues() const
  {
    return m_NumberOfNonFiniteValues.load(std::memory_order_relaxed);
  }

private:
  /** The part of one row that one patch of a run covers. */
  struct PatchRowPart
  {
    const InputComponentType *           source{ nullptr };
    AccumulatorType *                    sums{ nullptr };
    SizeValueType                        length{ 0 };
    typename OutputImageType::OffsetType offset{};
  };

  /** The scalar case's weights of the row, float(rowWeight * profile) per distinct profile. */
  void
  FormRowWeights(const PatchRun & run, double rowWeight, std::vector<WeightedValueType> & weights) const;

  /** Where the row part at voxel `offset` of patch `i` of the run starts in
   * the stack; prefetches the patch's rows after it. */
  const InputComponentType *
  GetPatchRowSource(const PatchRun &                             run,
                    SizeValueType                                i,
                    const typename OutputImageType::OffsetType & offset,
                    SizeValueType                                length) const;

  /** Adds `length` values whose weights are all 1 (Average): the values as they are. */
  static void
  AddUnitWeighted(const InputComponentType * source, AccumulatorType * sums, SizeValueType length);

  /** Adds `length` scalar values with their weights, weightAt(j) for value j (formed
   * beforehand or as it adds), branch-free. */
  template <typename TWeightAt>
  void
  AddScalar(const InputComponentType * source, AccumulatorType * sums, SizeValueType length, TWeightAt weightAt) const;

  /** Adds a part of several components (or with summed weights), voxel by voxel. */
  void
  AddComponents(const PatchRowPart & part, const IndexType & gridIndex, double rowWeight) const;

  /** Where a row is written, and the separable normaliser's reciprocals over it. */
  struct RowTarget
  {
    OutputComponentType * values;
    /** 1 / (the product of W_d along axes 1..N-1), 0 where it is 0. */
    double rowReciprocal;
    /** 1 / W_0 along the row. */
    const double * reciprocals;
  };

  /** FinishRow for float outputs of a scalar stack, branch-free so that it vectorises;
   * returns the number of non-finite merged values written. */
  SizeValueType
  FinishScalarRow(const RowSums & row, const RowTarget & target) const;

  /** FinishRow for every other case, voxel by voxel; returns the number of non-finite merged values. */
  SizeValueType
  FinishVoxels(const RowSums & row, const RowTarget & target) const;

  /** FinishRow for a label output: the merged values in place of the sums, then each voxel's label
   * (BackgroundValue where no patch reaches); returns the number of non-finite merged values. */
  SizeValueType
  FinishLabels(const RowSums & row, const RowTarget & target) const;

  /** Calls `visit(j, voxelSums, scale)` for each voxel j of the row with its sums and the factor
   * that turns them into merged values (GetVoxelScale). */
  template <typename TVisit>
  void
  ForEachVoxelScale(const RowSums & row, const RowTarget & target, TVisit && visit) const
  {
    const bool            sumWeights = this->SumsWeights();
    const OffsetValueType components = m_Components;
    const OffsetValueType valuesPerVoxel = m_ValuesPerVoxel;
    for (SizeValueType j = 0; j < row.length; ++j)
    {
      AccumulatorType * voxelSums = row.sums + static_cast<OffsetValueType>(j) * valuesPerVoxel;
      visit(j, voxelSums, GetVoxelScale(voxelSums, components, sumWeights, target, j));
    }
  }

  /** The factor that turns voxel j's sums into merged values: 1 / (the summed weights, which follow
   * the `components` values) when `sumWeights` (a mask-restricted grid), else the separable
   * normaliser's reciprocal; 0 where no patch reaches. */
  static double
  GetVoxelScale(const AccumulatorType * voxelSums,
                OffsetValueType         components,
                bool                    sumWeights,
                const RowTarget &       target,
                SizeValueType           j)
  {
    if (sumWeights)
    {
      const auto summedWeights = static_cast<double>(voxelSums[components]);
      return summedWeights > 0.0 ? 1.0 / summedWeights : 0.0;
    }
    return target.rowReciprocal * target.reciprocals[j];
  }

  const StackType *                      m_Stack;
  OutputImageType *                      m_Output;
  const GridType &                       m_Grid;
  const std::vector<OutputComponentType> m_Background;
  const bool                             m_InputIsWeighted;
  const WindowsType                      m_Windows;
  const OffsetValueType                  m_Components;
  /** The N-D window's floor (PatchWindowParameters::GetWindowFloor): 0, or MinimumWeight. */
  const double m_WindowFloor;
  /** components, plus the sum of the weights when some patches are skipped or the N-D window is
   * floored (it follows the components). */
  const OffsetValueType m_ValuesPerVoxel;
  /** Added to once per row that has any (rarely), by whichever thread finished it. */
  mutable std::atomic<SizeValueType> m_NumberOfNonFiniteValues{ 0 };
};
} // end namespace PatchStreamingDetail
} // end namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkPatchMergeRowKernel.hxx"
#endif

#endif
