#!/usr/bin/env bash
# Builds the libFuzzer target with Clang (ASan + UBSan), replays the seed
# corpus fuzz/corpus as a regression test, then fuzzes for a bounded time
# (PATCHSTREAMING_FUZZ_SECONDS, default 60) starting from it. New inputs go to
# the build tree; a failing input is saved there as crash-* and fails the run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PATCHSTREAMING_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${PATCHSTREAMING_FUZZ_SECONDS:-60}"

"$root/scripts/install-dependencies.sh"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -D CMAKE_BUILD_TYPE=RelWithDebInfo \
  -D BUILD_TESTING=OFF -D PatchStreaming_BUILD_FUZZER=ON
cmake --build "$build" --target PatchStreamingFuzzer --parallel "$(nproc)"
fuzzer="$build/fuzz/PatchStreamingFuzzer"

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "replaying the seed corpus ($(ls "$root/fuzz/corpus" | wc -l) inputs)"
"$fuzzer" -runs=0 -artifact_prefix="$build/" "$root/fuzz/corpus"
echo "fuzzing for $seconds s"
mkdir -p "$build/corpus"
"$fuzzer" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$build/" "$build/corpus" "$root/fuzz/corpus"
