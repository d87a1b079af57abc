# Copyright the PatchStreaming contributors. Licensed under the Apache License, Version 2.0.
"""PatchDataset against the T1 volume of Debian's insighttoolkit5-examples (128 x 128 x 62, oblique).

The references are independent of the package: the whole volume read separately and sliced
with numpy, the label map computed here from the intensities, the physical points from ITK's
TransformIndexToPhysicalPoint.
"""
import os
import warnings
from typing import Dict, List

import numpy as np
import pytest
import torch

import itk

from patchstreaming import PatchDataset
from patchstreaming.dataset import _SubjectReader

T1_IMAGE = os.environ.get(
    "PatchStreaming_T1_IMAGE", "/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz"
)


def write_like(array: np.ndarray, reference, file: str) -> None:
    """Writes ``array`` ((z, y, x)) with ``reference``'s spacing, origin and direction."""
    image = itk.image_from_array(np.ascontiguousarray(array))
    image.SetSpacing(reference.GetSpacing())
    image.SetOrigin(reference.GetOrigin())
    image.SetDirection(reference.GetDirection())
    itk.imwrite(image, file)


@pytest.fixture(scope="module")
def volume(tmp_path_factory) -> Dict[str, object]:
    """The T1 volume as float NRRD and uncompressed MetaImage, its negative as a second channel,
    three intensity classes as an unsigned char NRRD label map, and their numpy arrays."""
    folder = tmp_path_factory.mktemp("dataset")
    image = itk.imread(T1_IMAGE, itk.F)
    array = itk.array_from_image(image)  # (z, y, x)
    assert array.shape == (62, 128, 128)
    labels = np.digitize(array, [41, 122]).astype(np.uint8)  # dark, middle, bright (T1 values 0 .. 255)
    files = {name: str(folder / name) for name in ("t1.nrrd", "negative.nrrd", "labels.nrrd", "t1.mha")}
    write_like(array, image, files["t1.nrrd"])
    write_like(255.0 - array, image, files["negative.nrrd"])
    write_like(labels, image, files["labels.nrrd"])
    write_like(array, image, files["t1.mha"])
    return {"image": image, "array": array, "labels": labels, "folder": folder, **files}


def collect(dataset, num_workers: int, batch_size: int) -> List[Dict[str, torch.Tensor]]:
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=num_workers)
    return list(loader)


def test_same_patches_with_0_and_2_workers(volume):
    subjects = [{"image": volume["t1.nrrd"], "label": volume["labels.nrrd"]}, (volume["t1.nrrd"], volume["labels.nrrd"])]
    make = lambda seed: PatchDataset(subjects, patch_size=(8, 16, 12), samples_per_volume=7, sampler="label",
                                     label_probabilities={0: 1, 1: 1, 2: 1}, seed=seed, batch_size=3)
    dataset = make(5)
    assert len(dataset) == 14
    serial, parallel = collect(dataset, 0, 3), collect(dataset, 2, 3)
    assert [b["image"].shape[0] for b in serial] == [3, 3, 3, 3, 2]
    assert len(serial) == len(parallel)
    for one, other in zip(serial, parallel):
        assert one.keys() == other.keys() == {"image", "label", "start", "origin", "subject"}
        for key in one:
            assert torch.equal(one[key], other[key]), key
    starts = torch.cat([b["start"] for b in serial])
    assert torch.equal(torch.cat([b["subject"] for b in serial]), torch.tensor([0] * 7 + [1] * 7))
    assert not torch.equal(starts[:7], starts[7:]), "the two subjects are drawn from different seeds"
    assert torch.equal(starts[:7], torch.from_numpy(dataset.locations(0)))
    assert torch.equal(starts, torch.cat([b["start"] for b in collect(make(5), 2, 3)])), "reproducible"
    assert not torch.equal(starts, torch.cat([b["start"] for b in collect(make(6), 0, 3)])), "another seed"
    dataset.set_epoch(1)
    assert not torch.equal(starts, torch.cat([b["start"] for b in collect(dataset, 0, 3)])), "another epoch"


