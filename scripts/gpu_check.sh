#!/usr/bin/env bash
# The checks only a CUDA GPU can run, in two halves, because the GPU machines
# lent to this project have the CUDA toolkit and Python but none of the
# Debian -dev packages the build needs (and device time is short):
#
#   scripts/gpu_check.sh pack DIR            here: builds the device variant of
#       test_cuda, test_golden and mini_bench (portable -march=x86-64-v3, CUDA
#       code for sm_90), strips them and copies them with the non-CUDA shared
#       libraries they need into DIR (about 48 MiB). Name DIR build-gpu-pack
#       (git-ignored) and carry it to the GPU machine with the working tree.
#   scripts/gpu_check.sh run DIR RESULTS     on the GPU machine, from the repo
#       root: runs test_cuda (every backend test plus tests/cuda/real_gpu_test.cpp),
#       the PyTorch golden cases on cuda, and the CUDA benchmarks, each with a
#       timeout (about 7 minutes at most in all), logs under RESULTS:
#       device.txt, test_cuda.log/.xml, golden_cuda.log/.xml, bench_cuda.log/.json
#
# The CUDA libraries come from the machine: /usr/local/cuda/lib*, or the pip
# wheels (nvidia-*-cu13) a PyTorch install carries. Exits non-zero if a step failed.
set -uo pipefail
mode=${1:-}
cd "$(dirname "$0")/.." || exit 1

status=0
step() {  # step NAME SECONDS LOG_DIR COMMAND...: COMMAND with a timeout, logged to LOG_DIR/NAME.log
  local name=$1 seconds=$2 logs=$3
  shift 3
  local start=$SECONDS
  timeout "$seconds" "$@" > "$logs/$name.log" 2>&1
  local rc=$?
  echo "$name: exit $rc after $((SECONDS - start)) s"
  if [ "$rc" -ne 0 ]; then
    tail -n 25 "$logs/$name.log"
    status=1
  fi
  return "$rc"
}

pack() {
  local out=${1:?usage: scripts/gpu_check.sh pack DIR}
  local build_dir=${MINI_GPU_BUILD_DIR:-build-gpu}
  mkdir -p "$out/bin" "$out/lib"
  out=$(cd "$out" && pwd)
  step configure 300 "$out" cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMINI_CUDA=ON \
    -DMINI_MARCH=x86-64-v3 -DMINI_BUILD_BENCH=ON || exit 1
  grep -E "CUDA backend|cuDNN" "$out/configure.log"
  step build 3600 "$out" cmake --build "$build_dir" -j"$(nproc)" --target test_cuda test_golden mini_bench || exit 1
  for binary in tests/test_cuda tests/test_golden bench/mini_bench; do
    strip -o "$out/bin/$(basename "$binary")" "$build_dir/$binary"
  done
  # Shared libraries that are neither glibc/libstdc++ (on every Linux) nor CUDA's (on the GPU machine).
  ldd "$out"/bin/* | awk '/=> \// {print $3}' | sort -u |
    grep -vE '/(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+)\.so|/libcu|/libnv' |
    while read -r library; do cp -L "$library" "$out/lib/"; done
  du -sh "$out"
}

# Directories holding the CUDA runtime, cuBLAS and cuDNN on this machine.
cuda_library_path() {
  local dirs=(/usr/local/cuda/lib64 /usr/local/cuda/lib)
  local site
  for site in $(python3 -c 'import site, sys; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' 2> /dev/null); do
    dirs+=("$site"/nvidia/*/lib)
  done
  local path="" dir
  for dir in "${dirs[@]}"; do
    [ -d "$dir" ] && path="$path${path:+:}$dir"
  done
  echo "$path"
}

run() {
  local packed=${1:?usage: scripts/gpu_check.sh run DIR RESULTS} results=${2:?usage: scripts/gpu_check.sh run DIR RESULTS}
  mkdir -p "$results"
  results=$(cd "$results" && pwd)
  packed=$(cd "$packed" && pwd)
  local cuda_path
  cuda_path=$(cuda_library_path)
  export LD_LIBRARY_PATH="$packed/lib:$cuda_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export MINI_TEST_DATA_DIR="$PWD/tests"
  { nvidia-smi; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; ldd "$packed/bin/test_cuda"; } > "$results/device.txt" 2>&1
  step test_cuda 150 "$results" "$packed/bin/test_cuda" --gtest_output="xml:$results/test_cuda.xml" &&
    grep -E "^\[  (PASSED|SKIPPED|FAILED) " "$results/test_cuda.log"
  step golden_cuda 90 "$results" "$packed/bin/test_golden" --gtest_filter='Cuda/*' \
    --gtest_output="xml:$results/golden_cuda.xml" &&
    grep -E "^\[  (PASSED|SKIPPED|FAILED) " "$results/golden_cuda.log"
  step bench_cuda 180 "$results" "$packed/bin/mini_bench" --benchmark_filter=Cuda --benchmark_min_time=0.2 \
    --benchmark_out="$results/bench_cuda.json" --benchmark_out_format=json &&
    cat "$results/bench_cuda.log"
}

case "$mode" in
  pack) pack "${2:-}" ;;
  run) run "${2:-}" "${3:-}" ;;
  *)
    echo "usage: scripts/gpu_check.sh pack DIR | run DIR RESULTS" >&2
    exit 2
    ;;
esac
exit "$status"
