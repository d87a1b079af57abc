#!/usr/bin/python3
"""Trains a small 3-class 3-D segmentation network on one volume with ``PatchDataset``, for the demo.

The stand-in ground truth is three k-means classes of the intensities (dark, middle, bright;
numpy, seeded), written as an unsigned char NRRD beside the model. Patches of (D, H, W) =
(24, 40, 40) voxels (the whole axis where the image is shorter; a 3-D image only) are drawn
with the label sampler, every class equally likely at the patch centre. The network is the test
network's architecture (``SegmentationNetwork`` of test/torch/make_segmentation_model.py:
conv 3x3x3 - ReLU - conv 3x3x3 - ReLU - conv 1x1x1, softmax over the classes) with its fixed
intensity prior switched off, so everything it does is learnt here; it trains on the logits
with cross-entropy, for at most ``--seconds`` of wall time, on ``torch.set_num_threads(2)``.
It is exported with ``torch.jit.script`` (input ``(B, 1, D, H, W)`` intensities, output
``(B, 3, D, H, W)`` class probabilities), the model ``PatchwiseFilter --model`` runs.

Usage: train_segmentation.py IMAGE OUTPUT_FOLDER [--seconds 60] [--seed 2026]
writes OUTPUT_FOLDER/standin_labels.nrrd and OUTPUT_FOLDER/segmentation_trained.pt and prints
the training loss at the start and the end, and the accuracy and Dice per class of the
trained network against the stand-in labels over the whole volume.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import List

import numpy as np
import torch

import itk

from patchstreaming import PatchDataset
from patchstreaming._images import copy_geometry

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "torch"))
from make_segmentation_model import SegmentationNetwork  # noqa: E402  (the test networks' architecture)

CLASSES = 3
PATCH_SIZE = (24, 40, 40)  # (D, H, W) voxels


def kmeans_classes(intensities: np.ndarray, classes: int, seed: int, iterations: int = 10) -> np.ndarray:
    """Lloyd's k-means on the voxel intensities, started from ``classes`` voxels drawn with ``seed``;
    the classes are numbered by their mean intensity (0 the darkest). Returns uint8 of the same shape."""
    values = intensities.ravel().astype(np.float64)
    centres = np.sort(np.random.default_rng(seed).choice(np.unique(values), classes, replace=False))
    for _ in range(iterations):
        nearest = np.abs(values[:, None] - centres[None, :]).argmin(axis=1)
        centres = np.array([values[nearest == c].mean() if np.any(nearest == c) else centres[c]
                            for c in range(classes)])
    order = np.argsort(centres)
    nearest = np.abs(values[:, None] - centres[order][None, :]).argmin(axis=1)
    return nearest.astype(np.uint8).reshape(intensities.shape)


def dice_per_class(predicted: np.ndarray, truth: np.ndarray, classes: int) -> List[float]:
    """The Dice coefficient 2|P and T| / (|P| + |T|) of each class."""
    return [2.0 * np.sum((predicted == c) & (truth == c)) / max(np.sum(predicted == c) + np.sum(truth == c), 1)
            for c in range(classes)]


def train(image_file: str, folder: str, seconds: float, seed: int) -> None:
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    os.makedirs(folder, exist_ok=True)
    image = itk.imread(image_file, itk.F)
    if image.GetImageDimension() != 3:
        raise SystemExit(f"train: {image_file!r} is a {image.GetImageDimension()}-D image; the demo's network is "
                         f"3-D: give a 3-D image")
    intensities = itk.array_from_image(image)
    # The training patch: (24, 40, 40) voxels, or the whole axis where the image is shorter.
    patch_size = tuple(min(p, s) for p, s in zip(PATCH_SIZE, intensities.shape))
    truth = kmeans_classes(intensities, CLASSES, seed)
    labels_file = os.path.join(folder, "standin_labels.nrrd")
    labels = itk.image_from_array(truth)
    copy_geometry(labels, image)
    itk.imwrite(labels, labels_file)
    print(f"train: stand-in labels (3 k-means intensity classes) {labels_file}: voxels per class "
          f"{np.bincount(truth.ravel(), minlength=CLASSES).tolist()}")

    batch_size = 4
    dataset = PatchDataset([(image_file, labels_file)], patch_size=patch_size, samples_per_volume=64,
                           sampler="label", label_probabilities={c: 1.0 for c in range(CLASSES)}, seed=seed,
                           batch_size=batch_size)
    network = SegmentationNetwork(1, CLASSES, width=16)
    with torch.no_grad():  # no fixed prior: what the network does, it learns here
        network.slopes.zero_()
        network.biases.zero_()
    optimiser = torch.optim.Adam(network.parameters(), lr=3e-3)
    losses: List[float] = []
    start = time.monotonic()
    epoch = 0
    while time.monotonic() - start < seconds:
        dataset.set_epoch(epoch)
        for batch in torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=0):
            loss = torch.nn.functional.cross_entropy(network.logits(batch["image"]), batch["label"][:, 0].long())
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss))
            if time.monotonic() - start >= seconds:
                break
        epoch += 1
    elapsed = time.monotonic() - start
    print(f"train: {len(losses)} steps of {batch_size} patches (D, H, W) = {patch_size} in {elapsed:.0f} s; "
          f"cross-entropy {losses[0]:.3f} at the start, {np.mean(losses[-10:]):.3f} at the end (last 10 steps)")

    network.eval()
    with torch.no_grad():
        predicted = network(torch.from_numpy(intensities)[None, None]).argmax(dim=1)[0].numpy()
    dice = dice_per_class(predicted, truth, CLASSES)
    print(f"train: on the whole volume against the stand-in labels: accuracy {np.mean(predicted == truth):.3f}, "
          f"Dice per class {', '.join(f'{d:.3f}' for d in dice)} (mean {np.mean(dice):.3f})")
    model_file = os.path.join(folder, "segmentation_trained.pt")
    torch.jit.script(network).save(model_file)
    print(f"train: TorchScript model {model_file}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("image", help="the training volume (one channel)")
    parser.add_argument("folder", help="where the stand-in labels and the model are written")
    parser.add_argument("--seconds", type=float, default=60.0, help="wall time of the training loop (default 60)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the labels, the patches and the weights")
    arguments = parser.parse_args()
    train(arguments.image, arguments.folder, arguments.seconds, arguments.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
