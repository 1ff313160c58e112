#pragma once
// SGD with momentum, dampening, Nesterov and (coupled) weight decay, as torch.optim.SGD:
//   g = grad + weight_decay * p
//   buf = g (first step), else momentum * buf + (1 - dampening) * g
//   g = g + momentum * buf (nesterov) or buf
//   p -= lr * g
#include "nn/optim/optimizer.h"

namespace mini::nn::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);

 protected:
  void update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
              std::map<std::string, Tensor>& state) override;
};

}  // namespace mini::nn::optim
