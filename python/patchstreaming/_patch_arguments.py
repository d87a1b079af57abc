"""The patch arguments of the public calls: sizes in (D, H, W) order turned into ITK's (x, y, z),
overlaps as exact fractions of the patch, and the check that one patch fits in memory."""
from __future__ import annotations

import math
import os
import sys
from decimal import Decimal
from fractions import Fraction
from typing import Sequence, Tuple

import numpy as np

from ._images import ShapeError, axis_orders, real_number, unwrapped, whole_number


def size_xyz(value, dimension: int, name: str, image_shape: Tuple[int, ...]) -> list:
    """A per-axis integer in ITK's (x, y, z) order from a scalar or a (D, H, W)-ordered tuple.

    A tuple that does not fit the image in (D, H, W) order but would in (x, y, z) order is
    refused with both orders named: a silent transposition is the one mistake to avoid.
    """
    tensor, itk_order = axis_orders(dimension)
    if isinstance(value, str) or np.ndim(value) == 0:
        values = [whole_number(value, name)] * dimension
    else:
        try:
            values = [whole_number(v, name) for v in value]
        except TypeError:
            raise TypeError(f"{name}={value!r}: expected a whole number or a tuple of {dimension} {tensor} sizes "
                            f"in voxels") from None
        if len(values) == 1:  # one value for every axis, as a scalar
            values = values * dimension
        if len(values) != dimension:
            raise ShapeError(f"{name}={value!r} has {len(values)} values; the image is {dimension}-D "
                             f"(give one value or {dimension}, in {tensor} order)")
    if any(v < 1 for v in values):
        raise ValueError(f"{name}={value!r}: every size must be at least 1 (voxels)")
    fits = all(v <= s for v, s in zip(values, image_shape))
    fits_reversed = all(v <= s for v, s in zip(reversed(values), image_shape))
    if not fits and fits_reversed:
        raise ShapeError(
            f"{name}={tuple(values)} is read in {tensor} order, the tensor's (as MONAI's roi_size), and does not "
            f"fit the image, whose {tensor} shape is {tuple(image_shape)}. Read in ITK's {itk_order} order instead, "
            f"this patch is {tensor} = {tuple(reversed(values))}, which fits: if you meant {itk_order}, pass "
            f"{name}={tuple(reversed(values))}.")
    return list(reversed(values))


