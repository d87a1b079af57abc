"""sliding_window_inference against a reference written out here: PyTorch on every patch, a
numpy full-size weighted sum and weight volume, divided."""
import ctypes
import os
import re
import stat
import signal
import subprocess
import sys
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import torch

import itk
import patchstreaming
from patchstreaming._patch_arguments import exact_fraction
from conftest import SmallNetwork, TupleNetwork, T1_IMAGE


def grid_starts(image, patch_dhw, overlap):
    """The per-axis patch starts the module's grid uses (tested in its own C++ suite), in (D, H, W) order."""
    extractor = itk.PatchExtractor[type(image), itk.Image[itk.F, 4]].New()
    extractor.SetInput(image)
    extractor.SetPatchSize(list(reversed(patch_dhw)))
    extractor.SetPatchOverlap([int(overlap * p) for p in reversed(patch_dhw)])
    extractor.UpdateOutputInformation()
    grid = extractor.GetPatchGrid()
    starts = [set(), set(), set()]
    for k in range(grid.GetNumberOfPatches()):
        index = grid.GetPatchRegion(k).GetIndex()
        for d in range(3):
            starts[2 - d].add(int(index[d]))
    return [sorted(s) for s in starts]


def axis_weights(starts, length, size, mode):
    """One 1-D window per patch position along an axis, as a (positions, length) array."""
    t = np.arange(size, dtype=np.float64)
    weights = np.zeros((len(starts), length))
    for i, start in enumerate(starts):
        if mode == "gaussian":
            sigma = 0.125 * size
            profile = np.maximum(np.exp(-((t - (size - 1) / 2) ** 2) / (2 * sigma * sigma)), 1e-3)
        else:
            profile = np.ones(size)
        weights[i, start:start + size] = profile
    if mode == "crop":  # each voxel owned by the covering patch with the nearest center, ties to the lower start
        owned = np.zeros_like(weights)
        for x in range(length):
            covering = [i for i, s in enumerate(starts) if s <= x < s + size]
            owner = min(covering, key=lambda i: (abs(starts[i] + (size - 1) / 2 - x), starts[i]))
            owned[owner, x] = 1.0
        weights = owned
    return weights


def reference(array, network, patch_dhw, overlap, mode, image):
    """Every patch through the network, weighted, summed into full-size volumes, divided."""
    starts = grid_starts(image, patch_dhw, overlap)
    windows = [axis_weights(starts[d], array.shape[d], patch_dhw[d], mode) for d in range(3)]
    total, weight = None, np.zeros(array.shape)
    for i, z in enumerate(starts[0]):
        for j, y in enumerate(starts[1]):
            for k, x in enumerate(starts[2]):
                box = (slice(z, z + patch_dhw[0]), slice(y, y + patch_dhw[1]), slice(x, x + patch_dhw[2]))
                with torch.no_grad():
                    out = network(torch.from_numpy(np.ascontiguousarray(array[box]))[None, None])[0].numpy()
                w = (windows[0][i][box[0], None, None] * windows[1][j][None, box[1], None]
                     * windows[2][k][None, None, box[2]])
                if total is None:
                    total = np.zeros((out.shape[0],) + array.shape)
                total[(slice(None),) + box] += out * w
                weight[box] += w
    return total / weight  # (C, D, H, W)


def as_channels_first(result):
    array = itk.array_from_image(result)
    return np.moveaxis(array, -1, 0) if array.ndim == 4 else array[None]


@pytest.mark.parametrize("mode", ["constant", "gaussian", "crop"])
def test_matches_the_written_out_reference_and_keeps_the_geometry(oblique_array, mode):
    network = SmallNetwork().eval()
    result = patchstreaming.sliding_window_inference(
        oblique_array["array"], network, patch_size=(8, 10, 12), overlap=0.5, batch_size=3, mode=mode,
        spacing=oblique_array["spacing"], origin=oblique_array["origin"], direction=oblique_array["direction"],
        progress=False)
    image = itk.image_from_array(oblique_array["array"])
    expected = reference(oblique_array["array"], network, (8, 10, 12), 0.5, mode, image)
    np.testing.assert_allclose(as_channels_first(result), expected, rtol=0, atol=2e-6)
    np.testing.assert_allclose(np.array(result.GetSpacing()), oblique_array["spacing"])
    np.testing.assert_allclose(np.array(result.GetOrigin()), oblique_array["origin"])
    np.testing.assert_allclose(itk.array_from_matrix(result.GetDirection()), oblique_array["direction"], atol=1e-12)


def monai_reference(array, network, roi, overlap):
    """MONAI's sliding_window_inference (mode="gaussian", sigma_scale=0.125) written out from its
    monai/inferers/utils.py and monai/data/utils.py: scan interval int(roi · (1 − overlap)), windows
    i · interval until one reaches the image's end, each moved back to end there at most; the
    importance map is the product of the per-axis Gaussians (centre (roi − 1) / 2) with values below
    1e-3 raised to 1e-3 on the whole map; full-size output and count map."""
    starts = []
    for size, r in zip(array.shape, roi):
        interval, axis, i = max(int(r * (1 - overlap)), 1), [], 0
        while True:
            axis.append(min(i * interval, size - r))
            if i * interval + r >= size:
                break
            i += 1
        starts.append(axis)
    gaussians = [np.exp(-((np.arange(r) - (r - 1) / 2) ** 2) / (2 * (0.125 * r) ** 2)) for r in roi]
    importance = np.maximum(gaussians[0][:, None, None] * gaussians[1][None, :, None] * gaussians[2][None, None, :],
                            1e-3)
    total, count = None, np.zeros(array.shape)
    for z in starts[0]:
        for y in starts[1]:
            for x in starts[2]:
                box = (slice(z, z + roi[0]), slice(y, y + roi[1]), slice(x, x + roi[2]))
                with torch.no_grad():
                    out = network(torch.from_numpy(np.ascontiguousarray(array[box]))[None, None])[0].numpy()
                if total is None:
                    total = np.zeros((out.shape[0],) + array.shape)
                total[(slice(None),) + box] += out * importance
                count[box] += importance
    return total / count  # (C, D, H, W)


@pytest.mark.parametrize("roi, overlap", [((8, 10, 12), 0.5), ((7, 9, 5), (4 / 7, 5 / 9, 3 / 5))])
def test_gaussian_floor_window_gives_monai_s_numbers(oblique_array, roi, overlap):
    """helper-94: MONAI raises its N-D importance map to 1e-3, the default floors each axis; 58 % of a
    3-D patch is below 1e-3. The grid is MONAI's: the edge border mode, and MONAI's strides for its
    overlap 0.5 (int(P · 0.5): 3, 4, 2 for (7, 9, 5), which overlaps of 4/7, 5/9, 3/5 give here)."""
    network = SmallNetwork(classes=2).eval()
    expected = monai_reference(oblique_array["array"], network, roi, 0.5)
    for argmax in (False, True):
        result = patchstreaming.sliding_window_inference(
            oblique_array["array"], network, roi, overlap=overlap, batch_size=3, border_mode="edge",
            gaussian_floor="window", argmax=argmax, spacing=oblique_array["spacing"], progress=False)
        assert tuple(result.GetSpacing()) == oblique_array["spacing"]
        if argmax:
            decided = np.abs(expected[1] - expected[0]) > 1e-5
            assert decided.mean() > 0.99
            assert np.array_equal(itk.array_from_image(result)[decided], np.argmax(expected, axis=0)[decided])
        else:
            np.testing.assert_allclose(as_channels_first(result), expected, rtol=0, atol=2e-6)
    per_axis = patchstreaming.sliding_window_inference(oblique_array["array"], network, roi, overlap=overlap,
                                                       border_mode="edge", progress=False)
    assert np.abs(as_channels_first(per_axis) - expected).max() > 1e-3


def test_argmax_of_four_classes_equals_the_reference_argmax(oblique_array):
    network = SmallNetwork(classes=4, seed=3).eval()
    labels = patchstreaming.sliding_window_inference(oblique_array["array"], network, patch_size=(8, 10, 12),
                                                     argmax=True, progress=False)
    assert "UC" in type(labels).__name__
    image = itk.image_from_array(oblique_array["array"])
    expected = reference(oblique_array["array"], network, (8, 10, 12), 0.5, "gaussian", image)
    top = np.sort(expected, axis=0)
    decided = top[-1] - top[-2] > 1e-5
    assert decided.mean() > 0.99
    assert np.array_equal(itk.array_from_image(labels)[decided], np.argmax(expected, axis=0)[decided])
    assert len(np.unique(itk.array_from_image(labels))) >= 3


def test_the_batch_filter_driven_by_hand_as_python_md_shows_matches_the_reference(oblique_array, tmp_path):
    """docs/python.md's "Batches of your own size" pipeline, streamed in 3 divisions, into the channels and into
    labels."""
    network = SmallNetwork(classes=3).eval()
    image = itk.image_from_array(oblique_array["array"])
    image.SetSpacing(oblique_array["spacing"])
    image.SetDirection(itk.matrix_from_array(oblique_array["direction"]))
    extractor = itk.PatchExtractor.New(image, PatchSize=[12, 10, 8], PatchOverlap=[6, 5, 4])
    stack, probabilities = itk.Image[itk.F, 4], itk.VectorImage[itk.F, 4]
    batches = itk.PatchBatchImageFilter[stack, probabilities].New(extractor.GetOutput(), BatchSize=3,
                                                                  NumberOfOutputChannels=3)
    sizes = []

    def run_batch():
        first, count = batches.GetCurrentBatchStart(), batches.GetCurrentBatchSize()
        patches = batches.GetInput()
        shape = [int(s) for s in reversed(patches.GetBufferedRegion().GetSize())]
        values = np.ctypeslib.as_array(ctypes.cast(int(patches.GetBufferPointer()), ctypes.POINTER(ctypes.c_float)),
                                       shape=shape)
        row = first - patches.GetBufferedRegion().GetIndex()[3]
        with torch.no_grad():
            out = network(torch.from_numpy(values[row:row + count])[:, None])
        batches.SetCurrentBatchOutputFromChannelsFirst(
            itk.image_view_from_array(out.contiguous().numpy().reshape((-1,) + tuple(out.shape[2:]))))
        sizes.append(count)

    command = itk.PyCommand.New()
    command.SetCommandCallable(run_batch)
    batches.AddObserver(itk.IterationEvent(), command)
    merger = itk.PatchMerger[probabilities, itk.VectorImage[itk.F, 3]].New(
        batches.GetOutput(), Weighting=itk.PatchStreamingEnums.Weighting_Gaussian)
    itk.ImageFileWriter.New(merger.GetOutput(), FileName=str(tmp_path / "p.mha"), NumberOfStreamDivisions=3).Update()
    result = itk.imread(str(tmp_path / "p.mha"), itk.VariableLengthVector[itk.F])
    expected = reference(oblique_array["array"], network, (8, 10, 12), 0.5, "gaussian", image)
    np.testing.assert_allclose(as_channels_first(result), expected, rtol=0, atol=2e-6)
    assert set(sizes[:-1]) == {3}
    np.testing.assert_allclose(np.array(result.GetSpacing()), oblique_array["spacing"])
    np.testing.assert_allclose(itk.array_from_matrix(result.GetDirection()), oblique_array["direction"], atol=1e-12)
    # Merged straight into labels, as the page's block ends: the argmax of the merged channels.
    labels = itk.PatchMerger[probabilities, itk.Image[itk.UC, 3]].New(
        batches.GetOutput(), Weighting=itk.PatchStreamingEnums.Weighting_Gaussian)
    itk.ImageFileWriter.New(labels.GetOutput(), FileName=str(tmp_path / "l.mha"), NumberOfStreamDivisions=3).Update()
    written = itk.imread(str(tmp_path / "l.mha"))
    np.testing.assert_array_equal(itk.array_from_image(written), np.argmax(as_channels_first(result), axis=0))
    np.testing.assert_allclose(itk.array_from_matrix(written.GetDirection()), oblique_array["direction"], atol=1e-12)


def test_a_tuple_output_model_gives_a_tuple_of_images(oblique_array):
    network = TupleNetwork().eval()
    probabilities, regression = patchstreaming.sliding_window_inference(
        oblique_array["array"], network, patch_size=(8, 10, 12), mode="gaussian", progress=False)
    alone = patchstreaming.sliding_window_inference(oblique_array["array"], network.classes, patch_size=(8, 10, 12),
                                                    progress=False)
    assert np.array_equal(itk.array_from_image(probabilities), itk.array_from_image(alone))
    image = itk.image_from_array(oblique_array["array"])
    expected = reference(oblique_array["array"], network.regression, (8, 10, 12), 0.5, "gaussian", image)[0]
    np.testing.assert_allclose(itk.array_from_image(regression), expected, rtol=0, atol=2e-6)
    named = patchstreaming.sliding_window_inference(
        oblique_array["array"], lambda x: {"classes": network(x)[0], "value": network(x)[1]},
        patch_size=(8, 10, 12), progress=False)
    assert set(named) == {"classes", "value"}
    assert np.array_equal(itk.array_from_image(named["value"]), itk.array_from_image(regression))
    # argmax takes one output: the message says how to pass one (newcomer finding).
    with pytest.raises(ValueError, match=r"argmax=True needs one output .*; pass one of them, e\.g\. lambda x: "
                                         r"model\(x\)\[0\]"):
        patchstreaming.sliding_window_inference(oblique_array["array"], network, patch_size=(8, 10, 12), argmax=True,
                                                progress=False)
    with pytest.raises(ValueError, match=r"returns a dict of 1 output with \[\d+\] channels; pass one of them, "
                                         r"e\.g\. lambda x: model\(x\)\['classes'\]"):
        patchstreaming.sliding_window_inference(oblique_array["array"], lambda x: {"classes": network(x)[0]},
                                                patch_size=(8, 10, 12), argmax=True, progress=False)
    # More classes than a uint16 label map holds (helper-81: ITK's error, with its source path).
    with pytest.raises(ValueError, match=r"^argmax=True needs one output of 2 to 65536 channels \(a uint16 label map "
                                         r"holds 65536 classes\); the predictor returns one tensor of 65537 channels$"):
        patchstreaming.sliding_window_inference(np.zeros((3, 3, 3), np.float32),
                                                lambda x: x.expand(-1, 65537, -1, -1, -1), patch_size=2, argmax=True,
                                                progress=False)
    labels = patchstreaming.sliding_window_inference(oblique_array["array"], lambda x: network(x)[0],
                                                     patch_size=(8, 10, 12), argmax=True, progress=False)
    assert np.array_equal(itk.array_from_image(labels), np.argmax(itk.array_from_image(probabilities), axis=-1))


