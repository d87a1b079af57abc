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
// PatchwiseFilter, the command-line program, run as a user runs it: its
// output against the library's for the same parameters, its bad-argument
// handling, its 3D Slicer description and its preview picture.
#include "itkPatchByPatchImageFilter.h"
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"
#include "itkPatchStreamingTestUtilities.h"

#include "itkDiscreteGaussianImageFilter.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkMedianImageFilter.h"
#include "itkMetaImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"
#include "itkPNGImageIOFactory.h"
#include "itkRGBPixel.h"
#include "itkVectorImage.h"
#include "itkVectorIndexSelectionCastImageFilter.h"

#include <expat.h>
#include "gtest/gtest.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sys/wait.h>

namespace
{
namespace fs = std::filesystem;
using namespace PatchStreamingTest;
using ImageType = itk::Image<float, 3>;
using Image2DType = itk::Image<float, 2>;
using VectorImageType = itk::VectorImage<float, 3>;

struct ProgramRun
{
  int         status{ -1 };
  std::string out{};
  std::string err{};
};

std::string
Contents(const fs::path & file)
{
  std::ifstream     in(file, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

/** A directory of its own for each test, removed afterwards. */
class PatchwiseFilterProgram : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    itk::NrrdImageIOFactory::RegisterOneFactory();
    itk::MetaImageIOFactory::RegisterOneFactory();
    itk::PNGImageIOFactory::RegisterOneFactory();
    const auto * test = ::testing::UnitTest::GetInstance()->current_test_info();
    m_Directory = fs::temp_directory_path() / ("PatchwiseFilterGTest-" + std::string(test->name()) + "-" +
                                               std::to_string(getpid()));
    fs::remove_all(m_Directory);
    fs::create_directories(m_Directory);
  }

  void
  TearDown() override
  {
    fs::remove_all(m_Directory);
  }

  std::string
  Path(const std::string & name) const
  {
    return (m_Directory / name).string();
  }

  /** Runs the program with `arguments` (each passed as one argument, as Slicer passes them). */
  ProgramRun
  Run(const std::vector<std::string> & arguments) const
  {
    std::string command = "'" + std::string(PatchwiseFilter_EXECUTABLE) + "'";
    for (const auto & argument : arguments)
    {
      command += " '" + argument + "'";
    }
    command += " > '" + Path("stdout.txt") + "' 2> '" + Path("stderr.txt") + "'";
    ProgramRun run;
    const int  status = std::system(command.c_str());
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = Contents(Path("stdout.txt"));
    run.err = Contents(Path("stderr.txt"));
    fs::remove(Path("stdout.txt"));
    fs::remove(Path("stderr.txt"));
    return run;
  }

  /** What the directory holds besides the given files. */
  std::set<std::string>
  FilesOtherThan(const std::set<std::string> & expected) const
  {
    std::set<std::string> others;
    for (const auto & entry : fs::directory_iterator(m_Directory))
    {
      if (expected.count(entry.path().filename().string()) == 0)
      {
        others.insert(entry.path().filename().string());
      }
    }
    return others;
  }

  fs::path m_Directory;
};

template <typename TImage>
void
Write(const TImage * image, const std::string & file)
{
  auto writer = itk::ImageFileWriter<TImage>::New();
  writer->SetInput(image);
  writer->SetFileName(file);
  writer->Update();
}

/** The parameters of one end-to-end case, as the library takes them. */
struct LibraryCase
{
  std::vector<std::string>             arguments;
  itk::Size<3>                         patchSize;
  itk::Size<3>                         overlap;
  itk::PatchStreamingEnums::BorderMode borderMode;
  itk::PatchStreamingEnums::Padding    padding;
  double                               paddingValue;
  itk::PatchStreamingEnums::Weighting  weighting;
  double                               gaussianSigma; // 0: no smoothing
  unsigned int                         medianRadius;  // 0: no median
};

/** extract -> [per-patch filter] -> merge with the library, unstreamed. */
template <unsigned int VDimension>
typename itk::Image<float, VDimension>::Pointer
LibraryResult(const itk::Image<float, VDimension> * image, const LibraryCase & c)
{
  using Image = itk::Image<float, VDimension>;
  using Stack = itk::Image<float, VDimension + 1>;
  typename Image::SizeType patch, overlap;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    patch[d] = c.patchSize[d];
    overlap[d] = c.overlap[d];
  }
  auto extractor = MakeExtractor(image, patch, overlap, c.borderMode);
  extractor->SetPadding(c.padding);
  extractor->SetPaddingValue(static_cast<float>(c.paddingValue));
  auto perPatch = itk::PatchByPatchImageFilter<Stack>::New();
  perPatch->SetInput(extractor->GetOutput());
  if (c.gaussianSigma > 0.0)
  {
    auto smoothing = itk::DiscreteGaussianImageFilter<Image, Image>::New();
    smoothing->SetVariance(c.gaussianSigma * c.gaussianSigma);
    smoothing->SetUseImageSpacing(true);
    smoothing->SetMaximumKernelWidth(std::numeric_limits<int>::max());
    perPatch->SetFilter(smoothing);
  }
  else
  {
    auto median = itk::MedianImageFilter<Image, Image>::New();
    median->SetRadius(c.medianRadius);
    perPatch->SetFilter(median);
  }
  auto merger = itk::PatchMerger<Stack>::New();
  merger->SetInput(c.gaussianSigma > 0.0 || c.medianRadius > 0 ? perPatch->GetOutput() : extractor->GetOutput());
  merger->SetWeighting(c.weighting);
  merger->Update();
  return merger->GetOutput();
}