@pytest.mark.parametrize("sampler", ["uniform", "weighted", "label"])
def test_patch_values_equal_the_voxels_at_the_start(volume, sampler):
    array, labels, image = volume["array"], volume["labels"], volume["image"]
    weights = str(volume["folder"] / "weights.nrrd")
    write_like((array > 100).astype(np.float32), image, weights)
    subject = {"image": [volume["t1.nrrd"], volume["negative.nrrd"]], "label": volume["labels.nrrd"]}
    patch = (5, 9, 12)  # D, H, W: a transposition cannot go unnoticed
    chosen = {"weighted": {"probability_map": [weights]}, "label": {"label_probabilities": {1: 1, 2: 3}}}
    dataset = PatchDataset([subject], patch_size=patch, samples_per_volume=20, sampler=sampler, seed=11,
                           **chosen.get(sampler, {}))
    items = list(dataset)
    assert len(items) == 20
    for item in items:
        assert item["image"].dtype == torch.float32 and item["image"].shape == (2,) + patch
        assert item["label"].dtype == torch.uint8 and item["label"].shape == (1,) + patch
        x, y, z = (int(v) for v in item["start"])
        window = (slice(z, z + patch[0]), slice(y, y + patch[1]), slice(x, x + patch[2]))
        np.testing.assert_array_equal(item["image"][0].numpy(), array[window])
        np.testing.assert_array_equal(item["image"][1].numpy(), 255.0 - array[window])
        np.testing.assert_array_equal(item["label"][0].numpy(), labels[window])
        point = image.TransformIndexToPhysicalPoint([x, y, z])
        np.testing.assert_allclose(item["origin"].numpy(), np.asarray(point, dtype=float), atol=1e-4)
        centre = array[z + patch[0] // 2, y + patch[1] // 2, x + patch[2] // 2]
        if sampler == "weighted":
            assert centre > 100, "the weighted sampler's centres lie where the map is positive"
        if sampler == "label":
            assert labels[z + patch[0] // 2, y + patch[1] // 2, x + patch[2] // 2] in (1, 2)


@pytest.mark.parametrize("sampler", ["uniform", "weighted", "label"])
def test_a_2d_subject_is_sampled_one_slice_deep_with_every_sampler(volume, sampler, tmp_path):
    """A newcomer's finding: the weighted and label samplers were given the 2-D maps as read (a
    SWIG type error at the first patch); the uniform sampler, which reads no map, worked."""
    plane, labels = volume["array"][30], volume["labels"][30]  # (y, x)
    files = {name: str(tmp_path / name) for name in ("plane.mha", "labels.nrrd", "weights.nrrd")}
    for array, file in ((plane, files["plane.mha"]), (labels, files["labels.nrrd"]),
                        ((plane > 100).astype(np.float32), files["weights.nrrd"])):
        image = itk.image_from_array(np.ascontiguousarray(array))
        image.SetSpacing([0.5, 1.5])
        itk.imwrite(image, file)
    chosen = {"weighted": {"probability_map": [files["weights.nrrd"]]}, "label": {"label_probabilities": {1: 1, 2: 3}}}
    patch = (1, 9, 12)
    dataset = PatchDataset([(files["plane.mha"], files["labels.nrrd"])], patch_size=patch, samples_per_volume=20,
                           sampler=sampler, seed=3, **chosen.get(sampler, {}))
    for item in dataset:
        x, y, z = (int(v) for v in item["start"])
        assert z == 0 and item["image"].shape == (1,) + patch
        np.testing.assert_array_equal(item["image"][0, 0].numpy(), plane[y:y + 9, x:x + 12])
        np.testing.assert_array_equal(item["label"][0, 0].numpy(), labels[y:y + 9, x:x + 12])
        np.testing.assert_allclose(item["origin"].numpy()[:2], [0.5 * x, 1.5 * y], atol=1e-5)
        if sampler == "weighted":
            assert plane[y + 4, x + 6] > 100
        if sampler == "label":
            assert labels[y + 4, x + 6] in (1, 2)


def test_streaming_format_reads_only_the_patch(volume):
    dataset = PatchDataset([volume["t1.mha"]], patch_size=(4, 6, 8), samples_per_volume=3, seed=2)
    subject = _SubjectReader(dataset, 0)
    for draw in range(3):
        item = subject.patch(draw)
        region = subject.images[0].reader.GetOutput().GetBufferedRegion()
        assert list(region.GetIndex()) == item["start"].tolist()
        assert list(region.GetSize()) == [8, 6, 4]
        x, y, z = item["start"].tolist()
        np.testing.assert_array_equal(item["image"][0].numpy(), volume["array"][z:z + 4, y:y + 6, x:x + 8])


@pytest.mark.parametrize("name", ["t1.nii.gz", "t1_compressed.mha"])
def test_a_subject_itk_cannot_read_in_parts_is_read_once_not_patch_by_patch(volume, name, capfd):
    """helper-75: ITK 5.2's NIfTI reader left the file open for every part of it read, so a NIfTI
    subject drawn patch by patch ran out of file descriptors. helper-76: MetaIO decompressed a
    compressed MetaImage from its start for every patch, and printed "data not read completely"
    for about half of them. Both are read whole, once."""
    file = str(volume["folder"] / name)
    image = itk.image_from_array(volume["array"])
    image.CopyInformation(volume["image"])
    itk.imwrite(image, file, compression=True)
    dataset = PatchDataset([file], patch_size=(4, 6, 8), samples_per_volume=300, seed=5)
    capfd.readouterr()
    before = len(os.listdir("/proc/self/fd"))
    items = list(dataset)
    assert len(os.listdir("/proc/self/fd")) - before < 10, "no descriptor left open per patch"
    assert capfd.readouterr() == ("", "")
    for item in items:
        x, y, z = item["start"].tolist()
        np.testing.assert_array_equal(item["image"][0].numpy(), volume["array"][z:z + 4, y:y + 6, x:x + 8])


def test_label_frequencies_match_the_requested_probabilities(volume):
    requested = {0: 0.2, 1: 0.3, 2: 0.5}
    patch = (3, 5, 5)
    dataset = PatchDataset([(volume["t1.nrrd"], volume["labels.nrrd"])], patch_size=patch, samples_per_volume=10000,
                           sampler="label", label_probabilities=requested, seed=2026)
    centres = np.array([int(item["label"][0, patch[0] // 2, patch[1] // 2, patch[2] // 2]) for item in dataset])
    assert centres.size == 10000
    starts = dataset.locations(0)
    independent = volume["labels"][starts[:, 2] + patch[0] // 2, starts[:, 1] + patch[1] // 2, starts[:, 0] + patch[2] // 2]
    np.testing.assert_array_equal(centres, independent)
    for label, probability in requested.items():
        assert abs(np.mean(centres == label) - probability) < 0.02, (label, np.mean(centres == label))


def test_uniform_starts_cover_the_valid_range(volume):
    patch = (8, 16, 32)  # D, H, W
    dataset = PatchDataset([volume["t1.nrrd"]], patch_size=patch, samples_per_volume=5000, seed=3)
    starts = dataset.locations(0)
    last = np.array([128 - 32, 128 - 16, 62 - 8])  # x, y, z
    assert starts.shape == (5000, 3)
    np.testing.assert_array_equal(starts.min(axis=0), [0, 0, 0])
    np.testing.assert_array_equal(starts.max(axis=0), last)
    for axis in range(3):  # every start of each axis is drawn, about equally often
        counts = np.bincount(starts[:, axis], minlength=last[axis] + 1)
        assert counts.size == last[axis] + 1 and counts.min() > 0
    np.testing.assert_allclose(starts.mean(axis=0), last / 2, rtol=0.05)


def test_errors_name_the_parameter_and_value(volume, tmp_path):
    missing = str(tmp_path / "missing.nrrd")
    # helper-90: a subject given as a file name or a tuple is named so (was subjects[0]['image'] for any).
    with pytest.raises(FileNotFoundError, match=r"^subjects\[0\]: no such file .*missing\.nrrd"):
        PatchDataset([missing], patch_size=8)
    with pytest.raises(FileNotFoundError, match=r"^subjects\[1\]\[1\]: no such file.*missing\.nrrd"):
        PatchDataset([volume["t1.nrrd"], (volume["t1.nrrd"], missing)], patch_size=8)
    # helper-92: more locations than memory holds failed at the first draw (std::bad_alloc) or in len().
    for count in (10 ** 12, 2 ** 63):
        with pytest.raises(ValueError, match=rf"^samples_per_volume={count}: the sampler draws the locations of a "
                                             rf"subject at once, .* GiB for this many, more than this machine's"):
            PatchDataset([volume["t1.nrrd"]], patch_size=8, samples_per_volume=count)
    with pytest.raises(ValueError, match=r"patch_size=\(0, 8, 8\).*at least 1"):
        PatchDataset([volume["t1.nrrd"]], patch_size=(0, 8, 8))
    with pytest.raises(ValueError, match=r"patch_size=\(8, 8\) has 2 values"):
        PatchDataset([volume["t1.nrrd"]], patch_size=(8, 8))
    # (x, y, z) given for (D, H, W): both orders named.
    with pytest.raises(ValueError, match=r"patch_size=\(100, 64, 32\).*\(D, H, W\).*\(62, 128, 128\).*\(32, 64, 100\)"):
        PatchDataset([volume["t1.nrrd"]], patch_size=(100, 64, 32))
    with pytest.raises(ValueError, match=r"patch_size=\(64, 200, 64\).*larger.*allow_outside"):
        PatchDataset([volume["t1.nrrd"]], patch_size=(64, 200, 64))
    with pytest.raises(ValueError, match=r"sampler='label' needs a label map.*subjects\[0\]"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, sampler="label")
    with pytest.raises(ValueError, match=r"sampler='weighted' needs a probability map"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, sampler="weighted")
    with pytest.raises(ValueError, match=r"sampler='grid': expected one of 'uniform', 'weighted', 'label'$"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, sampler="grid")
    with pytest.raises(ValueError, match=r"sampler='Labels': .* \(did you mean 'label'\?\)$"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, sampler="Labels")
    with pytest.raises(ValueError, match=r"sampler='label' needs a label map"):  # 'LABEL': a choice in any case
        PatchDataset([volume["t1.nrrd"]], patch_size=8, sampler="LABEL")
    with pytest.raises(TypeError, match=r"^PatchDataset\(\) got an unexpected keyword argument 'samples_per_subject' "
                                        r"\(did you mean samples_per_volume\?\); it takes subjects, patch_size, "):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, samples_per_subject=2)
    with pytest.raises(TypeError, match=r"got TorchIO's Queue keywords: max_length=300: pass nothing: no queue"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, max_length=300)
    with pytest.raises(ValueError, match=r"label_probabilities\[1\]=-0.5"):
        PatchDataset([(volume["t1.nrrd"], volume["labels.nrrd"])], patch_size=8, sampler="label",
                     label_probabilities={1: -0.5})
    shifted = itk.imread(volume["labels.nrrd"], itk.UC)
    shifted.SetOrigin([v + 1.0 for v in shifted.GetOrigin()])
    itk.imwrite(shifted, str(tmp_path / "shifted.nrrd"))
    with pytest.raises(ValueError, match=r"subjects\[0\]\[1\].*shifted\.nrrd.*does not share the grid of .* \(its size "
                                         r".* against the image's size "):
        PatchDataset([(volume["t1.nrrd"], str(tmp_path / "shifted.nrrd"))], patch_size=8)
    with pytest.raises(ValueError, match=r"subjects\[0\] has unknown key\(s\) \['labels'\]: expected 'image', 'label'"):
        PatchDataset([{"image": volume["t1.nrrd"], "labels": volume["labels.nrrd"]}], patch_size=8)
    # A list: two channels or an image and its label map? (helper-46: read as the latter, T2 as labels.)
    with pytest.raises(TypeError, match=r"^subjects\[0\] is a list \[.*\]; expected a file name, .* image channels "
                                        r"are \{'image': \[\.\.\., \.\.\.\]\}, an image and its label map a tuple$"):
        PatchDataset([[volume["t1.nrrd"], volume["labels.nrrd"]]], patch_size=8)
    # An array, not a file: its shape, not its printout (was 1644 characters of it).
    with pytest.raises(TypeError, match=r"^subjects\[0\]: a ndarray of shape \(20, 20, 20\); expected a file name.*"
                                        r"itk.imwrite first\)$"):
        PatchDataset([np.zeros((20, 20, 20))], patch_size=8)
    # A 2-D file is one slice deep: the message says how to ask for 2-D patches.
    itk.imwrite(itk.image_from_array(np.zeros((77, 101), np.float32)), str(tmp_path / "plane.nrrd"))
    with pytest.raises(ValueError, match=r"patch_size=\(32, 32, 32\) \(D, H, W\) is larger .* \(1, 77, 101\).*"
                                         r"give patch_size=\(1, 32, 32\)\)$"):
        PatchDataset([str(tmp_path / "plane.nrrd")], patch_size=32)
    assert PatchDataset([str(tmp_path / "plane.nrrd")], patch_size=(1, 32, 32)).patch_xyz == [32, 32, 1]
    with pytest.raises(ValueError, match=r"patch_size=\(16, 24\) has 2 values; the image is 3-D .*; '.*plane\.nrrd' is "
                                         r"2-D, read as one slice deep: give patch_size=\(1, 16, 24\)$"):
        PatchDataset([str(tmp_path / "plane.nrrd")], patch_size=(16, 24))
    picture = tmp_path / "slice.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError, match=r"subjects\[0\]=.*slice\.png.*no image format of this ITK build"):
        PatchDataset([str(picture)], patch_size=8)
    # Subjects whose patches a DataLoader could not stack into one batch.
    with pytest.raises(ValueError, match=r"subjects\[1\] has 1 image file\(s\), subjects\[0\] has 2"):
        PatchDataset([{"image": [volume["t1.nrrd"], volume["negative.nrrd"]]}, volume["t1.nrrd"]], patch_size=8)
    with pytest.raises(ValueError, match=r"subjects\[1\] has no label map, subjects\[0\] has a label map"):
        PatchDataset([(volume["t1.nrrd"], volume["labels.nrrd"]), volume["t1.nrrd"]], patch_size=8)
    with pytest.raises(ValueError, match=r"samples_per_volume=0"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, samples_per_volume=0)
    # A label absent from the map: raised when drawing, naming the subject.
    dataset = PatchDataset([(volume["t1.nrrd"], volume["labels.nrrd"])], patch_size=8, sampler="label",
                           label_probabilities={7: 1.0})
    with pytest.raises(ValueError, match=r"subjects\[0\].*sampler='label'.*LabelProbabilities") as raised:
        next(iter(dataset))
    assert "ITK ERROR" not in str(raised.value) and "(0x" not in str(raised.value)
    with pytest.raises(ValueError, match=r"seed=-1: expected a whole number >= 0"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, seed=-1)
    with pytest.raises(TypeError, match=r"seed='a': expected a whole number, got a str"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, seed="a")
    with pytest.raises(ValueError, match=r"label_probabilities=\{1: 1.0\} apply to sampler='label' only"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, label_probabilities={1: 1.0})
    with pytest.raises(ValueError, match=r"probability_map=\[.*\] applies to sampler='weighted' only"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, probability_map=[volume["t1.nrrd"]])
    with pytest.raises(ValueError, match=r"subjects\[0\] has a probability map .* sampler='weighted' only"):
        PatchDataset([{"image": volume["t1.nrrd"], "probability_map": volume["t1.nrrd"]}], patch_size=8)
    for bad, kind in (({None: 1}, ValueError), ({1: None}, ValueError), ({1: "0.5"}, ValueError), ([1], TypeError)):
        with pytest.raises(kind, match="label_probabilities"):
            PatchDataset([(volume["t1.nrrd"], volume["labels.nrrd"])], patch_size=8, sampler="label",
                         label_probabilities=bad)
    with pytest.raises(TypeError, match=r"allow_outside='yes': expected True or False"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, allow_outside="yes")
    # Two channels in one file: the float reader multiplied them into one (newcomer finding), now refused.
    two = itk.image_from_array(np.stack([volume["array"], 255.0 - volume["array"]], axis=-1).astype(np.float32),
                               is_vector=True)
    itk.imwrite(two, str(tmp_path / "two.mha"))
    with pytest.raises(ValueError, match=r"subjects\[0\]=.*two\.mha' has 2 components per voxel; "
                                         r"PatchDataset reads one channel per file"):
        PatchDataset([str(tmp_path / "two.mha")], patch_size=8)
    with pytest.raises(ValueError, match=r"subjects\[0\]\[1\]=.*two\.mha' has 2 components.*a label or "
                                         r"probability map holds one value per voxel$"):
        PatchDataset([(volume["t1.nrrd"], str(tmp_path / "two.mha"))], patch_size=8)
    # helper-81: a generator, an image None, a folder (a Zarr array), a tuple of files (one subject?).
    with pytest.raises(TypeError, match=r"^subjects=<generator .*>: expected a list, got a generator: "
                                        r"pass list\(\.\.\.\)$"):
        PatchDataset((f for f in [volume["t1.nrrd"]]), patch_size=8)
    with pytest.raises(TypeError, match=r"^subjects\[0\]\['image'\]=None: expected a list, got a NoneType$"):
        PatchDataset([{"image": None}], patch_size=8)
    # Any sized collection is a list of subjects, of image channels (helper-82: refused for a while).
    assert len(PatchDataset(np.array([volume["t1.nrrd"]] * 2), patch_size=8)) == 2
    assert len(PatchDataset({"a": volume["t1.nrrd"], "b": volume["t1.nrrd"]}.values(), patch_size=8)) == 2
    assert len(PatchDataset([{"image": np.array([volume["t1.nrrd"]])}], patch_size=8)) == 1
    (tmp_path / "array.zarr").mkdir()
    with pytest.raises(IsADirectoryError, match=r"subjects\[0\]=.*array\.zarr' is a folder \(a Zarr "
                                                r"array\?\); PatchDataset reads image files"):
        PatchDataset([str(tmp_path / "array.zarr")], patch_size=8)
    with pytest.raises(ValueError, match=r"no image format of this ITK build reads it \(use \.mha, \.nrrd, \.nii or "
                                         r"\.nii\.gz\)$"):
        PatchDataset([str(picture)], patch_size=8)
    with pytest.raises(ValueError, match=r"a tuple of files reads as one subject \(image, label\); give a list"):
        PatchDataset((volume["t1.nrrd"], volume["labels.nrrd"]), patch_size=8)
    assert len(PatchDataset([volume["t1.nrrd"], volume["t1.nrrd"]], patch_size=8)) == 2
    # set_epoch and locations check their arguments (1.5 was epoch 1; True and "1" were taken).
    dataset = PatchDataset([volume["t1.nrrd"]], patch_size=8)
    for epoch, kind in ((1.5, ValueError), ("1", TypeError), (True, TypeError), (-1, ValueError), (None, TypeError)):
        with pytest.raises(kind, match=f"epoch={epoch!r}"):
            dataset.set_epoch(epoch)
    assert dataset.epoch == 0
    for subject, kind in ((5, ValueError), (-1, ValueError), ("0", TypeError)):
        with pytest.raises(kind, match=rf"subject={subject!r}: expected .*"):
            dataset.locations(subject)
    # helper-86: an image object as a map or label map failed inside os.fspath, naming nothing.
    t1_image = itk.imread(volume["t1.nrrd"], itk.F)
    with pytest.raises(TypeError, match=r"^probability_map\[0\]: an itkImageF3; expected a file name"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, sampler="weighted", probability_map=[t1_image])
    with pytest.raises(TypeError, match=r"^subjects\[0\]\[1\]: an itkImageF3; expected a file name"):
        PatchDataset([(volume["t1.nrrd"], t1_image)], patch_size=8)
    with pytest.raises(FileNotFoundError, match=r"^probability_map\[0\]: no such file"):
        PatchDataset([volume["t1.nrrd"]], patch_size=8, sampler="weighted", probability_map=[missing])
    # helper-85: PyTorch's IterableDataset says only NotImplementedError.
    with pytest.raises(TypeError, match=r"^PatchDataset\[0\]: a PatchDataset is an IterableDataset, drawn as it is "
                                        r"iterated: use next\(iter\(dataset\)\)"):
        dataset[0]
    # helper-85: a probability map beside the image in physical space (written without its geometry) was "zero".
    t1 = itk.imread(volume["t1.nrrd"], itk.F)
    ones = itk.image_from_array(np.ones(itk.array_view_from_image(t1).shape, np.float32))
    ones.SetOrigin([float(v) + 1000.0 for v in t1.GetOrigin()])
    itk.imwrite(ones, str(tmp_path / "beside.nrrd"))
    with pytest.warns(UserWarning, match="has the image's size but not its geometry"):
        beside = PatchDataset([volume["t1.nrrd"]], patch_size=8, sampler="weighted",
                              probability_map=[str(tmp_path / "beside.nrrd")])
    with pytest.raises(ValueError, match=r"^subjects\[0\] .*sampler='weighted': .*no patch can be drawn; none of its "
                                         r"voxels lies where a patch fits: the map is placed through physical space"):
        next(iter(beside))


def test_a_map_of_the_images_size_without_its_geometry_is_warned_of(volume, tmp_path):
    """helper-86: a map made voxel for voxel (itk.image_from_array, no geometry) and the image's
    size is placed through physical space, off the oblique image: warned of once, when the
    dataset is made, at the caller's line, naming what differs. The same map with the image's
    geometry, in NRRD or in NIfTI (which keeps the origin in float32), is silent and draws
    centres where the map is positive."""
    array, image = volume["array"], volume["image"]
    weights = (array > 100).astype(np.float32)
    itk.imwrite(itk.image_from_array(weights), str(tmp_path / "bare.nrrd"))
    with pytest.warns(UserWarning, match=r"^probability_map\[0\]='.*bare.nrrd' has the image's size but not its "
                                         r"geometry \(its spacing \[1.0, 1.0, 1.0\], origin .*, direction .* against "
                                         r"the image's spacing \[2.0, 2.0, 3.0\], origin .*\): it is placed through "
                                         r"physical space") as caught:
        bare = PatchDataset([volume["t1.nrrd"]], patch_size=8, sampler="weighted", samples_per_volume=5,
                            probability_map=[str(tmp_path / "bare.nrrd")], allow_outside=True)
    assert [w.filename for w in caught] == [__file__]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # drawing warns no more
        try:
            list(bare)
        except ValueError:  # the map may miss every place a patch fits
            pass
    shifted = itk.image_from_array(array)  # an origin float32 does not hold: NIfTI rounds it
    shifted.CopyInformation(image)
    shifted.SetOrigin([-120.123457, 3.3, 7.7])
    itk.imwrite(shifted, str(tmp_path / "shifted.nrrd"))
    for name in ("placed.nrrd", "placed.nii.gz"):
        write_like(weights, shifted, str(tmp_path / name))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            items = list(PatchDataset([str(tmp_path / "shifted.nrrd")], patch_size=8, sampler="weighted",
                                      samples_per_volume=20, probability_map=[str(tmp_path / name)]))
        for item in items:
            x, y, z = (int(v) + 4 for v in item["start"])
            assert weights[z, y, x] > 0, name


@pytest.mark.parametrize("sampler", ["uniform", "label"])
@pytest.mark.parametrize("value, dtype", [(256, np.uint16), (-1, np.float32), (2.5, np.float32)])
def test_a_label_that_is_not_an_unsigned_char_is_refused_not_wrapped(volume, tmp_path, sampler, value, dtype):
    """A uint16 label 256 was yielded as 0, a float -1 as 255 (newcomer finding): now an error naming
    the file and the value, for the label sampler's map and for the patches alike."""
    labels = volume["labels"].astype(dtype)
    labels[labels == 2] = value  # the bright class, where every patch of 40 voxels reaches
    file = str(tmp_path / "labels.nrrd")
    write_like(labels, volume["image"], file)
    dataset = PatchDataset([(volume["t1.nrrd"], file)], patch_size=40, samples_per_volume=4, sampler=sampler,
                           label_probabilities={1: 1.0} if sampler == "label" else None, seed=1)
    with pytest.raises(ValueError, match=rf"subjects\[0\]\[1\]='.*labels\.nrrd' holds the label {value:g} "
                                         rf"\(.*\); expected unsigned char labels, whole numbers 0 \.\. 255"):
        list(dataset)
    # helper-91: named as given, a tuple's second file or a dict's 'label' (the dict's name was used for both).
    dataset = PatchDataset([{"image": volume["t1.nrrd"], "label": file}], patch_size=40, samples_per_volume=4,
                           sampler=sampler, label_probabilities={1: 1.0} if sampler == "label" else None, seed=1)
    with pytest.raises(ValueError, match=rf"subjects\[0\]\['label'\]='.*labels\.nrrd' holds the label {value:g} "):
        list(dataset)
    in_range = labels.clip(0, 255).round().astype(np.uint16)  # a uint16 map of labels 0 .. 255 is accepted
    write_like(in_range, volume["image"], file)
    for item in PatchDataset([(volume["t1.nrrd"], file)], patch_size=40, samples_per_volume=4, seed=1):
        x, y, z = item["start"].tolist()
        assert np.array_equal(item["label"][0].numpy(), in_range[z:z + 40, y:y + 40, x:x + 40])


def test_label_sampler_default_draws_centres_on_the_foreground(volume):
    # The TorchIO-like default (no label_probabilities) used to fail passing numpy labels to SWIG.
    patch = (3, 5, 5)
    dataset = PatchDataset([(volume["t1.nrrd"], volume["labels.nrrd"])], patch_size=patch, samples_per_volume=500,
                           sampler="label", seed=3)
    centres = np.array([int(item["label"][0, patch[0] // 2, patch[1] // 2, patch[2] // 2]) for item in dataset])
    assert centres.size == 500 and np.all(centres > 0)
