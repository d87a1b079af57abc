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

#include "SlicerModuleDescription.h"

#include "itkProcessObject.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <unistd.h>

PatchwiseProgressBar::PatchwiseProgressBar()
  : m_Terminal(isatty(STDERR_FILENO) != 0)
  , m_StartTime(std::chrono::steady_clock::now())
{}

void
PatchwiseProgressBar::Execute(itk::Object * caller, const itk::EventObject & event)
{
  Execute(static_cast<const itk::Object *>(caller), event);
}

void
PatchwiseProgressBar::Execute(const itk::Object * caller, const itk::EventObject & itkNotUsed(event))
{
  Draw(m_Fraction(static_cast<const itk::ProcessObject *>(caller)->GetProgress()));
}

void
PatchwiseProgressBar::Start(const std::string & comment)
{
  m_StartTime = std::chrono::steady_clock::now();
  if (!m_Terminal)
  {
    std::cout << "<filter-start>\n"
              << "<filter-name>PatchwiseFilter</filter-name>\n"
              << "<filter-comment>" << EscapedXml(comment) << "</filter-comment>\n"
              << "</filter-start>" << std::endl;
  }
  Draw(0.0);
}

void
PatchwiseProgressBar::Draw(double fraction)
{
  const int permille = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 1000.0);
  // The bar redraws at every permille; Slicer gets a block at every percent.
  const int step = m_Terminal ? 1 : 10;
  if (m_Drawn >= 0 && (permille <= m_Drawn || (permille / step == m_Drawn / step && permille < 1000)))
  {
    return;
  }
  m_Drawn = permille;
  if (!m_Terminal)
  {
    std::cout << "<filter-progress>" << permille / 1000.0 << "</filter-progress>" << std::endl;
    return;
  }
  DrawBar(permille);
}

void
PatchwiseProgressBar::DrawBar(int permille)
{
  constexpr int width = 40;
  const int     filled = permille * width / 1000;
  std::fprintf(stderr,
               "\r[%.*s%*s] %5.1f %%",
               filled,
               "########################################",
               width - filled,
               "",
               permille / 10.0);
  m_Open = true;
  std::fflush(stderr);
}

void
PatchwiseProgressBar::Finish(const std::string & summary)
{
  Draw(1.0);
  EndLine();
  if (m_Terminal)
  {
    std::cout << summary << std::flush;
    return;
  }
  const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - m_StartTime;
  std::cout << "<filter-end>\n"
            << "<filter-name>PatchwiseFilter</filter-name>\n"
            << "<filter-comment>" << EscapedXml(summary) << "</filter-comment>\n"
            << "<filter-time>" << seconds.count() << "</filter-time>\n"
            << "</filter-end>" << std::endl;
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
