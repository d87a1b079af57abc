"""The check that an input file holds all the voxel data its header describes.

ITK 5.2's readers do not report a file cut short (a copy or download that did not finish):
the NIfTI reader reads the missing voxels as zeros, the MetaImage reader prints a message and
goes on. ``check_voxel_data`` measures the data against the header before anything is read.
The command-line tool keeps the same rule in C++ (``CheckVoxelDataLength`` in
apps/PatchwiseFilter/PatchwiseVoxelData.cxx): change both together.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from typing import Dict, NamedTuple, Optional, Tuple

_CHUNK = 1 << 20
#: The file name endings (lower case) of the formats whose written voxel data is read back and measured.
_MEASURED = (".nii", ".nii.gz", ".hdr", ".hdr.gz", ".img", ".img.gz", ".mha", ".mhd")


class _VoxelData(NamedTuple):
    file: str
    offset: int  # in the decompressed stream for gzip files, in the file for zlib streams
    nbytes: int
    zlib_stream: bool


def check_voxel_data(path: str, voxel_bytes: int, parameter: str) -> None:
    """Raises ValueError naming ``parameter`` and ``path`` when the voxel data of the image file
    ``path`` is shorter than its header says.

    Checked: NIfTI-1 and Analyze 7.5 (``.nii``, ``.nii.gz``, ``.hdr`` + ``.img``, ``.img.gz``):
    ``dim`` times the ``datatype``'s size from ``vox_offset``, gzip-decompressed as the reader does;
    MetaImage (``.mha``, ``.mhd``): ``voxel_bytes`` (the ImageIO's ``GetImageSizeInBytes()``)
    after the header (``LOCAL``) or from ``HeaderSize`` of its data file, inflated (zlib or gzip)
    when ``CompressedData`` is true; text voxels (``BinaryData = False``) are refused, as ITK 5.2
    reads them wrongly in parts; raw-encoded NRRD (``.nrrd``, ``.nhdr``): ``voxel_bytes`` from its
    ``byte skip``, attached or in one data file (the package memory-maps it, so ITK's reader, which
    refuses a short NRRD itself, does not see it). Other formats and encodings, and data split over
    several files, are left to their readers. A data file that does not exist is named as such;
    compressed data that does not decompress is called damaged.
    """
    try:
        measured = _measure(path, voxel_bytes, repr(path))
    except _DamagedData as damaged:
        raise ValueError(f"{parameter}={path!r} is damaged: its compressed voxel data{damaged.where(path)} does not "
                         f"decompress (zlib: {damaged}): some of its bytes are wrong, not missing") from None
    except ValueError as error:  # text voxels, a missing data file: named by the path, here by the parameter too
        raise ValueError(f"{parameter}={error}") from None
    if measured is not None and measured[1] < measured[0].nbytes:
        data = measured[0]
        where = "" if data.file == path else f" in {data.file!r}"
        raise ValueError(f"{parameter}={path!r} is cut short: {_shortfall(*measured, where)}: a copy or download "
                         f"that did not finish?")


def check_written_image(written: str, target: str) -> None:
    """Raises OSError naming the output ``target`` when the image file ITK's writer wrote at
    ``written`` holds less voxel data than its header describes (the rule of
    :func:`check_voxel_data`), or its header cannot be read back: ITK 5.2's MetaImage and NIfTI
    writers report a failed write (a full disk, a file size limit) on stderr only and return,
    leaving a file cut short (its NRRD writer raises itself), or, for a MetaImage written piece by
    piece, full length with holes where the pieces that failed were to go (``_first_hole``); other
    formats are not read back. The
    C++ twin is ``CheckWrittenImage``
    in apps/PatchwiseFilter/PatchwiseVoxelData.cxx."""
    import itk

    named, cause = f"output={target!r} was not written whole", " (a full disk, or a file size limit?)"
    if not written.lower().endswith(_MEASURED):  # TIFF, NRRD (whose writer raises), formats ITK cannot read back
        return
    io = itk.ImageIOFactory.CreateImageIO(written, itk.CommonEnums.IOFileMode_ReadMode)
    if io is None:
        raise OSError(f"{named}: ITK cannot read back its header{cause}")
    try:
        io.SetFileName(written)
        io.ReadImageInformation()
    except RuntimeError as error:
        raise OSError(f"{named}: ITK cannot read back its header ({error}){cause}") from None
    try:
        measured = _measure(written, io.GetImageSizeInBytes(), named)
    except _DamagedData as damaged:  # its data file is named by the output's: the written one is temporary
        raise OSError(f"{named}: its compressed voxel data does not decompress (zlib: {damaged}){cause}") from None
    except ValueError as error:  # the data file is missing
        raise OSError(f"{error}{cause}") from None
    if measured is not None and measured[1] < measured[0].nbytes:
        raise OSError(f"{named}: {_shortfall(*measured, '')}{cause}")
    data = measured[0] if measured is not None else None
    if data is not None and not (data.zlib_stream or data.file.lower().endswith(".gz")):
        hole = _first_hole(data.file, data.offset, data.nbytes)
        if hole < data.offset + data.nbytes:
            raise OSError(f"{named}: its voxel data has a hole from byte {hole - data.offset} of {data.nbytes} on, "
                          f"never written{cause}")


#: statfs's f_type of the file systems where a hole can only be bytes never written: ext2/3/4, XFS,
#: Btrfs, tmpfs (ZFS with compression stores runs of zeros as holes, and so may a file system in
#: front of one: NFS, Lustre, overlayfs, FUSE).
_HOLES_ARE_UNWRITTEN = (0xEF53, 0x58465342, 0x9123683E, 0x01021994)


def _file_system_type(descriptor: int) -> Optional[int]:
    """fstatfs's f_type of the file system of the open file ``descriptor`` (Linux), or None."""
    import ctypes

    class StatFs(ctypes.Structure):  # struct statfs begins with f_type; the rest is room for the kernel
        _fields_ = [("f_type", ctypes.c_long), ("rest", ctypes.c_byte * 256)]

    result = StatFs()
    try:
        fstatfs = ctypes.CDLL(None, use_errno=True).fstatfs
    except (OSError, AttributeError):
        return None
    return int(result.f_type) if fstatfs(descriptor, ctypes.byref(result)) == 0 else None


def _first_hole(file: str, offset: int, nbytes: int) -> int:
    """The first byte of [offset, offset + nbytes) of ``file`` in a hole (never written, read as
    zeros), or offset + nbytes when there is none or the file system is not one where a hole can
    only be that (_HOLES_ARE_UNWRITTEN). ITK 5.2's MetaImage writer makes the file of a streamed
    output full length first, then writes each piece into it and goes on when a write fails (a
    full disk): the pieces lost are holes. The C++ twin is ``FirstHole`` in
    apps/PatchwiseFilter/PatchwiseVoxelData.cxx."""
    end = offset + nbytes
    if not hasattr(os, "SEEK_HOLE"):
        return end
    descriptor = os.open(file, os.O_RDONLY)
    try:
        if _file_system_type(descriptor) not in _HOLES_ARE_UNWRITTEN:
            return end
        return min(os.lseek(descriptor, offset, os.SEEK_HOLE), end)
    except OSError:
        return end
    finally:
        os.close(descriptor)


def _measure(path: str, voxel_bytes: int, named: str):
    """The voxel data of ``path`` and the bytes its file holds of it, or None for a format not
    checked; raises ValueError naming the file as ``named`` when the data file does not exist."""
    data = _voxel_data(path, voxel_bytes)
    if data is None:
        return None
    if not os.path.isfile(data.file):
        raise ValueError(f"{named}: its voxel data file {data.file!r} does not exist")
    try:
        if data.zlib_stream:
            return data, _inflated_length(data.file, data.offset)
        size = _gzip_length(data.file) if data.file.lower().endswith(".gz") else os.path.getsize(data.file)
    except _DamagedData as damaged:
        damaged.file = data.file
        raise
    return data, max(size - data.offset, 0)


def _shortfall(data: _VoxelData, length: int, where: str) -> str:
    compressed = data.zlib_stream or data.file.lower().endswith(".gz")
    return (f"its header describes {data.nbytes} bytes of voxel data{where}{' (decompressed)' if compressed else ''} "
            f"but the file holds {length}")


class _DamagedData(ValueError):
    """Compressed voxel data that does not decompress (a wrong byte or check value): zlib's reason,
    and (set by _measure) the file that holds the data."""

    file: str = ""

    def where(self, header: str) -> str:
        """`` in 'data file'`` when the data is not in the ``header``'s file (a .mhd's .zraw, a .img.gz)."""
        return "" if not self.file or self.file == header else f" in {self.file!r}"


def _decompressed_length(stream, wbits: int, members: bool) -> int:
    """The bytes the compressed ``stream`` decompresses to (``wbits`` as zlib's: gzip or zlib),
    gzip members one after another when ``members``; a stream that ends early counts what it
    holds up to there, a damaged one raises _DamagedData. Decompressed a piece at a time: memory
    stays small."""
    length, decompressor, data = 0, zlib.decompressobj(wbits), b""
    while True:
        data = data or stream.read(_CHUNK)
        if not data:
            return length
        try:
            length += len(decompressor.decompress(data, _CHUNK))
        except zlib.error as error:  # "Error -3 while decompressing data: incorrect data check"
            raise _DamagedData(str(error).split(": ", 1)[-1]) from None
        data = decompressor.unconsumed_tail
        if decompressor.eof:
            if not members:
                return length
            data = decompressor.unused_data or stream.read(_CHUNK)
            if len(data) < 2:
                data += stream.read(2 - len(data))
            if not data.startswith(b"\x1f\x8b"):  # bytes after the last member: ignored, as zlib's gzread does
                return length
            decompressor = zlib.decompressobj(wbits)


def _gzip_length(file: str) -> int:
    """The length of the gzip file ``file`` decompressed (a file that is not gzip: its size)."""
    with open(file, "rb") as stream:
        if stream.peek(2)[:2] != b"\x1f\x8b":
            return os.path.getsize(file)
        return _decompressed_length(stream, 16 + zlib.MAX_WBITS, members=True)


def _inflated_length(file: str, offset: int) -> int:
    """The length the zlib (or gzip) stream from byte ``offset`` of ``file`` inflates to."""
    with open(file, "rb") as stream:
        stream.seek(offset)
        return _decompressed_length(stream, 32 + zlib.MAX_WBITS, members=False)  # zlib or gzip, as MetaIO reads


def _head(file: str, count: int) -> bytes:
    """The first ``count`` bytes of ``file``, gzip-decompressed when it is gzip (fewer when it is
    shorter or damaged)."""
    with open(file, "rb") as stream:
        if stream.peek(2)[:2] != b"\x1f\x8b":
            return stream.read(count)
    try:
        with gzip.open(file, "rb") as stream:
            return stream.read(count)
    except (OSError, EOFError, zlib.error):
        return b""


#: Bits per voxel of nifti1.h's DT_* codes (niftilib sizes voxels from the datatype, not bitpix).
_DATATYPE_BITS = {2: 8, 256: 8, 4: 16, 512: 16, 128: 24, 8: 32, 16: 32, 768: 32, 2304: 32, 32: 64, 64: 64,
                  1024: 64, 1280: 64, 1536: 128, 1792: 128, 2048: 256}


def _nifti_voxel_data(header: str, data_file: str, single_file: bool) -> Optional[_VoxelData]:
    """The voxel data a NIfTI-1 or Analyze 7.5 ``header`` describes in ``data_file`` (None when
    the header is neither or is damaged: the reader's to report). The byte offsets are
    nifti1.h's: dim (8 shorts) at 40, datatype at 70, vox_offset (a float) at 108; a single
    file's voxels start at 348 or later (niftilib's floor, sizeof(nifti_1_header))."""
    if not os.path.isfile(header):
        return None
    head = _head(header, 348)
    if len(head) < 348:
        return None
    order = "<" if struct.unpack_from("<i", head, 0)[0] == 348 else ">"
    dim = struct.unpack_from(order + "8h", head, 40)
    voxel_bits = _DATATYPE_BITS.get(struct.unpack_from(order + "h", head, 70)[0], 0)
    if struct.unpack_from(order + "i", head, 0)[0] != 348 or not 1 <= dim[0] <= 7 or voxel_bits == 0:
        return None
    bits = voxel_bits
    for extent in dim[1:dim[0] + 1]:
        bits *= max(extent, 1)
    lowest = 348 if single_file else 0
    vox_offset = struct.unpack_from(order + "f", head, 108)[0]
    offset = int(vox_offset) if lowest <= vox_offset < 1e15 else lowest
    return _VoxelData(data_file, offset, (bits + 7) // 8, False)


def nifti_pair_candidates(path: str) -> list:
    """The other file of an Analyze/NIfTI pair named ``path`` (.hdr or .img, either compressed
    .gz), in the order the NIfTI library looks for it: uncompressed, then .gz; in upper case when
    ``path``'s ending is (X.HDR: X.IMG, X.IMG.GZ), as the library does. Empty for another name.
    The C++ twin is ``NiftiPairCandidates`` in apps/PatchwiseFilter/PatchwiseVoxelData.cxx."""
    size = 7 if path.lower().endswith(".gz") else 4
    ending = path[-size:]
    if len(path) < size or ending.lower() not in (".hdr", ".img", ".hdr.gz", ".img.gz"):
        return []
    upper = ending == ending.upper()
    other = {".hdr": ".img", ".img": ".hdr"}[ending.lower()[:4]]
    other, gz = (other.upper(), ".GZ") if upper else (other, ".gz")
    return [path[:-size] + other, path[:-size] + other + gz]


def reads_regions_alone(io) -> bool:
    """Whether ITK 5.2 reads a region of a file (its header read by ``io``) without the rest: not
    when ``io.CanStreamRead()`` says no (a compressed MetaImage: ITK's reader still reads it
    region by region when asked for one patch at a time, MetaIO decompressing from the start
    for every region and saying "data not read completely" for some; NRRD), and never
    for NIfTI or Analyze (the NIfTI library leaves the file open for every part read, and writes
    past its buffer for a multi-component image). Files it refuses are read whole, once (the
    command line reads NIfTI whole too, in PatchwiseSource)."""
    return bool(io.CanStreamRead()) and io.GetNameOfClass() != "NiftiImageIO"


def header_field_value(line: str, key: str) -> str:
    """The value after ``key =`` (or ``key:``) on a MetaImage or NRRD header line, stripped; "" for
    another key. MetaIO allows leading blanks and either separator."""
    stripped = line.lstrip(" \t")
    if not stripped.startswith(key):
        return ""
    rest = stripped[len(key):].lstrip(" \t")
    return rest[1:].strip(" \t\r\n") if rest[:1] in ("=", ":") else ""


def _metaimage_true(value: str) -> bool:
    """A MetaIO boolean: true when it starts with T, t or 1, as MetaIO reads it."""
    return value[:1] in ("T", "t", "1")


def _metaimage_voxel_data(path: str, voxel_bytes: int) -> Optional[_VoxelData]:
    """``voxel_bytes`` after the header (LOCAL) or from HeaderSize of the data file; None for a
    file list or pattern, or HeaderSize -1 (the data at the file's end). Raises ValueError for
    text voxels (BinaryData = False), which ITK 5.2's reader reads wrongly in parts."""
    compressed, header_size = False, "0"
    with open(path, "rb") as header:
        for raw in iter(header.readline, b""):
            line = os.fsdecode(raw)  # file names as the file system spells them
            data_file = header_field_value(line, "ElementDataFile")
            compressed = compressed or _metaimage_true(header_field_value(line, "CompressedData"))
            binary = header_field_value(line, "BinaryData")
            if binary and not _metaimage_true(binary):
                raise ValueError(f"{path!r} holds its voxels as text (BinaryData = {binary}), which ITK 5.2 reads "
                                 f"wrongly in parts: write it with binary voxels (BinaryData = True; e.g. itk.imwrite)")
            header_size = header_field_value(line, "HeaderSize") or header_size
            if data_file.lower() == "local":
                return _VoxelData(path, header.tell() if raw.endswith(b"\n") else os.path.getsize(path),
                                  voxel_bytes, compressed)
            if data_file:
                single = not data_file.lower().startswith("list") and not any(c in data_file for c in "% ")
                known = header_size.isdigit() and len(header_size) < 16
                return _VoxelData(os.path.join(os.path.dirname(path), data_file), int(header_size), voxel_bytes,
                                  compressed) if single and known else None
    return None


def _voxel_data(path: str, voxel_bytes: int) -> Optional[_VoxelData]:
    """Where the voxels of ``path`` are, from its header (None for formats not checked)."""
    name = path.lower()
    if name.endswith((".nii", ".nii.gz")):
        return _nifti_voxel_data(path, path, True)
    candidates = nifti_pair_candidates(path)
    if candidates:  # the file the library reads; a missing one named as ITK writes it (the same compression)
        other = next((c for c in candidates if os.path.exists(c)), candidates[name.endswith(".gz")])
        return (_nifti_voxel_data(path, other, False) if name.endswith((".hdr", ".hdr.gz")) else
                _nifti_voxel_data(other, path, False))
    if name.endswith((".mha", ".mhd")):
        return _metaimage_voxel_data(path, voxel_bytes)
    if name.endswith((".nrrd", ".nhdr")):
        return _nrrd_voxel_data(path, voxel_bytes)
    return None


def nrrd_header_fields(path: str) -> Optional[Tuple[Dict[str, str], int]]:
    """The fields of the NRRD header ``path`` (keys in lower case, values stripped) and the byte
    after the blank line that ends it (where attached data begins); None when it is not NRRD."""
    fields = {}
    with open(path, "rb") as header:
        if not header.readline().startswith(b"NRRD"):
            return None
        for line in header:
            line = os.fsdecode(line).rstrip("\r\n")
            if not line:
                break
            if line.startswith("#") or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.lstrip("=").strip()
        return fields, header.tell()


def _nrrd_voxel_data(path: str, voxel_bytes: int) -> Optional[_VoxelData]:
    """``voxel_bytes`` of a raw-encoded NRRD, attached or in one detached data file, from its byte
    skip; None for another encoding (teem's reader refuses those cut short itself), a file list or
    pattern, a line skip, or byte skip -1 (the data at the file's end). The package memory-maps a
    raw NRRD (_sources.py) instead of reading it with ITK, so it is measured here."""
    parsed = nrrd_header_fields(path)
    if parsed is None:
        return None
    fields, attached_offset = parsed
    data_file = fields.get("data file", fields.get("datafile"))
    skip = fields.get("byte skip", fields.get("byteskip", "0"))
    if (fields.get("encoding") != "raw" or fields.get("line skip", fields.get("lineskip", "0")) != "0" or
            not skip.isdigit() or (data_file is not None and (" " in data_file or data_file == "LIST"))):
        return None  # byte skip -1 too: teem's header reader finds the data's start, and refuses a file cut short
    file = os.path.join(os.path.dirname(path), data_file) if data_file else path
    return _VoxelData(file, int(skip) + (0 if data_file else attached_offset), voxel_bytes, False)
