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
// PatchwiseFilter refuses an input file cut short (a copy or download that
// did not finish) before the run, where ITK 5.2's NIfTI reader reads the
// missing voxels as zeros and its MetaImage reader goes on after a message,
// and runs the same files whole, unchanged.
#include "itkPatchStreamingTestUtilities.h"
#include "PatchwiseFilterProgram.h"

#include "itkImageFileReader.h"
#include "itkNiftiImageIOFactory.h"

#include "gtest/gtest.h"
#include "itk_zlib.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace
{
namespace fs = std::filesystem;
using namespace PatchStreamingTest;
using namespace PatchwiseFilterTest;
using ImageType = itk::Image<float, 3>;

/** One way of storing an image: the file to give the program, the files
 * written, the one to cut and the length to cut it to. */
struct StoredCase
{
  std::string              input;
  std::vector<std::string> files;
  std::string              cut;
  double                   keptFraction; // of the cut file's length; 1: less one float
  bool                     compress;
};

/** `value` at `offset` of `bytes`, most significant byte first. */
template <typename T>
void
PutBigEndian(std::string & bytes, std::size_t offset, T value)
{
  std::array<char, sizeof(T)> raw{};
  std::memcpy(raw.data(), &value, sizeof(T));
  for (std::size_t i = 0; i < sizeof(T); ++i)
  {
    bytes[offset + i] = raw[sizeof(T) - 1 - i];
  }
}

/** A big-endian NIfTI-1 file of 5x4x3 shorts (each 0x0101 = 257) with
 * `voxelBytes` of voxel data, written from nifti1.h's layout: ITK writes the
 * machine's byte order only. */
void
WriteBigEndianNifti(const std::string & file, std::size_t voxelBytes)
{
  std::string header(352, '\0');
  PutBigEndian<std::int32_t>(header, 0, 348); // sizeof_hdr
  const std::array<std::int16_t, 4> dim{ { 3, 5, 4, 3 } };
  for (std::size_t i = 0; i < dim.size(); ++i)
  {
    PutBigEndian(header, 40 + 2 * i, dim[i]);
    PutBigEndian(header, 76 + 4 * i, 1.0f); // pixdim (qfac first)
  }
  PutBigEndian<std::int16_t>(header, 70, 4);  // datatype: DT_INT16
  PutBigEndian<std::int16_t>(header, 72, 16); // bitpix
  PutBigEndian(header, 108, 352.0f);          // vox_offset
  header.replace(344, 4, std::string("n+1\0", 4));
  std::ofstream(file, std::ios::binary) << header << std::string(voxelBytes, '\1');
}

/** Each stored form runs whole (the identity gives the input back exactly)
 * and is refused once cut short, naming the input; no output is left. */
TEST_F(PatchwiseFilterProgram, AnInputCutShortIsRefusedAndAWholeOneRuns)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  const auto                    image = MakeRandomImage<ImageType>({ { 17, 13, 11 } }, 7);
  const std::vector<StoredCase> cases{
    { "plain.nii", { "plain.nii" }, "plain.nii", 1.0, false },
    { "gzip.nii.gz", { "gzip.nii.gz" }, "gzip.nii.gz", 0.5, false },
    { "pair.hdr", { "pair.hdr", "pair.img" }, "pair.img", 1.0, false },
    { "local.mha", { "local.mha" }, "local.mha", 1.0, false },
    { "zlib.mha", { "zlib.mha" }, "zlib.mha", 0.6, true },
    { "detached.mhd", { "detached.mhd", "detached.raw" }, "detached.raw", 1.0, false },
    { "zlib.mhd", { "zlib.mhd", "zlib.zraw" }, "zlib.zraw", 0.5, true },
  };
  for (const auto & c : cases)
  {
    auto writer = itk::ImageFileWriter<ImageType>::New();
    writer->SetInput(image);
    writer->SetFileName(Path(c.input));
    writer->SetUseCompression(c.compress);
    writer->Update();
    std::set<std::string> kept(c.files.begin(), c.files.end());

    const auto whole = Run({ Path(c.input), Path("output.nrrd"), "--patch-size", "8", "--weighting", "crop" });
    ASSERT_EQ(whole.status, 0) << c.input << ": " << whole.err;
    const auto output = ReadImage<ImageType>(Path("output.nrrd"));
    EXPECT_EQ(DescribeDifferences(image.GetPointer(), output.GetPointer(), image->GetLargestPossibleRegion()), "")
      << c.input;
    fs::remove(Path("output.nrrd"));

    const auto length = fs::file_size(Path(c.cut));
    fs::resize_file(Path(c.cut),
                    c.keptFraction < 1.0 ? static_cast<std::uintmax_t>(c.keptFraction * length) : length - 4);
    ExpectRejected({ Path(c.input), Path("output.nrrd"), "--patch-size", "8" },
                   "input \"" + Path(c.input) + "\" is cut short: its header describes " +
                     std::to_string(17 * 13 * 11 * 4) + " bytes of voxel data",
                   kept);
    for (const auto & file : c.files)
    {
      fs::remove(Path(file));
    }
  }
}

