"""patchstreaming.dask on a LocalCluster of 2 worker processes (loopback only), against the
one-process sliding_window_inference run here: bit for bit, for any number of slabs, with
MetaImage, raw NRRD and Zarr inputs, and when a worker is killed in the middle of the run."""
import functools
import glob
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch

import itk
import patchstreaming
from patchstreaming import dask as distributed_inference
from patchstreaming._zarr_output import finish
from conftest import NaNAboveNetwork, SlowNetwork, SmallNetwork

distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

# Debian 12's distributed (2022.12) creates its IOLoop the way tornado 6.2 deprecates, inside
# LocalCluster's constructor: that warning is theirs, not this package's.
pytestmark = pytest.mark.filterwarnings("ignore:make_current is deprecated:DeprecationWarning:tornado")

# The workers import the factories' module (conftest) by name, as a cluster's workers would.
os.environ["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.abspath(__file__)),
                                            os.environ.get("PYTHONPATH", "")])

#: (D, H, W) = (21, 17, 19): 21 slices cut into 1, 3 or 7 slabs.
SHAPE = (21, 17, 19)


def make_network(classes=3, in_channels=1, slow=False):
    return (SlowNetwork if slow else SmallNetwork)(in_channels=in_channels, classes=classes).eval()


def make_nan_network(threshold):
    return NaNAboveNetwork(threshold).eval()


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as connected:
        yield connected


def oblique_image(channels=1):
    """A random odd-sized volume with anisotropic spacing, an origin off zero and an oblique direction."""
    rng = np.random.default_rng(3)
    shape = SHAPE + ((channels,) if channels > 1 else ())
    image = itk.image_from_array(rng.uniform(-64, 64, size=shape).astype(np.float32), is_vector=channels > 1)
    image.SetSpacing([0.7, 1.25, 2.5])
    image.SetOrigin([-12.5, 3.0, 40.0])
    angle = 0.4
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0, 0, 1.0]])
    image.SetDirection(itk.matrix_from_array(rotation))
    return image


@pytest.fixture(scope="module")
def volume(tmp_path_factory):
    folder = tmp_path_factory.mktemp("distributed")
    path = str(folder / "volume.mha")
    itk.imwrite(oblique_image(), path)
    return path


