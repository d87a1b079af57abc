#!/usr/bin/env bash
# The main job, end to end, on the embedded default volume (Debian's T1 example
# volume, or a generated phantom where that package is unavailable), after
# building what it runs (scripts/build.sh PatchStreamingDemo):
#  1. train a small 3-class 3-D network for at most a minute on patches drawn
#     from the volume by patchstreaming.PatchDataset, against three k-means
#     intensity classes as the stand-in ground truth, and export it as
#     TorchScript (python/examples/train_segmentation.py). PatchDataset needs the
#     wrapped ITK: the first run builds it with scripts/build-python.sh
#     (25–45 minutes cold on 2 cores, cached in ~/.cache/patchstreaming; later runs
#     take seconds). PATCHSTREAMING_DEMO_TRAIN=0 skips the training and runs the
#     fixed, untrained test network (test/torch/make_segmentation_model.py)
#     instead, as does a failed build of the wrapping; the output says so.
#  2. PatchwiseFilter: cut the volume into overlapping patches, run the network on
#     every patch in batches, blend the class probabilities back with Gaussian
#     weighting and write their argmax, a label map, and a preview picture with
#     the labels in colour into one folder.
# Where the build has no libtorch (or Debian's Python has no torch), every patch
# is smoothed instead and the smoothed volume written.
#
# Usage: scripts/demo.sh [input image] [output folder] [more PatchwiseFilter options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PATCHSTREAMING_BUILD_DIR:-$root/build}"

folder="${2:-$build/demo}"
mkdir -p "$folder"
# The build's own output (apt, cmake, ninja) goes to a log, so that the demo's lines are what it prints.
echo "demo: scripts/build.sh PatchStreamingDemo (Debian packages and a Release build the first time: minutes), log" \
  "$folder/build.log"
if ! "$root/scripts/build.sh" PatchStreamingDemo >"$folder/build.log" 2>&1; then
  tail -n 30 "$folder/build.log" >&2
  echo "demo: the build failed (above, the end of $folder/build.log)" >&2
  exit 1
fi
t1=/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz
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

# Prints the model file to run: the network trained on $1 into folder $2, or
# the fixed test network when the training is switched off or the wrapped ITK
# cannot be built (said on stderr).
train_model() {
  local log="$2/build-python.log" why=""
  if [[ "${PATCHSTREAMING_DEMO_TRAIN:-1}" == 0 ]]; then
    why="PATCHSTREAMING_DEMO_TRAIN=0"
  else
    echo "demo: scripts/build-python.sh (the wrapped ITK for PatchDataset; 25–45 minutes the first time), log $log" >&2
    if "$root/scripts/build-python.sh" >"$log" 2>&1; then
      echo "demo: training a 3-class network on $1 for at most 60 s" >&2
      (
        source "${PATCHSTREAMING_PYTHON_BUILD_DIR:-$root/build-python}/env.sh"
        /usr/bin/python3 "$root/python/examples/train_segmentation.py" "$1" "$2" --seconds 60 >&2
      ) || return 1
      echo "$2/segmentation_trained.pt"
      return
    fi
    why="scripts/build-python.sh failed (see $log)"
  fi
  echo "demo: NOT TRAINED ($why): running the fixed, untrained test network instead" >&2
  /usr/bin/python3 "$root/test/torch/make_segmentation_model.py" "$build/torch-models" >&2 || return 1
  echo "$build/torch-models/segmentation.pt"
}

# The network needs PatchStreamingTorch (built when libtorch is found) and
# Debian's Python with torch to make the model (python3 on PATH may not have it).
if compgen -G "$build/src/libPatchStreamingTorch*" > /dev/null && /usr/bin/python3 -c "import torch" 2> /dev/null; then
  model="$(train_model "$input" "$folder")"
  output="$folder/${name}_labels.nrrd"
  settings=("model $model" "output-type labels" "patch-size 64,64,32")
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