/** A NIfTI input of many patch lines runs within 64 open files and gives the input back: ITK
 * 5.2's NIfTI reader left the file open for every part of it read (helper-75: "cannot be
 * read" after a few hundred lines, and the private folder left), so it is read whole. */
TEST_F(PatchwiseFilterProgram, ANiftiInputOfManyPatchLinesIsReadOnce)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  const auto image = MakeRandomImage<ImageType>({ { 23, 41, 37 } }, 11);
  for (const std::string name : { "many.nii.gz", "many.nii" })
  {
    auto writer = itk::ImageFileWriter<ImageType>::New();
    writer->SetInput(image);
    writer->SetFileName(Path(name));
    writer->Update();
    // Patches of 4 overlapping by 2: 19 x 17 = 323 patch lines.
    const auto run = Run({ Path(name), Path("output.nrrd"), "--patch-size", "4", "--weighting", "crop" }, "", 0, 64);
    ASSERT_EQ(run.status, 0) << name << ": " << run.err;
    const auto output = ReadImage<ImageType>(Path("output.nrrd"));
    EXPECT_EQ(DescribeDifferences(image.GetPointer(), output.GetPointer(), image->GetLargestPossibleRegion()), "")
      << name;
    fs::remove(Path("output.nrrd"));
    fs::remove(Path(name));
    EXPECT_EQ(std::distance(fs::directory_iterator(m_Directory), fs::directory_iterator()), 0) << name;
  }
}

/** A compressed input whose bytes are wrong (here a check value or a byte of the stream
 * flipped), not missing, is called damaged with zlib's reason: it was "cut short ... the file
 * holds 0" (helper-68), which sent one looking for an interrupted download. */
TEST_F(PatchwiseFilterProgram, ADamagedCompressedInputIsCalledDamagedNotCutShort)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  // Large enough that the NIfTI reader finds its header before the damage.
  const auto image = MakeRandomImage<ImageType>({ { 48, 40, 32 } }, 7);
  for (const std::string name : { "gzip.nii.gz", "zlib.mha" })
  {
    for (const bool checkValue : { true, false })
    {
      auto writer = itk::ImageFileWriter<ImageType>::New();
      writer->SetInput(image);
      writer->SetFileName(Path(name));
      writer->SetUseCompression(true);
      writer->Update();
      std::fstream file(Path(name), std::ios::in | std::ios::out | std::ios::binary);
      const auto   length = static_cast<std::streamoff>(fs::file_size(Path(name)));
      // gzip ends with CRC-32 and length (8 bytes), zlib with Adler-32 (4): flip a check byte or one mid-stream.
      file.seekg(checkValue ? length - (name == "gzip.nii.gz" ? 6 : 2) : length / 2);
      const auto byte = static_cast<char>(file.get() ^ 0x5a);
      file.seekp(checkValue ? length - (name == "gzip.nii.gz" ? 6 : 2) : length / 2);
      file.put(byte);
      file.close();
      ExpectRejected({ Path(name), Path("output.nrrd") },
                     "input \"" + Path(name) + "\" is damaged: its compressed voxel data does not decompress (zlib: ",
                     { name });
      fs::remove(Path(name));
    }
  }
}

/** The data file of an upper-case header is the one the NIfTI library reads: X.HDR reads X.IMG, not
 * an X.img beside it (helper-49: a cut-short X.IMG was read, the whole X.img measured). */
