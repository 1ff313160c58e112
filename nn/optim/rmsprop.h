#pragma once
// RMSprop as torch.optim.RMSprop:
//   g = grad + weight_decay * p
//   v = alpha v + (1 - alpha) g^2
//   centered: m = alpha m + (1 - alpha) g;  denominator = sqrt(v - m^2) + eps
//   else:     denominator = sqrt(v) + eps
//   momentum > 0: buf = momentum buf + g / denominator;  p -= lr buf
//   else:         p -= lr g / denominator
// State: "step" (0-d int64), "square_avg", "grad_avg" (centered), "momentum_buffer" (momentum > 0).
#include "nn/optim/optimizer.h"

namespace mini::nn::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options);

 protected:
  void update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
              std::map<std::string, Tensor>& state) override;
};

}  // namespace mini::nn::optim
