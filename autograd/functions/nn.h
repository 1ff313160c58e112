#pragma once
// Differentiable neural-network ops: softmax, normalization, convolution,
// pooling, dropout.
//
// NOTE: layer_norm and conv2d/conv1d support one backward; differentiating
// their gradients again (create_graph) raises a clear error.
#include <utility>

#include "tensor/ops/nn.h"
#include "tensor/tensor.h"

namespace mini {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              const ops::Conv2dOptions& options = {});
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), int64_t stride = 1,
              int64_t padding = 0, int64_t dilation = 1, int64_t groups = 1);
Tensor max_pool2d(const Tensor& x, const ops::Pool2dOptions& options);
// (values, flat indices into each H*W plane).
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, const ops::Pool2dOptions& options);
Tensor avg_pool2d(const Tensor& x, const ops::Pool2dOptions& options);
Tensor adaptive_avg_pool2d(const Tensor& x, std::pair<int64_t, int64_t> output_size);
// Multi-head scaled dot-product attention as one op (ops::attention): q
// (N, H, L, D), k (N, H, S, D), v (N, H, S, Dv) -> (N, H, L, Dv) =
// softmax((q * scale) k^T + mask) v, where mask is undefined or additive and
// needs no gradient, and `causal` excludes keys j > i. The result's memory
// is (N, L, H, Dv). Double backward recomputes through the unfused ops.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale, bool causal);
// Self-attention over packed projections: qkv (N, T, 3E) = [q | k | v], each
// split into `heads` heads -> (N, T, E) with the heads concatenated (as
// MultiheadAttention lays them out before out_proj). qkv gets one gradient,
// written slice by slice, instead of three padded ones summed.
Tensor packed_self_attention(const Tensor& qkv, int64_t heads, const Tensor& mask, double scale, bool causal);
// Zeroes each element with probability p and scales the rest by 1 / (1 - p)
// when training; the identity otherwise. Uses the default generator, so
// checkpoint can replay the same mask.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);

}  // namespace mini