def one_process(path_or_image, factory, argmax=False, batch_size=3, **options):
    """The reference: the one-machine call, with the workers' torch thread count (1)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = patchstreaming.sliding_window_inference(path_or_image, factory(), 8, overlap=0.5,
                                                         batch_size=batch_size, argmax=argmax, progress=False,
                                                         **options)
    finally:
        torch.set_num_threads(threads)
    array = itk.array_from_image(result)
    return np.moveaxis(array, -1, 0) if array.ndim == 4 else array


@pytest.mark.parametrize("mode,argmax", [("constant", False), ("gaussian", False), ("gaussian", True)])
@pytest.mark.parametrize("slab_slices,chunk_slices", [(21, 7), (7, 7), (3, 1)])
def test_equals_the_one_process_run_bit_for_bit(client, volume, tmp_path, mode, argmax, slab_slices, chunk_slices):
    factory = functools.partial(make_network, classes=4)
    run = distributed_inference.sliding_window_inference(
        volume, factory, 8, overlap=0.5, batch_size=3, mode=mode, argmax=argmax, output_path=tmp_path / "out.zarr",
        slab_slices=slab_slices, chunk_slices=chunk_slices, client=client, progress=False)
    assert len(run.slabs) == 21 // slab_slices
    reference = one_process(volume, factory, argmax=argmax, mode=mode)
    written = run.array[:]
    assert written.dtype == (np.uint8 if argmax else np.float32)
    assert written.shape == reference.shape
    assert np.array_equal(written, reference)
    assert run.array.nchunks_initialized == run.array.nchunks == 21 // chunk_slices
    # Lines that straddle a slab's end are computed by both tasks, and only those.
    expected = distributed_inference.recomputation_factor(volume, 8, 0.5, batch_size=3, slab_slices=slab_slices,
                                                          chunk_slices=chunk_slices)
    assert run.recomputation_factor == pytest.approx(expected)
    assert (run.recomputation_factor == 1.0) == (slab_slices == 21)


def test_a_chunk_or_slab_thicker_than_the_volume_is_the_whole_volume(client, volume, tmp_path):
    """helper-95: chunk_slices=10**30 failed in the worker ("Maximum allowed dimension exceeded")."""
    factory = functools.partial(make_network, classes=2)
    # helper-96: a slab past the volume is divided as given (1000: chunks of 4, the stride), not as the
    # volume's 21 slices (chunks of 3), nor 29 (prime: chunks of 1).
    for chunk, slab, thickness in ((10 ** 30, None, 21), (2 ** 63, 10 ** 30, 21), (7, 10 ** 30, 7), (None, 1000, 4)):
        run = distributed_inference.sliding_window_inference(
            volume, factory, 8, batch_size=3, output_path=tmp_path / "out.zarr", chunk_slices=chunk, slab_slices=slab,
            client=client, progress=False)
        assert run.slabs == [(0, 21)]
        assert run.array.chunks[-3] == thickness  # (C, Z, Y, X)
        assert np.array_equal(run.array[:], one_process(volume, factory))


def test_an_in_process_cluster_leaves_the_caller_s_thread_counts_as_they_were(volume, tmp_path):
    """helper-96: with processes=False the task set ITK's global default in the caller's process
    (num_threads=3: 3 for every later one-process call)."""
    itk_before, torch_before = itk.MultiThreaderBase.GetGlobalDefaultNumberOfThreads(), torch.get_num_threads()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as \
            cluster, distributed.Client(cluster) as client:
        distributed_inference.sliding_window_inference(volume, functools.partial(make_network, classes=2), 8,
                                                       output_path=tmp_path / "out.zarr", client=client,
                                                       num_threads=3, progress=False)
    assert itk.MultiThreaderBase.GetGlobalDefaultNumberOfThreads() == itk_before
    assert torch.get_num_threads() == torch_before


@pytest.mark.parametrize("argmax", [False, True])
def test_gaussian_floor_on_the_window_equals_the_one_process_run_bit_for_bit(client, volume, tmp_path, argmax):
    """MONAI's importance-map floor sums the weights next to the values: slabs still give the same bits."""
    factory = functools.partial(make_network, classes=3)
    run = distributed_inference.sliding_window_inference(
        volume, factory, 8, overlap=0.5, batch_size=3, argmax=argmax, output_path=tmp_path / "out.zarr",
        slab_slices=7, chunk_slices=7, client=client, progress=False, gaussian_floor="window")
    reference = one_process(volume, factory, argmax=argmax, gaussian_floor="window")
    assert np.array_equal(run.array[:], reference)
    if not argmax:  # labels may agree on so small a volume; the probabilities do not
        assert not np.array_equal(reference, one_process(volume, factory))


@pytest.mark.parametrize("kind", ["zarr", "mha"])
def test_batches_longer_than_a_patch_line_equal_the_one_process_run(client, tmp_path, kind):
    """Lines of 4 patches (4 lines a plane), batches of 9: a task computes whole batches counted
    from the grid's first patch, also patches of planes outside its slab, and an array source
    buffers their input too."""
    image = oblique_image()
    if kind == "zarr":
        path = str(tmp_path / "in.zarr")
        zarr.open_array(path, mode="w", shape=SHAPE, chunks=(5,) + SHAPE[1:], dtype=np.float32)[:] = \
            itk.array_from_image(image)
    else:
        path = str(tmp_path / "in.mha")
        itk.imwrite(image, path)
    factory = functools.partial(make_network, classes=3)
    for slab_slices in (3, 7):
        run = distributed_inference.sliding_window_inference(path, factory, 8, batch_size=9, slab_slices=slab_slices,
                                                             output_path=tmp_path / f"out{slab_slices}.zarr",
                                                             client=client, progress=False)
        assert np.array_equal(run.array[:], one_process(path, factory, batch_size=9))
        assert run.recomputation_factor == pytest.approx(distributed_inference.recomputation_factor(
            path, 8, batch_size=9, slab_slices=slab_slices))
        assert run.recomputation_factor > distributed_inference.recomputation_factor(
            path, 8, batch_size=1, slab_slices=slab_slices)


