#!/usr/bin/env bash
# The main job: PatchwiseFilter on the embedded default volume (Debian's T1
# example volume, or a generated phantom where that package is unavailable):
# cut it into overlapping patches, run the test segmentation network
# (test/torch/make_segmentation_model.py, made into the build folder) on every
# patch in batches, blend the class probabilities back with Gaussian weighting
# and write their argmax, a label map, and a preview picture with the labels in
# colour into one folder. Where the build has no libtorch (or Debian's Python
# has no torch), every patch is smoothed instead and the smoothed volume written.
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

# The network needs PatchStreamingTorch (built when libtorch is found) and
# Debian's Python with torch to make the model (python3 on PATH may not have it).
if compgen -G "$build/src/libPatchStreamingTorch*" > /dev/null && /usr/bin/python3 -c "import torch" 2> /dev/null; then
  /usr/bin/python3 "$root/test/torch/make_segmentation_model.py" "$build/torch-models"
  output="$folder/${name}_labels.nrrd"
  settings=("model $build/torch-models/segmentation.pt" "output-type labels" "patch-size 64,64,32")
else
  echo "demo: this build has no libtorch (or /usr/bin/python3 has no torch): smoothing every patch instead"
  output="$folder/${name}_patchwise.nrrd"
  settings=("patch-size 48" "process gaussian:2")
fi
echo "demo: PatchwiseFilter $input -> $output"
# The demo's settings, each unless the caller gives that option (either spelling) itself.
demo_options=()
for option in "${settings[@]}" "overlap-fraction 0.5" "weighting gaussian" "stream-divisions 4" \
  "preview $folder/${name}_preview.png"; do
  flag="${option%% *}"
  if [[ " $* " != *" --$flag "* && " $* " != *" --$flag="* && " $* " != *" --${flag//-/_} "* && " $* " != *" --${flag//-/_}="* ]]; then
    demo_options+=("--$flag" "${option#* }")
  fi
done
"$build/apps/PatchwiseFilter/PatchwiseFilter" "$input" "$output" "${demo_options[@]}" "$@"
echo "demo: output volume  $output"
echo "demo: preview        $folder/${name}_preview.png"
