"""The output files of sliding_window_inference: which files an image file name stands for when
ITK reads or writes it (a .mhd's data file, a NIfTI pair), the checks that an output is
writable and never writes over its input or another image, and the hidden folder it is
written into. The command-line tool keeps the same rules in C++
(apps/PatchwiseFilter/ImageFileNames.cxx, AtomicOutputFile.cxx)."""
from __future__ import annotations

import os
import re
import stat
import tempfile
from typing import Mapping, Optional, Sequence, Tuple

import itk

from ._images import a_type
from ._voxel_data import header_field_value, nifti_pair_candidates

def mode_for(path: str, sibling: str) -> int:
    """The permissions a file written to ``path`` takes: those of the file it replaces (a private
    0600 result stays private, a group-shared 0664 one shared; not the setuid, setgid or sticky
    bits); for a data file new beside an existing header (x.raw where x.zraw was), the header's,
    ``sibling``'s; else (no file, or a symbolic link, which the file replaces) 0666 less the
    umask, as a writer opening the file itself would give it."""
    for candidate in (path, sibling):
        try:
            existing = os.lstat(candidate)
        except OSError:
            continue
        return stat.S_IMODE(existing.st_mode) & 0o777 if stat.S_ISREG(existing.st_mode) else 0o666 & ~_umask()
    return 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_form(output) -> None:
    """Raises TypeError unless ``output`` is None, a file name (str or os.PathLike), or a tuple, list
    or dict of file names (one per output of a predictor returning a tuple or dict): a set has no
    order to match the outputs with, a generator is used up by looking at it."""
    expected = ("expected a file name (str or os.PathLike), or a tuple or dict of them for a predictor "
                "returning a tuple or dict")
    if output is None or isinstance(output, (str, os.PathLike)):
        return
    if isinstance(output, bytes):
        raise TypeError(f"output={output!r}: {expected} (not bytes)")
    if isinstance(output, (set, frozenset)):
        raise TypeError(f"output={output!r}: a set has no order to match the predictor's outputs with; give a tuple "
                        f"(one file per output, in order) or a dict")
    if not isinstance(output, (tuple, list, Mapping)):
        raise TypeError(f"output={output!r}: {a_type(output)}; {expected}")
    names = output.values() if isinstance(output, Mapping) else output
    for name in names:
        if not isinstance(name, (str, os.PathLike)):
            raise TypeError(f"output={output!r}: {name!r} is {a_type(name)}; {expected}")


def named_files(output) -> list:
    """The file names ``output`` gives (None: none; one; a tuple, list or dict of them), as
    ``check_output_form`` lets it through; its form is matched with the predictor's outputs later."""
    if output is None:
        return []
    if isinstance(output, (str, os.PathLike)):
        return [output]
    return list(output.values()) if isinstance(output, Mapping) else list(output)


def distinct_files(files, output):
    """Raises ValueError when two outputs would write the same file: named twice, or one's data
    file the other's (y.mhd and y.nhdr both write y.raw, z.hdr and z.img the same pair)."""
    seen = {}
    for file in files:
        for written in _files_written_for(os.path.realpath(os.fspath(file))):
            if written in seen:
                raise ValueError(f"output={output!r}: {seen[written]!r} and {os.fspath(file)!r} would both write "
                                 f"{written!r}; each output needs its own files")
            seen[written] = os.fspath(file)
    return files


def _files_read_for(path: str) -> list:
    """The files reading the image file ``path`` reads: itself and, for a header naming separate
    data files (MetaImage .mha or .mhd ``ElementDataFile``, NRRD .nrrd or .nhdr ``data file``: one
    file, a ``LIST`` or a ``%d`` pattern; Analyze/NIfTI .hdr + .img, or .hdr.gz + .img.gz, and the
    other compression, which the NIfTI library falls back to), those files. The
    command-line tool keeps the same rule in C++ (``FilesReadFor`` in
    apps/PatchwiseFilter/ImageFileNames.cxx): change both together."""
    extension = os.path.splitext(path)[1].lower()
    paired = _paired_files(path, True)
    if paired:
        return [path] + paired
    if extension not in (".mha", ".mhd", ".nrrd", ".nhdr") or not os.path.isfile(path):
        return [path]
    metaimage = extension in (".mha", ".mhd")
    with open(path, "rb") as header:
        lines = os.fsdecode(header.read(1 << 20)).split("\n")  # as MetaIO and NRRD end lines (and the C++ twin)
    for n, line in enumerate(lines):
        if not metaimage and not line.strip():
            break  # a NRRD header ends at its first blank line
        value = (header_field_value(line, "ElementDataFile") if metaimage else
                 header_field_value(line, "data file") or header_field_value(line, "datafile"))
        if value:
            return [path] + [os.path.join(os.path.dirname(path), name)
                             for name in _named_data_files(value, lines[n + 1:])]
    return [path]


