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

#include <string>

/** A progress bar on stderr, driven by the merger's ProgressEvent and
 * EndEvent: the merger runs once per stream division and reports its patch
 * lines, so the bar shows (finished divisions + this division's fraction) /
 * divisions. On a terminal it redraws one line; otherwise it prints a line
 * every tenth, so logs stay readable. */
class PatchwiseProgressBar : public itk::Command
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PatchwiseProgressBar);
  using Self = PatchwiseProgressBar;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);

  void
  SetNumberOfDivisions(unsigned int divisions)
  {
    m_Divisions = divisions;
  }

  void
  Execute(itk::Object * caller, const itk::EventObject & event) override;
  void
  Execute(const itk::Object * caller, const itk::EventObject & event) override;

  /** Draws 100 % and ends the line. */
  void
  Finish();

  /** Ends a line the terminal bar left open (before an error message). */
  void
  EndLine();

protected:
  PatchwiseProgressBar();
  ~PatchwiseProgressBar() override = default;

private:
  void
  Draw(double fraction);

  unsigned int m_Divisions{ 1 };
  unsigned int m_FinishedDivisions{ 0 };
  int          m_Drawn{ -1 }; // the last permille drawn
  bool         m_Terminal{ false };
  bool         m_Open{ false }; // a line is drawn and not ended
};

#endif
