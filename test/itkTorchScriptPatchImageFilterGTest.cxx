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
// TorchScriptPatchImageFilter against PyTorch run directly (test/torch/torch_reference.py):
// the same patches, the whole sliding-window inference on the T1 volume,
// streaming, test-time mirroring, tuple outputs and bad input.
#include "itkComponentArgmaxImageFilter.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"
#include "itkTorchScriptPatchImageFilter.h"

#include "itkImageFileReader.h"
#include "itkNiftiImageIOFactory.h"
#include "itkStreamingImageFilter.h"
#include "itkVectorImage.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

namespace
{
using namespace PatchStreamingTest;
using VectorImageType = itk::VectorImage<float, 3>;
using VectorStackType = itk::VectorImage<float, 4>;
using LabelImageType = itk::Image<unsigned char, 3>;
template <typename TInputStack, typename TOutputStack = VectorStackType>
using TorchFilter = itk::TorchScriptPatchImageFilter<TInputStack, TOutputStack>;

std::string
Model(const std::string & name)
{
  return std::string(PatchStreaming_TORCH_MODELS) + "/" + name;
}

/** A fresh directory for one test's files. */
std::filesystem::path
WorkDirectory()
{
  const auto * test = testing::UnitTest::GetInstance()->current_test_info();
  auto directory = std::filesystem::temp_directory_path() / ("PatchStreamingTorch-" + std::string(test->name()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  return directory;
}

void
WriteRaw(const float * values, size_t count, const std::filesystem::path & file)
{
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char *>(values), count * sizeof(float));
}

std::vector<float>
ReadRaw(const std::filesystem::path & file, size_t count)
{
  std::vector<float> values(count);
  std::ifstream      stream(file, std::ios::binary);
  stream.read(reinterpret_cast<char *>(values.data()), count * sizeof(float));
  EXPECT_EQ(static_cast<size_t>(stream.gcount()), count * sizeof(float)) << file;
  return values;
}

/** Runs test/torch/torch_reference.py with `arguments`. */
void
RunReference(const std::string & arguments)
{
  const std::string command =
    std::string(PatchStreaming_PYTHON) + " " + PatchStreaming_TORCH_REFERENCE + " " + arguments;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

/** The largest |a - b| over two buffers of the same length. */
double
MaximumDifference(const float * a, const std::vector<float> & b)
{
  double largest = 0.0;
  for (size_t i = 0; i < b.size(); ++i)
  {
    largest = std::max(largest, static_cast<double>(std::abs(a[i] - b[i])));
  }
  return largest;
}

/** The model's output for every patch of `stack`, by PyTorch (one patch per call). */
template <typename TStack>
std::vector<float>
ReferencePatches(const TStack *      stack,
                 const std::string & model,
                 unsigned int        outputChannels,
                 const std::string & mirrorAxes = "")
{
  const auto   directory = WorkDirectory();
  const auto & size = stack->GetBufferedRegion().GetSize();
  const auto   components = stack->GetNumberOfComponentsPerPixel();
  WriteRaw(itk::PatchStreamingDetail::GetComponentBuffer(stack),
           stack->GetBufferedRegion().GetNumberOfPixels() * components,
           directory / "stack.raw");
  RunReference("patches " + model + " " + (directory / "stack.raw").string() + " " + (directory / "out.raw").string() +
               " " + std::to_string(size[3]) + " " + std::to_string(components) + " " + std::to_string(size[0]) + " " +
               std::to_string(size[1]) + " " + std::to_string(size[2]) + " " + mirrorAxes);
  return ReadRaw(directory / "out.raw", stack->GetBufferedRegion().GetNumberOfPixels() * outputChannels);
}

template <typename TImage>
typename itk::PatchExtractor<TImage>::Pointer
ExtractedOddImage(unsigned int components)
{
  // Odd sizes, anisotropic spacing, an oblique direction; values scaled to the models' 0..255 range.
  auto image = MakeRandomImage<TImage>({ { 23, 19, 13 } }, 7, components);
  auto extractor = MakeExtractor<TImage>(image, { { 8, 6, 5 } }, { { 3, 2, 2 } }, BorderMode::Pad);
  extractor->Update();
  return extractor;
}

TEST(TorchScriptPatchImageFilter, ScalarStackEqualsPyTorchOnTheSamePatches)
{
  auto extractor = ExtractedOddImage<ImageType>(1);
  auto filter = TorchFilter<StackType>::New();
  filter->SetInput(extractor->GetOutput());
  filter->SetModelFileName(Model("segmentation.pt"));
  filter->SetBatchSize(3); // does not divide the number of patches
  filter->Update();
  const VectorStackType * output = filter->GetOutput();
  ASSERT_EQ(output->GetNumberOfComponentsPerPixel(), 3u);
  EXPECT_EQ(output->GetLargestPossibleRegion(), extractor->GetOutput()->GetLargestPossibleRegion());
  EXPECT_EQ(output->GetSpacing(), extractor->GetOutput()->GetSpacing());
  EXPECT_EQ(output->GetOrigin(), extractor->GetOutput()->GetOrigin());
  EXPECT_EQ(output->GetDirection(), extractor->GetOutput()->GetDirection());
  itk::PatchGrid<3> carried;
  ASSERT_TRUE(itk::ExposePatchGrid(output->GetMetaDataDictionary(), carried));
  EXPECT_EQ(carried, extractor->GetPatchGrid());

  const auto expected = ReferencePatches(extractor->GetOutput(), Model("segmentation.pt"), 3);
  EXPECT_LE(MaximumDifference(output->GetBufferPointer(), expected), 1e-5);
}

/** The NaN or infinite values the network returns are counted: as many as
 * PyTorch's own run of the broken model gives (class 1 NaN above 200), and as
 * the output holds; counts add up over updates until reset. */
TEST(TorchScriptPatchImageFilter, NonFiniteOutputsAreCountedAsPyTorchReturnsThem)
{
  // Odd sizes, anisotropic spacing, an oblique direction; values in [-256, 256), some above 200.
  auto image = MakeRandomImage<ImageType>({ { 23, 19, 13 } }, 7);
  std::for_each(image->GetBufferPointer(),
                image->GetBufferPointer() + image->GetBufferedRegion().GetNumberOfPixels(),
                [](float & value) { value *= 4.0f; });
  auto extractor = MakeExtractor<ImageType>(image, { { 8, 6, 5 } }, { { 3, 2, 2 } }, BorderMode::Pad);
  extractor->Update();
  auto filter = TorchFilter<StackType>::New();
  filter->SetInput(extractor->GetOutput());
  filter->SetModelFileName(Model("segmentation_nan.pt"));
  filter->SetBatchSize(3);
  filter->Update();
  const auto expected = ReferencePatches(extractor->GetOutput(), Model("segmentation_nan.pt"), 3);
  const auto notFinite = [](float value) { return !std::isfinite(value); };
  const auto count = static_cast<itk::SizeValueType>(std::count_if(expected.begin(), expected.end(), notFinite));
  ASSERT_GT(count, 0u);
  EXPECT_EQ(filter->GetNumberOfNonFiniteValues(), count);
  const VectorStackType * output = filter->GetOutput();
  const auto *            values = output->GetBufferPointer();
  EXPECT_EQ(static_cast<itk::SizeValueType>(
              std::count_if(values, values + output->GetBufferedRegion().GetNumberOfPixels() * 3, notFinite)),
            count);
  filter->Modified();
  filter->Update();
  EXPECT_EQ(filter->GetNumberOfNonFiniteValues(), 2 * count);
  filter->ResetNumberOfNonFiniteValues();
  EXPECT_EQ(filter->GetNumberOfNonFiniteValues(), 0u);
}

TEST(TorchScriptPatchImageFilter, TwoChannelStackEqualsPyTorchOnTheSamePatches)
{
  auto extractor = ExtractedOddImage<VectorImageType>(2);
  auto filter = TorchFilter<VectorStackType>::New();
  filter->SetInput(extractor->GetOutput());
  filter->SetModelFileName(Model("segmentation_2channel.pt"));
  filter->Update();
  const auto expected = ReferencePatches(extractor->GetOutput(), Model("segmentation_2channel.pt"), 3);
  EXPECT_LE(MaximumDifference(filter->GetOutput()->GetBufferPointer(), expected), 1e-5);
}

TEST(TorchScriptPatchImageFilter, MirroringEqualsTheExplicitAverageOfFlippedRuns)
{
  auto extractor = ExtractedOddImage<ImageType>(1);
  auto filter = TorchFilter<StackType>::New();
  filter->SetInput(extractor->GetOutput());
  filter->SetModelFileName(Model("segmentation.pt"));
  filter->SetMirrorAxes({ 0, 2 });
  filter->Update();
  const auto mirrored = ReferencePatches(extractor->GetOutput(), Model("segmentation.pt"), 3, "0,2");
  EXPECT_LE(MaximumDifference(filter->GetOutput()->GetBufferPointer(), mirrored), 1e-5);
  // And it is not the plain run: the network is not symmetric.
  const auto plain = ReferencePatches(extractor->GetOutput(), Model("segmentation.pt"), 3);
  EXPECT_GT(MaximumDifference(filter->GetOutput()->GetBufferPointer(), plain), 1e-3);
  EXPECT_THROW(filter->SetMirrorAxes({ 3 }), itk::ExceptionObject);
  EXPECT_THROW(filter->SetMirrorAxes({ 0, 2, 0 }), itk::ExceptionObject);
}

/** helper-77: a module that writes over its input (segmentation_inplace.pt doubles it, then
 * computes segmentation.pt's result on a halved copy) changed the batch the later, flipped passes
 * were flipped from: 3x instead of 2x in the tool's test. The flipped passes run on copies
 * first, the batch itself last. */
TEST(TorchScriptPatchImageFilter, MirroringAModuleThatWritesOverItsInputGivesItsResult)
{
  std::vector<std::vector<float>> outputs;
  for (const char * model : { "segmentation.pt", "segmentation_inplace.pt" })
  {
    auto extractor = ExtractedOddImage<ImageType>(1);
    auto filter = TorchFilter<StackType>::New();
    filter->SetInput(extractor->GetOutput());
    filter->SetModelFileName(Model(model));
    filter->SetMirrorAxes({ 0, 2 });
    filter->Update();
    const auto & output = *filter->GetOutput();
    outputs.emplace_back(output.GetBufferPointer(),
                         output.GetBufferPointer() +
                           output.GetBufferedRegion().GetNumberOfPixels() * output.GetNumberOfComponentsPerPixel());
  }
  EXPECT_EQ(outputs[0], outputs[1]);
}

/** helper-95: outputs near float's maximum (segmentation_huge.pt: segmentation.pt's times 3e38)
 * overflowed the sum of the flipped passes before it was divided: infinite everywhere. */
TEST(TorchScriptPatchImageFilter, MirroringOutputsNearFloatsMaximumAveragesThemWithoutOverflow)
{
  auto extractor = ExtractedOddImage<ImageType>(1);
  auto filter = TorchFilter<StackType>::New();
  filter->SetInput(extractor->GetOutput());
  filter->SetModelFileName(Model("segmentation_huge.pt"));
  filter->SetMirrorAxes({ 0, 2 });
  filter->Update();
  auto expected = ReferencePatches(extractor->GetOutput(), Model("segmentation.pt"), 3, "0,2");
  for (auto & value : expected)
  {
    value *= 3e38f;
  }
  EXPECT_LE(MaximumDifference(filter->GetOutput()->GetBufferPointer(), expected), 1e-5 * 3e38);
}

TEST(TorchScriptPatchImageFilter, TupleOutputsAreChosenByOutputIndex)
{
  auto extractor = ExtractedOddImage<ImageType>(1);
  auto single = TorchFilter<StackType>::New();
  single->SetInput(extractor->GetOutput());
  single->SetModelFileName(Model("segmentation.pt"));
  single->Update();
  auto tuple = TorchFilter<StackType>::New();
  tuple->SetInput(extractor->GetOutput());
  tuple->SetModelFileName(Model("segmentation_tuple.pt"));
  tuple->Update();
  EXPECT_EQ(single->GetModel()->GetNumberOfOutputs(), 1u);
  EXPECT_EQ(tuple->GetModel()->GetNumberOfOutputs(), 2u);
  const auto values = tuple->GetOutput()->GetBufferedRegion().GetNumberOfPixels() * 3;
  EXPECT_TRUE(std::equal(single->GetOutput()->GetBufferPointer(),
                         single->GetOutput()->GetBufferPointer() + values,
                         tuple->GetOutput()->GetBufferPointer()));
  // Output 1 is the logits: their softmax over the 3 channels is output 0.
  tuple->SetOutputIndex(1);
  tuple->Update();
  const float * logits = tuple->GetOutput()->GetBufferPointer();
  const float * probabilities = single->GetOutput()->GetBufferPointer();
  double        largest = 0.0;
  for (size_t v = 0; v < values; v += 3)
  {
    const double top = std::max({ logits[v], logits[v + 1], logits[v + 2] });
    double       sum = 0.0;
    for (unsigned int c = 0; c < 3; ++c)
    {
      sum += std::exp(logits[v + c] - top);
    }
    for (unsigned int c = 0; c < 3; ++c)
    {
      largest = std::max(largest, std::abs(std::exp(logits[v + c] - top) / sum - probabilities[v + c]));
    }
  }
  EXPECT_LE(largest, 1e-5);
  tuple->SetOutputIndex(2);
  EXPECT_THROW(tuple->Update(), itk::ExceptionObject);
  EXPECT_EQ(tuple->GetModel()->GetNumberOfOutputs(), 2u); // known from the failed probe too
}

/** helper-80: a model shared with SetModel was changed behind its users' backs: a filter with a
 * ModelFileName loaded that file into it, and a filter's OutputIndex was stored on it, so that
 * the other filters sharing it ran another network, or returned another output. */
TEST(TorchScriptPatchImageFilter, AModelSharedBetweenFiltersIsNeverChangedByOne)
{
  auto       extractor = ExtractedOddImage<ImageType>(1);
  const auto run = [&](itk::TorchScriptModel * model, const std::string & file, unsigned int index) {
    auto filter = TorchFilter<StackType>::New();
    filter->SetInput(extractor->GetOutput());
    filter->SetModel(model);
    filter->SetModelFileName(file);
    filter->SetOutputIndex(index);
    return filter;
  };
  auto sixteen = itk::TorchScriptModel::New();
  sixteen->Load(Model("segmentation_16class.pt"), "cpu");
  auto three = run(sixteen, Model("segmentation.pt"), 0); // the file wins, in a model of its own
  three->Update();
  EXPECT_EQ(three->GetOutput()->GetNumberOfComponentsPerPixel(), 3u);
  EXPECT_NE(three->GetModel(), sixteen.GetPointer());
  EXPECT_EQ(sixteen->GetFileName(), Model("segmentation_16class.pt"));
  auto shared = run(sixteen, "", 0);
  shared->Update();
  EXPECT_EQ(shared->GetOutput()->GetNumberOfComponentsPerPixel(), 16u);

  // Two filters sharing a tuple model, picking outputs 1 (logits) and 0 (probabilities), in turns.
  auto tuple = itk::TorchScriptModel::New();
  tuple->Load(Model("segmentation_tuple.pt"), "cpu");
  auto logits = run(tuple, "", 1);
  auto probabilities = run(tuple, "", 0);
  logits->UpdateOutputInformation();
  probabilities->UpdateOutputInformation();
  logits->Update();
  probabilities->Update();
  auto alone = run(itk::TorchScriptModel::New(), Model("segmentation_tuple.pt"), 1);
  alone->Update();
  auto single = run(itk::TorchScriptModel::New(), Model("segmentation.pt"), 0);
  single->Update();
  const auto region = logits->GetOutput()->GetBufferedRegion();
  EXPECT_EQ(DescribeDifferences(alone->GetOutput(), logits->GetOutput(), region), "");
  EXPECT_EQ(DescribeDifferences(single->GetOutput(), probabilities->GetOutput(), region), "");
}

/** reader -> extractor -> network -> merger (Gaussian) -> argmax on the T1 volume, streamed in `divisions`. */
struct T1Pipeline
{
  ImageType::Pointer                                                        image;
  itk::PatchExtractor<ImageType>::Pointer                                   extractor;
  TorchFilter<StackType>::Pointer                                           network;
  itk::PatchMerger<VectorStackType, VectorImageType>::Pointer               merger;
  itk::ComponentArgmaxImageFilter<VectorImageType, LabelImageType>::Pointer argmax;
  std::map<itk::SizeValueType, unsigned int>                                runs; // patch -> times run

  explicit T1Pipeline(const ImageType * t1)
    : extractor(MakeExtractor<ImageType>(t1, { { 32, 32, 16 } }, { { 16, 16, 8 } }, BorderMode::Squeeze))
    , network(TorchFilter<StackType>::New())
    , merger(itk::PatchMerger<VectorStackType, VectorImageType>::New())
    , argmax(itk::ComponentArgmaxImageFilter<VectorImageType, LabelImageType>::New())
  {
    network->SetInput(extractor->GetOutput());
    network->SetModelFileName(Model("segmentation.pt"));
    network->AddObserver(itk::IterationEvent(), [this](const itk::EventObject &) {
      for (itk::SizeValueType k = 0; k < network->GetCurrentBatchSize(); ++k)
      {
        ++runs[network->GetCurrentBatchStart() + k];
      }
    });
    merger->SetInput(network->GetOutput());
    merger->SetWeighting(Weighting::Gaussian);
    argmax->SetInput(merger->GetOutput());
  }

  /** Updates the labels through a StreamingImageFilter of `divisions`; returns them. */
  LabelImageType::Pointer
  Labels(unsigned int divisions)
  {
    auto streamer = itk::StreamingImageFilter<LabelImageType, LabelImageType>::New();
    streamer->SetInput(argmax->GetOutput());
    streamer->SetNumberOfStreamDivisions(divisions);
    streamer->Update();
    return streamer->GetOutput();
  }
};

ImageType::Pointer
ReadT1()
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  return ReadImage<ImageType>(PatchStreaming_T1_IMAGE);
}

TEST(TorchScriptPatchImageFilter, SlidingWindowArgmaxOnT1EqualsTheWrittenOutReference)
{
  const auto   t1 = ReadT1();
  T1Pipeline   pipeline(t1);
  const auto   labels = pipeline.Labels(1);
  const auto   region = t1->GetLargestPossibleRegion();
  const auto & size = region.GetSize();

  // The reference: PyTorch on every patch, numpy's full-size weighted sum and division.
  const auto directory = WorkDirectory();
  WriteRaw(t1->GetBufferPointer(), region.GetNumberOfPixels(), directory / "volume.raw");
  {
    std::ofstream starts(directory / "starts.txt");
    const auto &  grid = pipeline.extractor->GetPatchGrid();
    for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
    {
      const auto start = grid.GetPatchRegion(k).GetIndex() - region.GetIndex();
      starts << start[0] << " " << start[1] << " " << start[2] << "\n";
    }
  }
  RunReference("merge " + Model("segmentation.pt") + " " + (directory / "volume.raw").string() + " " +
               (directory / "probabilities.raw").string() + " " + std::to_string(size[0]) + " " +
               std::to_string(size[1]) + " " + std::to_string(size[2]) + " 32 32 16 " +
               (directory / "starts.txt").string() + " 0.125 0.001");
  const auto reference = ReadRaw(directory / "probabilities.raw", region.GetNumberOfPixels() * 3);

  itk::SizeValueType                compared = 0;
  itk::SizeValueType                differing = 0;
  const unsigned char *             label = labels->GetBufferPointer();
  std::array<itk::SizeValueType, 3> counts{};
  for (itk::SizeValueType v = 0; v < region.GetNumberOfPixels(); ++v)
  {
    const float *        p = reference.data() + 3 * v;
    const auto           top = static_cast<unsigned int>(std::max_element(p, p + 3) - p);
    std::array<float, 3> sorted{ p[0], p[1], p[2] };
    std::sort(sorted.begin(), sorted.end());
    ++counts[label[v]];
    if (sorted[2] - sorted[1] <= 1e-5f)
    {
      continue; // a tie within rounding
    }
    ++compared;
    differing += label[v] != top ? 1 : 0;
  }
  EXPECT_EQ(differing, 0u) << "of " << compared << " voxels compared";
  EXPECT_GT(compared, region.GetNumberOfPixels() * 99 / 100);
  // Every class occurs: the comparison is not of a constant map.
  for (const auto count : counts)
  {
    EXPECT_GT(count, region.GetNumberOfPixels() / 1000);
  }
  EXPECT_EQ(labels->GetSpacing(), t1->GetSpacing());
  EXPECT_EQ(labels->GetOrigin(), t1->GetOrigin());
  EXPECT_EQ(labels->GetDirection(), t1->GetDirection());
}

TEST(TorchScriptPatchImageFilter, FourDivisionsRunEveryPatchOnceAndGiveTheSameBytes)
{
  const auto t1 = ReadT1();
  T1Pipeline whole(t1);
  const auto one = whole.Labels(1);
  T1Pipeline streamed(t1);
  const auto four = streamed.Labels(4);
  const auto patches = streamed.extractor->GetPatchGrid().GetNumberOfPatches();
  EXPECT_EQ(streamed.runs.size(), patches);
  EXPECT_EQ(std::count_if(streamed.runs.begin(), streamed.runs.end(), [](const auto & run) { return run.second != 1; }),
            0);
  EXPECT_EQ(whole.runs.size(), patches);
  EXPECT_EQ(DescribeDifferences(one.GetPointer(), four.GetPointer(), t1->GetLargestPossibleRegion()), "");
  // Updated again with nothing changed, no patch runs again (helper-80: every batch did, the
  // network's 3 channels set after the input's 1 at each UpdateOutputInformation).
  const auto runsBefore = streamed.runs;
  streamed.argmax->Update();
  EXPECT_EQ(streamed.runs, runsBefore);
  // The probabilities too, byte for byte.
  auto probabilities = itk::StreamingImageFilter<VectorImageType, VectorImageType>::New();
  probabilities->SetInput(streamed.merger->GetOutput());
  probabilities->SetNumberOfStreamDivisions(4);
  probabilities->Update();
  whole.merger->UpdateLargestPossibleRegion();
  const auto values = t1->GetLargestPossibleRegion().GetNumberOfPixels() * 3;
  EXPECT_EQ(std::memcmp(whole.merger->GetOutput()->GetBufferPointer(),
                        probabilities->GetOutput()->GetBufferPointer(),
                        values * sizeof(float)),
            0);
}

/** Expects `update` to throw an itk::ExceptionObject whose description contains every one of
 * `parts`; returns the description. */
std::string
ExpectErrorNaming(const std::function<void()> & update, const std::vector<std::string> & parts)
{
  try
  {
    update();
    ADD_FAILURE() << "no exception; expected one naming " << parts.front();
  }
  catch (const itk::ExceptionObject & error)
  {
    for (const auto & part : parts)
    {
      EXPECT_NE(std::string(error.GetDescription()).find(part), std::string::npos)
        << "\"" << part << "\" not in: " << error.GetDescription();
    }
    return error.GetDescription();
  }
  return {};
}

TEST(TorchScriptPatchImageFilter, BadInputGetsAnExceptionNamingTheProblem)
{
  auto       extractor = ExtractedOddImage<ImageType>(1);
  const auto directory = WorkDirectory();
  const auto run = [&](const std::function<void(TorchFilter<StackType> *)> & configure) {
    auto filter = TorchFilter<StackType>::New();
    filter->SetInput(extractor->GetOutput());
    filter->SetModelFileName(Model("segmentation.pt"));
    configure(filter);
    return [filter] { filter->Update(); };
  };
  ExpectErrorNaming(run([](auto * f) { f->SetModelFileName(""); }), { "ModelFileName is not set" });
  ExpectErrorNaming(run([&](auto * f) { f->SetModelFileName((directory / "missing.pt").string()); }),
                    { "ModelFileName", "missing.pt", "cannot be read" });
  std::ofstream(directory / "text.pt") << "not a model\n";
  ExpectErrorNaming(run([&](auto * f) { f->SetModelFileName((directory / "text.pt").string()); }),
                    { "ModelFileName", "text.pt", "not a TorchScript module" });
  // The 2-channel network on 1-channel patches: the shape it was given is named, with
  // libtorch's cause and not the TorchScript traceback before it (the module's code).
  const auto twoChannels = ExpectErrorNaming(
    run([](auto * f) { f->SetModelFileName(Model("segmentation_2channel.pt")); }),
    { "raised an error on an input tensor of shape (1, 1, 5, 6, 8) (B, C_in, spatial...): RuntimeError: Given "
      "groups=1, weight of size [8, 2, 3, 3, 3], expected input[1, 1, 5, 6, 8] to have 2 channels" });
  EXPECT_EQ(twoChannels.find("Traceback"), std::string::npos) << twoChannels;
  ExpectErrorNaming(run([](auto * f) { f->SetModelFileName(Model("segmentation_pooled.pt")); }),
                    { "returned a tensor of shape (1, 3, 2, 3, 4) for an input of shape (1, 1, 5, 6, 8); expected "
                      "(1 (the batch), C_out, the patch size (5, 6, 8))" });
  // helper-84's kind, in C++: an output of no channels failed allocating a VectorImage of 0 components.
  ExpectErrorNaming(run([](auto * f) { f->SetModelFileName(Model("segmentation_empty.pt")); }),
                    { "returned a tensor of shape (1, 0, 5, 6, 8): 0 channels; expected at least 1" });
  // As in Python: a complex output was converted to float, its imaginary part dropped.
  ExpectErrorNaming(run([](auto * f) { f->SetModelFileName(Model("segmentation_complex.pt")); }),
                    { "the module's output 0 is a complex tensor (ComplexFloat); expected real values" });
  ExpectErrorNaming(run([](auto * f) { f->SetBatchSize(0); }), { "BatchSize = 0" });
  ExpectErrorNaming(run([](auto * f) { f->SetDevice("gpu"); }), { "Device \"gpu\" is not a device name" });
  if (!itk::TorchScriptModel::IsCudaAvailable())
  {
    ExpectErrorNaming(run([](auto * f) { f->SetDevice("cuda:0"); }), { "Device \"cuda:0\" is not available" });
  }
  // Three classes into a scalar output stack.
  auto scalar = TorchFilter<StackType, StackType>::New();
  scalar->SetInput(extractor->GetOutput());
  scalar->SetModelFileName(Model("segmentation.pt"));
  ExpectErrorNaming([&] { scalar->Update(); }, { "has 3 channels", "VectorImage" });
}
} // namespace
