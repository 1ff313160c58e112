// conv2d (im2col + GEMM) and pooling throughput.
// flops for conv2d = 2 * N * K * C * kh * kw * H' * W' (RESULTS.md 3d: the
// N=32 C=64 32x32 K=64 3x3 pad 1 case is 2.416 GFLOP; PyTorch/oneDNN: 201 GFLOP/s).
#include <benchmark/benchmark.h>

#include "tensor/ops/factory.h"
#include "tensor/ops/nn.h"

namespace {

using mini::Tensor;
namespace ops = mini::ops;

void BM_Conv2d(benchmark::State& state) {
  const int64_t n = state.range(0), c = state.range(1), hw = state.range(2), k = state.range(3),
                kernel = state.range(4);
  const Tensor x = ops::rand({n, c, hw, hw}), weight = ops::rand({k, c, kernel, kernel});
  const ops::Conv2dOptions options{.padding = {kernel / 2, kernel / 2}};
  for (auto _ : state) benchmark::DoNotOptimize(ops::conv2d(x, weight, Tensor(), options).data_ptr());
  state.counters["flops"] = benchmark::Counter(2.0 * static_cast<double>(n * k * c * kernel * kernel * hw * hw),
                                               benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Conv2d)
    ->Args({32, 64, 32, 64, 3})
    ->Args({128, 6, 14, 16, 5})
    ->Args({32, 64, 32, 64, 1})
    ->ArgNames({"N", "C", "HW", "K", "k"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_Conv2dBackward(benchmark::State& state) {
  const Tensor x = ops::rand({32, 64, 32, 32}), weight = ops::rand({64, 64, 3, 3});
  const ops::Conv2dOptions options{.padding = {1, 1}};
  const Tensor grad_out = ops::rand({32, 64, 32, 32});
  for (auto _ : state) {
    benchmark::DoNotOptimize(ops::conv2d_backward_input(grad_out, weight, x.sizes(), options).data_ptr());
    benchmark::DoNotOptimize(ops::conv2d_backward_weight(grad_out, x, weight.sizes(), options).data_ptr());
  }
  state.counters["flops"] =
      benchmark::Counter(2 * 2.0 * 32 * 64 * 64 * 9 * 32 * 32, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Conv2dBackward)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_MaxPool2d(benchmark::State& state) {
  const Tensor x = ops::rand({32, 64, 32, 32});
  for (auto _ : state) benchmark::DoNotOptimize(ops::max_pool2d(x, {.kernel = {2, 2}}).first.data_ptr());
  state.SetBytesProcessed(state.iterations() * x.numel() * 4);
}
BENCHMARK(BM_MaxPool2d)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_AvgPool2d(benchmark::State& state) {
  const Tensor x = ops::rand({32, 64, 32, 32});
  for (auto _ : state) benchmark::DoNotOptimize(ops::avg_pool2d(x, {.kernel = {2, 2}}).data_ptr());
  state.SetBytesProcessed(state.iterations() * x.numel() * 4);
}
BENCHMARK(BM_AvgPool2d)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
