#!/usr/bin/env bash
# The performance table of the README: runs the Google Benchmark programs
# (benchmark/) and the round-trip program, then prints one table in which
# every figure is a ratio to a baseline measured in the same run.
#
# Usage: scripts/benchmark.sh [output folder]   (JSON and the table are kept there)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PATCHSTREAMING_BUILD_DIR:-$root/build}"
out="${1:-$build/benchmark-results}"

"$root/scripts/install-dependencies.sh" python3
"$root/scripts/build.sh"
mkdir -p "$out"
"$build/benchmark/PatchThroughputBenchmark" --benchmark_out="$out/throughput.json" --benchmark_out_format=json \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
"$build/benchmark/GaussianSmoothingBenchmark" --benchmark_out="$out/gaussian.json" --benchmark_out_format=json
: > "$out/roundtrip.txt"
for threads in 1 "$(nproc)"; do
  for weighting in Average Gaussian Crop; do
    "$build/benchmark/PatchRoundTrip" --size 384 --patch 96 --overlap 48 --weighting "$weighting" \
      --threads "$threads" | tee -a "$out/roundtrip.txt"
  done
done
python3 "$root/scripts/benchmark-table.py" "$out" | tee "$out/table.md"
