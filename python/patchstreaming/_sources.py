"""Inputs a task reads by slab: ITK's streaming reader, a Zarr array, a raw NRRD's memory map.

A ``Source`` is plain data (it is shipped to Dask workers); ITK objects are made from it in the
worker. ``geometry_attributes`` gives the Zarr attributes the distributed output carries.
"""
from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np

from ._images import (_checked_geometry, buffered_array, check_real_dtype, image_type, unreadable_format,
                      voxel_volume_below_normal)
from ._voxel_data import check_voxel_data, nrrd_header_fields, reads_regions_alone

#: NRRD type names (the NRRD format's specification) and numpy's.
_NRRD_TYPES = {
    **dict.fromkeys(("signed char", "int8", "int8_t"), "i1"),
    **dict.fromkeys(("uchar", "unsigned char", "uint8", "uint8_t"), "u1"),
    **dict.fromkeys(("short", "short int", "signed short", "signed short int", "int16", "int16_t"), "i2"),
    **dict.fromkeys(("ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t"), "u2"),
    **dict.fromkeys(("int", "signed int", "int32", "int32_t"), "i4"),
    **dict.fromkeys(("uint", "unsigned int", "uint32", "uint32_t"), "u4"),
    **dict.fromkeys(("longlong", "long long", "long long int", "signed long long", "signed long long int", "int64",
                     "int64_t"), "i8"),
    **dict.fromkeys(("ulonglong", "unsigned long long", "unsigned long long int", "uint64", "uint64_t"), "u8"),
    "float": "f4",
    "double": "f8",
}


@dataclass(frozen=True)
class RawLayout:
    """Where a raw NRRD's voxels are: file, byte offset, numpy dtype, array shape ``(…, y, x[, c])``."""

    file: str
    offset: int
    dtype: str
    shape: Tuple[int, ...]


