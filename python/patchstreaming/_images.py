"""ITK images for the package: reading, numpy conversion, buffer views, wrapped types."""
from __future__ import annotations

import ctypes
import difflib
import inspect
import math
import os
import re
import sys
import warnings
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

import itk

ImageLike = Union["itk.Image", "itk.VectorImage", str, os.PathLike, np.ndarray, "torch.Tensor"]

#: The image types the wrapping covers, for error messages.
WRAPPED_TYPES = ("itk.Image[itk.F, 2]", "itk.Image[itk.F, 3]", "itk.VectorImage[itk.F, 2]", "itk.VectorImage[itk.F, 3]")


class ShapeError(ValueError):
    """A ValueError whose cause may be how an array image was read (its dimension, channels or
    shape: :func:`read_array`), such as a patch size with as many values as the other reading's
    axes: the public calls add :func:`array_reading_note` to it, and to none of their other errors."""


def is_vector_image(image) -> bool:
    return "VectorImage" in type(image).__name__


def a_type(value) -> str:
    """"a str", "an int": the article and the name of ``value``'s type, for messages."""
    name = type(value).__name__
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def count_of(number: int, noun: str, plural: Optional[str] = None) -> str:
    """"1 channel", "3 channels": ``number`` and ``noun``, in the plural (``noun`` + "s" unless
    given) unless one."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def closest(word: str, words: Sequence[str]) -> Optional[str]:
    """The one of ``words`` ``word`` is most likely a misspelling of (difflib's ratio of at least 0.6),
    or None."""
    close = difflib.get_close_matches(word, list(words), n=1)
    return close[0] if close else None


def unknown_choice(name: str, value, choices: Sequence[str], aliases: Optional[Mapping[str, str]] = None):
    """The ValueError for ``name=value``, which is none of ``choices``: it lists them and adds
    ``aliases[value]`` (what another tool's name for a choice is here) or the closest choice."""
    text = str(value).lower()
    if aliases and text in aliases:
        hint = f" ({aliases[text]})"
    else:
        near = closest(text, choices)
        hint = f" (did you mean {near!r}?)" if near else ""
    return ValueError(f"{name}={value!r}: expected one of {', '.join(repr(c) for c in choices)}{hint}")


def unexpected_keywords(function: Callable, unknown: Mapping[str, object],
                        other_names: Sequence[Tuple[str, Mapping[str, str]]] = ()) -> TypeError:
    """The TypeError for the keywords ``unknown`` that ``function`` does not take: another tool's
    (``other_names``: (whose, {keyword: what to pass instead})), each with what to pass instead,
    else the first with the closest argument and the list of arguments."""
    called = function.__qualname__.replace(".__init__", "")  # PatchDataset(), as the class is called
    for whose, table in other_names:
        known = [name for name in unknown if name in table]
        if known:
            return TypeError(f"{called}() got {whose}: " + "; ".join(
                f"{name}={brief(unknown[name])}: pass {table[name]}" for name in known))
    name = next(iter(unknown))
    arguments = [p.name for p in inspect.signature(function).parameters.values()
                 if p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
                 and p.name != "self"]
    near = closest(name, arguments)
    return TypeError(f"{called}() got an unexpected keyword argument {name!r}"
                     f"{f' (did you mean {near}?)' if near else ''}; it takes {', '.join(arguments)}")


def brief(value) -> str:
    """``value``'s repr, or its type and shape when that is long (a tensor passed as MONAI's inputs)."""
    text = repr(value)
    if len(text) <= 40:
        return text
    shape = getattr(value, "shape", None)
    return a_type(value) + (f" of shape {tuple(shape)}" if shape is not None else "")


def image_type(vector: bool, dimension: int):
    """``itk.VectorImage[itk.F, d]`` or ``itk.Image[itk.F, d]``."""
    return itk.VectorImage[itk.F, dimension] if vector else itk.Image[itk.F, dimension]


def to_itk_image(image: ImageLike, spacing=None, origin=None, direction=None):
    """An ``itk.Image``/``itk.VectorImage`` of float from an ITK image, a file name (every channel
    kept) or Zarr array folder, or an array.

    Arrays (numpy, or a torch tensor, copied to the CPU): ``(D, H, W)`` (or ``(H, W)``) for one
    channel, ``(C, D, H, W)`` (or ``(C, H, W)``) for C channels, channels first as in PyTorch;
    a leading batch axis of 1 is dropped. ``spacing`` and ``origin`` are in ITK's (x, y, z)
    order, ``direction`` an ITK direction matrix (``itk.Matrix`` or a numpy 3 x 3 array); they
    apply to arrays only (images and files carry their own).

    Any real dtype is converted to float32 (bfloat16 and float16 tensors exactly).

    Raises ``TypeError`` for anything else, naming the types that are wrapped, and for an array
    that is not of real numbers; ``ValueError`` for a tensor on the meta device.
    """
    torch = sys.modules.get("torch")  # not imported here: an object can only be a tensor once it is
    if torch is not None and isinstance(image, torch.Tensor):  # a subclass too, such as MONAI's MetaTensor
        if image.is_complex():
            raise TypeError(f"image: a tensor of {image.dtype} values; expected real values (take its .real, or "
                            f".abs() for the magnitude)")
        if image.device.type == "meta":
            raise ValueError(f"image: a tensor of shape {tuple(image.shape)} on the meta device holds no values")
        # bfloat16 (and float16) have no numpy view: float32, the pipeline's type, holds them exactly
        image = image.detach().cpu()
        image = (image.float() if image.is_floating_point() and image.dtype != torch.float64 else image).numpy()
    given = {k: v for k, v in (("spacing", spacing), ("origin", origin), ("direction", direction)) if v is not None}
    if given and not isinstance(image, np.ndarray):
        raise ValueError(f"{', '.join(f'{k}={v!r}' for k, v in given.items())}: only an array takes a geometry; "
                         f"{a_type(image)} carries its own (set it on the image instead)")
    if isinstance(image, (str, os.PathLike)):
        from ._sources import open_source

        image = open_source(image, "image").read_whole()  # C channels kept; a Zarr array read whole
    elif isinstance(image, np.ndarray):
        image = _from_array(image, spacing, origin, direction)
    elif not hasattr(image, "GetImageDimension"):
        raise TypeError(f"image: {a_type(image)} is neither an ITK image, a file name nor a numpy "
                        f"array; expected one of {', '.join(WRAPPED_TYPES)}, a file, or an array")
    name = type(image).__name__
    dimension = image.GetImageDimension()
    if dimension not in (2, 3):  # a cast keeps the dimension (helper-85: the hint below was given)
        raise TypeError(f"image: {name} is {dimension}-D; the wrapped image types are {', '.join(WRAPPED_TYPES)}: "
                        f"pass a 3-D part of it, e.g. its array itk.array_from_image(image) (axes reversed: "
                        f"(t, D, H, W) for a 4-D image) as a (C, D, H, W) array of channels, or one volume of it, "
                        f"with spacing, origin and direction")
    if not name.startswith(("itkImageF", "itkVectorImageF")):
        raise TypeError(f"image: {name} is not wrapped; the wrapped image types are {', '.join(WRAPPED_TYPES)} "
                        f"(cast first, e.g. itk.cast_image_filter(image, ttype=(type(image), "
                        f"itk.Image[itk.F, {dimension}])))")
    return image


def _two_values(spacing) -> bool:
    try:
        return np.ndim(spacing) == 1 and len(spacing) == 2
    except ValueError:  # ragged: refused, naming spacing, by _checked_geometry
        return False


def _channels_first(shape: Tuple[int, ...], spacing) -> bool:
    """Whether an array of ``shape`` (a leading batch axis of 1 dropped) holds channels first:
    (C, D, H, W), or (C, H, W) when ``spacing`` has 2 values."""
    return len(shape) == 4 or (len(shape) == 3 and _two_values(spacing))


def _has_batch_axis(shape: Tuple[int, ...], spacing) -> bool:
    """Whether ``shape`` starts with a batch axis of 1, as MONAI passes a tensor: (1, C, D, H, W),
    or (1, C, H, W) when ``spacing`` has 2 values."""
    return shape[:1] == (1,) and (len(shape) == 5 or (len(shape) == 4 and _two_values(spacing)))


class ArrayReading(NamedTuple):
    """How an array of some shape is read as an image (:func:`read_array`)."""

    batched: bool  #: a leading batch axis of 1, dropped
    channels_first: bool  #: the first remaining axis holds the channels (one channel: a scalar image)
    dimension: int  #: the image's dimension, 2 or 3 for a valid shape
    layout: str  #: the axes as read, e.g. "(1, C, H, W)"
    other: Optional[str]  #: for an ambiguous shape, how to have the other reading, else None
    note: Optional[str]  #: for an error's note when the reading may surprise, else None


def read_array(shape: Tuple[int, ...], spacing) -> ArrayReading:
    """How an array of ``shape`` is read with ``spacing`` as given: (D, H, W), (C, D, H, W) or
    (1, C, D, H, W) is 3-D; (H, W) is 2-D, and so are (C, H, W) and (1, C, H, W) when spacing has 2
    values. A (C, H, W) or (1, C, H, W) array without them is 3-D (C slices deep for the latter);
    the note says so when no spacing was given, and how to have the other reading."""
    shape = tuple(int(n) for n in shape)
    batched = _has_batch_axis(shape, spacing)
    inner = shape[1:] if batched else shape
    channels_first = _channels_first(inner, spacing)
    dimension = len(inner) - channels_first
    layout = (("(1, " if batched else "(") + ("C, " if channels_first else "") +
              ("D, H, W)" if dimension == 3 else "H, W)"))
    read_as = None
    if len(shape) == 4 and batched:
        read_as = (f"a 2-D batch (1, C, H, W) of {count_of(shape[1], 'channel')}, because spacing={spacing!r} has 2 "
                   f"values")
        other = "give 3 spacing values, in (x, y, z) order, to read it as a 3-D image (C, D, H, W)"
    elif len(shape) == 4 and shape[0] == 1:
        if spacing is None:  # 3 spacing values say it is 3-D
            read_as = f"a 3-D image {count_of(shape[1], 'slice')} deep, (C, D, H, W)"
        other = "give 2 spacing values, in (x, y) order, to read it as a 2-D batch (1, C, H, W), as MONAI does"
    elif len(shape) == 3 and channels_first:
        if shape[0] > 1:
            read_as = f"a 2-D image of {shape[0]} channels, (C, H, W), because spacing={spacing!r} has 2 values"
        other = "give 3 spacing values, in (x, y, z) order, to read it as a 3-D image (D, H, W)"
    elif len(shape) == 3:  # (D, H, W), the usual reading
        if spacing is None:
            read_as = "a 3-D image (D, H, W)"
        other = "give 2 spacing values, in (x, y) order, to read it as a 2-D image of C channels (C, H, W)"
    else:
        other = None
    note = f"image: the array of shape {shape} was read as {read_as}; {other}" if read_as else None
    return ArrayReading(batched, channels_first, dimension, layout, other, note)


def array_reading_note(image, spacing) -> Optional[str]:
    """For an error's note: how an ambiguous array was read (:func:`read_array`), else None.
    ``image`` and ``spacing`` as given to :func:`to_itk_image`."""
    if isinstance(image, (str, os.PathLike)) or not hasattr(image, "shape"):
        return None
    return read_array(image.shape, spacing).note


def check_real_dtype(dtype: np.dtype, what: str) -> None:
    """Raises TypeError, naming ``what`` ("image: an array"), for values that are not real numbers."""
    if dtype.kind == "c":
        raise TypeError(f"{what} of {dtype} values; expected real values (take its .real, or np.abs() for the "
                        f"magnitude)")
    if dtype.kind not in "biuf":
        raise TypeError(f"{what} of dtype {dtype}; expected numbers (float, int or bool)")


def _from_array(array: np.ndarray, spacing, origin, direction):
    given = tuple(array.shape)
    check_real_dtype(array.dtype, "image: an array")
    reading = read_array(given, spacing)
    if reading.batched:
        array = array[0]
    if array.ndim not in (2, 3, 4):
        raise ValueError(f"image: an array of shape {given}; expected (D, H, W), (C, D, H, W), (1, C, D, H, W) or "
                         f"(H, W), or with 2 spacing values (C, H, W) or (1, C, H, W)")
    if 0 in array.shape:
        raise ValueError(f"image: an array of shape {given} has no voxels (an axis of length 0)")
    vector = reading.channels_first and array.shape[0] > 1  # one channel: a scalar image
    if vector and array.shape[-1] <= 4 < array.shape[0]:
        warnings.warn(f"image: the array of shape {given} is read channels first, {reading.layout}, as "
                      f"{array.shape[0]} channels, but its last axis of {array.shape[-1]} looks like the channels: if "
                      f"they are last, pass np.moveaxis(image, -1, 0)", stacklevel=4)
    if reading.channels_first and not vector:
        array = array[0]
    direction = _checked_geometry(f"an array of shape {given} read as a {reading.dimension}-D "
                                  f"{'batch' if reading.batched else 'image'} {reading.layout}", reading.dimension,
                                  spacing, origin, direction, f" ({reading.other})" if reading.other else "")
    array = np.ascontiguousarray(np.moveaxis(array, 0, -1) if vector else array, dtype=np.float32)
    image = itk.image_from_array(array, is_vector=vector)
    if spacing is not None:
        image.SetSpacing([float(s) for s in spacing])
    if origin is not None:
        image.SetOrigin([float(o) for o in origin])
    if direction is not None:
        image.SetDirection(itk.matrix_from_array(direction))
    return image


def voxel_volume_below_normal(sizes: Sequence[float]) -> bool:
    """Whether positive voxel sizes multiply to less than a double's smallest normal number, where
    ITK cannot invert the voxel-to-physical matrix (SVD warnings, or "Singular matrix")."""
    return math.prod(sizes) < sys.float_info.min


def _checked_geometry(what: str, dimension: int, spacing, origin, direction, hint: str = "") -> Optional[np.ndarray]:
    """The direction as a float64 matrix (None when not given), after checking the geometry fits
    ``what`` (an array read as a ``dimension``-D image): ``dimension`` spacings (positive,
    finite, their product at least a double's smallest normal number) and origin values
    (finite) in (x, y, z) order, a ``dimension`` x ``dimension`` direction invertible in double
    (an ``itk.Matrix`` or an array). Raises TypeError for what is not a
    sequence of numbers (a number, a str, an entry that is not a real number) and ValueError for
    numbers that do not fit, naming the parameter, the value and what was expected, with ``hint``
    (how another reading is had) after a wrong number of values or a direction of the wrong size."""
    order = "(x, y, z)" if dimension == 3 else "(x, y)"
    for name, values, positive in (("spacing", spacing, True), ("origin", origin, False)):
        if values is None:
            continue
        try:
            axes = np.ndim(values)
        except ValueError:  # ragged: [1, [2, 3], 4]
            axes = 2
        if axes != 1 or isinstance(values, (str, bytes)):  # a number or a str: TypeError
            raise (ValueError if axes > 1 else TypeError)(
                f"{name}={values!r}: expected a sequence of {dimension} numbers in {order} order for {what}")
        numbers = list(values)
        if len(numbers) != dimension:
            raise ValueError(f"{name}={values!r}: {count_of(len(numbers), 'value')} for {what}; expected "
                             f"{dimension} in {order} order{hint}")
        reals = [real_number(v) for v in numbers]
        if any(r is None or not math.isfinite(r) or (positive and r <= 0) for r in reals):
            raise (TypeError if None in reals else ValueError)(
                f"{name}={values!r}: expected {dimension} {'positive ' if positive else ''}finite "
                f"numbers{' (voxel sizes)' if positive else ' (the first voxel centre)'}")
        if positive and voxel_volume_below_normal(reals):
            raise ValueError(f"{name}={values!r}: voxel sizes whose product is {math.prod(reals):g}; expected a "
                             f"product of at least {sys.float_info.min:g} (a double's smallest normal number: ITK "
                             f"inverts the voxel-to-physical matrix in double precision)")
    if direction is None:
        return None
    matrix = itk.array_from_matrix(direction) if hasattr(direction, "GetVnlMatrix") else direction
    expected = f"an invertible {dimension} x {dimension} matrix"
    try:
        raw = np.asarray(matrix)
    except ValueError:  # ragged rows: the wrong shape
        raise ValueError(f"direction={direction!r}: rows of different lengths; expected {expected} for "
                         f"{what}{hint}") from None
    if raw.ndim == 0 or raw.dtype.kind not in "iuf":  # a number, a str, None, bool or object entries
        raise TypeError(f"direction={direction!r}: expected {expected} of numbers (an itk.Matrix or an array) "
                        f"for {what}")
    matrix = raw.astype(np.float64)
    # Invertible in double: well conditioned, and a determinant ITK's own check does not see as 0.
    if (matrix.shape != (dimension, dimension) or not np.all(np.isfinite(matrix)) or np.linalg.cond(matrix) > 1e12
            or abs(np.linalg.det(matrix)) < sys.float_info.min):
        raise ValueError(f"direction: expected {expected} of finite numbers for {what}, got {matrix.tolist()}{hint}")
    return matrix


def buffered_array(image) -> np.ndarray:
    """A numpy view (no copy) of the image's buffered region: ``(…, P_1, P_0)`` plus a last
    axis of components for a VectorImage; it keeps the image alive (not a pipeline's next
    update from reallocating the buffer: copy what must outlive that).

    Made from the buffer's address, not with ITK 5.2's ``array_view_from_image``: that one
    assumes the largest region is buffered (a streamed stack's is not), and its
    ``PyBuffer._GetArrayViewFromImage`` calls ``Update()`` on the image, which, inside a
    filter's update, modifies the filter and drops the merger's carried sums."""
    shape = [int(s) for s in reversed(image.GetBufferedRegion().GetSize())]
    if is_vector_image(image):
        shape.append(image.GetNumberOfComponentsPerPixel())
    component = {itk.F: ctypes.c_float, itk.UC: ctypes.c_uint8, itk.US: ctypes.c_uint16}[itk.template(image)[1][0]]
    count = int(np.prod(shape))
    if count == 0:
        return np.empty(shape, dtype=component)
    buffer = (component * count).from_address(int(image.GetBufferPointer()))
    buffer.image = image  # the view keeps the image (and so its buffer) alive
    return np.frombuffer(buffer, dtype=component).reshape(shape)


def unreadable_format(parameter: str, path: str, zarr: bool = True) -> ValueError:
    """The error for a file that no image format of the wrapped ITK reads (``zarr``: where a Zarr
    array is read too)."""
    return ValueError(f"{parameter}={path!r}: no image format of this ITK build reads it (use .mha, .nrrd, .nii"
                      f"{' or a .zarr array' if zarr else ' or .nii.gz'})")


def itk_message(error: Exception) -> str:
    """An ITK exception's reason for a person: its last line, without the ``ITK ERROR:`` prefix
    and the ``(0x...)`` object address ITK adds (the command line's ``Readable`` does the same)."""
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    text = lines[-1] if lines else str(error)
    return re.sub(r"\(0x[0-9a-fA-F]+\)", "", re.sub(r"^(ITK ERROR|itk::ERROR): ", "", text.strip()))


def flag(value, name: str) -> bool:
    """``value`` when it is True or False (a Python or numpy bool); TypeError naming ``name`` else."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r}: expected True or False")
    return bool(value)


def unwrapped(value):
    """A zero-dimensional numpy array or torch tensor as its Python scalar; anything else as it is."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return value.item()
    return value


def real_number(value) -> Optional[float]:
    """``value`` as a float when it is a real number (a Python or numpy int or float, a
    ``Fraction`` or ``Decimal``, or a zero-dimensional array or tensor of one; not a bool), else
    None. An int or ``Fraction`` past a float's range is an infinity of its sign, as a ``Decimal``
    is, so that the caller's range check names it."""
    value = unwrapped(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, np.integer, float, np.floating, Fraction, Decimal)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def whole_number(value, name: str) -> int:
    """``value`` as an int when it is a whole number (an int, a numpy integer, or a float with no
    fraction); else a TypeError (not a number) or ValueError naming ``name`` (no silent
    truncation of 8.7, no bool)."""
    number = real_number(value)
    if number is None:
        raise TypeError(f"{name}={value!r}: expected a whole number, got {a_type(value)}")
    if not math.isfinite(number):  # an infinity, or an int past a float's range (real_number)
        raise ValueError(f"{name}={value!r}: expected a whole number within a float's range")
    if not number.is_integer():
        raise ValueError(f"{name}={value!r}: expected a whole number")
    return int(unwrapped(value))


def image_view(array: np.ndarray):
    """An ``itk.Image`` view (no copy) of a C-ordered float32 array, its size the shape reversed.

    ITK 5.2's PyBuffer takes an array whose first axis has a stride of one element (a C-ordered
    array whose other axes are all of length 1) for a Fortran-ordered one and reverses the size
    it is given; such an array is given its size reversed, so that it comes out as meant."""
    size = array.shape[::-1]
    if array.ndim > 1 and array.strides[0] == array.itemsize:
        size = size[::-1]
    view = itk.PyBuffer[itk.Image[itk.F, array.ndim]]._GetImageViewFromArray(array, size, 1)
    view._SetBase(array)  # the view keeps the array alive, as itk.image_view_from_array does
    return view


def axis_orders(dimension: int) -> Tuple[str, str]:
    """The tensor's and ITK's axis orders of a ``dimension``-D image: ("(D, H, W)", "(x, y, z)")."""
    return ("(D, H, W)", "(x, y, z)") if dimension == 3 else ("(H, W)", "(x, y)")


def copy_geometry(target, source) -> None:
    """``source``'s region index (the same size), spacing, origin and direction on ``target``: an
    image whose region starts elsewhere than 0 (an ExtractImageFilter's output) keeps its voxels'
    places in space."""
    region = target.GetLargestPossibleRegion()
    region.SetIndex(source.GetLargestPossibleRegion().GetIndex())
    target.SetRegions(region)
    target.SetSpacing(source.GetSpacing())
    target.SetOrigin(source.GetOrigin())
    target.SetDirection(source.GetDirection())


def image_from_channels(array: np.ndarray, reference, vector: bool):
    """An ITK image of ``array`` ((…, C) for a VectorImage) with ``reference``'s geometry."""
    image = itk.image_from_array(np.ascontiguousarray(array), is_vector=vector)
    copy_geometry(image, reference)
    return image


def shape_dhw(image) -> Tuple[int, ...]:
    return tuple(int(s) for s in reversed(image.GetLargestPossibleRegion().GetSize()))
