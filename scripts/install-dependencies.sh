#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, and
# any packages named as arguments, when missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libinsighttoolkit5-dev   # ITK 5.2.1
  libgdcm-tools            # GDCM's programs, which ITK's CMake configuration imports: without them
                           # every configure prints a paragraph for each of the 15 missing files
  libgtest-dev libbenchmark-dev # the tests; the benchmark programs (benchmark/)
  clang libclang-rt-14-dev # the libFuzzer target (scripts/fuzz.sh)
  libcli11-dev libvtk9-dev # PatchwiseFilter: its argument parser and its preview picture
  zlib1g-dev               # and its check of compressed input files
  libexpat1-dev            # the test of its 3D Slicer XML
  libtorch-dev python3-torch python3-numpy # TorchScriptPatchImageFilter; its test networks and PyTorch reference
  "$@"
)

apt_get="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/apt-get-locked.sh" # one apt-get at a time

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "$apt_get" update -q
  "$apt_get" install -y -q --no-install-recommends "${missing[@]}"
fi

# The T1 volume the demo and the tests run on; where the package is not
# available the demo generates a phantom instead (scripts/demo.sh).
if ! dpkg-query -W -f='${Status}' insighttoolkit5-examples 2>/dev/null | grep -q "install ok installed"; then
  { ((${#missing[@]})) || "$apt_get" update -q; } && DEBIAN_FRONTEND=noninteractive \
    "$apt_get" install -y -q --no-install-recommends insighttoolkit5-examples ||
    echo "insighttoolkit5-examples is not available: the demo will use a generated phantom"
fi