def test_the_check_of_the_chunks_ignores_a_dead_write_and_names_a_missing_chunk(tmp_path):
    """A worker killed inside a chunk write leaves <chunk>.<uuid>.partial (zarr counted it as a chunk)."""
    partial = str(tmp_path / "out.zarr.partial-x")
    array = zarr.open_array(partial, mode="w", shape=(6, 4), chunks=(2, 4), dtype=np.uint8, write_empty_chunks=True)
    array[:] = 1
    with open(os.path.join(partial, "1.0.0123abcd.partial"), "wb") as dead:
        dead.write(b"half")
    finish(partial, str(tmp_path / "out.zarr"))
    assert sorted(os.listdir(tmp_path / "out.zarr")) == [".zarray", "0.0", "1.0", "2.0"]
    array = zarr.open_array(partial, mode="w", shape=(6, 4), chunks=(2, 4), dtype=np.uint8, write_empty_chunks=True)
    array[:4] = 1
    with open(os.path.join(partial, "2.0.0123abcd.partial"), "wb") as dead:
        dead.write(b"half")
    with pytest.raises(RuntimeError, match=r"1 of 3 chunks were not written \(the first: 2.0\)"):
        finish(partial, str(tmp_path / "other.zarr"))


def test_output_carries_the_geometry_as_ome_ngff_transforms_and_itk_direction(client, volume, tmp_path):
    run = distributed_inference.sliding_window_inference(volume, functools.partial(make_network, classes=2), 8,
                                                         output_path=tmp_path / "out.zarr", client=client,
                                                         progress=False)
    image = itk.imread(volume, itk.F)
    attributes = dict(run.array.attrs)
    assert [axis["name"] for axis in attributes["axes"]] == ["c", "z", "y", "x"]
    scale, translation = attributes["coordinateTransformations"]
    assert scale == {"type": "scale", "scale": [1.0, 2.5, 1.25, 0.7]}
    assert translation == {"type": "translation", "translation": [0.0, 40.0, 3.0, -12.5]}
    assert np.allclose(attributes["itk"]["spacing"], image.GetSpacing())
    assert np.allclose(attributes["itk"]["origin"], image.GetOrigin())
    assert np.allclose(attributes["itk"]["direction"], itk.array_from_matrix(image.GetDirection()))
    # The default slab keeps the recomputation factor at most 1.25.
    assert run.recomputation_factor <= 1.25


def test_zarr_input_and_output_with_two_channels(client, tmp_path):
    image = oblique_image(channels=2)
    source = zarr.open_array(str(tmp_path / "in.zarr"), mode="w", shape=(2,) + SHAPE, chunks=(2, 5) + SHAPE[1:],
                             dtype=np.float32)
    source[:] = np.moveaxis(itk.array_from_image(image), -1, 0)
    source.attrs["itk"] = {"spacing": list(image.GetSpacing()), "origin": list(image.GetOrigin()),
                           "direction": itk.array_from_matrix(image.GetDirection()).tolist()}
    factory = functools.partial(make_network, classes=3, in_channels=2)
    run = distributed_inference.sliding_window_inference(tmp_path / "in.zarr", factory, 8, batch_size=3,
                                                         output_path=tmp_path / "out.zarr", slab_slices=7,
                                                         client=client, progress=False)
    assert np.array_equal(run.array[:], one_process(image, factory))
    assert np.allclose(run.array.attrs["itk"]["direction"], itk.array_from_matrix(image.GetDirection()))


