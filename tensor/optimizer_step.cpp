// Backend::optimizer_step's default: the optimizer update as a sequence of
// elementwise ops (what nn/optim did before the primitive existed), so a
// backend that does not fuse it (CUDA) computes exactly what it did before.
#include <cmath>
#include <string>

#include "tensor/backend.h"
#include "tensor/error.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/factory.h"

namespace mini {
namespace {

void sgd_step(const OptimizerStep& step, const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) {
  Tensor g = grad;
  if (step.weight_decay != 0) g = ops::add(g, ops::mul(param, step.weight_decay));
  if (step.momentum != 0) {
    const Tensor& buffer = state[0];
    if (step.first_step) {
      ops::copy_(buffer, g);
    } else {
      ops::mul_(buffer, step.momentum);
      ops::add_(buffer, step.dampening == 0 ? g : ops::mul(g, 1.0 - step.dampening));
    }
    g = step.nesterov ? ops::add(g, ops::mul(buffer, step.momentum)) : buffer;
  }
  ops::sub_(param, ops::mul(g, step.lr));
}

void adam_step(const OptimizerStep& step, const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) {
  Tensor g = grad;
  if (step.weight_decay != 0) {
    if (step.decoupled_weight_decay) {
      ops::mul_(param, 1.0 - step.lr * step.weight_decay);
    } else {
      g = ops::add(g, ops::mul(param, step.weight_decay));
    }
  }
  const Tensor& exp_avg = state[0];
  const Tensor& exp_avg_sq = state[1];
  ops::mul_(exp_avg, step.beta1);
  ops::add_(exp_avg, ops::mul(g, 1.0 - step.beta1));
  ops::mul_(exp_avg_sq, step.beta2);
  Tensor scratch = ops::mul(g, g);  // reused below for the denominator
  ops::mul_(scratch, 1.0 - step.beta2);
  ops::add_(exp_avg_sq, scratch);
  Tensor second_moment = exp_avg_sq;
  if (step.amsgrad) {
    ops::maximum_out(state[2], state[2], exp_avg_sq);
    second_moment = state[2];
  }
  // denominator = sqrt(v) / sqrt(1 - beta2^t) + eps; update = m / denominator
  ops::sqrt_out(scratch, second_moment);
  ops::div_(scratch, std::sqrt(step.bias_correction2));
  ops::add_(scratch, step.eps);
  ops::div_out(scratch, exp_avg, scratch);
  ops::mul_(scratch, step.lr / step.bias_correction1);
  ops::sub_(param, scratch);
}

}  // namespace

void check_optimizer_step_operands(const OptimizerStep& step, const Tensor& param, const Tensor& grad,
                                   const std::vector<Tensor>& state) {
  if (step.kind == OptimizerKind::sgd) {
    // Without momentum any state is ignored, as by the default.
    MINI_CHECK(step.momentum == 0 || state.size() == 1,
               "optimizer_step: sgd with momentum needs 1 state tensor, got {}", state.size());
  } else {
    MINI_CHECK(state.size() == (step.amsgrad ? 3u : 2u), "optimizer_step: adam{} needs {} state tensors, got {}",
               step.amsgrad ? " with amsgrad" : "", step.amsgrad ? 3 : 2, state.size());
  }
  MINI_CHECK(param.defined() && is_floating(param.dtype()),
             "optimizer_step: expected a floating-point parameter, got {}",
             param.defined() ? std::string(dtype_name(param.dtype())) : std::string("an undefined tensor"));
  const auto check_like_param = [&](const Tensor& tensor, const std::string& what) {
    MINI_CHECK(tensor.defined() && tensor.sizes() == param.sizes() && tensor.dtype() == param.dtype() &&
                   tensor.device() == param.device(),
               "optimizer_step: {} must match the parameter {} {} on {}, got {}", what, shape_str(param.sizes()),
               param.dtype(), param.device().str(),
               tensor.defined()
                   ? fmt::format("{} {} on {}", shape_str(tensor.sizes()), tensor.dtype(), tensor.device().str())
                   : std::string("an undefined tensor"));
  };
  check_like_param(grad, "grad");
  const size_t used = step.kind == OptimizerKind::adam || step.momentum != 0 ? state.size() : 0;
  for (size_t i = 0; i < used; ++i) check_like_param(state[i], fmt::format("state tensor {}", i));
}

void Backend::optimizer_step(const OptimizerStep& step, const Tensor& param, const Tensor& grad,
                             const std::vector<Tensor>& state) {
  check_optimizer_step_operands(step, param, grad, state);
  if (step.kind == OptimizerKind::sgd) {
    sgd_step(step, param, grad, state);
  } else {
    adam_step(step, param, grad, state);
  }
}

}  // namespace mini
