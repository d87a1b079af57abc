"""``sliding_window_inference``: a model over a volume, patch by patch, blended back."""
from __future__ import annotations

import os
import shutil
import warnings
import weakref
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

import itk

from ._images import (ImageLike, a_type, array_reading_note, axis_orders, buffered_array, check_patch_fits_in_memory,
                      count_of, flag, image_from_channels, image_type, image_view, is_vector_image, overlap_xyz,
                      real_number, shape_dhw, size_xyz, to_itk_image, unexpected_keywords, unknown_choice,
                      whole_number)
from ._termination import ending_by_signal_after_cleanup, signals_deferred
from ._output_files import (_check_not_the_input, _check_output_files, _distinct_files, _mode_for, _named_files,
                            _partial_folder, _rename_data_file_in_header, _writer_io)
from ._voxel_data import check_written_image

Output = Union[torch.Tensor, Tuple[torch.Tensor, ...], Dict[str, torch.Tensor]]

#: MONAI's blending modes and the merger's weightings.
_MODES = {"gaussian": "Gaussian", "constant": "Average", "average": "Average", "crop": "Crop", "hann": "Hann"}
#: MONAI's (PyTorch's) padding modes and ITK's boundary conditions.
_PADDING = {"constant": "Constant", "symmetric": "Mirror", "replicate": "ZeroFluxNeumann", "circular": "Periodic"}
_BORDERS = {"squeeze": "Squeeze", "edge": "Edge", "adaptive": "Adaptive", "crop": "Crop", "pad": "Pad"}
#: Other tools' names for a choice (the command line's and ITK's, numpy.pad's), with this one's.
_OTHER_NAMES = {"padding_mode": {"mirror": "the command line's mirror is 'symmetric'",
                                 "zerofluxneumann": "the command line's zerofluxneumann is 'replicate'",
                                 "periodic": "the command line's periodic is 'circular'",
                                 "edge": "numpy.pad's edge is 'replicate'", "wrap": "numpy.pad's wrap is 'circular'"}}
#: MONAI's sliding_window_inference keywords that are spelled differently here, and what to pass instead.
MONAI_KEYWORDS = {
    "inputs": "image (the same tensor, an array, an itk.Image or a file name)",
    "roi_size": "patch_size (the same values: both follow the tensor's axes, (D, H, W) for an array read here)",
    "sw_batch_size": "batch_size",
    "sw_device": "nothing: patches are handed over as CPU tensors and the predictor moves them",
    "device": "nothing: the result is an ITK image; the predictor's outputs may come back on any device",
    "process_fn": "nothing: post-process in the predictor, which sees every batch",
}
#: The command line's options (PatchwiseFilter --padding-value ...) that are spelled differently here.
_COMMAND_LINE_KEYWORDS = {
    "padding_value": "cval",
    "weighting": "mode",
    "output_type": "argmax=True for labels",
    "label_map": "argmax=True and output=FILE",
}


