// Cross-entropy forward + backward through autograd: the fused op that
// nn::cross_entropy now uses for class-index targets (one kernel writes the
// loss and the logit gradient; the backward scales it) against the composite
// it replaced (log_softmax, then nll_loss's gather, and their backwards).
// Args: rows, classes (LeNet-sized (256, 10); a language model's 64 x 128
// positions over 256 tokens). Compare the medians of the two names:
//   build/bench/mini_bench --benchmark_filter='BM_CrossEntropy(Fused|Composite)'
//     --benchmark_repetitions=5 --benchmark_report_aggregates_only=true   (one line)
#include <benchmark/benchmark.h>

#include "autograd/autograd.h"
#include "nn/losses.h"
#include "tensor/ops/factory.h"

namespace {

using mini::Tensor;
namespace ops = mini::ops;

struct LossInputs {
  Tensor logits, targets;
};

LossInputs loss_inputs(const benchmark::State& state) {
  mini::Generator generator(21);
  const int64_t rows = state.range(0), classes = state.range(1);
  Tensor logits = ops::randn({rows, classes}, {}, &generator).requires_grad_();
  return {logits, ops::randint(0, classes, {rows}, {.dtype = mini::DType::i64}, &generator)};
}

// Bytes a fused pass must move: the logits in and their gradient out.
void report_bytes(benchmark::State& state) {
  state.SetBytesProcessed(state.iterations() * state.range(0) * state.range(1) * 2 * int64_t{sizeof(float)});
}

void BM_CrossEntropyFused(benchmark::State& state) {
  const LossInputs in = loss_inputs(state);
  for (auto _ : state) {
    mini::nn::cross_entropy(in.logits, in.targets).backward();
    in.logits.zero_grad();
  }
  report_bytes(state);
}

// What nn::cross_entropy ran before the fused op, for the default options.
void BM_CrossEntropyComposite(benchmark::State& state) {
  const LossInputs in = loss_inputs(state);
  for (auto _ : state) {
    mini::nn::nll_loss(mini::log_softmax(in.logits, 1), in.targets).backward();
    in.logits.zero_grad();
  }
  report_bytes(state);
}

BENCHMARK(BM_CrossEntropyFused)->Args({256, 10})->Args({64 * 128, 256})->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CrossEntropyComposite)
    ->Args({256, 10})
    ->Args({64 * 128, 256})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
