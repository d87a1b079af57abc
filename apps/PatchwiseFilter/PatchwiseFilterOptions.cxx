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
#include "PatchwiseFilterOptions.h"
#include "ImageFileNames.h"
#include "PatchwiseArgumentChecks.h"
#include "PatchwisePastedWords.h"
#include "PatchwiseHelpFormatter.h"
#include "PatchwiseMessages.h"
#include "PatchwiseProcess.h"
#include "PatchwiseValidators.h"
#include "PatchwiseVoxelData.h"

#include <algorithm>
#include <filesystem>

using namespace PatchwiseValidators;

namespace
{
/** "patch-size" -> "--patch-size,--patch_size": the spelling people type and
 * the one 3D Slicer's parser accepts (letters, digits and underscores). */
std::string
Flags(const std::string & name)
{
  std::string underscored = name;
  std::replace(underscored.begin(), underscored.end(), '-', '_');
  return underscored == name ? "--" + name : "--" + name + ",--" + underscored;
}

const std::vector<std::string> BorderModes{ "squeeze", "edge", "adaptive", "crop", "pad" };
const std::vector<std::string> Paddings{ "auto", "constant", "zerofluxneumann", "mirror", "periodic" };
const std::vector<std::string> Weightings{ "average", "gaussian", "hann", "crop" };
const std::vector<std::string> GaussianFloors{ "axis", "window" };
const std::vector<std::string> OutputTypes{ "probabilities", "labels" };

/** An option that means something only beside another one. */
struct DependentOption
{
  bool         given; // set to other than its default
  const char * flag;
  const char * what; // what it does, for the message
};

/** Throws CLI::ValidationError naming the first of `dependents` given while
 * `needed` is absent ("--mirror-axes: mirroring is ...: it needs --model"). */
void
RejectWithout(bool present, const std::string & needed, std::initializer_list<DependentOption> dependents)
{
  for (const auto & dependent : dependents)
  {
    if (!present && dependent.given)
    {
      throw CLI::ValidationError(dependent.flag, std::string(dependent.what) + ": it needs " + needed);
    }
  }
}

/** The arguments CLI11 found no place for (its ExtrasError): words past the two file names. */
CLI::ValidationError
UnexpectedArguments(const std::vector<std::string> & extras)
{
  std::string words;
  for (const std::string & word : extras)
  {
    words += (words.empty() ? "\"" : ", \"") + word + "\"";
  }
  return CLI::ValidationError(words,
                              "not expected: PatchwiseFilter takes two file names, the input and the output, and "
                              "options as --name value (see --help)");
}
} // namespace

PatchwiseFilterOptions::PatchwiseFilterOptions()
  : m_App(PatchwiseHelpFormatter::Wrapped("Patch-wise processing of an image: cut it into overlapping patches, "
                                          "process each patch, blend them back.",
                                          PatchwiseHelpFormatter::Width),
          "PatchwiseFilter")
{
  auto & s = m_Settings;
  m_App.option_defaults()->always_capture_default();
  m_App.formatter(std::make_shared<PatchwiseHelpFormatter>());
  m_App.footer(PatchwiseHelpFormatter::Wrapped(
    "The choices ({...}, and cpu, cuda) are taken in any case; a flag may also be written with underscores "
    "(--patch_size). Per-axis values are in ITK's x,y,z order (64,64,32: 32 slices deep), the reverse of a "
    "tensor's (D, H, W). Documentation: docs/command-line.md in the sources, installed as "
    "share/doc/PatchStreaming/command-line.md.",
    PatchwiseHelpFormatter::Width));

  m_Groups.emplace_back("Input and output", std::vector<SlicerParameter>{});
  Register(m_App.add_option("input", s.input, "Input image (NIfTI, NRRD, MetaImage, ...; scalar or multi-component)")
             ->required()
             ->check(InputFile),
           "image")
    .channel = "input";
  Register(m_App.add_option(
             "output", s.output, "Output image; written to a temporary name, then renamed (or give --label-map)"),
           "image")
    .channel = "output";

  AddPatchOptions();
  AddProcessingAndMergingOptions();
  AddStreamingAndPreviewOptions();
}

