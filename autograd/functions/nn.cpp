// Differentiable neural-network ops. Their backwards use the fused kernels of
// tensor/ops/nn.h; those kernels are wrapped as differentiable ops themselves
// where double backward is supported (softmax, log_softmax, pooling).
#include "autograd/functions/nn.h"

#include <cmath>
#include <limits>

#include "autograd/autocast.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/index.h"
#include "autograd/functions/linalg.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/view.h"
#include "autograd/record.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"

namespace mini {

namespace {

// gI = y * (g - sum(g * y)), y = softmax(x)
Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t dim) {
  Tensor out = ops::softmax_backward(g, y, dim);
  if (!should_record(g, y)) return out;
  return record("softmax_backward", {g, y}, out, [g = save(g), y = save(y), dim](const GradList& gg) -> GradList {
    const Tensor g_value = g.unpack(), y_value = y.unpack();
    // d gI_i / d y_k = delta_ik (g_i - s) - y_i g_k, s = sum(g * y)
    const Tensor s = sum(g_value * y_value, {dim}, true);
    const Tensor grad_y = gg[0] * (g_value - s) - g_value * sum(gg[0] * y_value, {dim}, true);
    return {softmax_backward(gg[0], y_value, dim), grad_y};
  });
}

// gI = g - exp(y) * sum(g), y = log_softmax(x)
Tensor log_softmax_backward(const Tensor& g, const Tensor& y, int64_t dim) {
  Tensor out = ops::log_softmax_backward(g, y, dim);
  if (!should_record(g, y)) return out;
  return record("log_softmax_backward", {g, y}, out, [g = save(g), y = save(y), dim](const GradList& gg) -> GradList {
    const Tensor p = exp(y.unpack());
    const Tensor grad_g = gg[0] - sum(gg[0] * p, {dim}, true);
    const Tensor grad_y = -(gg[0] * p * sum(g.unpack(), {dim}, true));
    return {grad_g, grad_y};
  });
}

// Marks gradients computed by a kernel without a differentiable backward:
// differentiating them again raises an error instead of silently giving 0.
Tensor once_differentiable(const char* name, Tensor grad, const std::vector<Tensor>& inputs) {
  if (!grad.defined() || !should_record_list(inputs)) return grad;
  return record(name, inputs, grad, [name](const GradList&) -> GradList {
    throw ValueError(fmt::format("{}: double backward (differentiating a gradient of {}) is not implemented", name,
                                 name));
  });
}

// max_pool2d's gradient scatters g to the argmax positions; its adjoint gathers from them.
Tensor max_pool2d_backward(const Tensor& g, const Tensor& indices, const Shape& input_sizes) {
  Tensor out = ops::max_pool2d_backward(g, indices, input_sizes);
  if (!should_record(g)) return out;
  return record("max_pool2d_backward", {g}, out, [indices, g_sizes = g.sizes()](const GradList& gg) -> GradList {
    const Tensor picked = gather(flatten(gg[0], 2), 2, ops::flatten(indices, 2));
    return {reshape(picked, g_sizes)};
  });
}

// avg_pool2d is linear, so the adjoint of its backward is the pooling itself.
Tensor avg_pool2d_backward(const Tensor& g, const Shape& input_sizes, const ops::Pool2dOptions& options) {
  Tensor out = ops::avg_pool2d_backward(g, input_sizes, options);
  if (!should_record(g)) return out;
  return record("avg_pool2d_backward", {g}, out, [options](const GradList& gg) -> GradList {
    return {mini::avg_pool2d(gg[0], options)};
  });
}

// (out, in): row i averages input positions [floor(i in / out), ceil((i + 1) in / out)).
// Built on the CPU, then moved to `device` (the gradient's).
Tensor adaptive_pooling_matrix(int64_t in, int64_t out, DType dtype, Device device) {
  Tensor matrix = ops::zeros({out, in}, {.dtype = DType::f64});
  double* data = matrix.data<double>();
  for (int64_t i = 0; i < out; ++i) {
    const int64_t start = (i * in) / out, end = ((i + 1) * in + out - 1) / out;
    for (int64_t j = start; j < end; ++j) data[i * in + j] = 1.0 / static_cast<double>(end - start);
  }
  return ops::to_device(ops::to_dtype(matrix, dtype), device);
}

}  // namespace

Tensor softmax(const Tensor& x_arg, int64_t dim) {
  const Tensor x = autocast_input(AutocastOp::softmax, x_arg);
  Tensor y = ops::softmax(x, dim);
  if (!should_record(x)) return y;
  return record("softmax", {x}, y, [y = save_output(y), dim](const GradList& g) -> GradList {
    return {softmax_backward(g[0], y.unpack(), dim)};
  });
}

