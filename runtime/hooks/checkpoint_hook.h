#pragma once
// CheckpointHook: saves checkpoints every `interval` epochs or micro-steps
// (or optimizer steps), keeps the newest `max_keep_ckpts`, and keeps the best
// checkpoint by a validation metric (`save_best`). Its best score is saved in
// the checkpoints, so a resumed run compares against the right value.
#include <optional>
#include <string>

#include "runtime/counters.h"
#include "runtime/hooks/hook.h"

namespace mini::runtime {

struct CheckpointHookOptions {
  int64_t interval = 1;
  std::optional<CountUnit> unit;        // unset: epochs for epoch-based runs, micro-steps otherwise
  int max_keep_ckpts = -1;              // -1: keep all
  std::optional<std::string> save_best;  // a metric name, or "auto" (the first metric)
  std::string rule = "auto";            // greater | less | auto
  bool save_last = true;                // also save when training ends off-interval
  int64_t save_begin = 0;               // no regular checkpoint before this count
};

class CheckpointHook : public Hook {
 public:
  explicit CheckpointHook(CheckpointHookOptions options);
  void before_train(Runner& runner) override;
  void after_train_iter(Runner& runner, const Batch& batch, const Outputs& outputs) override;
  void after_train_epoch(Runner& runner) override;
  void after_val_epoch(Runner& runner, const Metrics& metrics) override;
  void after_train(Runner& runner) override;
  void before_save_checkpoint(Runner& runner, CheckpointState& checkpoint) override;
  void after_load_checkpoint(Runner& runner, const CheckpointState& checkpoint) override;

  std::optional<double> best_score() const { return best_score_; }

 private:
  void save_regular(Runner& runner);
  std::string regular_name(const Runner& runner) const;

  CheckpointHookOptions options_;
  CountUnit unit_ = CountUnit::Epoch;
  std::optional<double> best_score_;
  std::string best_metric_;  // resolved name of the monitored metric
  int64_t last_saved_micro_step_ = -1;
};

}  // namespace mini::runtime
