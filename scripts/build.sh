#!/usr/bin/env bash
# Configures (CMake + Ninja) and builds carehub.
#
#   scripts/build.sh [--sanitize] [--debug] [--fuzz] [TARGET...]
#
#   (no flag)    release build in build/        (CMAKE_BUILD_TYPE=RelWithDebInfo: -O2 -g)
#   --debug      debug build in build-debug/    (CMAKE_BUILD_TYPE=Debug)
#   --sanitize   ASan+UBSan build in build-asan/ (CAREHUB_SANITIZE=ON, Debug)
#   --fuzz       libFuzzer harnesses in build-fuzz/ (clang++-14, CAREHUB_FUZZ=ON, -O1; target fuzzers)
#   TARGET...    ninja targets to build (default: all, i.e. the binary and every test suite)
#
# Parallelism is nproc; JOBS=N overrides it. Extra CMake options can be passed in CMAKE_ARGS.
set -euo pipefail

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sanitize=0
debug=0
fuzz=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    --debug) debug=1 ;;
    --fuzz) fuzz=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "build.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done

cmake_args=(-G Ninja)
if ((fuzz)); then
  # -O1 with line tables: fast enough to fuzz, stacks readable; assertions stay on (no NDEBUG).
  build_dir=$root/build-fuzz
  cmake_args+=(-DCMAKE_CXX_COMPILER=clang++-14 -DCAREHUB_FUZZ=ON -DCAREHUB_BUILD_TESTS=OFF
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only")
  ((${#targets[@]})) || targets=(fuzzers)
elif ((sanitize)); then
  build_dir=$root/build-asan
  cmake_args+=(-DCMAKE_BUILD_TYPE=Debug -DCAREHUB_SANITIZE=ON)
elif ((debug)); then
  build_dir=$root/build-debug
  cmake_args+=(-DCMAKE_BUILD_TYPE=Debug -DCAREHUB_SANITIZE=OFF)
else
  build_dir=$root/build
  cmake_args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAREHUB_SANITIZE=OFF)
fi
# shellcheck disable=SC2206 # CMAKE_ARGS is deliberately word-split
[[ -n ${CMAKE_ARGS:-} ]] && cmake_args+=(${CMAKE_ARGS})

jobs=${JOBS:-$(nproc)}

echo "build: configuring $build_dir"
cmake -S "$root" -B "$build_dir" "${cmake_args[@]}"
echo "build: ninja -j$jobs ${targets[*]:-(all)}"
ninja -C "$build_dir" -j "$jobs" "${targets[@]}"

if [[ -x $build_dir/carehub ]]; then
  echo "build: carehub binary: $build_dir/carehub"
else
  echo "build: done in $build_dir (carehub binary not built by these targets)"
fi
