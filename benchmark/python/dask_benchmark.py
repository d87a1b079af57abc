#!/usr/bin/python3
"""The distributed benchmark of docs/distributed.md (not a test): patchstreaming.dask's
sliding_window_inference of a CPU-bound segmentation network over a SIZE^3 float volume
(a MetaImage read by slab), written to Zarr, on a LocalCluster of 1 and then 2
single-threaded worker processes, timed in the same run.

Usage (PYTHONPATH as for the wrapping):
  dask_benchmark.py [SIZE [PATCH [CLASSES [DIRECTORY]]]]   defaults 384, 32, 2, a temporary folder

CLASSES 2 or more: softmax over the classes, labels written (argmax=True); 1: one sigmoid
probability channel written as float.

Prints, per cluster: seconds, the slabs, the recomputation factor, and each worker's peak
RSS during the run above its resident set after a warm-up run (libraries and model loaded;
the peak is reset with Linux's /proc/self/clear_refs), against the input volume's size;
then the speed-up of 2 workers over 1.
"""
import functools
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sliding_window_benchmark import smooth_volume  # noqa: E402


def make_network(classes: int = 2):
    """A seeded 3-layer 3-D convolutional network, 1 channel in, ``classes`` out (softmax; a
    sigmoid for one)."""
    import torch

    torch.manual_seed(3)
    last = torch.nn.Softmax(dim=1) if classes > 1 else torch.nn.Sigmoid()
    return torch.nn.Sequential(torch.nn.Conv3d(1, 4, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv3d(4, 4, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv3d(4, classes, 1), last).eval()


def status_bytes(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak_rss() -> int:
    """The resident set now, after resetting the process's peak to it (Linux's clear_refs 5)."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return status_bytes("VmRSS")


def peak_rss_bytes() -> int:
    return status_bytes("VmHWM")


def run(workers: int, volume: str, warmup: str, patch: int, classes: int, directory: str, size: int) -> float:
    import distributed

    from patchstreaming import dask as distributed_inference

    factory = functools.partial(make_network, classes)
    options = dict(patch_size=patch, overlap=0.5, batch_size=4, mode="gaussian", argmax=classes > 1, progress=False)
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        distributed_inference.sliding_window_inference(warmup, factory, output_path=os.path.join(
            directory, "warmup.zarr"), client=client, **options)
        baseline = client.run(reset_peak_rss)
        start = time.perf_counter()
        result = distributed_inference.sliding_window_inference(volume, factory, output_path=os.path.join(
            directory, f"output-{workers}.zarr"), client=client, **options)
        seconds = time.perf_counter() - start
        peaks = client.run(peak_rss_bytes)
    volume_bytes = size ** 3 * 4
    extra = [(peaks[w] - baseline[w]) / volume_bytes for w in peaks]
    print(f"{workers} worker(s): {seconds:.1f} s; {len(result.slabs)} slabs of {result.slabs[0][1]} slices, "
          f"recomputation factor {result.recomputation_factor:.3f} ({result.patches_computed} of "
          f"{result.patches} patches); peak RSS per worker above its resident set after the warm-up "
          f"{', '.join(f'{e:.3f}' for e in extra)} x the volume ({volume_bytes / 2**20:.0f} MiB), "
          f"largest peak RSS {max(peaks.values()) / 2**20:.0f} MiB", flush=True)
    return seconds


def main() -> None:
    import itk

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 384
    patch = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    classes = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    directory = sys.argv[4] if len(sys.argv) > 4 else tempfile.mkdtemp(prefix="patchstreaming-dask-")
    volume, warmup = os.path.join(directory, "volume.mha"), os.path.join(directory, "warmup.mha")
    itk.imwrite(itk.image_from_array(smooth_volume(size)), volume)
    itk.imwrite(itk.image_from_array(smooth_volume(2 * patch)), warmup)
    written = f"{classes} classes -> labels" if classes > 1 else "1 probability channel"
    print(f"{size}^3 float volume, patch {patch}, overlap {patch // 2}, batch 4, Gaussian, {written}; "
          f"{os.cpu_count()} cores", flush=True)
    one = run(1, volume, warmup, patch, classes, directory, size)
    two = run(2, volume, warmup, patch, classes, directory, size)
    print(f"speed-up of 2 workers over 1: {one / two:.2f}x")


if __name__ == "__main__":
    main()
