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
#ifndef PatchwiseMessages_h
#define PatchwiseMessages_h

#include "itkMacro.h"

#include <string>

/** `text` on one line: line breaks become single spaces, trailing spaces go. */
std::string
OneLine(const std::string & text);

/** "1 patch", "8 patches": `count` and `noun`, in the plural (`noun` + "s"
 * unless `plural` is given) unless one. */
std::string
CountOf(unsigned long long count, const std::string & noun, const std::string & plural = "");

/** `text` in lower case (ASCII letters only). */
std::string
Lowercase(std::string text);

/** The value of the header field `key` on `line`, trimmed: MetaIO's "key =
 * value" (or "key: value", leading blanks allowed) and NRRD's "key: value";
 * "" for another field. */
std::string
HeaderFieldValue(const std::string & line, const std::string & key);

/** An ITK exception's description for a person: one line, without the
 * "ITK ERROR: " (or "itk::ERROR: ") prefix and the "(0x...)" object address
 * itkExceptionMacro adds, the merger's SigmaScale and MinimumWeight named by
 * their options (--sigma-scale, --minimum-weight). */
std::string
Readable(const itk::ExceptionObject & error);

#endif
