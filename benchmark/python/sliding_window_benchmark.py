#!/usr/bin/python3
"""The Python benchmark of docs/performance.md (not a test): patchstreaming's
sliding_window_inference against the C++ round trip on the same volume, and a 16-class
network turned into labels, each in its own process so that each peak RSS is its own.

Usage (PYTHONPATH as for the wrapping, plus python/):
  sliding_window_benchmark.py roundtrip SIZE ROUNDTRIP_PROGRAM [BATCH_SIZE]
      an identity network, patch 96, overlap 48, Gaussian, one thread, BATCH_SIZE patches
      per call (default 4, the package's default; MONAI's sw_batch_size defaults to 1):
      seconds (the fastest of REPEATS runs) and extra peak RSS in volumes (the first run's),
      next to build/benchmark/PatchRoundTrip's on the same size (the fastest of REPEATS runs)
  sliding_window_benchmark.py classes SIZE MODEL DIRECTORY [BATCH_SIZE]
      MODEL (a 16-class TorchScript network) with argmax=True streamed to DIRECTORY in 8
      divisions, patch 64, overlap 32, BATCH_SIZE patches per call (default 4): peak RSS
      against a full 16-class float buffer (the first run's), next to the network's own
      (the bare forward passes alone in a process of their own, from the same baseline),
      and the time against the bare forward passes: the network alone on the
      same batches of the same patches in a plain loop, interleaved with the pipeline's runs in
      the same process, the fastest of 2 each (as build/benchmark/PatchStreamingTorchInference
      measures the C++ filter); also the time and the page faults inside the network's calls
      during the pipeline, and the pipeline's own time (outside them) against the bare passes:
      where a page fault costs microseconds, the network's own allocations fault more or less
      often with the state of the allocator, which the rest of the process changes
  sliding_window_benchmark.py network SIZE MODEL BATCH_SIZE
      the bare forward passes of the classes run alone: their extra peak RSS in MiB (the input
      batches, made before the baseline, excluded); classes runs it in a process of its own
"""
import os
import resource
import subprocess
import sys
import time

import numpy as np

#: Timed runs per side in the round trip; the fastest counts (the first also gives the peak RSS).
REPEATS = 5


