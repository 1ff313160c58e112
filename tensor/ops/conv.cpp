// conv2d / conv1d, their backward pieces, and the im2col/col2im frontends.
//
// The backward passes are Backend primitives (conv2d_backward_input/weight)
// whose default, defined at the end of this file, is a composite of
// im2col/col2im and matmul, per group g (R = C/groups * kh * kw rows of the
// columns matrix, P = H' * W' positions):
//   grad_columns[n, g] (R, P) = weight[g]^T (R, K/groups) @ grad_out[n, g] (K/groups, P), then col2im
//   grad_weight[g] (K/groups, R) = sum_n grad_out[n, g] (K/groups, P) @ columns[n, g]^T (P, R)
#include <string>

#include "tensor/backend.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/linalg.h"
#include "tensor/ops/nn.h"
#include "tensor/ops/view.h"

namespace mini::ops {
namespace {

std::string pair_str(int64_t a, int64_t b) { return fmt::format("({}, {})", a, b); }

// Geometry of a convolution over an input of `sizes` (N, C, H, W).
ConvGeometry geometry_for(const Shape& sizes, int64_t kernel_h, int64_t kernel_w, const Conv2dOptions& options,
                          const char* op) {
  MINI_CHECK(sizes.size() == 4, "{}: expected input (N, C, H, W), got {}", op, shape_str(sizes));
  MINI_CHECK(kernel_h >= 1 && kernel_w >= 1, "{}: kernel size {} must be positive", op,
             pair_str(kernel_h, kernel_w));
  MINI_CHECK(options.stride.first >= 1 && options.stride.second >= 1, "{}: stride {} must be positive", op,
             pair_str(options.stride.first, options.stride.second));
  MINI_CHECK(options.dilation.first >= 1 && options.dilation.second >= 1, "{}: dilation {} must be positive", op,
             pair_str(options.dilation.first, options.dilation.second));
  MINI_CHECK(options.padding.first >= 0 && options.padding.second >= 0, "{}: padding {} must not be negative", op,
             pair_str(options.padding.first, options.padding.second));
  MINI_CHECK(options.groups >= 1 && sizes[1] % options.groups == 0,
             "{}: input {} has {} channels, not divisible by groups = {}", op, shape_str(sizes), sizes[1],
             options.groups);
  ConvGeometry g;
  g.channels = sizes[1];
  g.in_h = sizes[2];
  g.in_w = sizes[3];
  g.kernel_h = kernel_h;
  g.kernel_w = kernel_w;
  g.stride_h = options.stride.first;
  g.stride_w = options.stride.second;
  g.pad_h = options.padding.first;
  g.pad_w = options.padding.second;
  g.dilation_h = options.dilation.first;
  g.dilation_w = options.dilation.second;
  const int64_t span_h = g.dilation_h * (kernel_h - 1) + 1, span_w = g.dilation_w * (kernel_w - 1) + 1;
  MINI_CHECK(span_h <= g.in_h + 2 * g.pad_h && span_w <= g.in_w + 2 * g.pad_w,
             "{}: kernel {} (spanning {} with dilation) is larger than the padded input {} of input {}", op,
             pair_str(kernel_h, kernel_w), pair_str(span_h, span_w),
             pair_str(g.in_h + 2 * g.pad_h, g.in_w + 2 * g.pad_w), shape_str(sizes));
  return g;
}

void check_weight(const Shape& input_sizes, const Shape& weight_sizes, int64_t groups, const char* op) {
  MINI_CHECK(weight_sizes.size() == 4, "{}: weight must be (K, C/groups, kh, kw), got {}", op,
             shape_str(weight_sizes));
  MINI_CHECK(input_sizes[1] % groups == 0, "{}: input {} has {} channels, not divisible by groups = {}", op,
             shape_str(input_sizes), input_sizes[1], groups);
  MINI_CHECK(weight_sizes[0] % groups == 0, "{}: weight {} has {} output channels, not divisible by groups = {}",
             op, shape_str(weight_sizes), weight_sizes[0], groups);
  MINI_CHECK(weight_sizes[1] * groups == input_sizes[1],
             "{}: input {} has {} channels, but weight {} with groups = {} expects {}", op, shape_str(input_sizes),
             input_sizes[1], shape_str(weight_sizes), groups, weight_sizes[1] * groups);
}

void check_floating_pair(const Tensor& x, const Tensor& weight, const char* op) {
  MINI_CHECK(is_floating(x.dtype()), "{}: expected a floating-point input, got {}", op, x.dtype());
  MINI_CHECK(x.dtype() == weight.dtype(), "{}: input dtype {} and weight dtype {} differ", op, x.dtype(),
             weight.dtype());
  MINI_CHECK(x.device() == weight.device(), "{}: input on {} but weight on {}", op, x.device().str(),
             weight.device().str());
}

Shape output_sizes(int64_t batch, int64_t channels, const ConvGeometry& g) {
  return {batch, channels, g.out_h(), g.out_w()};
}

}  // namespace

ConvGeometry conv2d_geometry(const Tensor& x, int64_t kernel_h, int64_t kernel_w, const Conv2dOptions& options,
                             const char* op) {
  return geometry_for(x.sizes(), kernel_h, kernel_w, options, op);
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options) {
  MINI_CHECK(x.defined() && weight.defined(), "conv2d: undefined input or weight");
  MINI_CHECK(x.dim() == 4, "conv2d: expected input (N, C, H, W), got {}", shape_str(x.sizes()));
  MINI_CHECK(options.groups >= 1, "conv2d: groups = {} must be positive", options.groups);
  check_weight(x.sizes(), weight.sizes(), options.groups, "conv2d");
  check_floating_pair(x, weight, "conv2d");
  const ConvGeometry g = geometry_for(x.sizes(), weight.size(2), weight.size(3), options, "conv2d");
  Tensor out = empty(output_sizes(x.size(0), weight.size(0), g), {.dtype = x.dtype(), .device = x.device()});
  Backend& backend = backend_for(x.device());
  backend.conv2d(out, x, weight, g, options.groups);
  if (bias.defined()) {
    MINI_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0), "conv2d: bias {} does not match weight {}",
               shape_str(bias.sizes()), shape_str(weight.sizes()));
    MINI_CHECK(bias.dtype() == x.dtype() && bias.device() == x.device(), "conv2d: bias has dtype {}, input {}",
               bias.dtype(), x.dtype());
    backend.binary(BinaryOp::add, out, out, expand(view(bias, {1, bias.size(0), 1, 1}), out.sizes()));
  }
  return out;
}

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride, int64_t padding,
              int64_t dilation, int64_t groups) {
  MINI_CHECK(x.defined() && weight.defined(), "conv1d: undefined input or weight");
  MINI_CHECK(x.dim() == 3, "conv1d: expected input (N, C, L), got {}", shape_str(x.sizes()));
  MINI_CHECK(weight.dim() == 3, "conv1d: weight must be (K, C/groups, k), got {}", shape_str(weight.sizes()));
  // A 1-D convolution is a 2-D one over an (N, C, 1, L) input.
  const Conv2dOptions options{.stride = {1, stride}, .padding = {0, padding}, .dilation = {1, dilation},
                              .groups = groups};
  return squeeze(conv2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, options), 2);
}

