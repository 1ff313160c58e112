// 2-D pooling from backend primitives (docs/design.md):
//   max_pool2d and its backward: Backend::max_pool2d(_backward), whose
//     composite default (im2col + argmax + gather; scatter-add) is at the end
//     of this file;
//   avg_pool2d: im2col with 0 padding, a sum over each window, a divide by a
//     per-position divisor (count_include_pad and ceil_mode as PyTorch);
//     its backward is the divided gradient broadcast over the window + col2im;
//   adaptive_avg_pool2d: separable, so it is rows (oh, H) @ x @ cols (W, ow)^T
//     with averaging matrices; the backward is the transposed products.
// ceil_mode windows that overhang the padded input read an extra pad at the
// bottom/right: the input is padded there first, so im2col sees plain geometry.
#include <cmath>
#include <limits>
#include <vector>

#include "tensor/backend.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/linalg.h"
#include "tensor/ops/nn.h"
#include "tensor/ops/view.h"

namespace mini::ops {
namespace {

std::string pair_str(int64_t a, int64_t b) { return fmt::format("({}, {})", a, b); }

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

struct PoolPlan {
  ConvGeometry geometry;  // over the input after the extra bottom/right padding
  int64_t in_h = 0, in_w = 0;
  int64_t extra_h = 0, extra_w = 0;
  int64_t batch = 0;
  int64_t window() const { return geometry.kernel_h * geometry.kernel_w; }
  int64_t positions() const { return geometry.out_h() * geometry.out_w(); }
  Shape output_sizes() const { return {batch, geometry.channels, geometry.out_h(), geometry.out_w()}; }
};

// torch's pooling_output_shape: with ceil_mode the last window may overhang,
// but must start inside the input or its left/top padding.
int64_t pool_output_size(int64_t in, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation,
                         bool ceil_mode) {
  const int64_t span = dilation * (kernel - 1) + 1;
  int64_t out = floor_div(in + 2 * pad - span + (ceil_mode ? stride - 1 : 0), stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

PoolPlan plan_pool(const Shape& sizes, const Pool2dOptions& options, const char* op) {
  MINI_CHECK(sizes.size() == 4, "{}: expected input (N, C, H, W), got {}", op, shape_str(sizes));
  const auto [kernel_h, kernel_w] = options.kernel;
  const int64_t stride_h = options.stride.first == 0 ? kernel_h : options.stride.first;
  const int64_t stride_w = options.stride.second == 0 ? kernel_w : options.stride.second;
  const auto [pad_h, pad_w] = options.padding;
  const auto [dilation_h, dilation_w] = options.dilation;
  MINI_CHECK(kernel_h >= 1 && kernel_w >= 1, "{}: kernel size {} must be positive", op, pair_str(kernel_h, kernel_w));
  MINI_CHECK(stride_h >= 1 && stride_w >= 1, "{}: stride {} must be positive", op, pair_str(stride_h, stride_w));
  MINI_CHECK(dilation_h >= 1 && dilation_w >= 1, "{}: dilation {} must be positive", op,
             pair_str(dilation_h, dilation_w));
  MINI_CHECK(pad_h >= 0 && pad_w >= 0 && pad_h <= kernel_h / 2 && pad_w <= kernel_w / 2,
             "{}: padding {} must be between 0 and half the kernel size {}", op, pair_str(pad_h, pad_w),
             pair_str(kernel_h, kernel_w));
  PoolPlan plan;
  plan.batch = sizes[0];
  plan.in_h = sizes[2];
  plan.in_w = sizes[3];
  const int64_t out_h = pool_output_size(plan.in_h, kernel_h, pad_h, stride_h, dilation_h, options.ceil_mode);
  const int64_t out_w = pool_output_size(plan.in_w, kernel_w, pad_w, stride_w, dilation_w, options.ceil_mode);
  MINI_CHECK(out_h >= 1 && out_w >= 1, "{}: input {} is too small for kernel {} with padding {} (output {})", op,
             shape_str(sizes), pair_str(kernel_h, kernel_w), pair_str(pad_h, pad_w), pair_str(out_h, out_w));
  ConvGeometry& g = plan.geometry;
  g.channels = sizes[1];
  g.kernel_h = kernel_h;
  g.kernel_w = kernel_w;
  g.stride_h = stride_h;
  g.stride_w = stride_w;
  g.pad_h = pad_h;
  g.pad_w = pad_w;
  g.dilation_h = dilation_h;
  g.dilation_w = dilation_w;
  const int64_t span_h = dilation_h * (kernel_h - 1) + 1, span_w = dilation_w * (kernel_w - 1) + 1;
  plan.extra_h = std::max<int64_t>(0, (out_h - 1) * stride_h + span_h - (plan.in_h + 2 * pad_h));
  plan.extra_w = std::max<int64_t>(0, (out_w - 1) * stride_w + span_w - (plan.in_w + 2 * pad_w));
  g.in_h = plan.in_h + plan.extra_h;
  g.in_w = plan.in_w + plan.extra_w;
  MINI_ASSERT(g.out_h() == out_h && g.out_w() == out_w, "{}: pooling geometry mismatch", op);
  return plan;
}

// x padded with `value` by the plan's extra rows/columns at the bottom/right (or x itself).
Tensor pad_for_ceil_mode(const Tensor& x, const PoolPlan& plan, Scalar value) {
  if (plan.extra_h == 0 && plan.extra_w == 0) return x;
  Tensor padded = full({x.size(0), x.size(1), plan.geometry.in_h, plan.geometry.in_w}, value,
                       {.dtype = x.dtype(), .device = x.device()});
  copy_(narrow(narrow(padded, 2, 0, plan.in_h), 3, 0, plan.in_w), x);
  return padded;
}

// The input region of an output position without its padding, clipped as torch does.
Tensor average_divisor(const PoolPlan& plan, bool count_include_pad, DType dtype, Device device) {
  const ConvGeometry& g = plan.geometry;
  std::vector<double> divisor(static_cast<size_t>(plan.positions()));
  for (int64_t oy = 0; oy < g.out_h(); ++oy) {
    const int64_t top = oy * g.stride_h - g.pad_h;
    const int64_t bottom = std::min(top + g.kernel_h, plan.in_h + g.pad_h);
    for (int64_t ox = 0; ox < g.out_w(); ++ox) {
      const int64_t left = ox * g.stride_w - g.pad_w;
      const int64_t right = std::min(left + g.kernel_w, plan.in_w + g.pad_w);
      const int64_t inside = (std::min(bottom, plan.in_h) - std::max<int64_t>(top, 0)) *
                             (std::min(right, plan.in_w) - std::max<int64_t>(left, 0));
      divisor[oy * g.out_w() + ox] = static_cast<double>(count_include_pad ? (bottom - top) * (right - left) : inside);
    }
  }
  return to_device(to_dtype(from_vector(divisor, {1, 1, plan.positions()}), dtype), device);
}

void check_floating(const Tensor& x, const char* op) {
  MINI_CHECK(x.defined(), "{}: undefined input", op);
  MINI_CHECK(is_floating(x.dtype()), "{}: expected a floating-point tensor, got {}", op, x.dtype());
}

void check_grad_out(const Tensor& grad_out, const PoolPlan& plan, const char* op) {
  const Shape expected = plan.output_sizes();
  MINI_CHECK(grad_out.sizes() == expected, "{}: grad_out {} does not match the pooling output {}", op,
             shape_str(grad_out.sizes()), shape_str(expected));
}

// (out, in) matrix whose row i averages torch's adaptive window
// [floor(i * in / out), ceil((i + 1) * in / out)).
Tensor averaging_matrix(int64_t out, int64_t in, DType dtype, Device device) {
  std::vector<double> weights(static_cast<size_t>(out * in), 0.0);
  for (int64_t i = 0; i < out; ++i) {
    const int64_t start = i * in / out, end = ((i + 1) * in + out - 1) / out;
    for (int64_t j = start; j < end; ++j) weights[i * in + j] = 1.0 / static_cast<double>(end - start);
  }
  return to_device(to_dtype(from_vector(weights, {out, in}), dtype), device);
}

// 16-bit inputs are averaged in float32 and rounded once.
DType adaptive_work_dtype(DType dtype) { return dtype == DType::f64 ? DType::f64 : DType::f32; }

}  // namespace

std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, const Pool2dOptions& options) {
  check_floating(x, "max_pool2d");
  const PoolPlan plan = plan_pool(x.sizes(), options, "max_pool2d");
  const Shape out_sizes = plan.output_sizes();
  Tensor values = empty(out_sizes, {.dtype = x.dtype(), .device = x.device()});
  Tensor indices = empty(out_sizes, {.dtype = DType::i64, .device = x.device()});
  if (values.numel() > 0) backend_for(x.device()).max_pool2d(values, indices, x, plan.geometry);
  return {values, indices};
}

Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Shape& input_sizes) {
  MINI_CHECK(input_sizes.size() == 4, "max_pool2d_backward: expected input size (N, C, H, W), got {}",
             shape_str(input_sizes));
  check_floating(grad_out, "max_pool2d_backward");
  MINI_CHECK(grad_out.dim() == 4 && grad_out.size(0) == input_sizes[0] && grad_out.size(1) == input_sizes[1],
             "max_pool2d_backward: grad_out {} does not match input {}", shape_str(grad_out.sizes()),
             shape_str(input_sizes));
  MINI_CHECK(indices.defined() && indices.sizes() == grad_out.sizes() && indices.dtype() == DType::i64,
             "max_pool2d_backward: indices {} ({}) must be int64 with grad_out's shape {}",
             indices.defined() ? shape_str(indices.sizes()) : std::string("undefined"),
             indices.defined() ? dtype_name(indices.dtype()) : "", shape_str(grad_out.sizes()));
  const TensorOptions options{.dtype = grad_out.dtype(), .device = grad_out.device()};
  if (grad_out.numel() == 0) return zeros(input_sizes, options);
  Tensor grad_input = empty(input_sizes, options);
  backend_for(grad_out.device()).max_pool2d_backward(grad_input, grad_out, indices);
  return grad_input;
}

Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options) {
  check_floating(x, "avg_pool2d");
  MINI_CHECK(options.dilation.first == 1 && options.dilation.second == 1,
             "avg_pool2d: dilation {} is not supported (only (1, 1))",
             pair_str(options.dilation.first, options.dilation.second));
  const PoolPlan plan = plan_pool(x.sizes(), options, "avg_pool2d");
  const ConvGeometry& g = plan.geometry;
  const int64_t planes = plan.batch * g.channels, window = plan.window(), positions = plan.positions();
  Tensor out = empty({planes, 1, positions}, {.dtype = x.dtype(), .device = x.device()});
  if (out.numel() > 0) {
    Backend& backend = backend_for(x.device());
    const Tensor columns = view(im2col(pad_for_ceil_mode(x, plan, 0), g, 0), {planes, window, positions});
    backend.reduce(ReduceOp::sum, out, columns);
    const Tensor divisor = average_divisor(plan, options.count_include_pad, x.dtype(), x.device());
    backend.binary(BinaryOp::div, out, out, expand(divisor, out.sizes()));
  }
  return view(out, plan.output_sizes());
}

Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& input_sizes, const Pool2dOptions& options) {
  check_floating(grad_out, "avg_pool2d_backward");
  const PoolPlan plan = plan_pool(input_sizes, options, "avg_pool2d_backward");
  check_grad_out(grad_out, plan, "avg_pool2d_backward");
  const ConvGeometry& g = plan.geometry;
  const int64_t batch = plan.batch, channels = g.channels;
  const int64_t window = plan.window(), positions = plan.positions();
  const Shape padded_sizes{batch, channels, g.in_h, g.in_w};
  if (grad_out.numel() == 0) return zeros(input_sizes, {.dtype = grad_out.dtype(), .device = grad_out.device()});
  // Each window position receives grad / divisor.
  Tensor scaled = empty({batch * channels, 1, positions}, {.dtype = grad_out.dtype(), .device = grad_out.device()});
  const Tensor divisor = average_divisor(plan, options.count_include_pad, grad_out.dtype(), grad_out.device());
  backend_for(grad_out.device())
      .binary(BinaryOp::div, scaled, reshape(grad_out, {batch * channels, 1, positions}),
              expand(divisor, scaled.sizes()));
  const Tensor columns = contiguous(expand(scaled, {batch * channels, window, positions}));
  const Tensor grad = col2im(view(columns, {batch, channels * window, positions}), padded_sizes, g);
  if (plan.extra_h == 0 && plan.extra_w == 0) return grad;
  return contiguous(narrow(narrow(grad, 2, 0, plan.in_h), 3, 0, plan.in_w));
}

