#pragma once
// NaNGuardHook: after every optimizer step, checks that every parameter is
// still finite and stops the run with the step and the offending parameter.
// (The train loop itself always checks the loss before backward; this hook
// also catches a finite loss with overflowing gradients.) The run stops with
// an error before any checkpoint of the damaged weights is written.
#include "runtime/hooks/hook.h"

namespace mini::runtime {

class NaNGuardHook : public Hook {
 public:
  explicit NaNGuardHook(int64_t check_interval = 1)
      : Hook("NaNGuardHook", kPriorityAboveNormal), check_interval_(check_interval) {}
  void after_train_iter(Runner& runner, const Batch& batch, const Outputs& outputs) override;

 private:
  int64_t check_interval_;
  int64_t last_checked_step_ = -1;
};

}  // namespace mini::runtime