/** The same region, and spacing, origin and direction up to the files'
 * decimal rounding (NRRD stores spacing times direction). */
template <typename TImage>
void
ExpectSameGeometry(const TImage * expected, const TImage * actual)
{
  constexpr unsigned int Dimension = TImage::ImageDimension;
  EXPECT_EQ(expected->GetLargestPossibleRegion(), actual->GetLargestPossibleRegion());
  for (unsigned int i = 0; i < Dimension; ++i)
  {
    EXPECT_NEAR(expected->GetSpacing()[i], actual->GetSpacing()[i], 1e-12);
    EXPECT_NEAR(expected->GetOrigin()[i], actual->GetOrigin()[i], 1e-12);
    for (unsigned int j = 0; j < Dimension; ++j)
    {
      EXPECT_NEAR(expected->GetDirection()[i][j], actual->GetDirection()[i][j], 1e-12);
    }
  }
}

using Border = itk::PatchStreamingEnums::BorderMode;
using Padding = itk::PatchStreamingEnums::Padding;
using Weighting = itk::PatchStreamingEnums::Weighting;

const std::vector<LibraryCase> &
EndToEndCases()
{
  static const std::vector<LibraryCase> cases{
    { { "--patch-size", "16,12,10", "--overlap", "6,4,3", "--border-mode", "edge", "--process", "gaussian:1.7",
        "--weighting", "gaussian", "--stream-divisions", "3" },
      { { 16, 12, 10 } },
      { { 6, 4, 3 } },
      Border::Edge,
      Padding::Constant,
      0.0,
      Weighting::Gaussian,
      1.7,
      0 },
    { { "--patch-size", "11", "--overlap-fraction", "0.3", "--border-mode", "pad", "--padding", "mirror",
        "--process", "median:1", "--weighting", "hann", "--stream-divisions", "5" },
      { { 11, 11, 11 } },
      { { 3, 3, 3 } },
      Border::Pad,
      Padding::Mirror,
      0.0,
      Weighting::Hann,
      0.0,
      1 },
    { { "--patch-size", "9,14,8", "--overlap", "4", "--border-mode", "adaptive", "--weighting", "crop" },
      { { 9, 14, 8 } },
      { { 4, 4, 4 } },
      Border::Adaptive,
      Padding::Constant,
      0.0,
      Weighting::Crop,
      0.0,
      0 },
    { { "--patch-size", "12", "--overlap", "5", "--border-mode", "pad", "--padding-value", "-3.5", "--process",
        "gaussian:0.9", "--weighting", "average", "--stream-divisions", "4", "--threads", "1" },
      { { 12, 12, 12 } },
      { { 5, 5, 5 } },
      Border::Pad,
      Padding::Constant,
      -3.5,
      Weighting::Average,
      0.9,
      0 },
  };
  return cases;
}

