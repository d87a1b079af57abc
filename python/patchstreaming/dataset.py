"""``PatchDataset``: random training patches from image files, as a PyTorch ``IterableDataset``."""
from __future__ import annotations

import math
import os
import reprlib
from dataclasses import dataclass
from collections.abc import Collection, Iterable
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

import itk

from ._images import (a_type, buffered_array, flag, itk_message, real_number, unexpected_keywords, unknown_choice,
                      unreadable_format, whole_number)
from ._patch_arguments import size_xyz
from ._sources import unread_axes_hint
from ._voxel_data import check_voxel_data, reads_regions_alone

PathLike = Union[str, os.PathLike]
#: A subject: ``{"image": file or [files], "label": file, "probability_map": file}`` (label and
#: map optional), a tuple ``(image file or [files], label file)``, or one image file (a list is
#: refused: channels or an image and its label map?).
Subject = Union[PathLike, Mapping[str, Any], Tuple[Any, ...]]

_DIMENSION = 3
_SAMPLERS = ("uniform", "weighted", "label")
#: TorchIO's Queue keywords that are not arguments here, and what to pass instead.
_TORCHIO_KEYWORDS = {
    "subjects_dataset": "subjects (a list of files, read patch by patch)",
    "max_length": "nothing: no queue is held, each drawn patch is read when it is yielded",
    "num_workers": "num_workers to the DataLoader (the draws are dealt out across its workers)",
}


@dataclass(frozen=True)
class _Files:
    """One subject's files and the image grid, read from the first image's header."""

    images: Tuple[str, ...]
    label: Optional[str]
    probability_map: Optional[str]
    size_xyz: Tuple[int, ...]


def _float_image_type():
    return itk.Image[itk.F, _DIMENSION]


def _header(file: str, parameter: str):
    """The float reader of ``file`` with its header read (no voxel is read; a compressed file is
    decompressed once to check it holds all its voxels)."""
    if os.path.isdir(file):
        raise IsADirectoryError(f"{parameter}={file!r} is a folder (a Zarr array?); PatchDataset reads image files "
                                f"(.mha, .nrrd, .nii or .nii.gz)")
    if not os.path.isfile(file):
        raise FileNotFoundError(f"{parameter}: no such file {file!r}")
    if itk.ImageIOFactory.CreateImageIO(file, itk.CommonEnums.IOFileMode_ReadMode) is None:
        raise unreadable_format(parameter, file, zarr=False)
    reader = itk.ImageFileReader[_float_image_type()].New(FileName=file)
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


def _read_whole(file: str):
    """``file`` read whole as a 3-D float image (a 2-D file one slice deep, as the subjects' images)."""
    reader = itk.ImageFileReader[_float_image_type()].New(FileName=file)
    reader.Update()
    return reader.GetOutput()


def _geometry(reader) -> Dict[str, np.ndarray]:
    """The size (x, y, z), spacing, origin and direction read from a reader's header."""
    image = reader.GetOutput()
    return {"size": np.array([int(v) for v in image.GetLargestPossibleRegion().GetSize()]),
            "spacing": np.array([float(v) for v in image.GetSpacing()]),
            "origin": np.array([float(v) for v in image.GetOrigin()]),
            "direction": itk.array_from_matrix(image.GetDirection())}


def _same_grid(one: Dict[str, np.ndarray], other: Dict[str, np.ndarray]) -> bool:
    """ITK's test for images on one grid: the same size, and spacing, origin and direction equal
    within its default tolerances (1e-6 relative to the spacing)."""
    tolerance = 1e-6 * float(np.abs(one["spacing"]).max())
    return (np.array_equal(one["size"], other["size"]) and np.allclose(one["spacing"], other["spacing"], rtol=1e-6)
            and np.allclose(one["origin"], other["origin"], rtol=0, atol=tolerance)
            and np.allclose(one["direction"], other["direction"], rtol=0, atol=1e-6))