TEST_F(PatchwiseFilterProgram, AnUpperCaseHeaderIsMeasuredByTheDataFileItReads)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  Write(MakeRandomImage<ImageType>({ { 7, 6, 5 } }, 9).GetPointer(), Path("lower.hdr")); // + lower.img
  fs::rename(Path("lower.hdr"), Path("X.HDR"));
  fs::copy_file(Path("lower.img"), Path("X.img"));
  fs::rename(Path("lower.img"), Path("X.IMG"));
  fs::resize_file(Path("X.IMG"), 100);
  ExpectRejected({ Path("X.HDR"), Path("output.nrrd") },
                 "input \"" + Path("X.HDR") + "\" is cut short: its header describes " + std::to_string(7 * 6 * 5 * 4) +
                   " bytes of voxel data in \"" + Path("X.IMG") + "\"",
                 { "X.HDR", "X.IMG", "X.img" });
}

/** A two-file input whose data file is missing is named, before the run. */
TEST_F(PatchwiseFilterProgram, AMissingVoxelDataFileIsNamed)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  const auto image = MakeRandomImage<ImageType>({ { 7, 6, 5 } }, 9);
  for (const auto & [header, data] : { std::pair<std::string, std::string>{ "detached.mhd", "detached.raw" },
                                       std::pair<std::string, std::string>{ "pair.hdr", "pair.img" },
                                       std::pair<std::string, std::string>{ "pair.hdr.gz", "pair.img.gz" } })
  {
    Write(image.GetPointer(), Path(header));
    fs::remove(Path(data));
    ExpectRejected({ Path(header), Path("output.nrrd") },
                   "input \"" + Path(header) + "\": its voxel data file \"" + Path(data) + "\" does not exist",
                   { header });
    fs::remove(Path(header));
  }
}

/** A MetaImage header cut before its DimSize: the reader's own reasons, which
 * it prints on stderr, make the one line (not ITK's stale "No such file or
 * directory"). */
TEST_F(PatchwiseFilterProgram, AMetaImageHeaderCutShortGivesTheReadersReasonsOnOneLine)
{
  std::ofstream(Path("header.mha")) << "ObjectType = Image\nNDims = 3\nBinaryData = True\n";
  ExpectRejected({ Path("header.mha"), Path("output.nrrd") },
                 "input \"" + Path("header.mha") + "\" cannot be read: DimSize required and not defined.; ",
                 { "header.mha" });
}

/** A voxel volume (the product of the spacings) below a double's normal range: ITK printed SVD
 * warnings and ran on (1e-320 x 1 x 1), or failed with "Singular matrix. Determinant is 0.",
 * naming no file (1e-200 on each axis). */
TEST_F(PatchwiseFilterProgram, AVoxelVolumeBelowADoublesRangeIsRefusedNamingTheSpacing)
{
  struct TinyCase
  {
    std::string spacing; // as the header gives it
    std::string shown;   // as the message gives it
    std::string volume;
  };
  const std::array<float, 24> voxels{};
  for (const auto & c : { TinyCase{ "1e-320 1 1", "1e-320 x 1 x 1", "9.99989e-321" },
                          TinyCase{ "1e-200 1e-200 1e-200", "1e-200 x 1e-200 x 1e-200", "0" } })
  {
    std::ofstream(Path("tiny.mha"), std::ios::binary)
      << "ObjectType = Image\nNDims = 3\nDimSize = 4 3 2\nElementType = MET_FLOAT\nElementSpacing = " << c.spacing
      << "\nElementDataFile = LOCAL\n"
      << std::string(reinterpret_cast<const char *>(voxels.data()), sizeof(voxels));
    ExpectRejected({ "--patch-size", "2", Path("tiny.mha"), Path("output.nrrd") },
                   "input \"" + Path("tiny.mha") + "\": its spacing " + c.shown + " gives a voxel volume of " +
                     c.volume +
                     ", below a double's normal range (2.22507e-308), and ITK cannot invert its voxel-to-physical "
                     "matrix: save it with a spacing nearer 1 (e.g. in other units)",
                   { "tiny.mha" });
  }
}

/** A negative spacing, which ITK's reader reads as its size (flipping the direction): the checks
 * of --process against the spacing were skipped, and a Gaussian past ITK's kernel ran to an
 * all-NaN output (exit 0). */
