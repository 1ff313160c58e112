// CUDA backend benchmarks: GPU only. Without a device (always in CI) every
// benchmark reports an error and returns at once; the emulator's speed says
// nothing about a GPU's.
//
// Targets on an H100 (HBM3, ~3.3 TB/s; ~60 TFLOP/s f32 without tensor cores):
// elementwise add and softmax near memory bandwidth, the tiled GEMM kernel a
// fraction of cuBLAS (which matmul uses for f32).
#include <benchmark/benchmark.h>

#include "tensor/backend.h"
#include "tensor/ops/factory.h"

#if defined(MINI_HAS_CUDA_DEVICE)
#include "cuda/cuda.h"
#endif

namespace mini {
namespace {

bool have_gpu(benchmark::State& state) {
#if defined(MINI_HAS_CUDA_DEVICE)
  static const bool available = cuda::register_device_backend();
#else
  const bool available = false;
#endif
  if (!available) state.SkipWithError("no CUDA device");
  return available;
}

Tensor device_tensor(const Shape& sizes) {
  Tensor t = ops::empty(sizes, {.dtype = DType::f32, .device = Device::cuda()});
  backend_for(Device::cuda()).random_uniform(t, {1, 0}, -1, 1);
  return t;
}

void BM_CudaAdd(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int64_t n = state.range(0);
  const Tensor a = device_tensor({n}), b = device_tensor({n}), c = device_tensor({n});
  Backend& backend = backend_for(Device::cuda());
  for (auto _ : state) {
    backend.binary(BinaryOp::add, c, a, b);
    backend.synchronize();
  }
  state.SetBytesProcessed(state.iterations() * n * 12);
}
BENCHMARK(BM_CudaAdd)->Arg(1 << 24)->UseRealTime();

void BM_CudaSoftmaxRows(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const Tensor x = device_tensor({4096, state.range(0)}), y = device_tensor({4096, state.range(0)});
  Backend& backend = backend_for(Device::cuda());
  for (auto _ : state) {
    backend.softmax(y, x, 1, false);
    backend.synchronize();
  }
  state.SetBytesProcessed(state.iterations() * 4096 * state.range(0) * 8);
}
BENCHMARK(BM_CudaSoftmaxRows)->Arg(1024)->Arg(8192)->UseRealTime();

void BM_CudaMatmul(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int64_t n = state.range(0);
  const Tensor a = device_tensor({n, n}), b = device_tensor({n, n}), c = device_tensor({n, n});
  Backend& backend = backend_for(Device::cuda());
  for (auto _ : state) {
    backend.matmul(c, a, b);
    backend.synchronize();
  }
  state.counters["flops"] = benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CudaMatmul)->Arg(4096)->UseRealTime();

}  // namespace
}  // namespace mini
