"""Sliding-window inference on a Dask cluster, slab by slab, written chunk by chunk to Zarr.

``patchstreaming.dask.sliding_window_inference`` is the one-machine call
(``patchstreaming.sliding_window_inference``) cut into tasks: the output is cut into slabs
along the slowest axis, each slab is one Dask task that builds its own reader -> extractor ->
predictor -> merger pipeline in the worker, asks it for its slab only, and writes the slab's
Zarr chunks. The merge is exact for any output region (the separable normaliser,
docs/design.md section 4), so the result is bit-identical to the one-process run; the patch
lines that straddle two slabs are computed by both tasks (``recomputation_factor``).
docs/distributed.md says how to run it on a cluster and what each worker reads and writes.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import zarr

from ._images import a_type, flag, image_type, is_vector_image, unexpected_keywords, whole_number
from ._sources import Source, open_source
from ._termination import ending_by_signal_after_cleanup
from ._output_files import check_output_folder, check_zarr_output_name
from ._zarr_output import ChunkStore, abandon, create_output, finish
from ._pipeline import Pipeline, Settings
from ._predictor import Structure, check_argmax_structure, probe
from .inference import MONAI_KEYWORDS, checked_sigma_scale_and_cval, warn_of_non_finite

#: The largest recomputation factor the default slab thickness allows.
MAX_RECOMPUTATION = 1.25


@dataclass
class DistributedRun:
    """What a distributed run wrote and what it cost.

    Attributes:
        array: the output, a ``zarr.Array`` opened read-only: ``(Z, Y, X)`` (one channel or the
            label map) or ``(C, Z, Y, X)`` (C channels), ``(Y, X)``/``(C, Y, X)`` in 2-D.
        slabs: the tasks' output slices ``[first, end)`` along the slowest axis.
        patches: the patches of the grid.
        patches_computed: the patches the predictor ran on, summed over the tasks' last runs.
        peak_rss_bytes: the largest peak resident set of a worker process that ran a task
            (``getrusage``'s ``ru_maxrss``: the process's whole life, libraries included).
    """

    array: "zarr.Array"
    slabs: List[Tuple[int, int]]
    patches: int
    patches_computed: int
    peak_rss_bytes: int

    @property
    def recomputation_factor(self) -> float:
        """``patches_computed / patches``: about ``1 + overlap / slab`` along the slowest axis."""
        return self.patches_computed / self.patches


#: MONAI's keywords, with what this call takes instead (it reads files and writes Zarr).
_MONAI_KEYWORDS = {
    **MONAI_KEYWORDS,
    "inputs": "input_path (an image file or a Zarr array, which each worker reads its part of)",
    "device": "nothing: the output is a Zarr array; the predictor's outputs may come back on any device",
}

#: The one-process call's keywords that this call names otherwise.
_ONE_PROCESS_KEYWORDS = {
    "image": "input_path (an image file or a Zarr array, which each worker reads its part of)",
    "predictor": "predictor_factory (a picklable callable with no arguments that returns the predictor, "
                 "made in each worker)",
    "output": "output_path (the Zarr array to write, a directory such as 'result.zarr')",
    "stream_divisions": "slab_slices (each task's slices) or chunk_slices (the Zarr chunk's) instead, or neither "
                        "for their defaults",
}


@dataclass(frozen=True)
class _Job:
    """Everything a task needs, shipped to the workers (plain data and the factory, no ITK object)."""

    source: Source
    predictor_factory: Callable[[], Callable]
    call: str  # one per call: workers make the predictor once per call
    settings: Settings
    structure: Optional[Structure]
    sigma_scale: float
    cval: float
    argmax: bool
    store: str
    chunk_slices: int
    num_threads: int

    def __repr__(self) -> str:  # what a worker logs with a failed task
        return f"_Job({self.source.path!r} -> {self.store!r}, call {self.call})"


def sliding_window_inference(
    input_path: Union[str, os.PathLike],
    predictor_factory: Callable[[], Callable],
    patch_size: Union[int, Sequence[int]],
    overlap: Union[float, Sequence[float]] = 0.5,
    batch_size: int = 4,
    mode: str = "gaussian",
    sigma_scale: float = 0.125,
    border_mode: str = "squeeze",
    padding_mode: str = "constant",
    cval: float = 0.0,
    argmax: bool = False,
    *,
    output_path: Union[str, os.PathLike, None] = None,
    chunk_slices: Optional[int] = None,
    slab_slices: Optional[int] = None,
    client=None,
    num_threads: int = 1,
    progress: bool = True,
    gaussian_floor: str = "axis",
    **unknown,
) -> DistributedRun:
    """Runs a predictor over a volume on a Dask cluster and writes the blended result to Zarr.

    ``patch_size``, ``overlap``, ``batch_size``, ``mode``, ``sigma_scale``, ``border_mode``,
    ``padding_mode``, ``cval``, ``argmax`` and ``gaussian_floor`` mean what they mean in
    ``patchstreaming.sliding_window_inference`` (patch and overlap in (D, H, W) order, MONAI's
    ``mode`` names, border and padding modes), in the same positions up to ``cval``; by keyword
    is clearer. The result is bit-identical to that call on the same file with the same
    predictor, batch size and torch thread count
    (``torch.set_num_threads``), for any number of workers and any slab thickness.

    Args:
        input_path: the volume: a MetaImage (``.mha``/``.mhd``, read slab by slab through ITK's
            streaming reader), a raw NRRD (``.nrrd``/``.nhdr`` with ``encoding: raw``, read slab by
            slab from a memory map; other NRRD encodings are read whole in each task), a Zarr
            array (``.zarr`` directory: ``(Z, Y, X)`` or ``(C, Z, Y, X)``, channels first, read by
            slab; in 2-D ``(Y, X)``, and ``(C, Y, X)`` only with an ``axes`` attribute whose first
            axis has type ``channel``; geometry from the attributes this function writes, or
            unit spacing), or any other file ITK reads (read whole in each task). Every worker
            must see the path, at the same absolute path.
        predictor_factory: a picklable callable with no arguments that returns the predictor
            (as for the one-machine call: ``(B, C_in, D, H, W)`` tensor in, ``(B, C_out, D, H,
            W)`` out; tuple and dict outputs are not supported here). It is called once per
            worker process and call, in the worker: models are built there, never shipped.
        output_path: the Zarr array to write (a directory; required, by keyword); written beside it under a temporary
            name and renamed when every chunk is written: the output is complete or untouched
            (also when the call is stopped by Ctrl-C, SIGTERM or SIGHUP; the latter two then end the
            process by that signal, unless the program handles it itself).
            A Zarr array already there is replaced then; anything else there is refused.
        chunk_slices: the Zarr chunk's thickness along the slowest axis (slices), the unit
            written at once; default: the patch stride along that axis (at most the volume's
            slices; a thicker chunk or slab is the whole volume), or with ``slab_slices`` given
            its largest divisor up to the stride.
        slab_slices: one task's thickness, a multiple of ``chunk_slices``; default: the thinnest
            multiple whose recomputation factor is at most 1.25 (the whole volume if none is).
        client: a ``distributed.Client``; default: the current client, else a ``LocalCluster``
            of cores // num_threads single-threaded worker processes (at least 1), started and
            closed by the call.
        num_threads: ITK and torch threads in each task (``torch.set_num_threads`` and ITK's
            global default, set in the worker process for the task and put back after it), at
            most ITK's maximum (128 in Debian's build); default 1, for one worker thread each.
        progress: a tqdm bar over the slabs; default True.

    Returns:
        A ``DistributedRun``: the output array, the slabs, and the recomputation factor.

    Raises:
        TypeError: ``predictor_factory`` is a model, not callable (MONAI's argument order) or
            cannot be sent to the workers; ``sigma_scale`` or ``cval`` not a number, ``argmax`` or
            ``progress`` not a bool, a count not a whole number; an input that is not a path, a
            client that is not a ``distributed.Client``, no ``output_path``, an unknown keyword
            (MONAI's and the one-process call's are named with what to pass instead).
        ValueError: a bad patch size, overlap, batch size, mode, ``sigma_scale`` (not > 0),
            ``cval`` (not finite), border or padding mode, slab or
            chunk thickness, ``num_threads``; ``output_path`` names an image file (``x.mha``,
            ``x.nii.gz``: a Zarr array is a folder), is the input, inside it or around
            it (also through symbolic links); a predictor with several outputs, or ``argmax=True``
            without 2 to 65536 channels; a non-zero ``cval`` with a multi-channel input.
        FileNotFoundError: a missing input or output folder.
        OSError: an output folder that is a file (NotADirectoryError) or where no file can be made
            (PermissionError, or the error met), before any task runs.
        FileExistsError: something other than a Zarr array at ``output_path``.
        RuntimeError: a chunk missing at the end (named).
        Whatever a task raised (Dask re-raises it here), after the partial output is removed.
    """
    import distributed

    if unknown:
        raise unexpected_keywords(sliding_window_inference, unknown, (
            ("MONAI's keywords", _MONAI_KEYWORDS), ("the one-process call's keywords", _ONE_PROCESS_KEYWORDS)))
    if output_path is None:
        raise TypeError("sliding_window_inference() needs output_path: the Zarr array to write, a directory such as "
                        "output_path='result.zarr' (by keyword)")
    _check_arguments(input_path, predictor_factory, overlap, client)
    sigma_scale, cval = checked_sigma_scale_and_cval(sigma_scale, cval)
    argmax, progress = flag(argmax, "argmax"), flag(progress, "progress")
    plan = _Plan(input_path, patch_size, overlap, batch_size, mode, border_mode, padding_mode, chunk_slices,
                 slab_slices, gaussian_floor)
    output_path = _check_output(output_path, plan.source.path)
    num_threads = _threads(num_threads)
    slabs = [(first, min(first + plan.slab, plan.slices)) for first in range(0, plan.slices, plan.slab)]

    own_cluster = None
    if client is None:
        try:
            client = distributed.get_client()
        except ValueError:
            own_cluster = distributed.LocalCluster(n_workers=max(1, (os.cpu_count() or 1) // num_threads),
                                                   threads_per_worker=1, processes=True, host="127.0.0.1",
                                                   dashboard_address=":0")
            client = distributed.Client(own_cluster)
    call = uuid.uuid4().hex[:12]
    partial = f"{output_path}.partial-{call}"
    job = _Job(plan.source, predictor_factory, call, plan.settings, None, sigma_scale, cval, argmax, partial,
               plan.chunk, num_threads)
    with ending_by_signal_after_cleanup():
        try:
            structure = client.submit(_describe_outputs, job, pure=False).result()
            job = _replace(job, structure=structure)
            create_output(job.store, job.structure.channels[0], job.argmax, plan.source, plan.chunk)
            results = _run_slabs(client, job, slabs, progress)
            finish(partial, output_path)
        except BaseException:
            abandon(partial)
            raise
        finally:
            if own_cluster is not None:
                client.close()
                own_cluster.close()
    # The tasks' chunks do not overlap: each merged value is counted once.
    warn_of_non_finite(sum(r["non_finite"] for r in results), job.argmax)
    return DistributedRun(zarr.open_array(output_path, mode="r"), slabs, plan.grid.GetNumberOfPatches(),
                          sum(r["patches"] for r in results), max(r["peak_rss_bytes"] for r in results))


def recomputation_factor(input_path, patch_size, overlap=0.5, border_mode: str = "squeeze", batch_size: int = 4,
                         slab_slices: Optional[int] = None, chunk_slices: Optional[int] = None) -> float:
    """The patches the slab tasks compute over the patches of the grid (1 when a slab is the whole
    volume), for the slab thickness given or the default one; reads the input's header only."""
    plan = _Plan(input_path, patch_size, overlap, batch_size, "gaussian", border_mode, "constant", chunk_slices,
                 slab_slices)
    return _factor(plan.grid, plan.geometry, plan.slab, plan.slices, plan.settings.batch_size)


class _Plan:
    """The call's input, grid and blending settings, and the chunk and slab thickness (from the
    input's header: nothing is read)."""

    def __init__(self, input_path, patch_size, overlap, batch_size, mode, border_mode, padding_mode, chunk_slices,
                 slab_slices, gaussian_floor="axis"):
        self.source = open_source(input_path)
        self.geometry = self.source.geometry_image()
        self.settings = Settings(self.geometry, patch_size, overlap, batch_size, mode, border_mode, padding_mode, 1,
                                 gaussian_floor)
        self.slices = self.source.shape_dhw[0]
        self.grid = _grid(self.geometry, self.settings)
        self.chunk, self.slab = _chunk_and_slab(self.grid, self.geometry, self.settings, chunk_slices, slab_slices,
                                                self.slices)


def _check_arguments(input_path, predictor_factory, overlap, client) -> None:
    """Raises TypeError for an input that is not a path, a client that is not a Client (an
    address), and a factory that is a model, is not callable or cannot be sent to the workers."""
    import cloudpickle
    import distributed
    import torch

    if not isinstance(input_path, (str, os.PathLike)):
        raise TypeError(f"input_path: {a_type(input_path)}; expected the path of an image file or a Zarr array, "
                        f"which each worker reads its part of (write an array with itk.imwrite or zarr.save first, "
                        f"or run patchstreaming.sliding_window_inference in this process)")
    if client is not None and not isinstance(client, distributed.Client):
        raise TypeError(f"client={client!r}: expected a distributed.Client (for a scheduler's address: "
                        f"client=distributed.Client({client!r}))")
    if isinstance(predictor_factory, torch.nn.Module):
        raise TypeError(f"predictor_factory: {a_type(predictor_factory)} is a model; pass a callable with "
                        f"no arguments that makes it in the worker, e.g. lambda: torch.jit.load(path)")
    if not callable(predictor_factory):
        monai = " (MONAI's order is (inputs, roi_size, sw_batch_size, predictor, ...); this call's is " \
                "(input_path, predictor_factory, patch_size, overlap, ...))" if callable(overlap) else ""
        raise TypeError(f"predictor_factory: {a_type(predictor_factory)} is not callable; expected a "
                        f"callable with no arguments that returns the predictor{monai}")
    try:  # as Distributed sends it
        cloudpickle.dumps(predictor_factory)
    except Exception as error:
        raise TypeError(f"predictor_factory={predictor_factory!r} cannot be sent to the workers ({error}): make the "
                        f"model inside the factory (load it from a file there) and let it close over paths and "
                        f"numbers only") from None


def _check_output(output_path, input_path: str) -> str:
    """The output's absolute path: not an image file's name (check_zarr_output_name); its folder
    exists and takes files (check_output_folder); it
    is not the input, nor inside it or around it, also through symbolic links (the output's own
    name is replaced, not followed; the input's is read through); anything already there is a
    Zarr array (replaced at the end), else nothing."""
    path = os.path.abspath(os.fspath(output_path))
    check_zarr_output_name("output_path", path)
    check_output_folder("output_path", path)
    written = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    for output, read in ((path, input_path), (written, os.path.realpath(input_path))):
        if os.path.commonpath([output, read]) in (output, read):
            raise ValueError(f"output_path={path!r}: the input {input_path!r} is there; write elsewhere")
    if os.path.lexists(path) and not os.path.isfile(os.path.join(path, ".zarray")):
        raise FileExistsError(f"output_path={path!r} exists and is not a Zarr array; only a Zarr array there is "
                              f"replaced (once the new one is complete); remove it or choose another path")
    return path


def _whole(name: str, value) -> int:
    """``value`` as a whole number of at least 1, else a TypeError (not a number, a bool) or
    ValueError naming ``name``."""
    whole = whole_number(value, name)
    if whole < 1:
        raise ValueError(f"{name}={value!r}: expected a whole number, at least 1")
    return whole


def _threads(value) -> int:
    """``num_threads`` checked: 1 to ITK's maximum number of threads (ITK would silently use
    fewer; torch hangs or fails past it)."""
    import itk

    threads, most = _whole("num_threads", value), int(itk.MultiThreaderBase.GetGlobalMaximumNumberOfThreads())
    if threads > most:
        raise ValueError(f"num_threads={value!r}: expected at most {most}, ITK's maximum number of threads")
    return threads


def _thickness(name: str, value, slices: int, default: int) -> int:
    """Slices along the slowest axis: ``value`` checked, or ``default``; at most the volume's (a
    thicker chunk or slab is the whole volume)."""
    return max(1, min(default if value is None else _whole(name, value), slices))


def _grid(geometry, settings: Settings):
    """The patch grid of the call (from the header: nothing is read)."""
    import itk

    stack_type = image_type(is_vector_image(geometry), geometry.GetImageDimension() + 1)
    extractor = itk.PatchExtractor[type(geometry), stack_type].New()
    extractor.SetInput(geometry)
    extractor.SetPatchSize(settings.patch_xyz)
    extractor.SetPatchOverlap(settings.overlap_xyz)
    extractor.SetBorderMode(getattr(itk.PatchStreamingEnums, "BorderMode_" + settings.border))
    extractor.UpdateOutputInformation()
    grid = extractor.GetPatchGrid()
    return type(grid)(grid)  # a copy: the extractor's own goes with it


def _slab_region(geometry, first: int, end: int):
    region = type(geometry.GetLargestPossibleRegion())(geometry.GetLargestPossibleRegion())
    axis = geometry.GetImageDimension() - 1
    region.SetIndex(axis, first)
    region.SetSize(axis, end - first)
    return region


def _computed_patches(grid, geometry, first: int, end: int, batch_size: int) -> Tuple[int, int]:
    """``(first patch, count)``: the contiguous patches a task computes for output slices
    [first, end): the lines over them (a box of grid indices, whole along the other axes),
    grown to PatchBatchImageFilter's canonical batches, patches ``k * batch_size`` to
    ``(k + 1) * batch_size - 1`` counted from the grid's first patch (the grid has no mask)."""
    lines = grid.GetOverlappingGridRegion(_slab_region(geometry, first, end))
    count = int(lines.GetNumberOfPixels())
    if count == 0:
        return 0, 0
    low = int(grid.GetLinearIndex(lines.GetIndex()))
    high = min(-(-(low + count) // batch_size) * batch_size, int(grid.GetNumberOfPatches()))
    low = low // batch_size * batch_size
    return low, high - low


def _factor(grid, geometry, slab: int, slices: int, batch_size: int) -> float:
    computed = sum(_computed_patches(grid, geometry, first, min(first + slab, slices), batch_size)[1]
                   for first in range(0, slices, slab))
    return computed / grid.GetNumberOfPatches()


def _chunk_and_slab(grid, geometry, settings: Settings, chunk_slices, slab_slices, slices: int) -> Tuple[int, int]:
    """The Zarr chunk's and a task's thickness (slices): as given, else the chunk the patch
    stride (or, for a slab given, its largest divisor up to the stride) and the thinnest slab
    of whole chunks whose recomputation factor is at most MAX_RECOMPUTATION."""
    stride = max(1, settings.patch_xyz[-1] - settings.overlap_xyz[-1])
    if slab_slices is not None:
        given = _whole("slab_slices", slab_slices)  # the chunk divides it as given, then it is capped
        chunk = _thickness("chunk_slices", chunk_slices, slices,
                           max(d for d in range(1, min(stride, given) + 1) if given % d == 0))
        if given % chunk and given < slices:  # a slab of the whole volume may end inside a chunk
            raise ValueError(f"slab_slices={slab_slices}: expected a multiple of chunk_slices={chunk} (a task "
                             f"writes whole Zarr chunks)")
        return chunk, min(given, slices)
    chunk = _thickness("chunk_slices", chunk_slices, slices, stride)
    for slab in range(chunk, slices + chunk, chunk):
        if slab >= slices or _factor(grid, geometry, slab, slices, settings.batch_size) <= MAX_RECOMPUTATION:
            return chunk, slab
    return chunk, slices


def _replace(job: _Job, **changes) -> _Job:
    import dataclasses

    return dataclasses.replace(job, **changes)


# -- In the worker ---------------------------------------------------------------------------

_PREDICTORS = {}  # call -> predictor, for the latest call this process ran a task of


@contextlib.contextmanager
def _task_threads(job: _Job):
    """torch's threads and ITK's global default set to the call's ``num_threads`` for one task,
    and put back after it: with an in-process cluster (``processes=False``) the worker is the
    caller's process, whose settings the call leaves as they were."""
    import itk
    import torch

    before = torch.get_num_threads(), int(itk.MultiThreaderBase.GetGlobalDefaultNumberOfThreads())
    torch.set_num_threads(job.num_threads)
    itk.MultiThreaderBase.SetGlobalDefaultNumberOfThreads(job.num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before[0])
        itk.MultiThreaderBase.SetGlobalDefaultNumberOfThreads(before[1])


def _worker_predictor(job: _Job):
    """This call's predictor in this process, made by the factory at the call's first task here
    (a later call makes its own: a model file changed in between is read again)."""
    if job.call not in _PREDICTORS:
        _PREDICTORS.clear()  # an earlier call's model goes
        _PREDICTORS[job.call] = job.predictor_factory()
    return _PREDICTORS[job.call]


def _describe_outputs(job: _Job) -> Structure:
    with _task_threads(job):
        structure = probe(_worker_predictor(job), job.source.channels, job.settings.patch_xyz)
    if structure.names is not None:
        raise ValueError(f"predictor_factory: the predictor returns {structure.describe()}; the distributed call "
                         f"writes one output (return one tensor, e.g. lambda x: model(x)[0])")
    if job.argmax:
        check_argmax_structure(structure)
    return structure


def _run_slab(job: _Job, first: int, end: int) -> dict:
    """One task: builds the pipeline, computes output slices [first, end) chunk by chunk and
    writes each chunk to the Zarr array; returns the patches computed and the peak RSS."""
    with _task_threads(job):
        return _compute_slab(job, first, end)


def _compute_slab(job: _Job, first: int, end: int) -> dict:
    """_run_slab's work, with the task's threads set."""
    import resource

    ChunkStore.check(job.store)
    predictor = _worker_predictor(job)
    image, reader = job.source.pipeline_input()
    pipeline = Pipeline(image, predictor, job.structure, job.settings, job.sigma_scale, job.cval, False)
    last = pipeline.last(job.argmax)
    last.UpdateOutputInformation()
    if reader is None:  # an array source: the slab's input, read once
        needed = _input_region(pipeline, image, first, end)
        job.source.fill(image, needed)
    target = zarr.open_array(ChunkStore(job.store), mode="r+")
    channels_first = target.ndim > image.GetImageDimension()
    for chunk in range(first, end, job.chunk_slices):
        ChunkStore.check(job.store)
        stop = min(chunk + job.chunk_slices, end)
        values = pipeline.compute(last, _slab_region(image, chunk, stop))
        if channels_first:
            target[:, chunk:stop] = np.moveaxis(values, -1, 0)
        else:
            target[chunk:stop] = values
    return {"patches": pipeline.computed, "non_finite": pipeline.non_finite,
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def _input_region(pipeline: Pipeline, image, first: int, end: int):
    """The input region the extractor reads for every patch the task computes for output slices
    [first, end) (_computed_patches), padding sources included (the extractor's
    GenerateInputRequestedRegion, propagated without updating)."""
    low, count = _computed_patches(pipeline.extractor.GetPatchGrid(), image, first, end,
                                   pipeline.settings.batch_size)
    stack = pipeline.extractor.GetOutput()
    region = type(stack.GetLargestPossibleRegion())(stack.GetLargestPossibleRegion())
    region.SetIndex(region.GetImageDimension() - 1, low)
    region.SetSize(region.GetImageDimension() - 1, count)
    stack.SetRequestedRegion(region)
    stack.PropagateRequestedRegion()
    return image.GetRequestedRegion()


# -- On the client ---------------------------------------------------------------------------


def _run_slabs(client, job: _Job, slabs, progress: bool) -> List[dict]:
    import distributed

    token = uuid.uuid4().hex[:8]
    futures = client.map(_run_slab, [job] * len(slabs), [s[0] for s in slabs], [s[1] for s in slabs],
                         key=[f"patchstreaming-slab-{first}-{end}-{token}" for first, end in slabs], pure=False)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(futures), unit="slab", desc="sliding window (dask)")
    try:
        for future in distributed.as_completed(futures):
            future.result()  # raises a task's error here
            if bar is not None:
                bar.update(1)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        if bar is not None:
            bar.close()
    return [future.result() for future in futures]
