#!/usr/bin/python3
"""Makes the small 3-D segmentation networks the tests, the benchmark and the demo run.

Each is a few 3-D convolutions with fixed, seeded weights, saved with
``torch.jit.script``: input ``(B, C_in, D, H, W)`` float intensities (the T1
volume's 0..255 range), output ``(B, classes, D, H, W)`` class probabilities
(softmax over the channel axis), the spatial size kept (padding 1).

Usage: make_segmentation_model.py DIRECTORY
writes into DIRECTORY:
  segmentation.pt           1 channel in, 3 classes out (the test and demo model)
  segmentation_2channel.pt  2 channels in, 3 classes out
  segmentation_tuple.pt     1 channel in; returns (probabilities, logits)
  segmentation_16class.pt   1 channel in, 16 classes out (the benchmark's)
  segmentation_1class.pt    1 channel in, 1 channel out (no label map can be made of it)
  segmentation_pooled.pt    1 channel in, 3 classes out at half the spatial size (a wrong model)
  segmentation_nan.pt       1 channel in, 3 classes out, class 1 NaN above 200 (a broken model)
  segmentation_inplace.pt   segmentation.pt's result, its input doubled in place (a careless model)
"""
import os
import sys
from typing import Tuple

import torch


class SegmentationNetwork(torch.nn.Module):
    """conv 3x3x3 -> ReLU -> conv 3x3x3 -> ReLU -> conv 1x1x1 -> softmax over classes."""

    def __init__(self, in_channels: int, classes: int, width: int = 8) -> None:
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv3d(in_channels, width, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.Conv3d(width, width, 3, padding=1),
            torch.nn.ReLU(),
        )
        self.head = torch.nn.Conv3d(width, classes, 1)
        # An intensity prior, so that the classes look like a segmentation: class c wins
        # between thresholds spread over the normalised intensity -1.3 .. -0.2 (about 45 .. 115
        # in 0..255), dark to bright; the random convolutions perturb it spatially.
        slopes = torch.linspace(-4.0, 4.0, classes)
        thresholds = torch.linspace(-1.3, -0.2, max(classes - 1, 1))
        biases = torch.zeros(classes)
        for c in range(classes - 1):
            biases[c + 1] = biases[c] - (slopes[c + 1] - slopes[c]) * thresholds[c]
        self.register_buffer("slopes", slopes.reshape(1, classes, 1, 1, 1))
        self.register_buffer("biases", biases.reshape(1, classes, 1, 1, 1))

    def logits(self, image: torch.Tensor) -> torch.Tensor:
        # Intensities 0..255 to about -2..2 (the mean over the input channels for the prior).
        normalised = (image - 128.0) / 64.0
        prior = self.slopes * normalised.mean(dim=1, keepdim=True) + self.biases
        return self.head(self.features(normalised)) + prior

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(image), dim=1)


class TupleSegmentationNetwork(SegmentationNetwork):
    """The same network returning (probabilities, logits), as multi-output models do."""

    def forward(self, image: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        logits = self.logits(image)
        return torch.softmax(logits, dim=1), logits


class PooledSegmentationNetwork(SegmentationNetwork):
    """A wrong model for the tests: its output has half the input's spatial size."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.max_pool3d(torch.softmax(self.logits(image), dim=1), 2)


class InPlaceSegmentationNetwork(SegmentationNetwork):
    """The test network computed after doubling its input in place and halving a copy (exact in
    float): the same result, its input tensor changed, as a module starting with an in-place
    operation (ReLU(inplace=True), x.sub_(mean)) changes it."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        image.mul_(2.0)
        return torch.softmax(self.logits(image / 2.0), dim=1)


class HugeSegmentationNetwork(SegmentationNetwork):
    """The test network's probabilities times 3e38: finite, near float's maximum, so that a sum of
    two overflows."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(image), dim=1) * 3.0e38


class NonFiniteSegmentationNetwork(SegmentationNetwork):
    """A broken model for the tests: class 1 is NaN where the input is above 200."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        probabilities = torch.softmax(self.logits(image), dim=1)
        broken = probabilities[:, 1:2].masked_fill(image.mean(dim=1, keepdim=True) > 200.0, float("nan"))
        return torch.cat([probabilities[:, :1], broken, probabilities[:, 2:]], dim=1)


class EmptySegmentationNetwork(SegmentationNetwork):
    """A wrong model for the tests: its output has no channels."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.logits(image)[:, :0]


class ComplexSegmentationNetwork(SegmentationNetwork):
    """A wrong model for the tests: its output is complex (logits + i logits)."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        logits = self.logits(image)
        return torch.complex(logits, logits)


def make(network_class, in_channels: int, classes: int, seed: int) -> torch.jit.ScriptModule:
    torch.manual_seed(seed)
    network = network_class(in_channels, classes)
    return torch.jit.script(network.eval())


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    models = {
        "segmentation.pt": (SegmentationNetwork, 1, 3, 20),
        "segmentation_2channel.pt": (SegmentationNetwork, 2, 3, 21),
        "segmentation_tuple.pt": (TupleSegmentationNetwork, 1, 3, 20),
        "segmentation_16class.pt": (SegmentationNetwork, 1, 16, 22),
        "segmentation_1class.pt": (SegmentationNetwork, 1, 1, 23),
        "segmentation_pooled.pt": (PooledSegmentationNetwork, 1, 3, 20),
        "segmentation_empty.pt": (EmptySegmentationNetwork, 1, 3, 20),
        "segmentation_complex.pt": (ComplexSegmentationNetwork, 1, 3, 20),
        "segmentation_nan.pt": (NonFiniteSegmentationNetwork, 1, 3, 20),
        "segmentation_inplace.pt": (InPlaceSegmentationNetwork, 1, 3, 20),
        "segmentation_huge.pt": (HugeSegmentationNetwork, 1, 3, 20),
    }
    for name, (network_class, in_channels, classes, seed) in models.items():
        make(network_class, in_channels, classes, seed).save(os.path.join(directory, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
