#pragma once
// EarlyStoppingHook: stops training when a validation metric has not improved
// by more than `min_delta` for `patience` validations (MMEngine's semantics).
// Its counters are saved in checkpoints, so a resumed run keeps its patience.
#include <optional>
#include <string>

#include "runtime/hooks/hook.h"

namespace mini::runtime {

struct EarlyStoppingOptions {
  std::string monitor = "accuracy/top1";  // a key of the validation metrics
  std::string rule = "auto";              // greater | less | auto (from the metric's name)
  double min_delta = 0.1;
  int64_t patience = 5;
  bool strict = false;                    // a missing metric is an error instead of a warning
  std::optional<double> stopping_threshold;  // stop at once when reached
};

class EarlyStoppingHook : public Hook {
 public:
  explicit EarlyStoppingHook(EarlyStoppingOptions options);
  void after_val_epoch(Runner& runner, const Metrics& metrics) override;
  void before_save_checkpoint(Runner& runner, CheckpointState& checkpoint) override;
  void after_load_checkpoint(Runner& runner, const CheckpointState& checkpoint) override;

  int64_t wait_count() const { return wait_count_; }
  std::optional<double> best() const { return best_; }

 private:
  bool improves(double value) const;

  EarlyStoppingOptions options_;
  bool greater_ = true;
  std::optional<double> best_;
  int64_t wait_count_ = 0;
  bool warned_missing_ = false;
};

// "auto" -> greater for accuracy-like names, less for loss/error-like ones.
bool metric_greater_is_better(const std::string& metric, const std::string& rule);

}  // namespace mini::runtime