/** The patch grid: size, overlap, border and padding. */
void
PatchwiseFilterOptions::AddPatchOptions()
{
  auto & s = m_Settings;
  m_Groups.emplace_back("Patches", std::vector<SlicerParameter>{});
  Register(m_App
             .add_option(Flags("patch-size"),
                         s.patchSize,
                         "Patch size in voxels: one value for every axis, or one per axis, comma-separated, in ITK's "
                         "x,y,z order (64,64,32: 32 slices deep)")
             ->delimiter(',')
             ->check(WholeNumber("patch size", "voxels", 1))
             ->default_val("64"),
           "integer-vector");
  Register(
    m_App
      .add_option(Flags("overlap"),
                  s.overlap,
                  "Overlap of neighbouring patches in voxels, one value or one per axis (x,y,z order); "
                  "when given it takes precedence over --overlap-fraction")
      ->delimiter(',')
      ->check(OverlapPercentage)
      ->check(WholeNumber("overlap", "voxels", 0, 999999999, "", " (a fraction of the patch is --overlap-fraction)"))
      ->default_str(""),
    "integer-vector");
  AddOverlapFractionOption();
  RegisterChoice("border-mode",
                 s.borderMode,
                 "How the last patch meets the image's end: squeeze (spread the remainder), edge (last "
                 "patch flush with the end), adaptive (shorter last patch), crop (the remainder is not "
                 "covered: 0 in the output), pad (extend the image)",
                 BorderModes,
                 "squeeze");
  RegisterChoice("padding",
                 s.padding,
                 "What a patch reads outside the image, wherever one does (pad mode, an axis shorter "
                 "than the patch): auto (constant for a network, as MONAI, or with a --padding-value other than 0; "
                 "else zerofluxneumann, as ITK's filters at an image border), constant (--padding-value), "
                 "zerofluxneumann (nearest voxel), mirror, periodic",
                 Paddings,
                 "auto");
  Register(
    m_App.add_option(Flags("padding-value"), s.paddingValue, "The constant padding's value")
      ->check(DecimalNumber("padding value", -FloatMaximum, FloatMaximum, "a finite number within float's range"))
      ->default_val(0.0),
    "double");
  Register(m_App.add_flag(Flags("pad-overlap"),
                          s.padOverlap,
                          "Pad mode: also extend the grid by half the overlap before and after the image, so the "
                          "image's border voxels are blended like interior ones"),
           "boolean");
}

/** --overlap-fraction: a decimal or p/q, held as its text; Slicer's field, a decimal spin box, takes no p/q. */
void
PatchwiseFilterOptions::AddOverlapFractionOption()
{
  const std::string described = "Overlap as a fraction of the patch size (rounded down), a decimal";
  const std::string used = ", used when --overlap is not given";
  SlicerParameter & overlapFraction = Register(
    m_App.add_option(Flags("overlap-fraction"), m_Settings.overlapFraction, described + " or p/q (1/3)" + used)
      ->check(Fraction)
      ->type_name("FLOAT|P/Q") // held as its text, exactly (PatchwiseDecimal)
      ->default_val("0.5"),
    "double");
  overlapFraction.constraints = "0 0.99 0.01";
  overlapFraction.description = described + used;
}

