"""The Zarr output of the distributed call: made empty by the client, written chunk by chunk by
the tasks (each chunk to a temporary file renamed into place), checked complete and put in
place of the output path at the end, or abandoned whole when the call fails."""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import time
import uuid

import numpy as np
import zarr

from ._sources import Source
from ._termination import signals_deferred


class Abandoned(RuntimeError):
    """Raised in a task whose call failed: the client abandoned the output array."""


class ChunkStore(zarr.DirectoryStore):
    """zarr's DirectoryStore (each chunk written to a temporary file and renamed into place),
    except that it never creates the array's folder: once the client has abandoned the array, a
    task still running cannot bring it back."""

    @staticmethod
    def check(store: str) -> None:
        if not os.path.isfile(os.path.join(store, ".zarray")):
            raise Abandoned(f"the output array {store!r} was abandoned (the call failed)")

    def __setitem__(self, key, value):
        self.check(self.path)
        final = os.path.join(self.path, key)
        temporary = f"{final}.{uuid.uuid4().hex}.partial"
        self._tofile(value, temporary)  # fails when the folder is gone
        os.replace(temporary, final)


def create_output(store: str, channels: int, argmax: bool, source: Source, chunk: int) -> None:
    """The call's output array at ``store``, empty: (Z, Y, X) float32 for one channel, uint8 (up to
    256 classes) or uint16 labels for ``argmax``, else (C, Z, Y, X) float32; chunks of ``chunk``
    slices, whole along the other axes; the input's geometry in its attributes."""
    spatial = tuple(source.shape_dhw)
    if argmax:
        shape, chunks, dtype = spatial, (chunk,) + spatial[1:], np.uint8 if channels <= 256 else np.uint16
    elif channels > 1:
        shape, chunks, dtype = (channels,) + spatial, (channels, chunk) + spatial[1:], np.float32
    else:
        shape, chunks, dtype = spatial, (chunk,) + spatial[1:], np.float32
    array = zarr.open_array(store, mode="w", shape=shape, chunks=chunks, dtype=dtype, fill_value=0,
                            write_empty_chunks=True)
    array.attrs.update(source.geometry_attributes(channels_first=len(shape) > len(spatial)))


def abandon(partial: str) -> None:
    """Removes a failed call's array: first its .zarray, so that tasks still running stop at
    their next chunk and can write nothing (ChunkStore), then the folder, again while a write
    that had already started leaves a file in it."""
    try:
        os.remove(os.path.join(partial, ".zarray"))
    except FileNotFoundError:
        pass
    for _ in range(50):
        shutil.rmtree(partial, ignore_errors=True)
        if not os.path.lexists(partial):
            return
        time.sleep(0.1)


def finish(partial: str, output_path: str) -> None:
    """Removes the temporary files of writes a dead worker left, checks every chunk file is
    there, and puts the array in place of ``output_path`` (the old one removed only afterwards)."""
    for leftover in glob.glob(os.path.join(partial, "*.partial")):
        os.remove(leftover)
    array = zarr.open_array(partial, mode="r")
    counts = [-(-size // chunk) for size, chunk in zip(array.shape, array.chunks)]
    missing = [key for key in itertools.product(*map(range, counts))
               if not os.path.isfile(os.path.join(partial, ".".join(map(str, key))))]
    if missing:
        raise RuntimeError(f"output_path: {len(missing)} of {array.nchunks} chunks were not written (the first: "
                           f"{'.'.join(map(str, missing[0]))})")
    with signals_deferred():  # the old array aside, the new one in place, the old one removed: all or none
        previous = None
        if os.path.lexists(output_path):
            previous = f"{partial}.previous"
            os.replace(output_path, previous)
        os.replace(partial, output_path)
        if previous is not None:
            # A symbolic link (to an array) is removed, not what it names.
            is_folder = os.path.isdir(previous) and not os.path.islink(previous)
            shutil.rmtree(previous, ignore_errors=True) if is_folder else os.remove(previous)
