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
#include "PatchwiseFilterProgram.h"

#include "itkDiscreteGaussianImageFilter.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkNiftiImageIOFactory.h"
#include "itkImageRegionConstIterator.h"
#include "itkMedianImageFilter.h"
#include "itkMetaImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"
#include "itkPNGImageIOFactory.h"
#include "itkRGBPixel.h"
#include "itkVectorImage.h"
#include "itkVectorIndexSelectionCastImageFilter.h"
#include "itkVTKImageIOFactory.h"

#include <expat.h>
#include "gtest/gtest.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <sys/wait.h>
#include <thread>

namespace
{
namespace fs = std::filesystem;
using namespace PatchStreamingTest;
using namespace PatchwiseFilterTest;
using ImageType = itk::Image<float, 3>;
using Image2DType = itk::Image<float, 2>;
using VectorImageType = itk::VectorImage<float, 3>;

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

/** The value case `c` gives `flag`, in lower case (choices are accepted in any
 * case, "Mirror", "MEDIAN:1"), or `otherwise` when it does not give it. */
std::string
Given(const LibraryCase & c, const std::string & flag, const std::string & otherwise)
{
  const auto  found = std::find(c.arguments.begin(), c.arguments.end(), flag);
  std::string value = found == c.arguments.end() ? otherwise : *(found + 1);
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return value;
}

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
  merger->SetMinimumWeightOnWindow(Given(c, "--gaussian-floor", "axis") == "window");
  merger->Update();
  return merger->GetOutput();
}

using Border = itk::PatchStreamingEnums::BorderMode;
using Padding = itk::PatchStreamingEnums::Padding;
using Weighting = itk::PatchStreamingEnums::Weighting;

const std::vector<LibraryCase> &
EndToEndCases()
{
  static const std::vector<LibraryCase> cases{
    { { "--patch-size",
        "16,12,10",
        "--overlap",
        "6,4,3",
        "--border-mode",
        "edge",
        "--process",
        "gaussian:1.7",
        "--weighting",
        "gaussian",
        "--stream-divisions",
        "3" },
      { { 16, 12, 10 } },
      { { 6, 4, 3 } },
      Border::Edge,
      Padding::Constant,
      0.0,
      Weighting::Gaussian,
      1.7,
      0 },
    { { "--patch-size",
        "11",
        "--overlap-fraction",
        "0.3",
        "--border-mode",
        "pad",
        "--padding",
        "Mirror",
        "--process",
        "MEDIAN:1",
        "--weighting",
        "Hann",
        "--stream-divisions",
        "5" },
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
    { { "--patch-size",
        "12",
        "--overlap",
        "5",
        "--border-mode",
        "pad",
        "--padding-value",
        "-3.5",
        "--process",
        "gaussian:0.9",
        "--weighting",
        "average",
        "--stream-divisions",
        "4",
        "--threads",
        "1" },
      { { 12, 12, 12 } },
      { { 5, 5, 5 } },
      Border::Pad,
      Padding::Constant,
      -3.5,
      Weighting::Average,
      0.9,
      0 },
    // MONAI's floor, on the whole window (its importance map), in any case.
    { { "--patch-size",
        "13,11,9",
        "--overlap",
        "6,5,4",
        "--border-mode",
        "edge",
        "--gaussian-floor",
        "WINDOW",
        "--stream-divisions",
        "2" },
      { { 13, 11, 9 } },
      { { 6, 5, 4 } },
      Border::Edge,
      Padding::Constant,
      0.0,
      Weighting::Gaussian,
      0.0,
      0 },
  };
  return cases;
}

/** Whether a patch of case `c` reads outside an image of `size`, in closed
 * form: an axis shorter than the patch, a grid extended by half the overlap,
 * or a pad or adaptive grid whose last patch does not end at the image's end. */
bool
ReadsOutside(const LibraryCase & c, const itk::Size<3> & size)
{
  if (std::find(c.arguments.begin(), c.arguments.end(), "--pad-overlap") != c.arguments.end())
  {
    return true;
  }
  for (unsigned int i = 0; i < 3; ++i)
  {
    const auto stride = c.patchSize[i] - c.overlap[i];
    const bool extended = c.borderMode == Border::Pad || c.borderMode == Border::Adaptive;
    if (c.patchSize[i] > size[i] || (extended && (size[i] - c.patchSize[i]) % stride != 0))
    {
      return true;
    }
  }
  return false;
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
    // --padding auto (the default), with --process: zerofluxneumann, or constant for a value other than 0.
    const bool        valueChosen = std::stod(Given(c, "--padding-value", "0")) != 0.0;
    const std::string padding = Given(c, "--padding", valueChosen ? "constant" : "zerofluxneumann");
    const std::string summary =
      Given(c, "--border-mode", "squeeze") + " border, " +
      (ReadsOutside(c, image->GetLargestPossibleRegion().GetSize())
         ? padding + (padding == "constant" ? " " + Given(c, "--padding-value", "0") : "") + " padding; "
         : "no padding read; ");
    EXPECT_NE(run.out.find(summary), std::string::npos) << run.out;
    const bool windowFloor = Given(c, "--gaussian-floor", "axis") == "window";
    EXPECT_EQ(run.out.find("gaussian weighting (minimum weight on the window)") != std::string::npos, windowFloor)
      << run.out;

    const auto expected = LibraryResult<3>(image.GetPointer(), c);
    const auto actual = PatchStreamingTest::ReadImage<ImageType>(Path("output.nrrd"));
    ExpectSameGeometry<ImageType>(expected, actual);
    EXPECT_EQ((DescribeDifferences<ImageType, ImageType>(expected, actual, expected->GetLargestPossibleRegion())), "")
      << c.arguments[1] << " " << c.arguments[5];
    if (windowFloor)
    {
      // The option is passed on: the per-axis floor gives other numbers (itkPatchMergerImportanceMapGTest
      // compares the window's to MONAI's importance map).
      auto axisFloor = c;
      axisFloor.arguments.clear();
      const auto perAxis = LibraryResult<3>(image.GetPointer(), axisFloor);
      EXPECT_NE((DescribeDifferences<ImageType, ImageType>(perAxis, actual, expected->GetLargestPossibleRegion())), "");
    }
  }
}

/** A filter on an axis shorter than the patch reads the edge voxels past the
 * image's far end by default (--padding auto), as ITK's filters do at a border:
 * one patch over the whole image then gives ITK's filter on the whole image.
 * With zeros read there (the former default, constant) the last slices were
 * darkened: the far end differed from the start. */
TEST_F(PatchwiseFilterProgram, AFilterOnAShortAxisReadsTheEdgeVoxelsPastTheImageByDefault)
{
  Write(MakeRandomImage<ImageType>({ { 21, 17, 9 } }, 11).GetPointer(), Path("input.nrrd"));
  const auto image = PatchStreamingTest::ReadImage<ImageType>(Path("input.nrrd"));
  // 12 mm: ITK's kernel reaches past the patch on every axis (its radius is hundreds of voxels at 17 voxels along x),
  // which a patch spanning the image allows: it reads past the patch only what lies past the image.
  for (const double sigma : { 1.6, 12.0 })
  {
    auto smoothing = itk::DiscreteGaussianImageFilter<ImageType, ImageType>::New();
    smoothing->SetInput(image);
    smoothing->SetVariance(sigma * sigma);
    smoothing->SetUseImageSpacing(true);
    smoothing->SetMaximumKernelWidth(std::numeric_limits<int>::max());
    smoothing->Update();
    const auto expected = smoothing->GetOutput();
    for (const std::vector<std::string> & padding :
         { std::vector<std::string>{}, std::vector<std::string>{ "--padding", "zerofluxneumann" } })
    {
      SCOPED_TRACE("sigma " + std::to_string(sigma) + (padding.empty() ? "" : ", zerofluxneumann"));
      std::vector<std::string> arguments{ Path("input.nrrd"), Path("output.nrrd"),
                                          "--patch-size",     "24,20,16",
                                          "--process",        "gaussian:" + std::string(sigma == 12.0 ? "12" : "1.6"),
                                          "--weighting",      "average" };
      arguments.insert(arguments.end(), padding.begin(), padding.end());
      const auto run = Run(arguments);
      ASSERT_EQ(run.status, 0) << run.err;
      EXPECT_NE(run.out.find("squeeze border, zerofluxneumann padding;"), std::string::npos) << run.out;
      const auto actual = PatchStreamingTest::ReadImage<ImageType>(Path("output.nrrd"));
      ExpectSameGeometry<ImageType>(expected, actual);
      itk::ImageRegionConstIterator<ImageType> e(expected, expected->GetLargestPossibleRegion());
      itk::ImageRegionConstIterator<ImageType> a(actual, actual->GetLargestPossibleRegion());
      for (; !e.IsAtEnd(); ++e, ++a)
      {
        ASSERT_NEAR(a.Get(), e.Get(), 1e-4) << "at " << e.GetIndex();
      }
    }
  }
  // A filter given a padding value reads it (a network reads zeros, MONAI's padding); 0, which 3D
  // Slicer passes as the default, leaves auto as it is.
  for (const std::string value : { "-2", "0" })
  {
    const auto run = Run({ Path("input.nrrd"),
                           Path("output.nrrd"),
                           "--patch-size",
                           "24,20,16",
                           "--process",
                           "gaussian:1.6",
                           "--padding_value",
                           value });
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_NE(run.out.find(value == "0" ? "squeeze border, zerofluxneumann padding;" : "constant -2 padding;"),
              std::string::npos)
      << run.out;
  }
}

