#pragma once
// EMAHook: keeps an exponential moving average of the model's parameters
// (nn::ExponentialMovingAverage), updated after every optimizer step, and
// validates/tests with the averaged weights (swapped in before the loop and
// back out after, so training continues from the raw weights). The averages
// are saved in checkpoints ("ema.safetensors"), so resuming is exact.
#include <memory>

#include "nn/ema.h"
#include "runtime/hooks/hook.h"

namespace mini::runtime {

struct EmaHookOptions {
  double decay = 0.9999;
  bool warmup = false;
  bool update_buffers = false;
  int64_t begin_iter = 0;  // optimizer steps before averaging starts (plain copies until then)
};

class EMAHook : public Hook {
 public:
  explicit EMAHook(EmaHookOptions options) : Hook("EMAHook", kPriorityAboveNormal), options_(options) {}
  void before_run(Runner& runner) override;
  void after_train_iter(Runner& runner, const Batch& batch, const Outputs& outputs) override;
  void before_val_epoch(Runner& runner) override { swap_in(); }
  void after_val_epoch(Runner& runner, const Metrics& metrics) override;
  void before_test_epoch(Runner& runner) override { swap_in(); }
  void after_test_epoch(Runner& runner, const Metrics& metrics) override;
  void before_save_checkpoint(Runner& runner, CheckpointState& checkpoint) override;
  void after_load_checkpoint(Runner& runner, const CheckpointState& checkpoint) override;

  const nn::ExponentialMovingAverage* ema() const { return ema_.get(); }

 private:
  void swap_in();
  void swap_out();

  EmaHookOptions options_;
  std::unique_ptr<nn::ExponentialMovingAverage> ema_;
  int64_t last_optimizer_step_ = -1;
  bool swapped_ = false;
};

}  // namespace mini::runtime
