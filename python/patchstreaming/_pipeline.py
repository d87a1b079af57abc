"""The pipeline of ``sliding_window_inference``: extractor -> batch filter (the predictor in an
observer) -> merger, with the validated grid and blending settings it is built from."""
from __future__ import annotations

import os
import shutil
import warnings
import weakref
from typing import Mapping

import numpy as np
import torch

import itk

from ._images import (axis_orders, buffered_array, count_of, image_type, image_view, is_vector_image, shape_dhw,
                      unknown_choice, whole_number)
from ._output_files import mode_for, partial_folder, rename_data_file_in_header, writer_io
from ._patch_arguments import check_patch_fits_in_memory, overlap_xyz, size_xyz
from ._predictor import Structure, check_shape
from ._termination import ending_by_signal_after_cleanup, signals_deferred
from ._voxel_data import check_written_image

#: MONAI's blending modes and the merger's weightings.
_MODES = {"gaussian": "Gaussian", "constant": "Average", "average": "Average", "crop": "Crop", "hann": "Hann"}
#: MONAI's (PyTorch's) padding modes and ITK's boundary conditions.
_PADDING = {"constant": "Constant", "symmetric": "Mirror", "replicate": "ZeroFluxNeumann", "circular": "Periodic"}
#: Where the Gaussian's 1e-3 floor applies: each axis's profile (separable) or MONAI's N-D importance map.
_GAUSSIAN_FLOORS = {"axis": False, "window": True}
_BORDERS = {"squeeze": "Squeeze", "edge": "Edge", "adaptive": "Adaptive", "crop": "Crop", "pad": "Pad"}
#: Other tools' names for a choice (the command line's and ITK's, numpy.pad's), with this one's.
_OTHER_NAMES = {"gaussian_floor": {"monai": "MONAI's floor, on its N-D importance map, is 'window'"},
                "padding_mode": {"mirror": "the command line's mirror is 'symmetric'",
                                 "zerofluxneumann": "the command line's zerofluxneumann is 'replicate'",
                                 "periodic": "the command line's periodic is 'circular'",
                                 "edge": "numpy.pad's edge is 'replicate'", "wrap": "numpy.pad's wrap is 'circular'"}}


class Settings:
    """The validated grid and blending settings, in ITK's terms."""

    def __init__(self, image, patch_size, overlap, batch_size, mode, border_mode, padding_mode, stream_divisions,
                 gaussian_floor="axis"):
        dimension = image.GetImageDimension()
        self.patch_xyz = size_xyz(patch_size, dimension, "patch_size", shape_dhw(image))
        check_patch_fits_in_memory(self.patch_xyz, image.GetNumberOfComponentsPerPixel(), "patch_size")
        self.overlap_xyz = overlap_xyz(overlap, self.patch_xyz)
        self.batch_size = whole_number(batch_size, "batch_size")
        if self.batch_size < 1:
            raise ValueError(f"batch_size={batch_size}: expected at least 1 patch per predictor call")
        self.weighting = _choice("mode", mode, _MODES)
        self.floor_on_window = _choice("gaussian_floor", gaussian_floor, _GAUSSIAN_FLOORS)
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


class Pipeline:
    """extractor -> batch filter (the predictor in an observer) -> merger (of the channels, or into labels)."""

    def __init__(self, image, predictor, structure: Structure, settings: Settings, sigma_scale, cval, progress):
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
        # A batch of more patches than any grid holds is the whole grid: the same batches, in range of ITK's size type.
        self.batches.SetBatchSize(min(settings.batch_size, 2 ** 63 - 1))
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
        self.merger.SetMinimumWeightOnWindow(self.settings.floor_on_window)
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
        io = writer_io(file)  # the folder exists: checked before the input was read
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
        partial = partial_folder(file, folder)
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
            # More pieces than ITK's unsigned int counts are as many as the slowest axis has slices.
            writer.SetNumberOfStreamDivisions(min(self.settings.stream_divisions, 2 ** 32 - 1))
            self._update(writer.Update)
            header = os.path.join(partial, unique + extension)
            check_written_image(header, file)
            with signals_deferred():  # a .mhd's .raw and its header both moved, or neither
                for written in sorted(os.listdir(partial), key=lambda f: f == unique + extension):  # the header last
                    final = stem + written[len(unique):] if written.startswith(unique + ".") else written
                    if unique != stem and written != unique + extension:
                        rename_data_file_in_header(header, written, final)
                    os.chmod(os.path.join(partial, written), mode_for(os.path.join(folder, final), file))
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
            patches = f"patch {first}" if count == 1 else f"patches {first} to {first + count - 1}"
            error.add_note(f"sliding_window_inference called the predictor with a batch of shape {tuple(batch.shape)} "
                           f"(B, C, {axis_orders(batch.dim() - 2)[0][1:]}: {patches} of "
                           f"{self.extractor.GetPatchGrid().GetNumberOfPatches()}, numbered from 0")
            raise
        spatial = tuple(batch.shape[2:])
        tensors = self.structure.tensors(returned, f"a batch of shape {tuple(batch.shape)}")
        for k, tensor in enumerate(tensors):
            check_shape(tensor, count, spatial, self.structure, k)
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