def test_every_output_kind_keeps_an_input_region_that_does_not_start_at_0(oblique_array):
    """A newcomer's finding: tuple and dict outputs were made with index 0 and the input's origin, so
    an input whose region starts elsewhere (ExtractImageFilter's output) had them shifted in space
    by index x spacing; the single output was right."""
    image = itk.image_from_array(oblique_array["array"])
    image.SetSpacing(oblique_array["spacing"])
    image.SetOrigin(oblique_array["origin"])
    image.SetDirection(itk.matrix_from_array(oblique_array["direction"]))
    region = image.GetLargestPossibleRegion()
    region.SetIndex([5, 6, 7])
    image.SetRegions(region)
    network = TupleNetwork().eval()
    single = patchstreaming.sliding_window_inference(image, lambda x: network(x)[0], 8, progress=False)
    labels = patchstreaming.sliding_window_inference(image, lambda x: network(x)[0], 8, argmax=True, progress=False)
    pair = patchstreaming.sliding_window_inference(image, network, 8, progress=False)
    named = patchstreaming.sliding_window_inference(image, lambda x: dict(zip("ab", network(x))), 8, progress=False)
    for output in (single, labels) + pair + tuple(named.values()):
        assert output.GetLargestPossibleRegion() == region
        for corner in ([5, 6, 7], [5 + 20, 6 + 16, 7 + 12]):
            assert np.allclose(output.TransformIndexToPhysicalPoint(corner), image.TransformIndexToPhysicalPoint(corner))
    assert np.array_equal(itk.array_from_image(pair[0]), itk.array_from_image(single))


def test_a_tuple_list_or_dict_of_one_single_channel_output_is_kept_as_given(oblique_array):
    """One output of one channel merges as a scalar image; the structure around it is kept."""
    network = SmallNetwork(classes=1, softmax=False).eval()
    alone = itk.array_from_image(patchstreaming.sliding_window_inference(
        oblique_array["array"], network, patch_size=(8, 10, 12), progress=False))
    for wrap, unwrap in ((lambda y: (y,), lambda r: r[0]), (lambda y: [y], lambda r: r[0]),
                         (lambda y: {1: y}, lambda r: r[1])):
        result = patchstreaming.sliding_window_inference(
            oblique_array["array"], lambda x: wrap(network(x)), patch_size=(8, 10, 12), progress=False)
        assert isinstance(result, dict if isinstance(wrap(0), dict) else tuple) and len(result) == 1
        assert np.array_equal(itk.array_from_image(unwrap(result)), alone)


def test_batch_sizes_one_three_four_and_larger_than_a_line_give_identical_results_in_full_calls(oblique_array):
    """Every call holds batch_size patches but the last, whatever the patches per line: batches
    run across line ends (patches k * batch_size to (k + 1) * batch_size - 1)."""
    network = SmallNetwork().eval()
    calls = []

    def counted(x):
        # Batch by batch as given, each patch through the network alone: PyTorch's convolutions
        # round differently for different batch sizes, the merge must not.
        calls.append(x.shape[0])
        return torch.cat([network(x[i:i + 1]) for i in range(x.shape[0])])

    results = {}
    for batch_size in (1, 3, 4, 50, 10 ** 20):  # helper-92: 10 ** 20 failed in ITK's binding (OverflowError)
        calls.clear()
        results[batch_size] = itk.array_from_image(patchstreaming.sliding_window_inference(
            oblique_array["array"], counted, patch_size=(8, 10, 12), batch_size=batch_size, progress=False))
        sizes = calls[1:]  # the first call is the probe on one zero patch
        patches = sum(sizes)
        full, rest = divmod(patches, batch_size)
        assert sizes == [batch_size] * full + ([rest] if rest else []), (batch_size, sizes)
    # 3 x 3 x 3 patches (12, 10 and 8 voxels at half overlap over 21, 17 and 13): lines of 3, which
    # batches of 4 cannot fill.
    assert patches == 27
    for batch_size in (3, 4, 50, 10 ** 20):
        assert np.array_equal(results[1], results[batch_size]), batch_size
    # The network itself on whole batches: equal to rounding.
    whole = itk.array_from_image(patchstreaming.sliding_window_inference(
        oblique_array["array"], network, patch_size=(8, 10, 12), batch_size=50, progress=False))
    np.testing.assert_allclose(whole, results[1], rtol=0, atol=1e-6)


def test_streaming_to_a_file_in_four_divisions_gives_the_bytes_of_one(tmp_path):
    image = itk.imread(T1_IMAGE, itk.F)
    network = SmallNetwork().eval()
    files = []
    for divisions in (1, 4, 2 ** 32):  # helper-95: 2**32 failed in ITK's binding (unsigned int)
        file = tmp_path / f"labels_{divisions}.mha"  # MetaImage: ITK writes it piece by piece
        assert patchstreaming.sliding_window_inference(
            image, network, patch_size=(16, 32, 32), output=file, stream_divisions=divisions, argmax=True,
            progress=False) is None
        files.append(file.read_bytes())
    assert files[0] == files[1] == files[2]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".partial")] == []
    written = itk.imread(str(tmp_path / "labels_4.mha"))
    np.testing.assert_allclose(itk.array_from_matrix(written.GetDirection()),
                               itk.array_from_matrix(image.GetDirection()), atol=1e-6)
    np.testing.assert_allclose(np.array(written.GetSpacing()), np.array(image.GetSpacing()))


