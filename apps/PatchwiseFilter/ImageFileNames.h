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
#ifndef ImageFileNames_h
#define ImageFileNames_h

#include <string>
#include <utility>
#include <vector>

// The files an image file name stands for when ITK reads or writes it (a .mhd's data
// file, a NIfTI pair, a numbered series), and whether two names are the same file: the
// checks that an output never writes over its input. Python's twins are in
// python/patchstreaming/_output_files.py (_files_read_for, _files_written_for).

/** Whether `a` and `b` name the same file: the same file when both exist
 * (hard and symbolic links included), else the same normalised absolute path. */
bool
IsSameFile(const std::string & a, const std::string & b);

/** The extension of `path` in lower case (".mhd"), or "" when it has none. */
std::string
LowercaseExtension(const std::string & path);

/** The files reading the image file `path` reads: `path` and, for a header
 * that names separate data files (MetaImage .mha or .mhd "ElementDataFile",
 * NRRD .nrrd or .nhdr "data file": one file, a LIST or a %d pattern;
 * Analyze/NIfTI .hdr + .img, or .hdr.gz + .img.gz, and the other compression,
 * which the NIfTI library falls back to), those files. The Python
 * package keeps the same rule (`_files_read_for` and `_files_written_for` in
 * python/patchstreaming/_output_files.py): change both together. */
std::vector<std::string>
FilesReadFor(const std::string & path);

/** The files ITK's writers may create for the image file name `path`: `path`
 * and, for a two-file format, the data file beside it (.mhd: .raw or .zraw;
 * .nhdr: .raw or .raw.gz; .hdr: .img; .hdr.gz: .img.gz; and the reverse). */
std::vector<std::string>
FilesWrittenFor(const std::string & path);

/** Whether `path` is a compressed data file of a two-file format (x.zraw, x.raw.gz), which
 * FilesWrittenFor lists because ITK's writers may make one, and which the tool, compressing no
 * output, never writes. */
bool
IsCompressedDataFile(const std::string & path);
/** A header beside `path` with its stem (x.mhd, x.mha, x.nhdr or x.nrrd, in lower or
 * upper case, other than `path` itself) that reads a data file writing `path` would
 * write (an output x.nhdr writes x.raw, which an existing x.mhd reads): {header, data
 * file}, or two empty strings when there is none. Writing would break that image. */
std::pair<std::string, std::string>
HeaderSharingDataFile(const std::string & path);
/** The file of `read`, as spelt there, that the first shared file of
 * `written` is, or "" when no file of `written` is one of `read`. */
std::string
SharedFile(const std::vector<std::string> & written, const std::vector<std::string> & read);

#endif
