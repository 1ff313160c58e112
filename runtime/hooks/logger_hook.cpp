#include "runtime/hooks/logger_hook.h"

#include <fmt/format.h>

#include "runtime/logging/console.h"
#include "runtime/logging/format.h"
#include "runtime/logging/scalars_jsonl.h"
#include "runtime/logging/tensorboard_writer.h"
#include "runtime/runner.h"
#include "tensor/error.h"

namespace mini::runtime {
namespace {

// Scalars the console shows after lr/eta/time, in this order when present.
bool is_console_scalar(const std::string& name) {
  return name == "loss" || name.rfind("loss_", 0) == 0 || name == "grad_norm";
}

}  // namespace

LoggerHook::LoggerHook(LoggerHookOptions options) : Hook("LoggerHook", kPriorityBelowNormal), options_(options) {
  MINI_CHECK(options_.interval >= 1, "LoggerHook: interval must be >= 1, got {}", options_.interval);
  MINI_CHECK(options_.window >= 0, "LoggerHook: window must be >= 0, got {}", options_.window);
}

LoggerHook::~LoggerHook() = default;

void LoggerHook::before_run(Runner& runner) {
  runner.set_console_interval(options_.interval);
  if (runner.log_dir().empty()) return;
  if (options_.jsonl) jsonl_ = std::make_unique<ScalarsJsonlWriter>(runner.log_dir() / "scalars.jsonl");
  if (options_.tensorboard) tensorboard_ = std::make_unique<TensorBoardWriter>(runner.log_dir());
}

void LoggerHook::before_train(Runner& runner) {
  train_start_ = std::chrono::steady_clock::now();
  start_micro_step_ = runner.counters().micro_step;
}

void LoggerHook::after_train_iter(Runner& runner, const Batch& batch, const Outputs&) {
  const MessageHub& hub = runner.message_hub();
  const Counters& counters = runner.counters();
  const size_t window = static_cast<size_t>(options_.window > 0 ? options_.window : options_.interval);

  TrainProgress progress;
  if (runner.by_epoch()) {
    // after_train_iter sees the batch counted but the epoch not yet closed.
    progress.epoch = counters.epoch + 1;
    progress.max_epochs = runner.max_epochs();
    progress.iter = counters.batch_in_epoch;
    progress.max_iters = runner.iters_per_epoch();
  } else {
    progress.iter = counters.micro_step;
    progress.max_iters = runner.max_iters();
  }
  if (hub.has("lr")) progress.lr = hub.latest("lr");
  if (hub.has("time")) {
    progress.time = hub.mean("time", window);
    const int64_t done = counters.micro_step - start_micro_step_;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - train_start_).count();
    const int64_t remaining = runner.max_iters() - counters.micro_step;
    if (done > 0) progress.eta_seconds = elapsed / static_cast<double>(done) * static_cast<double>(remaining);
    const int64_t batch_size = batch.empty() ? 0 : batch.begin()->second.size(0);
    if (progress.time > 0) progress.samples_per_second = static_cast<double>(batch_size) / progress.time;
  }
  if (hub.has("data_time")) progress.data_time = hub.mean("data_time", window);
  for (const auto& [name, value] : hub.latest_all()) {
    if (is_console_scalar(name)) progress.scalars.emplace_back(name, hub.mean(name, window));
  }
  runner.console().update(progress);

  const bool log_now = counters.micro_step % options_.interval == 0 || counters.micro_step == runner.max_iters();
  if (!log_now) return;
  ScalarFields fields = {{"step", counters.micro_step},
                         {"epoch", runner.by_epoch() ? progress.epoch : counters.epoch},
                         {"iter", counters.micro_step},
                         {"optimizer_step", counters.optimizer_step},
                         {"samples_seen", counters.samples_seen}};
  std::map<std::string, double> board;
  auto add = [&](const std::string& name, double value) {
    fields.emplace_back(name, value);
    board["train/" + name] = value;
  };
  if (hub.has("lr")) add("lr", hub.latest("lr"));
  for (const auto& [name, value] : progress.scalars) add(name, value);
  if (hub.has("time")) add("time", progress.time);
  if (hub.has("data_time")) add("data_time", progress.data_time);
  if (jsonl_) jsonl_->write(fields);
  if (tensorboard_) tensorboard_->add_scalars(counters.micro_step, board);
}

void LoggerHook::log_metrics(Runner& runner, const Metrics& metrics, const std::string& mode) {
  const Counters& counters = runner.counters();
  std::string line = runner.by_epoch() ? fmt::format("Epoch({}) [{}]", mode, counters.epoch)
                                       : fmt::format("Iter({}) [{}/{}]", mode, counters.micro_step, runner.max_iters());
  ScalarFields fields = {{"step", counters.micro_step}, {"epoch", counters.epoch}};
  std::map<std::string, double> board;
  for (const auto& [name, value] : metrics) {
    line += fmt::format("  {}: {}", name, format_scalar(value));
    fields.emplace_back(mode + "/" + name, value);
    board[mode + "/" + name] = value;
  }
  runner.log(line);
  if (jsonl_) jsonl_->write(fields);
  if (tensorboard_) {
    tensorboard_->add_scalars(counters.micro_step, board);
    tensorboard_->flush();
  }
}

void LoggerHook::after_val_epoch(Runner& runner, const Metrics& metrics) { log_metrics(runner, metrics, "val"); }
void LoggerHook::after_test_epoch(Runner& runner, const Metrics& metrics) { log_metrics(runner, metrics, "test"); }

void LoggerHook::after_train(Runner& runner) {
  runner.console().finish();
  if (tensorboard_) tensorboard_->flush();
}

void LoggerHook::after_run(Runner&) {
  if (tensorboard_) tensorboard_->flush();
}

}  // namespace mini::runtime
