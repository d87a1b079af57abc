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
// PatchwiseFilter --model, run as a user runs it: a TorchScript network on
// the T1 volume against the same filters run in the test's process
// (TorchScriptPatchImageFilter -> PatchMerger -> ComponentArgmaxImageFilter),
// the streamed output, test-time mirroring, the bad arguments, the Slicer
// mode's stdout and the preview's colours. Without libtorch: the message.
#include "PatchwiseFilterProgram.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkImageIOFactory.h"
#include "itkImageRegionConstIterator.h"
#include "itkNiftiImageIOFactory.h"
#include "itkRGBPixel.h"
#include "itkVectorImage.h"

#ifdef PatchStreaming_TORCH_MODELS
#  include "PatchwiseNetworkInterface.h"
#  include "itkComponentArgmaxImageFilter.h"
#  include "itkPatchExtractor.h"
#  include "itkPatchMerger.h"
#  include "itkTorchScriptPatchImageFilter.h"
#endif

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>
#include <set>

namespace
{
using namespace PatchwiseFilterTest;
using namespace PatchStreamingTest;
using ProbabilitiesType = itk::VectorImage<float, 3>;
using LabelImageType = itk::Image<unsigned char, 3>;

#ifdef PatchStreaming_TORCH_MODELS
std::string
Model(const std::string & name)
{
  return std::string(PatchStreaming_TORCH_MODELS) + "/" + name;
}

/** The patch geometry of every run here: 3 x 3 x 3 patches of the 128 x 128 x 62 volume. */
const std::vector<std::string> PatchArguments{ "--patch-size", "64,64,32", "--overlap-fraction", "0.5" };

/** The program's arguments for `output` with the test network. */
std::vector<std::string>
NetworkArguments(const std::string & output, const std::vector<std::string> & more = {})
{
  std::vector<std::string> arguments{ PatchStreaming_T1_IMAGE, output, "--model", Model("segmentation.pt") };
  arguments.insert(arguments.end(), PatchArguments.begin(), PatchArguments.end());
  arguments.insert(arguments.end(), more.begin(), more.end());
  return arguments;
}

/** reader -> extractor -> network -> merger (Gaussian, the program's
 * defaults) in this process, on `file` read as TImage: the merged class probabilities. */
template <typename TImage>
ProbabilitiesType::Pointer
InProcessProbabilities(const std::string &               file,
                       const std::string &               model,
                       const std::vector<unsigned int> & mirrorAxes = {},
                       unsigned int                      outputIndex = 0)
{
  using StackType = typename TImage::template RebindImageType<typename TImage::PixelType, 4>;
  using ProbabilityStackType = itk::VectorImage<float, 4>;
  const auto image = ReadImage<TImage>(file);
  auto       extractor = MakeExtractor<TImage>(image, { { 64, 64, 32 } }, { { 32, 32, 16 } }, BorderMode::Squeeze);
  auto       network = itk::TorchScriptPatchImageFilter<StackType, ProbabilityStackType>::New();
  network->SetInput(extractor->GetOutput());
  network->SetModelFileName(model);
  network->SetMirrorAxes(mirrorAxes);
  network->SetOutputIndex(outputIndex);
  auto merger = itk::PatchMerger<ProbabilityStackType, ProbabilitiesType>::New();
  merger->SetInput(network->GetOutput());
  merger->SetWeighting(Weighting::Gaussian);
  merger->Update();
  return merger->GetOutput();
}

ProbabilitiesType::Pointer
InProcessT1Probabilities(const std::vector<unsigned int> & mirrorAxes = {})
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  return InProcessProbabilities<ImageType>(PatchStreaming_T1_IMAGE, Model("segmentation.pt"), mirrorAxes);
}

LabelImageType::Pointer
Argmax(const ProbabilitiesType * probabilities)
{
  auto argmax = itk::ComponentArgmaxImageFilter<ProbabilitiesType, LabelImageType>::New();
  argmax->SetInput(probabilities);
  argmax->Update();
  return argmax->GetOutput();
}

/** The file's pixel as written: component type and number of components. */
std::pair<itk::IOComponentEnum, unsigned int>
PixelOf(const std::string & file)
{
  auto io = itk::ImageIOFactory::CreateImageIO(file.c_str(), itk::IOFileModeEnum::ReadMode);
  EXPECT_NE(io, nullptr) << file;
  if (io == nullptr)
  {
    return { itk::IOComponentEnum::UNKNOWNCOMPONENTTYPE, 0 };
  }
  io->SetFileName(file);
  io->ReadImageInformation();
  return { io->GetComponentType(), io->GetNumberOfComponents() };
}