def status_mib(field: str) -> float:
    """A field of /proc/self/status (VmRSS, VmHWM) in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return float(line.split()[1]) / 1024.0
    raise RuntimeError(f"/proc/self/status has no {field}")


def baseline_mib() -> float:
    """The resident set now, after resetting the process's peak to it (Linux's clear_refs 5), so
    that the peak read later is the work's and not the setup's (the input's temporaries, the
    model's first pass): ``getrusage``'s maxrss keeps the whole life's peak."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return status_mib("VmRSS")


def peak_mib() -> float:
    """The peak resident set since the last baseline_mib()."""
    return status_mib("VmHWM")


def page_faults() -> int:
    """Minor page faults of the process so far (a page mapped on first touch)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def smooth_volume(size: int) -> np.ndarray:
    """A deterministic smooth field (a sum of plane waves), float32, (D, H, W), made slab by slab."""
    rng = np.random.default_rng(2026)
    waves = rng.uniform(-1.0, 1.0, size=(8, 4))
    volume = np.empty((size, size, size), dtype=np.float32)
    y, x = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    for z in range(size):
        volume[z] = sum(np.sin(0.05 * (w[0] * x + w[1] * y + w[2] * z) + 3.0 * w[3]) for w in waves)
    return volume


def load_itk_modules(itk) -> None:
    """itk loads its wrapped modules on first use: load them before the baseline, as a C++
    program has its libraries loaded from the start."""
    for name in ("PatchExtractor", "PatchBatchImageFilter", "PatchMerger", "ImageFileWriter", "PyCommand",
                 "MetaImageIO"):
        getattr(itk, name)


def roundtrip(size: int, program: str, batch_size: int) -> None:
    import itk
    import torch
    import patchstreaming
    torch.set_num_threads(1)
    itk.MultiThreaderBase.SetGlobalDefaultNumberOfThreads(1)
    image = itk.image_from_array(smooth_volume(size))
    volume_mib = size ** 3 * 4 / 1048576.0
    load_itk_modules(itk)
    baseline = baseline_mib()
    times = []
    for _ in range(REPEATS):  # the fastest of REPEATS runs, each side; the peak is the first run's
        start = time.perf_counter()
        result = patchstreaming.sliding_window_inference(image, lambda x: x, patch_size=96, overlap=0.5,
                                                         batch_size=batch_size, mode="gaussian", progress=False)
        times.append(time.perf_counter() - start)
        if len(times) == 1:
            extra = (peak_mib() - baseline) / volume_mib  # before the error's full-size temporaries below
            error = float(np.abs(itk.array_view_from_image(result) - itk.array_view_from_image(image)).max())
        del result
    cpp = [dict(item.split("=") for item in subprocess.run(
        [program, "--size", str(size), "--patch", "96", "--overlap", "48", "--weighting", "Gaussian", "--threads",
         "1"], capture_output=True, text=True, check=True).stdout.split()) for _ in range(REPEATS)]
    cpp_seconds = min(float(run["seconds"]) for run in cpp)
    seconds = min(times)
    print(f"roundtrip {size}^3 (fastest of {REPEATS}): sliding_window_inference (batch_size={batch_size}) "
          f"{seconds:.2f} s, extra peak RSS {extra:.2f} volumes, max error {error:.2e}; "
          f"C++ PatchRoundTrip {cpp_seconds:.2f} s, "
          f"{float(cpp[0]['extra_peak_rss_volumes']):.2f} volumes; time ratio {seconds / cpp_seconds:.2f}")


def same_batches(volume: np.ndarray, patch: int, stride: int, batch_size: int):
    """The pipeline's batches as tensors (B, 1, D, H, W): the grid's patches (starts 0, stride, ...,
    exact when (size - patch) is a multiple of the stride), numbered x fastest, batch_size patches
    at a time across line ends, as the merger asks PatchBatchImageFilter for them."""
    import torch
    size = volume.shape[0]
    assert (size - patch) % stride == 0, "the grid's starts are exact only for (size - patch) % stride == 0"
    starts = range(0, size - patch + 1, stride)
    corners = [(z, y, x) for z in starts for y in starts for x in starts]
    return [torch.from_numpy(np.stack([volume[z:z + patch, y:y + patch, x:x + patch]
                                       for z, y, x in corners[first:first + batch_size]])[:, None])
            for first in range(0, len(corners), batch_size)]


def class_setup(size: int, model_file: str):
    """The 16-class runs' model, input image and baseline resident MiB (the model probed on one
    patch, as for PatchStreamingTorchInference's baseline; the image made before it)."""
    import itk
    import torch
    torch.set_num_threads(2)
    model = torch.jit.load(model_file).eval()
    image = itk.image_from_array(smooth_volume(size) * 64.0 + 128.0)
    load_itk_modules(itk)
    with torch.no_grad():
        model(torch.zeros((1, 1, 64, 64, 64)))
    return model, image, baseline_mib()


def bare_passes(model, batches):
    """``batches`` through the network in a plain loop: (seconds, page faults)."""
    import torch
    with torch.no_grad():
        start, faults = time.perf_counter(), page_faults()
        for batch in batches:
            out = model(batch)  # the previous output is freed here, as in any loop
        del out
        return time.perf_counter() - start, page_faults() - faults


def network(size: int, model_file: str, batch_size: int) -> None:
    """The bare forward passes' own extra peak RSS in MiB, printed alone (run by classes()); the
    input batches, all made before the baseline, excluded."""
    import itk
    model, image, _ = class_setup(size, model_file)
    batches = same_batches(itk.array_view_from_image(image), 64, 32, batch_size)
    baseline = baseline_mib()
    bare_passes(model, batches)
    print(f"{peak_mib() - baseline:.1f}")


def classes(size: int, model_file: str, directory: str, batch_size: int) -> None:
    import itk
    import patchstreaming
    model, image, baseline = class_setup(size, model_file)
    inside = [0.0, 0]  # seconds and page faults inside the network's calls

    def timed(batch):
        start, faults = time.perf_counter(), page_faults()
        out = model(batch)
        inside[0] += time.perf_counter() - start
        inside[1] += page_faults() - faults
        return out

    output = os.path.join(directory, "sliding_window_labels.mha")
    pipeline, bare = [], []
    for run in range(2):
        inside[:] = [0.0, 0]
        start, faults = time.perf_counter(), page_faults()
        patchstreaming.sliding_window_inference(image, timed, patch_size=64, overlap=0.5, batch_size=batch_size,
                                                output=output, stream_divisions=8, argmax=True, progress=False)
        pipeline.append(time.perf_counter() - start)
        pipeline_faults = page_faults() - faults
        if run == 0:
            extra = peak_mib() - baseline
            batches = same_batches(itk.array_view_from_image(image), 64, 32, batch_size)
        seconds, bare_faults = bare_passes(model, batches)
        bare.append(seconds)
    alone = float(subprocess.run([sys.executable, __file__, "network", str(size), model_file, str(batch_size)],
                                 capture_output=True, text=True, check=True).stdout)
    full = size ** 3 * 16 * 4 / 1048576.0
    os.remove(output)
    print(f"classes {size}^3, 16 classes -> labels, 8 divisions, batch_size={batch_size}: extra peak RSS "
          f"{extra:.0f} MiB = {extra / full:.2f} x a full 16-class buffer ({full:.0f} MiB; the input image, made "
          f"before the baseline, excluded); the bare forward passes alone: {alone:.0f} MiB = {alone / full:.2f} x; "
          f"{min(pipeline):.1f} s against the bare forward passes' {min(bare):.1f} s ({len(batches)} batches, fastest of "
          f"2 each): overhead {100.0 * (min(pipeline) / min(bare) - 1.0):.1f} %; inside the network's calls "
          f"{inside[0]:.1f} s of the last run's {pipeline[-1]:.1f} s; the pipeline's own time "
          f"{pipeline[-1] - inside[0]:.1f} s = {100.0 * (pipeline[-1] - inside[0]) / bare[-1]:.1f} % of that run's "
          f"bare passes ({bare[-1]:.1f} s); page faults: {inside[1]} inside the network's calls and "
          f"{pipeline_faults - inside[1]} outside them, {bare_faults} in the bare passes")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("roundtrip", "classes", "network"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "roundtrip":
        roundtrip(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 4)
    elif sys.argv[1] == "network":
        network(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    else:
        classes(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 4)