Tensor im2col(const Tensor& x, const ConvGeometry& geometry, Scalar pad_value) {
  MINI_CHECK(x.dim() == 4 && x.size(1) == geometry.channels && x.size(2) == geometry.in_h &&
                 x.size(3) == geometry.in_w,
             "im2col: input {} does not match the geometry (N, {}, {}, {})", shape_str(x.sizes()), geometry.channels,
             geometry.in_h, geometry.in_w);
  const int64_t window = geometry.kernel_h * geometry.kernel_w;
  Tensor columns = empty({x.size(0), x.size(1) * window, geometry.out_h() * geometry.out_w()},
                         {.dtype = x.dtype(), .device = x.device()});
  backend_for(x.device()).im2col(columns, x, geometry, pad_value);
  return columns;
}

Tensor col2im(const Tensor& columns, const Shape& input_sizes, const ConvGeometry& geometry) {
  MINI_CHECK(input_sizes.size() == 4 && input_sizes[1] == geometry.channels && input_sizes[2] == geometry.in_h &&
                 input_sizes[3] == geometry.in_w,
             "col2im: input size {} does not match the geometry (N, {}, {}, {})", shape_str(input_sizes),
             geometry.channels, geometry.in_h, geometry.in_w);
  const Shape expected{input_sizes[0], input_sizes[1] * geometry.kernel_h * geometry.kernel_w,
                       geometry.out_h() * geometry.out_w()};
  MINI_CHECK(columns.sizes() == expected, "col2im: columns {} do not match input {}: expected {}",
             shape_str(columns.sizes()), shape_str(input_sizes), shape_str(expected));
  Tensor grad = zeros(input_sizes, {.dtype = columns.dtype(), .device = columns.device()});
  backend_for(columns.device()).col2im(grad, contiguous(columns), geometry);
  return grad;
}

Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const Shape& input_sizes,
                             const Conv2dOptions& options) {
  const char* op = "conv2d_backward_input";
  MINI_CHECK(options.groups >= 1, "{}: groups = {} must be positive", op, options.groups);
  MINI_CHECK(input_sizes.size() == 4, "{}: expected input size (N, C, H, W), got {}", op, shape_str(input_sizes));
  check_weight(input_sizes, weight.sizes(), options.groups, op);
  check_floating_pair(grad_out, weight, op);
  const ConvGeometry g = geometry_for(input_sizes, weight.size(2), weight.size(3), options, op);
  const Shape expected = output_sizes(input_sizes[0], weight.size(0), g);
  MINI_CHECK(grad_out.sizes() == expected, "{}: grad_out {} does not match the output size {}", op,
             shape_str(grad_out.sizes()), shape_str(expected));
  const TensorOptions tensor_options{.dtype = grad_out.dtype(), .device = grad_out.device()};
  if (grad_out.numel() == 0) return zeros(input_sizes, tensor_options);
  Tensor grad_input = empty(input_sizes, tensor_options);
  backend_for(grad_out.device()).conv2d_backward_input(grad_input, grad_out, weight, g, options.groups);
  return grad_input;
}

Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& weight_sizes,
                              const Conv2dOptions& options) {
  const char* op = "conv2d_backward_weight";
  MINI_CHECK(options.groups >= 1, "{}: groups = {} must be positive", op, options.groups);
  MINI_CHECK(x.dim() == 4, "{}: expected input (N, C, H, W), got {}", op, shape_str(x.sizes()));
  check_weight(x.sizes(), weight_sizes, options.groups, op);
  check_floating_pair(x, grad_out, op);
  const ConvGeometry g = geometry_for(x.sizes(), weight_sizes[2], weight_sizes[3], options, op);
  const Shape expected = output_sizes(x.size(0), weight_sizes[0], g);
  MINI_CHECK(grad_out.sizes() == expected, "{}: grad_out {} does not match the output size {}", op,
             shape_str(grad_out.sizes()), shape_str(expected));
  const TensorOptions tensor_options{.dtype = x.dtype(), .device = x.device()};
  if (grad_out.numel() == 0) return zeros(weight_sizes, tensor_options);
  Tensor grad_weight = empty(weight_sizes, tensor_options);
  backend_for(x.device()).conv2d_backward_weight(grad_weight, grad_out, x, g, options.groups);
  return grad_weight;
}

}  // namespace mini::ops