/** What is done to every patch, and how the patches are blended. */
void
PatchwiseFilterOptions::AddProcessingAndMergingOptions()
{
  auto & s = m_Settings;
  m_Groups.emplace_back("Processing", std::vector<SlicerParameter>{});
  Register(m_App
             .add_option(Flags("process"),
                         s.process,
                         "What is done to every patch: identity, gaussian:SIGMA_MM (Gaussian smoothing, sigma in "
                         "millimetres) or median:RADIUS (median, radius in voxels)")
             ->check(ProcessSpecification)
             ->default_val("identity"),
           "string");
  AddNetworkOptions();

  m_Groups.emplace_back("Merging", std::vector<SlicerParameter>{});
  RegisterChoice("weighting",
                 s.weighting,
                 "How overlapping patches are blended: average, gaussian (each patch weighted by a "
                 "Gaussian window), hann, crop (each voxel from the patch whose center is nearest)",
                 Weightings,
                 "gaussian");
  Register(
    m_App.add_option(Flags("sigma-scale"), s.sigmaScale, "Gaussian weighting: sigma as a fraction of the patch size")
      ->check(DecimalNumber(
        "sigma scale", FloatSmallest, FloatMaximum, "a finite number greater than 0 within float's range"))
      ->default_val(0.125),
    "double")
    .constraints = "0.01 1 0.005";
  Register(m_App
             .add_option(Flags("minimum-weight"),
                         s.minimumWeight,
                         "Gaussian weighting: the smallest weight a patch voxel gets, so every voxel is covered")
             ->check(DecimalNumber("minimum weight", 0.0, 1.0, "a number from 0 to 1"))
             ->default_val(0.001),
           "double")
    .constraints = "0 1 0.001";
  RegisterChoice("gaussian-floor",
                 s.gaussianFloor,
                 "Gaussian weighting: what --minimum-weight bounds: axis (each axis's profile; the window "
                 "stays separable, the fastest merge) or window (the whole window, as MONAI's importance map: "
                 "MONAI's numbers)",
                 GaussianFloors,
                 "axis");
}

/** A TorchScript network run on the patches instead of --process (docs/command-line.md). */
void
PatchwiseFilterOptions::AddNetworkOptions()
{
  auto & s = m_Settings;
  m_Groups.emplace_back("Network", std::vector<SlicerParameter>{});
  auto & model =
    Register(m_App
               .add_option(Flags("model"),
                           s.model,
                           "TorchScript network (torch.jit.save) run on batches of patches instead of "
                           "--process; the output is its merged channels (class probabilities, or logits, as "
                           "it returns them) or their argmax")
               ->check(ModelFile),
             "file");
  model.channel = "input";
  model.fileExtensions = ".pt";
  Register(m_App.add_option(Flags("batch-size"), s.batchSize, "Network: patches per forward pass")
             ->check(WholeNumber("batch size", "", 1, 4096))
             ->default_val(4),
           "integer")
    .constraints = "1 4096 1";
  Register(m_App
             .add_option(Flags("model-output"),
                         s.modelOutput,
                         "Network: for a module that returns a tuple or list of tensors, the index of the one "
                         "merged (0: the first); it must have the patch's spatial size")
             ->check(WholeNumber("model output", "", 0, 255))
             ->default_val(0),
           "integer")
    .constraints = "0 255 1";
  Register(m_App
             .add_option(Flags("mirror-axes"),
                         s.mirrorAxes,
                         "Network: test-time augmentation, the mean over every combination of flips of these ITK "
                         "axes (comma-separated: 0,1,2); 2^k passes")
             ->delimiter(',')
             ->check(WholeNumber("mirror axis", "", 0, 2, " (an ITK axis: 0 is x, 1 is y, 2 is z)"))
             ->default_str(""),
           "integer-vector");
  Register(m_App.add_option(Flags("device"), s.device, "Network: cpu, or cuda:N when libtorch has CUDA")
             ->check(Device)
             ->default_val("cpu"),
           "string");
  RegisterChoice("output-type",
                 s.outputType,
                 "Network: probabilities (the merged channels as the network returns them, probabilities "
                 "or logits, one float component each) or labels (their argmax, unsigned char or unsigned "
                 "short, computed division by division)",
                 OutputTypes,
                 "probabilities");
  auto & labelMap = Register(m_App
                               .add_option(Flags("label-map"),
                                           s.labelMap,
                                           "Network: the output as a label map (--output-type labels), written to "
                                           "this file instead of the positional output; 3D Slicer loads it as a "
                                           "label map")
                               ->type_name("FILE")
                               ->default_str(""),
                             "image");
  labelMap.channel = "output";
  labelMap.imageType = "label";
}

