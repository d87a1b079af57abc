"""PatchDataset's subjects: their files checked (each exists, is read by ITK as one channel of
2-D or 3-D, holds all its voxels) and on one grid, from their headers only."""
from __future__ import annotations

import os
import reprlib
import warnings
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

import itk

from ._images import a_type, itk_message, unreadable_format
from ._sources import unread_axes_hint
from ._voxel_data import check_voxel_data

PathLike = Union[str, os.PathLike]
#: A subject: ``{"image": file or [files], "label": file, "probability_map": file}`` (label and
#: map optional), a tuple ``(image file or [files], label file)``, or one image file (a list is
#: refused: channels or an image and its label map?).
Subject = Union[PathLike, Mapping[str, Any], Tuple[Any, ...]]

#: The subjects' images are read as 3-D (a 2-D file one slice deep).
DIMENSION = 3


@dataclass(frozen=True)
class Files:
    """One subject's files and the image grid, read from the first image's header."""

    images: Tuple[str, ...]
    label: Optional[str]
    probability_map: Optional[str]
    size_xyz: Tuple[int, ...]
    label_parameter: str  # how messages name the label map, as the caller gave it: subjects[i][1] or ['label']


def float_image_type():
    return itk.Image[itk.F, DIMENSION]


def header(file: str, parameter: str):
    """The float reader of ``file`` with its header read (no voxel is read; a compressed file is
    decompressed once to check it holds all its voxels)."""
    if os.path.isdir(file):
        raise IsADirectoryError(f"{parameter}={file!r} is a folder (a Zarr array?); PatchDataset reads image files "
                                f"(.mha, .nrrd, .nii or .nii.gz)")
    if not os.path.isfile(file):
        raise FileNotFoundError(f"{parameter}: no such file {file!r}")
    if itk.ImageIOFactory.CreateImageIO(file, itk.CommonEnums.IOFileMode_ReadMode) is None:
        raise unreadable_format(parameter, file, zarr=False)
    reader = itk.ImageFileReader[float_image_type()].New(FileName=file)
    try:
        reader.UpdateOutputInformation()
    except RuntimeError as error:
        raise ValueError(f"{parameter}: ITK cannot read {file!r}: {itk_message(error)}") from None
    dimension = int(reader.GetImageIO().GetNumberOfDimensions())
    if dimension > 3:  # the 3-D reader would read the first volume of a series silently
        raise ValueError(f"{parameter}={file!r}: a {dimension}-D image; expected 2-D or 3-D"
                         f"{unread_axes_hint(reader.GetImageIO())}")
    components = int(reader.GetImageIO().GetNumberOfComponents())
    if components != 1:  # ITK's float reader would fold them into one (two: their product; three: luminance)
        hint = ("give each channel as a file of its own (\"image\": [t1, t2])" if "image" in parameter else
                "a label or probability map holds one value per voxel")
        raise ValueError(f"{parameter}={file!r} has {components} components per voxel; PatchDataset reads one "
                         f"channel per file: {hint}")
    check_voxel_data(file, int(reader.GetImageIO().GetImageSizeInBytes()), parameter)
    return reader


def read_whole(file: str):
    """``file`` read whole as a 3-D float image (a 2-D file one slice deep, as the subjects' images)."""
    reader = itk.ImageFileReader[float_image_type()].New(FileName=file)
    reader.Update()
    return reader.GetOutput()


def _geometry(reader) -> Dict[str, np.ndarray]:
    """The size (x, y, z), spacing, origin and direction read from a reader's header."""
    image = reader.GetOutput()
    return {"size": np.array([int(v) for v in image.GetLargestPossibleRegion().GetSize()]),
            "spacing": np.array([float(v) for v in image.GetSpacing()]),
            "origin": np.array([float(v) for v in image.GetOrigin()]),
            "direction": itk.array_from_matrix(image.GetDirection())}


def _differing_geometry(one: Dict[str, np.ndarray], other: Dict[str, np.ndarray],
                        tolerance: float = 1e-6) -> List[str]:
    """The names of the geometry entries (size, spacing, origin, direction) in which ``other``
    differs from ``one``: ITK's test for images on one grid with ``tolerance`` (its default 1e-6:
    spacing relative, origin in parts of the largest spacing, direction absolute)."""
    origin_tolerance = tolerance * float(np.abs(one["spacing"]).max())
    same = {"size": np.array_equal(one["size"], other["size"]),
            "spacing": np.allclose(one["spacing"], other["spacing"], rtol=tolerance, atol=0),
            "origin": np.allclose(one["origin"], other["origin"], rtol=0, atol=origin_tolerance),
            "direction": np.allclose(one["direction"], other["direction"], rtol=0, atol=tolerance)}
    return [name for name, equal in same.items() if not equal]


