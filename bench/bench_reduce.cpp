// Reductions, softmax and layer norm: memory-bound, so reported as bytes
// moved per second (input read + output written). Targets on this 2-core
// AVX-512 machine with 2 threads (PyTorch 1.13, /work/shared/baselines/RESULTS.md):
//   sum of 16M floats -> scalar:              3186 us (goal <= ~2700 us)
//   softmax over rows, 4096x1024 f32:         4346 us (goal < 1600 us)
//   layer_norm over rows, 4096x1024 + affine: 2777 us (goal < 1800 us; ~1400 us bandwidth floor)
#include <benchmark/benchmark.h>

#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/nn.h"
#include "tensor/ops/reduce.h"

namespace {

using mini::DType;
using mini::Tensor;
namespace ops = mini::ops;

Tensor random_input(const mini::Shape& sizes, uint64_t seed = 0) {
  mini::Generator generator(seed);
  return ops::randn(sizes, {}, &generator);
}

void set_bytes(benchmark::State& state, int64_t bytes_per_iteration) {
  state.SetBytesProcessed(state.iterations() * bytes_per_iteration);
}

// 16M floats -> one value: 64 MiB read, split over the threads with per-thread partials.
void BM_SumAllF32(benchmark::State& state) {
  const Tensor x = random_input({1 << 24}, 1);
  for (auto _ : state) benchmark::DoNotOptimize(ops::sum(x));
  set_bytes(state, int64_t{4} << 24);
}
BENCHMARK(BM_SumAllF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Over dim 0 of (4096, 1024): the outer loop shape (dst_row += src_row).
void BM_SumDim0F32(benchmark::State& state) {
  const Tensor x = random_input({4096, 1024}, 2);
  for (auto _ : state) benchmark::DoNotOptimize(ops::sum(x, {0}));
  set_bytes(state, 4096 * 1024 * 4);
}
BENCHMARK(BM_SumDim0F32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Over dim 1 of (4096, 1024): the inner loop shape (one contiguous run per output).
void BM_SumDim1F32(benchmark::State& state) {
  const Tensor x = random_input({4096, 1024}, 3);
  for (auto _ : state) benchmark::DoNotOptimize(ops::sum(x, {1}));
  set_bytes(state, 4096 * 1024 * 4);
}
BENCHMARK(BM_SumDim1F32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Softmax over the rows of (4096, 1024): 16 MiB read + 16 MiB written.
void BM_SoftmaxF32(benchmark::State& state) {
  const Tensor x = random_input({4096, 1024}, 4);
  for (auto _ : state) benchmark::DoNotOptimize(ops::softmax(x, 1));
  set_bytes(state, 2 * 4096 * 1024 * 4);
}
BENCHMARK(BM_SoftmaxF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_LogSoftmaxF32(benchmark::State& state) {
  const Tensor x = random_input({4096, 1024}, 5);
  for (auto _ : state) benchmark::DoNotOptimize(ops::log_softmax(x, 1));
  set_bytes(state, 2 * 4096 * 1024 * 4);
}
BENCHMARK(BM_LogSoftmaxF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// layer_norm forward over the rows of (4096, 1024) with weight and bias:
// 16 MiB read + 16 MiB written (weight, bias and the statistics are small).
void BM_LayerNormF32(benchmark::State& state) {
  const Tensor x = random_input({4096, 1024}, 6);
  const Tensor weight = random_input({1024}, 7), bias = random_input({1024}, 8);
  for (auto _ : state) benchmark::DoNotOptimize(ops::layer_norm(x, {1024}, weight, bias, 1e-5));
  set_bytes(state, 2 * 4096 * 1024 * 4);
}
BENCHMARK(BM_LayerNormF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Its backward with weight grads: reads grad_out and x, writes grad_x.
void BM_LayerNormBackwardF32(benchmark::State& state) {
  const Tensor x = random_input({4096, 1024}, 9), grad_out = random_input({4096, 1024}, 10);
  const Tensor weight = random_input({1024}, 11);
  const auto forward = ops::layer_norm(x, {1024}, weight, Tensor(), 1e-5);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        ops::layer_norm_backward(grad_out, x, {1024}, forward.mean, forward.rstd, weight, true));
  }
  set_bytes(state, 3 * 4096 * 1024 * 4);
}
BENCHMARK(BM_LayerNormBackwardF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