def squeeze_positions(length: int, size: int, overlap: float) -> int:
    """Patch positions along an axis in border mode "squeeze", in closed form: one when the axis is no longer
    than the patch, else enough strides to reach its end."""
    stride = size - int(overlap * size)
    return 1 if length <= size else -(-(length - size) // stride) + 1


def patches_run(shape: tuple, patch_size: int, overlap) -> int:
    """The number of patches an identity network is handed over an array of ``shape`` (the probe's left out)."""
    calls = []

    def network(x):
        calls.append(x.shape[0])
        return x

    array = np.ones(shape, dtype=np.float32)
    patchstreaming.sliding_window_inference(array, network, patch_size=patch_size, overlap=overlap, progress=False)
    return sum(calls[1:])


@pytest.mark.parametrize("overlap", [0.7, np.float32(0.7), np.float64(0.7), np.array(0.7, dtype=np.float32),
                                     torch.tensor(0.7), np.float16(0.7), Fraction(7, 10), Decimal("0.7")])
def test_an_overlap_fraction_is_read_as_its_shortest_decimal_in_its_own_precision(overlap):
    # float32(0.7) is 0.699999988…: 0.7 · 10 must give 7 voxels of overlap (stride 3), not 6.
    assert patches_run((10, 10, 24), 10, overlap) == squeeze_positions(24, 10, 0.7) == 6


@pytest.mark.parametrize("overlap", [1 / 3, np.float32(1 / 3), np.float16(1 / 3), torch.tensor(1 / 3),
                                     torch.tensor(1 / 3).double(), Fraction(1, 3)])
def test_an_overlap_computed_as_a_fraction_is_that_fraction(overlap):
    # 1 / 3 is 0.33333333333333331…, whose shortest decimal 0.3333333333333333 · 9 = 2.99…: the overlap must be
    # 3 voxels (stride 6, 6 positions over 34), not 2 (stride 7, 5 positions).
    assert patches_run((9, 9, 34), 9, overlap) == squeeze_positions(34, 9, Fraction(1, 3)) == 6


@pytest.mark.parametrize("value, fraction", [
    (np.float32(12 / 19), Fraction(12, 19)), (np.float32(17 / 18), Fraction(17, 18)), (2 / 3, Fraction(2, 3)),
    (np.float32(0.1261), Fraction(1261, 10000)), (0.123456789, Fraction(123456789, 10**9)),
    (np.float16(0.007), Fraction(7, 1000)), (Decimal("1e-99999999"), Fraction(0))])
def test_a_float_is_the_simplest_fraction_that_rounds_to_it_unless_its_decimal_is_shorter(value, fraction):
    """helper-49: float32(12/19) of 95 gave 59 (the fraction nearest its shortest decimal); Decimal('1e-99999999')
    hung in Fraction()."""
    assert exact_fraction(value) == fraction


@pytest.mark.parametrize("shape, patch_size, batch_size", [
    ((10, 24, 24), (16, 16, 16), 4),   # the slowest axis shorter than a patch: one batch holds every patch
    ((10, 24, 24), (8, 16, 16), 8),    # two positions on it, both reaching every division
    ((10, 24, 24), (8, 16, 16), 3),    # batches across line ends
    ((31, 20, 18), (8, 16, 16), 4),    # several lines per division
    ((1, 50, 60), (1, 50, 16), 4),     # one slice deep: divided along H, one line reaching every division
    ((1, 23, 30), (1, 8, 16), 3),      # one slice deep, several lines per division
])
def test_streaming_in_divisions_runs_every_patch_once_and_gives_the_bytes_of_one(tmp_path, shape, patch_size,
                                                                                  batch_size):
    array = np.random.default_rng(3).random(shape, dtype=np.float32)
    patches = int(np.prod([squeeze_positions(n, p, 0.5) for n, p in zip(shape, patch_size)]))
    files = []
    for divisions in (1, 2, 3, 5):
        for argmax in (False, True):
            calls = []

            def network(x):
                calls.append(x.shape[0])
                return torch.cat([x, 1 - x], dim=1)

            file = tmp_path / f"out_{divisions}_{argmax}.mha"
            patchstreaming.sliding_window_inference(array, network, patch_size=patch_size, batch_size=batch_size,
                                                    output=file, stream_divisions=divisions, argmax=argmax,
                                                    progress=False)
            assert sum(calls[1:]) == patches, (divisions, argmax, calls)  # calls[0]: the probe
            files.append(file.read_bytes())
    assert files[0::2] == [files[0]] * 4 and files[1::2] == [files[1]] * 4


def test_errors_name_the_parameter_the_value_and_what_was_expected(oblique_array):
    array = oblique_array["array"]  # (D, H, W) = (13, 17, 21)
    network = SmallNetwork().eval()
    with pytest.raises(ValueError, match=r"\(D, H, W\) order.*\(13, 17, 21\).*\(x, y, z\) order"):
        patchstreaming.sliding_window_inference(array, network, patch_size=(21, 8, 8), progress=False)
    # A 2-D image's orders are (H, W) and (x, y).
    with pytest.raises(ValueError, match=r"patch_size=\(21, 8\) is read in \(H, W\) order.*whose \(H, W\) shape is "
                                         r"\(17, 21\)\. Read in ITK's \(x, y\) order"):
        patchstreaming.sliding_window_inference(array[0], lambda x: x, patch_size=(21, 8), progress=False)
    # patchstreaming.ShapeError (a ValueError), exported for an except clause (helper-99).
    with pytest.raises(patchstreaming.ShapeError, match=r"has shape \(1, 3, 4, 5, 6\).*expected \(1, C, 8, 10, 12\)"):
        patchstreaming.sliding_window_inference(array, lambda x: network(x)[:, :, ::2, ::2, ::2],
                                                patch_size=(8, 10, 12), progress=False)
    with pytest.raises(TypeError, match="returned a ndarray"):
        patchstreaming.sliding_window_inference(array, lambda x: x.numpy(), patch_size=(8, 10, 12), progress=False)
    with pytest.raises(TypeError, match=r"not wrapped; the wrapped image types are .*itk.Image\[itk.F, 3\]\)\)\)$"):
        patchstreaming.sliding_window_inference(itk.Image[itk.UC, 3].New(), network, patch_size=4, progress=False)
    # helper-85: a 4-D image was told to cast to 3-D, which a cast cannot do.
    with pytest.raises(TypeError, match=r"^image: itkImageF4 is 4-D; the wrapped image types are .*: pass a 3-D part"):
        patchstreaming.sliding_window_inference(itk.Image[itk.F, 4].New(), network, patch_size=4, progress=False)
    with pytest.raises(ValueError, match="batch_size=0"):
        patchstreaming.sliding_window_inference(array, network, patch_size=8, batch_size=0, progress=False)
    # The value as given, not as spread over the axes.
    for given, echoed in ((0, "patch_size=0:"), ([0], r"patch_size=\[0\]:"), ((8, -1, 8), r"patch_size=\(8, -1, 8\):")):
        with pytest.raises(ValueError, match=echoed + " every size must be at least 1"):
            patchstreaming.sliding_window_inference(array, network, patch_size=given, progress=False)
    with pytest.raises(ValueError, match="mode='median'"):
        patchstreaming.sliding_window_inference(array, network, patch_size=8, mode="median", progress=False)


def test_errors_say_how_a_3d_array_with_two_spacing_values_was_read(oblique_array):
    """A (13, 17, 21) array with 2 spacing values is a 2-D image of 13 channels, as documented: the
    errors that follow (our own, and the predictor's, its type kept) carry a note saying so."""
    array, network = oblique_array["array"], SmallNetwork().eval()
    note = (r"image: the array of shape \(13, 17, 21\) was read as a 2-D image of 13 channels, \(C, H, W\), "
            r"because spacing=\(1.0, 2.0\) has 2 values; give 3 spacing values")
    with pytest.raises(ValueError, match=r"patch_size=\(8, 8, 8\) has 3 values; the image is 2-D") as refused:
        patchstreaming.sliding_window_inference(array, network, patch_size=(8, 8, 8), spacing=(1.0, 2.0),
                                                progress=False)
    assert re.match(note, refused.value.__notes__[0])
    # The probe's (2, 13, 8, 8) a 3-D network refuses (it took one patch (1, 13, 8, 8) as an unbatched volume).
    with pytest.raises(RuntimeError, match=r"expected input\[1, 2, 13, 8, 8\] to have 1 channels") as shaped:
        patchstreaming.sliding_window_inference(array, network, patch_size=8, spacing=(1.0, 2.0), progress=False)
    assert re.match(note, shaped.value.__notes__[1])

    def five_dimensional_only(x):
        if x.dim() != 5:
            raise RuntimeError(f"expected a 5-D batch, got {x.dim()}-D")
        return network(x)

    with pytest.raises(RuntimeError, match="expected a 5-D batch, got 4-D") as failed:
        patchstreaming.sliding_window_inference(array, five_dimensional_only, patch_size=8, spacing=(1.0, 2.0),
                                                progress=False)
    assert failed.value.__notes__[0].startswith("sliding_window_inference called the predictor with a tensor of "
                                                "shape (B, C, H, W) = (2, 13, 8, 8)")
    assert re.match(note, failed.value.__notes__[1])
    with pytest.raises(ValueError, match="has shape") as three:  # 3 spacing values: (D, H, W), no note
        patchstreaming.sliding_window_inference(array, lambda x: x[:, :, ::2], patch_size=8, spacing=(1.0, 2.0, 3.0),
                                                progress=False)
    assert not hasattr(three.value, "__notes__")
    # No spacing: read as (D, H, W), and the note says how to have the 2-D reading.
    with pytest.raises(ValueError, match=r"patch_size=\(8, 8\) has 2 values; the image is 3-D") as unspaced:
        patchstreaming.sliding_window_inference(array, network, patch_size=(8, 8), progress=False)
    assert re.match(r"image: the array of shape \(13, 17, 21\) was read as a 3-D image \(D, H, W\); give 2 "
                    r"spacing values, in \(x, y\) order, to read it as a 2-D image of C channels \(C, H, W\)",
                    unspaced.value.__notes__[0])
    # Channels last, (H, W, 3) with 2 spacing values, is read as 17 channels: said, with the fix.
    with pytest.warns(UserWarning, match=r"shape \(17, 21, 3\) is read channels first, \(C, H, W\), as 17 "
                                         r"channels, but its last axis of 3 looks like the channels: if they are "
                                         r"last, pass np.moveaxis\(image, -1, 0\)"):
        patchstreaming.sliding_window_inference(np.ones((17, 21, 3), np.float32), lambda x: x, patch_size=8,
                                                spacing=(1.0, 1.0), progress=False)
    # The other geometry errors name both readings too; one value is "1 value".
    with pytest.raises(ValueError, match=r"direction: expected an invertible 2 x 2 matrix .* \(give 3 spacing values"):
        patchstreaming.sliding_window_inference(array, network, patch_size=8, spacing=(1.0, 2.0), direction=np.eye(3),
                                                progress=False)
    with pytest.raises(ValueError, match=r"spacing=\(1.0,\): 1 value for an array of shape \(13, 17, 21\)"):
        patchstreaming.sliding_window_inference(array, network, patch_size=8, spacing=(1.0,), progress=False)


def test_monai_s_2d_batch_is_read_as_2d_with_two_spacing_values_and_noted_without(oblique_array):
    """(1, C, H, W), MONAI's 2-D batch: with 2 spacing values a 2-D image of C channels (the predictor gets
    (B, C, h, w)), equal to the (C, H, W) array; without them a 3-D image one slice deep, and a 2-value
    patch_size is refused with a note saying how the array was read."""
    batch = torch.from_numpy(oblique_array["array"][:2].copy())[None]  # (1, 2, 17, 21)
    shapes = []

    def network(x):
        shapes.append(tuple(x.shape))
        return x.sum(dim=1, keepdim=True) * 0.5

    result = patchstreaming.sliding_window_inference(batch, network, (8, 10), spacing=(1.0, 2.0), progress=False)
    assert shapes[-1][1:] == (2, 8, 10) and result.GetImageDimension() == 2
    unbatched = patchstreaming.sliding_window_inference(batch[0].numpy(), network, (8, 10), spacing=(1.0, 2.0),
                                                        progress=False)
    np.testing.assert_array_equal(itk.array_from_image(result), itk.array_from_image(unbatched))
    with pytest.raises(ValueError, match=r"patch_size=\(8, 10\) has 2 values; the image is 3-D") as refused:
        patchstreaming.sliding_window_inference(batch[:, :1], network, (8, 10), progress=False)
    assert re.match(r"image: the array of shape \(1, 1, 17, 21\) was read as a 3-D image 1 slice deep, "
                    r"\(C, D, H, W\); give 2 spacing values, in \(x, y\) order, to read it as a 2-D batch "
                    r"\(1, C, H, W\), as MONAI does", refused.value.__notes__[0])
    with pytest.raises(RuntimeError) as failed:  # 2 channels taken for 2 slices: the predictor's own error, noted
        patchstreaming.sliding_window_inference(batch, torch.nn.Conv2d(2, 1, 3, padding=1).eval(), 2, progress=False)
    assert failed.value.__notes__[0].startswith("sliding_window_inference called the predictor with a tensor of "
                                                "shape (B, C, D, H, W) = (1, 1, 2, 2, 2)")
    assert re.match(r"image: the array of shape \(1, 2, 17, 21\) was read as a 3-D image 2 slices deep",
                    failed.value.__notes__[1])
    with pytest.raises(ValueError, match=r"patch_size=\(1, 8, 10\) has 3 values; the image is 2-D") as refused:
        patchstreaming.sliding_window_inference(batch, network, (1, 8, 10), spacing=(1.0, 2.0), progress=False)
    assert re.match(r"image: the array of shape \(1, 2, 17, 21\) was read as a 2-D batch \(1, C, H, W\) of 2 "
                    r"channels, because spacing=\(1.0, 2.0\) has 2 values; give 3 spacing values",
                    refused.value.__notes__[0])
    # The geometry's errors name the array as given, how it was read, the axis order and the other reading.
    with pytest.raises(ValueError, match=r"origin=\(0, 0\): 2 values for an array of shape \(1, 2, 17, 21\) read "
                                         r"as a 3-D image \(C, D, H, W\); expected 3 in \(x, y, z\) order \(give "
                                         r"2 spacing values, in \(x, y\) order, to read it as a 2-D batch"):
        patchstreaming.sliding_window_inference(batch, network, 2, origin=(0, 0), progress=False)
    with pytest.raises(ValueError, match=r"origin=\(0, 0, 0\): 3 values for an array of shape \(1, 2, 17, 21\) "
                                         r"read as a 2-D batch \(1, C, H, W\); expected 2 in \(x, y\) order \(give 3 "
                                         r"spacing values, in \(x, y, z\) order, to read it as a 3-D image"):
        patchstreaming.sliding_window_inference(batch, network, 2, spacing=(1, 1), origin=(0, 0, 0), progress=False)


def test_a_predictor_that_fails_mid_run_raises_its_own_error(oblique_array):
    network = SmallNetwork().eval()
    calls = []

    def failing(x):
        calls.append(1)
        if len(calls) == 3:
            raise KeyError("the model broke")
        return network(x)

    with pytest.raises(KeyError, match="the model broke") as raised:
        patchstreaming.sliding_window_inference(oblique_array["array"], failing, patch_size=(8, 10, 12),
                                                progress=False)
    # The note gives the batch it was called with (helper-45: only the first call's failure had one).
    assert raised.value.__notes__ == ["sliding_window_inference called the predictor with a batch of shape "
                                      "(4, 1, 8, 10, 12) (B, C, D, H, W): patches 4 to 7 of 27, numbered from 0"]
    calls.clear()  # helper-85: "patches 2 to 2" for a batch of one
    with pytest.raises(KeyError, match="the model broke") as raised:
        patchstreaming.sliding_window_inference(oblique_array["array"], failing, patch_size=(8, 10, 12), batch_size=1,
                                                progress=False)
    assert raised.value.__notes__[0].endswith("(1, 1, 8, 10, 12) (B, C, D, H, W): patch 1 of 27, numbered from 0")


@pytest.mark.parametrize("later, found", [
    (lambda x: {"a": x}, r"a dict with keys \['a'\]"),
    (lambda x: (x, x, x), "a tuple of 3 outputs"),
    (lambda x: (x,), "a tuple of 1 output"),  # not "1 outputs" (helper-85)
    (lambda x: x, "one tensor"),
])
def test_a_predictor_whose_outputs_change_after_the_first_call_is_refused(oblique_array, later, found):
    """helper-46: a missing key gave a bare KeyError, a longer tuple an IndexError, a shorter one ITK's error,
    and a dict then a tensor ran."""
    calls = []

    def changing(x):
        calls.append(1)
        return {"a": x, "b": 2 * x} if len(calls) < 3 else later(x)

    with pytest.raises(ValueError, match=rf"^the predictor returned {found} for a batch of shape \(4, 1, 8, 10, "
                                         rf"12\), but a dict with keys \['a', 'b'\] for the first patch: it must "
                                         rf"return the same outputs for every batch$"):
        patchstreaming.sliding_window_inference(oblique_array["array"], changing, patch_size=(8, 10, 12),
                                                progress=False)


@pytest.mark.parametrize("batch_size", [1, 4])
def test_a_3d_network_on_2d_patches_is_refused_by_the_probe(batch_size):
    """helper-45: one 2-D patch (1, 1, H, W) a Conv3d reads as an unbatched volume (C, D, H, W) = (1, 1, H, W)
    and runs: batch_size=1 gave its result, batch_size=4 failed mid-run."""
    array = np.zeros((19, 23), np.float32)
    network = torch.nn.Conv3d(1, 1, 3, padding=1).eval()
    calls = []
    with pytest.raises(RuntimeError, match="expected input.* to have 1 channels, but got 2") as raised:
        patchstreaming.sliding_window_inference(array, lambda x: calls.append(x.shape) or network(x), 8,
                                                batch_size=batch_size, progress=False)
    assert calls == [(2, 1, 8, 8)]
    assert raised.value.__notes__[0].startswith("sliding_window_inference called the predictor with a tensor of "
                                                "shape (B, C, H, W) = (2, 1, 8, 8)")
    assert raised.value.__notes__[0].endswith("(2-D patches: a network of 3-D layers, which takes (B, C, D, H, W), "
                                              "reads them as one unbatched volume; 2-D patches are probed as a batch "
                                              "of 2, or 3 for 2 channels, which it refuses)")
    # Two channels, a 3-D network taking 2: probed as a batch of 3.
    two = torch.nn.Conv3d(2, 1, 3, padding=1).eval()
    with pytest.raises(RuntimeError, match="expected input.* to have 2 channels, but got 3"):
        patchstreaming.sliding_window_inference(np.zeros((2, 19, 23), np.float32), two, 8, spacing=(1.0, 1.0),
                                                batch_size=batch_size, progress=False)


def test_the_array_reading_note_is_given_for_shape_errors_only():
    """helper-45/46: the note on how a (D, H, W) array was read came with every settings error."""
    array = np.zeros((10, 12, 14), np.float32)
    with pytest.raises(ValueError, match="batch_size") as raised:
        patchstreaming.sliding_window_inference(array, lambda x: x, 4, batch_size=0, progress=False)
    assert not hasattr(raised.value, "__notes__")
    with pytest.raises(ValueError, match="patch_size") as raised:
        patchstreaming.sliding_window_inference(array, lambda x: x, (14, 12, 10), progress=False)
    assert "was read as a 3-D image (D, H, W)" in raised.value.__notes__[0]
    # helper-84: a patch size's value, or a predictor returning no tensor, has nothing to do with the reading.
    for call in (lambda: patchstreaming.sliding_window_inference(array, lambda x: x, 0, progress=False),
                 lambda: patchstreaming.sliding_window_inference(array, lambda x: None, 4, progress=False)):
        with pytest.raises((TypeError, ValueError)) as raised:
            call()
        assert not hasattr(raised.value, "__notes__"), raised.value
    with pytest.raises(ValueError, match="has shape") as raised:  # the output's shape: noted
        patchstreaming.sliding_window_inference(array, lambda x: x[:, :, 1:], 4, progress=False)
    assert "was read as a 3-D image (D, H, W)" in raised.value.__notes__[0]


@pytest.mark.parametrize("returns", ["tensor", "tuple", "dict"])
def test_an_output_of_no_channels_is_refused_by_name_before_the_run(returns, tmp_path):
    """helper-84: an output of 0 channels failed inside ITK (one tensor) or after the run (a tuple's
    part: IndexError splitting the merged channels)."""
    array, calls = np.zeros((9, 10, 11), np.float32), []

    def predictor(x):
        calls.append(x.shape[0])
        empty = x[:, :0]
        return {"tensor": empty, "tuple": (x, empty), "dict": {"a": x, "b": empty}}[returns]

    name = {"tensor": "0", "tuple": "1", "dict": "'b'"}[returns]
    for output in (None, str(tmp_path / "out.mha") if returns == "tensor" else None):
        with pytest.raises(ValueError, match=rf"^the predictor's output {name} has shape \(1, 0, 4, 4, 4\): 0 "
                                             rf"channels; expected at least 1 \(C in \(1, C, 4, 4, 4\)\)$"):
            patchstreaming.sliding_window_inference(array, predictor, 4, output=output, progress=False)
    assert calls == [1, 1]  # the probe only
    assert not list(tmp_path.iterdir())


def test_a_write_cut_short_raises_and_leaves_no_file(tmp_path):
    """helper-46: on a full disk the call returned and left the file cut short (ITK 5.2's MetaImage and
    NIfTI writers print to stderr and return). A file size limit fails the writes the same way."""
    script = f"""
import os, resource, numpy as np, patchstreaming
resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))  # Python ignores SIGXFSZ: the writes fail
image = np.random.default_rng(1).random((40, 40, 40), dtype=np.float32)  # 256000 bytes
for name in ("x.mha", "x.nii.gz", "x.nii", "x.mhd", "x.hdr"):
    try:
        patchstreaming.sliding_window_inference(image, lambda x: x, 16, output=os.path.join({str(tmp_path)!r}, name),
                                                progress=False)
        print(name, "returned")
    except OSError as error:
        print(error)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 5, done.stdout
    for name, line in zip(("x.mha", "x.nii.gz", "x.nii", "x.mhd", "x.hdr"), lines):
        assert line.startswith(f"output={str(tmp_path / name)!r} was not written whole: its header describes 256000 "
                               f"bytes of voxel data"), line
        assert line.endswith("(a full disk, or a file size limit?)"), line
    assert not list(tmp_path.iterdir())
    # A format this ITK writes but cannot read back (.nia) is not read back: written (helper-47: refused).
    patchstreaming.sliding_window_inference(np.zeros((5, 6, 7), np.float32), lambda x: x, 4,
                                            output=str(tmp_path / "x.nia"), progress=False)
    assert (tmp_path / "x.nia").stat().st_size > 5 * 6 * 7 * 4


def test_a_streamed_metaimage_on_a_full_disk_raises_and_keeps_the_old_output(tmp_path):
    """helper-68 (with the command-line tool): ITK 5.2's writer makes a streamed MetaImage full length
    first, prints "file stream is fail after write" for the pieces that do not fit and returns: the
    output became a file of the right length with holes. Needs a small tmpfs (root)."""
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(small)], capture_output=True).returncode:
        pytest.skip("mounting a 128 KiB tmpfs is not allowed here")
    try:
        image = np.random.default_rng(1).random((40, 40, 40), dtype=np.float32)  # 256000 bytes
        for name in ("x.mha", "x.mhd"):
            (small / name).write_text("previous output")
            with pytest.raises(OSError, match=re.escape(f"output={str(small / name)!r} was not written whole: its voxel "
                                                        f"data has a hole from byte ")):
                patchstreaming.sliding_window_inference(image, lambda x: x, 16, output=str(small / name),
                                                        stream_divisions=4, progress=False)
            assert [p.name for p in small.iterdir()] == [name] and (small / name).read_text() == "previous output"
            (small / name).unlink()
    finally:
        subprocess.run(["umount", "-l", str(small)], check=True)


def test_a_written_metaimage_with_a_hole_in_its_voxel_data_is_refused(tmp_path):
    """The rule the full-disk test needs root for, on a file made sparse by hand (a hole where a
    piece was never written), where holes can only be that (ext4, XFS, Btrfs, tmpfs)."""
    from patchstreaming._voxel_data import _file_system_type, _HOLES_ARE_UNWRITTEN, check_written_image

    descriptor = os.open(tmp_path, os.O_RDONLY)
    try:
        if _file_system_type(descriptor) not in _HOLES_ARE_UNWRITTEN:
            pytest.skip("the test folder's file system may store zeros as holes")
    finally:
        os.close(descriptor)
    written = str(tmp_path / "x.mha")
    itk.imwrite(itk.image_from_array(np.ones((40, 40, 40), np.float32)), written)  # 256000 bytes of voxels
    check_written_image(written, "out.mha")
    size = os.path.getsize(written)
    with open(written, "r+b") as stream:  # the last 128 KiB made a hole: truncated, then extended
        stream.truncate(size - 131072)
        stream.truncate(size)
    with pytest.raises(OSError, match=r"^output='out.mha' was not written whole: its voxel data has a hole from byte "
                                      r"\d+ of 256000 on, never written \(a full disk"):
        check_written_image(written, "out.mha")


@pytest.mark.parametrize("signal_name, output", [("SIGTERM", "x.mha"), ("SIGHUP", "x.mhd")])
def test_a_termination_signal_while_writing_removes_the_partial_output_and_ends_the_process(tmp_path, signal_name,
                                                                                            output):
    """helper-45: SIGTERM (Ctrl-C's KeyboardInterrupt did not) left an empty .partial-* folder beside the
    output. Now nothing is left, and the process still ends by the signal; a handler of the program's own is
    left alone, and the default is back after a call."""
    script = f"""
import os, signal, numpy as np, patchstreaming
calls = []
def network(x):
    calls.append(1)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.{signal_name})
    return x
image = np.random.default_rng(1).random((20, 30, 40), dtype=np.float32)
patchstreaming.sliding_window_inference(image, lambda x: x, 8, output={str(tmp_path / "done.mha")!r}, progress=False)
print(signal.getsignal(signal.{signal_name}) is signal.SIG_DFL, flush=True)
patchstreaming.sliding_window_inference(image, network, 8, batch_size=1, argmax=False, stream_divisions=3,
                                        output={str(tmp_path / output)!r}, progress=False)
print("returned")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ)
    assert done.returncode == -getattr(signal, signal_name), (done.returncode, done.stdout, done.stderr)
    assert done.stdout == "True\n", done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done.mha"]
    # The program's own handler is its business: the signal is handled by it and the output written.
    script = script.replace("calls = []", f"calls = []; signal.signal(signal.{signal_name}, lambda *_: print('own'))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ)
    assert (done.returncode, done.stdout) == (0, "False\nown\nreturned\n"), (done.stdout, done.stderr)
    assert output in [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob(".partial-*"))


def test_a_signal_while_the_files_are_moved_into_place_waits_for_the_last(tmp_path):
    """helper-49: SIGTERM between the renames of a .mhd's .raw and its header left the new data under the
    old header. The renames finish first; then the process ends by the signal."""
    script = f"""
import os, signal, numpy as np, patchstreaming
output = {str(tmp_path / "out.mhd")!r}
patchstreaming.sliding_window_inference(np.zeros((10, 10, 10), np.float32), lambda x: x, 4, output=output,
                                        progress=False)
replace = os.replace
def replace_then_terminate(source, target):
    replace(source, target)
    os.kill(os.getpid(), signal.SIGTERM)  # after the first file (the .raw) is in place
os.replace = replace_then_terminate
patchstreaming.sliding_window_inference(np.ones((12, 13, 14), np.float32), lambda x: x, 4, output=output,
                                        progress=False)
print("returned")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ)
    assert done.returncode == -signal.SIGTERM, (done.returncode, done.stdout, done.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mhd", "out.raw"]
    np.testing.assert_allclose(itk.array_from_image(itk.imread(str(tmp_path / "out.mhd"), itk.F)),
                               np.ones((12, 13, 14), np.float32), rtol=1e-6)


def test_an_output_that_is_not_a_regular_file_is_refused_and_kept(tmp_path):
    """helper-45: a FIFO (and a copy of /dev/null) named as the output was replaced by a regular file."""
    os.mkfifo(tmp_path / "fifo.mha")
    os.mkfifo(tmp_path / "pair.raw")
    for output, file in (("fifo.mha", "fifo.mha"), ("pair.mhd", "pair.raw")):
        with pytest.raises(ValueError, match=rf"^output='{tmp_path / output}': '{tmp_path / file}' is not a regular "
                                             rf"file \(a device, FIFO or socket\), which the output would replace"):
            patchstreaming.sliding_window_inference(np.zeros((5, 6, 7), np.float32), lambda x: x, 4,
                                                    output=str(tmp_path / output), progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.mha", "pair.raw"]
    # A symbolic link (here to /dev/null) is replaced by the output, not followed (helper-47).
    os.symlink("/dev/null", tmp_path / "link.mha")
    patchstreaming.sliding_window_inference(np.zeros((5, 6, 7), np.float32), lambda x: x, 4,
                                            output=str(tmp_path / "link.mha"), progress=False)
    assert (tmp_path / "link.mha").is_file() and not (tmp_path / "link.mha").is_symlink()
    assert all(stat.S_ISFIFO((tmp_path / name).stat().st_mode) for name in ("fifo.mha", "pair.raw"))
    assert os.path.exists("/dev/null") and stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("name, how", [("x%d.mhd", "with a '%' as a pattern of numbered files (x%d.raw)"),
                                       ("LISTx.mhd", "starting with LIST as a list of files (LISTx.raw)")])
def test_a_mhd_name_metaio_reads_as_a_list_or_pattern_is_refused_before_the_run(tmp_path, name, how):
    """helper-67: written as one data file whose header MetaIO reads as numbered files or a list: garbage read back."""
    calls = []
    with pytest.raises(ValueError, match=re.escape(f"output={str(tmp_path / name)!r}: MetaImage reads a data file "
                                                   f"name {how}, so the image would not read back")):
        patchstreaming.sliding_window_inference(np.zeros((5, 6, 7), np.float32), lambda x: calls.append(1) or x, 4,
                                                output=str(tmp_path / name), progress=False)
    assert calls == [] and list(tmp_path.iterdir()) == []
    patchstreaming.sliding_window_inference(np.ones((5, 6, 7), np.float32), lambda x: x, 4, mode="constant",
                                            output=str(tmp_path / "listed %.mha"), progress=False)
    assert np.array_equal(itk.array_from_image(itk.imread(str(tmp_path / "listed %.mha"), itk.F)), np.ones((5, 6, 7)))


def test_stream_divisions_without_an_output_file_warns():
    """helper-46: silently ignored."""
    with pytest.warns(UserWarning, match=r"^stream_divisions=3 applies to a file output \(output=\) only"):
        result = patchstreaming.sliding_window_inference(np.ones((5, 6, 7), np.float32), lambda x: x, 4,
                                                         stream_divisions=3, progress=False)
    np.testing.assert_allclose(itk.array_from_image(result), np.ones((5, 6, 7), np.float32), rtol=1e-6)


def test_an_output_no_format_writes_is_refused_before_the_predictor_runs(tmp_path):
    """helper-45: refused only after the input was read and the model probed."""
    calls = []
    for name in ("x.xyz", "x.png"):
        with pytest.raises(ValueError, match=rf"^output='{tmp_path / name}': no image format of this ITK build writes "
                                             rf"this file name \(use .mha, .nrrd, .nii or .nii.gz\)$"):
            patchstreaming.sliding_window_inference(np.zeros((5, 6, 7), np.float32), calls.append, 4,
                                                    output=str(tmp_path / name), progress=False)
    # ITK 5.2's NIfTI writer accepted OUT.NII and failed after the run; its MetaImage writer takes .mha only.
    for name, lowercase in (("OUT.NII", "OUT.nii"), ("scan.v2.Nii.Gz", "scan.v2.nii.gz"), ("OUT.MHA", "OUT.mha"),
                            ("OUT.HDR", "OUT.hdr")):
        with pytest.raises(ValueError, match=rf"^output='{tmp_path / name}': ITK writes this format only with its "
                                             rf"ending in lower case \(write it '{tmp_path / lowercase}'\)$"):
            patchstreaming.sliding_window_inference(np.zeros((5, 6, 7), np.float32), calls.append, 4,
                                                    output=str(tmp_path / name), progress=False)
    # Its NRRD writer detaches the header for .nhdr only: OUT.NHDR was written as one attached NRRD file.
    with pytest.raises(ValueError, match=rf"^output='{tmp_path / 'OUT.NHDR'}': ITK writes a detached NRRD header and "
                                         rf"its data file only with the ending in lower case, else one attached NRRD "
                                         rf"file under this name \(write it '{tmp_path / 'OUT.nhdr'}', or "
                                         rf"'{tmp_path / 'OUT.nrrd'}' for one file\)$"):
        patchstreaming.sliding_window_inference(np.zeros((5, 6, 7), np.float32), calls.append, 4,
                                                output=str(tmp_path / "OUT.NHDR"), progress=False)
    assert calls == [] and not list(tmp_path.iterdir())
    patchstreaming.sliding_window_inference(np.zeros((5, 6, 7), np.float32), lambda x: x, 4,
                                            output=str(tmp_path / "OUT.NRRD"), progress=False)  # one file: any case
    assert [p.name for p in tmp_path.iterdir()] == ["OUT.NRRD"]


@pytest.mark.parametrize("stem", ["é", "結果", "a b"])
def test_file_names_beyond_ascii_are_written_read_and_checked_as_spelled(tmp_path, stem):
    """A newcomer's finding: a .mhd output's header was rewritten in Latin-1, so that 'é.mhd' named
    a data file '\\xe9.raw' that is not there (unreadable) and '結果.mhd' failed after the run; the
    input's data files were looked up under the same misread names."""
    array = np.arange(5 * 6 * 7, dtype=np.float32).reshape(5, 6, 7)
    expected = itk.array_from_image(patchstreaming.sliding_window_inference(array, lambda x: x, 4, progress=False))
    twice = itk.array_from_image(patchstreaming.sliding_window_inference(expected, lambda x: x, 4, progress=False))
    for name in (f"{stem}.mhd", f"{stem}.mha", f"{stem}.nrrd"):
        patchstreaming.sliding_window_inference(array, lambda x: x, 4, output=str(tmp_path / name),
                                                stream_divisions=1 if name.endswith(".nrrd") else 2, progress=False)
        np.testing.assert_array_equal(itk.array_from_image(itk.imread(str(tmp_path / name))), expected)
        # Read back as an input: its data file found under the name its header gives.
        again = patchstreaming.sliding_window_inference(str(tmp_path / name), lambda x: x, 4, progress=False)
        np.testing.assert_array_equal(itk.array_from_image(again), twice)
    # An input whose header names a data file of that name: an output that would write over it is refused.
    (tmp_path / "in").mkdir()
    itk.imwrite(itk.image_from_array(array), str(tmp_path / "in" / f"{stem}.mhd"))
    os.rename(tmp_path / "in" / f"{stem}.mhd", tmp_path / "in" / "input.mhd")
    with pytest.raises(ValueError, match="input"):
        patchstreaming.sliding_window_inference(str(tmp_path / "in" / "input.mhd"), lambda x: x, 4,
                                                output=str(tmp_path / "in" / f"{stem}.mhd"), progress=False)
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == sorted(["input.mhd", f"{stem}.raw"])


def test_an_output_written_over_a_file_keeps_that_file_s_permissions(tmp_path):
    """helper-77 (the command line's twin): the new file was moved over the old with 0666 less the
    umask, so a private 0600 result became readable by all and a 0664 one lost its group's write."""
    array = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    mask = os.umask(0)
    os.umask(mask)
    for mode in (0o600, 0o664):
        for name, data in (("labels.mhd", "labels.raw"), ("labels.nrrd", None)):
            patchstreaming.sliding_window_inference(array, lambda x: x, 4, output=str(tmp_path / name), progress=False)
            for file in filter(None, (name, data)):
                os.chmod(tmp_path / file, mode)
            patchstreaming.sliding_window_inference(array, lambda x: x, 4, output=str(tmp_path / name), progress=False)
            for file in filter(None, (name, data)):
                assert (tmp_path / file).stat().st_mode & 0o777 == mode, (file, oct(mode))
    # A data file new beside a header written over takes the header's; a symbolic link, which the
    # new file replaces, passes on nothing of the file it names; setuid and the like are dropped.
    os.remove(tmp_path / "labels.raw")
    os.chmod(tmp_path / "labels.mhd", 0o4640)
    patchstreaming.sliding_window_inference(array, lambda x: x, 4, output=str(tmp_path / "labels.mhd"), progress=False)
    assert [(tmp_path / f).stat().st_mode & 0o7777 for f in ("labels.mhd", "labels.raw")] == [0o640, 0o640]
    os.chmod(tmp_path / "labels.nrrd", 0o600)
    os.symlink(tmp_path / "labels.nrrd", tmp_path / "link.nrrd")
    patchstreaming.sliding_window_inference(array, lambda x: x, 4, output=str(tmp_path / "link.nrrd"), progress=False)
    assert not (tmp_path / "link.nrrd").is_symlink()
    assert (tmp_path / "link.nrrd").stat().st_mode & 0o777 == 0o666 & ~mask


def test_an_output_never_writes_over_the_data_file_of_another_image_of_its_name(tmp_path):
    """A .nhdr and a .mhd of one stem both write stem.raw: writing the second broke the first
    without a word (its header then described more bytes than the file held)."""
    array = np.arange(5 * 6 * 7, dtype=np.float32).reshape(5, 6, 7)
    for first, second in (("image.mhd", "image.nhdr"), ("image.nhdr", "image.mhd")):
        for name in ("image.mhd", "image.nhdr"):
            if (tmp_path / name).exists():
                os.remove(tmp_path / name)
        patchstreaming.sliding_window_inference(array, lambda x: x, 4, output=str(tmp_path / first), progress=False)
        data = (tmp_path / "image.raw").read_bytes()
        expected = (f"output={str(tmp_path / second)!r} would overwrite {str(tmp_path / 'image.raw')!r}, the data file "
                    f"of {str(tmp_path / first)!r} beside it: write to another file")
        with pytest.raises(ValueError, match=re.escape(expected)):
            patchstreaming.sliding_window_inference(array * 2, lambda x: x, 4, output=str(tmp_path / second),
                                                    progress=False)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first, "image.raw"])
        assert (tmp_path / "image.raw").read_bytes() == data
    # An image's own data file is written over as before; another stem's is not the image's.
    os.remove(tmp_path / "image.nhdr")
    for _ in range(2):
        patchstreaming.sliding_window_inference(array, lambda x: x, 4, output=str(tmp_path / "image.mhd"),
                                                progress=False)
    patchstreaming.sliding_window_inference(array, lambda x: x, 4, output=str(tmp_path / "other.nhdr"), progress=False)
    np.testing.assert_array_equal(itk.array_from_image(itk.imread(str(tmp_path / "image.mhd"))),
                                  itk.array_from_image(itk.imread(str(tmp_path / "other.nhdr"))))


