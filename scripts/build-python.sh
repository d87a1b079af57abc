#!/usr/bin/env bash
# Builds the Python wrapping of PatchStreaming:
#  1. a minimal ITK 5.2.1 with Python wrapping, from Debian's source package,
#     into a cache outside the clone (~/.cache/patchstreaming, or
#     $PATCHSTREAMING_ITK_CACHE), keyed on the ITK version and the configure
#     flags and reused when it is complete (25–45 minutes cold on 2 cores);
#  2. this module against that ITK build tree through ITK's remote-module path
#     (include(ITKModuleExternal)), into build-python/ (or
#     $PATCHSTREAMING_PYTHON_BUILD_DIR), with the Python tests registered in CTest.
# Writes build-python/env.sh, which sets PYTHONPATH for `import itk, patchstreaming`
# (`source build-python/env.sh`), and prints it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${PATCHSTREAMING_ITK_CACHE:-$HOME/.cache/patchstreaming}"
module_build="${PATCHSTREAMING_PYTHON_BUILD_DIR:-$root/build-python}"
python=/usr/bin/python3 # Debian's, which has numpy and torch
itk_version=5.2.1
start=$SECONDS

# Debian's swig, castxml, Python, numpy and PyTorch; dpkg-dev for apt-get source; tqdm, pytest,
# Dask, distributed and zarr for the patchstreaming package and its tests.
"$root/scripts/install-dependencies.sh" dpkg-dev swig castxml python3-dev python3-numpy python3-torch python3-tqdm python3-pytest \
  python3-dask python3-distributed python3-zarr

# Only the modules the module and its Python code and tests need (ITKCommon, and ITKMesh, whose
# MeshRegion ITKCommon's wrapping lists; image IO for MetaImage, NIfTI and NRRD, which pulls in
# ITKTransform, ITKStatistics and ITKImageFilterBase, whose CastImageFilter the package's errors
# suggest; numpy's bridge), not its C++ tests' (they run in the standalone build); float pixels,
# 2-4 D, and unsigned char and unsigned short pixels for label maps. Multi-channel float images are
# itk.VectorImage (which itk.image_from_array makes for is_vector=True), so itk::Vector pixels are
# not wrapped: 13 % fewer wrapped types.
itk_flags=(
  -D CMAKE_BUILD_TYPE=Release -D BUILD_SHARED_LIBS=ON -D BUILD_TESTING=OFF -D BUILD_EXAMPLES=OFF
  -D ITK_FORBID_DOWNLOADS=ON -D ITK_BUILD_DEFAULT_MODULES=OFF -D ITKGroup_Core=OFF
  -D Module_ITKCommon=ON -D Module_ITKIOImageBase=ON -D Module_ITKIOMeta=ON -D Module_ITKIONIFTI=ON
  -D Module_ITKIONRRD=ON -D Module_ITKBridgeNumPy=ON -D Module_ITKMesh=ON
  -D ITK_WRAP_PYTHON=ON -D ITK_USE_SYSTEM_SWIG=ON -D ITK_USE_SYSTEM_CASTXML=ON -D Python3_EXECUTABLE=$python
  "-D ITK_WRAP_IMAGE_DIMS=2;3;4" "-D ITK_WRAP_VECTOR_COMPONENTS=2;3;4" -D ITK_WRAP_float=ON -D ITK_WRAP_vector_float=OFF
  -D ITK_WRAP_unsigned_char=ON -D ITK_WRAP_unsigned_short=ON
)
for type in double complex_float complex_double covariant_vector_float covariant_vector_double vector_double \
  rgb_unsigned_char rgb_unsigned_short rgba_unsigned_char rgba_unsigned_short signed_char signed_short signed_long \
  signed_long_long unsigned_long unsigned_long_long; do
  itk_flags+=(-D "ITK_WRAP_$type=OFF")
