#!/usr/bin/env bash
# Configures and builds the project in Release into build/ (or $PATCHSTREAMING_BUILD_DIR):
# everything, or only the targets given as arguments and what they need
# (scripts/build.sh PatchStreamingDemo: what scripts/demo.sh runs).
set -euo pipefail
if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  echo "usage: scripts/build.sh [TARGET...]   (no target: everything; PatchStreamingDemo: what scripts/demo.sh runs)"
  exit 0
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PATCHSTREAMING_BUILD_DIR:-$root/build}"

"$root/scripts/install-dependencies.sh"
cmake -S "$root" -B "$build" -G Ninja -D CMAKE_BUILD_TYPE=Release
cmake --build "$build" --parallel "$(nproc)" ${1:+--target "$@"}
