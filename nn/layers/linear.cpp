#include "nn/layers/linear.h"

#include "autograd/autograd.h"
#include "nn/init.h"

namespace mini::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, TensorOptions options)
    : Module("Linear"), in_features_(in_features), out_features_(out_features) {
  MINI_CHECK(in_features >= 0 && out_features >= 0, "Linear: negative size in_features={}, out_features={}",
             in_features, out_features);
  weight_ = register_parameter("weight", ops::empty({out_features, in_features}, options));
  if (bias) bias_ = register_parameter("bias", ops::empty({out_features}, options));
  init::default_linear_init_(weight_, bias_);
}

Tensor Linear::forward(const Tensor& x) { return mini::linear(x, weight_, bias_); }

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features_, out_features_, bias_.defined());
}

}  // namespace mini::nn