def test_raw_nrrd_read_by_slab_equals_the_file_read_whole(client, tmp_path):
    image = oblique_image()
    integers = itk.image_from_array(np.round(itk.array_from_image(image) + 64).astype(np.uint16))
    integers.CopyInformation(image)
    path = str(tmp_path / "volume.nrrd")
    itk.imwrite(integers, path)  # raw encoding, attached header
    source = distributed_inference.open_source(path)
    assert source.kind == "raw"
    factory = functools.partial(make_network, classes=2)
    run = distributed_inference.sliding_window_inference(path, factory, 8, batch_size=3,
                                                         output_path=tmp_path / "out.zarr", slab_slices=7,
                                                         client=client, progress=False)
    assert np.array_equal(run.array[:], one_process(path, factory))


@pytest.mark.parametrize("name", ["volume.nii.gz", "volume_gzip.nrrd", "volume.nii", "volume_zlib.mha"])
def test_files_read_whole_equal_the_one_process_run(client, tmp_path, name):
    """Formats a task cannot read by slab (gzip; NIfTI, whose ITK 5.2 reader leaves the file open
    for every part of it read; a compressed MetaImage, which MetaIO decompresses from its start for
    every region) are read whole in the task, then copied out."""
    path = str(tmp_path / name)
    writer = itk.ImageFileWriter[itk.Image[itk.F, 3]].New(Input=oblique_image(), FileName=path, UseCompression=True)
    writer.Update()
    assert distributed_inference.open_source(path).kind == "whole"
    factory = functools.partial(make_network, classes=3)
    for slab in (7, 21):
        run = distributed_inference.sliding_window_inference(path, factory, 8, batch_size=3, slab_slices=slab,
                                                             output_path=tmp_path / f"out{slab}.zarr", client=client,
                                                             progress=False)
        assert np.array_equal(run.array[:], one_process(path, factory))


def test_a_multi_channel_file_keeps_its_channels_in_both_calls(client, tmp_path):
    path = str(tmp_path / "two_channels.mha")
    image = oblique_image(channels=2)
    itk.imwrite(image, path)
    factory = functools.partial(make_network, classes=3, in_channels=2)
    run = distributed_inference.sliding_window_inference(path, factory, 8, batch_size=3, slab_slices=7,
                                                         output_path=tmp_path / "out.zarr", client=client,
                                                         progress=False)
    reference = one_process(image, factory)
    assert np.array_equal(one_process(path, factory), reference)
    assert np.array_equal(run.array[:], reference)


def read_model(path):
    return torch.jit.load(path).eval()


def test_each_call_makes_its_own_predictor(client, volume, tmp_path):
    """A model file changed between two calls on the same cluster is read again."""
    model_file = str(tmp_path / "model.pt")
    outputs = []
    for seed in (1, 2):
        torch.jit.script(SmallNetwork(classes=2, seed=seed).eval()).save(model_file)
        run = distributed_inference.sliding_window_inference(volume, functools.partial(read_model, model_file), 8,
                                                             batch_size=3, output_path=tmp_path / f"out{seed}.zarr",
                                                             client=client, progress=False)
        assert np.array_equal(run.array[:], one_process(volume, functools.partial(read_model, model_file)))
        outputs.append(run.array[:])
    assert not np.array_equal(*outputs)


def test_nan_from_the_predictor_is_warned_of_once_on_the_client(client, volume, tmp_path):
    """The tasks count the NaN output values they merge; the client warns once, with their sum:
    the one-process call's number, each voxel once though patches near the slabs' ends are
    computed by two tasks. The network returns NaN in both channels above the median (Gaussian
    weights are never 0): twice the voxels above it."""
    array = itk.array_from_image(itk.imread(volume, itk.F))
    threshold = float(np.median(array))
    factory = functools.partial(make_nan_network, threshold)
    with pytest.warns(RuntimeWarning) as reference:
        one_process(volume, factory)
    with pytest.warns(RuntimeWarning) as warned:
        distributed_inference.sliding_window_inference(volume, factory, 8, overlap=0.5, batch_size=3,
                                                       output_path=tmp_path / "out.zarr", slab_slices=21,
                                                       client=client, progress=False)
    expected = 2 * int((array > threshold).sum())
    assert len(reference) == 1 and f"float32): {expected} output values (voxel and channel) are NaN or infinite" in str(
        reference[0].message)
    assert [str(w.message) for w in warned] == [str(reference[0].message)]
    assert warned[0].filename == __file__


