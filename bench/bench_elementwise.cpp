// Elementwise kernels: memory-bound, so reported as bytes moved per second
// (inputs read + output written). Targets on this 2-core AVX-512 machine with
// 2 threads (PyTorch 1.13, /work/shared/baselines/RESULTS.md):
//   add 1M f32 -> new tensor: 288.9 us (43.5 GB/s, L3-resident)
//   relu 1M f32 -> new tensor: 187.3 us (44.8 GB/s)
#include <benchmark/benchmark.h>

#include "tensor/ops/copy.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"

namespace {

using mini::DType;
using mini::Tensor;
namespace ops = mini::ops;

constexpr int64_t kMillion = 1 << 20;

Tensor random_input(const mini::Shape& sizes, DType dtype = DType::f32, uint64_t seed = 0) {
  mini::Generator generator(seed);
  return ops::to_dtype(ops::randn(sizes, {}, &generator), dtype);
}

void set_bytes(benchmark::State& state, int64_t elements, int64_t bytes_per_element) {
  state.SetBytesProcessed(state.iterations() * elements * bytes_per_element);
}

// add of two 1M-element float tensors into a new tensor: 12 bytes per element.
void BM_AddF32(benchmark::State& state) {
  const Tensor a = random_input({kMillion}, DType::f32, 1), b = random_input({kMillion}, DType::f32, 2);
  for (auto _ : state) benchmark::DoNotOptimize(ops::add(a, b));
  set_bytes(state, kMillion, 12);
}
BENCHMARK(BM_AddF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The same into a preallocated output (no allocator work).
void BM_AddOutF32(benchmark::State& state) {
  const Tensor a = random_input({kMillion}, DType::f32, 1), b = random_input({kMillion}, DType::f32, 2);
  const Tensor out = ops::empty({kMillion});
  for (auto _ : state) ops::add_out(out, a, b);
  set_bytes(state, kMillion, 12);
}
BENCHMARK(BM_AddOutF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// In place (an optimizer's p += ...): out aliases the first input.
void BM_AddInPlaceF32(benchmark::State& state) {
  const Tensor a = random_input({kMillion}, DType::f32, 1), b = random_input({kMillion}, DType::f32, 2);
  for (auto _ : state) ops::add_(a, b);
  set_bytes(state, kMillion, 12);
}
BENCHMARK(BM_AddInPlaceF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Tensor * scalar: the scalar is a stride-0 operand.
void BM_MulScalarF32(benchmark::State& state) {
  const Tensor a = random_input({kMillion}, DType::f32, 1);
  for (auto _ : state) benchmark::DoNotOptimize(ops::mul(a, 0.5));
  set_bytes(state, kMillion, 8);
}
BENCHMARK(BM_MulScalarF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_ReluF32(benchmark::State& state) {
  const Tensor a = random_input({kMillion}, DType::f32, 1);
  for (auto _ : state) benchmark::DoNotOptimize(ops::relu(a));
  set_bytes(state, kMillion, 8);
}
BENCHMARK(BM_ReluF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_ExpF32(benchmark::State& state) {
  const Tensor a = random_input({kMillion}, DType::f32, 1);
  for (auto _ : state) benchmark::DoNotOptimize(ops::exp(a));
  set_bytes(state, kMillion, 8);
}
BENCHMARK(BM_ExpF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_TanhF32(benchmark::State& state) {
  const Tensor a = random_input({kMillion}, DType::f32, 1);
  for (auto _ : state) benchmark::DoNotOptimize(ops::tanh(a));
  set_bytes(state, kMillion, 8);
}
BENCHMARK(BM_TanhF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_GeluTanhF32(benchmark::State& state) {
  const Tensor a = random_input({kMillion}, DType::f32, 1);
  for (auto _ : state) benchmark::DoNotOptimize(ops::gelu(a, /*tanh_approximation=*/true));
  set_bytes(state, kMillion, 8);
}
BENCHMARK(BM_GeluTanhF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// (1024, 1024) + (1024,): the row is broadcast down the rows (stride 0 in dim 0).
void BM_AddBroadcastRowF32(benchmark::State& state) {
  const Tensor a = random_input({1024, 1024}, DType::f32, 1), row = random_input({1024}, DType::f32, 2);
  for (auto _ : state) benchmark::DoNotOptimize(ops::add(a, row));
  set_bytes(state, kMillion, 8);  // the row stays in cache
}
BENCHMARK(BM_AddBroadcastRowF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// (1024, 1024)^T + (1024, 1024): one input is read across its rows.
void BM_AddTransposedF32(benchmark::State& state) {
  const Tensor a = ops::transpose(random_input({1024, 1024}, DType::f32, 1), 0, 1);
  const Tensor b = random_input({1024, 1024}, DType::f32, 2);
  for (auto _ : state) benchmark::DoNotOptimize(ops::add(a, b));
  set_bytes(state, kMillion, 12);
}
BENCHMARK(BM_AddTransposedF32)->Unit(benchmark::kMicrosecond)->UseRealTime();

// 16-bit floats widen to float in blocks: 6 bytes per element.
void BM_AddF16(benchmark::State& state) {
  const Tensor a = random_input({kMillion}, DType::f16, 1), b = random_input({kMillion}, DType::f16, 2);
  for (auto _ : state) benchmark::DoNotOptimize(ops::add(a, b));
  set_bytes(state, kMillion, 6);
}
BENCHMARK(BM_AddF16)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_AddBF16(benchmark::State& state) {
  const Tensor a = random_input({kMillion}, DType::bf16, 1), b = random_input({kMillion}, DType::bf16, 2);
  for (auto _ : state) benchmark::DoNotOptimize(ops::add(a, b));
  set_bytes(state, kMillion, 6);
}
BENCHMARK(BM_AddBF16)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Per-op overhead on a tiny tensor (frontend, allocation, dispatch).
void BM_MulScalarTiny(benchmark::State& state) {
  const Tensor a = random_input({4}, DType::f32, 1);
  for (auto _ : state) benchmark::DoNotOptimize(ops::mul(a, 0.999));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MulScalarTiny)->Unit(benchmark::kNanosecond);

}  // namespace
