#include "nn/optim/adagrad.h"

#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::nn::optim {

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions options)
    : Optimizer("Adagrad", {{"lr", options.lr},
                            {"lr_decay", options.lr_decay},
                            {"weight_decay", options.weight_decay},
                            {"initial_accumulator_value", options.initial_accumulator_value},
                            {"eps", options.eps}}) {
  MINI_CHECK(options.lr >= 0 && options.lr_decay >= 0 && options.weight_decay >= 0 &&
                 options.initial_accumulator_value >= 0 && options.eps >= 0,
             "Adagrad: lr {}, lr_decay {}, weight_decay {}, initial_accumulator_value {} and eps {} must be "
             "non-negative",
             options.lr, options.lr_decay, options.weight_decay, options.initial_accumulator_value, options.eps);
  add_param_group(std::move(params));
}

void Adagrad::update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
                     std::map<std::string, Tensor>& state) {
  const double lr = group.get("lr"), lr_decay = group.get("lr_decay"), eps = group.get("eps");
  const double weight_decay = group.get("weight_decay");
  if (!state.contains("step")) {
    // torch fills the accumulator when the optimizer is built; lazily here, from the group's value.
    state["step"] = ops::zeros({}, {.dtype = DType::i64});
    state["sum"] = ops::full_like(param, group.get("initial_accumulator_value"));
  }
  Tensor& step_tensor = state["step"];
  ops::add_(step_tensor, 1);
  const auto step = static_cast<double>(step_tensor.item<int64_t>());

  Tensor g = grad;
  if (weight_decay != 0) g = ops::add(g, ops::mul(param, weight_decay));
  const double clr = lr / (1.0 + (step - 1.0) * lr_decay);
  const Tensor& sum = state["sum"];
  ops::add_(sum, ops::mul(g, g));
  Tensor scratch = ops::sqrt(sum);  // sqrt(sum) + eps, then the update
  ops::add_(scratch, eps);
  ops::div_out(scratch, g, scratch);
  ops::mul_(scratch, clr);
  ops::sub_(param, scratch);
}

}  // namespace mini::nn::optim
