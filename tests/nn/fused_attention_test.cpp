// The fused attention ops (mini::attention, mini::packed_self_attention and
// ops::attention's CPU kernel) against the unfused ops they replace: values,
// gradients (gradcheck in float64), masks, causal rows, strided operands, the
// composite backend default, and double backward through the composite path.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nn_testing.h"
#include "tensor/backend.h"

namespace mini::nn {
namespace {

using testing::expect_tensors_near;
using testing::leaf;
using testing::random_tensor;

constexpr double kInf = std::numeric_limits<double>::infinity();

// softmax((q * scale) k^T + mask (+ causal)) v with the plain differentiable ops.
Tensor unfused_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale,
                         bool causal) {
  Tensor scores = matmul(q * scale, transpose(k, 2, 3));
  if (mask.defined()) scores = scores + mask;
  if (causal) scores = scores + functional::causal_mask(q.size(2), k.size(2), {.dtype = q.dtype()});
  return matmul(softmax(scores, 3), v);
}

// (N, T, 3E) -> the unfused packed self-attention, heads concatenated.
Tensor unfused_packed(const Tensor& qkv, int64_t heads, const Tensor& mask, double scale, bool causal) {
  const int64_t n = qkv.size(0), t = qkv.size(1), e = qkv.size(2) / 3;
  auto part = [&](int64_t i) {
    return permute(reshape(narrow(qkv, 2, i * e, e), {n, t, heads, e / heads}), {0, 2, 1, 3});
  };
  const Tensor out = unfused_attention(part(0), part(1), part(2), mask, scale, causal);
  return reshape(permute(out, {0, 2, 1, 3}), {n, t, e});
}

// Gradients of sum(out * weight) w.r.t. inputs.
std::vector<Tensor> gradients(const Tensor& out, const std::vector<Tensor>& inputs, uint64_t seed) {
  const Tensor weight = random_tensor(out.sizes(), out.dtype(), seed);
  return grad({sum(out * weight)}, inputs);
}

TEST(FusedAttention, MatchesTheUnfusedOpsWithMaskAndCausalRows) {
  const Tensor q = leaf({2, 3, 5, 4}, 1), k = leaf({2, 3, 7, 4}, 2), v = leaf({2, 3, 7, 6}, 3);
  const Tensor mask = random_tensor({2, 1, 5, 7}, DType::f64, 4);
  for (bool causal : {false, true}) {
    const Tensor fused = attention(q, k, v, mask, 0.4, causal);
    const Tensor plain = unfused_attention(q, k, v, mask, 0.4, causal);
    expect_tensors_near(fused, plain, 1e-12, 1e-12, causal ? "causal" : "full");
    const auto fused_grads = gradients(fused, {q, k, v}, 5);
    const auto plain_grads = gradients(plain, {q, k, v}, 5);
    for (size_t i = 0; i < 3; ++i) expect_tensors_near(fused_grads[i], plain_grads[i], 1e-11, 1e-12, "grad");
  }
}

TEST(FusedAttention, GradcheckWithStridedOperands) {
  // q, k, v transposed views (their last dim is not contiguous) and a key-padding style mask.
  const Tensor q = leaf({1, 2, 4, 3}, 6), k = leaf({1, 2, 3, 5}, 7), v = leaf({1, 2, 5, 3}, 8);
  const Tensor mask = random_tensor({1, 1, 1, 5}, DType::f64, 9);
  auto fn = [mask](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{attention(in[0], transpose(in[1], 2, 3), in[2], mask, 0.7, true)};
  };
  EXPECT_GRADCHECK(fn, {q, k, v});
}

TEST(FusedAttention, FloatResultsMatchDoubleOnGptShapes) {
  // The tiny GPT's per-layer shape: N = 4 (of 32), H = 4, T = 64, D = 32, causal.
  const Tensor q = random_tensor({4, 4, 64, 32}, DType::f64, 10), k = random_tensor({4, 4, 64, 32}, DType::f64, 11);
  const Tensor v = random_tensor({4, 4, 64, 32}, DType::f64, 12);
  const Tensor expected = ops::attention(q, k, v, Tensor(), 1 / std::sqrt(32.0), true).out;
  const Tensor actual = ops::attention(ops::to_dtype(q, DType::f32), ops::to_dtype(k, DType::f32),
                                       ops::to_dtype(v, DType::f32), Tensor(), 1 / std::sqrt(32.0), true)
                            .out;
  expect_tensors_near(actual, expected, 1e-5, 1e-6, "f32 vs f64");
}

TEST(FusedAttention, Float32KernelMatchesDoubleOnAwkwardShapes) {
  // Odd lengths, a value width over 64 (several column panels), a transposed
  // k (copied before the products) and a broadcast mask, causal or not.
  const Tensor q = random_tensor({2, 3, 37, 20}, DType::f64, 30), k = random_tensor({2, 3, 20, 45}, DType::f64, 31);
  const Tensor v = random_tensor({2, 3, 45, 70}, DType::f64, 32), g = random_tensor({2, 3, 37, 70}, DType::f64, 33);
  const Tensor mask = random_tensor({1, 3, 37, 45}, DType::f64, 34);
  const auto to_f32 = [](const Tensor& t) { return ops::to_dtype(t, DType::f32); };
  for (bool causal : {false, true}) {
    const auto expected = ops::attention(q, ops::transpose(k, 2, 3), v, mask, 0.3, causal);
    const Tensor k32 = ops::transpose(to_f32(k), 2, 3);
    const auto actual = ops::attention(to_f32(q), k32, to_f32(v), to_f32(mask), 0.3, causal);
    expect_tensors_near(actual.out, expected.out, 1e-5, 1e-5, "out");
    expect_tensors_near(actual.probs, expected.probs, 1e-5, 1e-6, "probs");
    std::vector<Tensor> want, got;
    for (const Shape& sizes : {q.sizes(), Shape{2, 3, 45, 20}, v.sizes()}) {
      want.push_back(ops::empty(sizes, {.dtype = DType::f64}));
      got.push_back(ops::empty(sizes, {.dtype = DType::f32}));
    }
    ops::attention_backward_into(want[0], want[1], want[2], g, q, ops::transpose(k, 2, 3), v, expected.probs, 0.3,
                                 causal);
    ops::attention_backward_into(got[0], got[1], got[2], to_f32(g), to_f32(q), k32, to_f32(v), actual.probs, 0.3,
                                 causal);
    for (size_t i = 0; i < 3; ++i) expect_tensors_near(got[i], want[i], 1e-4, 1e-5, causal ? "causal grad" : "grad");
  }
}

TEST(FusedAttention, RowsWithEveryKeyMaskedAreNaN) {
  const Tensor q = random_tensor({1, 1, 2, 2}, DType::f32, 13), k = random_tensor({1, 1, 3, 2}, DType::f32, 14);
  const Tensor v = random_tensor({1, 1, 3, 2}, DType::f32, 15);
  const Tensor mask = ops::from_vector<float>({-INFINITY, -INFINITY, -INFINITY, 0, 0, 0}, {2, 3});
  const std::vector<double> out = testing::to_doubles(ops::attention(q, k, v, mask, 1.0, false).out);
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
  EXPECT_FALSE(std::isnan(out[2]) || std::isnan(out[3]));
}

TEST(FusedAttention, BackendDefaultMatchesTheCpuKernel) {
  // The composite every other backend inherits, called directly on the CPU.
  const Tensor q = random_tensor({2, 2, 4, 3}, DType::f64, 16), k = random_tensor({2, 2, 6, 3}, DType::f64, 17);
  const Tensor v = random_tensor({2, 2, 6, 5}, DType::f64, 18), g = random_tensor({2, 2, 4, 5}, DType::f64, 19);
  const Tensor mask = random_tensor({2, 2, 4, 6}, DType::f64, 20);
  const auto fused = ops::attention(q, k, v, mask, 0.5, true);
  Tensor out = ops::empty({2, 2, 4, 5}, {.dtype = DType::f64}), probs = ops::empty({2, 2, 4, 6}, {.dtype = DType::f64});
  backend_for(Device::cpu()).Backend::attention(out, probs, q, k, v, mask, 0.5, true);
  expect_tensors_near(out, fused.out, 1e-12, 1e-12, "out");
  expect_tensors_near(probs, fused.probs, 1e-12, 1e-12, "probs");
  std::vector<Tensor> kernel, composite;
  for (const Tensor& t : {q, k, v}) {
    kernel.push_back(ops::empty(t.sizes(), {.dtype = DType::f64}));
    composite.push_back(ops::empty(t.sizes(), {.dtype = DType::f64}));
  }
  ops::attention_backward_into(kernel[0], kernel[1], kernel[2], g, q, k, v, fused.probs, 0.5, true);
  backend_for(Device::cpu())
      .Backend::attention_backward(composite[0], composite[1], composite[2], g, q, k, v, fused.probs, 0.5, true);
  for (size_t i = 0; i < 3; ++i) expect_tensors_near(kernel[i], composite[i], 1e-12, 1e-12, "grad");
}

TEST(PackedSelfAttention, MatchesTheUnfusedOpsAndGradcheck) {
  const Tensor qkv = leaf({2, 5, 12}, 21);  // E = 4, 2 heads of 2
  const Tensor padding =
      ops::reshape(ops::from_vector<double>({0, 0, -kInf, 0, 0, 0, 0, 0, 0, -kInf}, {2, 5}), {2, 1, 1, 5});
  for (bool causal : {false, true}) {
    const Tensor fused = packed_self_attention(qkv, 2, padding, 0.6, causal);
    const Tensor plain = unfused_packed(qkv, 2, padding, 0.6, causal);
    expect_tensors_near(fused, plain, 1e-12, 1e-12, "packed");
    expect_tensors_near(gradients(fused, {qkv}, 22)[0], gradients(plain, {qkv}, 22)[0], 1e-11, 1e-12, "packed grad");
  }
  auto fn = [padding](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{packed_self_attention(in[0], 2, padding, 0.6, true)};
  };
  EXPECT_GRADCHECK(fn, {qkv});
}

TEST(PackedSelfAttention, DoubleBackwardGoesThroughTheComposite) {
  const Tensor qkv = leaf({1, 3, 6}, 23);
  auto fn = [](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{packed_self_attention(in[0], 1, Tensor(), 0.8, true)};
  };
  EXPECT_GRADGRADCHECK(fn, {qkv});
}

TEST(PackedSelfAttention, RejectsAWidthNotDivisibleIntoHeads) {
  try {
    packed_self_attention(ops::zeros({1, 2, 9}), 2, Tensor(), 1.0, false);
    ADD_FAILURE() << "expected a ValueError";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("(1, 2, 9)"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace mini::nn
