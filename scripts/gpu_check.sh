#!/usr/bin/env bash
# The checks only a CUDA GPU can run, for a machine that has one: builds the
# device variant (test_cuda and mini_bench only), runs test_cuda against the
# GPU (tests/cuda/real_gpu_test.cpp and every backend test) and the CUDA
# benchmarks. Everything it produces goes under RESULTS_DIR:
#   device.txt      nvidia-smi and nvcc versions
#   configure.log, build.log
#   test_cuda.log, test_cuda.xml
#   bench_cuda.log, bench_cuda.json
# Usage: scripts/gpu_check.sh RESULTS_DIR   (build dir: $MINI_GPU_BUILD_DIR, default build-gpu)
# Sized for ~10 minutes on 16 cores: each step has a timeout, and a failed
# step still leaves its log. Exits non-zero if any step failed.
set -uo pipefail
results=${1:?usage: scripts/gpu_check.sh RESULTS_DIR}
mkdir -p "$results"
results=$(cd "$results" && pwd)
cd "$(dirname "$0")/.."
build_dir=${MINI_GPU_BUILD_DIR:-build-gpu}
generator=Ninja
command -v ninja > /dev/null || generator="Unix Makefiles"

status=0
step() {  # step NAME SECONDS COMMAND...: runs COMMAND with a timeout, logging to RESULTS_DIR/NAME.log
  local name=$1 seconds=$2
  shift 2
  local start=$SECONDS
  timeout "$seconds" "$@" > "$results/$name.log" 2>&1
  local rc=$?
  echo "$name: exit $rc after $((SECONDS - start)) s"
  if [ "$rc" -ne 0 ]; then
    tail -n 25 "$results/$name.log"
    status=1
  fi
  return "$rc"
}

{ nvidia-smi; nvcc --version; } > "$results/device.txt" 2>&1
step configure 120 cmake -S . -B "$build_dir" -G "$generator" -DCMAKE_BUILD_TYPE=Release -DMINI_CUDA=ON \
  -DMINI_BUILD_BENCH=ON || exit 1
grep -E "CUDA backend|cuDNN" "$results/configure.log"
step build 420 cmake --build "$build_dir" -j16 --target test_cuda mini_bench || exit 1

step test_cuda 240 "$build_dir/tests/test_cuda" --gtest_output="xml:$results/test_cuda.xml" &&
  grep -E "^\[  (PASSED|SKIPPED) " "$results/test_cuda.log"

step bench_cuda 240 "$build_dir/bench/mini_bench" --benchmark_filter=Cuda --benchmark_min_time=0.2 \
  --benchmark_out="$results/bench_cuda.json" --benchmark_out_format=json &&
  cat "$results/bench_cuda.log"
exit "$status"