def _physical_memory() -> int:
    """This machine's physical memory in bytes; 0 when not known (not POSIX)."""
    try:
        return max(0, os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 0


def _gib(count: int) -> str:
    """A byte count in GiB to 4 digits, also one past a float's range."""
    return f"{Decimal(count) / Decimal(1024 ** 3):.4g}"


def check_patch_fits_in_memory(patch_xyz: Sequence[int], channels: int, name: str) -> None:
    """Raises ``ValueError`` naming ``name`` when one float32 patch of ``channels`` channels is
    larger than this machine's physical memory: the run would otherwise fail allocating it (or
    swap) after the image was read."""
    memory = _physical_memory()
    patch_bytes = 4 * channels * int(np.prod([int(v) for v in patch_xyz], dtype=object))
    if memory > 0 and patch_bytes > memory:
        order = axis_orders(len(patch_xyz))[0]
        raise ShapeError(f"{name}={tuple(reversed(patch_xyz))} {order}: one patch of {channels} channel(s) is "
                         f"{_gib(patch_bytes)} GiB as float32, more than this machine's {_gib(memory)} GiB "
                         f"of memory; give a smaller {name}")


def check_locations_fit_in_memory(count: int, name: str) -> None:
    """Raises ``ValueError`` naming ``name`` when ``count`` patch locations, which a sampler draws
    at once (3 indices of 8 bytes each), are more than this machine's memory holds or than a
    Python sequence can count (``len``): the first epoch would otherwise fail in the sampler."""
    memory = _physical_memory() or sys.maxsize
    if count * 24 > min(memory, sys.maxsize):
        raise ValueError(f"{name}={count}: the sampler draws the locations of a subject at once, "
                         f"{_gib(count * 24)} GiB for this many, more than this machine's {_gib(memory)} GiB of "
                         f"memory; give fewer (an epoch of more patches: more subjects, or more epochs)")


def exact_fraction(value) -> Fraction:
    """The fraction a number stands for. A binary float (Python's, numpy's, a tensor's, in its own
    precision) is the simplest fraction among the numbers that round to it when its denominator is
    at most the square root of its shortest decimal's (1/3 for ``1 / 3``, whose shortest decimal
    0.3333333333333333 times 96 is 31.99…; 12/19 for ``np.float32(12 / 19)``), else that shortest
    decimal (0.29 for ``np.float32(0.29)``, whose float64 value is 0.28999999165…). Text, a
    ``Fraction`` or a ``Decimal`` is exact (a ``Decimal`` past 10^±400 as a float); a bfloat16
    tensor, which numpy cannot hold, is its exact binary value (0.7 is 179/256)."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):  # a tensor numpy cannot view (bfloat16, on a GPU)
        array = None
    if array is not None and array.ndim == 0 and array.dtype.kind == "f":
        return _float_fraction(array[()])
    value = unwrapped(value)
    if isinstance(value, float):  # a tensor's item(), as numpy could not view it
        return _float_fraction(np.float64(value))
    if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) > 400:
        return _float_fraction(np.float64(value))  # Fraction() would compute 10 ** exponent
    return Fraction(value) if isinstance(value, (Fraction, Decimal)) else Fraction(str(value))


def _float_fraction(number: np.floating) -> Fraction:
    """``exact_fraction`` of a numpy float scalar."""
    decimal = Fraction(np.format_float_positional(number, unique=True))
    if not 0 < number < 1:
        return decimal
    kind = type(number)
    above, below = np.nextafter(number, kind(2)), np.nextafter(number, kind(0))
    exact = Fraction(float(number))
    simplest = _simplest_between((exact + Fraction(float(below))) / 2, (exact + Fraction(float(above))) / 2)
    reads_back = kind(simplest.numerator / simplest.denominator) == number
    return simplest if simplest.denominator ** 2 <= decimal.denominator and reads_back else decimal


def _simplest_between(low: Fraction, high: Fraction) -> Fraction:
    """The fraction with the smallest denominator in [low, high], 0 <= low <= high (continued
    fractions: the Stern–Brocot tree's first node in the interval)."""
    whole = low.numerator // low.denominator
    if whole == low or whole + 1 <= high:
        return Fraction(whole if whole == low else whole + 1)
    return whole + 1 / _simplest_between(1 / (high - whole), 1 / (low - whole))


def overlap_xyz(overlap, patch_xyz: Sequence[int]) -> list:
    """⌊fraction · P⌋ per axis from a fraction in [0, 1) (or one per axis, in (D, H, W) order),
    computed exactly from the fraction a float stands for (0.29 · 100 = 29, not 28; 1/3 · 96 = 32,
    not 31: ``exact_fraction``)."""
    scalar = isinstance(overlap, str) or np.ndim(overlap) == 0
    if scalar and real_number(overlap) is None:
        raise TypeError(f"overlap={overlap!r}: expected a fraction in [0, 1), or one per axis in (D, H, W) order"
                        f"{_text_hint(overlap)}")
    fractions = [overlap] * len(patch_xyz) if scalar else list(reversed(list(overlap)))
    if len(fractions) == 1:  # one fraction for every axis, as a scalar
        fractions = fractions * len(patch_xyz)
    if len(fractions) != len(patch_xyz):
        raise ValueError(f"overlap={overlap} has {len(fractions)} values; expected 1 or {len(patch_xyz)}")
    result = []
    for fraction, size in zip(fractions, patch_xyz):
        if real_number(fraction) is None or not math.isfinite(real_number(fraction)):
            raise ValueError(f"overlap={overlap}: each fraction must be a number in [0, 1), got {fraction!r}"
                             f"{_text_hint(overlap)}")
        exact = exact_fraction(fraction)
        if not 0 <= exact < 1:
            raise ValueError(f"overlap={overlap}: each fraction must be in [0, 1), got "
                             f"{fraction}{_overlap_hint(fractions, patch_xyz)}")
        result.append(int(exact * size))
    return result


def _text_hint(overlap) -> str:
    """For an overlap written as text ("1/2", "0,5", "50%", or (0.5, "0.5", 0.25)): the same
    numbers as Python numbers, the texts read as ``fractions.Fraction`` reads them (a decimal
    comma as a point, a percentage divided by 100) and written as ``_written`` does; "" when one
    of the texts is no number, or nothing is text."""
    values = [overlap] if isinstance(overlap, str) or np.ndim(overlap) == 0 else list(overlap)
    if not any(isinstance(value, str) for value in values):
        return ""
    written = []
    for value in values:
        if not isinstance(value, str):
            written.append(str(value))
            continue
        text = value.strip()
        percent = text.endswith("%")
        number = text[:-1].strip() if percent else text
        try:
            fraction = Fraction(number.replace(",", ".") if number.count(",") == 1 else number)
            written.append(_written(fraction / 100 if percent else fraction))
        except (ValueError, ZeroDivisionError):
            return ""
    numbers = written[0] if np.ndim(overlap) == 0 else f"({', '.join(written)}{',' * (len(written) == 1)})"
    return f" (a number, not text: write overlap={numbers})"


def _overlap_hint(fractions: Sequence, patch_xyz: Sequence[int]) -> str:
    """How the overlaps of 1 or more were likely meant, the fractions in [0, 1) on the other axes
    kept as given: a percentage (2 to under 100: ``overlap=50`` is 0.5) or voxels (the command
    line's ``--overlap``: whole numbers from 2 to the patch size − 1; 1 may mean 100 %), in
    (D, H, W) order, each written as Python reads it exactly (``exact_fraction``: 32 voxels of
    96 is 1/3); "" for neither."""
    finite = [number is not None and math.isfinite(number) for number in map(real_number, fractions)]
    exact = [exact_fraction(f) if ok else None for f, ok in zip(fractions, finite)]
    misread = [e is None or not 0 <= e < 1 for e in exact]
    percent = all(not m or (e is not None and 2 <= e < 100) for e, m in zip(exact, misread))
    voxels = all(not m or (e is not None and e.denominator == 1 and 2 <= e < size)
                 for e, m, size in zip(exact, misread, patch_xyz))
    if not percent and not voxels:
        return " (a fraction of the patch: 0.5 or 1/2 overlaps half of it, 0 none)" if all(finite) else ""

    def reread(as_meant) -> str:
        return _per_axis([as_meant(e, size) if m else _written(e) for e, m, size in zip(exact, misread, patch_xyz)])

    given = _per_axis([_written(e) for e, m in zip(exact, misread) if m])
    hints = [f"for {given} %, write overlap={reread(lambda e, size: _written(e / 100))}"] if percent else []
    if voxels:
        written = reread(lambda e, size: f"{Fraction(e, size).numerator}/{Fraction(e, size).denominator}")
        hints.append(f"for {given} voxels of a patch of {tuple(patch_xyz[::-1])}, "
                     f"{'' if percent else 'write '}overlap={written}")
    return f" (a fraction of the patch{'' if percent else ', not voxels'}: {'; '.join(hints)})"


def _written(number: Fraction) -> str:
    """``number`` written exactly as Python reads it back (``exact_fraction``): a decimal when it
    has one of at most 17 significant digits (12.5, 0.125), else p/q (1/3, 25/48)."""
    if number.denominator == 1:
        return str(number.numerator)
    digits = Decimal(number.numerator) / Decimal(number.denominator)  # the context's 28 digits
    if Fraction(digits) == number and len(digits.as_tuple().digits) <= 17:
        return f"{digits.normalize():f}"
    return f"{number.numerator}/{number.denominator}"


def _per_axis(written_xyz: Sequence[str]) -> str:
    """One value written once, or a (D, H, W) tuple of them from values in (x, y, z) order."""
    written = list(written_xyz)[::-1]
    return written[0] if len(set(written)) == 1 else f"({', '.join(written)})"