@dataclass(frozen=True)
class Source:
    """An input volume as plain data: how it is read (``kind``), its shape and ITK geometry.

    ``kind``: ``"stream"`` (ITK's ImageFileReader, which reads only the requested region),
    ``"zarr"``, ``"raw"`` (a memory map of a raw NRRD) or ``"whole"`` (ITK reads the file whole).
    ``shape_dhw`` is the spatial shape, slowest axis first; ``spacing``, ``origin`` are in ITK's
    (x, y, z) order and ``direction`` is ITK's matrix, row by row.
    """

    path: str
    kind: str
    shape_dhw: Tuple[int, ...]
    channels: int
    spacing: Tuple[float, ...]
    origin: Tuple[float, ...]
    direction: Tuple[Tuple[float, ...], ...]
    raw: Optional[RawLayout] = None

    @property
    def dimension(self) -> int:
        return len(self.shape_dhw)

    def geometry_image(self):
        """An image with the volume's largest region and geometry and no buffer."""
        import itk

        image = image_type(self.channels > 1, self.dimension).New()
        region = itk.ImageRegion[self.dimension]()
        region.SetSize([int(s) for s in reversed(self.shape_dhw)])
        image.SetLargestPossibleRegion(region)
        image.SetSpacing([float(s) for s in self.spacing])
        image.SetOrigin([float(o) for o in self.origin])
        image.SetDirection(itk.matrix_from_array(np.array(self.direction, dtype=np.float64)))
        if self.channels > 1:
            image.SetNumberOfComponentsPerPixel(self.channels)
        return image

    def pipeline_input(self):
        """``(image, reader)``: ITK's streaming reader's output and the reader, or (for an array
        source) an unbuffered image that ``fill`` buffers, and None."""
        if self.kind != "stream":
            return self.geometry_image(), None
        reader = self._reader()
        reader.UpdateOutputInformation()
        return reader.GetOutput(), reader

    def read_whole(self):
        """The whole volume as an ``itk.Image``/``itk.VectorImage`` of float, C channels kept."""
        if self.kind in ("zarr", "raw"):
            image = self.geometry_image()
            self.fill(image, image.GetLargestPossibleRegion())
            return image
        reader = self._reader()
        reader.Update()
        image = reader.GetOutput()
        image.DisconnectPipeline()
        return image

    def _reader(self):
        import itk

        reader = itk.ImageFileReader[image_type(self.channels > 1, self.dimension)].New()
        reader.SetFileName(self.path)
        return reader

    def fill(self, image, region) -> None:
        """Buffers ``region`` of ``image`` (an array source's) with the voxels read from the source.

        Call it after the pipeline's ``UpdateOutputInformation`` and never call that again: ITK
        sets a source-less image's largest region to its buffered region there
        (``ImageBase::UpdateOutputInformation``), and the grid would shrink to the slab."""
        image.SetBufferedRegion(region)
        image.SetRequestedRegion(region)
        image.Allocate()
        buffered_array(image)[...] = self.read(region)

    def read(self, region) -> np.ndarray:
        """``region``'s voxels as float32 ``(…, y, x[, c])``."""
        index, size = region.GetIndex(), region.GetSize()
        window = tuple(slice(int(index[d]), int(index[d]) + int(size[d])) for d in reversed(range(self.dimension)))
        if self.kind == "zarr":
            import zarr

            array = zarr.open_array(self.path, mode="r")
            values = np.moveaxis(array[(slice(None),) + window], 0, -1) if self.channels > 1 else array[window]
        elif self.kind == "raw":
            values = np.memmap(self.raw.file, dtype=self.raw.dtype, mode="r", offset=self.raw.offset,
                               shape=self.raw.shape)[window]
        else:
            values = buffered_array(self.read_whole())[window]
        return np.asarray(values, dtype=np.float32)

    def geometry_attributes(self, channels_first: bool) -> Dict:
        """Zarr attributes for an output on this volume's grid: OME-NGFF 0.4's ``axes`` and
        ``coordinateTransformations`` (scale and translation, in the array's axis order, as one
        dataset of a ``multiscales`` entry has them), and ``itk``: spacing, origin (x, y, z) and
        the direction matrix (rows: physical x, y, z; columns: index x, y, z), which NGFF's
        scale and translation cannot express."""
        names = ("z", "y", "x")[-self.dimension:]
        channel = [{"name": "c", "type": "channel"}] if channels_first else []
        scale = [1.0] * len(channel) + [float(s) for s in reversed(self.spacing)]
        translation = [0.0] * len(channel) + [float(o) for o in reversed(self.origin)]
        return {
            "axes": channel + [{"name": name, "type": "space"} for name in names],
            "coordinateTransformations": [{"type": "scale", "scale": scale},
                                          {"type": "translation", "translation": translation}],
            "itk": {"spacing": list(self.spacing), "origin": list(self.origin),
                    "direction": [list(row) for row in self.direction]},
        }


def open_source(path, parameter: str = "input_path") -> Source:
    """The ``Source`` of a file or Zarr array (reads headers only).

    Raises FileNotFoundError for a missing path and ValueError for a file no ITK format reads,
    a Zarr group, or an image that is not 2-D or 3-D.
    """
    path = os.path.abspath(os.fspath(path))
    if not os.path.exists(path):
        raise FileNotFoundError(f"{parameter}: no such file or Zarr array {path!r}")
    if os.path.isdir(path):
        return _zarr_source(path, parameter)
    return _itk_source(path, parameter)


