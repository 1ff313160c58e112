#include "nn/optim/adam.h"

#include <cmath>

#include "autograd/autograd.h"
#include "tensor/backend.h"
#include "tensor/error.h"

namespace mini::nn::optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions options) : Adam("Adam", std::move(params), options, false) {}

Adam::Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled_weight_decay)
    : Optimizer(std::move(name), {{"lr", options.lr},
                                  {"beta1", options.beta1},
                                  {"beta2", options.beta2},
                                  {"eps", options.eps},
                                  {"weight_decay", options.weight_decay},
                                  {"amsgrad", options.amsgrad ? 1.0 : 0.0}}),
      decoupled_weight_decay_(decoupled_weight_decay) {
  MINI_CHECK(options.lr >= 0 && options.eps >= 0 && options.weight_decay >= 0,
             "{}: lr {}, eps {} and weight_decay {} must be non-negative", this->name(), options.lr, options.eps,
             options.weight_decay);
  MINI_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1,
             "{}: betas ({}, {}) must be in [0, 1)", this->name(), options.beta1, options.beta2);
  add_param_group(std::move(params));
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : Adam("AdamW", std::move(params),
           AdamOptions{options.lr, options.beta1, options.beta2, options.eps, options.weight_decay, options.amsgrad},
           true) {}

void Adam::update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
                  std::map<std::string, Tensor>& state) {
  const double lr = group.get("lr"), beta1 = group.get("beta1"), beta2 = group.get("beta2");
  const double eps = group.get("eps"), weight_decay = group.get("weight_decay");
  const bool amsgrad = group.get("amsgrad") != 0;
  if (!state.contains("step")) {
    state["step"] = ops::zeros({}, {.dtype = DType::i64});
    state["exp_avg"] = ops::zeros_like(param);
    state["exp_avg_sq"] = ops::zeros_like(param);
    if (amsgrad) state["max_exp_avg_sq"] = ops::zeros_like(param);
  }
  Tensor& step_tensor = state["step"];
  ops::add_(step_tensor, 1);
  const auto step = static_cast<double>(step_tensor.item<int64_t>());

  OptimizerStep update{.kind = OptimizerKind::adam,
                       .lr = lr,
                       .weight_decay = weight_decay,
                       .beta1 = beta1,
                       .beta2 = beta2,
                       .eps = eps,
                       .bias_correction1 = 1.0 - std::pow(beta1, step),
                       .bias_correction2 = 1.0 - std::pow(beta2, step),
                       .decoupled_weight_decay = decoupled_weight_decay_,
                       .amsgrad = amsgrad};
  std::vector<Tensor> moments{state["exp_avg"], state["exp_avg_sq"]};
  if (amsgrad) {
    Tensor& max_exp_avg_sq = state["max_exp_avg_sq"];  // amsgrad switched on after the first step
    if (!max_exp_avg_sq.defined()) max_exp_avg_sq = ops::zeros_like(param);
    moments.push_back(max_exp_avg_sq);
  }
  backend_for(param.device()).optimizer_step(update, param, grad, moments);
}

}  // namespace mini::nn::optim
