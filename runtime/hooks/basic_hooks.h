#pragma once
// The small default hooks (MMEngine's names and priorities):
//   RuntimeInfoHook      (VERY_HIGH) puts lr, epoch and step counters and the model's 0-d outputs into the message hub
//   IterTimerHook        (NORMAL)    measures data_time (waiting for the batch) and time (whole iteration)
//   DistSamplerSeedHook  (NORMAL)    seeds the sampler with the epoch, so each epoch has its own order
//   ParamSchedulerHook   (LOW)       steps the parameter schedulers, per iteration or per epoch, and
//                                    ReduceOnPlateau schedulers after validation with their metric
#include <chrono>

#include "runtime/hooks/hook.h"

namespace mini::runtime {

class RuntimeInfoHook : public Hook {
 public:
  RuntimeInfoHook() : Hook("RuntimeInfoHook", kPriorityVeryHigh) {}
  void before_train_iter(Runner& runner, const Batch& batch) override;
  void after_train_iter(Runner& runner, const Batch& batch, const Outputs& outputs) override;
  void after_val_epoch(Runner& runner, const Metrics& metrics) override;
  void after_test_epoch(Runner& runner, const Metrics& metrics) override;
};

class IterTimerHook : public Hook {
 public:
  IterTimerHook() : Hook("IterTimerHook", kPriorityNormal) {}
  void before_train_epoch(Runner& runner) override;
  void before_train_iter(Runner& runner, const Batch& batch) override;
  void after_train_iter(Runner& runner, const Batch& batch, const Outputs& outputs) override;
  void before_val_epoch(Runner& runner) override;
  void before_val_iter(Runner& runner, const Batch& batch) override;
  void after_val_iter(Runner& runner, const Batch& batch, const Outputs& outputs) override;
  void before_test_epoch(Runner& runner) override { before_val_epoch(runner); }
  void before_test_iter(Runner& runner, const Batch& batch) override { before_val_iter(runner, batch); }
  void after_test_iter(Runner& runner, const Batch& batch, const Outputs& outputs) override {
    after_val_iter(runner, batch, outputs);
  }

 private:
  using Clock = std::chrono::steady_clock;
  void start(Runner& runner, const char* prefix);
  void finish(Runner& runner, const char* prefix);
  Clock::time_point last_end_{};
};

class DistSamplerSeedHook : public Hook {
 public:
  DistSamplerSeedHook() : Hook("DistSamplerSeedHook", kPriorityNormal) {}
  void before_train_epoch(Runner& runner) override;
};

class ParamSchedulerHook : public Hook {
 public:
  ParamSchedulerHook() : Hook("ParamSchedulerHook", kPriorityLow) {}
  void after_train_iter(Runner& runner, const Batch& batch, const Outputs& outputs) override;
  void after_train_epoch(Runner& runner) override;
  void after_val_epoch(Runner& runner, const Metrics& metrics) override;
};

}  // namespace mini::runtime