def test_a_read_only_output_is_refused_where_the_user_may_not_write_to_it(tmp_path):
    """The file was replaced by a rename, which asks only the folder, where open() and ITK's writers
    refuse it. Run as root without the capability to override file permissions (setpriv), as a
    user's run is; root itself keeps replacing it, as its shell's > does."""
    array = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    output = tmp_path / "labels.mhd"
    patchstreaming.sliding_window_inference(array, lambda x: x, 4, output=str(output), progress=False)
    script = ("import numpy as np, patchstreaming\n"
              "try:\n"
              f"    patchstreaming.sliding_window_inference(np.zeros((4, 5, 6), np.float32), lambda x: x, 4, "
              f"output={str(output)!r}, progress=False)\n"
              "except PermissionError as error:\n"
              "    print(error)\n")
    without_override = ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
                        "--inh-caps=-dac_override,-dac_read_search", sys.executable, "-c", script]
    before = {name: (tmp_path / name).read_bytes() for name in ("labels.mhd", "labels.raw")}
    for name in before:
        os.chmod(tmp_path / name, 0o444)
        done = subprocess.run(without_override, capture_output=True, text=True, env=os.environ)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (f"output={str(output)!r}: {str(tmp_path / name)!r} is read-only: make it "
                                       f"writable (chmod u+w) or write to another file")
        assert {n: (tmp_path / n).read_bytes() for n in before} == before
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)
        os.chmod(tmp_path / name, 0o644)
    # A read-only compressed data file beside it, which is never written, is left alone (helper-82).
    (tmp_path / "labels.zraw").write_bytes(b"kept")
    os.chmod(tmp_path / "labels.zraw", 0o444)
    done = subprocess.run(without_override, capture_output=True, text=True, env=os.environ)
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert (tmp_path / "labels.zraw").read_bytes() == b"kept"
    os.chmod(output, 0o444)
    if os.geteuid() == 0:  # root, whose shell's > writes anyway, replaces it; another user is refused as above
        patchstreaming.sliding_window_inference(array, lambda x: x, 4, output=str(output), progress=False)