TEST_F(PatchwiseFilterProgram, MultiComponentImagesAreProcessedComponentByComponent)
{
  Write(MakeRandomImage<VectorImageType>({ { 21, 17, 13 } }, 11, 2).GetPointer(), Path("input.mha"));
  const auto               image = PatchStreamingTest::ReadImage<VectorImageType>(Path("input.mha"));
  const LibraryCase &      c = EndToEndCases()[0];
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
    EXPECT_EQ(
      (DescribeDifferences<ImageType, ImageType>(expected, output->GetOutput(), expected->GetLargestPossibleRegion())),
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
  LibraryCase c{
    {}, { { 16, 10, 1 } }, { { 8, 3, 0 } }, Border::Squeeze, Padding::Constant, 0.0, Weighting::Gaussian, 0.0, 2
  };
  const auto expected = LibraryResult<2>(image.GetPointer(), c);
  const auto actual = PatchStreamingTest::ReadImage<Image2DType>(Path("output.nrrd"));
  ExpectSameGeometry<Image2DType>(expected, actual);
  EXPECT_EQ((DescribeDifferences<Image2DType, Image2DType>(expected, actual, expected->GetLargestPossibleRegion())),
            "");
  EXPECT_TRUE(fs::exists(Path("preview.png")));
}

/** The overlap is floor(fraction * patch size) of the decimal or fraction
 * typed, as documented: the double product of 0.58 and 50 truncated to 28;
 * 1/3 of 96 is 32, which no decimal of 1/3 gives. */
TEST_F(PatchwiseFilterProgram, OverlapFractionFollowsTheDecimalRule)
{
  Write(MakeRandomImage<ImageType>({ { 19, 15, 11 } }, 3).GetPointer(), Path("input.nrrd"));
  const std::pair<const char *, const char *> cases[] = {
    { "50", "0.58" }, { "100", "0.29" }, { "90", "0.7" }, { "96", "1/3" }, { "97", "2/3" }
  };
  const char * expected[] = {
    "overlap 29x29x29", "overlap 29x29x29", "overlap 63x63x63", "overlap 32x32x32", "overlap 64x64x64"
  };
  for (std::size_t c = 0; c < 5; ++c)
  {
    const auto run = Run({ Path("input.nrrd"),
                           Path("output.nrrd"),
                           "--patch-size",
                           cases[c].first,
                           "--overlap-fraction",
                           cases[c].second,
                           "--weighting",
                           "crop" });
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_NE(run.out.find(expected[c]), std::string::npos) << cases[c].second << ": " << run.out;
  }
}

/** One bad argument each: a non-zero exit, one line on stderr naming the
 * problem, and no output file (nor anything else) left behind. */
TEST_F(PatchwiseFilterProgram, BadArgumentsExitNonZeroWithOneLineAndLeaveNoFile)
{
  Write(MakeRandomImage<ImageType>({ { 19, 15, 11 } }, 3).GetPointer(), Path("input.nrrd"));
  std::ofstream(Path("notanimage.nrrd")) << "not an image\n";
  Write(MakeRandomImage<itk::Image<float, 2>>({ { 19, 15 } }, 3).GetPointer(), Path("input2d.nrrd"));
  Write(MakeRandomImage<itk::Image<float, 2>>({ { 19, 15 } }, 4).GetPointer(), Path("two.mhd")); // + two.raw
  Write(MakeRandomImage<itk::Image<float, 4>>({ { 3, 4, 5, 2 } }, 5).GetPointer(), Path("input4d.nrrd"));
  Write(MakeRandomImage<itk::Image<float, 4>>({ { 3, 4, 5, 1 } }, 5).GetPointer(), Path("input4dof1.nrrd"));
  itk::NiftiImageIOFactory::RegisterOneFactory();
  Write(MakeRandomImage<ImageType>({ { 5, 4, 3 } }, 6).GetPointer(), Path("pairz.hdr.gz")); // + pairz.img.gz
  // A NRRD whose data is cut short: 10 of its 1000 floats.
  std::ofstream(Path("short.nrrd")) << "NRRD0004\ntype: float\ndimension: 2\nsizes: 40 25\nencoding: raw\n"
                                       "endian: little\n\n"
                                    << std::string(40, '\0');
  std::ofstream(Path("nodata.nhdr")) << "NRRD0004\ntype: float\ndimension: 2\nsizes: 4 5\nencoding: raw\n"
                                        "endian: little\ndata file: missing.raw\n\n";
  // Headers whose voxels are in other files: a MetaImage .mha naming one, a LIST, a NRRD %d pattern.
  const std::string metaHeader = "ObjectType = Image\nNDims = 2\nDimSize = 19 15\nElementType = MET_FLOAT\n";
  std::ofstream(Path("external.mha")) << metaHeader << "ElementDataFile = two.raw\n";
  std::ofstream(Path("list.mhd")) << metaHeader << "ElementDataFile = LIST\nfirst.raw\ntwo.raw\n";
  std::ofstream(Path("pattern.nrrd")) << "NRRD0004\ntype: float\ndimension: 2\nsizes: 19 15\nencoding: raw\n"
                                         "data file: slice%03d.raw 1 3 1\n\n";
  std::ofstream(Path("descending.nrrd")) << "NRRD0004\ntype: float\ndimension: 2\nsizes: 19 15\nencoding: raw\n"
                                            "data file: part%d.raw 12 8 -2\n\n";
  const std::string                                                   input = Path("input.nrrd");
  const std::string                                                   output = Path("output.nrrd");
  const std::string                                                   minus = "\xE2\x88\x92"; // U+2212
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
    { { input, output, "--no-such-flag" }, "--no-such-flag: no such option (see --help)" },
    { { input, output, "-p", "32" }, "-p: no such option: options are written with two dashes (see --help)" },
    { { input, output, "-patch-size", "32" },
      "-patch-size: no such option: options are written with two dashes (did you mean --patch-size?)" },
    { { input, output, "-x" }, "-x: no such option: options are written with two dashes (see --help)" },
    { { input, output, "--Patch_Size", "32" }, "--Patch_Size: no such option (did you mean --patch-size?)" },
    { { Path("external.mha"), Path("two.nhdr") },
      "output: \"" + Path("two.nhdr") + "\" would overwrite the input's data file \"" + Path("two.raw") + "\"" },
    { { Path("list.mhd"), Path("two.mhd") },
      "output: \"" + Path("two.mhd") + "\" would overwrite the input's data file \"" + Path("two.raw") + "\"" },
    { { Path("pattern.nrrd"), Path("slice002.nhdr") },
      "output: \"" + Path("slice002.nhdr") + "\" would write \"" + Path("slice002.raw") +
        "\", which the input's header would then read as its data file" }, // missing: the header names it
    { { Path("pairz.hdr.gz"), Path("pairz.img.gz") },
      "output: \"" + Path("pairz.img.gz") + "\" would overwrite \"" + Path("pairz.img.gz") +
        "\", the other file of the input's Analyze/NIfTI pair" },
    // The NIfTI library reads pairz.img before pairz.img.gz: written, it would become the input's data.
    { { Path("pairz.hdr.gz"), Path("pairz.img") },
      "output: \"" + Path("pairz.img") + "\" would write \"" + Path("pairz.img") +
        "\", which the input would then read as the other file of its Analyze/NIfTI pair" },
    // A header is the other file of an image file's pair.
    { { Path("pairz.img.gz"), Path("pairz.hdr.gz") },
      "would overwrite \"" + Path("pairz.hdr.gz") + "\", the other file of the input's Analyze/NIfTI pair" },
    { { Path("descending.nrrd"), Path("part10.nhdr") },
      "output: \"" + Path("part10.nhdr") + "\" would write \"" + Path("part10.raw") +
        "\", which the input's header would then read as its data file" },
    { { "", output }, "input: no file name given" },
    { { input, output, "--patch-size" }, "--patch-size: no value given: expected UINT:VOXELS after it" },
    { { input, output, "--mirror-axes", "0", "2" },
      "--mirror-axes: \"0 2\": a list is one argument, comma-separated (--mirror-axes 0,2)" },
    { { input, output, "--patch-size", "9", "8", "7" },
      "--patch-size: \"9 8 7\": a list is one argument, comma-separated (--patch-size 9,8,7)" },
    { { input, output, "--patch-size", "9,", "8,", "7" },
      "--patch-size: \"9, 8, 7\": a list is one argument, comma-separated (--patch-size 9,8,7)" },
    { { input, output, "--overlap", "2", ",1,1" },
      "--overlap: \"2 ,1,1\": a list is one argument, comma-separated (--overlap 2,1,1)" },
    { { input, output, "--patch_sise", "9" }, "--patch_sise: no such option (did you mean --patch-size?)" },
    { { input, output, "--stream-division", "2" },
      "--stream-division: no such option (did you mean --stream-divisions?)" },
    { { input, output, "--patch-size", "9, 8,\t7" },
      "--patch-size: \"9, 8,\t7\" has spaces: a list is one argument, its values separated by commas alone "
      "(--patch-size 9,8,7)" },
    { { input, output, "--overlap", "2 1 1" },
      "--overlap: \"2 1 1\" has spaces: a list is one argument, its values separated by commas alone "
      "(--overlap 2,1,1)" },
    { { input, output, "--weighting=" },
      "--weighting: no value given: expected TEXT:{average,gaussian,hann,crop} after it" },
    { { input, output, "--border-mode", "--pad-overlap" },
      "--border-mode: no value given: expected TEXT:{squeeze,edge,adaptive,crop,pad} after it" },
    { { input, output, "--overlap-fraction", "-0.25" },
      "--overlap-fraction: overlap fraction \"-0.25\" is not a non-negative decimal number or fraction such as 0.25 or "
      "1/3" },
    { { input, output, "--patch-size", "8", "--overlap", "8" },
      "--overlap: 8 voxels is not less than the patch's 8 (--patch-size 8, --overlap 8): the stride, patch minus "
      "overlap, would be 0 or less" },
    { { input, output, "--patch-size", "8", "--overlap", "3,9,3" },
      "--overlap: 9 voxels along y is not less than the patch's 8 (--patch-size 8, --overlap 3,9,3)" },
    { { input, output, "--patch-size", "8,16,4", "--overlap", "5" },
      "--overlap: 5 voxels along z is not less than the patch's 4 (--patch-size 8,16,4, --overlap 5)" },
    { { input, output, "--process", "gaussian:-1" }, "gaussian sigma -1 must be positive" },
    { { input, output, "--process", "gaussian:abc" }, "gaussian sigma \"abc\" is not a number" },
    { { input, output, "--process", "gaussian:inf" }, "gaussian sigma \"inf\" is not a finite number" },
    { { input, output, "--process", "gaussian:NaN" }, "gaussian sigma \"NaN\" is not a finite number" },
    { { input, output, "--process", "median:0" }, "median radius 0" },
    // A radius is written as the other whole numbers: in plain digits, without a leading zero.
    { { input, output, "--process", "median:2.0" },
      "median radius 2.0 must be a whole number of voxels in 1..1000 (write it median:2)" },
    { { input, output, "--process", "median:1e1" }, "median radius 1e1 must be a whole" },
    { { input, output, "--process", "median:02" },
      "median radius 02 must be a whole number of voxels in 1..1000 (write" },
    { { input, output, "--process", "median:1.5" }, "median radius 1.5 must be a whole number of voxels in 1..1000\n" },
    { { input, output, "--process", "median:1001" }, "median radius 1001 must be" },
    { { input, output, "--process", "median:" }, "median radius: none given after the colon (median:1, in voxels)" },
    // The input is 19 x 15 x 11 voxels of spacing 0.7, 1.25, 1.8 mm.
    { { input, output, "--process", "median:8", "--patch-size", "8,9,9" },
      "--process: median radius 8 reaches past the whole patch, 8 voxels along x (--patch-size 8,9,9), where every "
      "voxel would see the patch's edge repeated instead of the image: give a patch larger than the radius, or of the "
      "image's size along x (19), or a smaller radius" },
    { { input, output, "--process", "median:8", "--patch-size", "9,9,8" }, "8 voxels along z (--patch-size 9,9,8)" },
    { { input, output, "--process", "median:1", "--patch-size", "1,15,15" },
      "1 voxel along x (--patch-size 1,15,15), where every voxel would see the patch's edge repeated instead of the "
      "image: give a patch larger than the radius, or of the image's size along x (19)" },
    // 3 mm is 4.29 voxels along x, whose kernel ITK gives a radius of 11 voxels.
    { { input, output, "--process", "gaussian:3", "--patch-size", "10,12,12" },
      "--process: gaussian sigma 3 mm (4.28571 voxels; the radius of ITK's kernel for it: 11 voxels) reaches past the "
      "whole patch, 10 voxels along x (--patch-size 10,12,12)" },
    { { input, output, "--process", "gaussian:30", "--patch-size", "64" },
      "--process: gaussian sigma 30 mm along x (spacing 0.7 mm): it is 42.8571 voxels, and ITK's "
      "DiscreteGaussianImageFilter cannot make a kernel past about 26.6 voxels (its coefficients overflow, the output "
      "would be NaN): give a sigma below 18.62 mm, or smooth a coarser copy of the image" },
    { { input, output, "--process", "gaussian:1e200" },
      "--process: gaussian sigma 1e200 mm along x (spacing 0.7 mm): its variance in voxels, sigma^2 / spacing^2 in "
      "double as ITK's filter computes it, overflows" },
    { { input, output, "--process", "none" }, "(no processing is identity)" },
    { { input, output, "--process", "gaussian:0x1p1" }, "--process: gaussian sigma \"0x1p1\" is not a number" },
    { { input, output, "--process", "sharpen" }, "\"sharpen\" is not identity, gaussian:SIGMA_MM or median:RADIUS" },
    { { input, output, "--process", "Medain:2" },
      "\"Medain:2\" is not identity, gaussian:SIGMA_MM or median:RADIUS (did you mean median:2?)" },
    { { input, output, "--process", "median" }, "(median takes its radius after a colon: median:1)" },
    { { input, output, "--process", "gauss:1.5" }, "(did you mean gaussian:1.5?)" },
    { { input, output, "--process", "identity:1" }, "(identity takes nothing after it)" },
    { { input, output, "--sigma-scale", "-0.1" },
      "--sigma-scale: sigma scale -0.1 is not a finite number greater than 0 within float's range" },
    { { input, output, "--sigma-scale", "abc" }, "--sigma-scale: sigma scale abc is not a finite number greater" },
    { { input, output, "--sigma-scale", "inf" }, "--sigma-scale: sigma scale inf is not a finite number greater" },
    { { input, output, "--padding-value", "abc" }, "--padding-value: padding value abc is not a finite number" },
    { { input, output, "--padding-value", "1e39" },
      "--padding-value: padding value 1e39 is not a finite number within float's range" },
    { { input, output, "--minimum-weight", "2" }, "--minimum-weight" },
    { { input, output, "--overlap-fraction", "1" }, "overlap fraction 1 is not in [0, 1)" },
    { { input, output, "--overlap-fraction", "abc" },
      "overlap fraction \"abc\" is not a non-negative decimal number or fraction such as 0.25 or 1/3" },
    { { input, output, "--overlap-fraction", "1e999" },
      "overlap fraction 1e999 is not in [0, 1) (a fraction of the patch: 0.5 or 1/2 overlaps half of it, 0 none)" },
    { { input, output, "--overlap-fraction", "1e39" }, "overlap fraction 1e39 is not in [0, 1) (a fraction" },
    { { input, output, "--overlap-fraction", "01" }, "overlap fraction 01 is not in [0, 1)" },
    { { input, output, "--overlap-fraction", "-0.1" }, "overlap fraction \"-0.1\" is not a non-negative decimal" },
    { { input, output, "--weighting", "median" }, "--weighting: \"median\" not in {average,gaussian,hann,crop}" },
    { { input, output, "--weighting", "Gausian" },
      "--weighting: \"Gausian\" not in {average,gaussian,hann,crop} (did you mean gaussian?)" },
    { { input, output, "--padding", "mirrored" },
      "--padding: \"mirrored\" not in {auto,constant,zerofluxneumann,mirror,periodic} (did you mean mirror?)" },
    { { input, output, "--padding", "Reflect" },
      "--padding: \"Reflect\" not in {auto,constant,zerofluxneumann,mirror,periodic} (PyTorch's reflect (the edge "
      "voxel "
      "not repeated) has no ITK boundary condition; mirror repeats it)" },
    { { input, output, "--padding", "replicate" },
      "(PyTorch's replicate is zerofluxneumann, the edge voxel repeated)" },
    { { input, output, "--weighting", "constant" }, "(MONAI's constant mode is average)" },
    { { input, output, "--border-mode", "mirror" }, "(what a patch reads outside the image is --padding; " },
    { { input, output, "--weighting", "gaussian " }, "--weighting: \"gaussian \" not in" },
    { { input, output, "--pad-overlap", "true" },
      "--pad-overlap: \"true\" after it: a flag takes no value (give --pad-overlap alone for on, leave it out "
      "for off)" },
    { { input, output, "--patch-size", "(9, 8, 7)" },
      "--patch-size: \"(9, 8, 7)\": a list is given without brackets, in ITK's (x, y, z) order (--patch-size 9,8,7; "
      "reversed from a (D, H, W) tuple: 7,8,9)" },
    { { input, output, "--patch-size", "9 x 8 x 7" },
      "--patch-size: \"9 x 8 x 7\" has spaces: a list is one argument, its values separated by commas alone "
      "(--patch-size 9,8,7)" },
    { { input, output, "--process", "median=2" }, "(did you mean median:2?)" },
    { { input, output, "--process", "mean:1" }, "\"mean:1\" is not identity, gaussian:SIGMA_MM or median:RADIUS\n" },
    { { input, output, "--border-mode", "wrap" },
      "--border-mode: \"wrap\" not in {squeeze,edge,adaptive,crop,pad} (what a patch reads outside the image is "
      "--padding; " },
    { { input, output, "--pad-overlap=false" }, "--pad-overlap: \"false\" after it: a flag takes no value" },
    { { input, output, "--pad-overlap=" }, "--pad-overlap: \"\" after it: a flag takes no value" },
    { { input, output, "--pad-overlap", "1" }, "--pad-overlap: \"1\" after it: a flag takes no value" },
    { { input, output, "--sigma", "1" },
      "--sigma: no such option (a smoothing sigma is --process gaussian:SIGMA_MM; the Gaussian weighting's width is "
      "--sigma-scale)" },
    { { input, output, "--overlap=[2,1]" }, "--overlap: \"[2,1]\": a list is given without brackets, in ITK's" },
    { { input, output, "--patch-size", "0x40" },
      "--patch-size: patch size 0x40 is not a whole number of voxels from 1 to 999999999 (write it 64)" },
    { { input, output, "--patch-size", "16.0,16,16" },
      "--patch-size: patch size 16.0 is not a whole number of voxels from 1 to 999999999 (write it 16)" },
    { { input, output, "--stream", "2" }, "--stream: no such option (did you mean --stream-divisions?)" },
    { { input, output, "--patch-size", "9x8x7" },
      "--patch-size: \"9x8x7\": a list's values are separated by commas (--patch-size 9,8,7)" },
    { { input, output, "--overlap=2;1" },
      "--overlap: \"2;1\": a list's values are separated by commas (--overlap 2,1)" },
    { { input, output, "--roi-size", "9" },
      "--roi-size: no such option (MONAI's roi_size is --patch-size, in ITK's (x, y, z) order: the reverse of "
      "roi_size's (D, H, W))" },
    { { input, output, "--sw_batch_size", "2" },
      "--sw_batch_size: no such option (MONAI's sw_batch_size is --batch-size)" },
    { { input, output, "--patch-overlap", "2" },
      "--patch-overlap: no such option (TorchIO's patch_overlap is --overlap, in voxels)" },
    { { input, output, "--argmax" },
      "--argmax: no such option (a label map is --output-type labels, or --label-map FILE)" },
    { { "--input", input, output },
      "--input: no such option (the input and output are given without a flag: PatchwiseFilter [OPTIONS] input "
      "output)" },
    { { input, output, "--patch-size", "8,8" }, "--patch-size has 2 values; the image is 3-D: give 1 or 3\n" },
    // A decimal comma (stop 59: no hint).
    { { input, output, "--overlap", "0,5" },
      "--overlap has 2 values; the image is 3-D: give 1 or 3 (for 0.5 of the patch, drop --overlap and give "
      "--overlap-fraction 0.5)\n" },
    { { input, output, "--overlap", "3,5" }, "--overlap has 2 values; the image is 3-D: give 1 or 3\n" },
    { { input, output, "--patch-size", "8,0,8" },
      "--patch-size: patch size 0 is not a whole number of voxels from 1 to 999999999" },
    { { input, output, "--patch-size", "-3" }, "patch size -3 is not a whole number of voxels from 1" },
    { { input, output, "--patch-size", "064" }, "--patch-size: patch size 064 has a leading zero: write it 64" },
    { { input, output, "--overlap", "2,08,2" }, "--overlap: overlap 08 has a leading zero: write it 8" },
    { { input, output, "--stream-divisions", "00" }, "stream divisions 00 has a leading zero: write it 0" },
    { { input, output, "--preview-slice", "-07" }, "preview slice -07 has a leading zero: write it -7" },
    { { input, output, "--patch-size", "eight" }, "patch size eight is not a whole number of voxels" },
    { { input, output, "--patch-size", "99999999999" }, "patch size 99999999999 is not a whole number" },
    { { input, output, "--overlap", "0.5" },
      "overlap 0.5 is not a whole number of voxels from 0 to 999999999 (a fraction of the patch is "
      "--overlap-fraction)" },
    // A whole number out of range is no fraction: the hint for "0.5" was noise for it (helper-99).
    { { input, output, "--overlap", "-1" },
      "--overlap: overlap -1 is not a whole number of voxels from 0 to 999999999\n" },
    { { input, input }, "output: \"" + input + "\" is the input file: write to another file" },
    { { Path("input4d.nrrd"), output },
      "input \"" + Path("input4d.nrrd") +
        "\" is a 4-D image; PatchwiseFilter reads 2-D and 3-D images (3x4x5x2 "
        "voxels: a series or channels on the axes past the third are not read; store channels as the voxels' "
        "components, a vector image)" },
    { { Path("input4dof1.nrrd"), output },
      "is a 4-D image; PatchwiseFilter reads 2-D and 3-D images (3x4x5x1 voxels: its axes past the third are one "
      "voxel long; save it as a 3-D image)" },
    { { Path("short.nrrd"), output }, "input \"" + Path("short.nrrd") + "\" cannot be read: NrrdImageIO: Read" },
    { { Path("two.mhd"), Path("two.nhdr") },
      "output: \"" + Path("two.nhdr") + "\" would overwrite the input's data file \"" + Path("two.raw") + "\"" },
    { { Path("input2d.nrrd"), Path("float.png") },
      "output \"" + Path("float.png") + "\": PNGImageIO cannot hold float pixels" },
    { { Path("input2d.nrrd"), Path("out.jpg") },
      "output \"" + Path("out.jpg") +
        "\": JPEGImageIO compresses with loss: the values, labels too, would not read "
        "back as computed" },
    { { Path("nodata.nhdr"), output }, "input \"" + Path("nodata.nhdr") + "\"" },
    { { input, Path("./input.nrrd") }, "is the input file" },
    { { input, Path("picture.png"), "--preview", Path("picture.png") },
      "--preview: \"" + Path("picture.png") + "\" is the output file" },
    { { input, output, "--minimum-weight", "1.5" },
      "--minimum-weight: minimum weight 1.5 is not a number from 0 to 1" },
    { { input, output, "--minimum-weight", "nan" }, "minimum weight nan is not a number from 0 to 1" },
    { { input, output, "--patch-size", "8,8,1", "--sigma-scale", "0.01", "--minimum-weight", "1e-16" },
      "the smallest window weight, a product over 3 axes, is 1e-32, below 9.86076e-32, the smallest weight whose "
      "weighted values keep the precision of the stack's float (min / epsilon); raise --minimum-weight to at least "
      "3.15e-16, or --sigma-scale" },
    { { input, output, "--sigma-scale", "0.01", "--minimum-weight", "0" },
      "Weighting Gaussian (--sigma-scale 0.01, --minimum-weight 0): the windows along axis 0 sum to 0 at voxel 0, "
      "which a patch covers; every covered voxel needs a positive weight (raise --minimum-weight above 0, or "
      "--sigma-scale)" },
    // On the window every weight is at least --minimum-weight (helper-98: 1e-20 was refused by the per-axis rule).
    { { input, output, "--sigma-scale", "0.01", "--minimum-weight", "1e-40", "--gaussian-floor", "window" },
      "(--sigma-scale 0.01, --minimum-weight 1e-40): the smallest window weight, with --gaussian-floor window, is "
      "1e-40, below 9.86076e-32, the smallest weight whose weighted values keep the precision of the stack's float "
      "(min / epsilon); raise --minimum-weight to at least 9.87e-32, or --sigma-scale\n" },
    { { input, output, "--minimum-weight", "1e-400" },
      "--minimum-weight: minimum weight 1e-400 is closer to 0 than a double holds (it would be 0); expected a number "
      "from 0 to 1" },
    { { input, output, "--padding-value", "-1e999" },
      "--padding-value: padding value -1e999 is beyond a double's range; expected a finite number" },
    { { input, output, "--patch-size", "" }, "--patch-size: patch size \"\" is not a whole number" },
    { { input, output, "--patch-size", "8," }, "--patch-size: \"8,\" has an empty field" },
    { { input, output, "--patch_size=,8" }, "--patch_size: \",8\" has an empty field" },
    { { input, output, "--overlap", "2,,2" }, "--overlap: \"2,,2\" has an empty field" },
    { { input, output, "--patch-size", "3000" },
      "--patch-size: one patch of 3000x3000x3000 voxels (1 component) is 100.6 GiB as float, more than this "
      "machine's" },
    { { input, output, "--stream-divisions", "0" },
      "--stream-divisions: stream divisions 0 is not a whole number from 1 to 999999999" },
    { { input, output, "--pad-overlap" },
      "--pad-overlap: it extends the grid past the image's ends, which only --border-mode pad does (the border mode "
      "is squeeze): give --border-mode pad, or leave --pad-overlap out" },
    { { input, output, "--pad-overlap", "--border-mode", "Edge" }, "(the border mode is edge)" },
    { { input, output, "--patch-size", "+16" },
      "--patch-size: patch size +16 is not a whole number of voxels from 1 "
      "to 999999999 (write it 16)" },
    { { input, output, "--patch-size", "1e1" }, "(write it 10)" },
    { { input, output, "--patch-size", "0" }, "patch size 0 is not a whole number of voxels from 1 to 999999999\n" },
    { { input, output, "--threads", "2000" }, "threads 2000 is not a whole number from 0 to 1024\n" },
    { { input, output, "--overlap-fraction", "50%" },
      "--overlap-fraction: overlap fraction \"50%\" is not a non-negative decimal number or fraction such as 0.25 or "
      "1/3 (write it 0.5, a fraction)" },
    { { input, output, "--overlap-fraction", "0,25" }, "(write it 0.25, with a decimal point)" },
    // helper-99: fractions per axis, which only --overlap takes (in voxels).
    { { input, output, "--overlap-fraction", "0.5,0.5,1/4" },
      "overlap fraction \"0.5,0.5,1/4\" is not a non-negative decimal number or fraction such as 0.25 or 1/3 (one "
      "fraction, for every axis; per axis, give --overlap in voxels: --overlap 32,32,8 overlaps a 64x64x32 patch by "
      "0.5,0.5,0.25)" },
    { { input, output, "--overlap-fraction", "0.5,2" }, "or fraction such as 0.25 or 1/3\n" },
    { { input, output, "--padding-value", "-1,5" },
      "--padding-value: padding value -1,5 is not a finite number within float's range (write it -1.5, with a "
      "decimal point)" },
    { { input, output, "--padding", "nearest" }, "(the edge voxel repeated is zerofluxneumann)" },
    { { input, output, "--weighting", "hamming" }, "(the Hamming window is not offered; the Hann window is hann)" },
    { { input, output, "--stride", "32" },
      "--stride: no such option (the stride is the patch minus the overlap: give --overlap in voxels or "
      "--overlap-fraction)" },
    { { input, output, "--labels" }, "--labels: no such option (a label map is --output-type labels" },
    { { input, output, "--number-of-stream-divisions", "4" }, "(ITK's NumberOfStreamDivisions is --stream-divisions)" },
    { { input, output, "extra.nrrd" },
      "\"extra.nrrd\": not expected: PatchwiseFilter takes two file names, the input and the output" },
    { { input, output, "\xE2\x80\x94patch-size", "8" },
      "\xE2\x80\x94patch-size: begins with an em dash, not two hyphens (pasted from a document?): write "
      "--patch-size" },
    { {}, "input: no input image given: PatchwiseFilter [OPTIONS] input output (see --help)" },
    { { input, output, "\xE2\x88\x92\xE2\x88\x92patch-size", "8" }, "write --patch-size" },
    { { input, output, "--patch\xE2\x80\x91size", "8" },
      "--patch\xE2\x80\x91size: has a non-breaking hyphen (pasted from a document?): write --patch-size" },
    { { input, output, "--weighting", "\xE2\x80\x9Cgaussian\xE2\x80\x9D" }, "write gaussian" },
    { { input, output, "--padding-value", minus + "1" },
      "--padding-value: \"" + minus + "1\" has a minus sign (pasted from a document?): write -1" },
    { { input, output, "--preview-axis=" + minus + "1" }, "--preview-axis: \"" + minus + "1\" has a minus sign" },
    { { input, output, "--patch-size", "\xEF\xBC\x96\xEF\xBC\x94" },
      "--patch-size: \"\xEF\xBC\x96\xEF\xBC\x94\" has full-width characters (pasted from a document?): write 64" },
    { { input,
        output,
        "--overlap-fraction",
        "1\xC3\xB7"
        "3" },
      "--overlap-fraction: \"1\xC3\xB7"
      "3\" has a division sign (pasted from a document?): write 1/3" },
    { { input, output, "--overlap-fraction", "0.5\xE2\x80\x8B" },
      "\"0.5\xE2\x80\x8B\" has a zero-width space (pasted from a document?): write 0.5" },
    { { input, Path("\xEF\xBD\x8F\xEF\xBD\x95\xEF\xBD\x94\xE2\x80\x8B.nrrd"), "--overlap-fraction", "1" },
      "overlap fraction 1 is not in [0, 1)" }, // a file name may hold full-width characters
    { { input, output, "--patch-size", "\xEF\xBC\x96\xEF\xBC\x94\xEF\xBC\x8C\xEF\xBC\x96\xEF\xBC\x94" },
      "has full-width characters (pasted from a document?): write 64,64" }, // each item validated
    { { input, output, "--preview", Path("\xEF\xBD\x90\xEF\xBC\x91\xC3\xB7.png"), "--overlap-fraction", "1" },
      "overlap fraction 1 is not in [0, 1)" }, // so may the preview's
    { { input, output, "--overlap-fraction", "\xE2\x80\x8B" },
      "--overlap-fraction: \"\xE2\x80\x8B\" is only a zero-width space (pasted from a document?): give a value" },
    { { input, output, "--overlap-fraction", minus + "0.5" },
      "--overlap-fraction: \"" + minus +
        "0.5\" has a minus sign (pasted from a document?), and -0.5 is refused too: overlap fraction \"-0.5\" is not a "
        "non-negative decimal number" },
    { { input, output, "--process", "\xE2\x80\x9Cgaussian:1.5\xE2\x80\x9D" },
      "--process: \"\xE2\x80\x9Cgaussian:1.5\xE2\x80\x9D\" has typographic quotes (pasted from a document?): write "
      "gaussian:1.5" },
    { { input, output, "\xE2\x80\x93\xE2\x80\x94patch-size", "8" },
      "begins with an en dash and an em dash, not two hyphens" },
    { { input, output, "--process", "gaussian:1,5" },
      "--process: gaussian sigma \"1,5\" is not a number (write it 1.5, with a decimal point)" },
    { { input, output, "--process", "gaussian:50%" }, "gaussian sigma \"50%\" is not a number\n" },
    { { input, output, "--process", "gaussian: 1.5" },
      "--process: gaussian sigma \" 1.5\" has spaces: a number is written without them" },
    { { input, output, "--overlap", "50%" },
      "--overlap: overlap 50% is a percentage of the patch, and --overlap is in voxels: give --overlap-fraction 0.5" },
    { { input, output, "--overlap-fraction", "1" },
      "overlap fraction 1 is not in [0, 1) (a fraction of the patch: 0.5 or 1/2 overlaps half of it, 0 none)" },
    { { input, output, "a", "b" }, "\"a\", \"b\": not expected" },
    { { input, output, "--number-of-threads", "2" }, "(ITK's NumberOfThreads is --threads)" },
    { { input, output, "--tile_step_size", "0.5" }, "(nnU-Net's tile_step_size is 1 minus --overlap-fraction)" },
    { { input, output, "--radius", "1" }, "(a median's radius is --process median:RADIUS)" },
    { { input, output, "-i", input }, "-i: no such option (the input and output are given without a flag" },
    // A whole number may be voxels too, as Python's hint for overlap= says (stop 59: a percentage only).
    { { input, output, "--overlap-fraction", "50" },
      "overlap fraction 50 is not in [0, 1) (for 50 %, write 0.5; for 50 voxels of a patch larger than 50, "
      "--overlap 50)\n" },
    { { input, output, "--overlap-fraction", "5." },
      "overlap fraction 5. is not in [0, 1) (for 5 %, write 0.05; for 5 voxels of a patch larger than 5, "
      "--overlap 5)\n" },
    { { input, output, "--overlap-fraction", "12.5" },
      "overlap fraction 12.5 is not in [0, 1) (for 12.5 %, write 0.125)\n" },
    { { input, output, "--overlap-fraction", "128" },
      "overlap fraction 128 is not in [0, 1) (a fraction of the patch, not voxels: for 128 voxels of a patch larger "
      "than 128, write --overlap 128)\n" },
    { { input, output, "--overlap-fraction", "99.99999999999999" }, // helper-91: was "(for 100 %, write 1)"
      "(for 99.99999999999999 %, write 0.9999999999999999)" },
    { { input, output, "--overlap", "33.3%" },
      "give --overlap-fraction 0.333 (one fraction for every axis; per "
      "axis, --overlap takes voxels)\n" },
    // helper-92: a percentage of 100 or more was given a fraction that is refused in turn.
    { { input, output, "--overlap", "100%" },
      "--overlap: overlap 100% is a percentage of the patch, and --overlap is "
      "in voxels (an overlap is less than the patch: --overlap-fraction takes "
      "a fraction in [0, 1), 0.5 or 1/2 for half of it)\n" },
    { { input, output, "--overlap-fraction", "150%" }, "(an overlap is less than the patch: --overlap-fraction takes" },
    { { input, output, "--overlap-fraction", "-5%" }, "(an overlap is less than the patch: --overlap-fraction takes" },
    { { input, output, "--overlap-fraction", "1.5" }, // helper-90: no percentage below 2
      "overlap fraction 1.5 is not in [0, 1) (a fraction of the patch: 0.5 or 1/2 overlaps half of it, 0 none)" },
    { { input, output, "--overlap-fraction", "4/3" },
      "overlap fraction 4/3 is not in [0, 1) (a fraction of the patch: 0.5 or 1/2 overlaps half of it, 0 none)" },
    { { input, output, "--overlap-fraction", "1/0" }, "--overlap-fraction: overlap fraction \"1/0\" divides by zero" },
    { { input, output, "--overlap-fraction", "0.5/2" },
      "overlap fraction \"0.5/2\" is not a non-negative decimal number or fraction such as 0.25 or 1/3" },
    { { input, output, "--process", "gaussian:1.5mm" },
      "the sigma is in millimetres, written without the unit "
      "(gaussian:1.5)" },
    { { input, output, "--overlap-fraction", "0.5", "--overlap-fraction", "0.25" },
      "--overlap-fraction: given twice: give it once" },
    { { input, output, "--patch-size", "8", "--patch_size=9" },
      "--patch_size: given twice (also as --patch-size): give it once" },
    { { input, output, "--threads", "-1" }, "--threads: threads -1 is not a whole number from 0 to 1024" },
    { { input, output, "--preview-axis", "3" }, "--preview-axis: preview axis 3 is not a whole number from -1 to 2" },
    { { input, output, "--model", input, "--mirror-axes", "3" },
      "--mirror-axes: mirror axis 3 is not a whole number from 0 to 2 (an ITK axis: 0 is x, 1 is y, 2 is z)" },
    { { input, output, "--preview-slice", "-2" }, "preview slice -2 is not a whole number from -1 to 1073741824" },
    { { input, output, "--preview-axis", "1" },
      "--preview-axis: chooses the axis of the preview picture's slice: it needs --preview" },
    { { input, output, "--preview_slice", "2" },
      "--preview-slice: chooses the preview picture's slice: it needs --preview" },
    { { input, output, "--padding", "Mirror", "--padding-value", "0.5" },
      "--padding-value: the value a constant padding reads: it needs --padding constant (or auto), not mirror" },
    { { input, output, "--patch-size", "8,12,16" },
      "--patch-size: 8x12x16 voxels in ITK's (x, y, z) order does not fit the image of 19x15x11 voxels, but reversed "
      "(a tensor's (D, H, W) order) it would: if you meant that patch, give --patch-size 16,12,8" },
    { { input, output, "--preview", Path("p.png"), "--preview-slice", "1073741824" },
      "--preview-slice 1073741824 is outside axis 0 (0..18)" },
    { { input, output, "--preview", Path("preview.jpg") },
      "does not end in .png (the preview is a PNG picture: give " + Path("preview.png") + ")" },
    { { input, output, "--preview", Path("preview.png.jpg") },
      "(the preview is a PNG picture: give " + Path("preview.png") + ")" },
    { { input, output, "--preview", Path("preview.Nii.Gz") },
      "(the preview is a PNG picture: give " + Path("preview.png") + ")" },
    { { input, output, "--preview", Path("preview") },
      "(the preview is a PNG picture: give " + Path("preview.png") + ")" },
    { { input, output, "--preview", Path(".png") },
      "--preview: preview file \"" + Path(".png") + "\" has no file name before its ending: give one, such as " +
        Path("preview.png") },
    { { input, output, "--preview", Path(".PNG") }, "has no file name before its ending" },
    { { input, output, "--preview", Path("") }, "has no file name: give one, such as " + Path("preview.png") },
    { { input, output, "--preview", Path("..") }, "has no file name: give one, such as " + Path("../preview.png") },
    { { input, output, "--overlap-fraction", "01/3" },
      "--overlap-fraction: overlap fraction \"01/3\" has a leading zero: write it 1/3" },
    { { input, output, "--overlap-fraction", "\u2153" },
      "--overlap-fraction: overlap fraction \"\u2153\" has a fraction character (pasted from a document?): write 1/3" },
    { { input, output, "--preview", Path("preview.png"), "--preview-slice", "11" },
      "--preview-slice 11 is outside axis 2 (0..10)" },
    { { Path("missing.nrrd"), output }, "missing.nrrd" },
    { { Path("notanimage.nrrd"), output }, "notanimage.nrrd" },
    { { input }, "output (or --label-map FILE with --model) is required" },
    { { input, Path("no-such-directory/output.nrrd") },
      "output: \"" + Path("no-such-directory/output.nrrd") + "\": the directory \"" + Path("no-such-directory") +
        "\" does not exist: create it first, or write elsewhere" },
    { { input, Path("input.nrrd/output.nrrd") }, "the directory \"" + Path("input.nrrd") + "\" is not a directory" },
    // A directory that exists but holds no files said "No such file or directory" (helper-85).
    { { input, "/proc/output.nrrd" },
      "cannot write output \"/proc/output.nrrd\": no file can be made in the directory \"/proc\" (the system "
      "answers: No such file or directory)" },
    // A directory the tool may not write in was not named: "Permission denied" alone (helper-99).
    { { input, "/sys/output.nrrd" },
      "cannot write output \"/sys/output.nrrd\": no file can be made in the directory \"/sys\" (the system "
      "answers: " },
    { { input, m_Directory.string() }, "output: \"" + m_Directory.string() + "\" is a directory: give a file name" },
    { { input, output, "--preview", Path("no-such-directory/preview.png") },
      "--preview: \"" + Path("no-such-directory/preview.png") + "\": the directory \"" + Path("no-such-directory") +
        "\" does not exist" },
    { { input, Path("output.unknownformat") }, "no ITK image format writes this file name" },
    // ITK 5.2's NIfTI writer accepted "OUT.NII" and failed after the run; its MetaImage writer takes ".mha" only.
    { { input, Path("OUT.NII") },
      "output: \"" + Path("OUT.NII") + "\": ITK writes this format only with its ending in lower case (write it \"" +
        Path("OUT.nii") + "\")" },
    { { input, Path("scan.v2.Nii.Gz") }, "(write it \"" + Path("scan.v2.nii.gz") + "\")" },
    { { input, Path("OUT.MHA") }, "(write it \"" + Path("OUT.mha") + "\")" },
    // ITK 5.2's TIFF and VTK writers dropped the oblique input's geometry and reported success (helper-68).
    { { input, Path("x.tif") },
      "output \"" + Path("x.tif") +
        "\": TIFFImageIO does not keep the image's geometry: spacing (0.7, 1.25, 1.8) reads "
        "back as (0.7, 1.25, 1); origin (-12.5, -5.25, 2) reads back as (0, 0, 0); direction (" },
    { { input, Path("x.vtk") },
      "output \"" + Path("x.vtk") + "\": VTKImageIO does not keep the image's geometry: direction (" },
    // MetaIO reads such data file names as a list or a pattern: the output would not read back (helper-67).
    { { input, Path("x%d.mhd") },
      "output \"" + Path("x%d.mhd") +
        "\": MetaImage reads a data file name with a '%' as a pattern of numbered files (x%d.raw), so the image "
        "would not read back: rename it, or write .mha (one file)" },
    { { input, Path("LISTx.mhd") },
      "output \"" + Path("LISTx.mhd") + "\": MetaImage reads a data file name starting with LIST as a list" },
    { { input, Path("OUT.HDR") }, "(write it \"" + Path("OUT.hdr") + "\")" },
    // Its NRRD writer detaches the header for ".nhdr" only: "OUT.NHDR" was written as one attached NRRD file.
    { { input, Path("OUT.NHDR") },
      "output: \"" + Path("OUT.NHDR") +
        "\": ITK writes a detached NRRD header and its data file only with the ending "
        "in lower case, else one attached NRRD file under this name (write it \"" +
        Path("OUT.nhdr") + "\", or \"" + Path("OUT.nrrd") + "\" for one file)" },
  };
  for (const auto & [arguments, problem] : cases)
  {
    const auto run = ExpectRejected(arguments,
                                    problem,
                                    { "input.nrrd",
                                      "notanimage.nrrd",
                                      "input2d.nrrd",
                                      "nodata.nhdr",
                                      "two.mhd",
                                      "two.raw",
                                      "short.nrrd",
                                      "input4d.nrrd",
                                      "input4dof1.nrrd",
                                      "pairz.hdr.gz",
                                      "pairz.img.gz",
                                      "external.mha",
                                      "list.mhd",
                                      "pattern.nrrd",
                                      "descending.nrrd" });
    // Refused before the work starts: no Slicer <filter-start> (stdout is a file here).
    // A NRRD's attached data is found cut short only as the run reads it.
    if (arguments.empty() || arguments.front() != Path("short.nrrd"))
    {
      EXPECT_EQ(run.out, "") << problem;
    }
  }
}