def _zarr_source(path: str, parameter: str) -> Source:
    import zarr

    if not os.path.exists(os.path.join(path, ".zarray")):
        raise ValueError(f"{parameter}={path!r}: a folder that is not a Zarr array (no .zarray); give the array "
                         f"itself, (Z, Y, X) or (C, Z, Y, X)")
    array = zarr.open_array(path, mode="r")
    check_real_dtype(array.dtype, f"{parameter}={path!r}: a Zarr array")
    if 0 in array.shape:
        raise ValueError(f"{parameter}={path!r}: a Zarr array of shape {array.shape} has no voxels (an axis of "
                         f"length 0)")
    attributes = dict(array.attrs)
    axes = attributes.get("axes")
    channels_first = (axes[0].get("type") == "channel") if axes else array.ndim == 4
    spatial = tuple(int(s) for s in (array.shape[1:] if channels_first else array.shape))
    if len(spatial) not in (2, 3):
        raise ValueError(f"{parameter}={path!r}: a Zarr array of shape {array.shape}; expected (Z, Y, X), "
                         f"(C, Z, Y, X) or their 2-D forms")
    try:
        spacing, origin, direction = _zarr_geometry(attributes, array.ndim, len(spatial))
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        reason = f"an entry {error.args[0]!r} is missing" if isinstance(error, KeyError) else str(error)
        raise ValueError(f"{parameter}={path!r}: a Zarr array whose geometry attributes do not hold: "
                         f"{reason}") from None
    return Source(path, "zarr", spatial, int(array.shape[0]) if channels_first else 1, spacing, origin, direction)


def _zarr_geometry(attributes: dict, ndim: int, dimension: int):
    """(spacing, origin, direction) in ITK's terms from a Zarr array's attributes: ``itk`` (as
    Source.zarr_attributes writes it), else OME-NGFF's ``coordinateTransformations`` (one value
    per array axis, in the array's (…, z, y, x) order), else unit spacing at the origin. The
    spatial ``axes``, when named, must be in NGFF's (z, y, x) order. Raises what
    _checked_geometry raises, and KeyError or TypeError for an attribute of the wrong form."""
    names = [axis.get("name") for axis in attributes.get("axes") or [] if axis.get("type") == "space"]
    if names and names != ["z", "y", "x"][3 - dimension:]:
        raise ValueError(f"its spatial axes are {names}; expected {['z', 'y', 'x'][3 - dimension:]}, the order "
                         f"OME-NGFF stores them in (transpose the array)")
    spacing, origin = (1.0,) * dimension, (0.0,) * dimension
    direction = tuple(tuple(float(i == j) for j in range(dimension)) for i in range(dimension))
    if "itk" in attributes:
        missing = [key for key in ("spacing", "origin", "direction") if key not in attributes["itk"]]
        if missing:
            raise ValueError(f"its 'itk' attribute lacks {missing} (it holds spacing, origin and direction)")
        spacing = tuple(attributes["itk"]["spacing"])
        origin = tuple(attributes["itk"]["origin"])
        direction = tuple(tuple(row) for row in attributes["itk"]["direction"])
    elif "coordinateTransformations" in attributes:
        for transform in attributes["coordinateTransformations"]:
            if transform["type"] not in ("scale", "translation"):
                continue
            values = list(transform[transform["type"]])
            if len(values) != ndim:
                raise ValueError(f"its {transform['type']} {values} has {len(values)} values; expected one per "
                                 f"array axis ({ndim})")
            if transform["type"] == "scale":
                spacing = tuple(reversed(values[-dimension:]))
            else:
                origin = tuple(reversed(values[-dimension:]))
    _checked_geometry("the array", dimension, spacing, origin, direction)
    return spacing, origin, direction


def unread_axes_hint(io) -> str:
    """What to do with an image of more than 3 axes (nothing for fewer): its extra axes are one
    voxel long (a 3-D image saved as 4-D), or hold a series or channels (read as components). The
    C++ twin is ``UnreadDimensionsHint`` in apps/PatchwiseFilter/PatchwiseFilter.cxx."""
    sizes = [int(io.GetDimensions(d)) for d in range(io.GetNumberOfDimensions())]
    if len(sizes) <= 3:
        return ""
    size = "x".join(map(str, sizes))
    if all(s == 1 for s in sizes[3:]):
        return f" ({size} voxels: its axes past the third are one voxel long; save it as a 3-D image)"
    return (f" ({size} voxels: a series or channels on the axes past the third are not read; store channels as the "
            f"voxels' components, a vector image)")