// Odd sizes, anisotropic spacing and an oblique direction (MakeRandomImage).
TEST_F(PatchwiseFilterProgram, OutputFileIsBitIdenticalToTheLibrarysResult)
{
  Write(MakeRandomImage<ImageType>({ { 37, 29, 23 } }, 7).GetPointer(), Path("input.nrrd"));
  // The library runs on the file the program reads (the file's decimal spacing).
  const auto image = PatchStreamingTest::ReadImage<ImageType>(Path("input.nrrd"));
  for (const auto & c : EndToEndCases())
  {
    std::vector<std::string> arguments{ Path("input.nrrd"), Path("output.nrrd") };
    arguments.insert(arguments.end(), c.arguments.begin(), c.arguments.end());
    const auto run = Run(arguments);
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_NE(run.out.find("wrote " + Path("output.nrrd")), std::string::npos) << run.out;

    const auto expected = LibraryResult<3>(image.GetPointer(), c);
    const auto actual = PatchStreamingTest::ReadImage<ImageType>(Path("output.nrrd"));
    ExpectSameGeometry<ImageType>(expected, actual);
    EXPECT_EQ((DescribeDifferences<ImageType, ImageType>(expected, actual, expected->GetLargestPossibleRegion())), "")
      << c.arguments[1] << " " << c.arguments[5];
  }
}

TEST_F(PatchwiseFilterProgram, MultiComponentImagesAreProcessedComponentByComponent)
{
  Write(MakeRandomImage<VectorImageType>({ { 21, 17, 13 } }, 11, 2).GetPointer(), Path("input.mha"));
  const auto image = PatchStreamingTest::ReadImage<VectorImageType>(Path("input.mha"));
  const LibraryCase & c = EndToEndCases()[0];
  std::vector<std::string> arguments{ Path("input.mha"), Path("output.mha") };
  arguments.insert(arguments.end(), c.arguments.begin(), c.arguments.end());
  const auto run = Run(arguments);
  ASSERT_EQ(run.status, 0) << run.err;
  const auto actual = PatchStreamingTest::ReadImage<VectorImageType>(Path("output.mha"));
  ASSERT_EQ(actual->GetNumberOfComponentsPerPixel(), 2u);
  for (unsigned int component = 0; component < 2; ++component)
  {
    using SelectionType = itk::VectorIndexSelectionCastImageFilter<VectorImageType, ImageType>;
    auto input = SelectionType::New();
    input->SetInput(image);
    input->SetIndex(component);
    input->Update();
    auto output = SelectionType::New();
    output->SetInput(actual);
    output->SetIndex(component);
    output->Update();
    const auto expected = LibraryResult<3>(input->GetOutput(), c);
    ExpectSameGeometry<ImageType>(expected, output->GetOutput());
    EXPECT_EQ((DescribeDifferences<ImageType, ImageType>(
                expected, output->GetOutput(), expected->GetLargestPossibleRegion())),
              "")
      << "component " << component;
  }
}

TEST_F(PatchwiseFilterProgram, TwoDimensionalImagesWork)
{
  Write(MakeRandomImage<Image2DType>({ { 45, 31 } }, 5).GetPointer(), Path("input.nrrd"));
  const auto image = PatchStreamingTest::ReadImage<Image2DType>(Path("input.nrrd"));
  const auto run = Run({ Path("input.nrrd"),
                         Path("output.nrrd"),
                         "--patch-size",
                         "16,10",
                         "--overlap",
                         "8,3",
                         "--process",
                         "median:2",
                         "--weighting",
                         "gaussian",
                         "--preview",
                         Path("preview.png") });
  ASSERT_EQ(run.status, 0) << run.err;
  LibraryCase c{ {}, { { 16, 10, 1 } }, { { 8, 3, 0 } }, Border::Squeeze, Padding::Constant, 0.0, Weighting::Gaussian,
                 0.0, 2 };
  const auto expected = LibraryResult<2>(image.GetPointer(), c);
  const auto actual = PatchStreamingTest::ReadImage<Image2DType>(Path("output.nrrd"));
  ExpectSameGeometry<Image2DType>(expected, actual);
  EXPECT_EQ((DescribeDifferences<Image2DType, Image2DType>(expected, actual, expected->GetLargestPossibleRegion())), "");
  EXPECT_TRUE(fs::exists(Path("preview.png")));
}

