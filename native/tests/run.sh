#!/usr/bin/env bash
# Builds the standalone C++ tests of the native core in build-native/ and runs
# them with ctest. Extra arguments go to the CMake configure step, e.g.
#   bash native/tests/run.sh -DHS_WITH_CUDA=OFF
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build-native -DCMAKE_BUILD_TYPE=Release -DHS_BUILD_TESTS=ON "$@"
cmake --build build-native -j2
ctest --test-dir build-native --output-on-failure
