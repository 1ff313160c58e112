#include "nn/optim/rmsprop.h"

#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::nn::optim {

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options)
    : Optimizer("RMSprop", {{"lr", options.lr},
                            {"alpha", options.alpha},
                            {"eps", options.eps},
                            {"weight_decay", options.weight_decay},
                            {"momentum", options.momentum},
                            {"centered", options.centered ? 1.0 : 0.0}}) {
  MINI_CHECK(options.lr >= 0 && options.eps >= 0 && options.weight_decay >= 0 && options.momentum >= 0,
             "RMSprop: lr {}, eps {}, weight_decay {} and momentum {} must be non-negative", options.lr, options.eps,
             options.weight_decay, options.momentum);
  MINI_CHECK(options.alpha >= 0, "RMSprop: alpha {} must be non-negative", options.alpha);
  add_param_group(std::move(params));
}

void RMSprop::update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
                     std::map<std::string, Tensor>& state) {
  const double lr = group.get("lr"), alpha = group.get("alpha"), eps = group.get("eps");
  const double weight_decay = group.get("weight_decay"), momentum = group.get("momentum");
  const bool centered = group.get("centered") != 0;
  if (!state.contains("step")) {
    state["step"] = ops::zeros({}, {.dtype = DType::i64});
    state["square_avg"] = ops::zeros_like(param);
  }
  // Created on demand so a group switched to momentum/centered mid-run still works.
  if (momentum > 0 && !state.contains("momentum_buffer")) state["momentum_buffer"] = ops::zeros_like(param);
  if (centered && !state.contains("grad_avg")) state["grad_avg"] = ops::zeros_like(param);
  ops::add_(state["step"], 1);

  Tensor g = grad;
  if (weight_decay != 0) g = ops::add(g, ops::mul(param, weight_decay));
  const Tensor& square_avg = state["square_avg"];
  ops::mul_(square_avg, alpha);
  Tensor denominator = ops::mul(g, g);  // (1 - alpha) g^2, then reused for the denominator
  ops::mul_(denominator, 1.0 - alpha);
  ops::add_(square_avg, denominator);
  if (centered) {
    const Tensor& grad_avg = state["grad_avg"];
    ops::mul_(grad_avg, alpha);
    ops::add_(grad_avg, ops::mul(g, 1.0 - alpha));
    ops::sub_out(denominator, square_avg, ops::mul(grad_avg, grad_avg));
    ops::sqrt_(denominator);
  } else {
    ops::sqrt_out(denominator, square_avg);
  }
  ops::add_(denominator, eps);
  if (momentum > 0) {
    const Tensor& buffer = state["momentum_buffer"];
    ops::mul_(buffer, momentum);
    ops::add_(buffer, ops::div(g, denominator));
    ops::sub_(param, ops::mul(buffer, lr));
  } else {
    ops::div_out(denominator, g, denominator);
    ops::mul_(denominator, lr);
    ops::sub_(param, denominator);
  }
}

}  // namespace mini::nn::optim