def sliding_window_inference(
    image: Optional[ImageLike] = None,
    predictor: Optional[Callable[[torch.Tensor], Output]] = None,
    patch_size: Optional[Union[int, Sequence[int]]] = None,
    overlap: Union[float, Sequence[float]] = 0.5,
    batch_size: int = 4,
    mode: str = "gaussian",
    sigma_scale: float = 0.125,
    border_mode: str = "squeeze",
    padding_mode: str = "constant",
    cval: float = 0.0,
    output: Union[None, str, os.PathLike, Sequence, Mapping] = None,
    stream_divisions: int = 1,
    argmax: bool = False,
    progress: bool = True,
    spacing: Optional[Sequence[float]] = None,
    origin: Optional[Sequence[float]] = None,
    direction=None,
    **unknown,
):
    """Runs ``predictor`` over ``image`` in overlapping patches and blends the outputs back.

    The ITK pipeline ``PatchExtractor -> PatchBatchImageFilter (predictor) -> PatchMerger
    [-> writer]`` does the work: the merger pulls one batch of
    patches at a time, so the patches, the model's outputs and the blending weights are never
    held for the whole volume, and no full-size weight volume exists (the separable
    normaliser, docs/design.md section 4).

    Args:
        image: required (its default only lets a call made with MONAI's ``inputs=`` say so): an
            ``itk.Image``/``itk.VectorImage`` of float (2-D or 3-D); a file name (read as
            float, every channel kept) or a Zarr array folder (``(Z, Y, X)`` or ``(C, Z, Y, X)``, as
            ``patchstreaming.dask`` reads it); or a numpy array or torch tensor ``(D, H, W)`` or
            ``(C, D, H, W)`` (channels first; a leading batch axis of 1 is dropped, as in MONAI's
            ``(1, C, D, H, W)``, and ``(1, C, H, W)`` with 2 ``spacing`` values; a tensor subclass
            such as MONAI's ``MetaTensor`` too, its affine not read) with optional ``spacing``, ``origin``
            (ITK's (x, y, z) order, LPS) and ``direction`` (an ITK direction matrix, N x N); a 3-D
            array with 2 ``spacing`` values is ``(C, H, W)``. The spatial axes are numpy's (z, y, x)
            order, the reverse of ITK's: a tensor from MONAI's ``LoadImage``, ``(C, x, y, z)``, is
            permuted first (``t.permute(0, 3, 2, 1)``), or its file passed instead.
        predictor: required; a callable (a ``torch.nn.Module`` in eval mode) taking a float tensor
            ``(B, C_in, D, H, W)`` on the CPU (``(B, C_in, H, W)`` for 2-D) and returning a tensor
            ``(B, C_out, D, H, W)`` of the same spatial size, or a tuple or dict of such tensors.
            Called under ``torch.no_grad()``, as it is (``model.eval()`` is the caller's, as in
            MONAI; a module in training mode gets a ``UserWarning``); moving the batch to its
            device and back is the predictor's business (outputs may come back on any device). The
            batch is a view of the pipeline's buffer, valid during the call only (the next patches
            overwrite it): ``clone()`` it to keep it. Called once more on a zero patch first (2-D
            patches: a zero batch of 2, 3 for 2 channels, which a network of 3-D layers refuses), to
            learn the outputs' channel counts.
        patch_size: required; the patch (MONAI's ``roi_size``): an int, or one per axis in **(D, H, W)
            order**, the tensor's (ITK's ``PatchSize`` is that reversed, (x, y, z)); each at least 1
            (MONAI's 0 or -1 for "the image's size" is refused: give the size). A tuple that only
            fits the image reversed is refused with both orders in the message.
        overlap: the fraction of the patch shared by neighbours, in [0, 1): one, or one per axis
            in (D, H, W) order; the overlap is ⌊overlap · patch⌋ voxels, exactly, from the fraction a
            float stands for (0.29 is 29/100, ``1 / 3`` is 1/3: 32 voxels of 96; ``exact_fraction``)
            (MONAI's is patch − int(patch · (1 − overlap)), one voxel more for some sizes: 29
            against 28 for 96 and 0.3). Default 0.5 (MONAI's default is 0.25).
        batch_size: patches per predictor call, whatever the patch line's length: batches run
            across line ends (patches k · batch_size to (k + 1) · batch_size − 1, x fastest), so
            only the last call may be shorter, and a patch always has the same batch mates (the
            result is the same for any ``stream_divisions`` and on Dask). One batch of patches
            is held at a time, not a patch line. Default 4.
        mode: the blending weights: ``"gaussian"`` (default; ``exp(-(t-c)^2 / (2 sigma^2))`` per
            axis, sigma = sigma_scale · patch, floor 1e-3, as MONAI and nnU-Net; centred at
            c = (patch − 1) / 2, where they centre at patch // 2, half a voxel apart for an even
            patch), ``"constant"`` (MONAI's name; or ``"average"``), ``"crop"`` (each voxel from
            the patch whose center is nearest) or ``"hann"``.
        sigma_scale: the Gaussian's sigma as a fraction of the patch size, one number for every
            axis; default 0.125.
        border_mode: how the grid meets the image's end (docs/design.md section 3):
            ``"squeeze"`` (default: the patches spread evenly, the last ending at the image's end,
            overlaps vary), ``"edge"`` (MONAI's grid: one stride apart, the last moved back to end
            at the image's end), ``"adaptive"`` (a shorter last patch), ``"crop"`` (no patch past
            the last whole one: the voxels beyond it are not predicted and are 0, label 0) or
            ``"pad"`` (patches run past the end).
        padding_mode: the values a patch reads outside the image, wherever one does:
            ``border_mode="pad"``, ``"adaptive"``'s short last patch, and any axis shorter than
            the patch in every border mode (past the image's end only; MONAI pads only when the
            image is smaller than ``roi_size``, half before it and half after); with no patch
            reaching outside, it has no effect. ``"constant"``
            (``cval``), ``"replicate"`` or ``"circular"`` (PyTorch's names), or ``"symmetric"``
            (numpy's: mirrored with the edge voxel repeated, 1 2 3 | 3 2 1; ITK's Mirror).
            PyTorch's ``"reflect"`` (the edge not repeated, 1 2 3 | 2 1) is refused: ITK has
            no such boundary condition.
        cval: the constant padding value; default 0 (the only value for a multi-channel image).
        output: ``None`` to return the result, or a file name (``.nrrd``, ``.mha``, ``.nii`` …) to
            stream it to, in ``stream_divisions`` pieces along the slowest axis, never holding it
            whole (MetaImage ``.mha``, which ITK writes piece by piece; other formats are written
            from the whole result, with a warning). Written to a temporary
            file beside it and renamed: the file is complete or untouched (a call stopped by
            Ctrl-C, SIGTERM or SIGHUP removes the temporary file, and the latter two then end the
            process by that signal, unless the program handles it itself). For a predictor with
            several outputs, a tuple (or dict) of file names, one per output; each is then
            streamed in a pass of its own (the predictor runs once per output), and is complete or
            untouched on its own: a failure in a later pass leaves the earlier files written.
        stream_divisions: the pieces of a file output (with ``output`` only; in memory,
            ``argmax=True`` never holds the C channels whole anyway); default 1.
        argmax: return (or write) the label map ``argmax`` over the channels (uint8, uint16 past
            256 classes; the first largest class, NaN never winning) instead of the C channels;
            the merger finds each voxel's label as it finishes the voxel's row, so the C channels
            are held only for the rows some patch has reached and a later one still will (about
            ``overlap`` slices of the image; up to a patch's depth with ``stream_divisions``
            thinner than the stride) and never written. Needs one output of 2 to 65536 channels.
        progress: show a tqdm progress bar over the patches; default True.

    Returns:
        ``itk.Image`` (one channel, or the label map), ``itk.VectorImage`` (C > 1), or a tuple or
        dict of them following the predictor's output, with the input's spacing, origin and
        direction; float32 (the label map uint8 or uint16); ``None`` when ``output`` is given.
        ``itk.array_from_image`` gives ``(D, H, W)``, or ``(D, H, W, C)`` channels last:
        ``torch.from_numpy(itk.array_from_image(result)).movedim(-1, 0)[None]`` is MONAI's
        ``(1, C, D, H, W)``.

    Raises:
        ValueError: a bad patch size, overlap, mode, batch size, geometry, a non-zero ``cval`` for a
            multi-channel image, or a predictor whose output has the wrong batch or spatial size
            (the shapes are named); a tensor on the meta device; an output whose data file
            another image beside it reads (``x.nhdr`` where ``x.mhd`` reads ``x.raw``).
        FileNotFoundError: a missing input file, or an output whose folder does not exist.
        OSError: an output that is a folder (IsADirectoryError), whose folder is a file
            (NotADirectoryError), that the user may not write to (PermissionError), or in a folder
            where no file can be made (PermissionError, or the error met, e.g. a read-only file
            system), before the input is read.
        TypeError: an image type that is not wrapped (the wrapped ones are named), an array or
            Zarr array that is not of real numbers (complex, object, str, datetime64), an overlap,
            ``sigma_scale`` or ``cval`` that is not a number, a predictor
            returning something other than a tensor, a tuple or a dict of tensors, an unknown
            keyword (MONAI's ``roi_size``, ``sw_batch_size``, … name the argument to use).
        Exception: whatever the predictor raises, as it is (the output file left untouched).
    """
    if unknown:
        raise unexpected_keywords(sliding_window_inference, unknown, (("MONAI's keywords", MONAI_KEYWORDS),
                                                                       ("the command line's options", _COMMAND_LINE_KEYWORDS)))
    sigma_scale, cval = _check_arguments(image, predictor, patch_size, sigma_scale, cval)
    argmax, progress = flag(argmax, "argmax"), flag(progress, "progress")
    input_file = os.fspath(image) if isinstance(image, (str, os.PathLike)) else None
    _check_not_the_input(_named_files(output), input_file)  # before the input is read
    _check_output_files(_named_files(output))
    reading_note = array_reading_note(image, spacing)
    image = to_itk_image(image, spacing, origin, direction)
    # The patch or the predictor's shapes refused: the note says how an ambiguous array was read.
    settings = _noted(lambda: _Settings(image, patch_size, overlap, batch_size, mode, border_mode, padding_mode,
                                        stream_divisions), reading_note, "patch_size")
    structure = _noted(lambda: _probe(predictor, image.GetNumberOfComponentsPerPixel(), settings.patch_xyz),
                       reading_note)
    if argmax:
        check_argmax_structure(structure)
    if isinstance(output, bytes):
        raise TypeError(f"output={output!r}: expected a file name as str or os.PathLike (not bytes)")
    if output is None:
        if settings.stream_divisions > 1:
            warnings.warn(f"stream_divisions={settings.stream_divisions} applies to a file output (output=) only; in "
                          f"memory the result is computed whole (argmax=True never holds the channels whole "
                          f"anyway)", stacklevel=2)
        pipeline = _Pipeline(image, predictor, structure, settings, sigma_scale, cval, progress)
        merged = pipeline.run(argmax)
        warn_of_non_finite(pipeline.non_finite, argmax)
        return structure.split(merged, argmax)
    if structure.names is None:
        if not isinstance(output, (str, os.PathLike)):
            raise ValueError(f"output={output!r}: the predictor returns one tensor; give one file name")
        pipeline = _Pipeline(image, predictor, structure, settings, sigma_scale, cval, progress)
        pipeline.write(output, argmax)
        warn_of_non_finite(pipeline.non_finite, argmax)
        return None
    files = _files_per_output(output, structure)
    non_finite = 0
    for index, file in enumerate(files):
        one = structure.select(index)
        pipeline = _Pipeline(image, _selected(predictor, structure, index), one, settings, sigma_scale, cval, progress)
        pipeline.write(file, argmax)
        non_finite += pipeline.non_finite
    warn_of_non_finite(non_finite, argmax)
    return None