done
# Four edits to ITK's source: numpy 1.24 removed np.bool, which ITK 5.2.1's
# Python support still uses; itk.PyImageFilter (a filter whose GenerateData
# is a Python callable) is wrapped only for unsigned integer pixels in 5.2.1,
# so it is wrapped for the real (float) pixel type too; ITKPyBase lists
# std::ios_base::sync_with_stdio and xalloc as classes, which Debian's swig
# 4.1 does not generate, so every `import itk` printed four lines about them;
# and itkImageDuplicator.wrap passes the list of wrapped vector types unquoted
# to string(REGEX MATCHALL), which fails to configure when the list is empty.
patch_source() {
  sed -i 's/\bnp\.bool)/np.bool_)/' "$1/Wrapping/Generators/Python/itk/support/types.py"
  sed -i 's/itk_wrap_image_filter("${WRAP_ITK_USIGN_INT}" 2)/itk_wrap_image_filter("${WRAP_ITK_USIGN_INT};${WRAP_ITK_REAL}" 2)/' \
    "$1/Wrapping/Generators/Python/PyUtils/itkPyImageFilter.wrap"
  sed -i '/"ios_base_sync_with_stdio"\|"ios_base_xalloc"/d' "$1/Wrapping/Generators/Python/PyBase/CMakeLists.txt"
  sed -i 's/VectorTypes ${WRAP_ITK_VECTOR})/VectorTypes "${WRAP_ITK_VECTOR}")/' \
    "$1/Modules/Core/Common/wrapping/itkImageDuplicator.wrap"
}
key="$(printf '%s\n' "$itk_version" "${itk_flags[@]}" "$(declare -f patch_source)" | sha256sum | cut -c1-12)"
itk_root="$cache/itk-$itk_version-python-$key"
itk_source="$itk_root/source"
itk_build="$itk_root/build"
stamp="$itk_build/patchstreaming-complete"
# A fixed build date: a re-configure then rewrites nothing and relinks nothing.
export SOURCE_DATE_EPOCH=1600000000

if [[ -f "$stamp" ]]; then
  echo "reusing the wrapped ITK in $itk_build"
else
  if [[ ! -d "$itk_source" ]]; then
    # Debian's source package, through a deb-src copy of the machine's Debian entry.
    if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
          >/etc/apt/sources.list.d/patchstreaming-deb-src.sources
      else
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/patchstreaming-deb-src.list
      fi
      "$root/scripts/apt-get-locked.sh" update -q
    fi
    download="$itk_root/download"
    rm -rf "$download" && mkdir -p "$download"
    (cd "$download" && "$root/scripts/apt-get-locked.sh" source -q insighttoolkit5)
    patch_source "$download/insighttoolkit5-$itk_version"
    mv "$download/insighttoolkit5-$itk_version" "$itk_source"
    rm -rf "$download"
  fi
  echo "building the wrapped ITK in $itk_build (25–45 minutes on 2 cores)"
  cmake -S "$itk_source" -B "$itk_build" -G Ninja "${itk_flags[@]}"
  cmake --build "$itk_build" --parallel "$(nproc)"
  printf '%s\n' "${itk_flags[@]}" >"$stamp"
  echo "wrapped ITK built in $((SECONDS - start)) s"
fi

# This module, through ITK's remote-module path (ITKModuleExternal needs the
# build tree, with its source tree beside it). A module build configured against
# another wrapped ITK (other flags, another key) keeps that tree's output paths in
# its cache, and would write the module's wrapping there: its cache is started afresh
# (cmake --fresh, CMake 3.24 and later; Debian 12 has 3.25).
fresh=()
if [[ -f "$module_build/CMakeCache.txt" ]]; then
  output="$(sed -n 's/^CMAKE_LIBRARY_OUTPUT_DIRECTORY:PATH=//p' "$module_build/CMakeCache.txt")"
  if [[ "$output" != "\$<1:$itk_build/"* && "$output" != "$itk_build/"* ]]; then
    echo "$module_build was configured against another wrapped ITK: configuring it afresh"
    fresh=(--fresh)
  fi
fi
cmake "${fresh[@]}" -S "$root" -B "$module_build" -G Ninja -D CMAKE_BUILD_TYPE=Release -D "ITK_DIR=$itk_build" \
  -D ITK_USE_SYSTEM_SWIG=ON -D ITK_USE_SYSTEM_CASTXML=ON -D BUILD_TESTING=ON -D ITK_USE_KWSTYLE=OFF \
  -D ITK_USE_CLANG_FORMAT=OFF -D "Python3_EXECUTABLE=$python"
cmake --build "$module_build" --parallel "$(nproc)"
echo "wrapped ITK and PatchStreaming built in $((SECONDS - start)) s"
python_path="$itk_build/Wrapping/Generators/Python"
printf '# Sets PYTHONPATH for the wrapped ITK and patchstreaming (made by scripts/build-python.sh).\nexport PYTHONPATH="%s${PYTHONPATH:+:$PYTHONPATH}"\n' \
  "$python_path" >"$module_build/env.sh"
echo "to use them: source $module_build/env.sh (PYTHONPATH=$python_path), then $python -c 'import itk, patchstreaming'"
echo "Python tests: ctest --test-dir $module_build -L Python"