/** A format is asked what geometry it keeps (a small image written and read back): VTK keeps an
 * axis-aligned image's spacing and origin, so that output is written and reads back with them. */
TEST_F(PatchwiseFilterProgram, AFormatThatKeepsTheImagesGeometryIsWritten)
{
  auto image = MakeRandomImage<ImageType>({ { 9, 8, 7 } }, 3);
  image->SetDirection(ImageType::DirectionType::GetIdentity());
  Write(image.GetPointer(), Path("input.nrrd"));
  const auto run = Run({ Path("input.nrrd"), Path("x.vtk"), "--patch-size", "4" });
  ASSERT_EQ(run.status, 0) << run.err;
  itk::VTKImageIOFactory::RegisterOneFactory();
  const auto written = itk::ReadImage<ImageType>(Path("x.vtk"));
  for (unsigned int d = 0; d < 3; ++d)
  {
    EXPECT_NEAR(written->GetSpacing()[d], image->GetSpacing()[d], 1e-6) << d;
    EXPECT_NEAR(written->GetOrigin()[d], image->GetOrigin()[d], 1e-6) << d;
  }
  EXPECT_EQ(FilesOtherThan({ "input.nrrd", "x.vtk" }), std::set<std::string>{});
}

/** A write that fails part way (a full disk; here a file size limit) leaves no file and exits 1:
 * ITK 5.2's MetaImage and NIfTI writers only print to stderr and return, and the run exited 0
 * with the file cut short (helper-46); its NRRD writer throws itself. */