/** The streaming, the threads and the preview picture. */
void
PatchwiseFilterOptions::AddStreamingAndPreviewOptions()
{
  auto & s = m_Settings;
  m_Groups.emplace_back("Streaming", std::vector<SlicerParameter>{});
  Register(m_App
             .add_option(Flags("stream-divisions"),
                         s.streamDivisions,
                         "Number of pieces the output is computed in; each pulls only the patches it overlaps")
             ->check(WholeNumber("stream divisions", "", 1))
             ->default_val(1),
           "integer")
    .constraints = "1 999999999 1";
  Register(m_App.add_option(Flags("threads"), s.threads, "Number of threads (0: ITK's default, all cores)")
             ->check(WholeNumber("threads", "", 0, 1024))
             ->default_val(0),
           "integer")
    .constraints = "0 1024 1";

  m_Groups.emplace_back("Preview", std::vector<SlicerParameter>{});
  auto & preview =
    Register(m_App
               .add_option(Flags("preview"),
                           s.preview,
                           "Write a PNG picture: input, patch grid, weight map and output of the chosen slices")
               ->check(PngFile),
             "file");
  preview.channel = "output";
  preview.fileExtensions = ".png";
  Register(m_App
             .add_option(Flags("preview-axis"),
                         s.previewAxis,
                         "Preview the slice across this axis only (0, 1 or 2); -1: one slice across each axis")
             ->check(WholeNumber("preview axis", "", -1, 2))
             ->default_val(-1),
           "integer")
    .constraints = "-1 2 1";
  Register(
    m_App.add_option(Flags("preview-slice"), s.previewSlice, "Index of the previewed slice; -1: the middle slice")
      ->check(WholeNumber("preview slice", "", -1, 1 << 30))
      ->default_val(-1),
    "integer")
    .constraints = "-1 1073741824 1";
}

void
PatchwiseFilterOptions::RegisterChoice(const std::string &              name,
                                       std::string &                    value,
                                       const std::string &              description,
                                       const std::vector<std::string> & choices,
                                       const std::string &              defaultValue)
{
  Register(m_App.add_option(Flags(name), value, description)
             ->check(PatchwiseArgumentChecks::OneOf(choices, PatchwiseArgumentChecks::OtherToolsValues(name)))
             ->default_val(defaultValue),
           "string-enumeration")
    .elements = choices;
}

SlicerParameter &
PatchwiseFilterOptions::Register(CLI::Option * option, const std::string & element)
{
  option->group(m_Groups.back().first);
  // A list takes one argument, comma-separated (as 3D Slicer passes it): CLI11
  // would otherwise take the words after it too, the input and output files
  // among them ("--overlap 8 in.nrrd out.nrrd").
  if (element.find("-vector") != std::string::npos)
  {
    option->allow_extra_args(false);
    // --help shows "UINT:VOXELS[,...]=64", not CLI11's "UINT:VOXELS=64 ...", which reads as separate words.
    const std::string defaultValue = option->get_default_str();
    option->option_text(option->get_type_name() + "[,...]" + (defaultValue.empty() ? "" : "=" + defaultValue));
  }
  auto & parameters = m_Groups.back().second;
  parameters.push_back(SlicerParameter{ option, element, {}, {}, {}, {}, {}, {} });
  return parameters.back();
}