_GEOMETRY = ("size", "spacing", "origin", "direction")


def _described(geometry: Dict[str, np.ndarray], names: Sequence[str] = _GEOMETRY) -> str:
    """The ``names`` entries of ``geometry``, rounded to 4 decimals, for a message."""
    return ", ".join(f"{k} {np.round(geometry[k], 4).tolist()}" for k in names)


def _warn_of_a_map_beside_the_image(weights: Dict[str, np.ndarray], image: Dict[str, np.ndarray], file: str,
                                    parameter: str) -> None:
    """A UserWarning when a probability map has the image's size but not its geometry (spacing,
    origin or direction off by more than 1e-3 of a voxel, far more than a file's float32 rounding):
    the weighted sampler places a map through physical space, so its voxel (i, j, k) is not the
    image's; such a map was most likely made voxel for voxel (``itk.image_from_array``) and
    written without the image's geometry. Checked once, when the dataset is made."""
    differing = _differing_geometry(image, weights, 1e-3)
    if differing and "size" not in differing:
        warnings.warn(f"{parameter}={file!r} has the image's size but not its geometry (its "
                      f"{_described(weights, differing)} against the image's {_described(image, differing)}): it "
                      f"is placed through physical space, so its voxels are not the image's; if it was made voxel "
                      f"for voxel, give it the image's "
                      f"geometry before writing it (probability_map.CopyInformation(image))", UserWarning,
                      stacklevel=5)  # the caller of PatchDataset(...)


_SUBJECT_KEYS = ("image", "label", "probability_map")


def check_subject_list(subjects: Any) -> None:
    """Raises ValueError for one file name or dict, an empty list or a tuple that reads as one
    subject, (image, label); TypeError for subjects with no length (a generator). Any sized
    collection (a list, a numpy array of file names, a dict's values) is a list of subjects."""
    if isinstance(subjects, (str, os.PathLike, Mapping)) or len(sized(subjects, "subjects")) == 0:
        raise ValueError(f"subjects={reprlib.repr(subjects)}: expected a non-empty list of subjects")
    if isinstance(subjects, tuple) and len(subjects) <= 2 and all(
            isinstance(s, (str, os.PathLike)) or (isinstance(s, list) and s) for s in subjects):
        raise ValueError(f"subjects={reprlib.repr(subjects)}: a tuple of files reads as one subject (image, label); "
                         f"give a list: [{reprlib.repr(subjects)}] for one subject with its label map, or a list of "
                         f"file names for subjects without")


def sized(value: Any, name: str) -> Collection:
    """``value`` when it has a length and can be iterated; TypeError naming ``name`` else."""
    if not isinstance(value, Collection):
        raise TypeError(f"{name}={reprlib.repr(value)}: expected a list, got {a_type(value)}"
                        f"{': pass list(...)' if isinstance(value, Iterable) else ''}")
    return value


def subject_files(subject: Subject, index: int, probability_map: Optional[PathLike]) -> Files:
    """Normalises one subject and checks its files exist and its images and label map share a grid."""
    where = f"subjects[{index}]"
    subject, image_where, label_where = _subject_entries(subject, where)
    images = subject["image"]
    images = [images] if isinstance(images, (str, os.PathLike)) else list(sized(images, image_where))
    if not images:
        raise ValueError(f"{image_where} is an empty list; give one file per channel")
    images = [_file_name(f, image_where + (f"[{c}]" if len(images) > 1 else "")) for c, f in enumerate(images)]
    label = subject.get("label")
    label = None if label is None else _file_name(label, label_where)
    given = probability_map is not None
    weights_parameter = f"probability_map[{index}]" if given else f"{where}['probability_map']"
    weights = probability_map if given else subject.get("probability_map")
    weights = None if weights is None else _file_name(weights, weights_parameter)

    first = _geometry(header(images[0], image_where + ("[0]" if len(images) > 1 else "")))
    others = [(f"{image_where}[{c}]", f) for c, f in enumerate(images[1:], 1)]
    if label is not None:
        others.append((label_where, label))
    for parameter, file in others:
        geometry = _geometry(header(file, parameter))
        if _differing_geometry(first, geometry):
            raise ValueError(f"{parameter}={file!r} does not share the grid of {images[0]!r} (its "
                             f"{_described(geometry)} against the image's {_described(first)}): patches are cut at "
                             f"the same index in each")
    if weights is not None:
        map_geometry = _geometry(header(weights, weights_parameter))
        _warn_of_a_map_beside_the_image(map_geometry, first, weights, weights_parameter)
    return Files(tuple(images), label, weights, tuple(int(v) for v in first["size"]), label_where)