/** The same number of components and the same float values, bit for bit. */
bool
SameValues(const ProbabilitiesType * expected, const ProbabilitiesType * actual)
{
  const auto values = expected->GetBufferedRegion().GetNumberOfPixels() * expected->GetNumberOfComponentsPerPixel();
  return expected->GetNumberOfComponentsPerPixel() == actual->GetNumberOfComponentsPerPixel() &&
         expected->GetBufferedRegion() == actual->GetBufferedRegion() &&
         std::memcmp(expected->GetBufferPointer(), actual->GetBufferPointer(), values * sizeof(float)) == 0;
}

/** --label-map FILE (3D Slicer's label map output), with no positional output or an empty one,
 * and whatever --output-type says, writes what --output-type labels writes to the output. */
TEST_F(PatchwiseFilterProgram, NetworkLabelMapOptionWritesTheLabelsOutput)
{
  const auto labels = Run(NetworkArguments(Path("labels.nrrd"), { "--output-type", "labels" }));
  ASSERT_EQ(labels.status, 0) << labels.err;
  auto arguments = NetworkArguments(Path("unused.nrrd"), { "--label_map", Path("labelmap.nrrd") });
  arguments.erase(arguments.begin() + 1); // no positional output
  const auto labelMap = Run(arguments);
  ASSERT_EQ(labelMap.status, 0) << labelMap.err;
  EXPECT_FALSE(fs::exists(Path("unused.nrrd")));
  EXPECT_EQ(PixelOf(Path("labelmap.nrrd")), std::make_pair(itk::IOComponentEnum::UCHAR, 1u));
  EXPECT_TRUE(Contents(Path("labelmap.nrrd")) == Contents(Path("labels.nrrd")));
  // An output volume left as None may reach the program as an empty positional argument.
  arguments.insert(arguments.begin() + 1, "");
  arguments.back() = Path("labelmap2.nrrd");
  const auto emptyOutput = Run(arguments);
  ASSERT_EQ(emptyOutput.status, 0) << emptyOutput.err;
  EXPECT_TRUE(Contents(Path("labelmap2.nrrd")) == Contents(Path("labels.nrrd")));
  // 3D Slicer passes the output type's drop-down on every run: --label-map writes labels whatever it says.
  arguments.back() = Path("labelmap3.nrrd");
  arguments.insert(arguments.end(), { "--output_type", "probabilities" });
  const auto slicerRun = Run(arguments);
  ASSERT_EQ(slicerRun.status, 0) << slicerRun.err;
  EXPECT_TRUE(Contents(Path("labelmap3.nrrd")) == Contents(Path("labels.nrrd")));
}

TEST_F(PatchwiseFilterProgram, NetworkLabelsEqualTheFiltersRunInProcess)
{
  const auto run = Run(NetworkArguments(Path("labels.nrrd"), { "--output-type", "labels" }));
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_NE(run.out.find("labels (unsigned char)"), std::string::npos) << run.out;
  EXPECT_EQ(PixelOf(Path("labels.nrrd")), std::make_pair(itk::IOComponentEnum::UCHAR, 1u));

  const auto labels = ReadImage<LabelImageType>(Path("labels.nrrd"));
  const auto expected = Argmax(InProcessT1Probabilities());
  ExpectSameGeometry<LabelImageType>(expected, labels);
  EXPECT_EQ(DescribeDifferences(expected.GetPointer(), labels.GetPointer(), expected->GetLargestPossibleRegion()), "");
  std::map<unsigned int, itk::SizeValueType> counts;
  const auto                                 voxels = labels->GetBufferedRegion().GetNumberOfPixels();
  for (itk::SizeValueType v = 0; v < voxels; ++v)
  {
    ++counts[labels->GetBufferPointer()[v]];
  }
  EXPECT_EQ(counts.size(), 3u);
  for (const auto & [label, count] : counts)
  {
    EXPECT_LT(label, 3u);
    EXPECT_GT(count, voxels / 1000) << "label " << label;
  }
}

/** A network returning NaN is reported in the summary (on stdout: a Slicer run
 * shows it as the module's comment), with the number of values: the voxels
 * above 200 of every patch (class 1 of segmentation_nan.pt), counted here over
 * the grid's patch regions, each patch once however many divisions. A sound
 * network's run has no warning. */
