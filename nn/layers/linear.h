#pragma once
// Linear: y = x W^T + b, x (..., in_features) -> (..., out_features).
#include "nn/module.h"
#include "tensor/options.h"

namespace mini::nn {

class Linear : public Module {
 public:
  // weight (out, in) and bias (out) get PyTorch's default init (init::default_linear_init_).
  Linear(int64_t in_features, int64_t out_features, bool bias = true, TensorOptions options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined without bias

 private:
  int64_t in_features_, out_features_;
  Tensor weight_, bias_;
};

}  // namespace mini::nn
