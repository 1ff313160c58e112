#include "runtime/amp_optim_wrapper.h"

#include <utility>

#include "autograd/autograd.h"

namespace mini::runtime {

AmpOptimWrapper::AmpOptimWrapper(std::unique_ptr<nn::optim::Optimizer> optimizer, OptimWrapperOptions options,
                                 AmpOptions amp_options)
    : OptimWrapper(std::move(optimizer), std::move(options)),
      amp_options_(amp_options),
      loss_scaler_(amp_options.loss_scale) {
  MINI_CHECK(amp_options_.dtype == DType::f16 || amp_options_.dtype == DType::bf16,
             "AmpOptimWrapper: dtype must be float16 or bfloat16, got {}", amp_options_.dtype);
}

OptimContext AmpOptimWrapper::optim_context() const {
  return OptimContext(amp_options_.device_type, amp_options_.dtype);
}

void AmpOptimWrapper::backward(const Tensor& loss) { loss_scaler_.scale(loss).backward(); }

void AmpOptimWrapper::step() {
  // Clipping must see the real gradients; step() then skips its own unscale.
  if (options().clip) {
    loss_scaler_.unscale_(optimizer());
    clip_gradients();
  }
  loss_scaler_.step(optimizer());
  loss_scaler_.update();
}

nn::StateDict AmpOptimWrapper::state_dict() const {
  nn::StateDict state = OptimWrapper::state_dict();
  for (const auto& [key, tensor] : loss_scaler_.state_dict()) {
    state.insert(std::string(kLossScalerPrefix) + key, tensor);
  }
  return state;
}

void AmpOptimWrapper::load_state_dict(const nn::StateDict& state) {
  OptimWrapperState split = split_optim_wrapper_state(state);
  optimizer().load_state_dict(split.optimizer);
  if (!split.loss_scaler.empty() && loss_scaler_.is_enabled()) loss_scaler_.load_state_dict(split.loss_scaler);
}

}  // namespace mini::runtime
