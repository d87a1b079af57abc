#!/usr/bin/env bash
# Builds everything in Release and runs the whole test suite with CTest, then
# builds it again with AddressSanitizer + UndefinedBehaviorSanitizer and runs
# the suite under them (any report fails the run), then builds the Python
# wrapping and runs the Python tests (scripts/build-python.sh) while, beside
# them, the fuzzer replays its seed corpus and fuzzes for a bounded time
# (scripts/fuzz.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PATCHSTREAMING_BUILD_DIR:-$root/build}"
sanitized="${PATCHSTREAMING_SANITIZED_BUILD_DIR:-$root/build-sanitized}"

start=$SECONDS
phases=()
# glibc's large blocks in transparent huge pages for the test runs (not the sanitized ones, whose
# allocator is AddressSanitizer's): the network tests' convolution buffers are mapped afresh for
# every batch, and on a virtual machine where a page fault costs 8-12 us that halves their time
# (docs/testing.md). What the tests compute does not depend on it.
huge_pages="GLIBC_TUNABLES=${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1"
phase() { phases+=("$1: $((SECONDS - start)) s"); }
"$root/scripts/build.sh"
phase "Release build"
env "$huge_pages" ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)"
phase "Release tests"

# Only what the sanitized suite runs: the tests and the programs they start,
# at -O1 with line tables only (-g1), as the sanitizers' documentation
# suggests: half the compile time of -O2 -g, and reports still name the line.
cmake -S "$root" -B "$sanitized" -G Ninja -D CMAKE_BUILD_TYPE=RelWithDebInfo -D PatchStreaming_USE_SANITIZERS=ON \
  -D PatchStreaming_BUILD_BENCHMARKS=OFF "-D CMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
  "-D CMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
cmake --build "$sanitized" --target PatchStreamingTests --parallel "$(nproc)"
phase "sanitized build"
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS="suppressions=$root/scripts/lsan-suppressions.txt:print_suppressions=0" \
  ctest --test-dir "$sanitized" --output-on-failure --parallel "$(nproc)"
phase "sanitized tests"

# The fuzzer (its Clang build, then 60 s of fuzzing in one process) runs beside the Python phases,
# in a session of its own (setsid: its process group is its PID, and Ctrl-C goes to this script,
# whose exit stops the whole group); its output is shown when it ends, and its failure fails the run.
fuzz_log="$(mktemp)"
setsid "$root/scripts/fuzz.sh" >"$fuzz_log" 2>&1 &
fuzz_pid=$!
stop_fuzzer() {
  if [[ -n "$(jobs -rp)" ]]; then # still running (once it has ended, its PID may be another process's)
    kill -- "-$fuzz_pid" 2>/dev/null || kill "$fuzz_pid" 2>/dev/null || true # (the group: once setsid has run)
    echo "scripts/fuzz.sh stopped; its output so far:"
  fi
  cat "$fuzz_log"
  rm -f "$fuzz_log"
}
trap stop_fuzzer EXIT

# The Python wrapping: a wrapped ITK built once per machine and cached
# (25–45 minutes cold), this module's wrapping, and the Python tests.
"$root/scripts/build-python.sh"
phase "Python build"
env "$huge_pages" ctest --test-dir "${PATCHSTREAMING_PYTHON_BUILD_DIR:-$root/build-python}" --output-on-failure \
  -L Python --parallel "$(nproc)"
phase "Python tests"
fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?
trap - EXIT
cat "$fuzz_log"
rm -f "$fuzz_log"
((fuzz_status == 0)) || { echo "scripts/fuzz.sh failed (exit status $fuzz_status)"; exit "$fuzz_status"; }
phase "fuzzer (beside the Python phases)"
printf '%s\n' "phases ended at (seconds from the start):" "${phases[@]}"
echo "test command took $((SECONDS - start)) s"