TEST_F(PatchwiseFilterProgram, NetworkReturningNaNIsReportedWithTheNumberOfValues)
{
  using T1Type = itk::Image<float, 3>;
  itk::NiftiImageIOFactory::RegisterOneFactory();
  const auto image = ReadImage<T1Type>(PatchStreaming_T1_IMAGE);
  auto       extractor = MakeExtractor<T1Type>(image, { { 64, 64, 32 } }, { { 32, 32, 16 } }, BorderMode::Squeeze);
  extractor->UpdateOutputInformation();
  const auto &       grid = extractor->GetPatchGrid();
  itk::SizeValueType expected = 0;
  for (itk::SizeValueType k = 0; k < grid.GetNumberOfPatches(); ++k)
  {
    for (itk::ImageRegionConstIterator<T1Type> it(image, grid.GetPatchRegion(k)); !it.IsAtEnd(); ++it)
    {
      expected += it.Get() > 200.0f ? 1 : 0;
    }
  }
  ASSERT_GT(expected, 0u);
  for (const std::string outputType : { "labels", "probabilities" })
  {
    auto arguments = NetworkArguments(Path("nan.nrrd"), { "--output-type", outputType, "--stream-divisions", "3" });
    arguments[3] = Model("segmentation_nan.pt");
    const auto run = Run(arguments);
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.err, "");
    const std::string where = outputType == "labels" ? "the labels there are chosen among the other classes (a "
                                                       "NaN class never wins, +inf always does; 0 where all are NaN)"
                                                     : "the output is NaN or infinite where they reach";
    EXPECT_NE(run.out.find(
                "\n  warning   the network returned " + std::to_string(expected) +
                " NaN or infinite values (as a network does for the input's NaN or infinite voxels): " + where + "\n"),
              std::string::npos)
      << run.out;
  }
  const auto sound = Run(NetworkArguments(Path("sound.nrrd")));
  ASSERT_EQ(sound.status, 0) << sound.err;
  EXPECT_EQ(sound.out.find("warning"), std::string::npos) << sound.out;
}

TEST_F(PatchwiseFilterProgram, OutputTypeAndDeviceAreAcceptedInAnyCase)
{
  // "LABELS" used to pass the parser and then write probabilities; "CPU" was refused.
  const auto run = Run(NetworkArguments(Path("upper.nrrd"), { "--output-type", "LABELS", "--device", "CPU" }));
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(PixelOf(Path("upper.nrrd")), std::make_pair(itk::IOComponentEnum::UCHAR, 1u));
}

/** The default output type is the merged probabilities: C = 3 float components. */
TEST_F(PatchwiseFilterProgram, NetworkProbabilitiesEqualTheMergeInProcess)
{
  const auto run = Run(NetworkArguments(Path("probabilities.nrrd")));
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(PixelOf(Path("probabilities.nrrd")), std::make_pair(itk::IOComponentEnum::FLOAT, 3u));
  const auto probabilities = ReadImage<ProbabilitiesType>(Path("probabilities.nrrd"));
  const auto expected = InProcessT1Probabilities();
  ExpectSameGeometry<ProbabilitiesType>(expected, probabilities);
  EXPECT_TRUE(SameValues(expected, probabilities));
}

/** helper-83: class probabilities written to NIfTI with a preview corrupted the heap (abort,
 * segmentation fault): the preview read its slice of the 3-component output back through ITK
 * 5.2's NIfTI reader, which writes past its buffer reading part of a multi-component file. The
 * preview's readers read a NIfTI file whole, as the input's does. */
TEST_F(PatchwiseFilterProgram, NetworkProbabilitiesToNiftiWithAPreviewAreWrittenAndPreviewed)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  for (const char * name : { "probabilities.nii.gz", "probabilities.nii" })
  {
    const auto run = Run(NetworkArguments(Path(name), { "--preview", Path("preview.png") }));
    ASSERT_EQ(run.status, 0) << name << ": " << run.err;
    const auto probabilities = ReadImage<ProbabilitiesType>(Path(name));
    EXPECT_TRUE(SameValues(InProcessT1Probabilities(), probabilities)) << name;
    EXPECT_TRUE(fs::exists(Path("preview.png")));
    fs::remove(Path("preview.png"));
  }
}

/** A module returning (probabilities, logits): output 0 by default, which is
 * segmentation.pt's (same weights), and --model-output 1 the logits, each
 * equal to the filters run in process with that OutputIndex. */
TEST_F(PatchwiseFilterProgram, ModelOutputPicksOneOutputOfAModuleReturningATuple)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  const std::string        tuple = Model("segmentation_tuple.pt");
  std::vector<std::string> arguments{ PatchStreaming_T1_IMAGE, Path("first.nrrd"), "--model", tuple };
  arguments.insert(arguments.end(), PatchArguments.begin(), PatchArguments.end());
  auto run = Run(arguments);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("network segmentation_tuple.pt output 0 of 2 (3 classes"), std::string::npos) << run.out;
  EXPECT_TRUE(SameValues(InProcessT1Probabilities(), ReadImage<ProbabilitiesType>(Path("first.nrrd"))));

  arguments[1] = Path("logits.nrrd");
  arguments.insert(arguments.end(), { "--model-output", "1" });
  run = Run(arguments);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("network segmentation_tuple.pt output 1 of 2 (3 classes"), std::string::npos) << run.out;
  const auto logits = ReadImage<ProbabilitiesType>(Path("logits.nrrd"));
  EXPECT_TRUE(SameValues(InProcessProbabilities<ImageType>(PatchStreaming_T1_IMAGE, tuple, {}, 1), logits));
  EXPECT_FALSE(SameValues(InProcessT1Probabilities(), logits));
}