def _check_voxel_volume(io, path: str, parameter: str) -> None:
    """Raises ``ValueError`` naming the file when its voxel volume, the product of its spacings'
    sizes (ITK's reader makes a negative spacing positive), is below a double's normal range: ITK
    cannot invert its voxel-to-physical matrix (it prints SVD warnings, or fails with "Singular
    matrix"). A spacing of 0 or one not finite is left to ITK, which refuses it. The command
    line's twin is ``CheckVoxelVolume`` in apps/PatchwiseFilter/PatchwiseFilter.cxx."""
    sizes = [abs(float(io.GetSpacing(d))) for d in range(min(int(io.GetNumberOfDimensions()), 3))]
    if all(0 < s < math.inf for s in sizes) and voxel_volume_below_normal(sizes):
        raise ValueError(f"{parameter}={path!r}: its spacing {' x '.join(f'{s:g}' for s in sizes)} gives a voxel "
                         f"volume of {math.prod(sizes):g}, below a double's normal range ({sys.float_info.min:g}), "
                         f"and ITK cannot invert its voxel-to-physical matrix: save it with a spacing nearer 1 "
                         f"(e.g. in other units)")


def _itk_source(path: str, parameter: str) -> Source:
    import itk

    io = itk.ImageIOFactory.CreateImageIO(path, itk.CommonEnums.IOFileMode_ReadMode)
    if io is None:
        raise unreadable_format(parameter, path)
    io.SetFileName(path)
    io.ReadImageInformation()
    _check_voxel_volume(io, path, parameter)
    check_voxel_data(path, int(io.GetImageSizeInBytes()), parameter)
    dimension, channels = io.GetNumberOfDimensions(), io.GetNumberOfComponents()
    if dimension not in (2, 3):
        raise ValueError(f"{parameter}={path!r}: a {dimension}-D image; expected 2-D or 3-D{unread_axes_hint(io)}")
    reader = itk.ImageFileReader[image_type(channels > 1, dimension)].New()
    reader.SetFileName(path)
    reader.UpdateOutputInformation()
    image = reader.GetOutput()
    shape = tuple(int(s) for s in reversed(image.GetLargestPossibleRegion().GetSize()))
    direction = itk.array_from_matrix(image.GetDirection())
    geometry = (tuple(float(s) for s in image.GetSpacing()), tuple(float(o) for o in image.GetOrigin()),
                tuple(tuple(float(v) for v in row) for row in direction))
    if reads_regions_alone(io):
        return Source(path, "stream", shape, channels, *geometry)
    raw = _raw_nrrd_layout(path, shape, channels) if io.GetNameOfClass() == "NrrdImageIO" else None
    return Source(path, "raw" if raw else "whole", shape, channels, *geometry, raw=raw)


def _raw_nrrd_layout(path: str, shape: Tuple[int, ...], channels: int) -> Optional[RawLayout]:
    """The voxels' place in a raw-encoded NRRD (attached or one detached data file), or None
    when the file is compressed, split, or lays its components out other than fastest."""
    parsed = nrrd_header_fields(path)
    if parsed is None:
        return None
    fields, attached_offset = parsed
    dtype = _NRRD_TYPES.get(fields.get("type", ""))
    sizes = [int(s) for s in fields.get("sizes", "").split()]
    expected = list(reversed(shape)) if channels == 1 else [channels] + list(reversed(shape))
    if (fields.get("encoding") != "raw" or dtype is None or sizes != expected or
            int(fields.get("line skip", fields.get("lineskip", "0"))) != 0):
        return None
    data_file = fields.get("data file", fields.get("datafile"))
    if data_file is not None and (" " in data_file or data_file == "LIST"):
        return None  # a file list or pattern
    file = os.path.join(os.path.dirname(path), data_file) if data_file else path
    itemsize = np.dtype(dtype).itemsize
    count = int(np.prod(sizes))
    skip = int(fields.get("byte skip", fields.get("byteskip", "0")))
    offset = (os.path.getsize(file) - count * itemsize if skip == -1 else skip + (0 if data_file else attached_offset))
    endian = "<" if fields.get("endian", "little") == "little" else ">"
    array_shape = tuple(shape) + ((channels,) if channels > 1 else ())
    return RawLayout(file, offset, endian + dtype if itemsize > 1 else dtype, array_shape)
