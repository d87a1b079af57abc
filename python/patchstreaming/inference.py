"""``sliding_window_inference``: a model over a volume, patch by patch, blended back."""
from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ._images import (ImageLike, ShapeError, a_type, array_reading_note, count_of, flag, real_number, to_itk_image,
                      unexpected_keywords)
from ._output_files import check_not_the_input, check_output_files, check_output_form, distinct_files, named_files
from ._pipeline import Pipeline, Settings
from ._predictor import Structure, check_argmax_structure, probe, selected

Output = Union[torch.Tensor, Tuple[torch.Tensor, ...], Dict[str, torch.Tensor]]

#: MONAI's sliding_window_inference keywords that are spelled differently here, and what to pass instead.
MONAI_KEYWORDS = {
    "inputs": "image (a tensor or an array as MONAI takes, an itk.Image or a file name)",
    "roi_size": "patch_size (the same values, in (D, H, W) order: the tensor's, or itk.array_from_image's)",
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
    gaussian_floor: str = "axis",
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
            axis, sigma = sigma_scale · patch, centred at c = (patch − 1) / 2, as MONAI's
            ``compute_importance_map``; nnU-Net centres at patch // 2, half a voxel apart for an
            even patch; raised to 1e-3 as ``gaussian_floor`` says), ``"constant"`` (MONAI's name;
            or ``"average"``), ``"crop"`` (each voxel from the patch whose center is nearest) or
            ``"hann"``.
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
        gaussian_floor: where ``mode="gaussian"``'s floor of 1e-3 applies (no effect on the other
            modes): ``"axis"`` (default: each 1-D profile, so the window stays separable and the
            merger divides by a product of 1-D sums, docs/design.md section 4) or ``"window"``
            (the N-D window, ``max(prod_d g_d, 1e-3)``, as MONAI clamps its importance map; with
            ``border_mode="edge"`` and MONAI's stride, MONAI's numbers: docs/python.md). They
            differ wherever the N-D Gaussian is below 1e-3, about 58 % of a 3-D patch at
            ``sigma_scale=0.125`` (its outer shell), by as much as the overlapping patches'
            predictions differ there. ``"window"`` sums the weights next to the values for the
            rows being merged, held apart from the output (docs/python.md: at 256³, one channel,
            0.5 volumes more peak memory and 25 % more time; with ``argmax`` a few %).

    Returns:
        ``itk.Image`` (one channel, or the label map), ``itk.VectorImage`` (C > 1), or a tuple or
        dict of them following the predictor's output, with the input's spacing, origin and
        direction; float32 (the label map uint8 or uint16); ``None`` when ``output`` is given.
        ``itk.array_from_image`` gives ``(D, H, W)``, or ``(D, H, W, C)`` channels last:
        ``torch.from_numpy(itk.array_from_image(result)).movedim(-1, 0)[None]`` is MONAI's
        ``(1, C, D, H, W)``.

    Raises:
        ValueError: a bad patch size, overlap, mode, ``gaussian_floor``, batch size, geometry, a non-zero ``cval`` for a
            multi-channel image, or a predictor whose output has the wrong batch or spatial size
            (the shapes are named) or no channels; a tensor on the meta device; an output whose data file
            another image beside it reads (``x.nhdr`` where ``x.mhd`` reads ``x.raw``).
        FileNotFoundError: a missing input file, or an output whose folder does not exist.
        OSError: an output that is a folder (IsADirectoryError), whose folder is a file
            (NotADirectoryError), that the user may not write to (PermissionError), or in a folder
            where no file can be made (PermissionError, or the error met, e.g. a read-only file
            system), before the input is read.
        TypeError: an image type that is not wrapped (the wrapped ones are named), an array or
            Zarr array that is not of real numbers (complex, object, str, datetime64), an overlap,
            ``sigma_scale`` (or one per axis) or ``cval`` that is not a number, a ``spacing``,
            ``origin`` or ``direction`` that is not a sequence of numbers (a str), an ``output``
            that is not a file name or a tuple, list or dict of them (a set: no order), a predictor
            returning something other than a tensor, a tuple or a dict of tensors, an unknown
            keyword (MONAI's ``roi_size``, ``sw_batch_size``, … name the argument to use).
        Exception: whatever the predictor raises, as it is (the output file left untouched).
    """
    if unknown:
        raise unexpected_keywords(sliding_window_inference, unknown,
                                  (("MONAI's keywords", MONAI_KEYWORDS),
                                   ("the command line's options", _COMMAND_LINE_KEYWORDS)))
    sigma_scale, cval = _check_arguments(image, predictor, patch_size, sigma_scale, cval)
    argmax, progress = flag(argmax, "argmax"), flag(progress, "progress")
    input_file = os.fspath(image) if isinstance(image, (str, os.PathLike)) else None
    check_output_form(output)
    output_files = named_files(output)
    check_not_the_input(output_files, input_file)  # before the input is read
    check_output_files(output_files)
    reading_note = array_reading_note(image, spacing)
    image = to_itk_image(image, spacing, origin, direction)
    # The patch or the predictor's shapes refused, or the predictor's own error: the note says how an
    # ambiguous array was read.
    settings = _noted(lambda: Settings(image, patch_size, overlap, batch_size, mode, border_mode, padding_mode,
                                        stream_divisions, gaussian_floor), reading_note)
    structure = _noted(lambda: probe(predictor, image.GetNumberOfComponentsPerPixel(), settings.patch_xyz,
                                     reading_note), reading_note)
    if argmax:
        check_argmax_structure(structure)
    if output is None:
        if settings.stream_divisions > 1:
            warnings.warn(f"stream_divisions={settings.stream_divisions} applies to a file output (output=) only; in "
                          f"memory the result is computed whole (argmax=True never holds the channels whole "
                          f"anyway)", stacklevel=2)
        pipeline = Pipeline(image, predictor, structure, settings, sigma_scale, cval, progress)
        merged = pipeline.run(argmax)
        warn_of_non_finite(pipeline.non_finite, argmax)
        return structure.split(merged, argmax)
    if structure.names is None:
        if not isinstance(output, (str, os.PathLike)):
            raise ValueError(f"output={output!r}: the predictor returns one tensor; give one file name")
        pipeline = Pipeline(image, predictor, structure, settings, sigma_scale, cval, progress)
        pipeline.write(output, argmax)
        warn_of_non_finite(pipeline.non_finite, argmax)
        return None
    files = _files_per_output(output, structure)
    non_finite = 0
    for index, file in enumerate(files):
        one = structure.select(index)
        pipeline = Pipeline(image, selected(predictor, structure, index), one, settings, sigma_scale, cval, progress)
        pipeline.write(file, argmax)
        non_finite += pipeline.non_finite
    warn_of_non_finite(non_finite, argmax)
    return None


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
    if isinstance(sigma_scale, (list, tuple)) or np.ndim(sigma_scale) > 0:  # MONAI takes one per axis
        raise TypeError(f"sigma_scale={sigma_scale!r}: expected one number, the Gaussian's sigma as a fraction of "
                        f"the patch size on every axis (one value per axis, which MONAI takes, is not supported)")
    sigma, padding_value = real_number(sigma_scale), real_number(cval)
    if sigma is None or not 0 < sigma < float("inf"):  # not a number at all: TypeError, as for overlap
        raise (TypeError if sigma is None else ValueError)(
            f"sigma_scale={sigma_scale!r}: expected a finite number greater than 0 (the Gaussian's sigma as a fraction "
            f"of the patch size)")
    if padding_value is None or not abs(padding_value) <= float(np.finfo(np.float32).max):
        raise (TypeError if padding_value is None else ValueError)(
            f"cval={cval!r}: expected a finite number within float32's range")
    return sigma, padding_value


def warn_of_non_finite(count: int, argmax: bool, stacklevel: int = 3) -> None:
    """A RuntimeWarning, at the caller of the public function (``stacklevel``), when ``count`` > 0
    merged values (voxel and channel) were NaN or infinite (a network passes on the input's NaN and
    infinities, so they may be the input's): the merger counts them as it writes
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
        warnings.warn(f"NaN or infinite values reach the output (the predictor returned some, as a network does for "
                      f"NaN or infinite input voxels, or values whose weighted sum overflows float32): {merged} "
                      f"{'is' if count == 1 else 'are'} NaN or infinite{labels}", RuntimeWarning, stacklevel=stacklevel)


def _noted(call, note: Optional[str]):
    """``call()``; a ShapeError it raises gets ``note`` (when not None)."""
    try:
        return call()
    except ShapeError as error:
        if note is not None:
            error.add_note(note)
        raise


def _files_per_output(output, structure: Structure):
    if structure.is_dict:
        if not isinstance(output, Mapping) or set(output) != set(structure.names):
            raise ValueError(f"output={output!r}: the predictor returns a dict with keys {list(structure.names)}; "
                             f"give a dict of file names with those keys")
        return distinct_files([output[name] for name in structure.names], output)
    if isinstance(output, (str, os.PathLike, Mapping)) or len(output) != len(structure.names):
        raise ValueError(f"output={output!r}: the predictor returns a tuple of {len(structure.names)} outputs; "
                         f"give a tuple of as many file names (a dict of them is for a predictor returning a dict)")
    return distinct_files(list(output), output)

