#pragma once
// The autocast policy table: which differentiable ops cast their floating
// inputs while autocast (autograd/autocast.h) is on, and to what. It follows
// PyTorch's lists (torch.amp docs, "Autocast Op Reference"), trimmed to the
// ops mini-engine has. Every op not listed runs in the dtypes it receives;
// binary ops then promote as PyTorch does (bf16 + f32 -> f32).
//
//   lower precision: f32 (and f16/bf16) inputs -> the autocast dtype.
//     The GEMM-bound ops, where 16-bit halves the memory traffic and uses
//     tensor cores; their kernels accumulate in f32 anyway.
//   float32: f16/bf16 inputs -> f32.
//     Ops whose result loses range or precision in 16 bits: exp/log overflow
//     or cancel, long sums lose the small terms, normalizations divide by a
//     variance, losses are the number the scaler multiplies by 2^16.
//
// f64 inputs are never cast (gradcheck works under autocast), nor are integer
// or bool ones. The entry point of each op family calls autocast_input()
// with its AutocastOp; grep for the enum value to find it.
#include <cstdint>

namespace mini {

enum class AutocastPolicy : uint8_t { lower_precision, float32 };

enum class AutocastOp : uint8_t {
  // lower precision (autograd/functions/linalg.cpp, nn.cpp)
  matmul,     // matmul, and everything built on it (bmm-style batched products, Bilinear)
  linear,     // input, weight and bias
  conv,       // conv1d, conv2d: input, weight and bias
  attention,  // attention, packed_self_attention: q, k, v and the additive mask
  // float32: softmax family and normalizations (autograd/functions/nn.cpp, nn/functional.cpp)
  softmax,     // softmax, log_softmax
  layer_norm,  // layer_norm (and group_norm, which is built on it)
  group_norm,  // nn::functional::group_norm
  rms_norm,    // nn::functional::rms_norm
  batch_norm,  // nn::functional::batch_norm
  // float32: losses (nn/losses.cpp, autograd/functions/cross_entropy.cpp)
  loss,  // cross_entropy(_rows), nll, mse, l1, smooth_l1, bce_with_logits, kl_div: input and floating target
  // float32: reductions (autograd/functions/reduce.cpp)
  reduction,  // sum, mean, prod, norm
  // float32: pointwise math (autograd/functions/elementwise.cpp)
  pointwise_math,  // exp, expm1, log, log1p, pow, reciprocal, rsqrt, softplus
};

constexpr AutocastPolicy autocast_policy(AutocastOp op) {
  switch (op) {
    case AutocastOp::matmul:
    case AutocastOp::linear:
    case AutocastOp::conv:
    case AutocastOp::attention:
      return AutocastPolicy::lower_precision;
    case AutocastOp::softmax:
    case AutocastOp::layer_norm:
    case AutocastOp::group_norm:
    case AutocastOp::rms_norm:
    case AutocastOp::batch_norm:
    case AutocastOp::loss:
    case AutocastOp::reduction:
    case AutocastOp::pointwise_math:
      return AutocastPolicy::float32;
  }
  return AutocastPolicy::float32;
}

}  // namespace mini
