#include "nn/optim/lion.h"

#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::nn::optim {

Lion::Lion(std::vector<Tensor> params, LionOptions options)
    : Optimizer("Lion", {{"lr", options.lr},
                         {"beta1", options.beta1},
                         {"beta2", options.beta2},
                         {"weight_decay", options.weight_decay}}) {
  MINI_CHECK(options.lr >= 0 && options.weight_decay >= 0, "Lion: lr {} and weight_decay {} must be non-negative",
             options.lr, options.weight_decay);
  MINI_CHECK(options.beta1 >= 0 && options.beta1 <= 1 && options.beta2 >= 0 && options.beta2 <= 1,
             "Lion: betas ({}, {}) must be in [0, 1]", options.beta1, options.beta2);
  add_param_group(std::move(params));
}

void Lion::update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
                  std::map<std::string, Tensor>& state) {
  const double lr = group.get("lr"), beta1 = group.get("beta1"), beta2 = group.get("beta2");
  const double weight_decay = group.get("weight_decay");
  if (!state.contains("step")) {
    state["step"] = ops::zeros({}, {.dtype = DType::i64});
    state["exp_avg"] = ops::zeros_like(param);
  }
  ops::add_(state["step"], 1);
  const Tensor& exp_avg = state["exp_avg"];
  // The interpolation uses the old moment, so it is formed before the moment update.
  Tensor direction = ops::mul(exp_avg, beta1);
  ops::add_(direction, ops::mul(grad, 1.0 - beta1));
  ops::sign_(direction);
  if (weight_decay != 0) ops::mul_(param, 1.0 - lr * weight_decay);
  ops::mul_(direction, lr);
  ops::sub_(param, direction);
  ops::mul_(exp_avg, beta2);
  ops::add_(exp_avg, ops::mul(grad, 1.0 - beta2));
}

}  // namespace mini::nn::optim