class FailingNetwork(SlowNetwork):
    """SlowNetwork that raises on the patches of a marked region (values above 500)."""

    def forward(self, x):
        if float(x.max()) > 500:
            raise RuntimeError("the predictor failed on purpose")
        return super().forward(x)


def test_a_failed_call_leaves_no_output_even_while_other_tasks_still_run(volume, tmp_path):
    """3 warm workers run the 3 slabs at once; the last fails at its first batch while the others
    run on for seconds and write chunks (which recreated the removed array before)."""
    marked = itk.array_from_image(oblique_image())
    marked[14:] = 1000.0  # the last slab's slices: the other slabs reach them last or never
    path = str(tmp_path / "marked.mha")
    itk.imwrite(itk.image_from_array(marked), path)
    output = tmp_path / "out.zarr"
    with distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(3)
        distributed_inference.sliding_window_inference(volume, functools.partial(make_network, classes=2), 8,
                                                       slab_slices=7, output_path=tmp_path / "warm.zarr",
                                                       client=client, progress=False)
        with pytest.raises(RuntimeError, match="the predictor failed on purpose"):
            distributed_inference.sliding_window_inference(path, lambda: FailingNetwork(classes=2).eval(), 8,
                                                           batch_size=1, slab_slices=7, chunk_slices=1,
                                                           output_path=output, client=client, progress=False)
        time.sleep(4)  # the tasks still running reach their next chunks
        assert not os.path.exists(output) and glob.glob(str(output) + ".partial-*") == []


