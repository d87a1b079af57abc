#!/usr/bin/env python3
"""Prints the performance table from scripts/benchmark.sh's results (Markdown).

Every figure is a ratio to a baseline of the same run: extraction and merge
time over memcpy of the stack's bytes with the same threads, the naive merge
over ours, the argmax of 4 voxels at once over one after another, the k^3 kernel and ITK's filters over the separable passes, and the
round trip over memcpy of twice the stack's bytes.
"""
import json
import sys
from pathlib import Path

WEIGHTINGS = {"0": "Average", "1": "Gaussian", "3": "Crop"}


def parameters(name):
    """'BM_Merge/weighting:1/patch:96/overlap:48/threads:1/real_time_median' -> ('BM_Merge', {...})."""
    parts = name.split("/")
    values = dict(part.split(":") for part in parts[1:] if ":" in part)
    values.pop("iterations", None)  # a fixed iteration count is not a parameter
    return parts[0], values


def load(path, aggregate="median"):
    results = {}
    for run in json.loads(Path(path).read_text())["benchmarks"]:
        if run.get("run_type") == "aggregate" and run.get("aggregate_name") != aggregate:
            continue
        kind, values = parameters(run["run_name"] if "run_name" in run else run["name"])
        results[(kind, tuple(sorted(values.items())))] = run
    return results


def find(results, kind, **values):
    key = (kind, tuple(sorted((k, str(v)) for k, v in values.items())))
    return results[key]


def milliseconds(run):
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[run["time_unit"]]
    return run["real_time"] * scale


def throughput(folder):
    results = load(folder / "throughput.json")
    threads = sorted({int(dict(k[1])["threads"]) for k in results if k[0] == "BM_Memcpy"})
    most = threads[-1]
    print("### Extraction and merge, 256³ float (time over memcpy of the stack's bytes with the same threads)\n")
    print("| operation | patch/overlap | stack MiB | ms, 1 thread | ×memcpy | ms, %d threads | ×memcpy "
          "| speed-up | memcpy's speed-up |" % most)
    print("|---|---|---|---|---|---|---|---|---|")
    runs = [("extract", "BM_Extract", {})] + [
        ("merge " + name, "BM_Merge", {"weighting": w}) for w, name in WEIGHTINGS.items()]
    for label, kind, extra in runs:
        for patch, overlap in ((96, 48), (64, 32), (128, 64)):
            memcpy = {t: find(results, "BM_Memcpy", patch=patch, overlap=overlap, threads=t) for t in threads}
            timed = {t: find(results, kind, patch=patch, overlap=overlap, threads=t, **extra) for t in threads}
            mib = memcpy[1]["bytes_per_second"] * milliseconds(memcpy[1]) / 1e3 / 2**20
            print("| %s | %d/%d | %.0f | %.0f | %.2f | %.0f | %.2f | %.2f | %.2f |" % (
                label, patch, overlap, mib,
                milliseconds(timed[1]), milliseconds(timed[1]) / milliseconds(memcpy[1]),
                milliseconds(timed[most]), milliseconds(timed[most]) / milliseconds(memcpy[most]),
                milliseconds(timed[1]) / milliseconds(timed[most]),
                milliseconds(memcpy[1]) / milliseconds(memcpy[most])))
    print()
    print("| naive merge (full-size sum and count) | patch/overlap | ms, 1 thread | ×memcpy | ×our Average merge |")
    print("|---|---|---|---|---|")
    for patch, overlap in ((96, 48), (64, 32), (128, 64)):
        naive = find(results, "BM_NaiveMerge", patch=patch, overlap=overlap)
        memcpy = find(results, "BM_Memcpy", patch=patch, overlap=overlap, threads=1)
        ours = find(results, "BM_Merge", weighting=0, patch=patch, overlap=overlap, threads=1)
        print("| naive | %d/%d | %.0f | %.2f | %.1f |" % (
            patch, overlap, milliseconds(naive), milliseconds(naive) / milliseconds(memcpy),
            milliseconds(naive) / milliseconds(ours)))
    print()


def argmax(folder):
    results = load(folder / "throughput.json")
    print("### Argmax of C float scores per voxel, 128 × 128 × 64 voxels, one thread "
          "(4 voxels at once over one after another)\n")
    print("| classes | one by one ms | 4 at once ms | speed-up |")
    print("|---|---|---|---|")
    for classes in (3, 16, 100):
        one, four = (milliseconds(find(results, "BM_Argmax", classes=classes, at_once=n)) for n in (1, 4))
        print("| %d | %.1f | %.1f | %.2f |" % (classes, one, four, one / four))
    print()


def gaussian(folder):
    results = load(folder / "gaussian.json", aggregate=None)
    print("### Per-patch Gaussian, one thread (time over the separable passes; max |difference| from them)\n")
    print("| input | sigma | kernel width | separable ms | k³ kernel ×separable | k³ max diff "
          "| DiscreteGaussian ×separable | its max diff | SmoothingRecursiveGaussian ×separable | its max diff |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for input_index, input_name in (("0", "128³ volume"), ("1", "4 patches of 96³")):
        for sigma in ("1", "2", "4"):
            runs = {kind: find(results, kind, sigma=sigma, input=input_index)
                    for kind in ("BM_Separable", "BM_FullKernel", "BM_DiscreteGaussian", "BM_RecursiveGaussian")}
            separable = milliseconds(runs["BM_Separable"])
            print("| %s | %s | %d | %.1f | %.1f | %.1e | %.2f | %.1e | %.2f | %.1e |" % (
                input_name, sigma, runs["BM_Separable"]["kernel_width"], separable,
                milliseconds(runs["BM_FullKernel"]) / separable, runs["BM_FullKernel"]["max_diff_vs_separable"],
                milliseconds(runs["BM_DiscreteGaussian"]) / separable,
                runs["BM_DiscreteGaussian"]["max_diff_vs_separable"],
                milliseconds(runs["BM_RecursiveGaussian"]) / separable,
                runs["BM_RecursiveGaussian"]["max_diff_vs_separable"]))
    print()


def round_trip(folder):
    print("### Round trip extract → identity → merge, 384³ float, patch 96, overlap 48 (PatchRoundTrip)\n")
    print("| weighting | threads | seconds | ×memcpy of 2× stack bytes | extra peak RSS (× volume) | max error |")
    print("|---|---|---|---|---|---|")
    for line in (folder / "roundtrip.txt").read_text().splitlines():
        values = dict(item.split("=") for item in line.split())
        print("| %s | %s | %.2f | %.2f | %.2f | %.1e |" % (
            values["weighting"], values["threads"], float(values["seconds"]), float(values["ratio_to_memcpy"]),
            float(values["extra_peak_rss_volumes"]), float(values["max_abs_error"])))
    print()


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    throughput(folder)
    argmax(folder)
    gaussian(folder)
    round_trip(folder)