def test_import_itk_and_patchstreaming_print_nothing():
    done = subprocess.run([sys.executable, "-c", "import itk, patchstreaming; itk.Image; itk.PatchMerger"],
                          capture_output=True, text=True, env=os.environ)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_a_streamed_mhd_writes_only_its_own_data_file(tmp_path, monkeypatch):
    """MetaIO looks for the data file a .mhd names in the working directory first: there an earlier
    output's or the input's data file of that name received the second and later divisions."""
    image = itk.imread(T1_IMAGE, itk.F)
    itk.imwrite(image, str(tmp_path / "scan.mhd"))  # scan.mhd + scan.raw, in the working directory
    (tmp_path / "labels.raw").write_bytes(b"an earlier output's data")
    input_data = (tmp_path / "scan.raw").read_bytes()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    network = SmallNetwork().eval()
    run = dict(patch_size=(16, 32, 32), argmax=True, progress=False)
    patchstreaming.sliding_window_inference("scan.mhd", network, output="reference.mha", **run)
    reference = itk.array_from_image(itk.imread("reference.mha"))
    for name in ("labels", "scan"):
        patchstreaming.sliding_window_inference("scan.mhd", network, output=f"sub/{name}.mhd", stream_divisions=4,
                                                **run)
        assert (tmp_path / "scan.raw").read_bytes() == input_data
        assert (tmp_path / "labels.raw").read_bytes() == b"an earlier output's data"
        assert f"ElementDataFile = {name}.raw" in (tmp_path / "sub" / f"{name}.mhd").read_text()
        np.testing.assert_array_equal(itk.array_from_image(itk.imread(f"sub/{name}.mhd")), reference)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["labels.mhd", "labels.raw", "scan.mhd", "scan.raw"]


def test_file_outputs_of_two_files_are_complete_readable_and_refused_when_they_cannot_hold_the_image(
        oblique_array, tmp_path):
    # .mhd/.raw and .hdr/.img used to keep the data in a hidden temporary name, and files were 0600.
    network = SmallNetwork().eval()
    mask = os.umask(0)
    os.umask(mask)
    for name, data in (("labels.mhd", "labels.raw"), ("labels.hdr", "labels.img"), ("labels.nrrd", None)):
        patchstreaming.sliding_window_inference(oblique_array["array"], network, patch_size=(8, 10, 12), argmax=True,
                                                output=tmp_path / name, progress=False)
        written = itk.imread(str(tmp_path / name))
        assert itk.array_view_from_image(written).shape == (13, 17, 21)
        for file in (name, data) if data else (name,):
            assert (tmp_path / file).exists()
            assert (tmp_path / file).stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".partial")] == []
    # The minimal wrapped ITK has no PNG writer; where it has one, PNG cannot hold 3-D.
    with pytest.raises(ValueError, match="labels.png': (no image format of this ITK build|PNGImageIO cannot hold a 3-D)"):
        patchstreaming.sliding_window_inference(oblique_array["array"], network, patch_size=8, argmax=True,
                                                output=tmp_path / "labels.png", progress=False)
    with pytest.raises(FileNotFoundError, match="the folder '/nonexistent' does not exist"):
        patchstreaming.sliding_window_inference(oblique_array["array"], network, patch_size=8,
                                                output="/nonexistent/x.mha", progress=False)
    # Before the input is read (a missing input file would be named first otherwise) and the predictor probed.
    with pytest.raises(FileNotFoundError, match="output='/nonexistent/x.mha': the folder '/nonexistent' does not"):
        patchstreaming.sliding_window_inference(str(tmp_path / "missing.nrrd"), network, patch_size=8,
                                                output="/nonexistent/x.mha", progress=False)

    # An output that is a folder, or in a folder where nothing can be written: named, before the input is read.
    with pytest.raises(IsADirectoryError, match=f"output='{tmp_path}': is a folder; expected a file name in it"):
        patchstreaming.sliding_window_inference(str(tmp_path / "missing.nrrd"), network, patch_size=8,
                                                output=str(tmp_path), progress=False)
    with pytest.raises(OSError, match=r"output='/proc/x.mha': cannot write in the folder '/proc': no file can be "
                                      r"made there \(the system answers: No such file or directory\)"):
        patchstreaming.sliding_window_inference(str(tmp_path / "missing.nrrd"), network, patch_size=8,
                                                output="/proc/x.mha", progress=False)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".partial")] == []


def test_a_model_file_name_or_a_network_refusing_the_channels_is_explained(oblique_array, tmp_path):
    network = SmallNetwork().eval()
    torch.jit.script(network).save(str(tmp_path / "model.pt"))
    with pytest.raises(TypeError, match=r"predictor='.*model.pt': a file name; expected a callable, e.g. the loaded "
                                        r"network: predictor=torch.jit.load\('.*model.pt', map_location='cpu'\)"):
        patchstreaming.sliding_window_inference(oblique_array["array"], str(tmp_path / "model.pt"), patch_size=8)
    # The network's own error, as it is, with a note of the shape it was given (2 channels, 1 expected).
    two_channels = np.stack([oblique_array["array"]] * 2)
    with pytest.raises(RuntimeError) as raised:
        patchstreaming.sliding_window_inference(two_channels, torch.jit.load(str(tmp_path / "model.pt")),
                                                patch_size=8, progress=False)
    assert "expected input[1, 2, 8, 8, 8] to have 1 channels" in str(raised.value)
    assert raised.value.__notes__ == ["sliding_window_inference called the predictor with a tensor of shape "
                                      "(B, C, D, H, W) = (1, 2, 8, 8, 8): C = 2, the image's channels per voxel; the "
                                      "patch in (D, H, W) order"]


def test_an_itk_direction_and_monai_argument_order(oblique_array):
    network = SmallNetwork().eval()
    image = itk.image_from_array(oblique_array["array"])
    image.SetDirection(itk.matrix_from_array(oblique_array["direction"]))
    result = patchstreaming.sliding_window_inference(oblique_array["array"], network, patch_size=8,
                                                     direction=image.GetDirection(), progress=False)
    np.testing.assert_allclose(itk.array_from_matrix(result.GetDirection()), oblique_array["direction"], atol=1e-12)
    with pytest.raises(TypeError, match="MONAI's are \\(inputs, roi_size, sw_batch_size, predictor"):
        patchstreaming.sliding_window_inference(oblique_array["array"], (8, 8, 8), 4, network)
    # MONAI's keywords name the argument to use instead; an unknown one lists the arguments.
    for keyword, instead in (("roi_size", "pass patch_size"), ("sw_batch_size", "pass batch_size"),
                             ("sw_device", "CPU tensors")):
        with pytest.raises(TypeError, match=f"MONAI's keywords: {keyword}=8: .*{instead}"):
            patchstreaming.sliding_window_inference(oblique_array["array"], predictor=network, **{keyword: 8})
    for keyword, instead in (("padding_value", "pass cval"), ("output_type", "pass argmax=True"),
                             ("label_map", "pass argmax=True and output=FILE")):
        with pytest.raises(TypeError, match=f"the command line's options: {keyword}=8: {instead}"):
            patchstreaming.sliding_window_inference(oblique_array["array"], predictor=network, **{keyword: 8})
    with pytest.raises(TypeError, match="MONAI's keywords: process_fn=8: pass nothing: post-process in the predictor"):
        patchstreaming.sliding_window_inference(oblique_array["array"], predictor=network, process_fn=8)
    with pytest.raises(TypeError, match="roi_size=8: pass patch_size.*; sw_batch_size=4: pass batch_size"):
        patchstreaming.sliding_window_inference(oblique_array["array"], predictor=network, roi_size=8,
                                                sw_batch_size=4)
    with pytest.raises(TypeError, match="needs patch_size: an int or a \\(D, H, W\\) tuple \\(MONAI's roi_size\\)"):
        patchstreaming.sliding_window_inference(oblique_array["array"], network)
    # All by keyword, as MONAI's examples call it: the MONAI names are named, not Python's "missing argument".
    batch = torch.from_numpy(oblique_array["array"])[None, None]
    with pytest.raises(TypeError, match=r"inputs=a Tensor of shape \(1, 1, 13, 17, 21\): pass image .*; "
                                        r"roi_size=\(8, 8, 8\): pass patch_size"):
        patchstreaming.sliding_window_inference(inputs=batch, roi_size=(8, 8, 8), sw_batch_size=4, predictor=network)
    with pytest.raises(TypeError, match=r"needs image: a file name, an itk.Image, or an array or tensor"):
        patchstreaming.sliding_window_inference(predictor=network, patch_size=8)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'batchsize' \(did you mean batch_size\?\); "
                                        r"it takes image, predictor, patch_size, .*, spacing, origin, direction, "
                                        r"gaussian_floor$"):
        patchstreaming.sliding_window_inference(oblique_array["array"], network, patch_size=8, batchsize=2)


