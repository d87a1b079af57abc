"""Shared pieces of the patchstreaming tests: seeded networks and a test image."""
import os
import time

import numpy as np
import pytest
import torch

T1_IMAGE = os.environ.get("PatchStreaming_T1_IMAGE",
                          "/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz")


class SmallNetwork(torch.nn.Module):
    """Two seeded 3-D convolutions, ``classes`` channels out (softmax when ``softmax``)."""

    def __init__(self, in_channels: int = 1, classes: int = 3, softmax: bool = True, seed: int = 7):
        super().__init__()
        torch.manual_seed(seed)
        self.first = torch.nn.Conv3d(in_channels, 4, 3, padding=1)
        self.second = torch.nn.Conv3d(4, classes, 3, padding=1)
        self.softmax = softmax

    def forward(self, x):
        y = self.second(torch.tanh(self.first(x / 32.0)))
        return torch.softmax(y, dim=1) if self.softmax else y


class SlowNetwork(SmallNetwork):
    """SmallNetwork that sleeps on every batch, so that a worker can be killed while it runs."""

    def forward(self, x):
        time.sleep(0.04)
        return super().forward(x)


class NaNAboveNetwork(torch.nn.Module):
    """A broken network: two channels, (x, -x), NaN where x is above ``threshold``."""

    def __init__(self, threshold: float):
        super().__init__()
        self.threshold = threshold

    def forward(self, x):
        return torch.cat([x, -x], dim=1).masked_fill(x > self.threshold, float("nan"))


class TupleNetwork(torch.nn.Module):
    """Returns (probabilities, one regression channel) from the same features."""

    def __init__(self):
        super().__init__()
        self.classes = SmallNetwork(classes=3)
        self.regression = SmallNetwork(classes=1, softmax=False, seed=11)

    def forward(self, x):
        return self.classes(x), self.regression(x)


@pytest.fixture
def oblique_array():
    """An odd-sized random volume (D, H, W) = (13, 17, 21) with its ITK geometry: anisotropic
    spacing, an origin off zero and an oblique direction."""
    rng = np.random.default_rng(5)
    array = rng.uniform(-64, 64, size=(13, 17, 21)).astype(np.float32)
    angle = 0.4
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]])
    tilt = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(0.3), -np.sin(0.3)], [0.0, np.sin(0.3), np.cos(0.3)]])
    return {"array": array, "spacing": (0.7, 1.25, 2.5), "origin": (-12.5, 3.0, 40.0), "direction": rotation @ tilt}
