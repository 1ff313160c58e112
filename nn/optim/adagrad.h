#pragma once
// Adagrad as torch.optim.Adagrad:
//   t += 1;  g = grad + weight_decay * p
//   clr = lr / (1 + (t - 1) lr_decay)
//   sum += g^2                 (sum starts at initial_accumulator_value)
//   p -= clr g / (sqrt(sum) + eps)
// State: "step" (0-d int64), "sum".
#include "nn/optim/optimizer.h"

namespace mini::nn::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double eps = 1e-10;
};

class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<Tensor> params, AdagradOptions options);

 protected:
  void update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
              std::map<std::string, Tensor>& state) override;
};

}  // namespace mini::nn::optim
