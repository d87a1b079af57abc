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
#ifndef SlicerModuleDescription_h
#define SlicerModuleDescription_h

#include "PatchwiseFilterOptions.h"

#include <ostream>
#include <string>

/** Writes the SlicerExecutionModel description of the program's options
 * (what `--xml` prints), so 3D Slicer can load PatchwiseFilter as a CLI
 * module: one <parameters> group per option group, every option with its
 * flag, type, label, description and default as CLI11 holds them, the two
 * images as positional input and output channels (index 0 and 1), and
 * --label-map as an output image of type "label" (a label map node). */
/** `text` with &, <, > and " escaped, for XML element text and attributes. */
std::string
EscapedXml(const std::string & text);

void
WriteSlicerModuleDescription(std::ostream & out, const PatchwiseFilterOptions & options, const std::string & version);

#endif
