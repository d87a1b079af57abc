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
#include "PatchwiseValidators.h"
#include "ImageFileNames.h"
#include "PatchwiseDecimal.h"
#include "PatchwiseFilterOptions.h"
#include "PatchwiseMessages.h"
#include "PatchwiseProcess.h"

#include "itkGaussianOperator.h"
#include "itkImageIOFactory.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace PatchwiseValidators
{
namespace
{
/** The value of a per-axis list along axis `a`: its one value stands for every axis; nullptr past its end. */
const unsigned int *
ValueAlong(const std::vector<unsigned int> & values, std::size_t a)
{
  return values.size() == 1 ? &values[0] : a < values.size() ? &values[a] : nullptr;
}

/** "x", "y", "z", then "axis 3": ITK's axis names. */
std::string
AxisName(std::size_t a)
{
  return a < 3 ? std::string(1, static_cast<char>('x' + a)) : "axis " + std::to_string(a);
}

/** "8,16,4": the list as given. */
std::string
ListText(const std::vector<unsigned int> & values)
{
  std::string text;
  for (const unsigned int value : values)
  {
    text += (text.empty() ? "" : ",") + std::to_string(value);
  }
  return text;
}

/** The plain decimal form of a whole number written otherwise: "0x40" (hexadecimal), "64.0" (a
 * decimal point), "+64" (a sign) and "6.4e1" (an exponent) give "64"; "" for anything else. */
std::string
PlainWholeNumber(const std::string & text)
{
  const bool hexadecimal = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (hexadecimal && text.size() <= 10 && text.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string::npos)
  {
    return std::to_string(std::stoll(text.substr(2), nullptr, 16));
  }
  // At most 15 characters: a decimal that rounds to a whole double is then whole itself.
  if (text.empty() || text.size() > 15 || text[0] == '-' ||
      text.find_first_not_of("0123456789+.eE") != std::string::npos)
  {
    return {};
  }
  try
  {
    std::size_t       used = 0;
    const double      value = std::stod(text, &used);
    const std::string plain = std::to_string(static_cast<long long>(value));
    return used == text.size() && value == std::floor(value) && value <= 999999999.0 && plain != text
             ? plain
             : std::string(); // "0" of --patch-size 0 is plain already
  }
  catch (const std::exception &)
  {
    return {};
  }
}


/** The radius ITK's DiscreteGaussianImageFilter gives the kernel of `--process gaussian:SIGMA_MM`
 * (`sigma` millimetres, as written in `s.process`) along axis `a` of spacing `spacing` (UseImageSpacing: variance
 * sigma^2 / spacing^2 voxels; the default maximum error 0.01, no width limit, as MakePatchFilter sets it). Throws
 * naming --process when that variance overflows a double or ITK's kernel is not finite: its Bessel-function
 * coefficients overflow past a variance of about 709 (sigma 26.6 voxels), and the filter's whole
 * output is then NaN. */
itk::SizeValueType
GaussianKernelRadius(const PatchwiseFilterSettings & s, double sigma, unsigned int a, double spacing)
{
  const double variance = sigma * sigma / (spacing * spacing); // as DiscreteGaussianImageFilter computes it
  const auto   refuse = [&](const std::string & why) {
    std::ostringstream text;
    text << "--process: gaussian sigma " << s.process.substr(s.process.find(':') + 1) << " mm along " << AxisName(a)
         << " (spacing " << spacing << " mm): " << why;
    throw std::runtime_error(text.str());
  };
  if (!std::isfinite(variance))
  {
    refuse("its variance in voxels, sigma^2 / spacing^2 in double as ITK's filter computes it, overflows: give the "
           "image a spacing nearer 1 (e.g. in other units) with the sigma in those units");
  }
  itk::GaussianOperator<double, 1> kernel;
  kernel.SetVariance(variance);
  kernel.SetMaximumError(0.01);
  kernel.SetMaximumKernelWidth(std::numeric_limits<unsigned int>::max());
  kernel.CreateDirectional();
  if (!std::all_of(kernel.Begin(), kernel.End(), [](double c) { return std::isfinite(c); }))
  {
    std::ostringstream text;
    text << "it is " << std::sqrt(variance)
         << " voxels, and ITK's DiscreteGaussianImageFilter cannot make a kernel past about 26.6 voxels (its "
            "coefficients overflow, the output would be NaN): give a sigma below "
         << 26.6 * spacing << " mm, or smooth a coarser copy of the image";
    refuse(text.str());
  }
  return kernel.GetRadius(0);
}

/** `path` split before its ending: the extension, and the one before it when that is .gz
 * ("OUT.NII.GZ" gives "OUT" and ".NII.GZ"). */
std::pair<std::string, std::string>
SplitEnding(const std::string & path)
{
  std::filesystem::path file(path);
  std::string           ending = file.extension().string();
  file.replace_extension();
  if (Lowercase(ending) == ".gz" && file.has_extension())
  {
    ending = file.extension().string() + ending;
    file.replace_extension();
  }
  return { file.string(), ending };
}

/** `path` with ".png" for its ending, or without it when what is before it ends so ("prev.png.jpg": "prev.png"). */
std::string
PngName(const std::string & path)
{
  const std::string stem = SplitEnding(path).first;
  return LowercaseExtension(stem) == ".png" ? stem : stem + ".png";
}

/** `path` with its ending in lower case ("OUT.NII.GZ" gives "OUT.nii.gz"). */
std::string
WithLowercaseEnding(const std::string & path)
{
  const auto [stem, ending] = SplitEnding(path);
  return stem + Lowercase(ending);
}
} // namespace

const CLI::Validator ProcessSpecification(
  [](const std::string & text) {
    try
    {
      PatchwiseProcess::Parse(text);
    }
    catch (const std::invalid_argument & error)
    {
      return std::string(error.what());
    }
    return std::string();
  },
  "identity|gaussian:SIGMA_MM|median:RADIUS");

/** For a percentage of 100 or more, or below 0, which no overlap fraction gives. */
const std::string OverlapBelowThePatch = " (an overlap is less than the patch: --overlap-fraction takes a fraction in "
                                         "[0, 1), 0.5 or 1/2 for half of it)";

/** Whether `text` is a list of two or more fractions below 1 ("0.5,0.5,0.25"): one per axis, which
 * --overlap-fraction does not take. "0,5" (a decimal comma) is not: its 5 is no fraction. */
bool
IsFractionPerAxis(const std::string & text)
{
  std::size_t start = 0;
  std::size_t parts = 0;
  for (std::size_t comma = 0; comma != std::string::npos; start = comma + 1, ++parts)
  {
    comma = text.find(',', start);
    try
    {
      if (!PatchwiseDecimal::Parse(text.substr(start, comma - start), "").IsBelowOne())
      {
        return false;
      }
    }
    catch (const std::exception &)
    {
      return false;
    }
  }
  return parts >= 2;
}

/** PatchwiseDecimal::Suggestion for an overlap fraction: a percentage of 100 or more (or below 0)
 * has no fraction to write; a fraction per axis is said in voxels. */
std::string
OverlapFractionSuggestion(const std::string & text)
{
  if (IsFractionPerAxis(text))
  {
    return " (one fraction, for every axis; per axis, give --overlap in voxels: --overlap 32,32,8 overlaps a "
           "64x64x32 patch by 0.5,0.5,0.25)";
  }
  if (text.size() > 1 && text.back() == '%')
  {
    std::string number = text.substr(0, text.size() - 1);
    std::replace(number.begin(), number.end(), ',', '.');
    try
    {
      const double percent = PatchwiseDecimal::ParseDouble(number, "");
      if (!(percent >= 0.0 && percent < 100.0))
      {
        return OverlapBelowThePatch;
      }
    }
    catch (const std::invalid_argument &)
    {
      // not a number before the '%': no suggestion
    }
  }
  return PatchwiseDecimal::Suggestion(text, true);
}

const CLI::Validator OverlapPercentage(
  [](const std::string & text) {
    if (text.size() < 2 || text.back() != '%')
    {
      return std::string();
    }
    try
    {
      const double      percent = PatchwiseDecimal::ParseDouble(text.substr(0, text.size() - 1), "overlap");
      const std::string what = "overlap " + text + " is a percentage of the patch, and --overlap is in voxels";
      if (!(percent >= 0.0 && percent < 100.0))
      {
        return what + OverlapBelowThePatch;
      }
      return what + ": give --overlap-fraction " + PatchwiseDecimal::PercentAsFraction(percent) +
             " (one fraction for every axis; per axis, --overlap takes voxels)";
    }
    catch (const std::invalid_argument &)
    {
      return std::string(); // not a number before the '%': WholeNumber says what is expected
    }
  },
  "");

/** How an --overlap-fraction `value` of 1 or more was likely meant, as Python's
 * sliding_window_inference says it for overlap=: a percentage (a decimal from 2 to under 100)
 * or voxels (a whole number from 2, --overlap's unit), or both; for neither, what a fraction is. */
std::string
OverlapFractionHint(double value)
{
  const bool        percent = value >= 2.0 && value < 100.0;
  const bool        voxels = value >= 2.0 && value < 1e9 && value == std::floor(value);
  const std::string given = PatchwiseDecimal::ShortestDecimal(value);
  if (!percent && !voxels)
  {
    return " (a fraction of the patch: 0.5 or 1/2 overlaps half of it, 0 none)";
  }
  // The patch size is not known here: the voxels are offered for a patch that can hold them.
  const std::string forVoxels = "for " + given + " voxels of a patch larger than " + given + ", " +
                                (percent ? "" : "write ") + "--overlap " + given;
  if (!percent)
  {
    return " (a fraction of the patch, not voxels: " + forVoxels + ")";
  }
  return " (for " + given + " %, write " + PatchwiseDecimal::PercentAsFraction(value) +
         (voxels ? "; " + forVoxels : "") + ")";
}

const CLI::Validator Fraction(
  [](const std::string & text) {
    double value = 0.0; // a decimal of 1 or more; 0 for a fraction ("4/3" is no percentage) or one of 10^39 or more
    try
    {
      if (PatchwiseDecimal::Parse(text, "overlap fraction").IsBelowOne())
      {
        return std::string();
      }
      value = text.find('/') == std::string::npos ? std::stod(text) : 0.0; // parsed above: below 10^39
    }
    catch (const PatchwiseDecimal::OutOfRange &)
    {
      // not in [0, 1): said below
    }
    catch (const std::invalid_argument & error)
    {
      return std::string(error.what()) + OverlapFractionSuggestion(text);
    }
    return "overlap fraction " + text + " is not in [0, 1)" + OverlapFractionHint(value);
  },
  "in [0, 1)");

/** A whole number (of `unit`, when not empty) from `minimum` to `maximum`, in a message that says what it is. */
CLI::Validator
WholeNumber(const std::string & what,
            const std::string & unit,
            long                minimum,
            long                maximum,
            const std::string & hint,
            const std::string & notWholeHint)
{
  const std::string range = std::to_string(minimum) + " to " + std::to_string(maximum);
  const std::string expected = " is not a whole number" + (unit.empty() ? "" : " of " + unit) + " from " + range;
  return CLI::Validator(
    [what, minimum, maximum, expected, hint, notWholeHint](const std::string & text) {
      const bool negative = text.rfind('-', 0) == 0;
      const auto digitsFrom = [&text](std::size_t from) {
        return text.size() > from && text.find_first_not_of("0123456789", from) == std::string::npos;
      };
      const std::size_t sign = minimum < 0 && negative ? 1 : 0;
      const bool        digits = digitsFrom(sign);
      const bool        whole = digitsFrom(negative ? 1 : 0); // "-1" is a whole number, out of range
      // CLI11 reads "064" as octal (52) and refuses "08": only 0 itself starts with a zero.
      if (digits && text.size() > sign + 1 && text[sign] == '0')
      {
        const auto first = std::min(text.find_first_not_of('0', sign), text.size() - 1);
        return what + " " + text + " has a leading zero: write it " + text.substr(0, sign) + text.substr(first);
      }
      if (digits && text.size() <= 10 + sign && std::stol(text) >= minimum && std::stol(text) <= maximum)
      {
        return std::string();
      }
      const std::string plain = PlainWholeNumber(text);
      return what + " " + (text.empty() ? "\"\"" : text) + expected +
             (plain.empty() ? hint + (whole ? "" : notWholeHint) : " (write it " + plain + ")");
    },
    unit.empty() ? "N in " + range : "VOXELS");
}

/** A decimal number from `lowest` to `highest` (NaN never is); the message says it is not `expected`. */
CLI::Validator
DecimalNumber(const std::string & what, double lowest, double highest, const std::string & expected)
{
  return CLI::Validator(
    [what, lowest, highest, expected](const std::string & text) {
      try
      {
        const double value = PatchwiseDecimal::ParseDouble(text, what);
        if (value >= lowest && value <= highest)
        {
          return std::string();
        }
      }
      catch (const PatchwiseDecimal::OutOfRange & error)
      {
        return std::string(error.what()) + "; expected " + expected;
      }
      catch (const std::invalid_argument &)
      {
        // not a number: said below
      }
      return what + " " + text + " is not " + expected + PatchwiseDecimal::Suggestion(text, true);
    },
    ""); // --help shows FLOAT, the option's type
}


/** "cpu", "cuda" or "cuda:N": the devices libtorch names (whether it has a CUDA device is asked with --model only). */
const CLI::Validator Device(
  [](const std::string & text) {
    const std::string device = Lowercase(text); // in any case, as the choices
    if (device == "cpu")
    {
      return std::string();
    }
    const auto numbered = [&device](const std::string & prefix) {
      return device.size() > prefix.size() && device.rfind(prefix, 0) == 0 &&
             device.find_first_not_of("0123456789", prefix.size()) == std::string::npos;
    };
    if (device != "cuda" && !numbered("cuda:"))
    {
      const std::string hint = device.rfind("gpu", 0) == 0 ? "libtorch calls a GPU cuda"
                               : numbered("cpu:")          ? "the CPU is cpu, without a number"
                                                           : "N a device number";
      return "\"" + text + "\" is not cpu, cuda or cuda:N (" + hint + ")";
    }
    return std::string(); // whether libtorch has the device: checked when --model is given (PatchwiseFilter.cxx)
  },
  "cpu|cuda|cuda:N");

/** An existing file, named. */
const CLI::Validator InputFile(
  [](const std::string & text) { return text.empty() ? std::string("no file name given") : CLI::ExistingFile(text); },
  "FILE");

/** An existing file, when the program can run one. */
const CLI::Validator ModelFile(
  [](const std::string & text) {
#ifdef PatchwiseFilter_HAS_TORCH
    return InputFile(text);
#else
    return text + ": this PatchwiseFilter was built without libtorch; install libtorch-dev and rebuild";
#endif
  },
  "FILE.pt");

const CLI::Validator PngFile(
  [](const std::string & text) {
    const std::filesystem::path file(text);
    const std::string           name = file.filename().string();
    if (name.empty() || name == "." || name == ".." || Lowercase(name) == ".png") // "dir/", "..", ".png"
    {
      const auto directory = name.empty() || Lowercase(name) == ".png" ? file.parent_path() : file;
      return "preview file \"" + text + "\" has no file name" +
             (Lowercase(name) == ".png" ? " before its ending" : "") + ": give one, such as " +
             (directory / "preview.png").string();
    }
    return LowercaseExtension(text) == ".png"
             ? std::string()
             : "preview file \"" + text + "\" does not end in .png (the preview is a PNG picture: give " +
                 PngName(text) + ")";
  },
  "FILE.png");

void
RejectImpossibleGrid(const PatchwiseFilterSettings & s)
{
  if (s.padOverlap && s.borderMode != "pad")
  {
    throw CLI::ValidationError("--pad-overlap",
                               "it extends the grid past the image's ends, which only --border-mode pad does (the "
                               "border mode is " +
                                 s.borderMode + "): give --border-mode pad, or leave --pad-overlap out");
  }
  for (std::size_t a = 0; a < std::max(s.patchSize.size(), s.overlap.size()); ++a)
  {
    const unsigned int * size = ValueAlong(s.patchSize, a);
    const unsigned int * overlap = ValueAlong(s.overlap, a);
    if (size == nullptr) // lists of different lengths: refused once the image's dimension is known
    {
      return;
    }
    const std::string along = s.patchSize.size() == 1 && s.overlap.size() <= 1 ? "" : " along " + AxisName(a);
    const std::string patch = "--patch-size " + ListText(s.patchSize);
    if (overlap != nullptr && *overlap >= *size)
    {
      throw CLI::ValidationError("--overlap",
                                 CountOf(*overlap, "voxel") + along + " is not less than the patch's " +
                                   std::to_string(*size) + " (" + patch + ", --overlap " + ListText(s.overlap) +
                                   "): the stride, patch minus overlap, would be 0 or less");
    }
  }
}

void
RejectFilterPastThePatch(const PatchwiseFilterSettings & s, const itk::ImageIOBase & image)
{
  const PatchwiseProcess process = PatchwiseProcess::Parse(s.process);
  for (unsigned int a = 0; a < image.GetNumberOfDimensions() && process.kind != PatchwiseProcess::Kind::Identity; ++a)
  {
    const unsigned int * size = ValueAlong(s.patchSize, a);
    // ITK's reader makes a negative spacing positive (flipping the direction's column): as it reads it.
    const double spacing = std::abs(image.GetSpacing(a));
    if (size == nullptr) // lists of another length than the dimension are refused with the grid
    {
      return;
    }
    if (!(spacing > 0.0) || !std::isfinite(spacing)) // ITK refuses a spacing of 0, naming it
    {
      continue;
    }
    // The radius of the filter's window, in voxels (a Gaussian's: the one ITK's filter gives its kernel).
    const itk::SizeValueType radius = process.kind == PatchwiseProcess::Kind::Median
                                        ? process.radius
                                        : GaussianKernelRadius(s, process.sigma, a, spacing);
    // A patch that spans the image along the axis reads past it only what lies outside the image.
    if (radius < *size || *size >= image.GetDimensions(a))
    {
      continue;
    }
    std::ostringstream kernel;
    if (process.kind == PatchwiseProcess::Kind::Median)
    {
      kernel << "median radius " << radius;
    }
    else
    {
      kernel << "gaussian sigma " << s.process.substr(s.process.find(':') + 1) << " mm (" << process.sigma / spacing
             << " voxels; the radius of ITK's kernel for it: " << CountOf(radius, "voxel") << ")";
    }
    throw std::runtime_error(
      "--process: " + kernel.str() + " reaches past the whole patch, " + CountOf(*size, "voxel") + " along " +
      AxisName(a) + " (--patch-size " + ListText(s.patchSize) +
      "), where every voxel would see the patch's edge repeated instead of the image: give a "
      "patch larger than the radius, or of the image's size along " +
      AxisName(a) + " (" + std::to_string(image.GetDimensions(a)) + ")" +
      (*size > 1
         ? std::string(", or a smaller ") + (process.kind == PatchwiseProcess::Kind::Median ? "radius" : "sigma")
         : std::string()));
  }
}

void
RejectUnwritableOutput(const PatchwiseFilterSettings & s)
{
  for (const auto & file :
       { std::make_pair(s.OutputName(), s.output), std::make_pair(std::string("--preview"), s.preview) })
  {
    const std::filesystem::path directory = std::filesystem::path(file.second).parent_path();
    if (!directory.empty() && !std::filesystem::is_directory(directory))
    {
      throw CLI::ValidationError(file.first,
                                 "\"" + file.second + "\": the directory \"" + directory.string() + "\" " +
                                   (std::filesystem::exists(directory) ? "is not a directory" : "does not exist") +
                                   ": create it first, or write elsewhere");
    }
  }
  if (std::filesystem::is_directory(s.output))
  {
    throw CLI::ValidationError(s.OutputName(), "\"" + s.output + "\" is a directory: give a file name");
  }
  // ITK 5.2's MetaImage writer takes ".mha" only, and its NIfTI writer accepts "OUT.NII", then fails
  // after the run (probing ".Nii.Gz" makes the NIfTI library print a line: not probed).
  const std::string lowercase = WithLowercaseEnding(s.output);
  if (lowercase != s.output)
  {
    const auto lowercaseIO = itk::ImageIOFactory::CreateImageIO(lowercase.c_str(), itk::IOFileModeEnum::WriteMode);
    const std::string format = lowercaseIO ? lowercaseIO->GetNameOfClass() : "";
    if (format == "NiftiImageIO" || format == "MetaImageIO")
    {
      throw CLI::ValidationError(s.OutputName(),
                                 "\"" + s.output + "\": ITK writes this format only with its ending in lower case " +
                                   "(write it \"" + lowercase + "\")");
    }
    // ITK 5.2's NRRD writer detaches the header for ".nhdr" only: "OUT.NHDR" became one attached NRRD file.
    if (format == "NrrdImageIO" && LowercaseExtension(s.output) == ".nhdr")
    {
      throw CLI::ValidationError(s.OutputName(),
                                 "\"" + s.output + "\": ITK writes a detached NRRD header and its data file only " +
                                   "with the ending in lower case, else one attached NRRD file under this name " +
                                   "(write it \"" + lowercase + "\", or \"" + SplitEnding(s.output).first +
                                   ".nrrd\" for one file)");
    }
  }
  const auto io = itk::ImageIOFactory::CreateImageIO(s.output.c_str(), itk::IOFileModeEnum::WriteMode);
  if (io == nullptr)
  {
    throw CLI::ValidationError(s.OutputName(),
                               "\"" + s.output +
                                 "\": no ITK image format writes this file name (use .nrrd, .nii, .nii.gz, .mha, ...)");
  }
}
} // namespace PatchwiseValidators
