#pragma once
// Adam and AdamW (torch.optim semantics), optionally AMSGrad:
//   Adam:  g = grad + weight_decay * p            AdamW: p *= 1 - lr * weight_decay
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  (amsgrad: v_max = max(v_max, v))
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// State: "step" (0-d int64 on the CPU), "exp_avg", "exp_avg_sq", "max_exp_avg_sq".
#include "nn/optim/optimizer.h"

namespace mini::nn::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options);

 protected:
  Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled_weight_decay);
  void update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
              std::map<std::string, Tensor>& state) override;

 private:
  bool decoupled_weight_decay_;
};

// AdamW's weight_decay defaults to 0.01, as PyTorch's.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options);
};

}  // namespace mini::nn::optim