def check_argmax_structure(structure: "_Structure") -> None:
    """Raises ValueError unless the predictor returns one output of 2 to 65536 channels, which a
    label map (uint8 up to 256 classes, else uint16) can take the argmax of."""
    if structure.names is not None or not 2 <= structure.channels[0] <= 65536:
        one = repr(structure.names[0]) if structure.is_dict else "0"
        several = f"; pass one of them, e.g. lambda x: model(x)[{one}]" if structure.names is not None else ""
        raise ValueError(f"argmax=True needs one output of 2 to 65536 channels (a uint16 label map holds 65536 "
                         f"classes); the predictor returns {structure.describe()}{several}")


def _check_arguments(image: Any, predictor: Any, patch_size: Any, sigma_scale: Any, cval: Any) -> Tuple[float, float]:
    """sliding_window_inference's arguments that need no image read: TypeError or ValueError naming
    the argument and its value; a warning for a network left in training mode. Returns
    ``sigma_scale`` and ``cval`` as floats."""
    if image is None:
        raise TypeError("sliding_window_inference() needs image: a file name, an itk.Image, or an array or tensor "
                        "(MONAI's inputs)")
    if patch_size is None:
        raise TypeError("sliding_window_inference() needs patch_size: an int or a (D, H, W) tuple (MONAI's roi_size)")
    if isinstance(predictor, (str, os.PathLike)):
        raise TypeError(f"predictor={os.fspath(predictor)!r}: a file name; expected a callable, e.g. the loaded "
                        f"network: predictor=torch.jit.load({os.fspath(predictor)!r}, map_location='cpu').eval()")
    if not callable(predictor):
        raise TypeError(f"predictor: {a_type(predictor)} is not callable. The arguments are (image, "
                        f"predictor, patch_size, ...); MONAI's are (inputs, roi_size, sw_batch_size, predictor, ...)")
    if isinstance(predictor, torch.nn.Module) and predictor.training:
        warnings.warn("predictor: the torch.nn.Module is in training mode (dropout on, batch norm taking its "
                      "statistics from these patches and updating its running ones): call model.eval() first",
                      stacklevel=3)
    return checked_sigma_scale_and_cval(sigma_scale, cval)


