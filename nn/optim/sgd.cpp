#include "nn/optim/sgd.h"

#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::nn::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer("SGD", {{"lr", options.lr},
                        {"momentum", options.momentum},
                        {"dampening", options.dampening},
                        {"weight_decay", options.weight_decay},
                        {"nesterov", options.nesterov ? 1.0 : 0.0}}) {
  MINI_CHECK(options.lr >= 0 && options.momentum >= 0 && options.weight_decay >= 0,
             "SGD: lr {}, momentum {} and weight_decay {} must be non-negative", options.lr, options.momentum,
             options.weight_decay);
  MINI_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
             "SGD: nesterov needs momentum > 0 and dampening 0");
  add_param_group(std::move(params));
}

void SGD::update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
                 std::map<std::string, Tensor>& state) {
  const double lr = group.get("lr"), momentum = group.get("momentum"), dampening = group.get("dampening");
  const double weight_decay = group.get("weight_decay");
  Tensor g = grad;
  if (weight_decay != 0) g = ops::add(g, ops::mul(param, weight_decay));
  if (momentum != 0) {
    auto it = state.find("momentum_buffer");
    if (it == state.end()) {
      it = state.emplace("momentum_buffer", ops::clone(g)).first;
    } else {
      ops::mul_(it->second, momentum);
      ops::add_(it->second, dampening == 0 ? g : ops::mul(g, 1.0 - dampening));
    }
    g = group.get("nesterov") != 0 ? ops::add(g, ops::mul(it->second, momentum)) : it->second;
  }
  ops::sub_(param, ops::mul(g, lr));
}

}  // namespace mini::nn::optim