namespace mini {

// The composites every backend gets unless it fuses them (tensor/backend.h).
void Backend::conv2d_backward_input(const Tensor& grad_input, const Tensor& grad_out, const Tensor& weight,
                                    const ConvGeometry& g, int64_t groups) {
  const int64_t batch = grad_input.size(0);
  const int64_t group_kernels = weight.size(0) / groups;
  const int64_t rows = weight.size(1) * g.kernel_h * g.kernel_w, positions = g.out_h() * g.out_w();
  // weight (K, C/g, kh, kw) -> (groups, K/g, R) -> transposed view (groups, R, K/g)
  const Tensor weight_t = ops::transpose(ops::reshape(weight, {groups, group_kernels, rows}), 1, 2);
  const Tensor grad_groups = ops::reshape(grad_out, {batch, groups, group_kernels, positions});
  const Tensor grad_columns = ops::matmul(weight_t, grad_groups);  // (N, groups, R, P)
  fill(grad_input, 0);
  col2im(grad_input, ops::contiguous(ops::view(grad_columns, {batch, groups * rows, positions})), g);
}

void Backend::conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                                     const ConvGeometry& g, int64_t groups) {
  const int64_t batch = input.size(0);
  const int64_t group_kernels = grad_weight.size(0) / groups;
  const int64_t rows = grad_weight.size(1) * g.kernel_h * g.kernel_w, positions = g.out_h() * g.out_w();
  const Tensor columns = ops::view(ops::im2col(input, g), {batch, groups, rows, positions});
  const Tensor grad_groups = ops::reshape(grad_out, {batch, groups, group_kernels, positions});
  // Per sample (N, groups, K/g, R); columns^T is a transposed view, read in place by the GEMM.
  const Tensor per_sample = ops::matmul(grad_groups, ops::transpose(columns, 2, 3));
  const Tensor target = ops::view(grad_weight, {1, groups, group_kernels, rows});
  if (batch == 1) {
    copy(target, per_sample);
  } else {
    reduce(ReduceOp::sum, target, per_sample);
  }
}

}  // namespace mini
