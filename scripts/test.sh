#!/usr/bin/env bash
# Installs dependencies, builds everything and runs the whole test suite.
# Usage: scripts/test.sh [build-dir]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}

scripts/setup.sh
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMINI_MARCH=native -DMINI_WERROR=ON
cmake --build "$build_dir" -j2
# Tests use the pool's two threads themselves; ctest runs test programs one at a time.
ctest --test-dir "$build_dir" --output-on-failure --timeout 600
