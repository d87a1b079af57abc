#!/usr/bin/env bash
# The out-of-core benchmark (docs/out-of-core.md): disk to disk at 512^3 (16
# writer divisions and none), 384^3 with a 16-class model to a label map,
# 192^3 with 100 classes in 12 divisions (the memory formula's example), and
# the threading comparison. Each run is its own process, so each peak RSS is its own.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PATCHSTREAMING_BUILD_DIR:-$root/build}"
work="${1:-$build/out-of-core}"

"$root/scripts/build.sh"
mkdir -p "$work"
program="$build/benchmark/PatchStreamingOutOfCore"
"$program" smooth 512 96 48 16 16 "$work"
echo
"$program" smooth 512 96 48 1 16 "$work"
echo
"$program" classes 384 64 32 16 16 "$work"
echo
"$program" classes 192 64 16 12 100 "$work"
echo
"$program" threads 512 96 48 16 16 "$work"
