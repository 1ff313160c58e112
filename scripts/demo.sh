#!/usr/bin/env bash
# Installs dependencies, builds `mini-engine`, and runs the main job: training
# the README's Fashion-MNIST MLP (examples/fashion_mnist_mlp.yaml, 2 epochs).
# Extra arguments are passed to `mini-engine train` (e.g. train_cfg.max_epochs=5).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMINI_MARCH=native
cmake --build build -j2 --target mini-engine
build/mini-engine train examples/fashion_mnist_mlp.yaml "$@"
