"""What a predictor returns (one tensor, a tuple or a dict of them, and the channels of each):
found by running it once on a zero patch, then checked on every batch."""
from __future__ import annotations

from typing import Mapping, Optional, Tuple

import numpy as np
import torch

from ._images import ShapeError, a_type, axis_orders, buffered_array, count_of, image_from_channels, is_vector_image


def check_argmax_structure(structure: "Structure") -> None:
    """Raises ValueError unless the predictor returns one output of 2 to 65536 channels, which a
    label map (uint8 up to 256 classes, else uint16) can take the argmax of."""
    if structure.names is not None or not 2 <= structure.channels[0] <= 65536:
        one = repr(structure.names[0]) if structure.is_dict else "0"
        several = f"; pass one of them, e.g. lambda x: model(x)[{one}]" if structure.names is not None else ""
        raise ValueError(f"argmax=True needs one output of 2 to 65536 channels (a uint16 label map holds 65536 "
                         f"classes); the predictor returns {structure.describe()}{several}")


class Structure:
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
            outputs = count_of(len(self.names), "output")
            return f"a dict with keys {list(self.names)}" if self.is_dict else f"a tuple of {outputs}"
        kind = "a dict" if self.is_dict else "a tuple"
        return f"{kind} of {count_of(len(self.names), 'output')} with {list(self.channels)} channels"

    def select(self, index: int) -> "Structure":
        return Structure(None, (self.channels[index],))

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
            found = Structure(names, (), isinstance(returned, Mapping)).describe(keys=True)
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


def probe(predictor, channels_in: int, patch_xyz, reading_note: Optional[str] = None) -> Structure:
    """Runs the predictor on one zero patch of ``channels_in`` channels: its outputs and their channel counts.
    An exception the predictor raises is re-raised with a note giving the shape it was called with, and
    ``reading_note`` (how an array image was read, when that may surprise) when not None.
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
                 "volume; 2-D patches are probed as a batch of 2, or 3 for 2 channels, which it refuses)"
                 if len(spatial) == 2 else "")
        error.add_note(f"sliding_window_inference called the predictor with a tensor of shape (B, C, {order[1:]} "
                       f"= {shape}: C = {channels_in}, the image's channels per voxel; the patch in {order} order"
                       f"{two_d}")
        if reading_note is not None:
            error.add_note(reading_note)
        raise
    if isinstance(returned, torch.Tensor):
        structure = Structure(None, (0,))
    elif isinstance(returned, Mapping):
        structure = Structure(tuple(returned.keys()), (), is_dict=True)
    elif isinstance(returned, (tuple, list)):
        structure = Structure(tuple(range(len(returned))), ())
    else:
        structure = Structure(None, (0,))
    tensors = structure.tensors(returned, f"an input of shape {shape}")
    if not tensors:
        raise ValueError(f"the predictor returned an empty {type(returned).__name__} for an input of shape "
                         f"{shape}; expected a tensor (B, C, D, H, W), or a tuple or dict of them")
    for k, tensor in enumerate(tensors):
        check_shape(tensor, shape[0], spatial, structure, k)
    structure.channels = tuple(int(t.shape[1]) for t in tensors)
    return structure


def check_shape(tensor: torch.Tensor, batch: int, spatial: Tuple[int, ...], structure: Structure, k: int):
    """Raises TypeError for a complex output ``k``; ShapeError unless its shape is (``batch``, C,
    ``spatial``); ValueError for C = 0 (nothing to merge)."""
    if tensor.is_complex():
        raise TypeError(f"the predictor's output {structure._name(k)} is a complex tensor ({tensor.dtype}); expected "
                        f"real values (take .real, .abs() or .angle() in the predictor)")
    expected = "(" + ", ".join([str(batch), "C"] + [str(n) for n in spatial]) + ")"
    if tensor.dim() != len(spatial) + 2 or tensor.shape[0] != batch or tuple(tensor.shape[2:]) != spatial:
        raise ShapeError(f"the predictor's output {structure._name(k)} has shape {tuple(tensor.shape)} for a batch "
                         f"of {count_of(batch, 'patch', 'patches')} of (D, H, W) = {spatial}; expected {expected}: the "
                         f"same batch and spatial size as its input")
    if tensor.shape[1] == 0:
        raise ValueError(f"the predictor's output {structure._name(k)} has shape {tuple(tensor.shape)}: 0 channels; "
                         f"expected at least 1 (C in {expected})")


def selected(predictor, structure: Structure, index: int):
    name = structure.names[index]

    def select(batch):
        return predictor(batch)[name]

    return select
