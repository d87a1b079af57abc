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
#ifndef PatchwisePastedWords_h
#define PatchwisePastedWords_h

#include <CLI/CLI.hpp>

namespace PatchwiseArgumentChecks
{
/** Throws for a word pasted from a document, that is not a file: one that begins with a
 * typographic dash ("\u2014patch-size", "\u2212\u2212patch-size": write --patch-size), a flag
 * holding one, a number with a minus sign ("\u22121"), a value in typographic quotes, or one
 * with full-width characters ("\uFF16\uFF14"), a zero-width space or a division sign. The
 * message names the characters and gives the plain word; a value is charged to its option,
 * and when the option's validators refuse its plain word too ("\u22120.5" for a fraction in
 * [0, 1)), the message gives their reason instead. */
void
RejectTypography(CLI::App & app, int argc, const char * const * argv);
} // namespace PatchwiseArgumentChecks

#endif
