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
#ifndef PatchBenchmarkMeasures_h
#define PatchBenchmarkMeasures_h

#include "itkGaussianImageSource.h"
#include "itkImageFileWriter.h"

#include <sys/resource.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>

/** What the out-of-core and network benchmarks measure with: resident memory,
 * wall time, and a generated volume written to disk piece by piece. */
namespace PatchBenchmark
{
inline double
PeakResidentMiB()
{
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0; // KiB on Linux
}

/** A field of /proc/self/status (VmRSS, VmHWM) in MiB. */
inline double
StatusMiB(const std::string & name)
{
  std::ifstream status("/proc/self/status");
  std::string   field;
  while (status >> field)
  {
    if (field == name + ":")
    {
      double kib = 0.0;
      status >> kib;
      return kib / 1024.0;
    }
    status.ignore(4096, '\n');
  }
  return 0.0;
}

/** The resident set now (VmRSS), in MiB: the libraries' share, before any image exists. */
inline double
ResidentMiB()
{
  return StatusMiB("VmRSS");
}

/** Resets the process's peak resident set to the current one (Linux's clear_refs 5) and returns
 * it in MiB: PeakSinceResetMiB() is then the peak of the work that follows, not of the setup. */
inline double
ResetPeakResidentMiB()
{
  std::ofstream("/proc/self/clear_refs") << "5";
  return ResidentMiB();
}

/** The peak resident set (VmHWM) since the last ResetPeakResidentMiB(), in MiB. */
inline double
PeakSinceResetMiB()
{
  return StatusMiB("VmHWM");
}

inline double
SecondsFor(const std::function<void()> & work)
{
  const auto started = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

/** Writes a size^3 float volume (a broad Gaussian blob, 0..255) region by region. */
inline void
GenerateVolume(const std::string & file, itk::SizeValueType size, unsigned int divisions)
{
  using SourceType = itk::GaussianImageSource<itk::Image<float, 3>>;
  auto                              source = SourceType::New();
  SourceType::ArrayType             sigma;
  SourceType::ArrayType             mean;
  itk::Image<float, 3>::SpacingType spacing;
  for (unsigned int d = 0; d < 3; ++d)
  {
    spacing[d] = 0.8 + 0.2 * d; // anisotropic, as scanners are
    sigma.SetElement(d, 0.3 * size * spacing[d]);
    mean.SetElement(d, 0.45 * size * spacing[d]);
  }
  source->SetSize(itk::Image<float, 3>::SizeType::Filled(size));
  source->SetSpacing(spacing);
  source->SetSigma(sigma);
  source->SetMean(mean);
  source->SetScale(255.0);
  source->SetNormalized(false);
  auto writer = itk::ImageFileWriter<itk::Image<float, 3>>::New();
  writer->SetInput(source->GetOutput());
  writer->SetFileName(file);
  writer->SetNumberOfStreamDivisions(divisions);
  writer->Update();
}

} // namespace PatchBenchmark

#endif
