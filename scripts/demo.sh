#!/usr/bin/env bash
# The main job: PatchwiseFilter on the embedded default volume (Debian's T1
# example volume, or a generated phantom where that package is unavailable):
# cut it into overlapping patches, smooth every patch, blend them back with
# Gaussian weighting, and write the result and a preview picture into one folder.
#
# Usage: scripts/demo.sh [input image] [output folder] [more PatchwiseFilter options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PATCHSTREAMING_BUILD_DIR:-$root/build}"

"$root/scripts/build.sh"
t1=/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz
folder="${2:-$build/demo}"
mkdir -p "$folder"
input="${1:-}"
if [[ -z "$input" ]]; then
  if [[ -f "$t1" ]]; then
    input="$t1"
  else
    input="$folder/phantom.nrrd"
    echo "demo: $t1 is not installed; using a generated phantom, $input"
    "$build/examples/PatchStreamingPhantom" "$input"
  fi
fi
name="$(basename "$input")"
name="${name%%.*}"
shift $(($# < 2 ? $# : 2))

echo "demo: PatchwiseFilter $input -> $folder/${name}_patchwise.nrrd"
# The demo's settings, each unless the caller gives that option (either spelling) itself.
demo_options=()
for option in "patch-size 48" "overlap-fraction 0.5" "process gaussian:2" "weighting gaussian" \
  "stream-divisions 4" "preview $folder/${name}_preview.png"; do
  flag="${option%% *}"
  if [[ " $* " != *" --$flag "* && " $* " != *" --$flag="* && " $* " != *" --${flag//-/_} "* && " $* " != *" --${flag//-/_}="* ]]; then
    demo_options+=("--$flag" "${option#* }")
  fi
done
"$build/apps/PatchwiseFilter/PatchwiseFilter" "$input" "$folder/${name}_patchwise.nrrd" "${demo_options[@]}" "$@"
echo "demo: output volume  $folder/${name}_patchwise.nrrd"
echo "demo: preview        $folder/${name}_preview.png"
