#pragma once
// ProfilerHook: a simple wall-clock profile of where a run spends its time,
// by stage (waiting for data, train iterations, validation, testing, and the
// rest: checkpoints, logging, start-up), printed at the end of the run and
// written to the log directory as profile.json.
#include <chrono>
#include <map>
#include <string>

#include "runtime/hooks/hook.h"

namespace mini::runtime {

class ProfilerHook : public Hook {
 public:
  ProfilerHook() : Hook("ProfilerHook", kPriorityLowest) {}
  void before_train_epoch(Runner& runner) override;
  void before_train_iter(Runner& runner, const Batch& batch) override;
  void after_train_iter(Runner& runner, const Batch& batch, const Outputs& outputs) override;
  void before_val(Runner& runner) override;
  void after_val(Runner& runner) override;
  void before_test(Runner& runner) override { before_val(runner); }
  void after_test(Runner& runner) override;
  void after_run(Runner& runner) override;

  struct Stage {
    double seconds = 0;
    int64_t calls = 0;
  };
  const std::map<std::string, Stage>& stages() const { return stages_; }

 private:
  using Clock = std::chrono::steady_clock;
  void add(const std::string& stage, Clock::time_point since);

  std::map<std::string, Stage> stages_;
  Clock::time_point iter_end_{};
  Clock::time_point iter_start_{};
  Clock::time_point val_start_{};
  Clock::time_point run_start_ = Clock::now();
};

}  // namespace mini::runtime