TEST_F(PatchwiseFilterProgram, AWriteCutShortExitsOneAndLeavesNoFile)
{
  Write(MakeRandomImage<ImageType>({ { 40, 40, 40 } }, 3).GetPointer(), Path("input.nrrd")); // 256000 bytes
  for (const std::string name : { "x.mha", "x.nii.gz", "x.nii", "x.mhd", "x.hdr", "x.nrrd" })
  {
    const auto run = Run({ Path("input.nrrd"), Path(name), "--patch-size", "16" }, "", 100000);
    EXPECT_EQ(run.status, 1) << name << ": " << run.err;
    if (name != "x.nrrd")
    {
      EXPECT_NE(run.err.find("PatchwiseFilter: output \"" + Path(name) +
                             "\" was not written whole: its header describes 256000 bytes of voxel data"),
                std::string::npos)
        << run.err;
      EXPECT_NE(run.err.find("(a full disk, or a file size limit?)\n"), std::string::npos) << run.err;
    }
    EXPECT_EQ(FilesOtherThan({ "input.nrrd" }), std::set<std::string>{}) << name;
  }
  // Under the limit, the same run writes the file; a format ITK writes but cannot read back is not read back.
  EXPECT_EQ(Run({ Path("input.nrrd"), Path("x.mha"), "--patch-size", "16" }, "", 300000).status, 0);
  EXPECT_TRUE(fs::exists(Path("x.mha")));
  const auto nia = Run({ Path("input.nrrd"), Path("x.nia"), "--patch-size", "16" });
  EXPECT_EQ(nia.status, 0) << nia.err;
  EXPECT_GT(fs::file_size(Path("x.nia")), 256000u);
}