_SUBJECT_KEYS = ("image", "label", "probability_map")


def _check_subject_list(subjects: Any) -> None:
    """Raises ValueError for one file name or dict, an empty list or a tuple that reads as one
    subject, (image, label); TypeError for subjects with no length (a generator). Any sized
    collection (a list, a numpy array of file names, a dict's values) is a list of subjects."""
    if isinstance(subjects, (str, os.PathLike, Mapping)) or len(_sized(subjects, "subjects")) == 0:
        raise ValueError(f"subjects={reprlib.repr(subjects)}: expected a non-empty list of subjects")
    if isinstance(subjects, tuple) and len(subjects) <= 2 and all(
            isinstance(s, (str, os.PathLike)) or (isinstance(s, list) and s) for s in subjects):
        raise ValueError(f"subjects={reprlib.repr(subjects)}: a tuple of files reads as one subject (image, label); "
                         f"give a list: [{reprlib.repr(subjects)}] for one subject with its label map, or a list of "
                         f"file names for subjects without")


def _sized(value: Any, name: str) -> Collection:
    """``value`` when it has a length and can be iterated; TypeError naming ``name`` else."""
    if not isinstance(value, Collection):
        raise TypeError(f"{name}={reprlib.repr(value)}: expected a list, got {a_type(value)}"
                        f"{': pass list(...)' if isinstance(value, Iterable) else ''}")
    return value


def _subject_files(subject: Subject, index: int, probability_map: Optional[PathLike]) -> _Files:
    """Normalises one subject and checks its files exist and its images and label map share a grid."""
    where = f"subjects[{index}]"
    if isinstance(subject, (str, os.PathLike)):
        subject = {"image": subject}
    elif isinstance(subject, list):  # two image channels, or an image and its label map?
        raise TypeError(f"{where} is a list {reprlib.repr(subject)}; expected a file name, a dict "
                        f"{{'image': file or [files], 'label': file}}, or a tuple (image file or [files], label "
                        f"file): image channels are {{'image': [{', '.join('...' for _ in subject[:2])}]}}, an image "
                        f"and its label map a tuple")
    elif not isinstance(subject, Mapping):
        if not isinstance(subject, tuple) or not 1 <= len(subject) <= 2:
            shape = getattr(subject, "shape", None)
            given = f"{a_type(subject)} of shape {tuple(shape)}" if shape is not None else reprlib.repr(subject)
            raise TypeError(f"{where}: {given}; expected a file name, a dict with 'image' (and 'label'), or a tuple "
                            f"(image file or list of files, label file): PatchDataset reads the drawn patches "
                            f"from files (write an array with itk.imwrite first)")
        subject = {"image": subject[0], "label": subject[1] if len(subject) == 2 else None}
    unknown = sorted(str(key) for key in subject if key not in _SUBJECT_KEYS)
    if unknown:
        raise ValueError(f"{where} has unknown key(s) {unknown}: expected {', '.join(map(repr, _SUBJECT_KEYS))}")
    if "image" not in subject:
        raise ValueError(f"{where} has no 'image' entry; its keys are {sorted(subject)}")
    images = subject["image"]
    images = [images] if isinstance(images, (str, os.PathLike)) else list(_sized(images, f"{where}['image']"))
    if not images:
        raise ValueError(f"{where}['image'] is an empty list; give one file per channel")
    images = [os.fspath(f) for f in images]
    label = subject.get("label")
    label = None if label is None else os.fspath(label)
    weights = probability_map if probability_map is not None else subject.get("probability_map")
    weights = None if weights is None else os.fspath(weights)

    first = _geometry(_header(images[0], f"{where}['image']"))
    others = [(f"{where}['image'][{c}]", f) for c, f in enumerate(images[1:], 1)]
    if label is not None:
        others.append((f"{where}['label']", label))
    for parameter, file in others:
        geometry = _geometry(_header(file, parameter))
        if not _same_grid(first, geometry):
            describe = lambda g: ", ".join(f"{k} {np.round(v, 4).tolist()}" for k, v in g.items())
            raise ValueError(f"{parameter}={file!r} does not share the grid of {images[0]!r} (its {describe(geometry)} "
                             f"against the image's {describe(first)}): patches are cut at the same index in each")
    if weights is not None:
        _header(weights, f"{where}['probability_map']")
    return _Files(tuple(images), label, weights, tuple(int(v) for v in first["size"]))


