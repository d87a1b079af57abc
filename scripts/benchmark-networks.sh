#!/usr/bin/env bash
# The network benchmark (docs/networks.md): TorchScriptPatchImageFilter's
# pipeline against libtorch's bare forward passes at 256^3, and the peak RSS of
# a 16-class network turned into labels with 8 writer divisions (patch 64 and 32).
# Each run is its own process, so each peak RSS is its own.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PATCHSTREAMING_BUILD_DIR:-$root/build}"
work="${1:-$build/networks}"

"$root/scripts/build.sh"
mkdir -p "$work"
/usr/bin/python3 "$root/test/torch/make_segmentation_model.py" "$work/models"
program="$build/benchmark/PatchStreamingTorchInference"
"$program" overhead "$work/models/segmentation.pt" 256 96 48 4 "$work"
echo
"$program" memory "$work/models/segmentation_16class.pt" 256 64 32 8 "$work"
echo
"$program" memory "$work/models/segmentation_16class.pt" 256 32 16 8 "$work"