/** A full disk while a streamed MetaImage is written: ITK 5.2's writer made the file full length
 * first, printed "file stream is fail after write" for the pieces that did not fit and returned,
 * so the output was replaced by a file of the right length with holes, and the run exited 0
 * (helper-68). Needs a small tmpfs (root); skipped where mounting one is not allowed. */
TEST_F(PatchwiseFilterProgram, AStreamedMetaImageOnAFullDiskExitsOneAndKeepsTheOldOutput)
{
  Write(MakeRandomImage<ImageType>({ { 40, 40, 40 } }, 3).GetPointer(), Path("input.nrrd")); // 256000 bytes
  const std::string small = Path("small");
  fs::create_directory(small);
  if (mount("tmpfs", small.c_str(), "tmpfs", 0, "size=128k") != 0)
  {
    GTEST_SKIP() << "mounting a 128 KiB tmpfs: " << std::strerror(errno);
  }
  const std::unique_ptr<const char, int (*)(const char *)> unmount(small.c_str(),
                                                                   [](const char * at) { return umount2(at, MNT_DETACH); });
  for (const std::string name : { "x.mha", "x.mhd" })
  {
    const std::string output = small + "/" + name;
    std::ofstream(output) << "previous output";
    const auto run = Run({ Path("input.nrrd"), output, "--patch-size", "16", "--stream-divisions", "4" });
    EXPECT_EQ(run.status, 1) << name << ": " << run.err;
    EXPECT_NE(run.err.find("PatchwiseFilter: output \"" + output +
                           "\" was not written whole: its voxel data has a hole from byte "),
              std::string::npos)
      << run.err;
    std::ifstream kept(output);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "previous output") << name;
    EXPECT_EQ(std::distance(fs::directory_iterator(small), fs::directory_iterator{}), 1) << name;
    fs::remove(output);
  }
}

/** The merger's SigmaScale and MinimumWeight are named by their options in its messages only: a file named
 * like them keeps its name (helper-47: "SigmaScale.nrrd" was reported as "--sigma-scale.nrrd"). */
TEST_F(PatchwiseFilterProgram, AFileNamedLikeAWeightingParameterKeepsItsNameInMessages)
{
  std::ofstream(Path("SigmaScale.nrrd")) << "NRRD0004\ntype: float\ndimension: 2\nsizes: 40 25\nencoding: raw\n"
                                            "endian: little\n\n"
                                         << std::string(40, '\0');
  const auto run = ExpectRejected({ Path("SigmaScale.nrrd"), Path("out.nrrd") }, "", { "SigmaScale.nrrd" });
  EXPECT_NE(run.err.find("Error reading " + Path("SigmaScale.nrrd")), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("--sigma-scale"), std::string::npos) << run.err;
}

/** An output (or its data file) that is a FIFO is refused and kept: it was replaced by a regular file
 * (helper-45, with a FIFO and a copy of /dev/null). */
TEST_F(PatchwiseFilterProgram, AnOutputThatIsNotARegularFileIsRefusedAndKept)
{
  Write(MakeRandomImage<ImageType>({ { 9, 8, 7 } }, 3).GetPointer(), Path("input.nrrd"));
  ASSERT_EQ(mkfifo(Path("fifo.nrrd").c_str(), 0600), 0);
  ASSERT_EQ(mkfifo(Path("pair.raw").c_str(), 0600), 0);
  for (const auto & [output, file] :
       { std::pair{ Path("fifo.nrrd"), Path("fifo.nrrd") }, std::pair{ Path("pair.mhd"), Path("pair.raw") } })
  {
    const auto run = Run({ Path("input.nrrd"), output });
    EXPECT_EQ(run.status, 1) << run.err;
    EXPECT_EQ(run.err,
              "PatchwiseFilter: output \"" + output + "\": \"" + file +
                "\" is not a regular file (a device, FIFO or socket), which the output would replace: give "
                "the name of a file\n");
    EXPECT_TRUE(fs::is_fifo(file));
  }
  EXPECT_EQ(FilesOtherThan({ "input.nrrd", "fifo.nrrd", "pair.raw" }), std::set<std::string>{});
  // A symbolic link (here to /dev/null) is replaced by the output, not followed (helper-47: refused).
  fs::create_symlink("/dev/null", Path("link.nrrd"));
  EXPECT_EQ(Run({ Path("input.nrrd"), Path("link.nrrd") }).status, 0);
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(Path("link.nrrd"))));
}

/** What the options alone decide exits with 2, as the option parser's own refusals: a grid
 * they rule out, an output that is a directory or has no image format (helper-34, -35:
 * these exited with 1, from the run), an output or preview in a missing directory (helper-36).
 * A median radius not below the patch is refused once the image's size is known (a patch
 * spanning the image allows it, helper-43), with 1. */
TEST_F(PatchwiseFilterProgram, OptionMistakesExitWithTwoBeforeTheImageIsRead)
{
  std::ofstream(Path("notanimage.nrrd")) << "not an image\n"; // read, it would fail with exit 1
  const std::string                           input = Path("notanimage.nrrd");
  const std::vector<std::vector<std::string>> mistakes{
    { input, Path("output.nrrd"), "--patch-size", "8", "--overlap", "8" },
    { input, Path("output.nrrd"), "--pad-overlap" },
    { input, m_Directory.string() },
    { input, Path("output.unknownformat") },
    { input, Path("no-such-directory/output.nrrd") },
    { input, Path("output.nrrd"), "--preview", Path("no-such-directory/preview.png") },
  };
  for (const auto & arguments : mistakes)
  {
    const auto run = Run(arguments);
    EXPECT_EQ(run.status, 2) << arguments.back() << ": " << run.err;
  }
}

/** A list option before the files takes one argument (newcomer finding: "--overlap 2 in out"
 * took the files as overlaps and named the output as a missing input), and the result equals
 * the same options given after the files. */
TEST_F(PatchwiseFilterProgram, AListOptionBeforeTheFilesTakesOneArgument)
{
  Write(MakeRandomImage<ImageType>({ { 19, 15, 11 } }, 3).GetPointer(), Path("input.nrrd"));
  const auto before =
    Run({ "--patch-size", "8,6,5", "--overlap", "2", Path("input.nrrd"), Path("before.nrrd"), "--threads", "1" });
  ASSERT_EQ(before.status, 0) << before.err;
  const auto after =
    Run({ Path("input.nrrd"), Path("after.nrrd"), "--patch-size", "8,6,5", "--overlap", "2", "--threads", "1" });
  ASSERT_EQ(after.status, 0) << after.err;
  const auto expected = PatchStreamingTest::ReadImage<ImageType>(Path("after.nrrd"));
  EXPECT_EQ((DescribeDifferences<ImageType, ImageType>(expected,
                                                       PatchStreamingTest::ReadImage<ImageType>(Path("before.nrrd")),
                                                       expected->GetLargestPossibleRegion())),
            "");
}

/** A run that fails while the output is being written (the input's voxels
 * cannot be read: a NRRD cut short, which its reader refuses when the
 * pipeline first reads it) leaves the existing output and preview files as
 * they were. */
TEST_F(PatchwiseFilterProgram, AFailureHalfwayLeavesTheExistingOutputUntouched)
{
  std::ofstream(Path("input.nrrd")) << "NRRD0004\ntype: float\ndimension: 3\nsizes: 19 15 11\nencoding: raw\n"
                                       "endian: little\n\n"
                                    << std::string(400, '\0');
  std::ofstream(Path("output.nrrd")) << "the previous result";
  std::ofstream(Path("preview.png")) << "the previous preview";

  const auto run =
    Run({ Path("input.nrrd"), Path("output.nrrd"), "--patch-size", "8", "--preview", Path("preview.png") });
  EXPECT_NE(run.status, 0);
  EXPECT_NE(run.err.find("PatchwiseFilter: input \"" + Path("input.nrrd") + "\" cannot be read"), std::string::npos)
    << run.err;
  EXPECT_TRUE(Contents(Path("output.nrrd")) == "the previous result");
  EXPECT_TRUE(Contents(Path("preview.png")) == "the previous preview");
  EXPECT_EQ(FilesOtherThan({ "input.nrrd", "output.nrrd", "preview.png" }), std::set<std::string>{});
}

/** Ctrl-C (SIGINT), SIGTERM and SIGHUP in the middle of the writing: the
 * program ends by that signal, as without a handler, and leaves neither its
 * hidden directory nor the part written; the previous output stays. */
TEST_F(PatchwiseFilterProgram, AnInterruptedRunLeavesNoFileAndTheExistingOutputUntouched)
{
  Write(MakeRandomImage<ImageType>({ { 48, 48, 48 } }, 6).GetPointer(), Path("input.nrrd"));
  for (const int signalNumber : { SIGINT, SIGTERM, SIGHUP, SIGPIPE })
  {
    std::ofstream(Path("output.mha")) << "the previous result";
    // 8 divisions, written one by one into the hidden directory (MetaImage streams its writing).
    const std::vector<std::string> arguments{ PatchwiseFilter_EXECUTABLE,
                                              Path("input.nrrd"),
                                              Path("output.mha"),
                                              "--process",
                                              "median:6",
                                              "--patch-size",
                                              "16",
                                              "--stream-divisions",
                                              "8" };
    const pid_t                    child = fork();
    ASSERT_GE(child, 0);
    if (child == 0)
    {
      std::vector<char *> argv;
      for (const auto & argument : arguments)
      {
        argv.push_back(const_cast<char *>(argument.c_str()));
      }
      argv.push_back(nullptr);
      freopen("/dev/null", "w", stdout);
      execv(argv[0], argv.data());
      _exit(127);
    }
    // Waits until the first division is in the hidden directory's file, or the run ends.
    const auto written = [this] {
      for (const auto & entry : fs::directory_iterator(Path("")))
      {
        if (entry.is_directory() && !fs::is_empty(entry.path()))
        {
          return true;
        }
      }
      return false;
    };
    int status = 0;
    while (!written() && waitpid(child, &status, WNOHANG) == 0)
    {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(written()) << "the run ended before it wrote a division";
    kill(child, signalNumber);
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signalNumber) << "signal " << signalNumber;
    EXPECT_EQ(FilesOtherThan({ "input.nrrd", "output.mha" }), std::set<std::string>{}) << "signal " << signalNumber;
    EXPECT_TRUE(Contents(Path("output.mha")) == "the previous result") << "signal " << signalNumber;
  }
}