Tensor log_softmax(const Tensor& x_arg, int64_t dim) {
  const Tensor x = autocast_input(AutocastOp::softmax, x_arg);
  Tensor y = ops::log_softmax(x, dim);
  if (!should_record(x)) return y;
  return record("log_softmax", {x}, y, [y = save_output(y), dim](const GradList& g) -> GradList {
    return {log_softmax_backward(g[0], y.unpack(), dim)};
  });
}

Tensor layer_norm(const Tensor& x_arg, const Shape& normalized_shape, const Tensor& weight_arg,
                  const Tensor& bias_arg, double eps) {
  const Tensor x = autocast_input(AutocastOp::layer_norm, x_arg);
  const Tensor weight = autocast_input(AutocastOp::layer_norm, weight_arg);
  const Tensor bias = autocast_input(AutocastOp::layer_norm, bias_arg);
  ops::LayerNormResult result = ops::layer_norm(x, normalized_shape, weight, bias, eps);
  if (!should_record(x, weight, bias)) return result.out;
  const bool weight_needed = tensor_requires_grad(weight), bias_needed = tensor_requires_grad(bias);
  return record("layer_norm", {x, weight, bias}, result.out,
                [x = save(x), weight = save(weight), mean = result.mean, rstd = result.rstd, normalized_shape,
                 weight_needed, bias_needed](const GradList& g) -> GradList {
                  const Tensor x_value = x.unpack(), weight_value = weight.unpack();
                  ops::LayerNormGrads grads = ops::layer_norm_backward(g[0], x_value, normalized_shape, mean, rstd,
                                                                       weight_value, weight_needed || bias_needed);
                  const std::vector<Tensor> inputs{g[0], x_value, weight_value};
                  return {once_differentiable("layer_norm_backward", grads.grad_x, inputs),
                          weight_needed ? once_differentiable("layer_norm_backward", grads.grad_weight, inputs) : Tensor(),
                          bias_needed ? once_differentiable("layer_norm_backward", grads.grad_bias, inputs) : Tensor()};
                });
}

Tensor conv2d(const Tensor& x_arg, const Tensor& weight_arg, const Tensor& bias_arg,
              const ops::Conv2dOptions& options) {
  const Tensor x = autocast_input(AutocastOp::conv, x_arg);
  const Tensor weight = autocast_input(AutocastOp::conv, weight_arg);
  const Tensor bias = autocast_input(AutocastOp::conv, bias_arg);
  Tensor y = ops::conv2d(x, weight, bias, options);
  if (!should_record(x, weight, bias)) return y;
  const bool x_needed = tensor_requires_grad(x), weight_needed = tensor_requires_grad(weight);
  const bool bias_needed = tensor_requires_grad(bias);
  return record("conv2d", {x, weight, bias}, y,
                [x = weight_needed ? save(x) : SavedTensor(), weight = save(weight), x_sizes = x.sizes(), options,
                 x_needed, weight_needed, bias_needed](const GradList& g) -> GradList {
                  // g: (N, K, H', W')
                  const Tensor weight_value = weight.unpack();
                  const Tensor x_value = x.unpack();
                  const std::vector<Tensor> inputs{g[0], x_value, weight_value};
                  Tensor grad_x, grad_weight, grad_bias;
                  if (x_needed) {
                    grad_x = once_differentiable(
                        "conv2d_backward", ops::conv2d_backward_input(g[0], weight_value, x_sizes, options), inputs);
                  }
                  if (weight_needed) {
                    grad_weight = once_differentiable(
                        "conv2d_backward", ops::conv2d_backward_weight(g[0], x_value, weight_value.sizes(), options),
                        inputs);
                  }
                  if (bias_needed) grad_bias = sum(g[0], {0, 2, 3});
                  return {grad_x, grad_weight, grad_bias};
                });
}

Tensor conv1d(const Tensor& x_arg, const Tensor& weight_arg, const Tensor& bias_arg, int64_t stride, int64_t padding,
              int64_t dilation, int64_t groups) {
  const Tensor x = autocast_input(AutocastOp::conv, x_arg);
  const Tensor weight = autocast_input(AutocastOp::conv, weight_arg);
  const Tensor bias = autocast_input(AutocastOp::conv, bias_arg);
  if (!should_record(x, weight, bias)) return ops::conv1d(x, weight, bias, stride, padding, dilation, groups);
  MINI_CHECK(x.dim() == 3, "conv1d: expected input (N, C, L), got {}", shape_str(x.sizes()));
  MINI_CHECK(weight.dim() == 3, "conv1d: expected weight (K, C/groups, k), got {}", shape_str(weight.sizes()));
  // (N, C, L) as (N, C, 1, L): a conv2d with a 1-high kernel, so it shares conv2d's backward.
  const ops::Conv2dOptions options{.stride = {1, stride}, .padding = {0, padding}, .dilation = {1, dilation},
                                   .groups = groups};
  return squeeze(mini::conv2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, options), 2);
}

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, const ops::Pool2dOptions& options) {
  auto [values, indices] = ops::max_pool2d(x, options);
  if (!should_record(x)) return {values, indices};
  Tensor recorded = record("max_pool2d", {x}, values, [indices, sizes = x.sizes()](const GradList& g) -> GradList {
    return {max_pool2d_backward(g[0], indices, sizes)};
  });
  return {recorded, indices};
}