def test_a_torch_tensor_with_a_batch_axis_is_taken_as_monai_passes_it(oblique_array):
    network = SmallNetwork().eval()
    from_array = patchstreaming.sliding_window_inference(oblique_array["array"], network, patch_size=8,
                                                         progress=False)
    tensor = torch.from_numpy(oblique_array["array"])[None, None]  # (1, 1, D, H, W)
    from_tensor = patchstreaming.sliding_window_inference(tensor, network, patch_size=8, progress=False)
    assert np.array_equal(itk.array_from_image(from_tensor), itk.array_from_image(from_array))
    # A tensor subclass, as MONAI's MetaTensor (monai.data.meta_tensor) is: it was refused by its module's name.
    subclass = type("MetaTensorLike", (torch.Tensor,), {"__module__": "monai.data.meta_tensor"})
    from_subclass = patchstreaming.sliding_window_inference(tensor.as_subclass(subclass), network, patch_size=8,
                                                            progress=False)
    assert np.array_equal(itk.array_from_image(from_subclass), itk.array_from_image(from_array))


def test_a_module_in_training_mode_gets_a_warning(oblique_array):
    """A newcomer's finding: the zero probe patch and the patches ran through batch norm's training
    path silently (MONAI leaves eval() to the caller too, but says so nowhere at run time)."""
    with pytest.warns(UserWarning, match=r"^predictor: the torch.nn.Module is in training mode .* call model.eval\(\)") \
            as warned:
        patchstreaming.sliding_window_inference(oblique_array["array"], SmallNetwork(), 8, progress=False)
    assert warned[0].filename == __file__  # at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        patchstreaming.sliding_window_inference(oblique_array["array"], SmallNetwork().eval(), 8, progress=False)


def test_each_call_frees_its_pipeline(monkeypatch):
    """The batch filter's observer must not keep the pipeline (and every buffer it holds) alive:
    a bound method in the command made a cycle through C++ that the collector cannot see."""
    import gc
    import weakref

    from patchstreaming._pipeline import Pipeline

    pipelines = []
    original = Pipeline.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        pipelines.append(weakref.ref(self))

    monkeypatch.setattr(Pipeline, "__init__", recording)
    image = itk.image_from_array(np.random.default_rng(1).uniform(size=(11, 12, 13)).astype(np.float32))
    for argmax in (False, True):
        patchstreaming.sliding_window_inference(image, SmallNetwork(classes=3).eval(), 8, argmax=argmax,
                                                progress=False)
    gc.collect()
    assert len(pipelines) == 2
    assert [ref() for ref in pipelines] == [None, None]


def test_a_predictor_that_writes_over_its_input_gives_its_result(oblique_array):
    """The stack runs in place when the channels stay (1 -> 1): the predictor's batch is a view of
    it, and a result written over the batch needs no copy; the blend of 2x + 1 is 2x + 1."""
    image = oblique_array["array"]
    for predictor in (lambda x: x.mul_(2.0).add_(1.0), lambda x: x * 2.0 + 1.0):
        result = patchstreaming.sliding_window_inference(image, predictor, (5, 7, 6), overlap=0.4, batch_size=3,
                                                         mode="constant", progress=False)
        assert np.allclose(itk.array_from_image(result), 2.0 * image + 1.0, rtol=1e-6, atol=1e-4)


def test_a_buffer_view_keeps_its_image_alive():
    """buffered_array's view outlives every other reference to its image (it read freed memory)."""
    import gc

    from patchstreaming._images import buffered_array

    view = buffered_array(itk.image_from_array(np.full((30, 40, 50), 7.0, np.float32)))
    gc.collect()
    reused = [np.ones(60000, np.float32) for _ in range(100)]
    assert len(reused) == 100 and view.shape == (30, 40, 50) and np.all(view == 7.0)


def test_a_folder_that_is_not_a_zarr_array_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="image=.*a folder that is not a Zarr array"):
        patchstreaming.sliding_window_inference(str(tmp_path), lambda x: x, 4, progress=False)


@pytest.mark.parametrize("dtype, shape, error, message", [
    ("c8", (5, 6, 7), TypeError, "a Zarr array of complex64 values; expected real values"),
    ("U3", (5, 6, 7), TypeError, "a Zarr array of dtype <U3; expected numbers"),
    ("f4", (5, 0, 7), ValueError, r"a Zarr array of shape \(5, 0, 7\) has no voxels"),
])
def test_a_zarr_array_of_complex_values_or_no_voxels_is_refused_as_an_array_is(tmp_path, dtype, shape, error, message):
    """helper-67: a complex Zarr array was read as its real part, an empty one failed inside ITK."""
    import zarr

    zarr.open_array(str(tmp_path / "a.zarr"), mode="w", shape=shape, dtype=dtype)
    with pytest.raises(error, match=rf"^image='.*a\.zarr': {message}"):
        patchstreaming.sliding_window_inference(str(tmp_path / "a.zarr"), lambda x: x, 4, progress=False)


@pytest.mark.parametrize("attributes, message", [
    ({"axes": [{"name": n, "type": "space"} for n in "xyz"]}, r"its spatial axes are \['x', 'y', 'z'\]; expected "
                                                               r"\['z', 'y', 'x'\]"),
    ({"coordinateTransformations": [{"type": "scale", "scale": [1, 2, 3, 4]}]}, r"its scale \[1, 2, 3, 4\] has 4 "
                                                                                 r"values; expected one per array axis"),
    ({"itk": {"spacing": [0, 1, 1], "origin": [0, 0, 0], "direction": np.eye(3).tolist()}},
     r"spacing=\(0, 1, 1\): expected 3 positive finite numbers"),
    ({"itk": {"spacing": [1, float("nan"), 1], "origin": [0, 0, 0], "direction": np.eye(3).tolist()}},
     r"spacing=\(1, nan, 1\)"),
    ({"itk": {"spacing": [1, 1, 1], "origin": [0, 0, 0]}}, r"its 'itk' attribute lacks \['direction'\]"),
    ({"itk": {"spacing": [1, 1, 1], "origin": [0, 0, 0], "direction": [[1, 0, 0], [1, 0, 0], [0, 0, 1]]}},
     r"direction: expected an invertible 3 x 3 matrix"),
])
def test_a_zarr_array_whose_geometry_attributes_do_not_hold_is_refused_by_name(tmp_path, attributes, message):
    """helper-81: ITK's error with its source path, a bare KeyError, or the axes and extra scale
    values silently ignored."""
    import zarr

    zarr.save_array(str(tmp_path / "a.zarr"), np.ones((5, 6, 7), np.float32))
    zarr.open_array(str(tmp_path / "a.zarr")).attrs.put(attributes)
    with pytest.raises(ValueError, match=rf"^image='.*a\.zarr': a Zarr array whose geometry attributes do not hold: "
                                         rf"{message}"):
        patchstreaming.sliding_window_inference(str(tmp_path / "a.zarr"), lambda x: x, 4, progress=False)


def test_a_patch_of_one_voxel_gives_the_predictor_s_result_per_voxel():
    """(B·C, 1, 1, 1) is also Fortran-contiguous, where ITK 5.2's array view keeps the shape unreversed;
    failed before ('the batch's size is [6, 1, 1, 1]; expected [1, 1, 1, 6]')."""
    array = np.random.default_rng(3).normal(size=(6, 7, 9)).astype(np.float32)
    result = patchstreaming.sliding_window_inference(array, lambda x: torch.cat([x, 2 * x], 1), 1, overlap=0,
                                                     progress=False)
    np.testing.assert_array_equal(as_channels_first(result), np.stack([array, 2 * array]))