/** One bad argument each: a non-zero exit, one line on stderr naming the
 * problem, and no output file (nor anything else) left behind. */
TEST_F(PatchwiseFilterProgram, BadArgumentsExitNonZeroWithOneLineAndLeaveNoFile)
{
  Write(MakeRandomImage<ImageType>({ { 19, 15, 11 } }, 3).GetPointer(), Path("input.nrrd"));
  std::ofstream(Path("notanimage.nrrd")) << "not an image\n";
  const std::string input = Path("input.nrrd");
  const std::string output = Path("output.nrrd");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
    { { input, output, "--no-such-flag" }, "--no-such-flag" },
    { { input, output, "--patch-size", "8", "--overlap", "8" }, "PatchOverlap[0] = 8 must be less than PatchSize[0] = 8" },
    { { input, output, "--patch-size", "8", "--overlap", "3,9,3" }, "PatchOverlap[1] = 9" },
    { { input, output, "--process", "gaussian:-1" }, "gaussian sigma -1 must be positive" },
    { { input, output, "--process", "gaussian:abc" }, "gaussian sigma \"abc\" is not a number" },
    { { input, output, "--process", "median:0" }, "median radius 0" },
    { { input, output, "--process", "sharpen" }, "\"sharpen\" is not identity, gaussian:SIGMA_MM or median:RADIUS" },
    { { input, output, "--sigma-scale", "-0.1" }, "--sigma-scale" },
    { { input, output, "--minimum-weight", "2" }, "--minimum-weight" },
    { { input, output, "--overlap-fraction", "1" }, "overlap fraction 1 is not in [0, 1)" },
    { { input, output, "--weighting", "median" }, "--weighting: median not in" },
    { { input, output, "--border-mode", "wrap" }, "--border-mode: wrap not in" },
    { { input, output, "--patch-size", "8,8" }, "--patch-size has 2 values; the image is 3-D: give 1 or 3" },
    { { input, output, "--patch-size", "8,0,8" }, "--patch-size" },
    { { input, output, "--patch-size", "eight" }, "--patch-size" },
    { { input, output, "--stream-divisions", "0" }, "--stream-divisions" },
    { { input, output, "--pad-overlap" }, "PadOverlap is on but BorderMode is Squeeze" },
    { { input, output, "--preview", Path("preview.jpg") }, "does not end in .png" },
    { { input, output, "--preview", Path("preview.png"), "--preview-slice", "11" }, "--preview-slice 11 is outside axis 2 (0..10)" },
    { { input, output, "--preview-axis", "3" }, "--preview-axis" },
    { { Path("missing.nrrd"), output }, "missing.nrrd" },
    { { Path("notanimage.nrrd"), output }, "notanimage.nrrd" },
    { { input }, "output is required" },
    { { input, Path("no-such-directory/output.nrrd") }, "cannot write output" },
    { { input, Path("input.nrrd/output.nrrd") }, "cannot write output" },
    { { input, m_Directory.string() }, "is a directory" },
    { { input, Path("output.unknownformat") }, "no ITK image format writes this file name" },
  };
  for (const auto & [arguments, problem] : cases)
  {
    const auto run = Run(arguments);
    std::string shown;
    for (const auto & argument : arguments)
    {
      shown += argument + " ";
    }
    EXPECT_NE(run.status, 0) << shown;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << shown << ": " << run.err;
    EXPECT_EQ(run.err.rfind("PatchwiseFilter: ", 0), 0u) << run.err;
    EXPECT_NE(run.err.find(problem), std::string::npos) << shown << ": " << run.err;
    EXPECT_EQ(FilesOtherThan({ "input.nrrd", "notanimage.nrrd" }), std::set<std::string>{}) << shown;
  }
}

