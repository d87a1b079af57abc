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
#ifndef PatchwiseVoxelData_h
#define PatchwiseVoxelData_h

#include <cstdint>
#include <string>
#include <vector>

/** Throws std::runtime_error naming the input file when its voxel data is
 * shorter than its header says: a copy or download cut short. ITK 5.2's
 * readers do not report this for NIfTI (the missing voxels read as zero) and
 * MetaImage (a message on stderr, and the run goes on), so it is checked here
 * before the run, from the header alone plus the data's length:
 *
 * - NIfTI-1 and Analyze (`.nii`, `.nii.gz`, `.hdr` + `.img`, `.img.gz`):
 *   `dim` times the `datatype`'s size from `vox_offset`, gzip decompressed as
 *   the reader does;
 * - MetaImage (`.mha`, `.mhd`): `voxelBytes` (the ImageIO's
 *   GetImageSizeInBytes()) after the header (`LOCAL`) or from `HeaderSize` of
 *   the data file, inflated (zlib or gzip) when `CompressedData` is true;
 *   text voxels (`BinaryData = False`) are refused: ITK 5.2 reads them
 *   wrongly when it reads part of the image.
 *
 * A data file that does not exist is named as such, and compressed data
 * that does not decompress (a wrong byte or check value) is called damaged,
 * with zlib's reason. Other formats, and MetaImage data split over several
 * files, are left to their readers (ITK's NRRD reader refuses a short file
 * itself). The Python package keeps the same rule (`check_voxel_data` in
 * python/patchstreaming/_voxel_data.py; it also measures raw NRRD, which it
 * memory-maps instead of reading with ITK): change both together. */
void
CheckVoxelDataLength(const std::string & path, std::uintmax_t voxelBytes);

/** Throws std::runtime_error naming the output `target` when the image file
 * ITK's writer wrote at `written` holds less voxel data than its header
 * describes, by the rule above, or its header cannot be read back: ITK 5.2's
 * MetaImage and NIfTI writers report a failed write (a full disk, a file size
 * limit) on stderr only and return, leaving a file cut short (its NRRD
 * writer throws itself), or, for a MetaImage written piece by piece, full
 * length with holes where the pieces that failed were to go (holes are
 * looked for with SEEK_HOLE, except on ZFS, whose compression makes holes of
 * zeros); other formats are not read back. Called before the
 * output is moved into place. The
 * Python package keeps the same rule (`check_written_image` in
 * python/patchstreaming/_voxel_data.py). */
void
CheckWrittenImage(const std::string & written, const std::string & target);

/** The other file of an Analyze/NIfTI pair named `path` (.hdr or .img, either compressed .gz), in
 * the order the NIfTI library looks for it: uncompressed, then .gz; in upper case when `path`'s
 * ending is (X.HDR: X.IMG, X.IMG.GZ), as the library does. Empty for another name. The Python
 * twin is `nifti_pair_candidates` in python/patchstreaming/_voxel_data.py. */
std::vector<std::string>
NiftiPairCandidates(const std::string & path);

#endif
