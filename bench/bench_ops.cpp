// The non-GEMM pieces of the two example models' training steps, at their real
// shapes, and each model's whole forward + backward (no optimizer, no data
// loading), so a change to one kernel can be weighed against the step:
//   LeNet (examples/fashion_mnist_lenet.yaml): batch 128 of (1, 28, 28);
//   tiny GPT (examples/tiny_lm.yaml): batch 32 x 64 tokens, d 128, 4 heads, 2 layers, vocab 256.
// Each op is timed forward + backward through autograd (what a step pays).
//   build/bench/mini_bench --benchmark_filter='BM_(LeNet|TinyGpt)' --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include "autograd/autograd.h"
#include "nn/layers/attention.h"
#include "nn/losses.h"
#include "nn/models/gpt.h"
#include "runtime/models/backbones.h"
#include "tensor/ops/factory.h"

namespace {

using mini::Tensor;
namespace ops = mini::ops;

Tensor leaf(const mini::Shape& sizes, uint64_t seed) {
  mini::Generator generator(seed);
  return ops::randn(sizes, {}, &generator).requires_grad_();
}

// ---- whole steps ---------------------------------------------------------------

void BM_LeNetStep(benchmark::State& state) {
  mini::runtime::LeNet model(1, 10);
  mini::Generator generator(0);
  const Tensor images = ops::randn({128, 1, 28, 28}, {}, &generator);
  const Tensor labels = ops::randint(0, 10, {128}, {.dtype = mini::DType::i64}, &generator);
  for (auto _ : state) {
    model.zero_grad();
    const Tensor loss = mini::nn::cross_entropy(model.forward(images), labels);
    loss.backward();
    benchmark::DoNotOptimize(loss.data_ptr());
  }
}
BENCHMARK(BM_LeNetStep)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_TinyGptStep(benchmark::State& state) {
  mini::nn::GPT model({.vocab_size = 256, .block_size = 64, .n_layer = 2, .n_head = 4, .n_embd = 128});
  mini::Generator generator(0);
  const Tensor tokens = ops::randint(0, 256, {32, 64}, {.dtype = mini::DType::i64}, &generator);
  const Tensor targets = ops::randint(0, 256, {32 * 64}, {.dtype = mini::DType::i64}, &generator);
  for (auto _ : state) {
    model.zero_grad();
    const Tensor logits = model.forward(tokens);
    const Tensor loss = mini::nn::cross_entropy(mini::reshape(logits, {32 * 64, 256}), targets);
    loss.backward();
    benchmark::DoNotOptimize(loss.data_ptr());
  }
}
BENCHMARK(BM_TinyGptStep)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- LeNet pieces ----------------------------------------------------------------

// Args: batch, in channels, size, out channels, padding (5x5 kernels, LeNet's two convolutions).
void BM_LeNetConv(benchmark::State& state) {
  const int64_t n = state.range(0), c = state.range(1), hw = state.range(2), k = state.range(3), pad = state.range(4);
  const Tensor x = leaf({n, c, hw, hw}, 1), weight = leaf({k, c, 5, 5}, 2), bias = leaf({k}, 3);
  x.requires_grad_(c > 1);  // LeNet's first convolution needs no input gradient
  const Tensor grad = ops::randn({n, k, hw + 2 * pad - 4, hw + 2 * pad - 4});
  for (auto _ : state) {
    const Tensor y = mini::conv2d(x, weight, bias, {.padding = {pad, pad}});
    y.backward(grad);
    weight.zero_grad();
    bias.zero_grad();
    x.zero_grad();
  }
}
BENCHMARK(BM_LeNetConv)
    ->Args({128, 1, 28, 6, 2})
    ->Args({128, 6, 14, 16, 0})
    ->ArgNames({"N", "C", "HW", "K", "pad"})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void BM_LeNetConvForward(benchmark::State& state) {
  const int64_t n = state.range(0), c = state.range(1), hw = state.range(2), k = state.range(3), pad = state.range(4);
  const Tensor x = ops::randn({n, c, hw, hw}), weight = ops::randn({k, c, 5, 5}), bias = ops::randn({k});
  for (auto _ : state) benchmark::DoNotOptimize(ops::conv2d(x, weight, bias, {.padding = {pad, pad}}).data_ptr());
}
BENCHMARK(BM_LeNetConvForward)
    ->Args({128, 1, 28, 6, 2})
    ->Args({128, 6, 14, 16, 0})
    ->ArgNames({"N", "C", "HW", "K", "pad"})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Args: channels, size (LeNet's pools follow its convolutions: (6, 28) and (16, 10)).
void BM_LeNetReluMaxPool(benchmark::State& state) {
  const int64_t c = state.range(0), hw = state.range(1);
  const Tensor x = leaf({128, c, hw, hw}, 4);
  const Tensor grad = ops::randn({128, c, hw / 2, hw / 2});
  for (auto _ : state) {
    const Tensor y = mini::max_pool2d(mini::relu(x), {.kernel = {2, 2}});
    y.backward(grad);
    x.zero_grad();
  }
}
BENCHMARK(BM_LeNetReluMaxPool)->Args({6, 28})->Args({16, 10})->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_LeNetMaxPoolForward(benchmark::State& state) {
  const Tensor x = ops::randn({128, state.range(0), state.range(1), state.range(1)});
  for (auto _ : state) benchmark::DoNotOptimize(ops::max_pool2d(x, {.kernel = {2, 2}}).first.data_ptr());
}
BENCHMARK(BM_LeNetMaxPoolForward)->Args({6, 28})->Args({16, 10})->UseRealTime()->Unit(benchmark::kMicrosecond);

// ---- tiny GPT pieces ---------------------------------------------------------------

void BM_GeluForwardBackward(benchmark::State& state) {
  const Tensor x = leaf({2048, 512}, 5);
  const Tensor grad = ops::randn({2048, 512});
  for (auto _ : state) {
    mini::gelu(x).backward(grad);
    x.zero_grad();
  }
}
BENCHMARK(BM_GeluForwardBackward)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_LayerNormForwardBackward(benchmark::State& state) {
  const Tensor x = leaf({32, 64, 128}, 6), weight = leaf({128}, 7), bias = leaf({128}, 8);
  const Tensor grad = ops::randn({32, 64, 128});
  for (auto _ : state) {
    mini::layer_norm(x, {128}, weight, bias).backward(grad);
    x.zero_grad();
    weight.zero_grad();
    bias.zero_grad();
  }
}
BENCHMARK(BM_LayerNormForwardBackward)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Self-attention without the projections: q, k, v (N, H, T, D) -> causal softmax(q k^T / sqrt(D)) v.
void BM_CausalAttentionCore(benchmark::State& state) {
  const Tensor q = leaf({32, 4, 64, 32}, 9), k = leaf({32, 4, 64, 32}, 10), v = leaf({32, 4, 64, 32}, 11);
  const Tensor grad = ops::randn({32, 4, 64, 32});
  for (auto _ : state) {
    mini::nn::functional::scaled_dot_product_attention(q, k, v, Tensor(), 0.0, true).backward(grad);
    q.zero_grad();
    k.zero_grad();
    v.zero_grad();
  }
}
BENCHMARK(BM_CausalAttentionCore)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The whole MultiheadAttention module (projections included), as a GPT block calls it.
void BM_MultiheadAttentionCausal(benchmark::State& state) {
  mini::nn::MultiheadAttention attention(128, 4, 0.0, true, true);
  const Tensor x = leaf({32, 64, 128}, 12);
  const Tensor grad = ops::randn({32, 64, 128});
  for (auto _ : state) {
    attention.forward(x, x, x, {.need_weights = false, .is_causal = true}).first.backward(grad);
    attention.zero_grad();
    x.zero_grad();
  }
}
BENCHMARK(BM_MultiheadAttentionCausal)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Args: rows, classes (the GPT's 2048 positions over 256 bytes; LeNet's 128 images over 10 classes).
void BM_CrossEntropyForwardBackward(benchmark::State& state) {
  const Tensor logits = leaf({state.range(0), state.range(1)}, 13);
  mini::Generator generator(14);
  const Tensor targets = ops::randint(0, state.range(1), {state.range(0)}, {.dtype = mini::DType::i64}, &generator);
  for (auto _ : state) {
    mini::nn::cross_entropy(logits, targets).backward();
    logits.zero_grad();
  }
}
BENCHMARK(BM_CrossEntropyForwardBackward)
    ->Args({2048, 256})
    ->Args({128, 10})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void BM_EmbeddingForwardBackward(benchmark::State& state) {
  const Tensor table = leaf({256, 128}, 15);
  mini::Generator generator(16);
  const Tensor tokens = ops::randint(0, 256, {32, 64}, {.dtype = mini::DType::i64}, &generator);
  const Tensor grad = ops::randn({32, 64, 128});
  for (auto _ : state) {
    mini::embedding(table, tokens).backward(grad);
    table.zero_grad();
  }
}
BENCHMARK(BM_EmbeddingForwardBackward)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