def checked_sigma_scale_and_cval(sigma_scale: Any, cval: Any) -> Tuple[float, float]:
    """``sigma_scale`` (a number > 0, finite) and ``cval`` (finite, within float32's range) as
    floats; TypeError for what is not a real number, ValueError for a value out of range."""
    sigma, padding_value = real_number(sigma_scale), real_number(cval)
    if sigma is None or not 0 < sigma < float("inf"):  # not a number at all: TypeError, as for overlap
        raise (TypeError if sigma is None else ValueError)(
            f"sigma_scale={sigma_scale!r}: expected a number greater than 0 (the Gaussian's sigma as a fraction of the "
            f"patch size)")
    if padding_value is None or not abs(padding_value) <= float(np.finfo(np.float32).max):
        raise (TypeError if padding_value is None else ValueError)(
            f"cval={cval!r}: expected a finite number within float32's range")
    return sigma, padding_value


def warn_of_non_finite(count: int, argmax: bool, stacklevel: int = 3) -> None:
    """A RuntimeWarning, at the caller of the public function (``stacklevel``), when ``count`` > 0
    merged values (voxel and channel) were NaN or infinite: the merger counts them as it writes
    them (``PatchMerger.GetNumberOfNonFiniteValues``, no pass of its own over the predictor's
    output). A NaN or infinity the predictor returns reaches every voxel its patch weights there
    (a weighted sum with a NaN is NaN); finite values whose weighted sum overflows float32 make
    infinities too. Values that reach no output voxel (past the image's end in padding, outside
    a patch's own voxels in ``crop`` mode) are not warned of: they change nothing. For several
    outputs, ``count`` is their sum."""
    if count:
        merged = (count_of(count, "merged class value") + " (voxel and class)" if argmax else
                  count_of(count, "output value") + " (voxel and channel)")
        labels = ("; a NaN class never wins a voxel's label, +inf always does (0 where all classes are NaN)"
                  if argmax else "")
        warnings.warn(f"NaN or infinite values reach the output (the predictor returned some, or values whose "
                      f"weighted sum overflows float32): {merged} {'is' if count == 1 else 'are'} NaN or "
                      f"infinite{labels}", RuntimeWarning, stacklevel=stacklevel)