void
PatchwiseFilterOptions::Parse(int argc, const char * const * argv)
{
  PatchwiseArgumentChecks::RejectTypography(m_App, argc, argv);
  PatchwiseArgumentChecks::RejectMissingValuesAndMalformedLists(m_App, argc, argv);
  PatchwiseArgumentChecks::RejectUnknownOptions(m_App, argc, argv);
  PatchwiseArgumentChecks::RejectRepeatedOptions(m_App, argc, argv);
  if (argc < 2)
  {
    throw CLI::ValidationError("input", "no input image given: PatchwiseFilter [OPTIONS] input output (see --help)");
  }
  try
  {
    m_App.parse(argc, argv);
  }
  catch (const CLI::ExtrasError &)
  {
    throw UnexpectedArguments(m_App.remaining());
  }
  auto & s = m_Settings;
  // Accepted in any case (as the other choices are); compared in lower case from here on.
  for (std::string * choice :
       { &s.outputType, &s.borderMode, &s.padding, &s.weighting, &s.gaussianFloor, &s.process, &s.device })
  {
    *choice = Lowercase(*choice);
  }
  // 3D Slicer passes every parameter, --padding_value 0 included: a value other than 0 is one chosen.
  const bool paddingValueChosen = s.paddingValue != 0.0;
  if (s.padding == "auto")
  {
    // A network reads zeros, as MONAI pads; a filter the edge voxels, as ITK's neighbourhood
    // filters read past an image border: the far end of a short axis then matches the start.
    s.padding = !s.model.empty() || paddingValueChosen ? "constant" : "zerofluxneumann";
  }
  RejectWithout(s.padding == "constant",
                "--padding constant (or auto), not " + s.padding,
                { { paddingValueChosen, "--padding-value", "the value a constant padding reads" } });
  if (!s.model.empty() && s.process != "identity")
  {
    throw CLI::ValidationError("--model",
                               "a network and --process " + s.process +
                                 " exclude each other: the network is what runs on every patch "
                                 "(give --process identity)");
  }
  RejectWithout(!s.model.empty(),
                "--model",
                { { !s.labelMap.empty(), "--label-map", "a label map is the argmax of a network's classes" },
                  { s.outputType == "labels", "--output-type", "labels is the argmax of a network's classes" },
                  { s.modelOutput != 0, "--model-output", "picks one of a network's outputs" },
                  { !s.mirrorAxes.empty(), "--mirror-axes", "mirroring is a network's test-time augmentation" } });
  RejectWithout(!s.preview.empty(),
                "--preview",
                { { s.previewAxis != -1, "--preview-axis", "chooses the axis of the preview picture's slice" },
                  { s.previewSlice != -1, "--preview-slice", "chooses the preview picture's slice" } });
  this->ResolveLabelMap();
  RejectImpossibleGrid(s);
  RejectUnwritableOutput(s);
  for (std::size_t a = 1; a < s.mirrorAxes.size(); ++a)
  {
    if (std::count(s.mirrorAxes.begin(), s.mirrorAxes.begin() + a, s.mirrorAxes[a]) > 0)
    {
      throw CLI::ValidationError("--mirror-axes", "axis " + std::to_string(s.mirrorAxes[a]) + " is given twice");
    }
  }
  this->RejectSameFiles();
}

std::string
PatchwiseFilterOptions::SharedFileProblem(const std::string & shared) const
{
  const std::string & input = m_Settings.input;
  if (shared == input)
  {
    return "is the input file";
  }
  const auto      pair = NiftiPairCandidates(input);
  const bool      paired = std::find(pair.begin(), pair.end(), shared) != pair.end();
  std::error_code ignored;
  if (std::filesystem::exists(shared, ignored))
  {
    return paired ? "would overwrite \"" + shared + "\", the other file of the input's Analyze/NIfTI pair"
                  : "would overwrite the input's data file \"" + shared + "\"";
  }
  return "would write \"" + shared + "\", which " +
         (paired ? "the input would then read as the other file of its Analyze/NIfTI pair"
                 : "the input's header would then read as its data file");
}

void
PatchwiseFilterOptions::RejectSameFiles() const
{
  const auto &      s = m_Settings;
  const std::string shared = SharedFile(FilesWrittenFor(s.output), FilesReadFor(s.input));
  if (!shared.empty())
  {
    throw CLI::ValidationError(s.OutputName(),
                               "\"" + s.output + "\" " + SharedFileProblem(shared) + ": write to another file");
  }
  if (s.preview.empty())
  {
    return;
  }
  const bool previewIsInput = IsSameFile(s.preview, s.input);
  if (previewIsInput || IsSameFile(s.preview, s.output))
  {
    throw CLI::ValidationError("--preview",
                               "\"" + s.preview + "\" is " + (previewIsInput ? "the input" : "the " + s.OutputName()) +
                                 " file: write the preview to another file");
  }
}

void
PatchwiseFilterOptions::ResolveLabelMap()
{
  auto & s = m_Settings;
  if (s.labelMap.empty())
  {
    if (s.output.empty())
    {
      throw CLI::RequiredError("output (or --label-map FILE with --model)");
    }
    return;
  }
  if (!s.output.empty())
  {
    throw CLI::ValidationError("--label-map",
                               "\"" + s.labelMap + "\" and the output \"" + s.output +
                                 "\" exclude each other: --label-map is the output, as labels (give one of them)");
  }
  s.output = s.labelMap;
  s.outputType = "labels";
}