/** A .mhd written in divisions writes its own data file only: MetaIO looks for
 * the data file its header names in the working directory first, where an
 * earlier output or the input's data file of that name received the later
 * divisions (the output kept only the first). */
TEST_F(PatchwiseFilterProgram, AStreamedMetaImageHeaderWritesOnlyItsOwnDataFile)
{
  Write(MakeRandomImage<ImageType>({ { 21, 17, 13 } }, 7).GetPointer(), Path("scan.mhd")); // + scan.raw
  const std::string inputData = Contents(Path("scan.raw"));
  std::ofstream(Path("output.raw")) << "an earlier output's data";
  fs::create_directory(Path("sub"));
  const std::vector<std::string> options{ "--patch-size", "8", "--process", "median:1" };
  auto                           arguments = std::vector<std::string>{ Path("scan.mhd"), Path("reference.mha") };
  arguments.insert(arguments.end(), options.begin(), options.end());
  ASSERT_EQ(Run(arguments).status, 0);
  const auto reference = PatchStreamingTest::ReadImage<ImageType>(Path("reference.mha"));
  for (const std::string name : { "output", "scan" }) // beside an unrelated output.raw; beside the input's scan.raw
  {
    arguments = { "scan.mhd", "sub/" + name + ".mhd", "--stream-divisions", "4" };
    arguments.insert(arguments.end(), options.begin(), options.end());
    const auto run = Run(arguments, Path(""));
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_TRUE(Contents(Path("scan.raw")) == inputData) << name; // (binary: not printed)
    EXPECT_TRUE(Contents(Path("output.raw")) == "an earlier output's data") << name;
    EXPECT_NE(Contents(Path("sub/" + name + ".mhd")).find("ElementDataFile = " + name + ".raw\n"), std::string::npos);
    const auto actual = PatchStreamingTest::ReadImage<ImageType>(Path("sub/" + name + ".mhd"));
    EXPECT_EQ((DescribeDifferences<ImageType, ImageType>(reference, actual, reference->GetLargestPossibleRegion())), "")
      << name;
  }
  std::set<std::string> inSub;
  for (const auto & entry : fs::directory_iterator(Path("sub")))
  {
    inSub.insert(entry.path().filename().string());
  }
  EXPECT_EQ(inSub, (std::set<std::string>{ "output.mhd", "output.raw", "scan.mhd", "scan.raw" }));
}

/** helper-77: a double input beyond float's range was written as infinities with exit 0 and no
 * word of it (the network's NaN had a warning line, the input's none). */
TEST_F(PatchwiseFilterProgram, AnOutputHoldingNaNOrInfinityIsWarnedOf)
{
  using DoubleImageType = itk::Image<double, 3>;
  auto image = MakeRandomImage<DoubleImageType>({ { 11, 9, 7 } }, 5);
  image->SetPixel({ { 3, 4, 5 } }, 1e300);
  Write(image.GetPointer(), Path("huge.nrrd"));
  const auto run = Run({ Path("huge.nrrd"), Path("output.mha"), "--patch-size", "4", "--weighting", "crop" });
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("\n  warning   the output holds 1 NaN or infinite value: the input's NaN or infinite voxels "
                         "reach there, or its values beyond float's range (+-3.4e38, read as infinite)\n"),
            std::string::npos)
    << run.out;
  Write(MakeRandomImage<DoubleImageType>({ { 11, 9, 7 } }, 5).GetPointer(), Path("sound.nrrd"));
  const auto quiet = Run({ Path("sound.nrrd"), Path("output.mha"), "--patch-size", "4" });
  ASSERT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_EQ(quiet.out.find("warning"), std::string::npos) << quiet.out;
}

/** The summary says what the run did: the overlap of a grid of one patch is unused (it printed the
 * overlap as for any grid), and an output in a format written in one piece was assembled whole (it said only
 * "streamed in 4 divisions", as for a MetaImage written piece by piece). */
TEST_F(PatchwiseFilterProgram, TheSummarySaysWhatTheRunDid)
{
  Write(MakeRandomImage<ImageType>({ { 11, 9, 8 } }, 3).GetPointer(), Path("input.mha"));
  const auto one = Run({ Path("input.mha"), Path("output.mha"), "--patch-size", "16" });
  ASSERT_EQ(one.status, 0) << one.err;
  EXPECT_NE(one.out.find("grid 1x1x1 = 1 patch of 16x16x16 voxels, overlap 8x8x8 (unused: one patch), squeeze border"),
            std::string::npos)
    << one.out;
  const auto several = Run({ Path("input.mha"), Path("output.mha"), "--patch-size", "4" });
  ASSERT_EQ(several.status, 0) << several.err;
  EXPECT_NE(several.out.find("patches of 4x4x4 voxels, overlap 2x2x2, squeeze border"), std::string::npos)
    << several.out;

  const auto streamed = Run({ Path("input.mha"), Path("output.mha"), "--patch-size", "4", "--stream-divisions", "4" });
  ASSERT_EQ(streamed.status, 0) << streamed.err;
  EXPECT_NE(streamed.out.find("\n  streamed  in 4 divisions\n"), std::string::npos) << streamed.out;
  const auto assembled =
    Run({ Path("input.mha"), Path("output.nrrd"), "--patch-size", "4", "--stream-divisions", "4" });
  ASSERT_EQ(assembled.status, 0) << assembled.err;
  EXPECT_NE(assembled.out.find("\n  streamed  in 4 divisions, the output assembled whole for NrrdImageIO, which "
                               "writes a file in one piece (MetaImage .mha and .mhd are written piece by piece)\n"),
            std::string::npos)
    << assembled.out;
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
  // Written over, both files keep their permissions (helper-77: they took 0666 less the umask, so a
  // private 0600 result became readable by all).
  for (const auto mode : { fs::perms::owner_read | fs::perms::owner_write,
                           fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                             fs::perms::group_write | fs::perms::others_read })
  {
    fs::permissions(Path("output.mhd"), mode);
    fs::permissions(Path("output.raw"), mode);
    ASSERT_EQ(Run({ Path("input.nrrd"), Path("output.mhd"), "--patch-size", "6" }).status, 0);
    EXPECT_EQ(fs::status(Path("output.mhd")).permissions(), mode);
    EXPECT_EQ(fs::status(Path("output.raw")).permissions(), mode);
  }
  // A data file new beside a header written over takes the header's (setuid dropped).
  fs::remove(Path("output.raw"));
  fs::permissions(Path("output.mhd"), fs::perms::owner_read | fs::perms::owner_write | fs::perms::set_uid);
  ASSERT_EQ(Run({ Path("input.nrrd"), Path("output.mhd"), "--patch-size", "6" }).status, 0);
  EXPECT_EQ(fs::status(Path("output.mhd")).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(Path("output.raw")).permissions(), fs::perms::owner_read | fs::perms::owner_write);
}

/** An output never writes over the data file of another image of its name: a .nhdr and a .mhd
 * of one stem both write stem.raw (the second broke the first without a word). */
TEST_F(PatchwiseFilterProgram, AnOutputNeverWritesOverTheDataFileOfAnotherImageOfItsName)
{
  Write(MakeRandomImage<ImageType>({ { 13, 10, 9 } }, 4).GetPointer(), Path("input.nrrd"));
  const auto image = PatchStreamingTest::ReadImage<ImageType>(Path("input.nrrd"));
  for (const auto & [first, second] : { std::pair<std::string, std::string>{ "image.mhd", "image.nhdr" },
                                        std::pair<std::string, std::string>{ "image.nhdr", "image.mhd" } })
  {
    fs::remove(Path("image.mhd"));
    fs::remove(Path("image.nhdr"));
    ASSERT_EQ(Run({ Path("input.nrrd"), Path(first), "--patch-size", "6", "--weighting", "crop" }).status, 0);
    const std::string data = Contents(Path("image.raw"));
    ExpectRejected({ Path("input.nrrd"), Path(second), "--patch-size", "6" },
                   "output \"" + Path(second) + "\" would overwrite \"" + Path("image.raw") +
                     "\", the data file of \"" + Path(first) + "\" beside it: write to another file",
                   { "input.nrrd", first, "image.raw" });
    EXPECT_EQ(Contents(Path("image.raw")), data);
    const auto kept = PatchStreamingTest::ReadImage<ImageType>(Path(first));
    EXPECT_EQ((DescribeDifferences<ImageType, ImageType>(image, kept, image->GetLargestPossibleRegion())), "");
  }
  // An image's own data file is written over as before; another stem's is not the image's.
  fs::remove(Path("image.nhdr"));
  for (int run = 0; run < 2; ++run)
  {
    EXPECT_EQ(Run({ Path("input.nrrd"), Path("image.mhd"), "--patch-size", "6" }).status, 0);
  }
  EXPECT_EQ(Run({ Path("input.nrrd"), Path("other.nhdr"), "--patch-size", "6" }).status, 0);
}

/** A read-only output (or data file) is refused, as the shell's > and ITK's writers refuse it, where the
 * user may not write to it: the file was replaced by a rename, which asks only the folder. Run as root
 * without the capability to override file permissions (setpriv), as a user's run is; root keeps it. */
TEST_F(PatchwiseFilterProgram, AReadOnlyOutputIsRefusedWhereTheUserMayNotWriteToIt)
{
  Write(MakeRandomImage<ImageType>({ { 13, 10, 9 } }, 4).GetPointer(), Path("input.nrrd"));
  ASSERT_EQ(Run({ Path("input.nrrd"), Path("output.mhd"), "--patch-size", "6", "--weighting", "crop" }).status, 0);
  const std::string header = Contents(Path("output.mhd"));
  const std::string data = Contents(Path("output.raw"));
  m_Wrapper = "setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-dac_override,-dac_read_search ";
  for (const std::string file : { "output.mhd", "output.raw" })
  {
    fs::permissions(Path(file), fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    ExpectRejected({ Path("input.nrrd"), Path("output.mhd"), "--patch-size", "6" },
                   "output \"" + Path("output.mhd") + "\": \"" + Path(file) +
                     "\" is read-only: make it writable (chmod u+w) or write to another file",
                   { "input.nrrd", "output.mhd", "output.raw" });
    EXPECT_EQ(Contents(Path("output.mhd")), header);
    EXPECT_EQ(Contents(Path("output.raw")), data);
    fs::permissions(Path(file), fs::perms::owner_write, fs::perm_options::add);
  }
  EXPECT_EQ(Run({ Path("input.nrrd"), Path("output.mhd"), "--patch-size", "6" }).status, 0);
  // A read-only compressed data file beside it, which the tool never writes, is left alone (helper-82).
  std::ofstream(Path("output.zraw")) << "kept";
  fs::permissions(Path("output.zraw"), fs::perms::owner_read);
  EXPECT_EQ(Run({ Path("input.nrrd"), Path("output.mhd"), "--patch-size", "6" }).status, 0);
  EXPECT_EQ(Contents(Path("output.zraw")), "kept");
  m_Wrapper.clear();
  fs::permissions(Path("output.mhd"), fs::perms::owner_read);
  // Root, whose shell's > writes anyway, replaces it; another user is refused as above.
  EXPECT_EQ(Run({ Path("input.nrrd"), Path("output.mhd"), "--patch-size", "6" }).status == 0, geteuid() == 0);
}

/** Whether `text` offers a fraction: "p/q" or a digit, '/', a digit. Parsed by hand: GCC 12
 * warns (-Wmaybe-uninitialized) inside std::regex at the sanitized build's -O1. */
bool
OffersAFraction(const std::string & text)
{
  const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t i = 0; i + 2 < text.size(); ++i)
  {
    if (text[i + 1] == '/' && ((text[i] == 'p' && text[i + 2] == 'q') || (digit(text[i]) && digit(text[i + 2]))))
    {
      return true;
    }
  }
  return false;
}

