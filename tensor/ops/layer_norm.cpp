// layer_norm and its backward over the trailing `normalized_shape` dims
// (Backend::layer_norm on x viewed as (rows, cols)).
#include "tensor/backend.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/nn.h"
#include "tensor/ops/view.h"

namespace mini::ops {
namespace {

// x viewed as (rows, cols) with cols = numel(normalized_shape); checks the trailing dims.
struct RowsCols {
  int64_t rows = 1, cols = 1;
};
RowsCols layer_norm_rows_cols(const Tensor& x, const Shape& normalized_shape, const char* op) {
  const int64_t leading = x.dim() - static_cast<int64_t>(normalized_shape.size());
  MINI_CHECK(!normalized_shape.empty() && leading >= 0 &&
                 Shape(x.sizes().begin() + leading, x.sizes().end()) == normalized_shape,
             "{}: normalized_shape {} does not match the trailing dims of x {}", op, shape_str(normalized_shape),
             shape_str(x.sizes()));
  RowsCols result;
  for (int64_t d = 0; d < leading; ++d) result.rows *= x.size(d);
  result.cols = numel_of(normalized_shape);
  return result;
}

// weight or bias as a contiguous (cols,) tensor of x's dtype, or undefined.
Tensor affine_parameter(const Tensor& parameter, const Tensor& x, const Shape& normalized_shape, int64_t cols,
                        const char* op, const char* name) {
  if (!parameter.defined()) return parameter;
  MINI_CHECK(parameter.sizes() == normalized_shape, "{}: {} has shape {}, expected normalized_shape {}", op, name,
             shape_str(parameter.sizes()), shape_str(normalized_shape));
  return reshape(contiguous(to_dtype(parameter, x.dtype())), Shape{cols});
}

// mean and rstd are float32 for 16-bit inputs (the statistics are computed in float).
DType statistics_dtype(DType dtype) { return dtype == DType::f64 ? DType::f64 : DType::f32; }

}  // namespace

LayerNormResult layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                           double eps) {
  MINI_CHECK(is_floating(x.dtype()), "layer_norm: expected a floating-point tensor, got {} (shape {})", x.dtype(),
             shape_str(x.sizes()));
  const auto [rows, cols] = layer_norm_rows_cols(x, normalized_shape, "layer_norm");
  const Tensor input = reshape(contiguous(x), Shape{rows, cols});
  const Tensor w = affine_parameter(weight, x, normalized_shape, cols, "layer_norm", "weight");
  const Tensor b = affine_parameter(bias, x, normalized_shape, cols, "layer_norm", "bias");
  Tensor out = empty(Shape{rows, cols}, {.dtype = x.dtype(), .device = x.device()});
  Tensor mean = empty(Shape{rows}, {.dtype = statistics_dtype(x.dtype()), .device = x.device()});
  Tensor rstd = empty(Shape{rows}, {.dtype = statistics_dtype(x.dtype()), .device = x.device()});
  backend_for(x.device()).layer_norm(out, mean, rstd, input, w, b, eps);
  return {view(out, x.sizes()), mean, rstd};
}

LayerNormGrads layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Shape& normalized_shape,
                                   const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                                   bool need_weight_grads) {
  const char* op = "layer_norm_backward";
  MINI_CHECK(is_floating(x.dtype()), "{}: expected a floating-point tensor, got {}", op, x.dtype());
  MINI_CHECK(grad_out.sizes() == x.sizes(), "{}: grad_out {} and x {} differ in shape", op,
             shape_str(grad_out.sizes()), shape_str(x.sizes()));
  const auto [rows, cols] = layer_norm_rows_cols(x, normalized_shape, op);
  MINI_CHECK(mean.numel() == rows && rstd.numel() == rows, "{}: mean {} and rstd {} need {} elements (one per row)",
             op, shape_str(mean.sizes()), shape_str(rstd.sizes()), rows);
  const DType stats = statistics_dtype(x.dtype());
  const Tensor input = reshape(contiguous(x), Shape{rows, cols});
  const Tensor grad = reshape(contiguous(to_dtype(grad_out, x.dtype())), Shape{rows, cols});
  const Tensor w = affine_parameter(weight, x, normalized_shape, cols, op, "weight");
  Tensor grad_x = empty(Shape{rows, cols}, {.dtype = x.dtype(), .device = x.device()});
  Tensor grad_weight, grad_bias;
  if (need_weight_grads) {
    grad_weight = empty(Shape{cols}, {.dtype = x.dtype(), .device = x.device()});
    grad_bias = empty(Shape{cols}, {.dtype = x.dtype(), .device = x.device()});
  }
  backend_for(x.device()).layer_norm_backward(grad_x, grad_weight, grad_bias, grad, input,
                                              reshape(to_dtype(mean, stats), Shape{rows}),
                                              reshape(to_dtype(rstd, stats), Shape{rows}), w);
  LayerNormGrads grads{view(grad_x, x.sizes()), grad_weight, grad_bias};
  if (need_weight_grads) {
    grads.grad_weight = view(grad_weight, normalized_shape);
    grads.grad_bias = view(grad_bias, normalized_shape);
  }
  return grads;
}

}  // namespace mini::ops