def test_bad_arguments_name_the_parameter(client, volume, tmp_path):
    factory = functools.partial(make_network, classes=2)
    with pytest.raises(ValueError, match="slab_slices=5: expected a multiple of chunk_slices=2"):
        distributed_inference.sliding_window_inference(volume, factory, 8, output_path=tmp_path / "o.zarr",
                                                       chunk_slices=2, slab_slices=5, client=client)
    for name, value, error in (("chunk_slices", 0, ValueError), ("chunk_slices", 2.5, ValueError),
                               ("slab_slices", "thick", TypeError), ("num_threads", 0, ValueError),
                               ("num_threads", True, TypeError), ("chunk_slices", True, TypeError)):
        with pytest.raises(error, match=f"{name}={value!r}: expected a whole number"):
            distributed_inference.sliding_window_inference(volume, factory, 8, output_path=tmp_path / "o.zarr",
                                                           client=client, **{name: value})
    # helper-95: 2**63 aborted the process in torch, 10**5 hung in torch.set_num_threads.
    for value in (129, 2 ** 63):
        with pytest.raises(ValueError, match=rf"num_threads={value}: expected at most 128, ITK's maximum"):
            distributed_inference.sliding_window_inference(volume, factory, 8, output_path=tmp_path / "o.zarr",
                                                           client=client, num_threads=value)
    # helper-81: these gave a bare TypeError, an AttributeError, or pickle's and torch's messages.
    model = torch.jit.script(make_network())
    for keywords, message in (({"sw_batch_size": 2}, "got MONAI's keywords: sw_batch_size=2: pass batch_size"),
                              ({"batchsize": 2}, "unexpected keyword argument 'batchsize' .did you mean batch_size"),
                              ({"client": "tcp://127.0.0.1:8786"}, "client='tcp://127.0.0.1:8786': expected a "
                                                                   "distributed.Client"),
                              ({"predictor_factory": lambda: model}, "predictor_factory=.* cannot be sent to the "
                                                                     "workers .*make the model inside the factory")):
        arguments = {"input_path": volume, "predictor_factory": factory, "patch_size": 8,
                     "output_path": tmp_path / "o.zarr", "client": client, **keywords}
        with pytest.raises(TypeError, match=message):
            distributed_inference.sliding_window_inference(**arguments)
    # helper-84: output= (the one-process call's) said only "missing 1 required keyword-only argument".
    with pytest.raises(TypeError, match=r"got the one-process call's keywords: output='o.zarr': pass output_path "
                                        r"\(the Zarr array to write"):
        distributed_inference.sliding_window_inference(volume, factory, 8, output="o.zarr", client=client)
    with pytest.raises(TypeError, match=r"sliding_window_inference\(\) needs output_path: the Zarr array to write"):
        distributed_inference.sliding_window_inference(volume, factory, 8, client=client)
    # helper-85: a Zarr folder named x.mha, which ITK and Slicer take for an image file.
    for name, folder in (("x.mha", "x.zarr"), ("x.NII.GZ", "x.zarr"), ("x.nrrd", "x.zarr")):
        with pytest.raises(ValueError, match=rf"output_path='.*{re.escape(name)}' is the name of an image file "
                                             rf"\(\w+ImageIO\), but this call writes a Zarr array, which is a "
                                             rf"folder: give a folder name such as '.*{folder}'"):
            distributed_inference.sliding_window_inference(volume, factory, 8, output_path=tmp_path / name,
                                                           client=client)
    assert not list(tmp_path.glob("x.*"))
    with pytest.raises(TypeError, match="input_path: a ndarray; expected the path of an image file or a Zarr array"):
        distributed_inference.sliding_window_inference(np.zeros((9, 9, 9), np.float32), factory, 8,
                                                       output_path=tmp_path / "o.zarr", client=client)
    # As the one-process call checks them, before any task (helper-76: sigma_scale=0 failed in
    # every task, argmax="no" ran as True, cval=nan wrote NaNs).
    for keywords, error, message in (({"sigma_scale": 0}, ValueError, "sigma_scale=0: expected a finite number greater than 0"),
                                     ({"sigma_scale": "wide"}, TypeError, "sigma_scale='wide'"),
                                     ({"cval": float("nan")}, ValueError, "cval=nan: expected a finite number"),
                                     ({"argmax": "no"}, TypeError, "argmax='no'"),
                                     ({"progress": 2}, TypeError, "progress=2")):
        with pytest.raises(error, match=message):
            distributed_inference.sliding_window_inference(volume, factory, 8, output_path=tmp_path / "o.zarr",
                                                           client=client, **keywords)
    with pytest.raises(FileNotFoundError, match="input_path"):
        distributed_inference.sliding_window_inference(tmp_path / "missing.mha", factory, 8,
                                                       output_path=tmp_path / "o.zarr", client=client)
    with pytest.raises(ValueError, match="argmax=True needs one output of 2 to 65536 channels"):
        distributed_inference.sliding_window_inference(volume, functools.partial(make_network, classes=1), 8,
                                                       argmax=True, output_path=tmp_path / "o.zarr", client=client,
                                                       progress=False)
    with pytest.raises(TypeError, match="predictor_factory: a SmallNetwork is a model; pass a callable"):
        distributed_inference.sliding_window_inference(volume, make_network(), 8, output_path=tmp_path / "o.zarr",
                                                       client=client)
    with pytest.raises(TypeError, match=r"predictor_factory: a tuple is not callable.*MONAI's order"):
        distributed_inference.sliding_window_inference(volume, (8, 8, 8), 4, factory, output_path=tmp_path / "o.zarr",
                                                       client=client)
    assert not os.path.exists(tmp_path / "o.zarr")
    assert glob.glob(str(tmp_path / "o.zarr.partial-*")) == []


