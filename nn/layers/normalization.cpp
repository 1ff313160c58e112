#include "nn/layers/normalization.h"

#include "autograd/autograd.h"
#include "nn/functional.h"

namespace mini::nn {

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine, bool bias, TensorOptions options)
    : Module("LayerNorm"), normalized_shape_(std::move(normalized_shape)), eps_(eps) {
  if (elementwise_affine) {
    weight_ = register_parameter("weight", ops::ones(normalized_shape_, options));
    if (bias) bias_ = register_parameter("bias", ops::zeros(normalized_shape_, options));
  }
}

Tensor LayerNorm::forward(const Tensor& x) { return mini::layer_norm(x, normalized_shape_, weight_, bias_, eps_); }

std::string LayerNorm::extra_repr() const {
  return fmt::format("({}), eps={}, elementwise_affine={}", fmt::join(normalized_shape_, ", "), eps_,
                     weight_.defined());
}

GroupNorm::GroupNorm(int64_t num_groups, int64_t num_channels, double eps, bool affine, TensorOptions options)
    : Module("GroupNorm"), num_groups_(num_groups), num_channels_(num_channels), eps_(eps) {
  MINI_CHECK(num_groups > 0 && num_channels % num_groups == 0,
             "GroupNorm: num_channels={} must be divisible by num_groups={}", num_channels, num_groups);
  if (affine) {
    weight_ = register_parameter("weight", ops::ones({num_channels}, options));
    bias_ = register_parameter("bias", ops::zeros({num_channels}, options));
  }
}

Tensor GroupNorm::forward(const Tensor& x) { return functional::group_norm(x, num_groups_, weight_, bias_, eps_); }

std::string GroupNorm::extra_repr() const {
  return fmt::format("{}, {}, eps={}, affine={}", num_groups_, num_channels_, eps_, weight_.defined());
}

RMSNorm::RMSNorm(Shape normalized_shape, std::optional<double> eps, bool elementwise_affine, TensorOptions options)
    : Module("RMSNorm"), normalized_shape_(std::move(normalized_shape)), eps_(eps) {
  if (elementwise_affine) weight_ = register_parameter("weight", ops::ones(normalized_shape_, options));
}

Tensor RMSNorm::forward(const Tensor& x) { return functional::rms_norm(x, normalized_shape_, weight_, eps_); }

std::string RMSNorm::extra_repr() const {
  return fmt::format("({}), eps={}, elementwise_affine={}", fmt::join(normalized_shape_, ", "),
                     eps_ ? fmt::format("{}", *eps_) : "None", weight_.defined());
}

}  // namespace mini::nn
