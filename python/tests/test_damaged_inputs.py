"""Input files cut short (a copy or download that did not finish) are refused before anything is
read, where ITK 5.2's readers give zeros (NIfTI) or go on after a message (MetaImage); the same
files whole, however they are stored, run unchanged."""
import gzip
import os
import shutil
import struct
import zlib

import numpy as np
import pytest

import itk

import patchstreaming
from patchstreaming import PatchDataset

SHAPE = (11, 13, 17)  # (D, H, W)
VOXEL_BYTES = 11 * 13 * 17 * 4

# (file to give, files written, file to cut, fraction of it kept (None: all but one float), compressed)
STORED = [
    ("plain.nii", ["plain.nii"], "plain.nii", None, False),
    ("gzip.nii.gz", ["gzip.nii.gz"], "gzip.nii.gz", 0.5, False),
    ("pair.hdr", ["pair.hdr", "pair.img"], "pair.img", None, False),
    ("local.mha", ["local.mha"], "local.mha", None, False),
    ("zlib.mha", ["zlib.mha"], "zlib.mha", 0.6, True),
    ("detached.mhd", ["detached.mhd", "detached.raw"], "detached.raw", None, False),
    ("zlib.mhd", ["zlib.mhd", "zlib.zraw"], "zlib.zraw", 0.5, True),
    # A raw NRRD is memory-mapped, not read by ITK's reader (helper-67: numpy's "mmap length is greater than file size").
    ("raw.nrrd", ["raw.nrrd"], "raw.nrrd", None, False),
]


def _image(seed: int = 5):
    array = np.random.default_rng(seed).random(SHAPE, dtype=np.float32)
    image = itk.image_from_array(array)
    image.SetSpacing((0.7, 1.25, 2.5))
    return array, image


def _cut(file: str, kept) -> None:
    length = os.path.getsize(file)
    with open(file, "r+b") as stream:
        stream.truncate(int(kept * length) if kept is not None else length - 4)


@pytest.mark.parametrize("name, files, cut, kept, compressed", STORED)
def test_a_file_cut_short_is_refused_and_a_whole_one_runs(tmp_path, name, files, cut, kept, compressed):
    array, image = _image()
    file = str(tmp_path / name)
    itk.imwrite(image, file, compression=compressed)
    assert sorted(os.listdir(tmp_path)) == sorted(files)

    result = patchstreaming.sliding_window_inference(file, lambda x: x, 8, mode="crop", progress=False)
    np.testing.assert_array_equal(itk.array_from_image(result), array)
    assert len(PatchDataset([file], patch_size=8, samples_per_volume=1)) == 1

    _cut(str(tmp_path / cut), kept)
    message = rf"image='.*{name}' is cut short: its header describes {VOXEL_BYTES} bytes of voxel data"
    with pytest.raises(ValueError, match=message):
        patchstreaming.sliding_window_inference(file, lambda x: x, 8, progress=False)
    with pytest.raises(ValueError, match=rf"subjects\[0\]='.*{name}' is cut short"):
        PatchDataset([file], patch_size=8)
    assert sorted(os.listdir(tmp_path)) == sorted(files)


@pytest.mark.parametrize("name, data_name, check_bytes_from_end",
                         [("gzip.nii.gz", None, 6), ("zlib.mha", None, 2), ("zlib.mhd", "zlib.zraw", 2)])