Tensor max_pool2d(const Tensor& x, const ops::Pool2dOptions& options) {
  return max_pool2d_with_indices(x, options).first;
}

Tensor avg_pool2d(const Tensor& x, const ops::Pool2dOptions& options) {
  Tensor y = ops::avg_pool2d(x, options);
  if (!should_record(x)) return y;
  return record("avg_pool2d", {x}, y, [sizes = x.sizes(), options](const GradList& g) -> GradList {
    return {mini::avg_pool2d_backward(g[0], sizes, options)};
  });
}

Tensor adaptive_avg_pool2d(const Tensor& x, std::pair<int64_t, int64_t> output_size) {
  Tensor y = ops::adaptive_avg_pool2d(x, output_size);
  if (!should_record(x)) return y;
  const int64_t in_h = x.size(-2), in_w = x.size(-1);
  return record("adaptive_avg_pool2d", {x}, y, [in_h, in_w, output_size](const GradList& g) -> GradList {
    // y = rows @ x @ cols^T with rows (oh, H), cols (ow, W): grad_x = rows^T @ g @ cols
    const Tensor rows = adaptive_pooling_matrix(in_h, output_size.first, g[0].dtype(), g[0].device());
    const Tensor cols = adaptive_pooling_matrix(in_w, output_size.second, g[0].dtype(), g[0].device());
    return {matmul(matmul(ops::t(rows), g[0]), cols)};
  });
}

namespace {

// (N, H, T, D) views of the packed projections qkv (N, T, 3E): part 0, 1, 2 = q, k, v.
Tensor head_view(const Tensor& packed, int64_t part, int64_t heads) {
  const int64_t embed = packed.size(2) / 3;
  return ops::permute(ops::unflatten(ops::narrow(packed, 2, part * embed, embed), 2, {heads, embed / heads}),
                      {0, 2, 1, 3});
}

// head_view with differentiable views, and its inverse for one part: (N, H, T, D) -> (N, T, H * D).
Tensor head_view_differentiable(const Tensor& packed, int64_t part, int64_t heads) {
  const int64_t embed = packed.size(2) / 3;
  return permute(unflatten(narrow(packed, 2, part * embed, embed), 2, {heads, embed / heads}), {0, 2, 1, 3});
}
Tensor merge_heads(const Tensor& x) {
  return reshape(permute(x, {0, 2, 1, 3}), {x.size(0), x.size(2), x.size(1) * x.size(3)});
}

// attention's gradients written with differentiable ops, for create_graph
// (the fused kernel computes the same values but cannot be differentiated).
GradList attention_grads_differentiable(const Tensor& g, const Tensor& q, const Tensor& k, const Tensor& v,
                                        const Tensor& mask, double scale, bool causal) {
  const Tensor scaled_q = q * scale;
  Tensor scores = matmul(scaled_q, transpose(k, 2, 3));
  if (mask.defined()) scores = scores + mask;
  if (causal) {
    const int64_t length = q.size(2), source = k.size(2);
    const TensorOptions index{.dtype = DType::i64, .device = q.device()};
    const Tensor future = ops::gt(ops::unsqueeze(ops::arange(0, source, 1, index), 0),
                                  ops::unsqueeze(ops::arange(0, length, 1, index), 1));
    scores = where(future, Scalar(-std::numeric_limits<double>::infinity()), scores);
  }
  const Tensor probs = softmax(scores, 3);
  const Tensor grad_scores = softmax_backward(matmul(g, transpose(v, 2, 3)), probs, 3);
  return {matmul(grad_scores, k) * scale, matmul(transpose(grad_scores, 2, 3), scaled_q),
          matmul(transpose(probs, 2, 3), g)};
}

}  // namespace