Tensor adaptive_avg_pool2d(const Tensor& x, std::pair<int64_t, int64_t> output_size) {
  check_floating(x, "adaptive_avg_pool2d");
  MINI_CHECK(x.dim() == 4, "adaptive_avg_pool2d: expected input (N, C, H, W), got {}", shape_str(x.sizes()));
  const auto [out_h, out_w] = output_size;
  MINI_CHECK(out_h >= 1 && out_w >= 1 && x.size(2) >= 1 && x.size(3) >= 1,
             "adaptive_avg_pool2d: output size {} must be positive and input {} must have non-empty H and W",
             pair_str(out_h, out_w), shape_str(x.sizes()));
  const DType work = adaptive_work_dtype(x.dtype());
  const Tensor rows = averaging_matrix(out_h, x.size(2), work, x.device());  // (oh, H)
  const Tensor cols = averaging_matrix(out_w, x.size(3), work, x.device());  // (ow, W)
  // (oh, H) @ (N, C, H, W) @ (W, ow) -> (N, C, oh, ow)
  return to_dtype(matmul(matmul(rows, to_dtype(x, work)), t(cols)), x.dtype());
}

Tensor adaptive_avg_pool2d_backward(const Tensor& grad_out, const Shape& input_sizes) {
  check_floating(grad_out, "adaptive_avg_pool2d_backward");
  MINI_CHECK(input_sizes.size() == 4 && grad_out.dim() == 4 && grad_out.size(0) == input_sizes[0] &&
                 grad_out.size(1) == input_sizes[1],
             "adaptive_avg_pool2d_backward: grad_out {} does not match input {}", shape_str(grad_out.sizes()),
             shape_str(input_sizes));
  const DType work = adaptive_work_dtype(grad_out.dtype());
  const Tensor rows = averaging_matrix(grad_out.size(2), input_sizes[2], work, grad_out.device());
  const Tensor cols = averaging_matrix(grad_out.size(3), input_sizes[3], work, grad_out.device());
  // (H, oh) @ (N, C, oh, ow) @ (ow, W) -> (N, C, H, W)
  return to_dtype(matmul(matmul(t(rows), to_dtype(grad_out, work)), cols), grad_out.dtype());
}

}  // namespace mini::ops