def _subject_entries(subject: Subject, where: str) -> Tuple[Mapping, str, str]:
    """One subject as a dict with 'image' (and 'label', 'probability_map'), and how its image and
    label entries are named in messages, as the caller wrote them: ``subjects[0]`` for a file
    name, ``subjects[0][0]`` and ``subjects[0][1]`` for a tuple, ``subjects[0]['image']`` for a
    dict."""
    if isinstance(subject, (str, os.PathLike)):
        return {"image": subject}, where, f"{where}['label']"
    if isinstance(subject, list):  # two image channels, or an image and its label map?
        raise TypeError(f"{where} is a list {reprlib.repr(subject)}; expected a file name, a dict "
                        f"{{'image': file or [files], 'label': file}}, or a tuple (image file or [files], label "
                        f"file): image channels are {{'image': [{', '.join('...' for _ in subject[:2])}]}}, an image "
                        f"and its label map a tuple")
    if not isinstance(subject, Mapping):
        if not isinstance(subject, tuple) or not 1 <= len(subject) <= 2:
            shape = getattr(subject, "shape", None)
            given = f"{a_type(subject)} of shape {tuple(shape)}" if shape is not None else reprlib.repr(subject)
            raise TypeError(f"{where}: {given}; expected a file name, a dict with 'image' (and 'label'), or a tuple "
                            f"(image file or list of files, label file): PatchDataset reads the drawn patches "
                            f"from files (write an array with itk.imwrite first)")
        return {"image": subject[0], "label": subject[1] if len(subject) == 2 else None}, f"{where}[0]", f"{where}[1]"
    unknown = sorted(str(key) for key in subject if key not in _SUBJECT_KEYS)
    if unknown:
        raise ValueError(f"{where} has unknown key(s) {unknown}: expected {', '.join(map(repr, _SUBJECT_KEYS))}")
    if "image" not in subject:
        raise ValueError(f"{where} has no 'image' entry; its keys are {sorted(subject)}")
    return subject, f"{where}['image']", f"{where}['label']"


def one_slice_hint(files: Files, patch_xyz: Sequence[int]) -> str:
    """For an image one slice deep (a 2-D file, read as 3-D) and a deeper patch: how to ask for
    2-D patches."""
    if files.size_xyz[2] != 1 or patch_xyz[2] == 1:
        return ""
    return (f" (a 2-D file is read as one slice deep: for 2-D patches give "
            f"patch_size=(1, {patch_xyz[1]}, {patch_xyz[0]}))")


def check_alike(subjects: Sequence[Files]) -> None:
    """Every subject has the same number of image channels and a label map or none, so that a
    ``DataLoader`` can stack any of their patches into one batch."""
    first = subjects[0]
    for i, files in enumerate(subjects[1:], start=1):
        if len(files.images) != len(first.images):
            raise ValueError(f"subjects[{i}] has {len(files.images)} image file(s), subjects[0] has "
                             f"{len(first.images)}: every subject needs the same image channels")
        if (files.label is None) != (first.label is None):
            has = ("no label map", "a label map")
            raise ValueError(f"subjects[{i}] has {has[files.label is not None]}, subjects[0] has "
                             f"{has[first.label is not None]}: give every subject a label map or none")


def _file_name(value: Any, parameter: str) -> str:
    """``value`` as a file name; TypeError naming ``parameter`` for what is not one (an image
    object: PatchDataset reads the drawn patches from files)."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{parameter}: {a_type(value)}; expected a file name (PatchDataset reads the drawn patches "
                        f"from files: write an image with itk.imwrite first)")
    return os.fspath(value)
