#!/usr/bin/env bash
# The main job: cut the embedded default T1 volume into overlapping patches,
# merge them back, write the result and report what happened.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PATCHSTREAMING_BUILD_DIR:-$root/build}"

"$root/scripts/build.sh"
input="${1:-/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz}"
output="${2:-$build/demo/T1_merged.nrrd}"
mkdir -p "$(dirname "$output")"
"$build/examples/PatchStreamingRoundTrip" "$input" "$output"