def test_symmetric_padding_repeats_the_edge_and_reflect_is_refused():
    """numpy's 'symmetric' is ITK's Mirror; PyTorch's 'reflect' (the edge not repeated) has no ITK
    counterpart and was silently given ITK's Mirror before."""
    array = np.arange(1, 6, dtype=np.float32)[None, None, :].repeat(2, 0).repeat(2, 1)  # x = 1..5
    seen = []

    def record(x):
        seen.append(x[:, 0].clone())
        return x

    patchstreaming.sliding_window_inference(array, record, (2, 2, 8), overlap=0, border_mode="pad",
                                            padding_mode="symmetric", progress=False)
    expected = np.pad(array, ((0, 0), (0, 0), (0, 3)), mode="symmetric")
    np.testing.assert_array_equal(seen[1][0].numpy(), expected)  # seen[0]: the zero patch of the probe
    with pytest.raises(ValueError, match="padding_mode='reflect'.*use 'symmetric'"):
        patchstreaming.sliding_window_inference(array, record, (2, 2, 8), overlap=0, border_mode="pad",
                                                padding_mode="reflect", progress=False)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"patch_size": "eight"}, TypeError, "patch_size='eight': expected a whole number, got a str"),
    ({"patch_size": None}, TypeError, "needs patch_size: an int or a \\(D, H, W\\) tuple"),
    ({"patch_size": 8.7}, ValueError, "patch_size=8.7: expected a whole number"),
    ({"patch_size": True}, TypeError, "patch_size=True: expected a whole number, got a bool"),
    ({"patch_size": 8, "batch_size": 2.5}, ValueError, "batch_size=2.5: expected a whole number"),
    ({"patch_size": 8, "overlap": float("nan")}, ValueError, r"overlap=nan: each fraction must be a number in \[0, 1\)"),
    # helper-86: an overlap in voxels, as the command line's --overlap takes, says it is a fraction here.
    ({"patch_size": (8, 8, 6), "overlap": 4}, ValueError, r"overlap=4: each fraction must be in \[0, 1\), got 4 "
                                                          r"\(a fraction of the patch: for 4 %, write overlap=0.04; "
                                                          r"for 4 voxels of a patch of \(8, 8, 6\), "
                                                          r"overlap=\(1/2, 1/2, 2/3\)\)$"),
    ({"patch_size": 96, "overlap": 32}, ValueError, r"got 32 \(a fraction .* overlap=1/3\)$"),
    # helper-90: a percentage, as a MONAI user may write it, says how to write it (the command line did already).
    ({"patch_size": 16, "overlap": 50}, ValueError, r"got 50 \(a fraction of the patch: for 50 %, write "
                                                    r"overlap=0.5\)$"),
    ({"patch_size": 8, "overlap": (50, 25, 12.5)}, ValueError, r"for \(50, 25, 12.5\) %, write "
                                                               r"overlap=\(0.5, 0.25, 0.125\)\)$"),
    ({"patch_size": 192, "overlap": 128}, ValueError, r"got 128 \(a fraction of the patch, not voxels: for 128 voxels "
                                                      r"of a patch of \(192, 192, 192\), write overlap=2/3\)$"),
    # helper-91: written exactly (was rounded to 6 digits), and no crash for another axis not a finite number.
    ({"patch_size": 8, "overlap": 99.99999999999999}, ValueError, r"for 99.99999999999999 %, write "
                                                                  r"overlap=0.9999999999999999\)$"),
    ({"patch_size": 8, "overlap": Fraction(7, 3)}, ValueError, r"for 7/3 %, write overlap=7/300\)$"),
    ({"patch_size": 8, "overlap": (float("nan"), 50, 50)}, ValueError, r"got 50$"),
    # Fractions on the other axes are kept (stop 59: a mixed tuple had no hint).
    ({"patch_size": 96, "overlap": (0.5, 48, 0.25)}, ValueError,
     r"got 48 \(a fraction of the patch: for 48 %, write overlap=\(0.5, 0.48, 0.25\); "
     r"for 48 voxels of a patch of \(96, 96, 96\), overlap=\(0.5, 1/2, 0.25\)\)$"),
    ({"patch_size": 96, "overlap": (0.5, 60, 64)}, ValueError,
     r"got 64 \(a fraction of the patch: for \(60, 64\) %, write overlap=\(0.5, 0.6, 0.64\); "
     r"for \(60, 64\) voxels of a patch of \(96, 96, 96\), overlap=\(0.5, 5/8, 2/3\)\)$"),
    ({"patch_size": 8, "overlap": (10 ** 400, 50, 50)}, ValueError, r"^overlap=\(1000*, 50, 50\): .*, got 50$"),
    # Stop 60's finding: text, as on the command line, gets the same numbers written as Python numbers.
    ({"patch_size": 8, "overlap": "1/2"}, TypeError, r"^overlap='1/2': expected a fraction in \[0, 1\), or one per "
                                                     r"axis in \(D, H, W\) order \(a number, not text: write "
                                                     r"overlap=0.5\)$"),
    ({"patch_size": 8, "overlap": " 0,25 "}, TypeError, r"\(a number, not text: write overlap=0.25\)$"),
    ({"patch_size": 96, "overlap": (0.5, "1/3", 0.25)}, ValueError,
     r"got '1/3' \(a number, not text: write overlap=\(0.5, 1/3, 0.25\)\)$"),
    ({"patch_size": 8, "overlap": ("1/2",)}, ValueError, r"\(a number, not text: write overlap=\(0.5,\)\)$"),
    # helper-101: a percentage, as the command line's --overlap-fraction 50% is told.
    ({"patch_size": 8, "overlap": "50%"}, TypeError, r"\(a number, not text: write overlap=0.5\)$"),
    ({"patch_size": 8, "overlap": (0.5, "25 %", 0.5)}, ValueError, r"write overlap=\(0.5, 0.25, 0.5\)\)$"),
    ({"patch_size": 8, "overlap": "half"}, TypeError, r"\(D, H, W\) order$"),
    # helper-91: an int past a float's range failed with Python's OverflowError, naming nothing.
    ({"patch_size": 10 ** 400}, ValueError, r"^patch_size=1000*: expected a whole number within a float's range$"),
    ({"patch_size": 8, "batch_size": 10 ** 400}, ValueError, r"^batch_size=1000*: expected a whole number within"),
    ({"patch_size": 8, "cval": -10 ** 400}, ValueError, r"^cval=-1000*: expected a finite number within float32"),
    ({"patch_size": 8, "sigma_scale": 10 ** 400}, ValueError, r"^sigma_scale=1000*: expected a finite number greater"),
    ({"patch_size": 8, "spacing": (10 ** 400, 1, 1)}, ValueError, r"^spacing=\(1000*, 1, 1\): expected 3 positive "
                                                                 r"finite numbers"),
    # helper-92: what is neither a percentage nor voxels gets the command line's general hint.
    ({"patch_size": 8, "overlap": 1.5}, ValueError, r"overlap=1.5: each fraction must be in \[0, 1\), got 1.5 "
                                                    r"\(a fraction of the patch: 0.5 or 1/2 overlaps half of it, "
                                                    r"0 none\)$"),
    ({"patch_size": 8, "overlap": 100}, ValueError, r"got 100 \(a fraction of the patch: 0.5 or 1/2 overlaps half"),
    ({"patch_size": 8, "overlap": 1}, ValueError, r"got 1 \(a fraction of the patch: 0.5 or 1/2 overlaps half"),
    # helper-92: a patch past a float's range failed with OverflowError in the memory check.
    ({"patch_size": 1e300}, ValueError, r"^patch_size=\(1000*5\d*, .* GiB as float32, more than this machine's"),
    ({"patch_size": 8, "sigma_scale": 0}, ValueError, "sigma_scale=0: expected a finite number greater than 0"),
    ({"patch_size": 8, "gaussian_floor": "monai"}, ValueError, r"^gaussian_floor='monai': expected one of 'axis', "
                                                               r"'window'.*MONAI's floor, on its N-D importance map, "
                                                               r"is 'window'"),
    ({"patch_size": 8, "spacing": (1, 1, 1), "image": "itk"}, ValueError, "only an array takes a geometry"),
    ({"patch_size": 8, "spacing": (1, 2, 3, 4)}, ValueError,
     r"spacing=\(1, 2, 3, 4\): 4 values for an array of shape \(13, 17, 21\) read as a 3-D image \(D, H, W\); "
     r"expected 3 in \(x, y, z\) order \(give 2 spacing values, in \(x, y\) order, to read it as a 2-D image of "
     r"C channels"),
    ({"patch_size": 8, "spacing": (1, -1, 1)}, ValueError, r"spacing=\(1, -1, 1\): expected 3 positive finite"),
    # A voxel volume below a double's normal range: ITK printed SVD warnings, or failed ("Singular matrix").
    ({"patch_size": 8, "spacing": (1e-320, 1, 1)}, ValueError, r"^spacing=\(1e-320, 1, 1\): voxel sizes whose product "
                                                               r"is 9.99989e-321; expected a product of at least 2.2"),
    ({"patch_size": 8, "spacing": (1e-200, 1e-200, 1e-200)}, ValueError, r"^spacing=.*: voxel sizes whose product is "
                                                                         r"0; expected a product of at least"),
    ({"patch_size": 8, "origin": (0, float("nan"), 0)}, ValueError, "origin=.*: expected 3 finite numbers"),
    ({"patch_size": 8, "direction": np.zeros((3, 3))}, ValueError, "direction: expected an invertible 3 x 3 matrix"),
    ({"patch_size": 8, "direction": np.eye(2)}, ValueError, "direction: expected an invertible 3 x 3 matrix"),
    # helper-95: well conditioned, but a determinant ITK sees as 0 ("Bad direction").
    ({"patch_size": 8, "direction": np.eye(3) * 1e-110}, ValueError, "direction: expected an invertible 3 x 3"),
    ({"patch_size": 8, "argmax": "yes"}, TypeError, "argmax='yes': expected True or False"),
    ({"patch_size": 8, "spacing": 2.0}, TypeError, r"spacing=2.0: expected a sequence of 3 numbers"),
    # helper-85: a str or an entry that is not a number is the wrong type, not a wrong value.
    ({"patch_size": 8, "spacing": "1,1,1"}, TypeError, r"spacing='1,1,1': expected a sequence of 3 numbers in "
                                                       r"\(x, y, z\) order"),
    ({"patch_size": 8, "origin": ("0", 0, 0)}, TypeError, r"origin=\('0', 0, 0\): expected 3 finite numbers"),
    ({"patch_size": 8, "direction": "identity"}, TypeError, r"direction='identity': expected an invertible 3 x 3 "
                                                            r"matrix of numbers"),
    ({"patch_size": 8, "direction": [[1, 0, 0], [0, 1, 0], [0, 0, "a"]]}, TypeError, r"direction=.*: expected an "
                                                                                      r"invertible 3 x 3 matrix"),
    ({"patch_size": 8, "direction": [["1", "0", "0"]] * 3}, TypeError, r"direction=.*: expected an invertible "
                                                                       r"3 x 3 matrix of numbers"),
    ({"patch_size": 8, "direction": 1.0}, TypeError, r"direction=1.0: expected an invertible 3 x 3 matrix of numbers"),
    # helper-88: ragged values failed with numpy's message, naming no parameter.
    ({"patch_size": 8, "direction": [[1, 0], [0, 1, 0], [0, 0, 1]]}, ValueError, r"direction=.*: rows of different "
                                                                                 r"lengths; expected an invertible"),
    ({"patch_size": 8, "spacing": [1, [2, 3], 4]}, ValueError, r"spacing=\[1, \[2, 3\], 4\]: expected a sequence of 3 "
                                                               r"numbers"),
    ({"patch_size": 8, "spacing": [[1, 2, 3]]}, ValueError, r"spacing=\[\[1, 2, 3\]\]: expected a sequence of 3"),
    ({"patch_size": 8, "progress": 2}, TypeError, "progress=2: expected True or False"),
    ({"patch_size": 8, "output": ("a.mha", "b.mha")}, ValueError, "returns one tensor; give one file name"),
    ({"patch_size": 8, "output": b"a.mha"}, TypeError, r"output=b'a.mha': expected a file name \(str or os.PathLike\)"),
    # helper-85: a set was written in its hash order, a generator and a None file failed inside os and len().
    ({"patch_size": 8, "output": {"b.mha", "a.mha"}}, TypeError, r"output=.*: a set has no order to match the "
                                                                  r"predictor's outputs with; give a tuple"),
    ({"patch_size": 8, "output": (n for n in "ab")}, TypeError, r"output=<generator .*>: a generator; expected a "
                                                                 r"file name"),
    ({"patch_size": 8, "output": ("a.mha", None)}, TypeError, r"output=\('a.mha', None\): None is a NoneType; "
                                                              r"expected a file name"),
    ({"patch_size": 8, "output": 5}, TypeError, r"output=5: an int; expected a file name"),
    ({"patch_size": []}, ValueError, r"patch_size=\[\] has 0 values"),
    ({"patch_size": 8, "overlap": None}, TypeError, "overlap=None: expected a fraction in"),
    ({"patch_size": 8, "cval": 1e39}, ValueError, "cval=1e\\+39: expected a finite number within float32's range"),
    ({"patch_size": 8, "cval": float("nan")}, ValueError, "cval=nan: expected a finite number"),
    ({"patch_size": 8, "cval": "a"}, TypeError, "cval='a': expected a finite number"),
    ({"patch_size": 8, "sigma_scale": "0.1"}, TypeError, "sigma_scale='0.1': expected a finite number greater than 0"),
    ({"patch_size": 8, "sigma_scale": [0.125] * 3}, TypeError, r"sigma_scale=\[0.125, 0.125, 0.125\]: expected one "
                                                               r"number.*\(one value per axis, which MONAI takes, is "
                                                               r"not supported\)"),
    ({"patch_size": 3000}, ValueError, r"patch_size=\(3000, 3000, 3000\) \(D, H, W\): one patch of 1 channel\(s\) "
                                       r"is 100.6 GiB as float32, more than this machine's .* GiB of memory"),
    ({"patch_size": 8, "overlap": ("0.5", "0.5", "0.5")}, ValueError,
     r"overlap=\('0.5', '0.5', '0.5'\): each fraction must be a number in \[0, 1\), got '0.5'"),
    ({"patch_size": torch.tensor(True)}, TypeError, "patch_size=tensor\\(True\\): expected a whole number"),
    ({"patch_size": 8, "padding_mode": "mirror"}, ValueError, "padding_mode='mirror': expected one of 'constant', "
                                                             "'symmetric', 'replicate', 'circular' \\(the command "
                                                             "line's mirror is 'symmetric'\\)$"),
    ({"patch_size": 8, "padding_mode": "Edge"}, ValueError, "padding_mode='Edge': .* \\(numpy.pad's edge is 'replicate'"),
    ({"patch_size": 8, "mode": "Gausian"}, ValueError,
     "mode='Gausian': expected one of 'gaussian', 'constant', 'average', 'crop', 'hann' \\(did you mean 'gaussian'\\?\\)$"),
    ({"patch_size": 8, "border_mode": "xyz"}, ValueError,
     "border_mode='xyz': expected one of 'squeeze', 'edge', 'adaptive', 'crop', 'pad'$"),
])
def test_more_errors_name_the_parameter(oblique_array, kwargs, error, message):
    array = oblique_array["array"]
    image = itk.image_from_array(array) if kwargs.pop("image", None) == "itk" else array
    with pytest.raises(error, match=message):
        patchstreaming.sliding_window_inference(image, SmallNetwork().eval(), **{"progress": False, **kwargs})


def test_a_scaled_direction_is_accepted_and_kept():
    """Invertibility by condition number, not by determinant: 1e-5 times the identity is fine."""
    array = np.zeros((4, 5, 6), np.float32)
    result = patchstreaming.sliding_window_inference(array, lambda x: x, 2, direction=np.eye(3) * 1e-5,
                                                     progress=False)
    np.testing.assert_allclose(itk.array_from_matrix(result.GetDirection()), np.eye(3) * 1e-5)


