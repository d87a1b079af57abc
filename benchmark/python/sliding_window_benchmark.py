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
  sliding_window_benchmark.py classes SIZE MODEL DIRECTORY [BATCH_SIZE [PATCH [OVERLAP]]]
      MODEL (a 16-class TorchScript network) with argmax=True streamed to DIRECTORY in 8
      divisions, patch PATCH (default 64), overlap OVERLAP voxels (default PATCH / 2; given
      to sliding_window_inference as the fraction OVERLAP / PATCH), BATCH_SIZE patches per
      call (default 4), against the
      bare forward passes: the network alone on the same batches of the same patches in a
      plain loop. Each side runs CLASS_ROUNDS times, each time in a fresh process (the two
      sides in turn), as a user's run starts: the network's large tensors are mapped afresh
      on every pass, and how often they fault depends on the allocator's state, which one
      process carries from run to run. Prints the extra peak RSS of both against a full
      16-class float buffer, the times (fastest and median), the pipeline's own time
      (outside the network's calls) and the page faults inside the network's calls
  sliding_window_benchmark.py network SIZE MODEL BATCH_SIZE PATCH OVERLAP
      the bare forward passes of classes in this process: their extra peak RSS in MiB (the
      input batches, made before the baseline, excluded), seconds and page faults
  sliding_window_benchmark.py pipeline SIZE MODEL DIRECTORY BATCH_SIZE PATCH OVERLAP
      the pipeline of classes once in this process: its extra peak RSS, seconds, and the
      seconds and page faults inside the network's calls and in all
      (classes starts both; each prints one line of key=value pairs)
"""
import os
import resource
import statistics
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


def key_values(command: list) -> dict:
    """The ``key=value`` pairs ``command`` prints on its last line of stdout, values as floats
    where they are numbers (PatchRoundTrip's weighting=Gaussian stays a string); its stderr shown
    if it fails."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")

    def value_of(text: str):
        try:
            return float(text)
        except ValueError:
            return text

    pairs = (item.split("=", 1) for item in done.stdout.splitlines()[-1].split())
    return {key: value_of(value) for key, value in pairs}


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
    cpp = [key_values([program, "--size", str(size), "--patch", "96", "--overlap", "48", "--weighting", "Gaussian",
                       "--threads", "1"]) for _ in range(REPEATS)]
    cpp_seconds = min(run["seconds"] for run in cpp)
    seconds = min(times)
    print(f"roundtrip {size}^3 (fastest of {REPEATS}): sliding_window_inference (batch_size={batch_size}) "
          f"{seconds:.2f} s, extra peak RSS {extra:.2f} volumes, max error {error:.2e}; "
          f"C++ PatchRoundTrip {cpp_seconds:.2f} s, "
          f"{cpp[0]['extra_peak_rss_volumes']:.2f} volumes; time ratio {seconds / cpp_seconds:.2f}")


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


def class_setup(size: int, model_file: str, patch: int):
    """The 16-class runs' model, input image and baseline resident MiB (the model probed on one
    patch of ``patch``³, as for PatchStreamingTorchInference's baseline; the image made before it)."""
    import itk
    import torch
    torch.set_num_threads(2)
    model = torch.jit.load(model_file).eval()
    image = itk.image_from_array(smooth_volume(size) * 64.0 + 128.0)
    load_itk_modules(itk)
    with torch.no_grad():
        model(torch.zeros((1, 1, patch, patch, patch)))
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


#: Fresh processes per side in classes(), taken in turn.
CLASS_ROUNDS = 3


def network(size: int, model_file: str, batch_size: int, patch: int, overlap: int) -> None:
    """The bare forward passes of the classes run, in this fresh process: ``key=value`` pairs of
    their extra peak RSS in MiB (the input batches, made before the baseline, excluded), seconds
    and page faults."""
    import itk
    model, image, _ = class_setup(size, model_file, patch)
    batches = same_batches(itk.array_view_from_image(image), patch, patch - overlap, batch_size)
    baseline = baseline_mib()
    seconds, faults = bare_passes(model, batches)
    print(f"mib={peak_mib() - baseline:.1f} seconds={seconds:.3f} faults={faults} batches={len(batches)}")


def pipeline(size: int, model_file: str, directory: str, batch_size: int, patch: int, overlap: int) -> None:
    """The classes run's pipeline once, in this fresh process: ``key=value`` pairs of its extra peak
    RSS in MiB, seconds, and the seconds and page faults inside the network's calls and in all."""
    import patchstreaming
    model, image, baseline = class_setup(size, model_file, patch)
    inside = [0.0, 0]  # seconds and page faults inside the network's calls

    def timed(batch):
        start, faults = time.perf_counter(), page_faults()
        out = model(batch)
        inside[0] += time.perf_counter() - start
        inside[1] += page_faults() - faults
        return out

    output = os.path.join(directory, "sliding_window_labels.mha")
    start, faults = time.perf_counter(), page_faults()
    patchstreaming.sliding_window_inference(image, timed, patch_size=patch, overlap=overlap / patch,
                                            batch_size=batch_size, output=output, stream_divisions=8, argmax=True,
                                            progress=False)
    seconds, faults = time.perf_counter() - start, page_faults() - faults
    mib = peak_mib() - baseline
    os.remove(output)
    print(f"mib={mib:.1f} seconds={seconds:.3f} inside={inside[0]:.3f} inside_faults={inside[1]} faults={faults}")


def classes(size: int, model_file: str, directory: str, batch_size: int, patch: int, overlap: int) -> None:
    """CLASS_ROUNDS fresh processes of each side in turn (network(), pipeline()): each starts from
    the allocator's state a user's run starts from, which one process carries from run to run
    (a later run of the network's passes can fault half as often, or as often, as the first)."""
    runs = {"network": [], "pipeline": []}
    for _ in range(CLASS_ROUNDS):
        common = [str(batch_size), str(patch), str(overlap)]
        for side, arguments in (("network", common), ("pipeline", [directory] + common)):
            runs[side].append(key_values([sys.executable, __file__, side, str(size), model_file] + arguments))

    def of(side: str, key: str) -> list:
        return sorted(run[key] for run in runs[side])

    def spread(values: list, digits: int = 1) -> str:
        return f"{values[0]:.{digits}f}–{values[-1]:.{digits}f}"

    full = size ** 3 * 16 * 4 / 1048576.0
    bare, whole = of("network", "seconds"), of("pipeline", "seconds")
    own = sorted(run["seconds"] - run["inside"] for run in runs["pipeline"])
    outside = sorted(run["faults"] - run["inside_faults"] for run in runs["pipeline"])
    print(f"classes {size}^3, 16 classes -> labels, 8 divisions, patch {patch}, overlap {overlap}, "
          f"batch_size={batch_size} ({int(runs['network'][0]['batches'])} batches; {CLASS_ROUNDS} fresh processes "
          f"each): extra peak RSS "
          f"{spread(of('pipeline', 'mib'), 0)} MiB = {spread([m / full for m in of('pipeline', 'mib')], 2)} x a full "
          f"16-class buffer ({full:.0f} MiB; the input image, made before the baseline, excluded), the bare forward "
          f"passes alone {spread([m / full for m in of('network', 'mib')], 2)} x; seconds: the pipeline "
          f"{spread(whole, 2)} (inside the network's calls {spread(of('pipeline', 'inside'), 2)}), the bare passes "
          f"{spread(bare, 2)}: overhead {100.0 * (whole[0] / bare[0] - 1.0):.1f} % fastest against fastest, "
          f"{100.0 * (statistics.median(whole) / statistics.median(bare) - 1.0):.1f} % median against median; "
          f"the pipeline's own time (outside the network's calls) {spread(own, 2)} s = "
          f"{spread([100.0 * t / statistics.median(bare) for t in own])} % of the bare passes' median; page faults: "
          f"{spread(of('pipeline', 'inside_faults'), 0)} inside the network's calls in the pipeline and "
          f"{spread(outside, 0)} outside them, {spread(of('network', 'faults'), 0)} in the bare passes; each "
          f"pipeline process (extra peak RSS x, seconds): "
          + ", ".join(f"({run['mib'] / full:.3f}, {run['seconds']:.2f})" for run in runs["pipeline"]))

if __name__ == "__main__":
    # The arguments after the mode each takes: the fewest and the most.
    arguments = {"roundtrip": (2, 3), "classes": (3, 6), "network": (5, 5), "pipeline": (6, 6)}
    fewest, most = arguments.get(sys.argv[1] if len(sys.argv) > 1 else "", (1, 0))
    if not fewest <= len(sys.argv) - 2 <= most:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "roundtrip":
        roundtrip(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 4)
    elif sys.argv[1] == "network":
        network(int(sys.argv[2]), sys.argv[3], *map(int, sys.argv[4:7]))
    elif sys.argv[1] == "pipeline":
        pipeline(int(sys.argv[2]), sys.argv[3], sys.argv[4], *map(int, sys.argv[5:8]))
    else:
        batch_size = int(sys.argv[5]) if len(sys.argv) > 5 else 4
        patch = int(sys.argv[6]) if len(sys.argv) > 6 else 64
        classes(int(sys.argv[2]), sys.argv[3], sys.argv[4], batch_size, patch,
                int(sys.argv[7]) if len(sys.argv) > 7 else patch // 2)