/** Four divisions give the bytes one gives: through the StreamingImageFilter
 * (NRRD) and written piece by piece (MetaImage). */
TEST_F(PatchwiseFilterProgram, NetworkLabelsInFourDivisionsAreTheBytesOfOne)
{
  for (const auto & [file, divisions] :
       { std::make_pair("one.nrrd", "1"), std::make_pair("four.nrrd", "4"), std::make_pair("four.mha", "4") })
  {
    const auto run = Run(NetworkArguments(Path(file), { "--output-type", "labels", "--stream-divisions", divisions }));
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_NE(run.out.find("streamed  in " + std::string(divisions) + " division"), std::string::npos) << run.out;
  }
  EXPECT_TRUE(Contents(Path("one.nrrd")) == Contents(Path("four.nrrd")));
  const auto one = ReadImage<LabelImageType>(Path("one.nrrd"));
  EXPECT_EQ(DescribeDifferences(one.GetPointer(),
                                ReadImage<LabelImageType>(Path("four.mha")).GetPointer(),
                                one->GetLargestPossibleRegion()),
            "");
}

TEST_F(PatchwiseFilterProgram, NetworkMirrorAxesEqualTheFilterWithMirrorAxes)
{
  const auto run = Run(NetworkArguments(Path("mirrored.nrrd"), { "--mirror-axes", "0,2" }));
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("mirrored 0 2"), std::string::npos) << run.out;
  const auto mirrored = ReadImage<ProbabilitiesType>(Path("mirrored.nrrd"));
  EXPECT_TRUE(SameValues(InProcessT1Probabilities({ 0, 2 }), mirrored));
  EXPECT_FALSE(SameValues(InProcessT1Probabilities(), mirrored));
}

/** A multi-component input feeds the network C_in channels. */
TEST_F(PatchwiseFilterProgram, NetworkReadsAMultiComponentImageAsChannels)
{
  using VectorImageType = itk::VectorImage<float, 3>;
  Write(MakeRandomImage<VectorImageType>({ { 70, 66, 35 } }, 5, 2).GetPointer(), Path("input.mha"));
  const auto run = Run({ Path("input.mha"),
                         Path("output.mha"),
                         "--model",
                         Model("segmentation_2channel.pt"),
                         "--patch-size",
                         "64,64,32",
                         "--overlap-fraction",
                         "0.5" });
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(SameValues(InProcessProbabilities<VectorImageType>(Path("input.mha"), Model("segmentation_2channel.pt")),
                         ReadImage<ProbabilitiesType>(Path("output.mha"))));
  // The one-channel network rejects two channels, with the shape.
  const auto wrong = Run({ Path("input.mha"), Path("wrong.mha"), "--model", Model("segmentation.pt") });
  EXPECT_NE(wrong.status, 0);
  EXPECT_NE(wrong.err.find("PatchwiseFilter: "), std::string::npos) << wrong.err;
  EXPECT_FALSE(fs::exists(Path("wrong.mha")));
}

/** One bad network argument each: a non-zero exit, one line on stderr
 * naming the flag and the value, and no output file left behind. */