def _noted(call, note: Optional[str], about: str = ""):
    """``call()``; an exception it raises whose message starts with ``about`` gets ``note`` (when not None)."""
    try:
        return call()
    except Exception as error:
        if note is not None and str(error).startswith(about):
            error.add_note(note)
        raise


class _Settings:
    """The validated grid and blending settings, in ITK's terms."""

    def __init__(self, image, patch_size, overlap, batch_size, mode, border_mode, padding_mode, stream_divisions):
        dimension = image.GetImageDimension()
        self.patch_xyz = size_xyz(patch_size, dimension, "patch_size", shape_dhw(image))
        check_patch_fits_in_memory(self.patch_xyz, image.GetNumberOfComponentsPerPixel(), "patch_size")
        self.overlap_xyz = overlap_xyz(overlap, self.patch_xyz)
        self.batch_size = whole_number(batch_size, "batch_size")
        if self.batch_size < 1:
            raise ValueError(f"batch_size={batch_size}: expected at least 1 patch per predictor call")
        self.weighting = _choice("mode", mode, _MODES)
        self.border = _choice("border_mode", border_mode, _BORDERS)
        if str(padding_mode).lower() == "reflect":
            raise ValueError("padding_mode='reflect': PyTorch's reflection (the edge voxel not repeated) has no ITK "
                             "boundary condition; use 'symmetric' (the edge repeated), 'replicate', 'circular' or "
                             "'constant'")
        self.padding = _choice("padding_mode", padding_mode, _PADDING)
        if whole_number(stream_divisions, "stream_divisions") < 1:
            raise ValueError(f"stream_divisions={stream_divisions}: expected at least 1")
        self.stream_divisions = int(stream_divisions)


def _choice(name: str, value: str, table: Mapping[str, str]) -> str:
    try:
        return table[str(value).lower()]
    except KeyError:
        raise unknown_choice(name, value, list(table), _OTHER_NAMES.get(name)) from None


class _Structure:
    """What the predictor returns: one tensor, a tuple or a dict, and the channels of each."""

    def __init__(self, names, channels, is_dict: bool = False):
        self.names = names  # None (one tensor), a tuple of indices, or a tuple of dict keys
        self.channels = channels
        self.is_dict = is_dict

    @property
    def total(self) -> int:
        return sum(self.channels)

    def describe(self, keys: bool = False) -> str:
        """What the predictor returns: its channels, or (``keys``) its dict's keys or tuple's length."""
        if self.names is None:
            return "one tensor" if keys else f"one tensor of {count_of(self.channels[0], 'channel')}"
        if keys:
            return f"a dict with keys {list(self.names)}" if self.is_dict else f"a tuple of {len(self.names)} outputs"
        kind = "a dict" if self.is_dict else "a tuple"
        return f"{kind} of {len(self.names)} outputs with {list(self.channels)} channels"

    def select(self, index: int) -> "_Structure":
        return _Structure(None, (self.channels[index],))

    def tensors(self, returned, what: str):
        """The returned outputs as a list of tensors, checked against the structure (the first call's:
        one tensor, a tuple of as many outputs, or a dict of the same keys)."""
        if isinstance(returned, torch.Tensor):
            outputs, names = [returned], None
        elif isinstance(returned, Mapping):
            outputs, names = list(returned.values()), tuple(returned.keys())
        elif isinstance(returned, (tuple, list)):
            outputs, names = list(returned), tuple(range(len(returned)))
        else:
            raise TypeError(f"the predictor returned {a_type(returned)} for {what}; expected a tensor "
                            f"(B, C, D, H, W), or a tuple or dict of them")
        if (names is None) != (self.names is None) or isinstance(returned, Mapping) != self.is_dict or (
                names is not None and set(names) != set(self.names)):
            found = _Structure(names, (), isinstance(returned, Mapping)).describe(keys=True)
            raise ValueError(f"the predictor returned {found} for {what}, but {self.describe(keys=True)} for the "
                             f"first patch: it must return the same outputs for every batch")
        if self.is_dict:
            outputs = [returned[name] for name in self.names]
        for k, tensor in enumerate(outputs or []):
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"the predictor's output {self._name(k)} is {a_type(tensor)} for {what}; "
                                f"expected a tensor")
            if tensor.is_meta:
                raise ValueError(f"the predictor's output {self._name(k)} is on the meta device for {what}: it has "
                                 f"a shape but no values")
        return outputs

    def _name(self, k: int) -> str:
        return repr(self.names[k]) if self.names is not None else "0"

    def split(self, merged, argmax: bool):
        """The merged image (all channels, in output order) as the predictor's structure."""
        if self.names is None or argmax:
            return merged
        array = buffered_array(merged)
        if not is_vector_image(merged):  # one output of one channel: merged as a scalar image
            array = array[..., np.newaxis]
        parts, start = [], 0
        for channels in self.channels:
            part = array[..., start:start + channels]
            start += channels
            parts.append(image_from_channels(part if channels > 1 else part[..., 0], merged, channels > 1))
        return dict(zip(self.names, parts)) if self.is_dict else tuple(parts)


