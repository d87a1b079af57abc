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
#ifndef PatchwiseFilterOptions_h
#define PatchwiseFilterOptions_h

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

/** What PatchwiseFilter does, as given on its command line (or by 3D Slicer). */
struct PatchwiseFilterSettings
{
  std::string               input{};
  std::string               output{};
  std::vector<unsigned int> patchSize{};
  std::vector<unsigned int> overlap{};         // voxels; empty: from overlapFraction
  std::string               overlapFraction{}; // decimal text, see PatchwiseDecimal
  std::string               borderMode{};
  std::string               padding{};
  double                    paddingValue{};
  bool                      padOverlap{};
  std::string               process{};
  std::string               model{}; // TorchScript file; empty: --process runs on every patch
  unsigned int              batchSize{};
  unsigned int              modelOutput{}; // which output of a module returning a tuple or list
  std::vector<unsigned int> mirrorAxes{};
  std::string               device{};
  std::string               outputType{}; // probabilities or labels
  std::string               labelMap{};   // --label-map: the output, as labels (Slicer's label map node)
  std::string               weighting{};
  double                    sigmaScale{};
  double                    minimumWeight{};
  std::string               gaussianFloor{}; // axis or window: what minimumWeight bounds
  unsigned int              streamDivisions{};
  unsigned int              threads{};
  std::string               preview{};
  int                       previewAxis{};
  int                       previewSlice{};

  /** What the user called the output file: "output" or "--label-map". */
  std::string
  OutputName() const
  {
    return labelMap.empty() ? "output" : "--label-map";
  }
};

/** How 3D Slicer shows one option: the SlicerExecutionModel element and, for
 * enumerations, the choices. The flag, group and default come from the CLI11
 * option itself, so they cannot drift from what the program accepts; so does
 * the description, unless Slicer's field takes less than the option (then
 * `description` says what the field takes). */
struct SlicerParameter
{
  const CLI::Option *      option{};
  std::string              element{};        // integer, double, boolean, string-enumeration, image, file, ...
  std::string              channel{};        // input or output, for images and files
  std::vector<std::string> elements{};       // the choices of an enumeration
  std::string              constraints{};    // "minimum maximum step" for numbers, empty for none
  std::string              fileExtensions{}; // for files, ".png"
  std::string              imageType{};      // for images: "label" for a label map, empty for a volume
  std::string              description{};    // where Slicer's field takes less than the option: its own description
};

/** The command line: every option registered once, with its Slicer description. */
class PatchwiseFilterOptions
{
public:
  PatchwiseFilterOptions();

  /** Parses argv into the settings; `--xml` and `--help` print and throw CLI::Success.
   * Throws CLI::ValidationError for flags that exclude each other (--model
   * with a --process other than identity; --output-type labels,
   * --label-map, --mirror-axes or a non-zero --model-output without --model;
   * --preview-axis or --preview-slice without --preview; --label-map with the
   * positional output; a grid the options rule out, an output that is a
   * directory or has no ITK format: the image formats must be registered), and
   * CLI::RequiredError when neither the output nor --label-map is given. */
  void
  Parse(int argc, const char * const * argv);

  const PatchwiseFilterSettings &
  GetSettings() const
  {
    return m_Settings;
  }

  CLI::App &
  GetApp()
  {
    return m_App;
  }

  /** The groups in the order they were registered, each with its parameters. */
  const std::vector<std::pair<std::string, std::vector<SlicerParameter>>> &
  GetSlicerGroups() const
  {
    return m_Groups;
  }

private:
  SlicerParameter &
  Register(CLI::Option * option, const std::string & element);

  /** Registers the choice option --`name` (a Slicer string-enumeration): one of `choices`
   * in any case, another tool's name for one of them answered (OtherToolsValues). */
  void
  RegisterChoice(const std::string &              name,
                 std::string &                    value,
                 const std::string &              description,
                 const std::vector<std::string> & choices,
                 const std::string &              defaultValue);

  // The option groups after "Input and output", in the order --help and Slicer show them.
  void
  AddPatchOptions();
  void
  AddOverlapFractionOption();
  void
  AddProcessingAndMergingOptions();
  void
  AddNetworkOptions();
  void
  AddStreamingAndPreviewOptions();

  /** --label-map FILE: the output is FILE, as labels, whatever --output-type says (3D Slicer
   * passes the drop-down's value on every run). */
  void
  ResolveLabelMap();

  /** Throws CLI::ValidationError when the output (or --label-map) is the input file, or
   * the preview is either of them: the run would overwrite the one with the other. */
  void
  RejectSameFiles() const;

  /** What writing `shared`, a file reading the input reads (FilesReadFor), would do to the input. */
  std::string
  SharedFileProblem(const std::string & shared) const;

  CLI::App                                                          m_App;
  PatchwiseFilterSettings                                           m_Settings{};
  std::vector<std::pair<std::string, std::vector<SlicerParameter>>> m_Groups{};
};

#endif