TEST_F(PatchwiseFilterProgram, BadNetworkArgumentsExitNonZeroNamingTheFlagAndLeaveNoFile)
{
  Write(MakeRandomImage<ImageType>({ { 19, 15, 11 } }, 3).GetPointer(), Path("input.nrrd"));
  Write(MakeRandomImage<itk::Image<float, 2>>({ { 19, 15 } }, 3).GetPointer(), Path("input2d.nrrd"));
  std::ofstream(Path("notamodel.pt")) << "not TorchScript\n";
  const std::string                                             input = Path("input.nrrd");
  const std::string                                             output = Path("output.nrrd");
  const std::string                                             model = Model("segmentation.pt");
  std::vector<std::pair<std::vector<std::string>, std::string>> cases{
    { { input, output, "--model", Path("missing.pt") }, "--model: File does not exist: " + Path("missing.pt") },
    { { input, output, "--model", "" }, "--model: no file name given" },
    { { input, output, "--model", model, "--batch-size", "0" },
      "--batch-size: batch size 0 is not a whole number from 1 to 4096" },
    { { input, output, "--model", model, "--output-type", "foo" },
      "--output-type: \"foo\" not in {probabilities,labels}" },
    { { input, output, "--model", model, "--output-type", "label" },
      "--output-type: \"label\" not in {probabilities,labels} (did you mean labels?)" },
    { { input, output, "--model", model, "--output-type", "prob" }, "(did you mean probabilities?)" },
    { { input, output, "--model", model, "--output-type", "argmax" }, "(the argmax of the channels is labels)" },
    { { input, output, "--model", model, "--device", "gpu" },
      "--device: \"gpu\" is not cpu, cuda or cuda:N (libtorch calls a GPU cuda)" },
    { { input, output, "--model", model, "--device", "cpu:0" },
      "--device: \"cpu:0\" is not cpu, cuda or cuda:N (the CPU is cpu, without a number)" },
    { { input, output, "--model", model, "--output-type", "probability" },
      "(the merged channels as the network returns them are probabilities)" },
    { { input, output, "--model", model, "--mirror-axes", "" },
      "--mirror-axes: mirror axis \"\" is not a whole number from 0 to 2" },
    { { input, output, "--model", model, "--mirror-axes", "3" },
      "--mirror-axes: mirror axis 3 is not a whole number from 0 to 2" },
    { { Path("input2d.nrrd"), output, "--model", model, "--mirror-axes", "2" },
      "--mirror-axes 2: the image is 2-D: expected axes 0 to 1" },
    { { input, output, "--model", model, "--process", "gaussian:1" }, "--model: a network and --process gaussian:1" },
    { { input, output, "--output-type", "labels" }, "--output-type: labels is the argmax of a network's classes" },
    { { input, output, "--mirror-axes", "0" }, "--mirror-axes: mirroring is a network's test-time augmentation" },
    { { input, "--label-map", output },
      "--label-map: a label map is the argmax of a network's classes: it needs --model" },
    { { input, output, "--model", model, "--label-map", Path("labels.nrrd") },
      "--label-map: \"" + Path("labels.nrrd") + "\" and the output \"" + output + "\" exclude each other" },

    { { input, output, "--model", Path("notamodel.pt") }, "notamodel.pt" },
    { { input, Path("labels.png"), "--model", model, "--output-type", "labels" }, "cannot hold a 3-D image" },
    { { input, "--model", model, "--label-map", Path("labels.png") },
      "--label-map \"" + Path("labels.png") + "\": PNGImageIO cannot hold a 3-D image" },
    { { input, output, "--model", Model("segmentation_2channel.pt") },
      "--model \"" + Model("segmentation_2channel.pt") +
        "\": the module raised an error on an input tensor of shape (1, 1, 64, 64, 64) (B, C_in, spatial...): "
        "RuntimeError: " },
    // A 3-D network on 2-D patches: one patch (1, 1, H, W) it reads as one unbatched volume and runs (helper-45:
    // exit 0 with --batch-size 1); the probe's batch of C_in + 1 it refuses.
    { { Path("input2d.nrrd"), output, "--model", model, "--batch-size", "1" },
      "--model \"" + model +
        "\": the module raised an error on an input tensor of shape (2, 1, 64, 64) (B, C_in, spatial...): "
        "RuntimeError: " },
    { { Path("input2d.nrrd"), output, "--model", model, "--batch-size", "4" },
      "(probed with 2-D patches, (B, C, H, W): a network of 3-D layers takes (B, C, D, H, W) and reads them as "
      "one unbatched volume; they are probed as a batch of 2, or 3 for 2 channels, which it refuses)\n" },
    { { input, output, "--model", Model("segmentation_pooled.pt") },
      "--model \"" + Model("segmentation_pooled.pt") + "\": " },
    { { input, output, "--model", Path("input.nrrd") },
      "TorchScriptModel: ModelFileName \"" + Path("input.nrrd") + "\" is not a TorchScript module" },
    { { input, "--model", model, "--label-map", input }, "--label-map: \"" + input + "\" is the input file" },
    { { input, output, "--model", model, "--mirror-axes", "1,2,1" }, "--mirror-axes: axis 1 is given twice" },
    { { input, "--model", model, "--label-map", Path("no-such-directory/labels.nrrd") },
      "--label-map: \"" + Path("no-such-directory/labels.nrrd") + "\": the directory \"" + Path("no-such-directory") +
        "\" does not exist" },
    { { input, "--model", Model("segmentation_1class.pt"), "--label-map", output },
      "--output-type labels (or --label-map): the network has 1 output channel; a label map is the argmax of 2 or "
      "more classes" },
    { { input, output, "--model", model, "--mirror-axes", "0,0" }, "--mirror-axes: axis 0 is given twice" },
    { { input, output, "--model-output", "1" }, "--model-output: picks one of a network's outputs: it needs --model" },
    { { input, output, "--model", model, "--model-output", "256" },
      "--model-output: model output 256 is not a whole number from 0 to 255" },
    { { input, output, "--model", Model("segmentation_tuple.pt"), "--model-output", "2" },
      "--model \"" + Model("segmentation_tuple.pt") +
        "\" --model-output 2: OutputIndex = 2, but the module returns 2 outputs: expected an index "
        "below 2" },
    { { input, output, "--model", model, "--model-output", "1" },
      "--model-output 1: OutputIndex = 1, but the module returns a single output" },
  };
  if (!itk::TorchScriptModel::IsCudaAvailable())
  {
    for (const auto & [device, shown] : { std::pair{ "cuda", "cuda" }, std::pair{ "CUDA:0", "cuda:0" } })
    {
      cases.push_back({ { input, output, "--model", model, "--device", device },
                        std::string("--device: \"") + shown + "\": this libtorch has no CUDA device" });
    }
  }
  for (const auto & [arguments, problem] : cases)
  {
    ExpectRejected(arguments, problem, { "input.nrrd", "input2d.nrrd", "notamodel.pt" });
  }
}

