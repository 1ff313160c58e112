#include "runtime/optim_wrapper.h"

#include <utility>

#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::runtime {

OptimWrapper::OptimWrapper(std::unique_ptr<nn::optim::Optimizer> optimizer, OptimWrapperOptions options)
    : optimizer_(std::move(optimizer)), options_(std::move(options)) {
  MINI_CHECK(optimizer_ != nullptr, "OptimWrapper: no optimizer");
  MINI_CHECK(options_.accumulative_counts >= 1, "optim_wrapper.accumulative_counts must be >= 1, got {}",
             options_.accumulative_counts);
  if (options_.clip) {
    const GradClip& clip = *options_.clip;
    if (clip.kind == GradClip::Kind::Norm) {
      MINI_CHECK(clip.max_norm > 0, "optim_wrapper.clip_grad.max_norm must be > 0, got {}", clip.max_norm);
    } else {
      MINI_CHECK(clip.clip_value > 0, "optim_wrapper.clip_grad.clip_value must be > 0, got {}", clip.clip_value);
    }
  }
}

void OptimWrapper::initialize_count_status(int64_t done_micro_steps, int64_t total_micro_steps) {
  inner_count_ = done_micro_steps;
  max_counts_ = total_micro_steps;
}

double OptimWrapper::loss_factor() const {
  const int64_t k = options_.accumulative_counts;
  if (max_counts_ < 0) return static_cast<double>(k);
  // Windows are [0, k), [k, 2k), ...; the last, possibly shorter, window
  // divides by its own length so every window averages its micro-steps.
  const int64_t divisible = max_counts_ / k * k;
  return inner_count_ < divisible ? static_cast<double>(k) : static_cast<double>(max_counts_ - divisible);
}

bool OptimWrapper::next_closes_window() const {
  const int64_t next = inner_count_ + 1;
  return next % options_.accumulative_counts == 0 || next == max_counts_;
}

bool OptimWrapper::update_params(const Tensor& loss) {
  const bool closes = next_closes_window();
  const double factor = loss_factor();
  backward(factor == 1.0 ? loss : loss / factor);
  ++inner_count_;
  if (!closes) return false;
  step();
  optimizer_->zero_grad();
  return true;
}

void OptimWrapper::backward(const Tensor& loss) { loss.backward(); }

void OptimWrapper::step() {
  clip_gradients();
  optimizer_->step();
}

void OptimWrapper::clip_gradients() {
  if (!options_.clip) return;
  std::vector<Tensor> params;
  for (const auto& group : optimizer_->param_groups()) {
    params.insert(params.end(), group.params.begin(), group.params.end());
  }
  const GradClip& clip = *options_.clip;
  if (clip.kind == GradClip::Kind::Norm) {
    last_grad_norm_ = nn::optim::clip_grad_norm_(params, clip.max_norm, clip.norm_type);
  } else {
    nn::optim::clip_grad_value_(params, clip.clip_value);
  }
}

std::vector<double> OptimWrapper::learning_rates() const {
  std::vector<double> lrs;
  for (const auto& group : optimizer_->param_groups()) lrs.push_back(group.get("lr"));
  return lrs;
}

nn::StateDict OptimWrapper::state_dict() const { return optimizer_->state_dict(); }

void OptimWrapper::load_state_dict(const nn::StateDict& state) {
  optimizer_->load_state_dict(split_optim_wrapper_state(state).optimizer);
}

OptimWrapperState split_optim_wrapper_state(const nn::StateDict& state) {
  OptimWrapperState split;
  for (const auto& [key, tensor] : state) {
    if (key.starts_with(kLossScalerPrefix)) {
      split.loss_scaler.insert(key.substr(kLossScalerPrefix.size()), tensor);
    } else {
      split.optimizer.insert(key, tensor);
    }
  }
  return split;
}

}  // namespace mini::runtime