@pytest.mark.parametrize("sigma_scale", [1e-200, 5e-324, 1e200])
def test_a_gaussian_of_an_extreme_sigma_scale_keeps_positive_weights(sigma_scale):
    """An odd patch's center weight was 0/0 once sigma² underflowed (sigma_scale below ~1e-155):
    the merger refused its own window ("the windows along axis 0 sum to -nan"). Any positive
    weights give an identity network's input back."""
    array = np.random.default_rng(5).normal(size=(11, 12, 13)).astype(np.float32)
    result = patchstreaming.sliding_window_inference(array, lambda x: x, 5, overlap=0.4, sigma_scale=sigma_scale,
                                                     progress=False)
    np.testing.assert_allclose(itk.array_from_image(result), array, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("spacing, volume", [("1e-200 1e-200 1e-200", "0"), ("-5e-310 1 1", "5e-310")])
def test_a_file_whose_voxel_volume_is_below_a_double_s_range_is_refused_by_name(tmp_path, spacing, volume):
    """helper-95: ITK's "Singular matrix" with its source path, or SVD warnings on stderr and a run."""
    path = tmp_path / "tiny.mha"
    path.write_bytes(b"ObjectType = Image\nNDims = 3\nDimSize = 4 3 2\nElementType = MET_FLOAT\nElementSpacing = "
                     + spacing.encode() + b"\nElementDataFile = LOCAL\n" + bytes(96))
    with pytest.raises(ValueError, match=rf"^image='.*tiny\.mha': its spacing .* gives a voxel volume of {volume}, "
                                         rf"below a double's normal range"):
        patchstreaming.sliding_window_inference(str(path), lambda x: x, 2, progress=False)


def test_an_array_without_voxels_is_refused():
    with pytest.raises(ValueError, match=r"image: an array of shape \(0, 4, 4\) has no voxels"):
        patchstreaming.sliding_window_inference(np.zeros((0, 4, 4), np.float32), lambda x: x, 2, progress=False)


def test_an_output_file_that_is_the_input_is_refused(tmp_path):
    array = np.random.default_rng(3).random((6, 7, 8), dtype=np.float32)
    file = str(tmp_path / "input.mha")
    itk.imwrite(itk.image_from_array(array), file)
    for output in (file, str(tmp_path / "." / "input.mha")):
        with pytest.raises(ValueError, match=r"output=.*input\.mha' is the input file"):
            patchstreaming.sliding_window_inference(file, lambda x: x, 4, output=output, progress=False)
    np.testing.assert_array_equal(itk.array_from_image(itk.imread(file, itk.F)), array)
    # A two-file input: the output's data file would be the input's.
    header = str(tmp_path / "two.mhd")
    itk.imwrite(itk.image_from_array(array), header)  # two.mhd + two.raw
    with pytest.raises(ValueError, match=r"output=.*two\.nhdr' would overwrite the input's data file .*two\.raw'"):
        patchstreaming.sliding_window_inference(header, lambda x: x, 4, output=str(tmp_path / "two.nhdr"),
                                                progress=False)
    np.testing.assert_array_equal(itk.array_from_image(itk.imread(header, itk.F)), array)
    # Headers of any extension naming their data files: a .mha naming one, a LIST, a NRRD %d pattern.
    text = open(header, encoding="latin-1").read()
    external = tmp_path / "external.mha"
    external.write_text(text)  # ElementDataFile = two.raw
    assert itk.array_from_image(itk.imread(str(external), itk.F)).tolist() == array.tolist()
    listed = tmp_path / "list.mhd"
    listed.write_text(text.replace("ElementDataFile = two.raw", "ElementDataFile = LIST\nfirst.raw\ntwo.raw"))
    pattern = tmp_path / "pattern.nrrd"
    pattern.write_text("NRRD0004\ntype: float\ndimension: 3\nsizes: 8 7 6\nencoding: raw\n"
                       "data file: slice%03d.raw 1 6 1 2\n\n")
    for source, output, problem in ((external, "two.nhdr", "would overwrite the input's data file .*two.raw'"),
                                    (listed, "two.mhd", "would overwrite the input's data file .*two.raw'"),
                                    (pattern, "slice004.nhdr", "would write .*slice004.raw', which the input's header "
                                                               "would then read as its data file")):  # missing now
        with pytest.raises(ValueError, match=rf"output=.*{output}' {problem}"):
            patchstreaming.sliding_window_inference(str(source), lambda x: x, 4, output=str(tmp_path / output),
                                                    progress=False)
    np.testing.assert_array_equal(itk.array_from_image(itk.imread(header, itk.F)), array)
    # A compressed Analyze/NIfTI pair (z.hdr.gz + z.img.gz): its data file, and the uncompressed name the NIfTI
    # library looks for first (written, it would become the input's data).
    pair = str(tmp_path / "z.hdr.gz")
    itk.imwrite(itk.image_from_array(array), pair)
    for output, problem in (("z.img.gz", "would overwrite .*z\\.img\\.gz', the other file of the input's Analyze/NIfTI "
                                         "pair"),
                            ("z.img", "would write .*z\\.img', which the input would then read as the other file of its "
                                      "Analyze/NIfTI pair")):
        with pytest.raises(ValueError, match=rf"^output=.*{output}' {problem}: write to another file$"):
            patchstreaming.sliding_window_inference(pair, lambda x: x, 4, output=str(tmp_path / output),
                                                    progress=False)
    assert not os.path.exists(tmp_path / "z.img")


def test_zero_dimensional_tensors_and_arrays_are_numbers(oblique_array):
    """Sizes and fractions given as 0-d tensors or arrays (a tensor's .max(), a config's np.int64)
    mean their value, as the Python numbers do; so does a one-element list."""
    array = oblique_array["array"]
    network = SmallNetwork().eval()
    as_numbers = patchstreaming.sliding_window_inference(array, network, (4, 6, 8), overlap=0.5, batch_size=3,
                                                         progress=False)
    as_tensors = patchstreaming.sliding_window_inference(
        array, network, torch.tensor([4, 6, 8]), overlap=torch.tensor(0.5), batch_size=np.array(3), progress=False)
    np.testing.assert_array_equal(itk.array_from_image(as_tensors), itk.array_from_image(as_numbers))
    # A one-element sequence is one value for every axis, as a scalar is.
    cube = patchstreaming.sliding_window_inference(array, network, 6, overlap=0.25, progress=False)
    as_lists = patchstreaming.sliding_window_inference(array, network, [6], overlap=(0.25,), progress=False)
    np.testing.assert_array_equal(itk.array_from_image(as_lists), itk.array_from_image(cube))


@pytest.mark.parametrize("after_probe", [False, True])
def test_an_output_on_the_meta_device_is_refused_by_name(oblique_array, after_probe):
    """helper-67: torch's bare "Cannot copy out of meta tensor", naming neither the predictor nor the batch."""
    calls = []

    def predictor(x):
        calls.append(1)
        return torch.empty(x.shape, device="meta") if len(calls) > after_probe else x

    with pytest.raises(ValueError, match=r"the predictor's output 0 is on the meta device for (an input|a batch) of shape .*: "
                                         r"it has a shape but no values"):
        patchstreaming.sliding_window_inference(oblique_array["array"], predictor, 8, progress=False)


@pytest.mark.parametrize("returned, message", [
    ({}, "returned an empty dict"), ((), "returned an empty tuple"),
])
def test_an_empty_output_is_refused(oblique_array, returned, message):
    with pytest.raises(ValueError, match=message):
        patchstreaming.sliding_window_inference(oblique_array["array"], lambda x: returned, 8, progress=False)


@pytest.mark.parametrize("image, error, message", [
    (np.zeros((8, 9, 10), np.complex64), TypeError, r"^image: an array of complex64 values; expected real values"),
    (torch.zeros((8, 9, 10), dtype=torch.complex128), TypeError, r"^image: a tensor of torch.complex128 values"),
    (np.zeros((8, 9, 10), object), TypeError, r"^image: an array of dtype object; expected numbers"),
    (np.zeros((8, 9, 10), "datetime64[s]"), TypeError, r"^image: an array of dtype datetime64\[s\]; expected numbers"),
    (torch.zeros((8, 9, 10), device="meta"), ValueError, r"^image: a tensor of shape \(8, 9, 10\) on the meta device "
                                                         r"holds no values$"),
])
def test_an_input_that_is_not_real_numbers_is_refused(image, error, message):
    """helper-46: complex (numpy's warning only) and datetime64 values ran; a meta tensor gave torch's message."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=message):
            patchstreaming.sliding_window_inference(image, lambda x: x, 4, progress=False)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_tensors_are_read_exactly(dtype):
    """helper-46: a bfloat16 tensor gave torch's 'Got unsupported ScalarType BFloat16'."""
    values = torch.linspace(-3, 3, 8 * 9 * 10).reshape(8, 9, 10).to(dtype)
    result = patchstreaming.sliding_window_inference(values, lambda x: x, 4, mode="constant", progress=False)
    np.testing.assert_allclose(itk.array_from_image(result), values.float().numpy(), rtol=1e-6, atol=1e-6)


def test_a_complex_output_is_refused_not_cast(oblique_array):
    with pytest.raises(TypeError, match=r"output 0 is a complex tensor \(torch.complex64\); expected real values"):
        patchstreaming.sliding_window_inference(oblique_array["array"], lambda x: x.to(torch.complex64), 8,
                                                progress=False)
    with pytest.raises(TypeError, match=r"output 1 is a complex tensor"):
        patchstreaming.sliding_window_inference(oblique_array["array"], lambda x: (x, x * 1j), 8, progress=False)


def test_a_dict_with_integer_keys_and_two_outputs_named_the_same_file(oblique_array, tmp_path):
    network = SmallNetwork().eval()
    result = patchstreaming.sliding_window_inference(oblique_array["array"], lambda x: {0: network(x)}, 8,
                                                     progress=False)
    assert list(result) == [0]
    with pytest.raises(ValueError, match="would both write .*a.mha'; each output needs its own files"):
        patchstreaming.sliding_window_inference(oblique_array["array"], TupleNetwork().eval(), 8, progress=False,
                                                output=(str(tmp_path / "a.mha"), str(tmp_path / "a.mha")))
    # The same file through a linked folder (helper-47).
    os.symlink(tmp_path, tmp_path / "here")
    with pytest.raises(ValueError, match="would both write .*b.mha'; each output needs its own files"):
        patchstreaming.sliding_window_inference(oblique_array["array"], TupleNetwork().eval(), 8, progress=False,
                                                output=(str(tmp_path / "b.mha"), str(tmp_path / "here" / "b.mha")))
    (tmp_path / "here").unlink()
    # Two formats writing the same data file (helper-46: the first output held the second's values).
    for pair in (("y.mhd", "y.nhdr"), ("z.hdr", "z.img")):
        with pytest.raises(ValueError, match=rf"'{pair[1]}' would both write '.*{pair[0][:2]}"):
            patchstreaming.sliding_window_inference(oblique_array["array"], TupleNetwork().eval(), 8, progress=False,
                                                    output=pair)
    # A dict of file names for a tuple predictor: its keys are not taken for file names (newcomer finding).
    with pytest.raises(ValueError, match=r"the predictor returns a tuple of 2 outputs; give a tuple of as many file "
                                         r"names \(a dict of them is for a predictor returning a dict\)"):
        patchstreaming.sliding_window_inference(oblique_array["array"], TupleNetwork().eval(), 8, progress=False,
                                                output={"a": str(tmp_path / "x.mha"), "b": str(tmp_path / "y.mha")})
    assert not list(tmp_path.iterdir())


def _non_finite_warning(count: int, argmax: bool) -> str:
    """The warning for ``count`` > 1 non-finite merged values."""
    merged = "merged class values (voxel and class)" if argmax else "output values (voxel and channel)"
    labels = "; a NaN class never wins a voxel's label, +inf always does (0 where all classes are NaN)" if argmax else ""
    return (f"NaN or infinite values reach the output (the predictor returned some, as a network does for NaN or "
            f"infinite input voxels, or values whose weighted sum overflows float32): {count} {merged} are NaN or "
            f"infinite{labels}")


def test_a_predictor_returning_nan_is_warned_of_with_the_number_of_output_values_it_reaches(tmp_path):
    """A broken or overflowing network's NaN reached the output (or, with argmax, the labels)
    silently. The number warned of is that of the merged values that are NaN: with Gaussian
    weights (never 0) a NaN the predictor returns at a voxel makes that voxel NaN, and here it
    returns NaN in both channels wherever the image is above 0.9 (squeeze: no padding), so the
    number is 2 x the voxels above 0.9, over overlapping patches in batches that cross lines,
    for the image, a file written in 3 pieces and argmax."""
    image = np.random.default_rng(3).random((9, 10, 11), dtype=np.float32)
    expected = 2 * int((image > 0.9).sum())

    def broken(batch):
        return torch.cat([batch, 1 - batch], dim=1).masked_fill(batch > 0.9, float("nan"))

    file = tmp_path / "out.mha"
    for kwargs in ({}, {"argmax": True}, {"output": str(file), "stream_divisions": 3}):
        with pytest.warns(RuntimeWarning) as warned:
            result = patchstreaming.sliding_window_inference(image, broken, (4, 5, 6), overlap=0.5, batch_size=3,
                                                             progress=False, **kwargs)
        assert expected > 0 and len(warned) == 1, kwargs
        assert str(warned[0].message) == _non_finite_warning(expected, kwargs.get("argmax", False))
        assert warned[0].filename == __file__, kwargs  # the caller's line
        if not kwargs.get("argmax"):
            values = itk.array_from_image(result if result is not None else
                                          itk.imread(str(file), itk.VariableLengthVector[itk.F]))
            assert int((~np.isfinite(values)).sum()) == expected, kwargs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        patchstreaming.sliding_window_inference(image, lambda x: torch.cat([x, 1 - x], dim=1), (4, 5, 6),
                                                progress=False)


def test_nan_that_reaches_no_output_voxel_is_not_warned_of_and_one_value_is_named_in_the_singular():
    """NaN in the padding past the image's end (border_mode="pad", cval=-1 marks it) changes no
    output voxel: no warning. One voxel above 0.5 made NaN by a one-channel predictor: exactly
    one output value is NaN, whatever the patches over it."""
    image = np.zeros((9, 10, 11), np.float32)
    image[4, 5, 6] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        padded = patchstreaming.sliding_window_inference(
            image, lambda x: x.masked_fill(x == -1, float("nan")), (4, 4, 4), overlap=0.5, border_mode="pad",
            cval=-1.0, progress=False)
    assert np.allclose(itk.array_from_image(padded), image, rtol=0, atol=1e-6)  # finite: the Gaussian merge's rounding
    with pytest.warns(RuntimeWarning) as warned:
        one = patchstreaming.sliding_window_inference(image, lambda x: x.masked_fill(x > 0.5, float("nan")), (4, 4, 4),
                                                      overlap=0.5, progress=False)
    assert int(np.isnan(itk.array_from_image(one)).sum()) == 1
    assert [str(w.message) for w in warned] == [
        "NaN or infinite values reach the output (the predictor returned some, as a network does for NaN or infinite "
        "input voxels, or values whose weighted sum overflows float32): 1 output value (voxel and channel) is NaN or "
        "infinite"]


def test_finite_values_whose_weighted_sum_overflows_are_counted_and_huge_ones_side_by_side_are_not():
    """3e38 in every patch: where patches overlap (stride 16 of 32 on 64: voxels 16 to 47 of an
    axis lie in two), the float32 sum of the merge overflows to +inf, as in MONAI, and is warned
    of: 64^3 - 32^3 voxels. Patches side by side (no overlap) keep 3e38 and warn of nothing."""
    huge = lambda x: torch.full_like(x, 3e38)  # noqa: E731
    with pytest.warns(RuntimeWarning) as warned:
        merged = patchstreaming.sliding_window_inference(np.zeros((64, 64, 64), np.float32), huge, 32, overlap=0.5,
                                                         batch_size=8, mode="constant", progress=False)
    assert [str(w.message) for w in warned] == [_non_finite_warning(64**3 - 32**3, False)]
    assert int(np.isinf(itk.array_view_from_image(merged)).sum()) == 64**3 - 32**3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        side_by_side = patchstreaming.sliding_window_inference(np.zeros((64, 64, 64), np.float32), huge, 32,
                                                               overlap=0, batch_size=8, mode="constant",
                                                               progress=False)
    assert np.all(itk.array_view_from_image(side_by_side) == np.float32(3e38))