def _one_slice_hint(files: _Files, patch_xyz: Sequence[int]) -> str:
    """For an image one slice deep (a 2-D file, read as 3-D) and a deeper patch: how to ask for
    2-D patches."""
    if files.size_xyz[2] != 1 or patch_xyz[2] == 1:
        return ""
    return (f" (a 2-D file is read as one slice deep: for 2-D patches give "
            f"patch_size=(1, {patch_xyz[1]}, {patch_xyz[0]}))")


def _check_alike(subjects: Sequence[_Files]) -> None:
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


def _check_probabilities(label_probabilities: Optional[Mapping[int, float]]) -> Optional[Dict[int, float]]:
    if label_probabilities is None:
        return None
    if not isinstance(label_probabilities, Mapping):
        raise TypeError(f"label_probabilities={label_probabilities!r}: expected a dict of label -> probability")
    checked = {}
    for label, probability in label_probabilities.items():
        number = real_number(label)
        if number is None or not number.is_integer() or not 0 <= number <= 255:
            raise ValueError(f"label_probabilities: label {label!r} is not an unsigned char label (0 .. 255)")
        value = real_number(probability)
        if value is None or not (math.isfinite(value) and value >= 0):
            raise ValueError(f"label_probabilities[{label}]={probability!r}: expected a finite probability >= 0")
        checked[int(number)] = value
    if not any(p > 0 for p in checked.values()):
        raise ValueError(f"label_probabilities={label_probabilities!r}: no label has a positive probability")
    return checked