/** As 3D Slicer runs it (stdout and stderr are not a terminal): progress
 * blocks on stdout from 0 to 1, nothing on stderr, libtorch included. The
 * progress counts the patches through the network, for labels as for
 * probabilities, in any number of divisions: the 128 x 128 x 62 T1 volume in
 * 64 x 64 x 32 patches overlapping by half has 27 patches, 9 batches of 3, so
 * every step is one batch, 3/27 (the bar followed the argmax's 16-slice slabs,
 * and sat still while the network ran on the patches of each: steps of 0.28 to
 * 0.40). */
TEST_F(PatchwiseFilterProgram, NetworkRunInSlicerModePrintsProgressBlocksAndNothingOnStderr)
{
  for (const std::string outputType : { "labels", "probabilities" })
  {
    for (const std::string divisions : { "1", "2" })
    {
      const auto run = Run(NetworkArguments(
        Path("run.nrrd"), { "--output_type", outputType, "--stream_divisions", divisions, "--batch_size", "3" }));
      ASSERT_EQ(run.status, 0) << run.err;
      EXPECT_EQ(run.err, "");
      EXPECT_NE(run.out.find("batch 3, cpu"), std::string::npos) << run.out;
      const auto fractions = SlicerProgress(run.out);
      ASSERT_GE(fractions.size(), 2u) << run.out;
      EXPECT_EQ(fractions.front(), 0.0) << run.out;
      EXPECT_EQ(fractions.back(), 1.0) << run.out;
      EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end())) << run.out;
      std::vector<double> steps(fractions.size());
      std::adjacent_difference(fractions.begin(), fractions.end(), steps.begin());
      EXPECT_LE(*std::max_element(steps.begin() + 1, steps.end()), 3.0 / 27 + 1e-3)
        << outputType << ", " << divisions << " divisions:\n"
        << run.out;
    }
  }
}

using PictureType = itk::Image<itk::RGBPixel<unsigned char>, 2>;

/** Pixels of the 256 x 256 panel at (x, top) whose channels differ by more than 40: coloured, not grey. */
itk::SizeValueType
ColouredPixels(const PictureType * picture, itk::IndexValueType x, itk::IndexValueType top)
{
  itk::SizeValueType coloured = 0;
  for (itk::IndexValueType v = top; v < top + 256; ++v)
  {
    for (itk::IndexValueType u = x; u < x + 256; ++u)
    {
      const auto pixel = picture->GetPixel({ { u, v } });
      const auto [lowest, highest] = std::minmax({ pixel[0], pixel[1], pixel[2] });
      coloured += highest - lowest > 40 ? 1 : 0;
    }
  }
  return coloured;
}

/** Whether the top `rows` rows end in `margin` columns of the background: the title fits. */
bool
TitleFits(const PictureType * picture, itk::IndexValueType rows = 24, itk::IndexValueType margin = 4)
{
  const auto width = static_cast<itk::IndexValueType>(picture->GetLargestPossibleRegion().GetSize(0));
  for (itk::IndexValueType v = 0; v < rows; ++v)
  {
    for (itk::IndexValueType u = width - margin; u < width; ++u)
    {
      const auto pixel = picture->GetPixel({ { u, v } });
      if (pixel[0] != 24 || pixel[1] != 24 || pixel[2] != 24)
      {
        return false;
      }
    }
  }
  return true;
}

/** A model file name longer than 40 characters is shortened in its middle in the summary
 * and the preview's title, so that the settings after it stay readable. */
TEST_F(PatchwiseFilterProgram, NetworkDescriptionShortensALongModelFileNameInItsMiddle)
{
  const std::string model = Path("a_model_file_name_that_is_much_longer_than_forty_characters.pt");
  fs::copy_file(Model("segmentation.pt"), model);
  auto arguments = NetworkArguments(Path("output.nrrd"), { "--mirror-axes", "0,1" });
  arguments[3] = model;
  const auto run = Run(arguments);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("network a_model_file_name_...forty_characters.pt (3 classes, batch 4, cpu, mirrored 0 1)"),
            std::string::npos)
    << run.out;
}

/** The labels (and a probabilities output's argmax) in colour over the grey input; the
 * title, long with a network's description and mirroring, shrinks to fit the width. */
