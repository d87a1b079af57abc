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
#ifndef PatchwiseValidators_h
#define PatchwiseValidators_h

#include "itkImageIOBase.h"

#include <CLI/CLI.hpp>

#include <limits>
#include <string>

struct PatchwiseFilterSettings;

/** The CLI11 checks of PatchwiseFilter's option values. Each message names
 * what the value is for, quotes or repeats the value and says what was
 * expected, with the plain form when a whole number is written otherwise. */
namespace PatchwiseValidators
{
/** Stored as float: finite in float's range (and, for a scale, not below float's smallest normal). */
constexpr double FloatMaximum = std::numeric_limits<float>::max();
constexpr double FloatSmallest = std::numeric_limits<float>::min();

/** --process: identity, gaussian:SIGMA_MM or median:RADIUS (PatchwiseProcess::Parse). */
extern const CLI::Validator ProcessSpecification;

/** Refuses an --overlap written as a percentage ("50%"), with the --overlap-fraction meant
 * (0.5); passes anything else on to the whole-number check. */
extern const CLI::Validator OverlapPercentage;

/** An overlap given as a fraction of the patch: in [0, 1), exactly. */
extern const CLI::Validator Fraction;

/** A whole number (of `unit`, when not empty) from `minimum` to `maximum`, in
 * a message that says what it is, with `hint` after it, or `notWholeHint` when
 * the text is no whole number at all ("0.5", not "-1"). A leading zero is
 * refused (CLI11 would read "064" as octal); "0x40" and "64.0" are refused
 * with their plain form (64). */
CLI::Validator
WholeNumber(const std::string & what,
            const std::string & unit,
            long                minimum,
            long                maximum = 999999999,
            const std::string & hint = "",
            const std::string & notWholeHint = "");

/** A decimal number from `lowest` to `highest` (NaN never is); the message says it is not `expected`. */
CLI::Validator
DecimalNumber(const std::string & what, double lowest, double highest, const std::string & expected);

/** "cpu", "cuda" or "cuda:N", in any case: the devices libtorch names. Whether libtorch
 * has a CUDA device is asked when a network runs (PatchwiseFilter.cxx, PrepareNetwork). */
extern const CLI::Validator Device;

/** An existing file, named. */
extern const CLI::Validator InputFile;

/** An existing file, when the program can run a network (built with libtorch). */
extern const CLI::Validator ModelFile;

/** A file name ending in .png. */
extern const CLI::Validator PngFile;

/** Throws CLI::ValidationError for a grid the options alone rule out, in their terms: an
 * --overlap not below the patch along an axis, --pad-overlap without --border-mode pad. Lists of different lengths
 * pass: they are refused once the image's dimension is known. */
void
RejectImpossibleGrid(const PatchwiseFilterSettings & settings);

/** Throws std::runtime_error naming --process when its filter cannot be run patch by patch on
 * `image`: a median radius, or the radius ITK's DiscreteGaussianImageFilter gives a Gaussian's
 * kernel (sigma in mm over the image's spacing), not below the patch along an axis where the
 * patch does not span the image (every voxel would see the patch's edge repeated in place of the
 * image, and a Gaussian took minutes where a patch-sized kernel takes a second); a Gaussian whose
 * variance in voxels overflows, or whose kernel ITK cannot make (the output would be NaN). An
 * axis of a spacing that is not positive and finite is left to ITK, which refuses the image. */
void
RejectFilterPastThePatch(const PatchwiseFilterSettings & settings, const itk::ImageIOBase & image);

/** Throws CLI::ValidationError, naming the output (or --label-map), when it is a directory,
 * its directory does not exist, or no ITK image format writes its file name (the image formats
 * must be registered); naming --preview when the preview's directory does not exist. */
void
RejectUnwritableOutput(const PatchwiseFilterSettings & settings);
} // namespace PatchwiseValidators

#endif