/** A run that fails while the output is being written (the input's data is
 * truncated) leaves the existing output and preview files as they were. */
TEST_F(PatchwiseFilterProgram, AFailureHalfwayLeavesTheExistingOutputUntouched)
{
  Write(MakeRandomImage<ImageType>({ { 19, 15, 11 } }, 3).GetPointer(), Path("input.mhd"));
  fs::remove(Path("input.raw")); // the header reads, the data does not
  std::ofstream(Path("output.nrrd")) << "the previous result";
  std::ofstream(Path("preview.png")) << "the previous preview";

  const auto run = Run({ Path("input.mhd"), Path("output.nrrd"), "--patch-size", "8", "--preview", Path("preview.png") });
  EXPECT_NE(run.status, 0);
  EXPECT_NE(run.err.find("PatchwiseFilter: "), std::string::npos) << run.err;
  EXPECT_TRUE(Contents(Path("output.nrrd")) == "the previous result");
  EXPECT_TRUE(Contents(Path("preview.png")) == "the previous preview");
  EXPECT_EQ(FilesOtherThan({ "input.mhd", "output.nrrd", "preview.png" }), std::set<std::string>{});
}

/** Two-file formats: the data file is renamed with the header, and keeps its name. */
TEST_F(PatchwiseFilterProgram, TwoFileOutputsArriveWithTheirDataFiles)
{
  Write(MakeRandomImage<ImageType>({ { 13, 10, 9 } }, 4).GetPointer(), Path("input.nrrd"));
  const auto image = PatchStreamingTest::ReadImage<ImageType>(Path("input.nrrd"));
  const auto run = Run({ Path("input.nrrd"), Path("output.mhd"), "--patch-size", "6", "--weighting", "crop" });
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(FilesOtherThan({ "input.nrrd", "output.mhd", "output.raw" }), std::set<std::string>{});
  const auto actual = PatchStreamingTest::ReadImage<ImageType>(Path("output.mhd"));
  EXPECT_EQ((DescribeDifferences<ImageType, ImageType>(image, actual, image->GetLargestPossibleRegion())), "");
}

/** The SlicerExecutionModel description, as expat reads it. */
struct SlicerDescription
{
  struct Parameter
  {
    std::string                        element;
    std::map<std::string, std::string> fields; // name, label, longflag, default, index, channel, ...
  };
  std::vector<std::string>           path{};
  std::map<std::string, std::string> executable{}; // category, title, ...
  std::vector<Parameter>             parameters{};
  std::string                        text{};
};

