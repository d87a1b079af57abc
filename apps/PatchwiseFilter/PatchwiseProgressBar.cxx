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
#include "PatchwiseProgressBar.h"

#include "itkProcessObject.h"

#include <algorithm>
#include <cstdio>
#include <unistd.h>

PatchwiseProgressBar::PatchwiseProgressBar()
  : m_Terminal(isatty(STDERR_FILENO) != 0)
{}

void
PatchwiseProgressBar::Execute(itk::Object * caller, const itk::EventObject & event)
{
  Execute(static_cast<const itk::Object *>(caller), event);
}

void
PatchwiseProgressBar::Execute(const itk::Object * caller, const itk::EventObject & event)
{
  if (itk::EndEvent().CheckEvent(&event))
  {
    m_FinishedDivisions = std::min(m_FinishedDivisions + 1, m_Divisions);
    Draw(static_cast<double>(m_FinishedDivisions) / m_Divisions);
    return;
  }
  const double division = static_cast<const itk::ProcessObject *>(caller)->GetProgress();
  Draw((m_FinishedDivisions + division) / m_Divisions);
}

void
PatchwiseProgressBar::Draw(double fraction)
{
  const int permille = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 1000.0);
  // A terminal redraws at every permille; a log gets a line at every tenth.
  const int step = m_Terminal ? 1 : 100;
  if (permille / step == m_Drawn / step && m_Drawn >= 0)
  {
    return;
  }
  m_Drawn = permille;
  constexpr int width = 40;
  const int     filled = permille * width / 1000;
  std::fprintf(stderr,
               "%s[%.*s%*s] %5.1f %%%s",
               m_Terminal ? "\r" : "",
               filled,
               "########################################",
               width - filled,
               "",
               permille / 10.0,
               m_Terminal ? "" : "\n");
  m_Open = m_Terminal;
  std::fflush(stderr);
}

void
PatchwiseProgressBar::Finish()
{
  Draw(1.0);
  EndLine();
}

void
PatchwiseProgressBar::EndLine()
{
  if (m_Open)
  {
    std::fputc('\n', stderr);
    m_Open = false;
  }
}