TEST_F(PatchwiseFilterProgram, ANegativeSpacingIsCheckedAsTheReaderReadsIt)
{
  const std::array<float, 24> voxels{};
  std::ofstream(Path("flipped.mha"), std::ios::binary)
    << "ObjectType = Image\nNDims = 3\nDimSize = 4 3 2\nElementType = MET_FLOAT\nElementSpacing = -0.7 -1 -1\n"
       "ElementDataFile = LOCAL\n"
    << std::string(reinterpret_cast<const char *>(voxels.data()), sizeof(voxels));
  ExpectRejected({ "--process", "gaussian:30", Path("flipped.mha"), Path("output.nrrd") },
                 "--process: gaussian sigma 30 mm along x (spacing 0.7 mm): it is 42.8571 voxels, and ITK's "
                 "DiscreteGaussianImageFilter cannot make a kernel past about 26.6 voxels",
                 { "flipped.mha" });
  ExpectRejected({ "--process", "median:2", "--patch-size", "2", Path("flipped.mha"), Path("output.nrrd") },
                 "--process: median radius 2 reaches past the whole patch, 2 voxels along x",
                 { "flipped.mha" });
}

/** A MetaImage whose voxels are text (BinaryData = False, or F, or 0, as
 * MetaIO reads them) is refused: ITK 5.2 reads such voxels wrongly when it
 * reads part of the image (all wrong, or a crash). */
TEST_F(PatchwiseFilterProgram, AMetaImageOfTextVoxelsIsRefused)
{
  for (const std::string binary : { "False", "F", "0" })
  {
    std::ofstream(Path("text.mha")) << "ObjectType = Image\nNDims = 2\nDimSize = 3 2\nElementType = MET_FLOAT\n"
                                       "BinaryData = "
                                    << binary << "\nElementDataFile = LOCAL\n1 2 3 4 5 6\n";
    ExpectRejected({ Path("text.mha"), Path("output.nrrd") },
                   "input \"" + Path("text.mha") + "\" holds its voxels as text (BinaryData = " + binary + ")",
                   { "text.mha" });
  }
}

/** Headers MetaIO and niftilib read that a stricter parser would misjudge:
 * "CompressedData = T" (one letter) over a zlib stream, and
 * "ElementDataFile = Local"; a .nii whose vox_offset is 348 (niftilib's
 * floor; 352 is the usual) and whose bitpix disagrees with its datatype (niftilib sizes voxels
 * from the datatype); an upper-case .HDR + .IMG pair. Each runs and gives the
 * input back. */
TEST_F(PatchwiseFilterProgram, HeadersTheReadersAcceptAreMeasuredAsTheyReadThem)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  const std::array<float, 6> values{ { 1, 2, 3, 4, 5, 6 } };
  const std::string          voxels(reinterpret_cast<const char *>(values.data()), sizeof(values));
  std::string                compressed(compressBound(voxels.size()), '\0');
  uLongf                     compressedSize = compressed.size();
  ASSERT_EQ(compress(reinterpret_cast<Bytef *>(compressed.data()),
                     &compressedSize,
                     reinterpret_cast<const Bytef *>(voxels.data()),
                     voxels.size()),
            Z_OK);
  compressed.resize(compressedSize);
  std::ofstream(Path("zlib.mha"), std::ios::binary)
    << "ObjectType = Image\nNDims = 2\nDimSize = 3 2\nElementType = MET_FLOAT\nCompressedData = T\n"
       "CompressedDataSize = "
    << compressed.size() << "\nElementDataFile = Local\n"
    << compressed;
  std::string header(348, '\0');
  PutBigEndian<std::int32_t>(header, 0, 348);
  const std::array<std::int16_t, 3> dim{ { 2, 3, 2 } };
  for (std::size_t i = 0; i < dim.size(); ++i)
  {
    PutBigEndian(header, 40 + 2 * i, dim[i]);
    PutBigEndian(header, 76 + 4 * i, 1.0f);
  }
  PutBigEndian<std::int16_t>(header, 70, 16); // DT_FLOAT32
  PutBigEndian<std::int16_t>(header, 72, 64); // a bitpix that disagrees
  PutBigEndian(header, 108, 348.0f);          // below 352: read from 348
  header.replace(344, 4, std::string("n+1\0", 4));
  std::string bigEndian = voxels;
  for (std::size_t v = 0; v < values.size(); ++v)
  {
    std::reverse(bigEndian.begin() + 4 * v, bigEndian.begin() + 4 * v + 4);
  }
  std::ofstream(Path("offset.nii"), std::ios::binary) << header << bigEndian;
  auto image = itk::Image<float, 2>::New();
  image->SetRegions(itk::Size<2>{ { 3, 2 } });
  image->Allocate();
  std::copy(values.begin(), values.end(), image->GetBufferPointer());
  Write(image.GetPointer(), Path("pair.hdr"));
  fs::rename(Path("pair.hdr"), Path("PAIR.HDR"));
  fs::rename(Path("pair.img"), Path("PAIR.IMG"));
  for (const std::string name : { "zlib.mha", "offset.nii", "PAIR.HDR" })
  {
    const auto run = Run({ Path(name), Path("output.nrrd"), "--patch-size", "2", "--weighting", "crop" });
    ASSERT_EQ(run.status, 0) << name << ": " << run.err;
    const auto output = ReadImage<itk::Image<float, 2>>(Path("output.nrrd"));
    EXPECT_EQ(DescribeDifferences(image.GetPointer(), output.GetPointer(), image->GetLargestPossibleRegion()), "")
      << name;
  }
}