def _named_data_files(value: str, following: Sequence[str]) -> list:
    """The files a data-file field's ``value`` names: none for LOCAL; for LIST, the names on the
    header's ``following`` lines; for a pattern ``name%03d.raw first last step`` (MetaIO's and
    NRRD's), each name (at most 100000; a pattern other than one ``%d`` conversion names none);
    else the value itself."""
    words = value.split()
    if value == "LOCAL":
        return []
    if words[0] == "LIST":
        return [line.split()[0] for line in following if line.split()]
    if "%" not in words[0]:
        return [value]
    try:
        first, last, step = (int(w) for w in words[1:4])
    except ValueError:
        return []
    if not re.fullmatch(r"[^%]*%0?[0-9]{0,3}d[^%]*", words[0]) or step == 0:
        return []
    return [words[0] % i for i in range(first, last + (1 if step > 0 else -1), step)[:100000]]


def rename_data_file_in_header(header: str, old: str, new: str) -> None:
    """Rewrites the MetaImage header ``header`` so that its ElementDataFile ``old`` reads ``new``
    (the C++ twin is RenameDataFileInHeader in apps/PatchwiseFilter/AtomicOutputFile.cxx)."""
    with open(header, "rb") as file:
        lines = os.fsdecode(file.read()).split("\n")  # names as os.listdir gives them
    for i, line in enumerate(lines):
        if header_field_value(line, "ElementDataFile") == old:
            lines[i] = f"ElementDataFile = {new}"
            break
    else:
        raise RuntimeError(f"the MetaImage header {header!r} does not name its data file {old!r}")
    with open(header, "wb") as file:
        file.write(os.fsencode("\n".join(lines)))


def _files_written_for(path: str) -> list:
    """The files ITK's writers may create for the image file name ``path``: itself and, for a
    two-file format, the other file of the pair (.mhd: .raw or .zraw; .nhdr: .raw or .raw.gz;
    .hdr: .img; .hdr.gz: .img.gz; and the reverse). The C++ twin is ``FilesWrittenFor`` in
    apps/PatchwiseFilter/ImageFileNames.cxx."""
    root, extension = os.path.splitext(path)
    beside = {".mhd": (".raw", ".zraw"), ".nhdr": (".raw", ".raw.gz")}
    return [path] + [root + suffix for suffix in beside.get(extension.lower(), ())] + _paired_files(path, False)


def _header_sharing_data_file(path: str) -> Optional[Tuple[str, str]]:
    """A header beside ``path`` with its stem (x.mhd, x.mha, x.nhdr or x.nrrd, in lower or upper
    case, other than ``path`` itself) that reads a data file writing ``path`` would write (an output
    x.nhdr writes x.raw, which an existing x.mhd reads): ``(header, data file)``, else None. Writing
    would break that image. The C++ twin is ``HeaderSharingDataFile`` in
    apps/PatchwiseFilter/ImageFileNames.cxx."""
    written = _files_written_for(path)[1:]
    root = os.path.splitext(path)[0]
    for ending in (".mhd", ".mha", ".nhdr", ".nrrd") if written else ():
        for header in (root + ending, root + ending.upper()):
            if not os.path.isfile(header) or _same_file(header, path):
                continue
            shared = next((data for data in _files_read_for(header)[1:] for file in written
                           if _same_file(file, data)), None)
            if shared is not None:
                return header, shared
    return None


def _paired_files(path: str, for_reading: bool) -> list:
    """The other file of an Analyze/NIfTI pair named ``path`` (``nifti_pair_candidates``): the one
    ITK writes (the same compression), or with ``for_reading`` the ones the NIfTI library looks for
    up to the first that exists (all when none does: a file written there would be read). The C++
    twin is ``PairedFiles`` in apps/PatchwiseFilter/ImageFileNames.cxx."""
    candidates = nifti_pair_candidates(path)
    if not candidates:
        return []
    if not for_reading:
        return [candidates[path.lower().endswith(".gz")]]
    return candidates[:1] if os.path.exists(candidates[0]) else candidates


