#pragma once
// LoggerHook: turns the message hub into output every `interval` micro-steps:
// the console (a live progress bar on a terminal, MMEngine-style lines
// otherwise, both mirrored to the text log), `scalars.jsonl` and TensorBoard
// event files in the run's log directory. Validation and test results are
// printed and logged at the end of each evaluation.
#include <chrono>
#include <memory>

#include "runtime/hooks/hook.h"

namespace mini::runtime {

class ScalarsJsonlWriter;
class TensorBoardWriter;

struct LoggerHookOptions {
  int64_t interval = 10;     // micro-steps between logged lines and scalar records
  int64_t window = 0;        // smoothing window for loss and timings (0: = interval)
  bool jsonl = true;
  bool tensorboard = true;
};

class LoggerHook : public Hook {
 public:
  explicit LoggerHook(LoggerHookOptions options);
  ~LoggerHook() override;
  void before_run(Runner& runner) override;
  void before_train(Runner& runner) override;
  void after_train_iter(Runner& runner, const Batch& batch, const Outputs& outputs) override;
  void after_val_epoch(Runner& runner, const Metrics& metrics) override;
  void after_test_epoch(Runner& runner, const Metrics& metrics) override;
  void after_train(Runner& runner) override;
  void after_run(Runner& runner) override;

 private:
  void log_metrics(Runner& runner, const Metrics& metrics, const std::string& mode);

  LoggerHookOptions options_;
  std::unique_ptr<ScalarsJsonlWriter> jsonl_;
  std::unique_ptr<TensorBoardWriter> tensorboard_;
  std::chrono::steady_clock::time_point train_start_{};
  int64_t start_micro_step_ = 0;
};

}  // namespace mini::runtime