/** A multi-component NIfTI input is read whole: ITK 5.2's NIfTI reader writes
 * past its buffer when it reads part of one (a crash before). */
TEST_F(PatchwiseFilterProgram, AMultiComponentNiftiInputIsReadWholeAndRuns)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  const auto image = MakeRandomImage<itk::VectorImage<float, 3>>({ { 16, 12, 10 } }, 10, 2);
  Write(image.GetPointer(), Path("vector.nii"));
  const auto run = Run({ Path("vector.nii"), Path("output.nrrd"), "--patch-size", "8", "--weighting", "crop" });
  ASSERT_EQ(run.status, 0) << run.err;
  const auto output = ReadImage<itk::VectorImage<float, 3>>(Path("output.nrrd"));
  EXPECT_EQ(DescribeDifferences(image.GetPointer(), output.GetPointer(), image->GetLargestPossibleRegion()), "");
}

/** `bytes` appended to `file` as one more gzip member. */
void
AppendGzipMember(const std::string & file, const std::string & bytes)
{
  gzFile stream = gzopen(file.c_str(), "ab");
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(gzwrite(stream, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(stream);
}

/** A .nii.gz in two gzip members (as pigz and bgzip write) holds all its
 * voxels, and so does one whose 8-byte trailer (CRC and length) alone is
 * missing: both run and give the input back. */
TEST_F(PatchwiseFilterProgram, GzipMembersOneAfterAnotherAndAMissingTrailerAreWhole)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  const auto image = MakeRandomImage<ImageType>({ { 17, 13, 11 } }, 8);
  Write(image.GetPointer(), Path("plain.nii"));
  const std::string plain = Contents(Path("plain.nii"));
  AppendGzipMember(Path("members.nii.gz"), plain.substr(0, 1000));
  AppendGzipMember(Path("members.nii.gz"), plain.substr(1000));
  AppendGzipMember(Path("no-trailer.nii.gz"), plain);
  fs::resize_file(Path("no-trailer.nii.gz"), fs::file_size(Path("no-trailer.nii.gz")) - 8);
  for (const std::string name : { "members.nii.gz", "no-trailer.nii.gz" })
  {
    const auto run = Run({ Path(name), Path("output.nrrd"), "--patch-size", "8", "--weighting", "crop" });
    ASSERT_EQ(run.status, 0) << name << ": " << run.err;
    const auto output = ReadImage<ImageType>(Path("output.nrrd"));
    EXPECT_EQ(DescribeDifferences(image.GetPointer(), output.GetPointer(), image->GetLargestPossibleRegion()), "")
      << name;
  }
}

/** The header's byte order is the file's: a big-endian NIfTI-1 file of 120
 * bytes of voxels runs; with 118 it is refused. */
TEST_F(PatchwiseFilterProgram, ABigEndianNiftiInputIsMeasuredInItsOwnByteOrder)
{
  itk::NiftiImageIOFactory::RegisterOneFactory();
  WriteBigEndianNifti(Path("big.nii"), 120);
  const auto whole = Run({ Path("big.nii"), Path("output.nrrd"), "--patch-size", "4" });
  ASSERT_EQ(whole.status, 0) << whole.err;
  const auto output = ReadImage<ImageType>(Path("output.nrrd"));
  EXPECT_EQ(output->GetLargestPossibleRegion().GetSize(), (itk::Size<3>{ { 5, 4, 3 } }));
  EXPECT_EQ(output->GetPixel({ { 4, 3, 2 } }), 257.0f);
  fs::remove(Path("output.nrrd"));

  WriteBigEndianNifti(Path("big.nii"), 118);
  ExpectRejected({ Path("big.nii"), Path("output.nrrd") },
                 "input \"" + Path("big.nii") +
                   "\" is cut short: its header describes 120 bytes of voxel data but "
                   "the file holds 118",
                 { "big.nii" });
}
} // namespace