/** The SlicerExecutionModel description, as expat reads it. */
struct SlicerDescription
{
  struct Parameter
  {
    std::string                        element;
    std::map<std::string, std::string> fields; // name, label, longflag, default, index, channel, ...; "@x": attribute x
    std::vector<std::string>           elements{}; // an enumeration's choices, in order
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
    [](void * data, const XML_Char * name, const XML_Char ** attributes) {
      auto & d = *static_cast<SlicerDescription *>(data);
      d.path.emplace_back(name);
      d.text.clear();
      if (d.path.size() == 3 && d.path[1] == "parameters" && d.path[2] != "label" && d.path[2] != "description")
      {
        d.parameters.push_back({ name, {} });
        for (const XML_Char ** attribute = attributes; *attribute != nullptr; attribute += 2)
        {
          d.parameters.back().fields["@" + std::string(attribute[0])] = attribute[1];
        }
      }
    },
    [](void * data, const XML_Char * name) {
      auto & d = *static_cast<SlicerDescription *>(data);
      if (d.path.size() == 2)
      {
        d.executable[name] = d.text;
      }
      else if (d.path.size() == 4 && !d.parameters.empty() && std::string(name) == "element")
      {
        d.parameters.back().elements.push_back(d.text);
      }
      else if (d.path.size() == 4 && !d.parameters.empty())
      {
        d.parameters.back().fields[name] = d.text;
      }
      else if (d.path.size() == 5 && d.path[3] == "constraints" && !d.parameters.empty())
      {
        d.parameters.back().fields["constraints/" + std::string(name)] = d.text;
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

/** The options `--help` lists, each spelling (`--patch-size,--patch_size`)
 * with the default it shows ("" for none). */
std::map<std::string, std::string>
HelpOptions(const std::string & help)
{
  std::map<std::string, std::string> options;
  std::istringstream                 lines(help);
  for (std::string text; std::getline(lines, text);)
  {
    // An option's line: two spaces, CLI11's "-h," for help, then "--name,--other_name" and its type column.
    std::string line = text.compare(0, 2, "  ") == 0 ? text.substr(2) : std::string();
    if (line.compare(0, 3, "-h,") == 0)
    {
      line.erase(0, 3);
    }
    if (line.compare(0, 2, "--") != 0 || line.size() < 3 || line[2] < 'a' || line[2] > 'z')
    {
      continue;
    }
    const std::size_t spellingsEnd = std::min(line.find_first_not_of("abcdefghijklmnopqrstuvwxyz_-,"), line.size());
    // The type column ends at the first double space; its default follows the last '='.
    std::string type = line.substr(spellingsEnd);
    type = type.substr(0, type.find("  "));
    std::string defaultValue;
    if (type.find('=') != std::string::npos)
    {
      defaultValue = type.substr(type.rfind('=') + 1);
    }
    std::istringstream spellings(line.substr(0, spellingsEnd));
    for (std::string spelling; std::getline(spellings, spelling, ',');)
    {
      options[spelling.substr(spelling.find_first_not_of('-'))] = defaultValue;
    }
  }
  return options;
}

/** How Slicer shows the network's parameters (and the preview file, whose
 * extension differs from the model's): element, attributes, default, choices. */
void
ExpectNetworkParameters(const SlicerDescription & description)
{
  std::map<std::string, SlicerDescription::Parameter> byFlag;
  for (const auto & parameter : description.parameters)
  {
    const auto longflag = parameter.fields.find("longflag");
    if (longflag != parameter.fields.end())
    {
      byFlag[longflag->second] = parameter;
    }
  }
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> expected{
    // longflag, element, field, value
    { "model", "file", "@fileExtensions", ".pt" },
    { "model", "file", "channel", "input" },
    { "model", "file", "default", "" },
    { "preview", "file", "@fileExtensions", ".png" },
    { "batch_size", "integer", "default", "4" },
    { "model_output", "integer", "default", "0" },
    { "mirror_axes", "integer-vector", "default", "" },
    { "device", "string", "default", "cpu" },
    { "output_type", "string-enumeration", "default", "probabilities" },
    { "label_map", "image", "@type", "label" }, // loaded into a label map node
    { "label_map", "image", "channel", "output" },
  };
  for (const auto & [flag, element, field, value] : expected)
  {
    ASSERT_EQ(byFlag.count(flag), 1u) << flag;
    auto fields = byFlag[flag].fields;
    EXPECT_EQ(byFlag[flag].element, element) << flag;
    EXPECT_EQ(fields[field], value) << flag << " " << field;
  }
  EXPECT_EQ(byFlag["output_type"].elements, (std::vector<std::string>{ "probabilities", "labels" }));
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
  std::istringstream helpLines(help.out);
  for (std::string line; std::getline(helpLines, line);)
  {
    EXPECT_LE(line.size(), 80u) << line; // a terminal's width: the descriptions are wrapped
  }
  EXPECT_NE(help.out.find("are taken in any case"), std::string::npos) << help.out;
  // A list shows its values as one comma-separated argument, not CLI11's "UINT=64 ..." of separate words.
  EXPECT_NE(help.out.find("--patch-size,--patch_size UINT:VOXELS[,...]=64"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--overlap UINT:VOXELS[,...] "), std::string::npos) << help.out;
  // A count's range is in the help as in the message that refuses a value outside it.
  EXPECT_NE(help.out.find("--stream-divisions,--stream_divisions UINT:N in 1 to 999999999=1"), std::string::npos)
    << help.out;
  // A fraction's type says both forms it takes.
  EXPECT_NE(help.out.find("--overlap-fraction,--overlap_fraction FLOAT|P/Q:in [0, 1)=0.5"), std::string::npos)
    << help.out;
  auto spellings = HelpOptions(help.out);
  ASSERT_EQ(spellings.erase("help") + spellings.erase("xml"), 2u) << help.out; // Slicer's own flags, not parameters
  // Every hyphenated flag has its underscore spelling, the one the XML lists.
  std::map<std::string, std::string> accepted;
  for (const auto & [spelling, defaultValue] : spellings)
  {
    std::string underscored = spelling;
    std::replace(underscored.begin(), underscored.end(), '-', '_');
    EXPECT_EQ(spellings.count(underscored), 1u) << spelling << " has no underscore spelling";
    accepted[underscored] = defaultValue;
  }

  std::map<std::string, std::string> listed;
  std::map<std::string, std::string> images; // index -> channel
  const std::set<std::string>        elements{ "integer",        "double", "boolean", "string", "string-enumeration",
                                        "integer-vector", "image",  "file" };
  for (const auto & parameter : description.parameters)
  {
    auto fields = parameter.fields;
    EXPECT_EQ(elements.count(parameter.element), 1u) << parameter.element;
    if (parameter.element == "integer") // Slicer's spin box takes the range the option takes (helper-68)
    {
      const auto flag = help.out.find(fields["longflag"] + " ");
      const auto line = flag == std::string::npos ? std::string() : help.out.substr(flag, help.out.find('\n', flag) - flag);
      EXPECT_NE(line.find("N in " + fields["constraints/minimum"] + " to " + fields["constraints/maximum"] + "="),
                std::string::npos)
        << fields["name"] << ": constraints " << fields["constraints/minimum"] << " to "
        << fields["constraints/maximum"] << " against --help's " << line;
      EXPECT_EQ(fields["constraints/step"], "1") << fields["name"];
    }
    EXPECT_FALSE(fields["name"].empty() || fields["label"].empty() || fields["description"].empty())
      << parameter.element;
    if (parameter.element == "image" && fields.count("longflag") == 0)
    {
      images[fields["index"]] = fields["channel"];
      continue;
    }
    ASSERT_FALSE(fields["longflag"].empty()) << fields["name"];
    // Slicer shows a double as a decimal spin box: its description offers no fraction p/q (--help does).
    EXPECT_FALSE(parameter.element == "double" && OffersAFraction(fields["description"]))
      << fields["longflag"] << ": " << fields["description"];
    listed[fields["longflag"]] = parameter.element == "boolean" ? "" : fields["default"];
    if (parameter.element == "boolean")
    {
      EXPECT_EQ(fields["default"], "false");
    }
  }
  EXPECT_EQ(accepted.size(), 24u) << help.out;
  EXPECT_EQ(listed, accepted);
  EXPECT_EQ(listed["sigma_scale"], "0.125");
  EXPECT_EQ(listed["weighting"], "gaussian");
  EXPECT_EQ(listed["gaussian_floor"], "axis");
  EXPECT_EQ(images, (std::map<std::string, std::string>{ { "0", "input" }, { "1", "output" } }));
  ExpectNetworkParameters(description);
}

/** The parameter elements SlicerExecutionModel's schema defines. */
const std::set<std::string> &
SlicerParameterTypes()
{
  static const std::set<std::string> types{ "integer",
                                            "float",
                                            "double",
                                            "boolean",
                                            "string",
                                            "integer-vector",
                                            "float-vector",
                                            "double-vector",
                                            "string-vector",
                                            "integer-enumeration",
                                            "float-enumeration",
                                            "double-enumeration",
                                            "string-enumeration",
                                            "file",
                                            "directory",
                                            "image",
                                            "geometry",
                                            "transform",
                                            "point",
                                            "pointfile",
                                            "region",
                                            "table",
                                            "measurement" };
  return types;
}

/** A reserved flag (the program's own) or one `flags` already holds. */
void
AddFlagProblems(const std::string &              name,
                const std::vector<std::string> & spellings,
                std::set<std::string> &          flags,
                std::vector<std::string> &       problems)
{
  for (const auto & spelling : spellings)
  {
    if (spelling == "--xml" || spelling == "--help" || spelling == "--version")
    {
      problems.push_back(name + ": " + spelling + " is reserved");
    }
    if (!flags.insert(spelling).second)
    {
      problems.push_back(name + ": " + spelling + " is listed twice");
    }
  }
}

/** Whether `name` is a C identifier: a letter or underscore, then letters, digits and underscores. */
bool
IsIdentifier(const std::string & name)
{
  const auto identifierCharacter = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  return !name.empty() && std::isdigit(static_cast<unsigned char>(name[0])) == 0 &&
         std::all_of(name.begin(), name.end(), identifierCharacter);
}

/** What SlicerExecutionModel's parser would refuse in one parameter: the
 * rules written from its documented behaviour, one message per violation. */
std::vector<std::string>
SlicerParameterProblems(const SlicerDescription::Parameter & parameter, std::set<std::string> & flags)
{
  std::vector<std::string> problems;
  const auto               field = [&parameter](const std::string & key) {
    const auto found = parameter.fields.find(key);
    return found == parameter.fields.end() ? std::string() : found->second;
  };
  const std::string name = field("name");
  if (SlicerParameterTypes().count(parameter.element) == 0)
  {
    problems.push_back(name + ": element <" + parameter.element + "> is not a SlicerExecutionModel type");
  }
  if (!IsIdentifier(name))
  {
    problems.push_back("name \"" + name + "\" is not an identifier");
  }
  const std::string longflag = field("longflag");
  const std::string stripped = longflag.substr(std::min(longflag.find_first_not_of('-'), longflag.size()));
  if (!longflag.empty() && !IsIdentifier(stripped))
  {
    problems.push_back(name + ": longflag \"" + stripped + "\" is not letters, digits and underscores");
  }
  const std::string flag = field("flag");
  const std::string shortFlag = flag.substr(std::min(flag.find_first_not_of('-'), flag.size()));
  if (!flag.empty() && shortFlag.size() != 1)
  {
    problems.push_back(name + ": flag \"" + flag + "\" is not one character");
  }
  std::vector<std::string> spellings;
  if (!stripped.empty())
  {
    spellings.push_back("--" + stripped);
  }
  if (!shortFlag.empty())
  {
    spellings.push_back("-" + shortFlag);
  }
  if (spellings.empty() && field("index").empty())
  {
    problems.push_back(name + ": neither a flag, a longflag nor an index");
  }
  spellings.push_back("name " + name);
  AddFlagProblems(name, spellings, flags, problems);
  if (parameter.element.find("-enumeration") != std::string::npos &&
      std::find(parameter.elements.begin(), parameter.elements.end(), field("default")) == parameter.elements.end())
  {
    problems.push_back(name + ": default \"" + field("default") + "\" is not one of its elements");
  }
  return problems;
}

/** SlicerExecutionModel's parser rules, applied to what `--xml` prints: the
 * module loads only when every parameter passes. */
TEST_F(PatchwiseFilterProgram, XmlPassesSlicerExecutionModelParserRules)
{
  const auto xml = Run({ "--xml" });
  ASSERT_EQ(xml.status, 0) << xml.err;
  const auto description = ParseSlicerDescription(xml.out);
  ASSERT_FALSE(description.parameters.empty());
  std::set<std::string> flags;
  std::vector<int>      indices;
  std::string           problems;
  for (const auto & parameter : description.parameters)
  {
    for (const auto & problem : SlicerParameterProblems(parameter, flags))
    {
      problems += problem + "\n";
    }
    const auto index = parameter.fields.find("index");
    if (index != parameter.fields.end())
    {
      indices.push_back(std::stoi(index->second));
    }
  }
  EXPECT_EQ(problems, "");
  std::sort(indices.begin(), indices.end());
  for (std::size_t i = 0; i < indices.size(); ++i)
  {
    EXPECT_EQ(indices[i], static_cast<int>(i)) << "index parameters are not numbered 0, 1, ... without gaps";
  }
}

/** Every XML parameter passed with its XML default, as Slicer passes them
 * (booleans only when true), gives the output the program's own defaults give. */
TEST_F(PatchwiseFilterProgram, XmlDefaultsPassedExplicitlyGiveTheDefaultResult)
{
  Write(MakeRandomImage<ImageType>({ { 23, 19, 17 } }, 9).GetPointer(), Path("input.nrrd"));
  const auto               description = ParseSlicerDescription(Run({ "--xml" }).out);
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

/** The flagged arguments 3D Slicer passes for the description, in group
 * order: integers, floats, doubles and enumerations always; a boolean, bare,
 * only when true; strings, vectors, files and the rest only when not empty.
 * `values` replaces a parameter's default, by name. Pairs of long flag and
 * value; an empty value is a bare flag. */
std::vector<std::pair<std::string, std::string>>
SlicerFlaggedArguments(const SlicerDescription & description, const std::map<std::string, std::string> & values)
{
  static const std::set<std::string>               alwaysPassed{ "integer", "float", "double" };
  std::vector<std::pair<std::string, std::string>> arguments;
  for (const auto & parameter : description.parameters)
  {
    auto         fields = parameter.fields;
    const auto & element = parameter.element;
    const auto   given = values.find(fields["name"]);
    const auto   value = given == values.end() ? fields["default"] : given->second;
    const auto   flag = fields["longflag"].empty() ? "-" + fields["flag"] : "--" + fields["longflag"];
    const bool   always = alwaysPassed.count(element) != 0 || element.find("-enumeration") != std::string::npos;
    if (flag.size() < 2 || !fields["index"].empty())
    {
      continue;
    }
    if (element == "boolean" && value == "true")
    {
      arguments.emplace_back(flag, "");
    }
    else if (element != "boolean" && (always || !value.empty()))
    {
      arguments.emplace_back(flag, value);
    }
  }
  return arguments;
}

/** Slicer's command line: the flagged arguments, then the index parameters
 * (the images, whose files `values` gives by name) in index order. */
std::vector<std::string>
SlicerCommandLine(const SlicerDescription & description, const std::map<std::string, std::string> & values)
{
  std::vector<std::string> line;
  for (const auto & [flag, value] : SlicerFlaggedArguments(description, values))
  {
    line.push_back(flag);
    if (!value.empty())
    {
      line.push_back(value);
    }
  }
  std::map<int, std::string> indexed;
  for (const auto & parameter : description.parameters)
  {
    const auto index = parameter.fields.find("index");
    if (index != parameter.fields.end())
    {
      indexed[std::stoi(index->second)] = values.at(parameter.fields.at("name"));
    }
  }
  for (const auto & entry : indexed)
  {
    line.push_back(entry.second);
  }
  return line;
}

/** The same run in the documented form: the files first, then hyphenated flags. */
std::vector<std::string>
DocumentedCommandLine(const SlicerDescription &                  description,
                      const std::map<std::string, std::string> & values,
                      const std::vector<std::string> &           files)
{
  std::vector<std::string> line = files;
  for (auto [flag, value] : SlicerFlaggedArguments(description, values))
  {
    std::replace(flag.begin(), flag.end(), '_', '-');
    line.push_back(flag);
    if (!value.empty())
    {
      line.push_back(value);
    }
  }
  return line;
}

/** A value other than the default for every parameter the description lists. */
std::map<std::string, std::string>
NonDefaultValues(const std::string & preview)
{
  return { { "patchSize", "10,9,8" }, { "overlap", "3,2,2" },        { "overlapFraction", "0.3" },
           { "borderMode", "pad" },   { "padding", "constant" },     { "paddingValue", "-2.5" },
           { "padOverlap", "true" },  { "process", "gaussian:1.2" }, { "weighting", "hann" },
           { "sigmaScale", "0.2" },   { "minimumWeight", "0.01" },   { "streamDivisions", "3" },
           { "threads", "2" },        { "preview", preview },        { "previewAxis", "1" },
           { "previewSlice", "4" },   { "gaussianFloor", "window" } };
}

/** A value other than the default for every network parameter but the
 * device (a machine without CUDA has only the cpu), with --process identity,
 * which a network requires, and a module returning (probabilities, logits),
 * which --model-output needs; the others as NonDefaultValues gives them. */
std::map<std::string, std::string>
NetworkValues(const std::string & preview)
{
  auto values = NonDefaultValues(preview);
#ifdef PatchStreaming_TORCH_MODELS
  values["model"] = std::string(PatchStreaming_TORCH_MODELS) + "/segmentation_tuple.pt";
#else
  values["model"] = "segmentation_tuple.pt"; // checked for being other than the default only
#endif
  values["batchSize"] = "2";
  values["modelOutput"] = "1"; // the logits
  values["mirrorAxes"] = "0,2";
  values["outputType"] = "labels";
  values["process"] = "identity";
  return values;
}

/** The command line Slicer builds from the XML, from its defaults and from a
 * non-default value of every parameter (with and without a network), writes
 * the bytes the documented hyphen form writes. */
TEST_F(PatchwiseFilterProgram, SlicerCommandLineGivesTheDocumentedFormsOutput)
{
  Write(MakeRandomImage<ImageType>({ { 23, 19, 17 } }, 9).GetPointer(), Path("input.nrrd"));
  const auto description = ParseSlicerDescription(Run({ "--xml" }).out);
  const auto nonDefault = NonDefaultValues(Path("preview.png"));
  const auto network = NetworkValues(Path("preview.png"));
  for (const auto & parameter : description.parameters)
  {
    const auto & fields = parameter.fields;
    const auto & name = fields.at("name");
    if (parameter.element != "image" && name != "device")
    {
      const auto & values = nonDefault.count(name) != 0 ? nonDefault : network;
      ASSERT_EQ(values.count(name), 1u) << name << " has no non-default value";
      const auto defaultValue = fields.find("default");
      EXPECT_NE(values.at(name), defaultValue == fields.end() ? "" : defaultValue->second);
    }
  }
  std::vector<std::map<std::string, std::string>> runs{ {}, nonDefault };
#ifdef PatchStreaming_TORCH_MODELS
  runs.push_back(network);
#endif
  for (const auto & values : runs)
  {
    auto slicerValues = values;
    slicerValues["input"] = Path("input.nrrd");
    slicerValues["output"] = Path("slicer.nrrd");
    const auto slicerLine = SlicerCommandLine(description, slicerValues);
    const auto slicer = Run(slicerLine);
    ASSERT_EQ(slicer.status, 0) << slicer.err;
    const auto documented =
      Run(DocumentedCommandLine(description, values, { Path("input.nrrd"), Path("documented.nrrd") }));
    ASSERT_EQ(documented.status, 0) << documented.err;
    EXPECT_TRUE(Contents(Path("slicer.nrrd")) == Contents(Path("documented.nrrd")));
    EXPECT_NE(std::find(slicerLine.begin(), slicerLine.end(), "--stream_divisions"), slicerLine.end());
  }
  EXPECT_TRUE(fs::exists(Path("preview.png")));
}

/** Run with exactly the command line Slicer builds (stdout and stderr are
 * pipes, here files): progress blocks on stdout, from 0 to 1, never
 * decreasing, and nothing on stderr. The progress counts the patches made,
 * whatever the divisions (following the 4 divisions alone it would rise by
 * 25 %). A block is printed when the fraction reaches a new whole percent, so
 * a step is at most 1 % and one report more: the per-patch processing
 * reports each of the 9 x 7 x 5 patches; the extractor is asked for a patch
 * line at a time and reports within it from the calling thread only, so its
 * reports are up to one of the 7 x 5 lines apart (plus the 3 decimals printed). */
TEST_F(PatchwiseFilterProgram, SlicerRunReportsProgressBlocksOnStdoutAndNothingOnStderr)
{
  Write(MakeRandomImage<ImageType>({ { 37, 29, 23 } }, 7).GetPointer(), Path("input.nrrd"));
  const auto description = ParseSlicerDescription(Run({ "--xml" }).out);
  for (const auto & [process, largestStep] : std::vector<std::pair<std::string, double>>{
         { "median:1", 0.01 + 1.0 / 315 + 1e-3 }, { "identity", 0.01 + 1.0 / 35 + 1e-3 } })
  {
    fs::remove(Path("output.nrrd"));
    const auto run = Run(SlicerCommandLine(description,
                                           { { "input", Path("input.nrrd") },
                                             { "output", Path("output.nrrd") },
                                             { "patchSize", "8" },
                                             { "streamDivisions", "4" },
                                             { "process", process } }));
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.err, "");
    const auto fractions = SlicerProgress(run.out);
    ASSERT_GE(fractions.size(), 5u) << run.out;
    EXPECT_EQ(fractions.front(), 0.0);
    EXPECT_EQ(fractions.back(), 1.0);
    EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end())) << run.out;
    std::vector<double> steps(fractions.size());
    std::adjacent_difference(fractions.begin(), fractions.end(), steps.begin());
    EXPECT_LE(*std::max_element(steps.begin() + 1, steps.end()), largestStep) << process << ":\n" << run.out;
    EXPECT_TRUE(fs::exists(Path("output.nrrd")));
  }

  // A failure still goes to stderr, with a non-zero exit.
  const auto failed = Run(SlicerCommandLine(
    description, { { "input", Path("input.nrrd") }, { "output", Path("output.nrrd") }, { "process", "median:0" } }));
  EXPECT_NE(failed.status, 0);
  EXPECT_NE(failed.err.find("median radius 0"), std::string::npos) << failed.err;
}

/** In a terminal (a pseudo-terminal from script(1)) the bar stays: redrawn
 * in place, no Slicer blocks. */
TEST_F(PatchwiseFilterProgram, TerminalRunDrawsTheProgressBar)
{
  if (!fs::exists("/usr/bin/script"))
  {
    GTEST_SKIP() << "script(1) is not installed";
  }
  Write(MakeRandomImage<ImageType>({ { 19, 15, 11 } }, 3).GetPointer(), Path("input.nrrd"));
  const std::string command = "'" + std::string(PatchwiseFilter_EXECUTABLE) + "' '" + Path("input.nrrd") + "' '" +
                              Path("output.nrrd") + "' --patch-size 8 --stream-divisions 2";
  const int status =
    std::system(("script -qec \"" + command + "\" /dev/null > '" + Path("terminal.txt") + "'").c_str());
  const auto shown = Contents(Path("terminal.txt"));
  ASSERT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0) << shown;
  EXPECT_NE(shown.find("\r[########################################] 100.0 %"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("<filter-"), std::string::npos) << shown;
  EXPECT_NE(shown.find("PatchwiseFilter: wrote"), std::string::npos) << shown;
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
    const auto run = Run({ Path("input.nrrd"),
                           Path("output.nrrd"),
                           "--patch-size",
                           "16,12,10",
                           "--process",
                           "gaussian:2",
                           "--preview",
                           Path("preview.png"),
                           "--preview-axis",
                           std::to_string(axis) });
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

/** The four panels of the preview's first row, pixel for pixel. */
bool
SamePanels(const PictureType * a, const PictureType * b)
{
  for (itk::IndexValueType v = 48; v < 48 + 256; ++v)
  {
    for (itk::IndexValueType u = 120; u < 120 + 4 * 264; ++u)
    {
      if (a->GetPixel({ { u, v } }) != b->GetPixel({ { u, v } }))
      {
        return false;
      }
    }
  }
  return true;
}

/** Extremes the preview draws as it draws ordinary images (helper-95): a slice whose voxels'
 * aspect overflows to infinity (spacings 1e-160 and 1e160 across it) is one pixel wide and a
 * panel high, as a finite aspect too large for a pixel draws it (its height was inf · 0, NaN,
 * rounded: unspecified, 1 x 1 on helper-95's run), and a constant image of 1e20 is drawn as a
 * constant 5 is (it was white: 1e20 + 1 is 1e20). */
TEST_F(PatchwiseFilterProgram, PreviewDrawsExtremeAspectsAndMagnitudesAsOrdinaryOnes)
{
  const auto preview = [this](const ImageType * image, const std::string & name) {
    Write(image, Path(name + ".nrrd"));
    const auto run = Run({ Path(name + ".nrrd"),
                           Path(name + "-out.nrrd"),
                           "--patch-size",
                           "4",
                           "--preview",
                           Path(name + ".png"),
                           "--preview-axis",
                           "0" });
    EXPECT_EQ(run.status, 0) << run.err;
    return PatchStreamingTest::ReadImage<PictureType>(Path(name + ".png"));
  };
  auto         image = MakeRandomImage<ImageType>({ { 9, 7, 5 } }, 3);
  const double extreme[3] = { 1.0, 1e-160, 1e160 };
  image->SetSpacing(extreme);
  const auto   infinite = preview(image, "infinite");
  const double tall[3] = { 1.0, 1.0, 1e6 };
  image->SetSpacing(tall);
  EXPECT_TRUE(SamePanels(infinite, preview(image, "finite")));

  image->SetSpacing(1.0);
  image->FillBuffer(1e20f);
  const auto large = preview(image, "large");
  image->FillBuffer(5.0f);
  EXPECT_TRUE(SamePanels(large, preview(image, "five")));
}

/** The weight-sum panel shows the sums the merger divides by, with the Gaussian floored on the
 * window too (helper-98: it showed the per-axis sums, 0.033 to 1.17 where the merger's are 0.40
 * to 2.0); with a floor of 0 the two floors are the same weights and draw the same panel. */
TEST_F(PatchwiseFilterProgram, PreviewWeightSumsFollowTheGaussianFloor)
{
  Write(MakeRandomImage<ImageType>({ { 29, 23, 17 } }, 5).GetPointer(), Path("input.nrrd"));
  const auto weightPanel = [this](const std::string & floor, const std::string & minimumWeight) {
    const auto run = Run({ Path("input.nrrd"),
                           Path("output.nrrd"),
                           "--patch-size",
                           "12",
                           "--minimum-weight",
                           minimumWeight,
                           "--gaussian-floor",
                           floor,
                           "--preview",
                           Path("preview.png"),
                           "--preview-axis",
                           "2" });
    EXPECT_EQ(run.status, 0) << run.err;
    const auto                          picture = PatchStreamingTest::ReadImage<PictureType>(Path("preview.png"));
    std::vector<PictureType::PixelType> pixels;
    for (itk::IndexValueType v = 48; v < 48 + 256; ++v)
    {
      for (itk::IndexValueType u = 120 + 2 * 264; u < 120 + 2 * 264 + 256; ++u)
      {
        pixels.push_back(picture->GetPixel({ { u, v } }));
      }
    }
    return pixels;
  };
  EXPECT_NE(weightPanel("window", "0.2"), weightPanel("axis", "0.2"));
  EXPECT_EQ(weightPanel("window", "0"), weightPanel("axis", "0"));
}
} // namespace