@pytest.mark.parametrize("where", ["check value", "mid-stream"])
def test_a_damaged_compressed_file_is_called_damaged_not_cut_short(tmp_path, name, data_name, check_bytes_from_end,
                                                                   where):
    """helper-68 (with the command-line tool): a wrong CRC or byte was reported as "cut short ... the
    file holds 0", sending one looking for an interrupted download. Data in a file of its own (a
    .mhd's .zraw) is named, as the command-line tool names it."""
    image = itk.image_from_array(np.random.default_rng(7).random((32, 40, 48), dtype=np.float32))  # header first
    file = str(tmp_path / name)
    itk.imwrite(image, file, compression=True)
    damaged = str(tmp_path / (data_name or name))
    with open(damaged, "r+b") as stream:
        length = os.path.getsize(damaged)
        stream.seek(length - check_bytes_from_end if where == "check value" else length // 2)
        byte = stream.read(1)[0] ^ 0x5A
        stream.seek(-1, os.SEEK_CUR)
        stream.write(bytes([byte]))
    in_data_file = rf" in '.*/{data_name}'" if data_name else ""
    with pytest.raises(ValueError, match=rf"^image='.*{name}' is damaged: its compressed voxel data{in_data_file} "
                                         rf"does not decompress \(zlib: [^)]+\): some of its bytes are wrong, not "
                                         rf"missing$"):
        patchstreaming.sliding_window_inference(file, lambda x: x, 8, progress=False)


def test_gzip_members_one_after_another_and_a_missing_trailer_are_whole(tmp_path):
    """A .nii.gz in two gzip members (as pigz and bgzip write) holds all its voxels, and so does
    one whose 8-byte trailer (CRC and length) alone is missing: neither is refused."""
    array, image = _image(6)
    plain = str(tmp_path / "plain.nii")
    itk.imwrite(image, plain)
    with open(plain, "rb") as stream:
        data = stream.read()
    members = str(tmp_path / "members.nii.gz")
    with open(members, "wb") as stream:
        stream.write(gzip.compress(data[:1000]) + gzip.compress(data[1000:]))
    no_trailer = str(tmp_path / "no_trailer.nii.gz")
    with open(no_trailer, "wb") as stream:
        stream.write(gzip.compress(data)[:-8])
    for file in (members, no_trailer):
        result = patchstreaming.sliding_window_inference(file, lambda x: x, 8, mode="crop", progress=False)
        np.testing.assert_array_equal(itk.array_from_image(result), array)


def test_bytes_after_the_last_gzip_member_are_ignored_as_zlib_does(tmp_path):
    """helper-69: zero padding after a .nii.gz's gzip stream was called damaged by the Python
    package only; zlib's gzread, which ITK's reader and the command-line tool use, ignores it."""
    array, image = _image(8)
    plain = str(tmp_path / "plain.nii")
    itk.imwrite(image, plain)
    padded = str(tmp_path / "padded.nii.gz")
    with open(plain, "rb") as stream, open(padded, "wb") as out:
        out.write(gzip.compress(stream.read()) + bytes(16))
    result = patchstreaming.sliding_window_inference(padded, lambda x: x, 8, mode="crop", progress=False)
    np.testing.assert_array_equal(itk.array_from_image(result), array)


def test_a_big_endian_nifti_is_measured_in_its_own_byte_order(tmp_path):
    """A NIfTI-1 file written byte by byte from nifti1.h's layout, most significant byte first
    (ITK writes the machine's order): 5x4x3 shorts, 120 bytes of voxels."""
    header = bytearray(352)
    struct.pack_into(">i", header, 0, 348)
    struct.pack_into(">4h", header, 40, 3, 5, 4, 3)  # dim
    struct.pack_into(">hh", header, 70, 4, 16)  # datatype DT_INT16, bitpix
    struct.pack_into(">4f", header, 76, 1.0, 1.0, 1.0, 1.0)  # pixdim (qfac first)
    struct.pack_into(">f", header, 108, 352.0)  # vox_offset
    header[344:348] = b"n+1\0"
    file = str(tmp_path / "big.nii")
    voxels = np.arange(60, dtype=">i2").reshape(3, 4, 5)
    with open(file, "wb") as stream:
        stream.write(bytes(header) + voxels.tobytes())
    result = patchstreaming.sliding_window_inference(file, lambda x: x, 4, mode="crop", progress=False)
    np.testing.assert_array_equal(itk.array_from_image(result), voxels.astype(np.float32))
    shutil.copyfile(file, str(tmp_path / "short.nii"))
    _cut(str(tmp_path / "short.nii"), None)  # 116 of the 120 bytes
    with pytest.raises(ValueError, match="describes 120 bytes of voxel data but the file holds 116"):
        patchstreaming.sliding_window_inference(str(tmp_path / "short.nii"), lambda x: x, 4, progress=False)


@pytest.mark.parametrize("header, data", [("detached.mhd", "detached.raw"), ("pair.hdr", "pair.img"),
                                          ("pair.hdr.gz", "pair.img.gz")])
def test_a_missing_voxel_data_file_is_named(tmp_path, header, data):
    _, image = _image(7)
    itk.imwrite(image, str(tmp_path / header))
    os.remove(tmp_path / data)
    with pytest.raises(ValueError, match=rf"^image='.*{header}': its voxel data file '.*{data}' does not exist"):
        patchstreaming.sliding_window_inference(str(tmp_path / header), lambda x: x, 8, progress=False)


@pytest.mark.parametrize("sizes, hint", [
    ("5 6 7 1", r"\(5x6x7x1 voxels: its axes past the third are one voxel long; save it as a 3-D image\)"),
    ("5 6 1 7", r"\(5x6x1x7 voxels: a series or channels on the axes past the third are not read; store channels as the "
                r"voxels' components, a vector image\)")])
def test_a_4d_image_is_refused_with_what_to_do(tmp_path, sizes, hint):
    """helper-45: a 3-D volume saved with a 4th axis of one voxel was refused as 4-D with no hint."""
    file = tmp_path / "four.mha"
    file.write_bytes(f"ObjectType = Image\nNDims = 4\nDimSize = {sizes}\nElementType = MET_FLOAT\n"
                     f"ElementDataFile = LOCAL\n".encode() + bytes(5 * 6 * 7 * 4))
    with pytest.raises(ValueError, match=rf"^image='.*four.mha': a 4-D image; expected 2-D or 3-D {hint}$"):
        patchstreaming.sliding_window_inference(str(file), lambda x: x, 4, progress=False)
    # helper-49: PatchDataset read the first volume of a series silently.
    with pytest.raises(ValueError, match=rf"^subjects\[0\]=.*four.mha': a 4-D image; expected 2-D or 3-D {hint}$"):
        patchstreaming.PatchDataset([str(file)], patch_size=4)


def test_an_upper_case_header_is_measured_by_the_data_file_it_reads(tmp_path):
    """helper-49: X.HDR reads X.IMG (the NIfTI library keeps the header's case); a cut-short X.IMG was read
    while the whole X.img beside it was measured."""
    _, image = _image(7)
    itk.imwrite(image, str(tmp_path / "lower.hdr"))
    os.rename(tmp_path / "lower.hdr", tmp_path / "X.HDR")
    shutil.copyfile(tmp_path / "lower.img", tmp_path / "X.img")
    os.rename(tmp_path / "lower.img", tmp_path / "X.IMG")
    _cut(str(tmp_path / "X.IMG"), 0.1)
    with pytest.raises(ValueError, match=r"^image='.*X.HDR' is cut short: its header describes \d+ bytes of voxel "
                                         r"data in '.*X.IMG'"):
        patchstreaming.sliding_window_inference(str(tmp_path / "X.HDR"), lambda x: x, 4, progress=False)


@pytest.mark.parametrize("binary", ["False", "F", "0"])
def test_a_metaimage_of_text_voxels_is_refused(tmp_path, binary):
    """ITK 5.2 reads text voxels (BinaryData = False) wrongly when it reads part of the image."""
    file = tmp_path / "text.mha"
    file.write_text("ObjectType = Image\nNDims = 2\nDimSize = 3 2\nElementType = MET_FLOAT\n"
                    f"BinaryData = {binary}\nElementDataFile = LOCAL\n1 2 3 4 5 6\n")
    with pytest.raises(ValueError, match=rf"image='.*text.mha' holds its voxels as text \(BinaryData = {binary}\)"):
        patchstreaming.sliding_window_inference(str(file), lambda x: x, 2, progress=False)


def test_headers_the_readers_accept_are_measured_as_they_read_them(tmp_path):
    """'CompressedData = T' and 'ElementDataFile = Local' (MetaIO reads both); a .nii with
    vox_offset 348 and a bitpix that disagrees with its datatype (niftilib sizes voxels from
    the datatype); an upper-case .HDR + .IMG pair."""
    values = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    data = zlib.compress(values.tobytes())
    (tmp_path / "zlib.mha").write_bytes(
        b"ObjectType = Image\nNDims = 2\nDimSize = 3 2\nElementType = MET_FLOAT\nCompressedData = T\n"
        + f"CompressedDataSize = {len(data)}\nElementDataFile = Local\n".encode() + data)
    header = bytearray(348)
    struct.pack_into("<i", header, 0, 348)
    struct.pack_into("<3h", header, 40, 2, 3, 2)  # dim
    struct.pack_into("<hh", header, 70, 16, 64)  # DT_FLOAT32, a bitpix that disagrees
    struct.pack_into("<3f", header, 76, 1.0, 1.0, 1.0)
    struct.pack_into("<f", header, 108, 348.0)
    header[344:348] = b"n+1\0"
    (tmp_path / "offset.nii").write_bytes(bytes(header) + values.tobytes())
    itk.imwrite(itk.image_from_array(values), str(tmp_path / "pair.hdr"))
    os.rename(tmp_path / "pair.hdr", tmp_path / "PAIR.HDR")
    os.rename(tmp_path / "pair.img", tmp_path / "PAIR.IMG")
    for name in ("zlib.mha", "offset.nii", "PAIR.HDR"):
        result = patchstreaming.sliding_window_inference(str(tmp_path / name), lambda x: x, 2, mode="crop",
                                                         progress=False)
        np.testing.assert_array_equal(itk.array_from_image(result), values, err_msg=name)
