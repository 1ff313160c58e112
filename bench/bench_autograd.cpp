// Autograd overhead: a long chain of elementwise ops on tiny tensors, so the
// time is the per-op bookkeeping (recording a node, running it, freeing it)
// rather than arithmetic. Reported as ns per op for forward + backward.
// Target: < 1 us/op (PyTorch eager: ~2-5 us/op).
#include <benchmark/benchmark.h>

#include "autograd/autograd.h"

namespace {

using mini::Tensor;

void BM_AutogradElementwiseChain(benchmark::State& state) {
  const int64_t ops_per_chain = state.range(0);
  Tensor x = mini::ones({4}).requires_grad_();
  Tensor w = mini::full({4}, 0.5).requires_grad_();
  for (auto _ : state) {
    // Four kinds of op in turn: tensor-scalar, tensor-tensor, unary with saved output, unary with saved input.
    Tensor y = x;
    for (int64_t i = 0; i < ops_per_chain; i += 4) {
      y = y * 0.999;
      y = y + w;
      y = mini::tanh(y);
      y = mini::square(y);
    }
    y.sum().backward();
    x.zero_grad();
    w.zero_grad();
  }
  state.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(ops_per_chain) * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
}
BENCHMARK(BM_AutogradElementwiseChain)->Arg(10000)->Unit(benchmark::kMillisecond);

// Forward with recording, then the graph is freed without a backward: the
// cost of recording (and destroying) a node on top of the kernel.
void BM_AutogradRecordOnly(benchmark::State& state) {
  const int64_t ops_per_chain = state.range(0);
  Tensor x = mini::ones({4}).requires_grad_();
  Tensor w = mini::full({4}, 0.5).requires_grad_();
  for (auto _ : state) {
    Tensor y = x;
    for (int64_t i = 0; i < ops_per_chain; i += 4) {
      y = y * 0.999;
      y = y + w;
      y = mini::tanh(y);
      y = mini::square(y);
    }
    benchmark::DoNotOptimize(y);
  }
  state.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(ops_per_chain) * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
}
BENCHMARK(BM_AutogradRecordOnly)->Arg(10000)->Unit(benchmark::kMillisecond);

// The same chain without recording: the cost of the kernels alone.
void BM_ElementwiseChainNoGrad(benchmark::State& state) {
  const int64_t ops_per_chain = state.range(0);
  Tensor x = mini::ones({4});
  Tensor w = mini::full({4}, 0.5);
  for (auto _ : state) {
    Tensor y = x;
    for (int64_t i = 0; i < ops_per_chain; i += 4) {
      y = y * 0.999;
      y = y + w;
      y = mini::tanh(y);
      y = mini::square(y);
    }
    benchmark::DoNotOptimize(y);
  }
  state.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(ops_per_chain) * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
}
BENCHMARK(BM_ElementwiseChainNoGrad)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
