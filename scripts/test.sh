#!/usr/bin/env bash
# Builds everything in Release and runs the whole test suite with CTest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PATCHSTREAMING_BUILD_DIR:-$root/build}"

start=$SECONDS
"$root/scripts/build.sh"
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)"
echo "test command took $((SECONDS - start)) s"