def test_only_a_zarr_array_at_the_output_path_is_replaced(client, volume, tmp_path):
    factory = functools.partial(make_network, classes=2)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("x")
    with pytest.raises(FileExistsError, match="exists and is not a Zarr array"):
        distributed_inference.sliding_window_inference(volume, factory, 8, output_path=precious, client=client)
    assert (precious / "thesis.tex").read_text() == "x"
    source = zarr.open_array(str(tmp_path / "in.zarr"), mode="w", shape=SHAPE, dtype=np.float32)
    source[:] = 1.0
    with pytest.raises(ValueError, match="the input .* is there; write elsewhere"):
        distributed_inference.sliding_window_inference(tmp_path / "in.zarr", factory, 8,
                                                       output_path=tmp_path / "in.zarr", client=client)
    assert np.all(source[:] == 1.0)
    first = distributed_inference.sliding_window_inference(volume, factory, 8, output_path=tmp_path / "o.zarr",
                                                           client=client, progress=False)
    again = distributed_inference.sliding_window_inference(volume, factory, 8, argmax=True,
                                                           output_path=tmp_path / "o.zarr", client=client,
                                                           progress=False)
    assert first.array.dtype == np.float32 and again.array.dtype == np.uint8
    assert zarr.open_array(str(tmp_path / "o.zarr"), mode="r").dtype == np.uint8


def test_the_input_behind_a_symbolic_link_is_never_the_output_and_a_linked_output_leaves_nothing(client, tmp_path):
    """helper-81: an input given through a symbolic link to the array given as output_path was
    replaced by the result; an output_path that is a link to an array left '<partial>.previous'."""
    factory = functools.partial(make_network, classes=2)
    source = zarr.open_array(str(tmp_path / "data.zarr"), mode="w", shape=SHAPE, dtype=np.float32)
    source[:] = 1.0
    os.symlink(tmp_path / "data.zarr", tmp_path / "link.zarr")
    os.symlink(tmp_path, tmp_path / "here")
    for input_path, output_path in ((tmp_path / "link.zarr", tmp_path / "data.zarr"),
                                    (tmp_path / "data.zarr", tmp_path / "here" / "data.zarr"),
                                    (tmp_path / "link.zarr", tmp_path / "here" / "data.zarr" / "inside.zarr")):
        with pytest.raises(ValueError, match="the input .* is there; write elsewhere"):
            distributed_inference.sliding_window_inference(input_path, factory, 8, output_path=output_path,
                                                           client=client, progress=False)
    assert np.all(zarr.open_array(str(tmp_path / "data.zarr"), mode="r")[:] == 1.0)
    # An output that is a link is replaced by the new array, the array it named kept, nothing left.
    zarr.open_array(str(tmp_path / "old.zarr"), mode="w", shape=SHAPE, dtype=np.float32)[:] = 5.0
    os.symlink(tmp_path / "old.zarr", tmp_path / "out.zarr")
    distributed_inference.sliding_window_inference(tmp_path / "data.zarr", factory, 8, output_path=tmp_path / "out.zarr",
                                                   client=client, progress=False)
    assert not os.path.islink(tmp_path / "out.zarr")
    assert np.all(zarr.open_array(str(tmp_path / "old.zarr"), mode="r")[:] == 5.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.zarr", "here", "link.zarr", "old.zarr", "out.zarr"]


def test_an_output_folder_that_takes_no_file_is_refused_before_any_task_runs(client, volume, tmp_path):
    """helper-81: a folder where nothing can be made gave zarr's KeyError: '.zarray' after the
    workers had built the model; a parent that is a file was called a missing folder."""
    factory = functools.partial(make_network, classes=2)
    (tmp_path / "v.mha").write_bytes(b"x")
    with pytest.raises(NotADirectoryError, match=r"output_path=.*v.mha/out.zarr'.* is a file, not a folder"):
        distributed_inference.sliding_window_inference(volume, factory, 8, output_path=tmp_path / "v.mha" / "out.zarr",
                                                       client=client, progress=False)
    # PermissionError, or OSError (read-only file system) where a container mounts /sys read-only.
    with pytest.raises(OSError, match="output_path='/sys/out.zarr': cannot write in the folder '/sys'"):
        distributed_inference.sliding_window_inference(volume, factory, 8, output_path="/sys/out.zarr",
                                                       client=client, progress=False)


def test_a_termination_signal_removes_the_partial_output_and_ends_the_process(volume, tmp_path):
    """SIGTERM to the calling process while the slabs run: the partial Zarr array is removed, its own
    cluster closed, and the process ends by the signal (it left the .partial-* array before)."""
    output = str(tmp_path / "out.zarr")
    script = f"""
import functools, glob, os, signal, threading, time
from conftest import SlowNetwork
from patchstreaming import dask as distributed_inference
def terminate_once_writing():
    while not glob.glob({output!r} + ".partial-*"):
        time.sleep(0.01)
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=terminate_once_writing, daemon=True).start()
distributed_inference.sliding_window_inference({volume!r}, functools.partial(SlowNetwork, classes=2), 8,
                                               batch_size=1, output_path={output!r}, progress=False)
print("returned")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, timeout=300)
    assert done.returncode == -signal.SIGTERM, (done.returncode, done.stdout, done.stderr[-2000:])
    assert list(tmp_path.iterdir()) == []


def test_a_termination_signal_while_the_array_replaces_the_old_one_waits_for_it(volume, tmp_path):
    """helper-49: SIGTERM after the old array was moved aside lost the output (the new array was removed)."""
    output = str(tmp_path / "out.zarr")
    script = f"""
import functools, os, signal
from conftest import SmallNetwork
from patchstreaming import dask as distributed_inference
run = lambda: distributed_inference.sliding_window_inference({volume!r}, functools.partial(SmallNetwork, classes=2),
                                                             8, output_path={output!r}, progress=False)
run()
replace = os.replace
def replace_then_terminate(source, target):
    replace(source, target)
    if os.fspath(source) == {output!r}:  # the old array moved aside (zarr's own writes use os.replace too)
        os.kill(os.getpid(), signal.SIGTERM)
os.replace = replace_then_terminate
run()
print("returned")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, timeout=300)
    assert done.returncode == -signal.SIGTERM, (done.returncode, done.stdout, done.stderr[-2000:])
    assert [p.name for p in tmp_path.iterdir()] == ["out.zarr"]
    assert zarr.open_array(output, mode="r").shape == (2,) + SHAPE


