# Copyright the PatchStreaming contributors. Licensed under the Apache License, Version 2.0.
"""PatchStreaming's Python wrapping, against the T1 volume of Debian's insighttoolkit5-examples.

Each test_* method is one CTest test (wrapping/test/CMakeLists.txt).
"""
import os
import tempfile
import unittest

import numpy as np
import torch

import itk

T1_IMAGE = os.environ.get(
    "PatchStreaming_T1_IMAGE", "/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz"
)
PATCH_SIZE = [32, 32, 16]  # x, y, z (ITK order)
PATCH_OVERLAP = [16, 16, 8]
Weighting = itk.PatchStreamingEnums.Weighting_Gaussian
BorderMode = itk.PatchStreamingEnums.BorderMode_Edge


def read_t1():
    # The file holds unsigned char; only float images are wrapped here.
    return itk.imread(T1_IMAGE, itk.F)


def make_extractor(image):
    return itk.PatchExtractor.New(image, PatchSize=PATCH_SIZE, PatchOverlap=PATCH_OVERLAP, BorderMode=BorderMode)


def make_network():
    """A fixed 3x3x3 convolution (no training, no randomness)."""
    network = torch.nn.Conv3d(1, 1, kernel_size=3, padding=1, bias=False)
    kernel = torch.arange(27, dtype=torch.float32).reshape(1, 1, 3, 3, 3)
    with torch.no_grad():
        network.weight.copy_((kernel - 13.0) / 100.0 + 1.0 / 27.0)
    return network


def run_network(network, batch):
    """The network on a numpy batch of patches (patches, z, y, x)."""
    with torch.no_grad():
        return network(torch.from_numpy(np.ascontiguousarray(batch))[:, None])[:, 0].numpy()


def buffered_view(image):
    """A numpy view (no copy) of the buffered region: ITK 5.2's array_view_from_image
    assumes the whole largest region is buffered, and a stack line is only part of it."""
    memory = itk.PyBuffer[type(image)]._GetArrayViewFromImage(image)
    shape = [int(size) for size in reversed(image.GetBufferedRegion().GetSize())]
    return np.asarray(memory).view(np.float32).reshape(shape)