Tensor attention(const Tensor& q_arg, const Tensor& k_arg, const Tensor& v_arg, const Tensor& mask_arg, double scale,
                 bool causal) {
  const Tensor q = autocast_input(AutocastOp::attention, q_arg), k = autocast_input(AutocastOp::attention, k_arg);
  const Tensor v = autocast_input(AutocastOp::attention, v_arg), mask = autocast_input(AutocastOp::attention, mask_arg);
  MINI_CHECK(!tensor_requires_grad(mask), "attention: the mask must not require grad (use the unfused ops)");
  auto [out, probs] = ops::attention(q, k, v, mask, scale, causal);
  if (!should_record(q, k, v)) return out;
  return record("attention", {q, k, v}, out,
                [q = save(q), k = save(k), v = save(v), probs = probs, mask, scale, causal](const GradList& g)
                    -> GradList {
                  const Tensor q_value = q.unpack(), k_value = k.unpack(), v_value = v.unpack();
                  if (should_record(g[0], q_value, k_value, v_value)) {
                    return attention_grads_differentiable(g[0], q_value, k_value, v_value, mask, scale, causal);
                  }
                  const TensorOptions options{.dtype = q_value.dtype(), .device = q_value.device()};
                  Tensor grad_q = ops::empty(q_value.sizes(), options), grad_k = ops::empty(k_value.sizes(), options);
                  Tensor grad_v = ops::empty(v_value.sizes(), options);
                  ops::attention_backward_into(grad_q, grad_k, grad_v, g[0], q_value, k_value, v_value, probs, scale,
                                               causal);
                  return {grad_q, grad_k, grad_v};
                });
}

Tensor packed_self_attention(const Tensor& qkv_arg, int64_t heads, const Tensor& mask_arg, double scale, bool causal) {
  const Tensor qkv = autocast_input(AutocastOp::attention, qkv_arg);
  const Tensor mask = autocast_input(AutocastOp::attention, mask_arg);
  MINI_CHECK(qkv.defined() && qkv.dim() == 3 && heads >= 1 && qkv.size(2) % (3 * heads) == 0,
             "packed_self_attention: qkv {} must be (N, T, 3E) with E divisible by heads = {}",
             qkv.defined() ? shape_str(qkv.sizes()) : std::string("undefined"), heads);
  MINI_CHECK(!tensor_requires_grad(mask), "packed_self_attention: the mask must not require grad");
  const int64_t batch = qkv.size(0), length = qkv.size(1), embed = qkv.size(2) / 3;
  auto [out, probs] = ops::attention(head_view(qkv, 0, heads), head_view(qkv, 1, heads), head_view(qkv, 2, heads),
                                     mask, scale, causal);
  // out's memory is (N, T, H, D): the heads concatenate for free.
  Tensor merged = ops::view(ops::permute(out, {0, 2, 1, 3}), {batch, length, embed});
  if (!should_record(qkv)) return merged;
  return record("packed_self_attention", {qkv}, merged,
                [qkv = save(qkv), probs = probs, heads, mask, scale, causal](const GradList& g) -> GradList {
                  const Tensor packed = qkv.unpack();
                  const int64_t n = packed.size(0), t = packed.size(1), e = packed.size(2) / 3;
                  const Tensor grad_heads = ops::permute(ops::unflatten(g[0], 2, {heads, e / heads}), {0, 2, 1, 3});
                  const Tensor q = head_view(packed, 0, heads), k = head_view(packed, 1, heads);
                  const Tensor v = head_view(packed, 2, heads);
                  if (should_record(g[0], packed)) {
                    const GradList grads = attention_grads_differentiable(
                        permute(unflatten(g[0], 2, {heads, e / heads}), {0, 2, 1, 3}),
                        head_view_differentiable(packed, 0, heads), head_view_differentiable(packed, 1, heads),
                        head_view_differentiable(packed, 2, heads), mask, scale, causal);
                    return {cat({merge_heads(grads[0]), merge_heads(grads[1]), merge_heads(grads[2])}, 2)};
                  }
                  // One packed gradient: each part's kernel output lands in its slice (no zero fill, no adds).
                  Tensor grad = ops::empty({n, t, 3 * e}, {.dtype = packed.dtype(), .device = packed.device()});
                  ops::attention_backward_into(head_view(grad, 0, heads), head_view(grad, 1, heads),
                                               head_view(grad, 2, heads), grad_heads, q, k, v, probs, scale, causal);
                  return {grad};
                });
}

Tensor dropout(const Tensor& x, double p, bool training) {
  MINI_CHECK(p >= 0 && p <= 1, "dropout: probability p = {} must be in [0, 1]", p);
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;
  // A constant mask: its values come from the default generator, which
  // checkpoint rewinds to replay the same mask.
  const Tensor keep = ops::bernoulli(x.sizes(), 1.0 - p, {.dtype = x.dtype(), .device = x.device()});
  return x * ops::div(keep, 1.0 - p);
}

}  // namespace mini