SlicerDescription
ParseSlicerDescription(const std::string & xml)
{
  SlicerDescription description;
  XML_Parser        parser = XML_ParserCreate(nullptr);
  XML_SetUserData(parser, &description);
  XML_SetElementHandler(
    parser,
    [](void * data, const XML_Char * name, const XML_Char **) {
      auto & d = *static_cast<SlicerDescription *>(data);
      d.path.emplace_back(name);
      d.text.clear();
      if (d.path.size() == 3 && d.path[1] == "parameters" && d.path[2] != "label" && d.path[2] != "description")
      {
        d.parameters.push_back({ name, {} });
      }
    },
    [](void * data, const XML_Char * name) {
      auto & d = *static_cast<SlicerDescription *>(data);
      if (d.path.size() == 2)
      {
        d.executable[name] = d.text;
      }
      else if (d.path.size() == 4 && !d.parameters.empty())
      {
        d.parameters.back().fields[name] = d.text;
      }
      d.path.pop_back();
      d.text.clear();
    });
  XML_SetCharacterDataHandler(parser, [](void * data, const XML_Char * text, int length) {
    static_cast<SlicerDescription *>(data)->text.append(text, static_cast<std::size_t>(length));
  });
  const bool wellFormed = XML_Parse(parser, xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_OK;
  EXPECT_TRUE(wellFormed) << XML_ErrorString(XML_GetErrorCode(parser)) << " at line "
                          << XML_GetCurrentLineNumber(parser);
  XML_ParserFree(parser);
  return description;
}

/** The options `--help` lists, each with the default it shows ("" for none). */
std::map<std::string, std::string>
HelpOptions(const std::string & help)
{
  std::map<std::string, std::string> options;
  const std::regex                   line("^  (?:-h,)?--([a-z][a-z-]*)(.*)$");
  std::istringstream                 lines(help);
  for (std::string text; std::getline(lines, text);)
  {
    std::smatch match;
    if (!std::regex_match(text, match, line))
    {
      continue;
    }
    // The type column ends at the first double space; its default follows the last '='.
    std::string type = match[2].str();
    type = type.substr(0, type.find("  "));
    std::string defaultValue;
    if (type.find('=') != std::string::npos)
    {
      defaultValue = type.substr(type.rfind('=') + 1);
      defaultValue = defaultValue.substr(0, defaultValue.find(" ..."));
    }
    options[match[1].str()] = defaultValue;
  }
  return options;
}

TEST_F(PatchwiseFilterProgram, XmlIsAWellFormedSlicerModuleListingExactlyTheOptionsAndDefaults)
{
  const auto xml = Run({ "--xml" });
  ASSERT_EQ(xml.status, 0) << xml.err;
  const auto description = ParseSlicerDescription(xml.out);
  for (const char * field : { "category", "title", "description", "version", "contributor" })
  {
    EXPECT_FALSE(description.executable.count(field) == 0 || description.executable.at(field).empty()) << field;
  }

  const auto help = Run({ "--help" });
  ASSERT_EQ(help.status, 0) << help.err;
  auto accepted = HelpOptions(help.out);
  ASSERT_EQ(accepted.erase("help") + accepted.erase("xml"), 2u) << help.out; // Slicer's own flags, not parameters

  std::map<std::string, std::string> listed;
  std::map<std::string, std::string> images; // index -> channel
  const std::set<std::string>        elements{ "integer",        "double", "boolean", "string", "string-enumeration",
                                        "integer-vector", "image",  "file" };
  for (const auto & parameter : description.parameters)
  {
    auto fields = parameter.fields;
    EXPECT_EQ(elements.count(parameter.element), 1u) << parameter.element;
    EXPECT_FALSE(fields["name"].empty() || fields["label"].empty() || fields["description"].empty())
      << parameter.element;
    if (parameter.element == "image")
    {
      images[fields["index"]] = fields["channel"];
      continue;
    }
    ASSERT_FALSE(fields["longflag"].empty()) << fields["name"];
    listed[fields["longflag"]] = parameter.element == "boolean" ? "" : fields["default"];
    if (parameter.element == "boolean")
    {
      EXPECT_EQ(fields["default"], "false");
    }
  }
  EXPECT_EQ(accepted.size(), 16u) << help.out;
  EXPECT_EQ(listed, accepted);
  EXPECT_EQ(listed["sigma-scale"], "0.125");
  EXPECT_EQ(listed["weighting"], "gaussian");
  EXPECT_EQ(images, (std::map<std::string, std::string>{ { "0", "input" }, { "1", "output" } }));
}

/** Every XML parameter passed with its XML default, as Slicer passes them
 * (booleans only when true), gives the output the program's own defaults give. */
TEST_F(PatchwiseFilterProgram, XmlDefaultsPassedExplicitlyGiveTheDefaultResult)
{
  Write(MakeRandomImage<ImageType>({ { 23, 19, 17 } }, 9).GetPointer(), Path("input.nrrd"));
  const auto description = ParseSlicerDescription(Run({ "--xml" }).out);
  std::vector<std::string> explicitDefaults{ Path("input.nrrd"), Path("explicit.nrrd") };
  for (const auto & parameter : description.parameters)
  {
    const auto & fields = parameter.fields;
    if (parameter.element != "image" && parameter.element != "boolean" && fields.count("default") != 0)
    {
      explicitDefaults.push_back("--" + fields.at("longflag"));
      explicitDefaults.push_back(fields.at("default"));
    }
  }
  ASSERT_GT(explicitDefaults.size(), 20u);
  const auto explicitRun = Run(explicitDefaults);
  ASSERT_EQ(explicitRun.status, 0) << explicitRun.err;
  const auto implicitRun = Run({ Path("input.nrrd"), Path("implicit.nrrd"), "--patch-size", "64" });
  ASSERT_EQ(implicitRun.status, 0) << implicitRun.err;
  const auto plainRun = Run({ Path("input.nrrd"), Path("plain.nrrd") });
  ASSERT_EQ(plainRun.status, 0) << plainRun.err;
  EXPECT_TRUE(Contents(Path("explicit.nrrd")) == Contents(Path("plain.nrrd")));
  EXPECT_TRUE(Contents(Path("implicit.nrrd")) == Contents(Path("plain.nrrd")));
}

using PictureType = itk::Image<itk::RGBPixel<unsigned char>, 2>;

/** Mean and standard deviation of the luminance in a PanelSize square at (x, top). */
std::pair<double, double>
PanelStatistics(const PictureType * picture, itk::IndexValueType x, itk::IndexValueType top)
{
  double sum = 0.0, squares = 0.0, count = 0.0;
  for (itk::IndexValueType v = top; v < top + 256; ++v)
  {
    for (itk::IndexValueType u = x; u < x + 256; ++u)
    {
      const auto   pixel = picture->GetPixel({ { u, v } });
      const double luminance = 0.299 * pixel[0] + 0.587 * pixel[1] + 0.114 * pixel[2];
      sum += luminance;
      squares += luminance * luminance;
      count += 1.0;
    }
  }
  const double mean = sum / count;
  return { mean, std::sqrt(std::max(0.0, squares / count - mean * mean)) };
}

/** Pixels that differ between two panels. */
double
DifferingFraction(const PictureType * picture, itk::IndexValueType x0, itk::IndexValueType x1, itk::IndexValueType top)
{
  double differing = 0.0;
  for (itk::IndexValueType v = top; v < top + 256; ++v)
  {
    for (itk::IndexValueType u = 0; u < 256; ++u)
    {
      differing += picture->GetPixel({ { x0 + u, v } }) != picture->GetPixel({ { x1 + u, v } }) ? 1.0 : 0.0;
    }
  }
  return differing / (256.0 * 256.0);
}

// The layout: 120 px of row labels, four 256 px panels each followed by an
// 8 px gap, two 100 px colour bars; 48 px of title and column labels, then
// 264 px per row and an 8 px margin.
TEST_F(PatchwiseFilterProgram, PreviewIsAPngOfTheExpectedSizeWithNonBlankPanels)
{
  Write(MakeRandomImage<ImageType>({ { 37, 29, 23 } }, 7).GetPointer(), Path("input.nrrd"));
  for (const int axis : { -1, 1 })
  {
    const auto run = Run({ Path("input.nrrd"), Path("output.nrrd"), "--patch-size", "16,12,10", "--process",
                           "gaussian:2", "--preview", Path("preview.png"), "--preview-axis", std::to_string(axis) });
    ASSERT_EQ(run.status, 0) << run.err;
    const auto picture = PatchStreamingTest::ReadImage<PictureType>(Path("preview.png"));
    const int  rows = axis < 0 ? 3 : 1;
    ASSERT_EQ(picture->GetLargestPossibleRegion().GetSize(),
              (PictureType::SizeType{ { 1376, static_cast<itk::SizeValueType>(48 + 264 * rows + 8) } }));
    for (int r = 0; r < rows; ++r)
    {
      const itk::IndexValueType top = 48 + 264 * r;
      for (int c = 0; c < 4; ++c)
      {
        const auto [mean, deviation] = PanelStatistics(picture, 120 + 264 * c, top);
        EXPECT_GT(deviation, 10.0) << "row " << r << " panel " << c << " is blank (mean " << mean << ")";
      }
      // The grid is drawn over the input; the output is smoothed.
      EXPECT_GT(DifferingFraction(picture, 120, 120 + 264, top), 0.02) << "row " << r;
      EXPECT_GT(DifferingFraction(picture, 120, 120 + 3 * 264, top), 0.2) << "row " << r;
    }
  }
}
} // namespace