class PatchDataset(torch.utils.data.IterableDataset):
    """Random training patches from 3-D image files, read patch by patch, as TorchIO's ``Queue``
    with a ``UniformSampler``, ``WeightedSampler`` or ``LabelSampler`` (or MONAI's
    ``RandSpatialCropSamples``/``RandCropByLabelClasses``).

    Each pass (epoch) yields ``len(self) = len(subjects) * samples_per_volume`` patches, in this
    order: the subjects in the given order, and for each, ``samples_per_volume`` patches in the
    sampler's draw order. The locations of a subject are drawn by the module's C++ samplers
    (``itk.UniformPatchSampler``, ``itk.WeightedPatchSampler``, ``itk.LabelPatchSampler``, see
    docs/samplers.md) from a seed derived from ``(seed, epoch, subject index)``, so they depend on
    nothing else: not on the machine, the number of workers or the batch size.

    **Workers.** With a ``DataLoader`` of ``num_workers=W``, the patches are dealt out in chunks of
    ``batch_size`` consecutive patches, chunk ``c`` to worker ``c % W``; the ``DataLoader`` takes
    one batch from each worker in turn, so with ``DataLoader(dataset, batch_size=batch_size)``
    any number of workers (0 included) gives the same batches in the same order. (With another
    loader batch size the same patches come, in another order.)

    **Reading.** Each worker reads, per subject, only the headers and then every drawn patch
    through ``itk.PatchExtractor.SetPatchLocationIndices`` on an ``itk.ImageFileReader``: a
    format that streams reads (uncompressed MetaImage, ``.mha``/``.mhd``) reads just that patch's
    region from disk; the others (NRRD, NIfTI, …: ITK 5.2 reads them whole) are read once per
    subject and worker and cut from memory. The label sampler reads its label map whole, the
    weighted sampler its probability map; the uniform sampler reads no voxel to draw.

    Each item is a dict:

    * ``"image"``: ``torch.float32`` of shape ``(C, D, H, W)``, one channel per image file of the
      subject, the tensor's axis order (``W`` is ITK's x).
    * ``"label"``: ``torch.uint8`` of shape ``(1, D, H, W)``, when the subject has a label map.
    * ``"start"``: ``torch.int64`` of shape ``(3,)``, the index of the patch's first voxel in
      **ITK's (x, y, z) order** (the image voxel ``image[:, z, y, x]`` in the tensor's order).
    * ``"origin"``: ``torch.float64`` of shape ``(3,)``, the physical point of the patch's first
      voxel, in ITK's (x, y, z) order (through the image's spacing, origin and direction).
    * ``"subject"``: ``torch.int64`` scalar, the subject's index in ``subjects``.

    A ``DataLoader`` stacks them into batches ``(B, C, D, H, W)``, ``(B, 3)`` and ``(B,)``.

    Args:
        subjects: one entry per subject: a dict ``{"image": file or [files], "label": file,
            "probability_map": file}`` ("label" and "probability_map" optional; no other key), a tuple
            ``(image file or [files], label file)``, or one image file (a list is refused: it could
            mean either image channels or an image and its label map). Several image files are
            channels (e.g. T1 and T2) and must share the grid; so must the label map (an unsigned
            char label map: values 0 .. 255, checked over the whole map by the label sampler, in the
            drawn patches only by the others). Images are read as float, 3-D (a 2-D file is one
            slice deep), one channel per file: a file of several components per voxel is refused.
        patch_size: an int, or ``(D, H, W)`` in the **tensor's order** (ITK's ``PatchSize`` is that
            reversed); a tuple that fits the image only reversed is refused with both orders named.
        samples_per_volume: patches per subject and epoch (TorchIO's name); default 1.
        sampler: ``"uniform"`` (every position where the patch fits equally likely; default),
            ``"weighted"`` (probability proportional to ``probability_map`` at the patch centre,
            ``start + patch // 2``) or ``"label"`` (the centre's label drawn with
            ``label_probabilities``, the centre uniform among that label's voxels).
        label_probabilities: for ``sampler="label"``, label -> probability (TorchIO's name; need
            not be normalised; a label absent from a subject has its share redistributed over
            the present ones). Default ``None``: the centre is uniform over the non-zero voxels
            (TorchIO's default, the label map binarised).
        probability_map: for ``sampler="weighted"``, one file per subject (a list as long as
            ``subjects``), overriding the subjects' ``"probability_map"`` entries; any geometry
            (mapped to the image through physical space), non-negative values.
        seed: the seed of every draw; default 0.
        allow_outside: let patches reach outside the image by up to half a patch (padded with 0);
            default False: every patch lies inside the image.
        batch_size: the ``DataLoader``'s ``batch_size``, the chunk dealt to one worker, so that any
            number of workers gives the same batches; default 1.

    Raises:
        FileNotFoundError: an image, label or probability map file that does not exist (the
            parameter and the file are named).
        ValueError: a patch size that is not positive, in the wrong order or larger than an image
            (without ``allow_outside``); an unknown sampler; ``sampler="label"`` for a subject
            without a label map or ``"weighted"`` without a probability map; bad label
            probabilities; a file of several components per voxel; images of one subject on
            different grids; subjects with different
            numbers of image files, or some with a label map and some without (a ``DataLoader``
            could not stack their patches). Errors of a draw (no label
            with a positive probability present, a probability map that is zero where the patch
            fits) are raised while iterating, as ``ValueError`` naming the subject.
        TypeError: an unknown keyword (TorchIO's Queue keywords ``subjects_dataset``,
            ``max_length``, ``num_workers`` name what to pass instead; a misspelt one its closest
            argument).
    """

    def __init__(
        self,
        subjects: Sequence[Subject],
        patch_size: Union[int, Sequence[int]],
        samples_per_volume: int = 1,
        sampler: str = "uniform",
        label_probabilities: Optional[Mapping[int, float]] = None,
        probability_map: Optional[Sequence[PathLike]] = None,
        seed: int = 0,
        allow_outside: bool = False,
        batch_size: int = 1,
        **unknown: Any,
    ) -> None:
        super().__init__()
        if unknown:
            raise unexpected_keywords(PatchDataset.__init__, unknown, (("TorchIO's Queue keywords", _TORCHIO_KEYWORDS),))
        _check_subject_list(subjects)
        if str(sampler).lower() not in _SAMPLERS:  # in any case, as every choice of the package
            raise unknown_choice("sampler", sampler, list(_SAMPLERS))
        sampler = str(sampler).lower()
        for name, value, lowest in (("samples_per_volume", samples_per_volume, 1), ("batch_size", batch_size, 1),
                                    ("seed", seed, 0)):
            if whole_number(value, name) < lowest:
                raise ValueError(f"{name}={value!r}: expected a whole number >= {lowest}")
        if probability_map is not None and sampler != "weighted":
            raise ValueError(f"probability_map={probability_map!r} applies to sampler='weighted' only, not "
                             f"sampler={sampler!r}")
        if label_probabilities is not None and sampler != "label":
            raise ValueError(f"label_probabilities={label_probabilities!r} apply to sampler='label' only, not "
                             f"sampler={sampler!r}")
        if probability_map is not None and (isinstance(probability_map, (str, os.PathLike))
                                            or len(probability_map) != len(subjects)):
            raise ValueError(f"probability_map={probability_map!r}: expected a list of one file per subject "
                             f"({len(subjects)})")
        maps = list(probability_map) if probability_map is not None else [None] * len(subjects)
        self.subjects: List[_Files] = [_subject_files(s, i, maps[i]) for i, s in enumerate(subjects)]
        for i, files in enumerate(self.subjects):
            if sampler == "label" and files.label is None:
                raise ValueError(f"sampler='label' needs a label map, but subjects[{i}] has none: give "
                                 f"{{'image': ..., 'label': file}} or (image, label)")
            if sampler != "weighted" and files.probability_map is not None:
                raise ValueError(f"subjects[{i}] has a probability map {files.probability_map!r}, which applies to "
                                 f"sampler='weighted' only, not sampler={sampler!r}")
            if sampler == "weighted" and files.probability_map is None:
                raise ValueError(f"sampler='weighted' needs a probability map, but subjects[{i}] has none: give "
                                 f"probability_map=[one file per subject] or {{'image': ..., 'probability_map': file}}")
        _check_alike(self.subjects)
        self.label_probabilities = _check_probabilities(label_probabilities)
        shape_dhw = tuple(reversed(self.subjects[0].size_xyz))
        try:
            self.patch_xyz: List[int] = size_xyz(patch_size, _DIMENSION, "patch_size", shape_dhw)
        except ValueError as error:  # (H, W) for a 2-D file: say how to ask for it
            if shape_dhw[0] != 1 or np.ndim(patch_size) != 1 or len(patch_size) != 2:
                raise
            raise ValueError(f"{error}; {self.subjects[0].images[0]!r} is 2-D, read as one slice deep: give "
                             f"patch_size=(1, {patch_size[0]}, {patch_size[1]})") from None
        if not allow_outside:
            for i, files in enumerate(self.subjects):
                if any(p > s for p, s in zip(self.patch_xyz, files.size_xyz)):
                    raise ValueError(
                        f"patch_size={tuple(reversed(self.patch_xyz))} (D, H, W) is larger than subjects[{i}]'s image "
                        f"{files.images[0]!r} of (D, H, W) shape {tuple(reversed(files.size_xyz))}; give a smaller "
                        f"patch or allow_outside=True{_one_slice_hint(files, self.patch_xyz)}")
        self.samples_per_volume = int(samples_per_volume)
        self.sampler = sampler
        self.seed = int(seed)
        self.allow_outside = flag(allow_outside, "allow_outside")
        self.batch_size = int(batch_size)
        self.epoch = 0

    def __len__(self) -> int:
        """The patches of one epoch: ``len(subjects) * samples_per_volume``."""
        return len(self.subjects) * self.samples_per_volume

    def set_epoch(self, epoch: int) -> None:
        """Draws the next passes from ``(seed, epoch)`` (as ``DistributedSampler.set_epoch``); without
        it every pass yields the same patches. Call it before creating the loader's iterator: with
        ``persistent_workers=True`` the workers keep the epoch they started with.

        Raises:
            TypeError, ValueError: ``epoch`` is not a whole number of at least 0 (named)."""
        epoch = whole_number(epoch, "epoch")
        if epoch < 0:
            raise ValueError(f"epoch={epoch}: expected a whole number of at least 0")
        self.epoch = epoch

    def locations(self, subject: int) -> np.ndarray:
        """The start indices the current epoch draws for ``subjects[subject]``: an int64 array of
        shape ``(samples_per_volume, 3)``, ITK's (x, y, z) order, in the order they are yielded.
        Reads the label or probability map (for those samplers), no image voxel.

        Raises:
            TypeError, ValueError: ``subject`` is not a whole number from 0 to ``len(subjects) - 1``."""
        index = whole_number(subject, "subject")
        if not 0 <= index < len(self.subjects):
            raise ValueError(f"subject={subject!r}: expected 0 to {len(self.subjects) - 1} (the dataset has "
                             f"{len(self.subjects)} subjects)")
        return _SubjectReader(self, index).starts

    def __iter__(self) -> Iterator[Dict[str, torch.Tensor]]:
        info = torch.utils.data.get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        reader: Optional[_SubjectReader] = None
        for item in range(len(self)):
            if (item // self.batch_size) % workers != worker:
                continue
            subject, draw = divmod(item, self.samples_per_volume)
            if reader is None or reader.index != subject:
                reader = None  # releases the previous subject's buffers first
                reader = _SubjectReader(self, subject)
            yield reader.patch(draw)

    def _subject_seed(self, subject: int) -> int:
        """The sampler's seed for one subject and the current epoch."""
        return int(np.random.SeedSequence([self.seed, self.epoch, subject]).generate_state(1, np.uint32)[0])


class _FileReader:
    """One file read patch by patch: a float reader and an extractor at explicit locations."""

    def __init__(self, file: str, patch_xyz: Sequence[int]) -> None:
        image_type = _float_image_type()
        self.reader = itk.ImageFileReader[image_type].New(FileName=file)
        self.extractor = itk.PatchExtractor[image_type, itk.Image[itk.F, _DIMENSION + 1]].New()
        self.extractor.SetInput(self.reader.GetOutput())
        self.reader.UpdateOutputInformation()
        if not reads_regions_alone(self.reader.GetImageIO()):
            self.reader.UpdateLargestPossibleRegion()  # once, not a part per patch
        self.extractor.SetPatchSize([int(p) for p in patch_xyz])

    def patch(self, start: Sequence[int]) -> np.ndarray:
        """The patch at ``start`` ((x, y, z)) as a float32 array ``(D, H, W)`` (a copy)."""
        self.extractor.SetPatchLocationIndices([int(s) for s in start])
        self.extractor.Update()
        return np.array(buffered_array(self.extractor.GetOutput())[0])

    def origin(self) -> Tuple[float, ...]:
        """The physical point of the last patch's first voxel."""
        return tuple(float(v) for v in self.extractor.GetPatchOrigin(0))


class _SubjectReader:
    """One subject inside one worker: its drawn starts and a reader per file."""

    def __init__(self, dataset: PatchDataset, index: int) -> None:
        self.index = index
        self.dataset = dataset
        self.files = dataset.subjects[index]
        self.images = [_FileReader(f, dataset.patch_xyz) for f in self.files.images]
        self.label = None if self.files.label is None else _FileReader(self.files.label, dataset.patch_xyz)
        self.starts = self._draw()

    def _draw(self) -> np.ndarray:
        dataset = self.dataset
        self.images[0].reader.UpdateOutputInformation()
        if dataset.sampler == "uniform":
            sampler = itk.UniformPatchSampler[_DIMENSION].New()
        elif dataset.sampler == "weighted":
            sampler = itk.WeightedPatchSampler[_float_image_type()].New()
            sampler.SetProbabilityMap(_read_whole(self.files.probability_map))
        else:
            sampler = itk.LabelPatchSampler[itk.Image[itk.UC, _DIMENSION]].New()
            read = _read_whole(self.files.label)  # as float, so that no value is wrapped before the check
            labels = itk.image_from_array(self._labels(itk.array_view_from_image(read), "its label map"))
            labels.CopyInformation(read)
            sampler.SetLabelMap(labels)
            probabilities = dataset.label_probabilities
            if probabilities is None:
                probabilities = self._foreground_probabilities(itk.array_view_from_image(labels))
            for label, probability in probabilities.items():
                sampler.SetLabelProbability(int(label), float(probability))  # numpy scalars are not SWIG's
        sampler.SetReferenceImage(self.images[0].reader.GetOutput())
        sampler.SetPatchSize(dataset.patch_xyz)
        sampler.SetAllowOutside(dataset.allow_outside)
        sampler.SetSeed(dataset._subject_seed(self.index))
        try:
            flat = sampler.SampleIndices(dataset.samples_per_volume)
        except RuntimeError as error:
            raise ValueError(f"subjects[{self.index}] ({self.files.images[0]!r}), sampler={dataset.sampler!r}: "
                             f"{itk_message(error)}") from None
        return np.asarray(flat, dtype=np.int64).reshape(-1, _DIMENSION)

    def _labels(self, values: np.ndarray, where: str) -> np.ndarray:
        """``values`` (read as float) as unsigned char labels; raises ValueError naming the file and a
        value that is not one (negative, above 255, fractional or NaN), rather than wrapping it."""
        bad = ~((values >= 0) & (values <= 255) & (values == np.floor(values)))
        if bad.any():
            raise ValueError(f"subjects[{self.index}]['label']={self.files.label!r} holds the label "
                             f"{values[bad].flat[0]:g} ({where}); expected unsigned char labels, whole numbers "
                             f"0 .. 255 (relabel the map, e.g. consecutively)")
        return values.astype(np.uint8)

    def _foreground_probabilities(self, labels: np.ndarray) -> Dict[int, float]:
        """TorchIO's default: the centre uniform over the non-zero voxels where a patch fits, i.e.
        each non-zero label with the probability of its share of those voxels."""
        region = labels
        if not self.dataset.allow_outside:
            half = [p // 2 for p in reversed(self.dataset.patch_xyz)]
            region = labels[tuple(slice(h, s - p + h + 1)
                                  for h, s, p in zip(half, labels.shape, reversed(self.dataset.patch_xyz)))]
        counts = np.bincount(region.ravel(), minlength=256)
        return {label: float(counts[label]) for label in np.flatnonzero(counts[1:]) + 1} or {1: 1.0}

    def patch(self, draw: int) -> Dict[str, torch.Tensor]:
        start = self.starts[draw]
        channels = np.stack([reader.patch(start) for reader in self.images])
        item = {"image": torch.from_numpy(channels)}
        if self.label is not None:
            labels = self._labels(self.label.patch(start), f"the patch at {start.tolist()}")
            item["label"] = torch.from_numpy(labels[None])
        item["start"] = torch.from_numpy(start.copy())
        item["origin"] = torch.tensor(self.images[0].origin(), dtype=torch.float64)
        item["subject"] = torch.tensor(self.index, dtype=torch.int64)
        return item
