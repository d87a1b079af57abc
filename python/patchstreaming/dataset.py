"""``PatchDataset``: random training patches from image files, as a PyTorch ``IterableDataset``."""
from __future__ import annotations

import math
import os
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

import itk

from ._images import buffered_array, flag, itk_message, real_number, unexpected_keywords, unknown_choice, whole_number
from ._patch_arguments import check_locations_fit_in_memory, size_xyz
from ._subjects import (DIMENSION, Files, PathLike, Subject, check_alike, check_subject_list, float_image_type,
                        one_slice_hint, read_whole, subject_files)
from ._voxel_data import reads_regions_alone

_SAMPLERS = ("uniform", "weighted", "label")
#: TorchIO's Queue keywords that are not arguments here, and what to pass instead.
_TORCHIO_KEYWORDS = {
    "subjects_dataset": "subjects (a list of files, read patch by patch)",
    "max_length": "nothing: no queue is held, each drawn patch is read when it is yielded",
    "num_workers": "num_workers to the DataLoader (the draws are dealt out across its workers)",
}


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
            (mapped to the image through physical space: a map of the image's size but another
            geometry, most likely written without it, gives a UserWarning when the dataset is
            made), non-negative values.
        seed: the seed of every draw; default 0.
        allow_outside: let patches reach outside the image by up to half a patch (padded with 0);
            default False: every patch lies inside the image.
        batch_size: the ``DataLoader``'s ``batch_size``, the chunk dealt to one worker, so that any
            number of workers gives the same batches; default 1.

    Raises:
        FileNotFoundError: an image, label or probability map file that does not exist (the
            parameter and the file are named).
        ValueError: a patch size that is not positive, in the wrong order or larger than an image
            (without ``allow_outside``); ``samples_per_volume`` locations (24 bytes each, drawn
            at once per subject) more than the machine's memory; an unknown sampler;
            ``sampler="label"`` for a subject without a label map or ``"weighted"`` without a probability map; bad label
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
            raise unexpected_keywords(PatchDataset.__init__, unknown,
                                      (("TorchIO's Queue keywords", _TORCHIO_KEYWORDS),))
        check_subject_list(subjects)
        if str(sampler).lower() not in _SAMPLERS:  # in any case, as every choice of the package
            raise unknown_choice("sampler", sampler, list(_SAMPLERS))
        sampler = str(sampler).lower()
        for name, value, lowest in (("samples_per_volume", samples_per_volume, 1), ("batch_size", batch_size, 1),
                                    ("seed", seed, 0)):
            if whole_number(value, name) < lowest:
                raise ValueError(f"{name}={value!r}: expected a whole number >= {lowest}")
        check_locations_fit_in_memory(int(samples_per_volume), "samples_per_volume")
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
        self.subjects: List[Files] = [subject_files(s, i, maps[i]) for i, s in enumerate(subjects)]
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
        check_alike(self.subjects)
        self.label_probabilities = _check_probabilities(label_probabilities)
        shape_dhw = tuple(reversed(self.subjects[0].size_xyz))
        try:
            self.patch_xyz: List[int] = size_xyz(patch_size, DIMENSION, "patch_size", shape_dhw)
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
                        f"patch or allow_outside=True{one_slice_hint(files, self.patch_xyz)}")
        self.samples_per_volume = int(samples_per_volume)
        self.sampler = sampler
        self.seed = int(seed)
        self.allow_outside = flag(allow_outside, "allow_outside")
        self.batch_size = int(batch_size)
        self.epoch = 0

    def __len__(self) -> int:
        """The patches of one epoch: ``len(subjects) * samples_per_volume``."""
        return len(self.subjects) * self.samples_per_volume

    def __getitem__(self, index: Any):
        """Raises TypeError: an ``IterableDataset`` has no indexed patches (PyTorch's own says only
        ``NotImplementedError``); iterate it, or read the drawn starts with :meth:`locations`."""
        raise TypeError(f"PatchDataset[{index!r}]: a PatchDataset is an IterableDataset, drawn as it is iterated: use "
                        f"next(iter(dataset)), a for loop or a torch.utils.data.DataLoader (locations(subject) gives "
                        f"a subject's drawn patch starts)")

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
        image_type = float_image_type()
        self.reader = itk.ImageFileReader[image_type].New(FileName=file)
        self.extractor = itk.PatchExtractor[image_type, itk.Image[itk.F, DIMENSION + 1]].New()
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
            sampler = itk.UniformPatchSampler[DIMENSION].New()
        elif dataset.sampler == "weighted":
            sampler = itk.WeightedPatchSampler[float_image_type()].New()
            sampler.SetProbabilityMap(read_whole(self.files.probability_map))
        else:
            sampler = itk.LabelPatchSampler[itk.Image[itk.UC, DIMENSION]].New()
            read = read_whole(self.files.label)  # as float, so that no value is wrapped before the check
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
        return np.asarray(flat, dtype=np.int64).reshape(-1, DIMENSION)

    def _labels(self, values: np.ndarray, where: str) -> np.ndarray:
        """``values`` (read as float) as unsigned char labels; raises ValueError naming the file and a
        value that is not one (negative, above 255, fractional or NaN), rather than wrapping it."""
        bad = ~((values >= 0) & (values <= 255) & (values == np.floor(values)))
        if bad.any():
            raise ValueError(f"{self.files.label_parameter}={self.files.label!r} holds the label "
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
