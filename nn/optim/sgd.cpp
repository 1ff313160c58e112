#include "nn/optim/sgd.h"

#include "autograd/autograd.h"
#include "tensor/backend.h"
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
  OptimizerStep step{.kind = OptimizerKind::sgd,
                     .lr = group.get("lr"),
                     .weight_decay = group.get("weight_decay"),
                     .momentum = group.get("momentum"),
                     .dampening = group.get("dampening"),
                     .nesterov = group.get("nesterov") != 0};
  std::vector<Tensor> buffers;
  if (step.momentum != 0) {
    auto it = state.find("momentum_buffer");
    if (it == state.end()) {
      // Filled with the first step's gradient by the update itself.
      Tensor buffer = ops::empty(param.sizes(), {.dtype = param.dtype(), .device = param.device()});
      it = state.emplace("momentum_buffer", std::move(buffer)).first;
      step.first_step = true;
    }
    buffers.push_back(it->second);
  }
  backend_for(param.device()).optimizer_step(step, param, grad, buffers);
}

}  // namespace mini::nn::optim