namespace mini {

// The composites every backend gets unless it fuses them (tensor/backend.h).
//   max_pool2d: im2col with -inf padding, argmax over each window, and a
//     gather from an im2col of the plane's own indices to turn "position in the
//     window" into the flat index into the H*W plane;
//   max_pool2d_backward: scatter-add of the gradients at those indices.
void Backend::max_pool2d(const Tensor& values, const Tensor& indices, const Tensor& input, const ConvGeometry& g) {
  const int64_t planes = input.size(0) * input.size(1), window = g.kernel_h * g.kernel_w;
  const int64_t positions = g.out_h() * g.out_w();
  const int64_t in_h = input.size(2), in_w = input.size(3);
  // ceil_mode's overhang: pad the bottom/right up to the geometry's size.
  const auto padded = [&](const Tensor& x, Scalar value) {
    if (x.size(2) == g.in_h && x.size(3) == g.in_w) return x;
    Tensor out = ops::full({x.size(0), x.size(1), g.in_h, g.in_w}, value, {.dtype = x.dtype(), .device = x.device()});
    copy(ops::narrow(ops::narrow(out, 2, 0, in_h), 3, 0, in_w), x);
    return out;
  };
  const double lowest = -std::numeric_limits<double>::infinity();
  const Tensor columns = ops::view(ops::im2col(padded(input, lowest), g, lowest), {planes, window, positions});
  Tensor argmax = ops::empty({planes, 1, positions}, {.dtype = DType::i64, .device = input.device()});
  arg_reduce(ArgReduceOp::argmax, ops::view(values, {planes, 1, positions}), argmax, columns, 1);
  // Window position -> flat plane index: the same im2col over a plane holding
  // its own flat indices. Padding reads -1; every window holds a real
  // element, and ties go to the first, so padding is only chosen (index -1)
  // when all real elements of a window are -inf and a pad comes first.
  const Tensor plane_index =
      ops::view(ops::to_device(ops::arange(in_h * in_w), input.device()), {1, 1, in_h, in_w});
  ConvGeometry index_geometry = g;
  index_geometry.channels = 1;
  const Tensor index_columns = ops::im2col(padded(plane_index, -1), index_geometry, -1);
  gather(ops::view(indices, {planes, 1, positions}), ops::expand(index_columns, {planes, window, positions}), 1,
         argmax);
}

void Backend::max_pool2d_backward(const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices) {
  const int64_t batch = grad_input.size(0), channels = grad_input.size(1);
  const int64_t positions = grad_out.size(2) * grad_out.size(3);
  const Tensor flat = ops::view(grad_input, {batch, channels, grad_input.size(2) * grad_input.size(3)});
  fill(flat, 0);
  scatter(flat, 2, ops::reshape(indices, {batch, channels, positions}),
          ops::reshape(grad_out, {batch, channels, positions}), ScatterMode::add);
}

}  // namespace mini
