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
#include "PatchwiseVoxelData.h"
#include "PatchwiseMessages.h"

#include "itkImageIOFactory.h"
#include "itk_zlib.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace
{
/** The file name endings (lower case) of the formats whose voxel data is measured. */
constexpr const char * MeasuredEndings[] = { ".nii", ".nii.gz", ".hdr", ".hdr.gz", ".img", ".img.gz", ".mha", ".mhd" };

/** Where the voxels are and how many bytes they take. `offset` counts in the
 * decompressed stream for gzip files and in the file for zlib streams. */
struct VoxelData
{
  std::string    file;
  std::uintmax_t offset{};
  std::uintmax_t bytes{};
  bool           zlibStream{};
};

/** What a compressed stream decompresses to: its length (what it holds when it
 * ends early), and zlib's message when its data is damaged (a wrong byte, a
 * wrong check value), "" when it is whole or only ends early. */
struct Decompressed
{
  std::uintmax_t length{};
  std::string    damage{};
};

/** The gzip file `file` decompressed (Decompressed). */
Decompressed
GzipLength(const std::string & file)
{
  const std::unique_ptr<gzFile_s, int (*)(gzFile)> stream(gzopen(file.c_str(), "rb"), gzclose);
  if (!stream)
  {
    return {};
  }
  std::vector<char> buffer(1 << 20);
  Decompressed      result;
  for (int n = 1; n > 0; result.length += static_cast<std::uintmax_t>(n))
  {
    n = std::max(gzread(stream.get(), buffer.data(), static_cast<unsigned>(buffer.size())), 0);
  }
  int                errorNumber = Z_OK;
  const char * const message = gzerror(stream.get(), &errorNumber);
  if (errorNumber != Z_OK && errorNumber != Z_BUF_ERROR) // Z_BUF_ERROR: the file ends early
  {
    result.damage = message;
    if (result.damage.rfind(file + ": ", 0) == 0) // gzerror puts the file's name first
    {
      result.damage.erase(0, file.size() + 2);
    }
  }
  return result;
}

/** The zlib (or gzip) stream starting at byte `offset` of `file` inflated (Decompressed). */
Decompressed
InflatedLength(const std::string & file, std::uintmax_t offset)
{
  std::ifstream stream(file, std::ios::binary);
  stream.seekg(static_cast<std::streamoff>(offset));
  z_stream zlib{};
  if (!stream || inflateInit2(&zlib, 15 + 32) != Z_OK) // 15 + 32: zlib or gzip, as MetaIO reads
  {
    return {};
  }
  std::vector<unsigned char> in(1 << 16);
  std::vector<unsigned char> out(1 << 20);
  std::uintmax_t             length = 0;
  int                        status = Z_OK;
  while (status == Z_OK && stream.read(reinterpret_cast<char *>(in.data()), in.size()).gcount() > 0)
  {
    zlib.next_in = in.data();
    zlib.avail_in = static_cast<uInt>(stream.gcount());
    do // zlib's own loop (zpipe.c): until the output buffer is not filled
    {
      zlib.next_out = out.data();
      zlib.avail_out = static_cast<uInt>(out.size());
      status = inflate(&zlib, Z_NO_FLUSH);
      length += out.size() - zlib.avail_out;
    } while (status == Z_OK && zlib.avail_out == 0);
    status = status == Z_BUF_ERROR ? Z_OK : status; // no progress without more input
  }
  Decompressed result{ length, {} };
  if (status != Z_OK && status != Z_STREAM_END)
  {
    result.damage = zlib.msg != nullptr ? zlib.msg : "zlib error " + std::to_string(status);
  }
  inflateEnd(&zlib);
  return result;
}

/** The first `count` bytes of `file` after gzip decompression. */
std::vector<unsigned char>
GzipHead(const std::string & file, unsigned int count)
{
  std::vector<unsigned char> head(count);
  gzFile                     stream = gzopen(file.c_str(), "rb");
  const int                  n = stream ? gzread(stream, head.data(), count) : 0;
  if (stream)
  {
    gzclose(stream);
  }
  head.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return head;
}

/** The value of type T at `offset` of `head`, byte-swapped when `swapped`. */
template <typename T>
T
HeaderField(const std::vector<unsigned char> & head, std::size_t offset, bool swapped)
{
  std::array<unsigned char, sizeof(T)> bytes{};
  std::memcpy(bytes.data(), head.data() + offset, sizeof(T));
  if (swapped)
  {
    std::reverse(bytes.begin(), bytes.end());
  }
  T value;
  std::memcpy(&value, bytes.data(), sizeof(T));
  return value;
}

/** Whether `name` (lower case) ends with `suffix`. */
bool
EndsWith(const std::string & name, const std::string & suffix)
{
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/** The bits of one voxel of NIfTI-1 / Analyze `datatype` (nifti1.h's DT_*
 * codes), 0 for a code niftilib does not read. niftilib sizes voxels from the
 * datatype, not from `bitpix`. */
unsigned int
DatatypeBits(std::int16_t datatype)
{
  switch (datatype)
  {
    case 2:   // UINT8
    case 256: // INT8
      return 8;
    case 4:   // INT16
    case 512: // UINT16
      return 16;
    case 128: // RGB24
      return 24;
    case 8:    // INT32
    case 16:   // FLOAT32
    case 768:  // UINT32
    case 2304: // RGBA32
      return 32;
    case 32:   // COMPLEX64
    case 64:   // FLOAT64
    case 1024: // INT64
    case 1280: // UINT64
      return 64;
    case 1536: // FLOAT128
    case 1792: // COMPLEX128
      return 128;
    case 2048: // COMPLEX256
      return 256;
    default:
      return 0;
  }
}

/** The voxel data a NIfTI-1 or Analyze 7.5 `header` describes in `dataFile`
 * (no file when the header is neither or is damaged: the reader's to report).
 * The byte offsets are nifti1.h's: dim (8 shorts) at 40, datatype at 70,
 * vox_offset (a float) at 108; a single file's voxels start at 348 or later
 * (niftilib's floor, sizeof(nifti_1_header)). */
VoxelData
NiftiVoxelData(const std::string & header, const std::string & dataFile, bool singleFile)
{
  const auto head = GzipHead(header, 348);
  if (head.size() < 348)
  {
    return {};
  }
  const bool         swapped = HeaderField<std::int32_t>(head, 0, false) != 348;
  const auto         field = [&](std::size_t offset) { return HeaderField<std::int16_t>(head, offset, swapped); };
  const auto         rank = field(40);
  const unsigned int voxelBits = DatatypeBits(field(70));
  if (HeaderField<std::int32_t>(head, 0, swapped) != 348 || rank < 1 || rank > 7 || voxelBits == 0)
  {
    return {};
  }
  std::uintmax_t bits = voxelBits;
  for (std::size_t i = 1; i <= static_cast<std::size_t>(rank); ++i)
  {
    const auto extent = static_cast<std::uintmax_t>(std::max<std::int16_t>(field(40 + 2 * i), 1));
    if (bits > UINTMAX_MAX / extent)
    {
      return {}; // more than any file holds: the reader's to refuse
    }
    bits *= extent;
  }
  const double lowest = singleFile ? 348.0 : 0.0;
  const double voxOffset = HeaderField<float>(head, 108, swapped);
  const auto   offset = static_cast<std::uintmax_t>(voxOffset >= lowest && voxOffset < 1e15 ? voxOffset : lowest);
  return { dataFile, offset, (bits + 7) / 8, false };
}

/** A MetaIO boolean: true when it starts with T, t or 1 (as MetaIO reads it). */
bool
MetaImageTrue(const std::string & value)
{
  return !value.empty() && (value[0] == 'T' || value[0] == 't' || value[0] == '1');
}

/** The voxel data a MetaImage header describes: `voxelBytes` after the header
 * (LOCAL) or from HeaderSize of its data file. No file for a file list or
 * pattern or HeaderSize -1 (the data at the file's end). Throws for text
 * voxels (BinaryData = False), which ITK 5.2's reader reads wrongly when it
 * reads part of the image. */
VoxelData
MetaImageVoxelData(const std::string & path, std::uintmax_t voxelBytes)
{
  std::ifstream header(path, std::ios::binary);
  std::string   line;
  bool          compressed = false;
  std::string   headerSize = "0";
  while (std::getline(header, line))
  {
    const std::string dataFile = HeaderFieldValue(line, "ElementDataFile");
    compressed = compressed || MetaImageTrue(HeaderFieldValue(line, "CompressedData"));
    const std::string binary = HeaderFieldValue(line, "BinaryData");
    if (!binary.empty() && !MetaImageTrue(binary))
    {
      throw std::runtime_error("input \"" + path + "\" holds its voxels as text (BinaryData = " + binary +
                               "), which ITK 5.2 reads wrongly in parts: write it with binary voxels (BinaryData = "
                               "True; e.g. itk.imwrite)");
    }
    headerSize = HeaderFieldValue(line, "HeaderSize").empty() ? headerSize : HeaderFieldValue(line, "HeaderSize");
    if (Lowercase(dataFile) == "local")
    {
      const auto end = header.tellg(); // -1 after a last line without a line break: no data follows
      return { path, end < 0 ? fs::file_size(path) : static_cast<std::uintmax_t>(end), voxelBytes, compressed };
    }
    if (!dataFile.empty())
    {
      const bool single =
        Lowercase(dataFile).rfind("list", 0) != 0 && dataFile.find_first_of("% ") == std::string::npos;
      const bool known = headerSize.find_first_not_of("0123456789") == std::string::npos && headerSize.size() < 16;
      return single && known ? VoxelData{ (fs::path(path).parent_path() / dataFile).string(),
                                          std::stoull(headerSize),
                                          voxelBytes,
                                          compressed }
                             : VoxelData{};
    }
  }
  return {};
}

/** Whether VoxelDataOf measures the format of `path` (NIfTI, Analyze, MetaImage). */
bool
IsMeasured(const std::string & path)
{
  const std::string name = Lowercase(path);
  return std::any_of(std::begin(MeasuredEndings), std::end(MeasuredEndings), [&name](const char * ending) {
    return EndsWith(name, ending);
  });
}

/** Where the voxels of `path` are, from its header (no file for formats not checked). */
VoxelData
VoxelDataOf(const std::string & path, std::uintmax_t voxelBytes)
{
  const std::string name = Lowercase(path);
  if (EndsWith(name, ".nii") || EndsWith(name, ".nii.gz"))
  {
    return NiftiVoxelData(path, path, true);
  }
  const auto candidates = NiftiPairCandidates(path);
  if (!candidates.empty())
  {
    // The file the library reads; a missing one is named as ITK writes it (the same compression).
    const auto        read = std::find_if(candidates.begin(), candidates.end(), [](const std::string & file) {
      std::error_code ignored;
      return fs::exists(file, ignored);
    });
    const std::string other = read != candidates.end() ? *read : candidates[EndsWith(name, ".gz") ? 1 : 0];
    return EndsWith(name, ".hdr") || EndsWith(name, ".hdr.gz") ? NiftiVoxelData(path, other, false)
                                                               : NiftiVoxelData(other, path, false);
  }
  if (EndsWith(name, ".mha") || EndsWith(name, ".mhd"))
  {
    return MetaImageVoxelData(path, voxelBytes);
  }
  return {};
}

/** The voxel data of `path` and how many bytes of it its file holds; `data.file` is empty for a
 * format not checked. Throws naming the file as `named` when the data file does not exist. */
struct MeasuredVoxelData
{
  VoxelData      data;
  std::uintmax_t length{};
  bool           compressed{};
  /** zlib's message when the compressed data is damaged (Decompressed). */
  std::string damage{};
};

MeasuredVoxelData
Measure(const std::string & path, std::uintmax_t voxelBytes, const std::string & named)
{
  MeasuredVoxelData measured{ VoxelDataOf(path, voxelBytes), 0, false, {} };
  const VoxelData & data = measured.data;
  std::error_code   error;
  if (data.file.empty())
  {
    return measured;
  }
  if (!fs::is_regular_file(data.file, error))
  {
    throw std::runtime_error(named + ": its voxel data file \"" + data.file + "\" does not exist");
  }
  const bool gzip = EndsWith(Lowercase(data.file), ".gz");
  measured.compressed = data.zlibStream || gzip;
  if (data.zlibStream || gzip)
  {
    const Decompressed decompressed = data.zlibStream ? InflatedLength(data.file, data.offset) : GzipLength(data.file);
    measured.length = data.zlibStream ? decompressed.length : decompressed.length - std::min(decompressed.length, data.offset);
    measured.damage = decompressed.damage;
  }
  else
  {
    const std::uintmax_t size = fs::file_size(data.file);
    measured.length = size > data.offset ? size - data.offset : 0;
  }
  return measured;
}

/** The first byte of [offset, offset + bytes) of `file` in a hole (never written, read as
 * zeros), or offset + bytes when there is none or the file system is not one where a hole can
 * only be that. ITK 5.2's MetaImage writer makes the file of a streamed output full length
 * first, then writes each piece into it and goes on when a write fails (a full disk): the
 * pieces lost are holes. Asked only of ext2/3/4, XFS, Btrfs and tmpfs (SEEK_HOLE): ZFS with
 * compression stores runs of zeros as holes, and so may a file system in front of one (NFS,
 * Lustre, overlayfs, FUSE). The Python twin is `_first_hole` in python/patchstreaming/_voxel_data.py. */
std::uintmax_t
FirstHole(const std::string & file, std::uintmax_t offset, std::uintmax_t bytes)
{
  constexpr std::array<decltype(statfs::f_type), 4> HolesAreUnwritten{ { 0xEF53, 0x58465342, 0x9123683E, 0x01021994 } };
  struct statfs                                      fileSystem
  {};
  const int descriptor = open(file.c_str(), O_RDONLY);
  if (descriptor < 0)
  {
    return offset + bytes;
  }
  off_t hole = -1;
  if (fstatfs(descriptor, &fileSystem) == 0 &&
      std::find(HolesAreUnwritten.begin(), HolesAreUnwritten.end(), fileSystem.f_type) != HolesAreUnwritten.end())
  {
    hole = lseek(descriptor, static_cast<off_t>(offset), SEEK_HOLE);
  }
  close(descriptor);
  return hole < 0 ? offset + bytes : std::min<std::uintmax_t>(static_cast<std::uintmax_t>(hole), offset + bytes);
}

/** "its header describes N bytes of voxel data (decompressed) but the file holds M". */
std::string
Shortfall(const MeasuredVoxelData & measured, const std::string & where)
{
  return "its header describes " + std::to_string(measured.data.bytes) + " bytes of voxel data" + where +
         (measured.compressed ? " (decompressed)" : "") + " but the file holds " + std::to_string(measured.length);
}
} // namespace

void
CheckVoxelDataLength(const std::string & path, std::uintmax_t voxelBytes)
{
  const auto        measured = Measure(path, voxelBytes, "input \"" + path + "\"");
  const std::string where = measured.data.file == path ? "" : " in \"" + measured.data.file + "\"";
  if (!measured.damage.empty())
  {
    throw std::runtime_error("input \"" + path + "\" is damaged: its compressed voxel data" + where +
                             " does not decompress (zlib: " + measured.damage +
                             "): some of its bytes are wrong, not missing");
  }
  if (!measured.data.file.empty() && measured.length < measured.data.bytes)
  {
    throw std::runtime_error("input \"" + path + "\" is cut short: " + Shortfall(measured, where) +
                             ": a copy or download that did not finish?");
  }
}

void
CheckWrittenImage(const std::string & written, const std::string & target)
{
  const std::string named = "output \"" + target + "\" was not written whole";
  const std::string cause = " (a full disk, or a file size limit?)";
  if (!IsMeasured(written)) // TIFF, NRRD (whose writer throws), formats this ITK writes but cannot read
  {
    return;
  }
  std::uintmax_t voxelBytes = 0;
  try
  {
    const auto io = itk::ImageIOFactory::CreateImageIO(written.c_str(), itk::IOFileModeEnum::ReadMode);
    if (io == nullptr)
    {
      throw std::runtime_error(named + ": ITK cannot read back its header" + cause);
    }
    io->SetFileName(written);
    io->ReadImageInformation();
    voxelBytes = io->GetImageSizeInBytes();
  }
  catch (const itk::ExceptionObject & error)
  {
    throw std::runtime_error(named + ": ITK cannot read back its header (" + Readable(error) + ")" + cause);
  }
  const auto measured = Measure(written, voxelBytes, named);
  if (!measured.damage.empty())
  {
    throw std::runtime_error(named + ": its compressed voxel data does not decompress (zlib: " + measured.damage + ")" +
                             cause);
  }
  if (!measured.data.file.empty() && measured.length < measured.data.bytes)
  {
    throw std::runtime_error(named + ": " + Shortfall(measured, "") + cause);
  }
  if (!measured.data.file.empty() && !measured.compressed)
  {
    const auto & data = measured.data;
    const auto   hole = FirstHole(data.file, data.offset, data.bytes);
    if (hole < data.offset + data.bytes)
    {
      throw std::runtime_error(named + ": its voxel data has a hole from byte " + std::to_string(hole - data.offset) +
                               " of " + std::to_string(data.bytes) + " on, never written" + cause);
    }
  }
}

std::vector<std::string>
NiftiPairCandidates(const std::string & path)
{
  const std::string name = Lowercase(path);
  const std::size_t endingSize = EndsWith(name, ".gz") ? 7 : 4;
  if (path.size() < endingSize)
  {
    return {};
  }
  const std::string ending = path.substr(path.size() - endingSize);
  const std::string lower = Lowercase(ending);
  if (lower != ".hdr" && lower != ".img" && lower != ".hdr.gz" && lower != ".img.gz")
  {
    return {};
  }
  const bool        upper = std::none_of(ending.begin(), ending.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  const bool        header = lower.compare(0, 4, ".hdr") == 0;
  const std::string other = header ? (upper ? ".IMG" : ".img") : (upper ? ".HDR" : ".hdr");
  const std::string gz = upper ? ".GZ" : ".gz";
  const std::string stem = path.substr(0, path.size() - endingSize);
  return { stem + other, stem + other + gz };
}