def _probe(predictor, channels_in: int, patch_xyz) -> _Structure:
    """Runs the predictor on one zero patch of ``channels_in`` channels: its outputs and their channel counts.
    A network of 3-D layers reads a 2-D batch (B, C, H, W) as one unbatched volume of B channels and C
    slices: where it takes B channels it runs and returns a wrong result. Its channels are likely 1 or C, so
    2-D patches are probed as a batch of 2 (3 for 2 channels), which it refuses."""
    spatial = tuple(reversed(patch_xyz))
    shape = ((3 if channels_in == 2 else 2) if len(spatial) == 2 else 1, channels_in) + spatial
    try:
        with torch.no_grad():
            returned = predictor(torch.zeros(shape))
    except Exception as error:  # re-raised as itself, with the shape it was given
        order = axis_orders(len(spatial))[0]
        two_d = (" (2-D patches: a network of 3-D layers, which takes (B, C, D, H, W), reads them as one unbatched "
                 "volume; 2-D patches are probed as a batch of 2, or 3 for 2 channels, which it refuses)") if len(spatial) == 2 else ""
        error.add_note(f"sliding_window_inference called the predictor with a tensor of shape (B, C, {order[1:]} "
                       f"= {shape}: C = {channels_in}, the image's channels per voxel; the patch in {order} order"
                       f"{two_d}")
        raise
    if isinstance(returned, torch.Tensor):
        structure = _Structure(None, (0,))
    elif isinstance(returned, Mapping):
        structure = _Structure(tuple(returned.keys()), (), is_dict=True)
    elif isinstance(returned, (tuple, list)):
        structure = _Structure(tuple(range(len(returned))), ())
    else:
        structure = _Structure(None, (0,))
    tensors = structure.tensors(returned, f"an input of shape {shape}")
    if not tensors:
        raise ValueError(f"the predictor returned an empty {type(returned).__name__} for an input of shape "
                         f"{shape}; expected a tensor (B, C, D, H, W), or a tuple or dict of them")
    for k, tensor in enumerate(tensors):
        _check_shape(tensor, shape[0], spatial, structure, k)
    structure.channels = tuple(int(t.shape[1]) for t in tensors)
    return structure


def _check_shape(tensor: torch.Tensor, batch: int, spatial: Tuple[int, ...], structure: _Structure, k: int):
    if tensor.is_complex():
        raise TypeError(f"the predictor's output {structure._name(k)} is a complex tensor ({tensor.dtype}); expected "
                        f"real values (take .real, .abs() or .angle() in the predictor)")
    expected = "(" + ", ".join([str(batch), "C"] + [str(n) for n in spatial]) + ")"
    if tensor.dim() != len(spatial) + 2 or tensor.shape[0] != batch or tuple(tensor.shape[2:]) != spatial:
        raise ValueError(f"the predictor's output {structure._name(k)} has shape {tuple(tensor.shape)} for a batch "
                         f"of {count_of(batch, 'patch', 'patches')} of (D, H, W) = {spatial}; expected {expected}: the "
                         f"same batch and spatial size as its input")


def _selected(predictor, structure: _Structure, index: int):
    name = structure.names[index]

    def select(batch):
        return predictor(batch)[name]

    return select


def _files_per_output(output, structure: _Structure):
    if structure.is_dict:
        if not isinstance(output, Mapping) or set(output) != set(structure.names):
            raise ValueError(f"output={output!r}: the predictor returns a dict with keys {list(structure.names)}; "
                             f"give a dict of file names with those keys")
        return _distinct_files([output[name] for name in structure.names], output)
    if isinstance(output, (str, os.PathLike, Mapping)) or len(output) != len(structure.names):
        raise ValueError(f"output={output!r}: the predictor returns a tuple of {len(structure.names)} outputs; "
                         f"give a tuple of as many file names (a dict of them is for a predictor returning a dict)")
    return _distinct_files(list(output), output)