TEST_F(PatchwiseFilterProgram, NetworkPreviewShowsTheLabelsInColourOverTheInput)
{
  for (const std::string type : { "labels", "probabilities" })
  {
    const auto run = Run(NetworkArguments(
      Path("output.nrrd"),
      { "--output-type", type, "--preview", Path("preview.png"), "--preview-axis", "2", "--mirror-axes", "0" }));
    ASSERT_EQ(run.status, 0) << run.err;
    const auto picture = PatchStreamingTest::ReadImage<PictureType>(Path("preview.png"));
    ASSERT_EQ(picture->GetLargestPossibleRegion().GetSize(), (PictureType::SizeType{ { 1376, 48 + 264 + 8 } }));
    EXPECT_TRUE(TitleFits(picture)) << type << ": the title runs off the picture";
    EXPECT_EQ(ColouredPixels(picture, 120, 48), 0u) << type << ": the input panel is grey";
    EXPECT_GT(ColouredPixels(picture, 120 + 3 * 264, 48), 200u) << type << ": the labels panel";
  }
}

/** The preview's legend lists the labels of the previewed slice, in order, and no other
 * (helper-35: labels 1 to the highest were listed, one absent from the output among them). */
TEST_F(PatchwiseFilterProgram, NetworkPreviewLegendListsTheLabelsPresentInTheSlice)
{
  std::vector<std::string> arguments{
    PatchStreaming_T1_IMAGE, Path("labels.nrrd"), "--model", Model("segmentation_16class.pt")
  };
  arguments.insert(arguments.end(), PatchArguments.begin(), PatchArguments.end());
  arguments.insert(arguments.end(),
                   { "--output-type", "labels", "--preview", Path("preview.png"), "--preview-axis", "2" });
  const auto run = Run(arguments);
  ASSERT_EQ(run.status, 0) << run.err;
  const auto labels = ReadImage<LabelImageType>(Path("labels.nrrd"));
  auto       region = labels->GetLargestPossibleRegion();
  region.SetIndex(2, static_cast<itk::IndexValueType>(region.GetSize(2) / 2)); // the middle slice, as previewed
  region.SetSize(2, 1);
  std::set<int> present;
  for (itk::ImageRegionConstIterator<LabelImageType> it(labels, region); !it.IsAtEnd(); ++it)
  {
    present.insert(it.Get());
  }
  present.erase(0);
  ASSERT_FALSE(present.empty());
  // The legend's colours: the ten of Sasha Trubetskoy's list, by label, from label 1.
  const unsigned char colours[10][3] = { { 230, 25, 75 },  { 60, 180, 75 },  { 0, 130, 200 },  { 255, 225, 25 },
                                         { 245, 130, 48 }, { 145, 30, 180 }, { 70, 240, 240 }, { 240, 50, 230 },
                                         { 210, 245, 60 }, { 250, 190, 212 } };
  const auto          picture = ReadImage<PictureType>(Path("preview.png"));
  int                 row = 0;
  for (const int label : present)
  {
    if (++row > 8)
    {
      break;
    }
    const auto            pixel = picture->GetPixel({ { 12, 48 + 4 + 12 * row + 6 } }); // the middle of the row's box
    const unsigned char * colour = colours[(label - 1) % 10];
    EXPECT_TRUE(pixel[0] == colour[0] && pixel[1] == colour[1] && pixel[2] == colour[2])
      << "legend row " << row << ": label " << label << " expected, the pixel is " << pixel;
  }
  if (present.size() < 8)
  {
    const auto after = picture->GetPixel({ { 12, 48 + 4 + 12 * (row + 1) + 6 } });
    EXPECT_TRUE(after[0] == after[1] && after[1] == after[2]) << "a box after the last label present: " << after;
  }
}

/** Where the section `name` of the 64-bit ELF file `elf` is, as (offset, size) in bytes;
 * (0, 0) when it has none. Read from the section headers, independently of the program. */
std::pair<std::size_t, std::size_t>
SectionInFile(const std::string & elf, const std::string & name)
{
  Elf64_Ehdr header{};
  if (elf.size() < sizeof(header))
  {
    return { 0, 0 };
  }
  std::memcpy(&header, elf.data(), sizeof(header));
  if (header.e_shentsize < sizeof(Elf64_Shdr) || header.e_shstrndx >= header.e_shnum ||
      header.e_shoff + std::size_t{ header.e_shnum } * header.e_shentsize > elf.size())
  {
    return { 0, 0 };
  }
  const auto section = [&elf, &header](unsigned int index) {
    Elf64_Shdr entry{};
    std::memcpy(&entry, elf.data() + header.e_shoff + std::size_t{ index } * header.e_shentsize, sizeof(entry));
    return entry;
  };
  const Elf64_Shdr names = section(header.e_shstrndx);
  for (unsigned int index = 0; index < header.e_shnum; ++index)
  {
    const Elf64_Shdr entry = section(index);
    if (names.sh_offset + entry.sh_name < elf.size() && name == elf.c_str() + names.sh_offset + entry.sh_name)
    {
      return { entry.sh_offset, entry.sh_size };
    }
  }
  return { 0, 0 };
}