def test_a_worker_killed_in_the_middle_is_replaced_and_the_output_is_identical(volume, tmp_path):
    factory = functools.partial(make_network, classes=3, slow=True)
    output = tmp_path / "out.zarr"
    outcome = {}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        def run():
            try:
                outcome["run"] = distributed_inference.sliding_window_inference(
                    volume, factory, 8, batch_size=3, output_path=output, slab_slices=3, chunk_slices=1,
                    client=client, progress=False)
            except BaseException as error:  # reported below
                outcome["error"] = error

        thread = threading.Thread(target=run)
        thread.start()
        victim = None
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline:
            written = glob.glob(str(output) + ".partial-*/[0-9]*")
            busy = [worker for worker, keys in client.processing().items()
                    if any("patchstreaming-slab" in str(key) for key in keys)]
            if written and busy:
                victim = busy[0]
            time.sleep(0.05)
        assert victim is not None, "no slab task was seen running"
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        killed_while_running = thread.is_alive()
        thread.join(timeout=300)
        assert not thread.is_alive()
        pids = client.run(os.getpid)
    assert killed_while_running
    assert pid not in pids.values()  # the nanny started a new worker process
    assert "error" not in outcome, outcome.get("error")
    result = outcome["run"]
    assert result.array.nchunks_initialized == result.array.nchunks == 21
    assert glob.glob(str(output / "*.partial")) == [] and glob.glob(str(output) + ".partial-*") == []
    assert np.array_equal(result.array[:], one_process(volume, functools.partial(make_network, classes=3)))