def edge_starts(length, patch, overlap):
    """Edge border mode (MONAI, TorchIO): every stride, the last patch moved back to the end."""
    stride = patch - overlap
    count = -(-(length - patch) // stride) + 1
    return [min(i * stride, length - patch) for i in range(count)]


def gaussian_profile(patch):
    """The README's Gaussian window: sigma = P/8, floor 1e-3."""
    t = np.arange(patch, dtype=np.float64)
    center = (patch - 1) / 2.0
    sigma = patch / 8.0
    return np.maximum(np.exp(-((t - center) ** 2) / (2.0 * sigma**2)), 1e-3)


def reference_gaussian_merge(patches, shape_zyx):
    """sum_k w_k v_k / sum_k w_k with full-size volumes and nested loops over the patch positions."""
    px, py, pz = PATCH_SIZE
    ox, oy, oz = PATCH_OVERLAP
    window = (
        gaussian_profile(pz)[:, None, None] * gaussian_profile(py)[None, :, None] * gaussian_profile(px)[None, None, :]
    )
    sums = np.zeros(shape_zyx)
    weights = np.zeros(shape_zyx)
    k = 0
    for z in edge_starts(shape_zyx[0], pz, oz):
        for y in edge_starts(shape_zyx[1], py, oy):
            for x in edge_starts(shape_zyx[2], px, ox):
                sums[z : z + pz, y : y + py, x : x + px] += window * patches[k]
                weights[z : z + pz, y : y + py, x : x + px] += window
                k += 1
    assert k == patches.shape[0]
    return sums / weights


class PatchStreamingTest(unittest.TestCase):
    def assert_same_geometry(self, a, b):
        np.testing.assert_array_equal(np.array(a.GetSpacing()), np.array(b.GetSpacing()))
        np.testing.assert_array_equal(np.array(a.GetOrigin()), np.array(b.GetOrigin()))
        np.testing.assert_array_equal(itk.array_from_matrix(a.GetDirection()), itk.array_from_matrix(b.GetDirection()))

    def test_round_trip(self):
        image = read_t1()
        extractor = make_extractor(image)  # kept alive: an image holds only a weak pointer to its source
        merger = itk.PatchMerger.New(extractor.GetOutput())
        merger.Update()
        merged = merger.GetOutput()
        np.testing.assert_array_equal(itk.array_view_from_image(merged), itk.array_view_from_image(image))
        self.assert_same_geometry(merged, image)

    def test_array_view(self):
        extractor = make_extractor(read_t1())
        extractor.Update()
        stack = extractor.GetOutput()
        patches = extractor.GetPatchGrid().GetNumberOfPatches()
        self.assertEqual(patches, 7 * 7 * 7)
        view = itk.array_view_from_image(stack)
        self.assertEqual(view.shape, (patches, PATCH_SIZE[2], PATCH_SIZE[1], PATCH_SIZE[0]))
        # A view, not a copy: writing through it changes the stack.
        self.assertFalse(view.flags.owndata)
        view[5, 3, 2, 1] = 12345.0
        self.assertEqual(stack.GetPixel([1, 2, 3, 5]), 12345.0)

    def test_torch_batch_merged_with_gaussian_weighting(self):
        image = read_t1()
        extractor = make_extractor(image)
        extractor.Update()
        stack = extractor.GetOutput()
        stack.DisconnectPipeline()
        view = itk.array_view_from_image(stack)
        view[...] = run_network(make_network(), view)  # the network's output, in place
        merger = itk.PatchMerger.New(stack, Weighting=Weighting)
        merger.Update()
        expected = reference_gaussian_merge(view, itk.array_view_from_image(image).shape)
        np.testing.assert_allclose(itk.array_view_from_image(merger.GetOutput()), expected, rtol=1e-5, atol=1e-4)

    def test_torch_network_inside_the_streamed_pipeline(self):
        image = read_t1()
        extractor = make_extractor(image)
        network = make_network()
        batches = []
        model = itk.PyImageFilter.New(extractor.GetOutput())

        def generate_data():
            # The requested region is one patch line: run the network on that batch only.
            patches = model.GetInput()
            output = model.GetOutput()
            output.SetBufferedRegion(output.GetRequestedRegion())
            output.Allocate()
            batch = buffered_view(patches)
            batches.append(batch.shape[0])
            buffered_view(output)[...] = run_network(network, batch)

        model.SetPyGenerateData(generate_data)
        merger = itk.PatchMerger.New(model.GetOutput(), Weighting=Weighting)
        extractor.UpdateOutputInformation()  # lays the grid out
        merger.SetPatchGrid(extractor.GetPatchGrid())
        merger.Update()
        # One call per patch line (7 x 7 of them), each a batch of the 7 patches along x.
        self.assertEqual(len(batches), 7 * 7)
        self.assertEqual(max(batches), 7)

        # The reference sees every patch at once, from an extractor of its own.
        reference = make_extractor(image)
        reference.Update()
        all_patches = run_network(network, itk.array_view_from_image(reference.GetOutput()))
        expected = reference_gaussian_merge(all_patches, itk.array_view_from_image(image).shape)
        np.testing.assert_allclose(itk.array_view_from_image(merger.GetOutput()), expected, rtol=1e-5, atol=1e-4)

    def test_grid_survives_a_nrrd_file(self):
        image = read_t1()
        extractor = make_extractor(image)
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "stack.nrrd")
            itk.imwrite(extractor.GetOutput(), path)
            stack = itk.imread(path, itk.F)
        # The merger reads the grid from the file's key/value pairs alone.
        merger = itk.PatchMerger.New(stack)
        merger.Update()
        np.testing.assert_array_equal(itk.array_view_from_image(merger.GetOutput()), itk.array_view_from_image(image))
        self.assert_same_geometry(merger.GetOutput(), image)

    def test_functional_api(self):
        image = read_t1()
        stack = itk.patch_extractor(image, patch_size=PATCH_SIZE, patch_overlap=PATCH_OVERLAP, border_mode=BorderMode)
        self.assertEqual(itk.array_view_from_image(stack).shape, (7 * 7 * 7, 16, 32, 32))
        merged = itk.patch_merger(stack)
        np.testing.assert_array_equal(itk.array_view_from_image(merged), itk.array_view_from_image(image))


if __name__ == "__main__":
    unittest.main()
