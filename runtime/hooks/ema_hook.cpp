#include "runtime/hooks/ema_hook.h"

#include "runtime/runner.h"

namespace mini::runtime {

void EMAHook::before_run(Runner& runner) {
  ema_ = std::make_unique<nn::ExponentialMovingAverage>(
      runner.model(), nn::EmaOptions{.decay = options_.decay, .warmup = options_.warmup,
                                     .update_buffers = options_.update_buffers});
  last_optimizer_step_ = runner.counters().optimizer_step;
}

void EMAHook::after_train_iter(Runner& runner, const Batch&, const Outputs&) {
  const int64_t step = runner.counters().optimizer_step;
  if (step == last_optimizer_step_) return;  // inside a gradient-accumulation window
  last_optimizer_step_ = step;
  if (step <= options_.begin_iter) {
    // Before averaging starts the shadows follow the weights exactly.
    ema_ = std::make_unique<nn::ExponentialMovingAverage>(
        runner.model(), nn::EmaOptions{.decay = options_.decay, .warmup = options_.warmup,
                                       .update_buffers = options_.update_buffers});
    return;
  }
  ema_->update();
}

void EMAHook::swap_in() {
  if (!ema_ || swapped_) return;
  ema_->store();
  ema_->copy_to();
  swapped_ = true;
}

void EMAHook::swap_out() {
  if (!swapped_) return;
  ema_->restore();
  swapped_ = false;
}

void EMAHook::after_val_epoch(Runner&, const Metrics&) { swap_out(); }
void EMAHook::after_test_epoch(Runner&, const Metrics&) { swap_out(); }

void EMAHook::before_save_checkpoint(Runner&, CheckpointState& checkpoint) {
  if (!ema_) return;
  checkpoint.tensors["ema"] = ema_->state_dict();
  checkpoint.state["hooks"]["EMAHook"]["last_optimizer_step"] = last_optimizer_step_;
}

void EMAHook::after_load_checkpoint(Runner& runner, const CheckpointState& checkpoint) {
  if (!ema_) before_run(runner);
  auto it = checkpoint.tensors.find("ema");
  if (it != checkpoint.tensors.end()) ema_->load_state_dict(it->second);
  const auto& hooks = checkpoint.state.value("hooks", nlohmann::json::object());
  if (hooks.contains("EMAHook")) last_optimizer_step_ = hooks.at("EMAHook").value("last_optimizer_step", int64_t{-1});
}

}  // namespace mini::runtime
