#include "nn/functional.h"

#include <limits>

#include "autograd/autocast.h"
#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::nn::functional {

namespace {

// (C) -> (1, C, 1, ..., 1) to broadcast against x: (N, C, *).
Tensor per_channel(const Tensor& t, int64_t rank) {
  Shape sizes(static_cast<size_t>(rank), 1);
  sizes[1] = t.numel();
  return mini::reshape(t, sizes);
}

std::string shape_text(const Shape& sizes) { return fmt::format("({})", fmt::join(sizes, ", ")); }

double machine_epsilon(DType dtype) {
  switch (dtype) {
    case DType::f64:
      return std::numeric_limits<double>::epsilon();
    case DType::f16:
      return 0.0009765625;  // 2^-10
    case DType::bf16:
      return 0.0078125;  // 2^-7
    default:
      return std::numeric_limits<float>::epsilon();
  }
}

}  // namespace

Tensor batch_norm(const Tensor& x_arg, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight_arg,
                  const Tensor& bias_arg, bool training, double momentum, double eps) {
  const Tensor x = autocast_input(AutocastOp::batch_norm, x_arg);
  const Tensor weight = autocast_input(AutocastOp::batch_norm, weight_arg);
  const Tensor bias = autocast_input(AutocastOp::batch_norm, bias_arg);
  MINI_CHECK(x.dim() >= 2, "batch_norm: expected x of shape (N, C, *), got {}", shape_text(x.sizes()));
  const int64_t channels = x.size(1);
  auto check_channel_vector = [&](const Tensor& t, const char* what) {
    MINI_CHECK(!t.defined() || (t.dim() == 1 && t.size(0) == channels),
               "batch_norm: {} must have shape ({}) for x of shape {}, got {}", what, channels, shape_text(x.sizes()),
               shape_text(t.sizes()));
  };
  check_channel_vector(running_mean, "running_mean");
  check_channel_vector(running_var, "running_var");
  check_channel_vector(weight, "weight");
  check_channel_vector(bias, "bias");

  const int64_t rank = x.dim();
  Tensor mean, var;
  if (training) {
    Shape dims{0};
    for (int64_t d = 2; d < rank; ++d) dims.push_back(d);
    const int64_t count = x.numel() / std::max<int64_t>(channels, 1);
    MINI_CHECK(count > 1, "batch_norm: expected more than 1 value per channel when training, got x of shape {}",
               shape_text(x.sizes()));
    mean = mini::mean(x, dims, /*keepdim=*/true);
    var = mini::var(x, dims, /*unbiased=*/false, /*keepdim=*/true);
    if (running_mean.defined() || running_var.defined()) {
      NoGradGuard no_grad;
      if (running_mean.defined()) {
        ops::mul_(running_mean, 1.0 - momentum);
        ops::add_(running_mean, ops::mul(ops::reshape(mean.detach(), {channels}), momentum));
      }
      if (running_var.defined()) {
        // NOTE: the running variance is unbiased (n / (n - 1)), the normalization uses the biased one.
        const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
        ops::mul_(running_var, 1.0 - momentum);
        ops::add_(running_var, ops::mul(ops::reshape(var.detach(), {channels}), momentum * unbias));
      }
    }
  } else {
    MINI_CHECK(running_mean.defined() && running_var.defined(),
               "batch_norm: eval mode needs running_mean and running_var");
    mean = per_channel(running_mean, rank);
    var = per_channel(running_var, rank);
  }
  Tensor out = (x - mean) * mini::rsqrt(var + eps);
  if (weight.defined()) out = out * per_channel(weight, rank);
  if (bias.defined()) out = out + per_channel(bias, rank);
  return out;
}

Tensor group_norm(const Tensor& x_arg, int64_t num_groups, const Tensor& weight_arg, const Tensor& bias_arg,
                  double eps) {
  const Tensor x = autocast_input(AutocastOp::group_norm, x_arg);
  const Tensor weight = autocast_input(AutocastOp::group_norm, weight_arg);
  const Tensor bias = autocast_input(AutocastOp::group_norm, bias_arg);
  MINI_CHECK(x.dim() >= 2, "group_norm: expected x of shape (N, C, *), got {}", shape_text(x.sizes()));
  const int64_t channels = x.size(1);
  MINI_CHECK(num_groups > 0 && channels % num_groups == 0,
             "group_norm: {} channels (x of shape {}) are not divisible into {} groups", channels,
             shape_text(x.sizes()), num_groups);
  for (const Tensor* t : {&weight, &bias}) {
    MINI_CHECK(!t->defined() || (t->dim() == 1 && t->size(0) == channels),
               "group_norm: weight and bias must have shape ({}), got {}", channels, shape_text(t->sizes()));
  }
  const int64_t batch = x.size(0);
  const int64_t group_size = batch * num_groups == 0 ? 0 : x.numel() / (batch * num_groups);
  // Each (sample, group) is one row of a layer norm over its channels and positions.
  Tensor rows = mini::reshape(x, {batch, num_groups, group_size});
  Tensor out = mini::reshape(mini::layer_norm(rows, {group_size}, Tensor(), Tensor(), eps), x.sizes());
  if (weight.defined()) out = out * per_channel(weight, x.dim());
  if (bias.defined()) out = out + per_channel(bias, x.dim());
  return out;
}

Tensor rms_norm(const Tensor& x_arg, const Shape& normalized_shape, const Tensor& weight_arg,
                std::optional<double> eps) {
  const Tensor x = autocast_input(AutocastOp::rms_norm, x_arg);
  const Tensor weight = autocast_input(AutocastOp::rms_norm, weight_arg);
  const auto k = static_cast<int64_t>(normalized_shape.size());
  bool matches = k >= 1 && k <= x.dim();
  for (int64_t i = 0; matches && i < k; ++i) matches = x.size(x.dim() - k + i) == normalized_shape[i];
  MINI_CHECK(matches, "rms_norm: normalized_shape {} does not match the trailing dims of x {}",
             shape_text(normalized_shape), shape_text(x.sizes()));
  MINI_CHECK(!weight.defined() || weight.sizes() == normalized_shape, "rms_norm: weight must have shape {}, got {}",
             shape_text(normalized_shape), shape_text(weight.sizes()));
  Shape dims;
  for (int64_t d = x.dim() - k; d < x.dim(); ++d) dims.push_back(d);
  Tensor mean_square = mini::mean(x * x, dims, /*keepdim=*/true);
  Tensor out = x * mini::rsqrt(mean_square + eps.value_or(machine_epsilon(x.dtype())));
  return weight.defined() ? out * weight : out;
}

Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx) {
  Tensor out = mini::embedding(weight, indices);
  if (!padding_idx || !out.requires_grad()) return out;
  // Rows at padding_idx read the weight without a path back to it, so that
  // row's gradient stays zero while the output keeps its value.
  Tensor frozen = ops::embedding(weight, indices);
  Tensor is_padding = mini::unsqueeze(ops::eq(indices, Scalar(*padding_idx)), -1);
  return mini::where(is_padding, frozen, out);
}

}  // namespace mini::nn::functional
