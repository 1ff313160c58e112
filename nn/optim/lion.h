#pragma once
// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"):
//   c = beta1 m + (1 - beta1) g
//   p -= lr (sign(c) + weight_decay p)      (decoupled weight decay)
//   m = beta2 m + (1 - beta2) g
// State: "step" (0-d int64), "exp_avg".
#include "nn/optim/optimizer.h"

namespace mini::nn::optim {

struct LionOptions {
  double lr = 1e-4;
  double beta1 = 0.9;
  double beta2 = 0.99;
  double weight_decay = 0;
};

class Lion : public Optimizer {
 public:
  Lion(std::vector<Tensor> params, LionOptions options);

 protected:
  void update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
              std::map<std::string, Tensor>& state) override;
};

}  // namespace mini::nn::optim
