#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMINI_MARCH=native
cmake --build build -j2 --target tensor_demo
build/tensor_demo