def _same_file(a: str, b: str) -> bool:
    if os.path.exists(a) and os.path.exists(b):
        return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def check_output_files(files) -> None:
    """Raises what check_output_folder raises, IsADirectoryError for an output that is a folder,
    ValueError for a file it would write that exists and is not a regular file (a device, a FIFO)
    or that another image beside it reads, and PermissionError for one the user may not write to."""
    for file in files:
        path = os.fspath(file)
        check_output_folder("output", path)
        if os.path.isdir(path):
            raise IsADirectoryError(f"output={path!r}: is a folder; expected a file name in it (.mha, .nrrd, .nii "
                                    f"or .nii.gz)")
        for written in _files_written_for(path):  # a device, FIFO or socket would be replaced by a file
            mode = os.lstat(written).st_mode if os.path.lexists(written) else None  # a link is replaced, not followed
            if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                raise ValueError(f"output={path!r}: {written!r} is not a regular file (a device, FIFO or socket), "
                                 f"which the output would replace: give the name of a file")
            # Replaced by a rename, which asks only the folder: a file the user may not write to (as
            # open() and ITK's writers refuse it) is refused here; not a compressed data file the
            # writers never make (x.zraw, x.raw.gz), left as it is.
            if (mode is not None and stat.S_ISREG(mode) and not written.endswith((".zraw", ".raw.gz")) and
                    not os.access(written, os.W_OK, effective_ids=True)):
                raise PermissionError(f"output={path!r}: {written!r} is read-only: make it writable (chmod u+w) or "
                                      f"write to another file")
        _check_metaimage_data_file_name(path)
        shared = _header_sharing_data_file(path)
        if shared is not None:
            raise ValueError(f"output={path!r} would overwrite {shared[1]!r}, the data file of {shared[0]!r} "
                             f"beside it: write to another file (or remove {shared[0]!r} first)")
        writer_io(path)