/** The network runs in a plugin beside the program (the build tree) or in the
 * installed library directory, loaded by --model only and before any file is
 * made: a program without it runs --process (with any --device, unused) and
 * refuses --model naming where it looked; a damaged plugin (not a library, a
 * copy cut short: dlopen died of SIGBUS on it; its code or dynamic section zeroed:
 * of SIGSEGV) or another build's (its headers' digest differs) is refused, not called. */
TEST_F(PatchwiseFilterProgram, ModelWithoutTheNetworkPluginNamesWhereItLooked)
{
  const fs::path plugin = fs::path(PatchwiseFilter_EXECUTABLE).parent_path() / PatchwiseFilter_NETWORK_PLUGIN_FILE;
  fs::create_directories(Path("bin"));
  fs::copy_file(PatchwiseFilter_EXECUTABLE, Path("bin/PatchwiseFilter"));
  m_Program = Path("bin/PatchwiseFilter");
  const std::string copy = Path("bin/") + PatchwiseFilter_NETWORK_PLUGIN_FILE;
  for (const auto & device : { "cpu", "cuda" })
  {
    const auto run = ExpectRejected(NetworkArguments(Path("labels.nrrd"), { "--device", device }),
                                    "PatchwiseFilter: --model needs PatchwiseFilter's network plugin, which is "
                                    "missing (" +
                                      copy + " does not exist; ",
                                    { "bin" });
    EXPECT_EQ(run.status, 1);
  }
  const auto run =
    Run({ PatchStreaming_T1_IMAGE, Path("smoothed.nrrd"), "--process", "gaussian:1", "--device", "cuda" });
  EXPECT_EQ(run.status, 0) << run.err;

  std::ofstream(copy) << "not a library\n";
  ExpectRejected(NetworkArguments(Path("labels.nrrd")),
                 "--model needs PatchwiseFilter's network plugin, and " + copy +
                   " cannot be loaded: it is not a shared library (no ELF header): copy it again",
                 { "bin", "smoothed.nrrd" });
  const std::string whole = Contents(plugin);
  // `contents` as the plugin: refused with `problem` after the plugin's name, nothing made.
  const auto expectRefused = [&](const std::string & contents, const std::string & problem) {
    std::ofstream(copy, std::ios::binary | std::ios::trunc)
      .write(contents.data(), static_cast<std::streamsize>(contents.size()));
    ExpectRejected(NetworkArguments(Path("labels.nrrd")),
                   "--model needs PatchwiseFilter's network plugin, and " + copy + problem,
                   { "bin", "smoothed.nrrd" });
  };
  for (const std::size_t length : { std::size_t{ 100 }, std::size_t{ 5000 }, whole.size() / 2, whole.size() - 1 })
  {
    expectRefused(whole.substr(0, length), " cannot be loaded: it is cut short (" + std::to_string(length) + " bytes");
  }
  // Damaged inside, its size kept: the code or the dynamic section zeroed (dlopen died of SIGSEGV on both).
  for (const char * section : { ".text", ".dynamic" })
  {
    std::string       damaged = whole;
    const auto [offset, size] = SectionInFile(whole, section);
    ASSERT_GT(size, 0u) << section;
    ASSERT_LE(offset + size, whole.size()) << section;
    std::fill_n(damaged.begin() + static_cast<std::ptrdiff_t>(offset), size, '\0');
    expectRefused(damaged,
                  " cannot be loaded: loading it crashes (it, or a library it loads such as libtorch, may be "
                  "damaged): a process loading it ");
  }
  // Another build's: the same version, other headers (the digest of the types they share differs).
  std::string       other = whole;
  const std::size_t digest = other.find(PatchwiseNetwork_INTERFACE_DIGEST);
  ASSERT_NE(digest, std::string::npos);
  other[digest] = other[digest] == '0' ? '1' : '0';
  expectRefused(other,
                " is another build's: the same version built from other sources, or with another compiler or "
                "ITK (this program is PatchStreaming ");
  fs::copy_file(plugin, copy, fs::copy_options::overwrite_existing); // whole again: it runs
  const auto labels = Run(NetworkArguments(Path("labels.nrrd"), { "--output-type", "labels" }));
  EXPECT_EQ(labels.status, 0) << labels.err;
}
#else
/** Built without libtorch: the flags parse, --model says what is missing. */
TEST_F(PatchwiseFilterProgram, ModelWithoutLibtorchSaysHowToGetIt)
{
  Write(MakeRandomImage<ImageType>({ { 19, 15, 11 } }, 3).GetPointer(), Path("input.nrrd"));
  const auto run = Run({ Path("input.nrrd"), Path("output.nrrd"), "--model", "segmentation.pt", "--batch-size", "2" });
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find("--model: segmentation.pt: this PatchwiseFilter was built without libtorch; install "
                         "libtorch-dev and rebuild"),
            std::string::npos)
    << run.err;
  EXPECT_FALSE(fs::exists(Path("output.nrrd")));
}
#endif
} // namespace
