#pragma once
// Bilinear: y = x1^T A x2 + b for each output feature, as torch.nn.Bilinear.
//   x1 (*, in1_features), x2 (*, in2_features) -> (*, out_features)
//   weight A (out, in1, in2), bias b (out); both ~ U(-1/sqrt(in1), 1/sqrt(in1)).
//
//   nn::Bilinear pair(16, 8, 4);
//   Tensor score = pair(user, item);   // (N, 16), (N, 8) -> (N, 4)
//
// The batch dims (*) of the two inputs must be equal (no broadcasting, as PyTorch).
#include "nn/module.h"
#include "tensor/options.h"

namespace mini::nn {

// The functional form (torch.nn.functional.bilinear); `bias` may be undefined.
Tensor bilinear(const Tensor& x1, const Tensor& x2, const Tensor& weight, const Tensor& bias = Tensor());

class Bilinear : public Module {
 public:
  Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features, bool bias = true,
           TensorOptions options = {});
  Tensor forward(const Tensor& x1, const Tensor& x2);
  // Throws: a Bilinear needs two inputs.
  Tensor forward(const Tensor& input) override;
  // Runs forward(x1, x2) through the forward wrapper (activation checkpointing
  // sees x1 as the input). Forward hooks take one input, so they do not run.
  Tensor operator()(const Tensor& x1, const Tensor& x2);
  using Module::operator();
  std::string extra_repr() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined without bias

 private:
  int64_t in1_features_, in2_features_, out_features_;
  Tensor weight_, bias_;
};

}  // namespace mini::nn