class _Pipeline:
    """extractor -> batch filter (the predictor in an observer) -> merger (of the channels, or into labels)."""

    def __init__(self, image, predictor, structure: _Structure, settings: _Settings, sigma_scale, cval, progress):
        self.image, self.predictor, self.structure, self.settings = image, predictor, structure, settings
        dimension = image.GetImageDimension()
        vector_in = is_vector_image(image)
        stack_in = image_type(vector_in, dimension + 1)
        vector_out = structure.total > 1
        stack_out = image_type(vector_out, dimension + 1)
        self.merged_type = image_type(vector_out, dimension)

        enums = itk.PatchStreamingEnums
        self.extractor = itk.PatchExtractor[type(image), stack_in].New()
        self.extractor.SetInput(image)
        self.extractor.SetPatchSize(settings.patch_xyz)
        self.extractor.SetPatchOverlap(settings.overlap_xyz)
        self.extractor.SetBorderMode(getattr(enums, "BorderMode_" + settings.border))
        self.extractor.SetPadding(getattr(enums, "Padding_" + settings.padding))
        if not vector_in:
            self.extractor.SetPaddingValue(float(cval))
        elif cval != 0:
            raise ValueError(f"cval={cval}: a multi-channel image is padded with zeros only")

        self.batches = itk.PatchBatchImageFilter[stack_in, stack_out].New()
        self.batches.SetInput(self.extractor.GetOutput())
        self.batches.SetBatchSize(settings.batch_size)
        self.batches.SetNumberOfOutputChannels(structure.total)
        self.extractor.UpdateOutputInformation()
        # The predictor's results overwrite every batch: no need to zero it first.
        self.batches.ClearBatchOutputOff()
        # The merger releases each batch once scattered (one that reaches into the next
        # division's lines stays for it), so the next is not computed while it is held; out of
        # place, the batch filter releases the extracted patches once it has run on them.
        self.batches.ReleaseDataFlagOn()
        self.extractor.GetOutput().ReleaseDataFlagOn()
        self.error = None
        self.command = itk.PyCommand.New()
        # Through a weak reference: the filter holds the command, so a bound method would make a
        # cycle through C++ that Python's collector cannot see, and the pipeline would never go.
        run_batch = weakref.WeakMethod(self._run_batch)
        self.command.SetCommandCallable(lambda: run_batch()())
        self.batches.AddObserver(itk.IterationEvent(), self.command)

        self.sigma_scale = float(sigma_scale)
        self.merger = None  # made by last()
        self.progress = progress
        self.bar = None
        self.computed = 0  # patches the predictor ran on

    @property
    def non_finite(self) -> int:
        """The merged values (voxel and channel) written so far that were NaN or infinite
        (warn_of_non_finite): each voxel of the regions merged counts once."""
        return int(self.merger.GetNumberOfNonFiniteValues())

    def last(self, argmax: bool):
        """The pipeline's last filter, the merger: of the channels, or with ``argmax`` straight into a
        label map (unsigned char up to 256 classes, else unsigned short), each voxel's label found as
        its row of sums is finished, so that the C channels exist only for the rows being merged."""
        dimension = self.image.GetImageDimension()
        merged_type = self.merged_type
        if argmax:
            merged_type = itk.Image[itk.UC if self.structure.total <= 256 else itk.US, dimension]
        stack_out = type(self.batches.GetOutput())
        self.merger = itk.PatchMerger[stack_out, merged_type].New()
        self.merger.SetInput(self.batches.GetOutput())
        self.merger.SetWeighting(getattr(itk.PatchStreamingEnums, "Weighting_" + self.settings.weighting))
        self.merger.SetSigmaScale(self.sigma_scale)
        return self.merger

    def run(self, argmax: bool):
        last = self.last(argmax)
        self._update(lambda: last.Update())
        result = last.GetOutput()
        result.DisconnectPipeline()
        return result

    def compute(self, last, region) -> np.ndarray:
        """``last``'s output over ``region`` alone (ITK's streaming: set the requested region,
        propagate it, update), as a numpy view ``(…, y, x[, c])`` of that region. Consecutive
        adjacent regions along the slowest axis reuse the merger's carried sums."""
        output = last.GetOutput()
        output.SetRequestedRegion(region)

        def update():
            output.PropagateRequestedRegion()
            output.UpdateOutputData()

        self._update(update)
        buffered = output.GetBufferedRegion()
        window = tuple(slice(int(region.GetIndex()[d] - buffered.GetIndex()[d]),
                             int(region.GetIndex()[d] - buffered.GetIndex()[d] + region.GetSize()[d]))
                       for d in reversed(range(region.GetImageDimension())))
        return buffered_array(output)[window]

    def write(self, file, argmax: bool):
        last = self.last(argmax)
        file = os.fspath(file)
        io = _writer_io(file)  # the folder exists: checked before the input was read
        dimension = self.image.GetImageDimension()
        if dimension > 2 and io.GetNameOfClass() in ("PNGImageIO", "JPEGImageIO", "BMPImageIO"):  # 2-D formats
            raise ValueError(f"output={file!r}: {io.GetNameOfClass()} cannot hold a {dimension}-D image "
                             f"(use .mha, .nrrd, .nii or .nii.gz)")
        if self.settings.stream_divisions > 1 and not io.CanStreamWrite():
            warnings.warn(f"output={file!r}: {io.GetNameOfClass()} cannot write piece by piece; the output is held "
                          f"whole before writing (use .mha to stream it)", stacklevel=3)
        # Written into a hidden folder beside the file, then every file of it (a .mhd's .raw, an
        # .hdr's .img) moved next to it: the output is complete or untouched.
        with ending_by_signal_after_cleanup():
            self._write_through(last, file)

    def _write_through(self, last, file: str) -> None:
        """Writes ``last``'s output into a hidden folder beside ``file``, checks it, and moves it to
        ``file``; the folder is removed whatever happens."""
        folder, name = os.path.split(os.path.abspath(file))
        partial = _partial_folder(file, folder)
        # MetaIO writes the second and later pieces of a streamed .mhd into the data file its header
        # names (name.raw) as found from the working directory first, where an earlier output or the
        # input's data file of that name would receive them: a name of the hidden folder's own keeps
        # them in it, and the files take the output's name as they are moved.
        stem, extension = os.path.splitext(name)
        unique = os.path.basename(partial)[1:] if extension.lower() == ".mhd" else stem
        try:
            writer = itk.ImageFileWriter[type(last.GetOutput())].New()
            writer.SetInput(last.GetOutput())
            writer.SetFileName(os.path.join(partial, unique + extension))
            writer.SetNumberOfStreamDivisions(self.settings.stream_divisions)
            self._update(writer.Update)
            header = os.path.join(partial, unique + extension)
            check_written_image(header, file)
            with signals_deferred():  # a .mhd's .raw and its header both moved, or neither
                for written in sorted(os.listdir(partial), key=lambda f: f == unique + extension):  # the header last
                    final = stem + written[len(unique):] if written.startswith(unique + ".") else written
                    if unique != stem and written != unique + extension:
                        _rename_data_file_in_header(header, written, final)
                    os.chmod(os.path.join(partial, written), _mode_for(os.path.join(folder, final), file))
                    os.replace(os.path.join(partial, written), os.path.join(folder, final))
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def _update(self, update):
        if self.progress:
            from tqdm.auto import tqdm

            self.extractor.UpdateOutputInformation()
            self.bar = tqdm(total=self.extractor.GetPatchGrid().GetNumberOfPatches(), unit="patch",
                            desc="sliding window")
        try:
            update()
        except RuntimeError:
            if self.error is not None:
                raise self.error from None
            raise
        finally:
            if self.bar is not None:
                self.bar.close()
        if self.error is not None:
            raise self.error

    def _run_batch(self):
        try:
            self._compute_batch()
        except BaseException as error:  # reported after the pipeline stopped
            self.error = error
            self.batches.AbortGenerateDataOn()

    def _output_address(self, first: int, count: int) -> int:
        """Where the output stack holds patches first .. first + count - 1."""
        output = self.batches.GetOutput()
        row = first - output.GetBufferedRegion().GetIndex()[output.GetImageDimension() - 1]
        return buffered_array(output)[row:row + count].ctypes.data

    def _compute_batch(self):
        first = self.batches.GetCurrentBatchStart()
        count = self.batches.GetCurrentBatchSize()
        stack = self.batches.GetInput()
        row = first - stack.GetBufferedRegion().GetIndex()[stack.GetImageDimension() - 1]
        patches = buffered_array(stack)[row:row + count]
        batch = torch.from_numpy(patches)
        batch = batch.movedim(-1, 1).contiguous() if is_vector_image(stack) else batch.unsqueeze(1)
        try:
            with torch.no_grad():
                returned = self.predictor(batch)
        except Exception as error:  # re-raised as itself, with the batch it was given
            error.add_note(f"sliding_window_inference called the predictor with a batch of shape {tuple(batch.shape)} "
                           f"(B, C, {axis_orders(batch.dim() - 2)[0][1:]}: patches {first} to {first + count - 1} of "
                           f"{self.extractor.GetPatchGrid().GetNumberOfPatches()}")
            raise
        spatial = tuple(batch.shape[2:])
        tensors = self.structure.tensors(returned, f"a batch of shape {tuple(batch.shape)}")
        for k, tensor in enumerate(tensors):
            _check_shape(tensor, count, spatial, self.structure, k)
            if tensor.shape[1] != self.structure.channels[k]:
                raise ValueError(f"the predictor's output {self.structure._name(k)} has "
                                 f"{count_of(tensor.shape[1], 'channel')} for this batch but "
                                 f"{self.structure.channels[k]} for the first one")
        tensors = [t.detach().to("cpu", torch.float32) for t in tensors]
        values = (tensors[0] if len(tensors) == 1 else torch.cat(tensors, dim=1)).contiguous()
        if values.shape[1] > 1 or values.data_ptr() != self._output_address(first, count):
            # (B, C, D, H, W) seen as the filter's channels-first batch (W, H, D, B·C), interleaved
            # into the stack in ITK's threads (else the predictor wrote its result over its input,
            # the stack run in place).
            channels_first = image_view(values.numpy().reshape((-1,) + spatial))
            self.batches.SetCurrentBatchOutputFromChannelsFirst(channels_first)
        self.computed += count
        if self.bar is not None:
            self.bar.update(count)