def check_output_folder(parameter: str, path: str) -> None:
    """Raises FileNotFoundError when the folder ``path`` is written into does not exist,
    NotADirectoryError when it is a file, and PermissionError (or the OSError met) when no file
    can be made in it: checked by making, then removing, a hidden folder there (a read-only file
    system passes os.access). The messages name ``parameter``."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        if os.path.exists(folder):
            raise NotADirectoryError(f"{parameter}={path!r}: {folder!r} is a file, not a folder")
        raise FileNotFoundError(f"{parameter}={path!r}: the folder {folder!r} does not exist")
    os.rmdir(partial_folder(path, folder, parameter))


def _check_metaimage_data_file_name(path: str) -> None:
    """Raises ValueError for a ``.mhd`` output whose data file name (its stem and ``.raw``) MetaIO
    would not read as one file: one starting with LIST is read as a list of files, one with a '%'
    as a pattern of numbered files, so the image would not read back. The C++ twin is
    ``CheckMetaImageDataFileName`` in apps/PatchwiseFilter/AtomicOutputFile.cxx."""
    stem, extension = os.path.splitext(os.path.basename(path))
    if extension.lower() != ".mhd" or not (stem.startswith("LIST") or "%" in stem):
        return
    how = ("starting with LIST as a list of files" if stem.startswith("LIST")
           else "with a '%' as a pattern of numbered files")
    raise ValueError(f"output={path!r}: MetaImage reads a data file name {how} ({stem}.raw), so the image would not "
                     f"read back: rename it, or write .mha (one file)")


def writer_io(file: str):
    """The ImageIO that writes the file name ``file``; ValueError when none does, or when ITK writes
    its format with a lower-case ending only (5.2's MetaImage writer takes ``.mha`` only; its NIfTI
    writer accepts ``OUT.NII``, then fails; ``.Nii.Gz`` is not probed, as the NIfTI library prints
    a line for it; its NRRD writer writes ``OUT.NHDR`` as one attached file)."""
    path = os.fspath(file)
    lowercase = _with_lowercase_ending(path)
    if lowercase != path:
        io = itk.ImageIOFactory.CreateImageIO(lowercase, itk.CommonEnums.IOFileMode_WriteMode)
        name = io.GetNameOfClass() if io is not None else ""
        if name in ("NiftiImageIO", "MetaImageIO"):
            raise ValueError(f"output={path!r}: ITK writes this format only with its ending in lower case "
                             f"(write it {lowercase!r})")
        # Its NRRD writer detaches the header for ".nhdr" only: "OUT.NHDR" would be one attached NRRD file.
        if name == "NrrdImageIO" and lowercase.endswith(".nhdr"):
            raise ValueError(f"output={path!r}: ITK writes a detached NRRD header and its data file only with the "
                             f"ending in lower case, else one attached NRRD file under this name (write it "
                             f"{lowercase!r}, or {lowercase[:-len('.nhdr')] + '.nrrd'!r} for one file)")
    io = itk.ImageIOFactory.CreateImageIO(path, itk.CommonEnums.IOFileMode_WriteMode)
    if io is None:
        raise ValueError(f"output={os.fspath(file)!r}: no image format of this ITK build writes this file name "
                         f"(use .mha, .nrrd, .nii or .nii.gz)")
    return io


def check_zarr_output_name(parameter: str, path: str) -> None:
    """Raises ValueError when ``path``, a Zarr array's folder to write, ends as an image file ITK
    writes (``x.mha``, ``x.nii.gz``): the folder would carry a name that ITK and Slicer take for an
    image file and cannot open."""
    io = itk.ImageIOFactory.CreateImageIO(_with_lowercase_ending(path), itk.CommonEnums.IOFileMode_WriteMode)
    if io is not None:
        stem, ending = os.path.splitext(path)
        if ending.lower() == ".gz":
            stem = os.path.splitext(stem)[0]
        raise ValueError(f"{parameter}={path!r} is the name of an image file ({io.GetNameOfClass()}), but this call "
                         f"writes a Zarr array, which is a folder: give a folder name such as {stem + '.zarr'!r}")


def _with_lowercase_ending(path: str) -> str:
    """``path`` with its extension in lower case, and the one before it when that is .gz
    (``OUT.NII.GZ`` gives ``OUT.nii.gz``)."""
    stem, ending = os.path.splitext(path)
    if ending.lower() == ".gz" and os.path.splitext(stem)[1]:
        stem, before = os.path.splitext(stem)
        ending = before + ending
    return stem + ending.lower()


def partial_folder(file: str, folder: str, parameter: str = "output") -> str:
    """Makes the hidden folder beside ``file`` that it is written into; an OSError names ``parameter``."""
    try:
        return tempfile.mkdtemp(prefix=".partial-", dir=folder)
    except OSError as error:
        # A folder that exists and still answers "No such file or directory" (/proc) holds no files.
        reason = ("no file can be made there (the system answers: No such file or directory)"
                  if isinstance(error, FileNotFoundError) and os.path.isdir(folder) else error.strerror)
        raise type(error)(error.errno, f"{parameter}={file!r}: cannot write in the folder {folder!r}: "
                                       f"{reason}") from None


def check_not_the_input(files, input_file: Optional[str]) -> None:
    """Raises ValueError when writing an output file would overwrite the input file or its data
    file (a two-file format's)."""
    if input_file is None:
        return
    read = _files_read_for(input_file)
    for file in files:
        file = os.fspath(file)
        for written in _files_written_for(file):
            shared = next((r for r in read if _same_file(written, r)), None)
            if shared is None:
                continue
            raise ValueError(f"output={file!r} {_shared_file_problem(shared, input_file)}: write to another file")


def _shared_file_problem(shared: str, input_file: str) -> str:
    """What writing ``shared``, a file reading ``input_file`` reads, would do to the input."""
    if shared == input_file:
        return "is the input file"
    paired = shared in nifti_pair_candidates(input_file)
    if os.path.exists(shared):  # as the tool's std::filesystem::exists: a link's target
        return (f"would overwrite {shared!r}, the other file of the input's Analyze/NIfTI pair" if paired else
                f"would overwrite the input's data file {shared!r}")
    return f"would write {shared!r}, which " + ("the input would then read as the other file of its Analyze/NIfTI "
                                                "pair" if paired else "the input's header would then read as its "
                                                                      "data file")
