// GEMM throughput: ops::matmul_out into a preallocated output (the GEMM
// itself, as RESULTS.md section 2 measures cblas_sgemm), plus ops::matmul
// with allocation and transposed operands.
#include <benchmark/benchmark.h>

#include "tensor/ops/factory.h"
#include "tensor/ops/linalg.h"
#include "tensor/ops/view.h"

namespace {

using mini::Tensor;
namespace ops = mini::ops;

void set_flops(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  state.counters["flops"] = benchmark::Counter(2.0 * static_cast<double>(m * n * k),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// (M, K) @ (K, N) in float32, row-major operands, preallocated output.
void BM_Sgemm(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const Tensor a = ops::rand({m, k}), b = ops::rand({k, n});
  Tensor out = ops::empty({m, n});
  for (auto _ : state) {
    ops::matmul_out(out, a, b);
    benchmark::DoNotOptimize(out.data_ptr());
  }
  set_flops(state, m, n, k);
}
BENCHMARK(BM_Sgemm)
    ->Args({128, 128, 128})
    ->Args({256, 256, 256})
    ->Args({512, 512, 512})
    ->Args({1024, 1024, 1024})
    ->Args({2048, 2048, 2048})
    ->Args({128, 784, 256})
    ->Args({128, 256, 10})
    ->ArgNames({"M", "K", "N"})
    ->UseRealTime();

// x (M, K) @ W^T with W (N, K): the linear-layer case, b read column-major in place.
void BM_SgemmTransposedB(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const Tensor a = ops::rand({m, k}), weight = ops::rand({n, k});
  const Tensor b = ops::t(weight);
  Tensor out = ops::empty({m, n});
  for (auto _ : state) {
    ops::matmul_out(out, a, b);
    benchmark::DoNotOptimize(out.data_ptr());
  }
  set_flops(state, m, n, k);
}
BENCHMARK(BM_SgemmTransposedB)
    ->Args({128, 784, 256})
    ->Args({512, 512, 512})
    ->Args({1024, 1024, 1024})
    ->ArgNames({"M", "K", "N"})
    ->UseRealTime();

// ops::matmul including the output allocation (the caching allocator reuses it).
void BM_MatmulAllocating(benchmark::State& state) {
  const int64_t size = state.range(0);
  const Tensor a = ops::rand({size, size}), b = ops::rand({size, size});
  for (auto _ : state) benchmark::DoNotOptimize(ops::matmul(a, b).data_ptr());
  set_flops(state, size, size, size);
}
BENCHMARK(BM_MatmulAllocating)->Arg(512)->ArgName("size")->UseRealTime();

// Batched attention-style product: (B, T, D) @ (B, D, T).
void BM_BatchedMatmul(benchmark::State& state) {
  const int64_t batch = state.range(0), t = state.range(1), d = state.range(2);
  const Tensor a = ops::rand({batch, t, d}), b = ops::rand({batch, d, t});
  Tensor out = ops::empty({batch, t, t});
  for (auto _ : state) {
    ops::matmul_out(out, a, b);
    benchmark::DoNotOptimize(out.data_ptr());
  }
  set_flops(state, batch * t, t, d);
}
BENCHMARK(BM_BatchedMatmul)->Args({32, 128, 64})->ArgNames({"B", "T", "D"})->UseRealTime();

}  // namespace

// The GEMMs of one training step of the 784-512-256-10 MLP (batch 128), in
// the layouts autograd hands to the backend (PyTorch's linear convention):
//   forward  y = x @ W^T        (W read transposed in place)
//   grad W   = dy^T @ x         (dy read transposed in place)
//   grad x   = dy @ W
namespace mlp {
struct Case {
  const char* name;
  int64_t batch, in, out;
  int kind;  // 0 forward, 1 grad W, 2 grad x
};
constexpr Case kCases[] = {
    {"fwd_784x512", 128, 784, 512, 0}, {"fwd_512x256", 128, 512, 256, 0}, {"fwd_256x10", 128, 256, 10, 0},
    {"dW_784x512", 128, 784, 512, 1},  {"dW_512x256", 128, 512, 256, 1},  {"dX_512x256", 128, 512, 256, 2},
};
}  // namespace mlp

void BM_MlpGemm(benchmark::State& state) {
  const mlp::Case& shape = mlp::kCases[state.range(0)];
  state.SetLabel(shape.name);
  const Tensor x = ops::rand({shape.batch, shape.in}), weight = ops::rand({shape.out, shape.in});
  const Tensor dy = ops::rand({shape.batch, shape.out});
  Tensor a, b, out;
  if (shape.kind == 0) {
    a = x, b = ops::t(weight), out = ops::empty({shape.batch, shape.out});
  } else if (shape.kind == 1) {
    a = ops::t(dy), b = x, out = ops::empty({shape.out, shape.in});
  } else {
    a = dy, b = weight, out = ops::empty({shape.batch, shape.in});
  }
  for (auto _ : state) {
    ops::matmul_out(out, a, b);
    benchmark::DoNotOptimize(out.data_ptr());
  }
  set_flops(state, shape.batch, shape.in, shape.out);
}
BENCHMARK(BM_MlpGemm)->DenseRange(0, 5)->ArgName("case")->UseRealTime();
