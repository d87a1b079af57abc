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
#ifndef PatchwiseProgressBar_h
#define PatchwiseProgressBar_h

#include "itkCommand.h"

#include <chrono>
#include <functional>
#include <string>
#include <utility>

/** The run's progress, driven by the ProgressEvent of the filter that makes
 * the merger's patches (the network, the per-patch processing or the
 * extractor): the fraction function set by SetFraction turns its progress in
 * the current request into the fraction of all patches made
 * (PatchwiseRun.h's PatchFraction).
 *
 * Two formats, chosen by whether stderr is a terminal:
 * - Bar (stderr is a terminal: a person runs the program): a bar on stderr,
 *   redrawn in place at every permille; the summary follows on stdout.
 * - Slicer (stderr is not a terminal: 3D Slicer, which reads both streams
 *   through pipes and shows anything on stderr as an error): SlicerExecutionModel's
 *   progress blocks on stdout, <filter-start>, <filter-progress>FRACTION</filter-progress>
 *   at every percent (never decreasing), <filter-end> with the summary as its
 *   comment; nothing on stderr. */
class PatchwiseProgressBar : public itk::Command
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PatchwiseProgressBar);
  using Self = PatchwiseProgressBar;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);

  /** Maps the observed filter's GetProgress() (0 to 1, in its current request)
   * to the fraction of the whole run done. */
  void
  SetFraction(std::function<double(double)> fraction)
  {
    m_Fraction = std::move(fraction);
  }

  void
  Execute(itk::Object * caller, const itk::EventObject & event) override;
  void
  Execute(const itk::Object * caller, const itk::EventObject & event) override;

  /** Slicer format: prints <filter-start> with `comment`, and progress 0. */
  void
  Start(const std::string & comment);

  /** Draws 100 %, then ends the bar's line and prints `summary` on stdout, or
   * prints <filter-end> with `summary` as its comment. */
  void
  Finish(const std::string & summary);

  /** Ends a line the terminal bar left open (before an error message). */
  void
  EndLine();

protected:
  PatchwiseProgressBar();
  ~PatchwiseProgressBar() override = default;

private:
  void
  Draw(double fraction);
  void
  DrawBar(int permille);

  std::function<double(double)>         m_Fraction{ [](double progress) { return progress; } };
  int                                   m_Drawn{ -1 }; // the last permille drawn
  bool                                  m_Terminal{ false };
  bool                                  m_Open{ false }; // a line is drawn and not ended
  std::chrono::steady_clock::time_point m_StartTime{};
};

#endif
