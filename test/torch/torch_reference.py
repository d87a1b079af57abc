#!/usr/bin/python3
"""PyTorch run directly: the independent reference of TorchScriptPatchImageFilterGTest.

Files are raw little-endian float32 in ITK's memory order (axis 0 fastest,
components innermost), as the test writes and reads them.

  torch_reference.py patches MODEL STACK OUT PATCHES C_IN P0 P1 P2 [MIRROR_AXES]
      Runs MODEL on every patch of STACK, one patch per call, and writes the
      outputs (channels last) to OUT. MIRROR_AXES (ITK axes, e.g. "0,2") gives
      the explicit mean of the runs on every combination of flips, each flipped back.

  torch_reference.py merge MODEL VOLUME OUT X Y Z P0 P1 P2 STARTS SIGMA_SCALE MINIMUM_WEIGHT
      The whole sliding-window inference written out: MODEL on each patch at the
      starts listed in STARTS (one "x y z" line per patch), each output multiplied
      by the Gaussian window (per axis max(exp(-(t-c)^2 / (2 s^2)), MINIMUM_WEIGHT),
      c = (P-1)/2, s = SIGMA_SCALE * P, the product over the axes), summed into a
      full-size numpy volume next to the full-size sum of the windows, divided.
      Writes the probabilities (channels last) to OUT.
"""
import itertools
import sys

import numpy as np
import torch


def run(model: torch.jit.ScriptModule, patch: np.ndarray) -> np.ndarray:
    """patch (C, D, H, W) -> model output (C_out, D, H, W)."""
    with torch.no_grad():
        return model(torch.from_numpy(np.ascontiguousarray(patch))[None])[0].numpy()


def patches(model, stack_file, out_file, count, c_in, size, mirror_axes):
    p0, p1, p2 = size
    stack = np.fromfile(stack_file, dtype="<f4").reshape(count, p2, p1, p0, c_in)
    outputs = []
    # ITK axis a is the numpy axis 3 - a of (C, D, H, W).
    dims = [3 - axis for axis in mirror_axes]
    combinations = [c for r in range(len(dims) + 1) for c in itertools.combinations(dims, r)]
    for k in range(count):
        patch = np.moveaxis(stack[k], -1, 0)  # (C, D, H, W)
        total = None
        for flipped in sorted(combinations, key=lambda c: sum(1 << dims.index(d) for d in c)):
            result = run(model, np.flip(patch, flipped) if flipped else patch)
            result = np.flip(result, flipped) if flipped else result
            total = result if total is None else total + result
        outputs.append(np.moveaxis(total / len(combinations), 0, -1))
    np.ascontiguousarray(np.stack(outputs), dtype="<f4").tofile(out_file)


def gaussian_profile(length: int, sigma_scale: float, minimum: float) -> np.ndarray:
    t = np.arange(length, dtype=np.float64)
    c = (length - 1) / 2.0
    s = sigma_scale * length
    return np.maximum(np.exp(-((t - c) ** 2) / (2.0 * s * s)), minimum)


def merge(model, volume_file, out_file, shape, size, starts_file, sigma_scale, minimum):
    x, y, z = shape
    p0, p1, p2 = size
    volume = np.fromfile(volume_file, dtype="<f4").reshape(z, y, x)
    window = (gaussian_profile(p2, sigma_scale, minimum)[:, None, None]
              * gaussian_profile(p1, sigma_scale, minimum)[None, :, None]
              * gaussian_profile(p0, sigma_scale, minimum)[None, None, :])
    total = None
    weights = np.zeros((z, y, x))
    for line in open(starts_file):
        sx, sy, sz = (int(v) for v in line.split())
        box = (slice(sz, sz + p2), slice(sy, sy + p1), slice(sx, sx + p0))
        result = run(model, volume[box][None]).astype(np.float64)
        if total is None:
            total = np.zeros((result.shape[0], z, y, x))
        total[(slice(None),) + box] += result * window
        weights[box] += window
    probabilities = total / weights
    np.ascontiguousarray(np.moveaxis(probabilities, 0, -1), dtype="<f4").tofile(out_file)


def main(argv) -> int:
    torch.set_num_threads(1)
    model = torch.jit.load(argv[2])
    if argv[1] == "patches":
        mirror = [int(a) for a in argv[10].split(",")] if len(argv) > 10 and argv[10] else []
        patches(model, argv[3], argv[4], int(argv[5]), int(argv[6]), [int(v) for v in argv[7:10]], mirror)
    elif argv[1] == "merge":
        merge(model, argv[3], argv[4], [int(v) for v in argv[5:8]], [int(v) for v in argv[8:11]], argv[11],
              float(argv[12]), float(argv[13]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
