#pragma once
// Neural-network kernels: softmax, normalization, convolution, pooling.
// These compute values only; autograd/ pairs them with their backward.
#include <utility>

#include "tensor/backend.h"
#include "tensor/tensor.h"

namespace mini {

// Option and result structs live in namespace mini (not mini::ops) so that an
// unqualified call such as conv2d(x, w, b, Conv2dOptions{}) finds only the
// differentiable mini::conv2d by argument-dependent lookup.
struct LayerNormResult {
  Tensor out;   // x's shape
  Tensor mean;  // (rows,): one per normalized slice
  Tensor rstd;  // (rows,): 1 / sqrt(var + eps)
};

struct LayerNormGrads {
  Tensor grad_x, grad_weight, grad_bias;
};

struct AttentionResult {
  Tensor out;    // (N, H, L, Dv): a view of an (N, L, H, Dv) contiguous tensor
  Tensor probs;  // (N, H, L, S), contiguous: the attention weights, kept for the backward
};

struct Conv2dOptions {
  std::pair<int64_t, int64_t> stride{1, 1};
  std::pair<int64_t, int64_t> padding{0, 0};
  std::pair<int64_t, int64_t> dilation{1, 1};
  int64_t groups = 1;
};

struct Pool2dOptions {
  std::pair<int64_t, int64_t> kernel{2, 2};
  std::pair<int64_t, int64_t> stride{0, 0};  // 0 means "equal to kernel", as PyTorch's default
  std::pair<int64_t, int64_t> padding{0, 0};
  std::pair<int64_t, int64_t> dilation{1, 1};
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg_pool2d only
};

}  // namespace mini

namespace mini::ops {

using mini::LayerNormResult;
using mini::LayerNormGrads;
using mini::Conv2dOptions;
using mini::Pool2dOptions;
using mini::AttentionResult;

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
// Gradient of softmax / log_softmax w.r.t. its input, from the forward's output.
Tensor softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim);
Tensor log_softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim);

// Normalizes over the trailing dims `normalized_shape` (weight and bias, if
// defined, have that shape).
LayerNormResult layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                           double eps = 1e-5);
LayerNormGrads layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Shape& normalized_shape,
                                   const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                                   bool need_weight_grads);

// x (N, C, H, W), weight (K, C/groups, kh, kw), bias (K) or undefined -> (N, K, H', W').
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), const Conv2dOptions& options = {});
// x (N, C, L), weight (K, C/groups, k) -> (N, K, L').
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), int64_t stride = 1,
              int64_t padding = 0, int64_t dilation = 1, int64_t groups = 1);
// The geometry conv2d uses, with its argument checks (named errors).
ConvGeometry conv2d_geometry(const Tensor& x, int64_t kernel_h, int64_t kernel_w, const Conv2dOptions& options,
                             const char* op);
// Backward pieces for conv2d (each a composite of im2col/col2im and matmul).
Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const Shape& input_sizes,
                             const Conv2dOptions& options);
Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& weight_sizes,
                              const Conv2dOptions& options);
// columns (N, C*kh*kw, H'*W') and its adjoint.
Tensor im2col(const Tensor& x, const ConvGeometry& geometry, Scalar pad_value = 0);
Tensor col2im(const Tensor& columns, const Shape& input_sizes, const ConvGeometry& geometry);

// Multi-head scaled dot-product attention (Backend::attention): q (N, H, L, D),
// k (N, H, S, D), v (N, H, S, Dv), any strides; mask undefined or additive,
// broadcastable to (N, H, L, S); causal excludes keys j > i. out's memory is
// (N, L, H, Dv), so merging the heads back into (N, L, H * Dv) is a free reshape.
AttentionResult attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale,
                          bool causal);
// attention's gradients written into grad_q/k/v (q/k/v's shapes, any strides: views of one
// packed (N, L, 3E) gradient, say); grad_out (N, H, L, Dv); causal as in the forward.
void attention_backward_into(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v, const Tensor& grad_out,
                             const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& probs, double scale,
                             bool causal);

// (values, flat indices into each H*W plane), as torch's max_pool2d_with_indices.
std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, const Pool2dOptions& options);
Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Shape& input_sizes);
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options);
Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& input_sizes, const Pool2dOptions& options);
// Output (N, C, out_h, out_w) averaging adaptive windows, as torch's adaptive_avg_pool2d.
Tensor adaptive_avg_pool2d(const Tensor& x, std::pair<int64_t, int64_t> output_size);
// Its gradient w.r.t. x (input_sizes (N, C, H, W)); the op is linear, so this needs no saved values.
Tensor adaptive_avg_pool2d_backward(const Tensor& grad_out, const Shape& input_sizes);

}  // namespace mini::ops
