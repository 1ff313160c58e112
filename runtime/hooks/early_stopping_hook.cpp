#include "runtime/hooks/early_stopping_hook.h"

#include <cmath>

#include <fmt/format.h>

#include "runtime/runner.h"
#include "tensor/error.h"

namespace mini::runtime {

bool metric_greater_is_better(const std::string& metric, const std::string& rule) {
  if (rule == "greater") return true;
  if (rule == "less") return false;
  MINI_CHECK(rule == "auto", "rule must be greater, less or auto, got '{}'", rule);
  for (const char* lower_is_better : {"loss", "mse", "mae", "error", "perplexity", "ppl"}) {
    if (metric.find(lower_is_better) != std::string::npos) return false;
  }
  return true;
}

EarlyStoppingHook::EarlyStoppingHook(EarlyStoppingOptions options)
    : Hook("EarlyStoppingHook", kPriorityLow), options_(std::move(options)) {
  MINI_CHECK(options_.patience >= 1, "EarlyStoppingHook: patience must be >= 1, got {}", options_.patience);
  MINI_CHECK(options_.min_delta >= 0, "EarlyStoppingHook: min_delta must be >= 0, got {}", options_.min_delta);
  greater_ = metric_greater_is_better(options_.monitor, options_.rule);
}

bool EarlyStoppingHook::improves(double value) const {
  if (!best_) return true;
  return greater_ ? value - *best_ > options_.min_delta : *best_ - value > options_.min_delta;
}

void EarlyStoppingHook::after_val_epoch(Runner& runner, const Metrics& metrics) {
  auto it = metrics.find(options_.monitor);
  if (it == metrics.end()) {
    const std::string message = fmt::format("EarlyStoppingHook: monitored metric '{}' is not among the validation "
                                            "metrics ({})", options_.monitor, metric_names(metrics));
    MINI_CHECK(!options_.strict, "{}", message);
    if (!warned_missing_) runner.log("warning: " + message + "; early stopping is inactive");
    warned_missing_ = true;
    return;
  }
  const double value = it->second;
  if (options_.stopping_threshold &&
      (greater_ ? value >= *options_.stopping_threshold : value <= *options_.stopping_threshold)) {
    runner.request_stop(fmt::format("early stopping: {} = {:.6g} reached the threshold {:.6g}", options_.monitor,
                                    value, *options_.stopping_threshold));
    return;
  }
  if (std::isfinite(value) && improves(value)) {
    best_ = value;
    wait_count_ = 0;
    return;
  }
  ++wait_count_;
  if (wait_count_ >= options_.patience) {
    runner.request_stop(fmt::format("early stopping: {} has not improved by more than {} for {} validations "
                                    "(best {:.6g})", options_.monitor, options_.min_delta, wait_count_,
                                    best_.value_or(NAN)));
  }
}

void EarlyStoppingHook::before_save_checkpoint(Runner& /*runner*/, CheckpointState& checkpoint) {
  auto& state = checkpoint.state["hooks"]["EarlyStoppingHook"];
  state["wait_count"] = wait_count_;
  state["best"] = best_ ? nlohmann::json(*best_) : nlohmann::json(nullptr);
}

void EarlyStoppingHook::after_load_checkpoint(Runner& /*runner*/, const CheckpointState& checkpoint) {
  const auto& hooks = checkpoint.state.value("hooks", nlohmann::json::object());
  if (!hooks.contains("EarlyStoppingHook")) return;
  const auto& state = hooks.at("EarlyStoppingHook");
  wait_count_ = state.value("wait_count", int64_t{0});
  best_ = state.contains("best") && state.at("best").is_number() ? std::optional<double>(state.at("best").get<double>())
                                                                   : std::nullopt;
}

}  // namespace mini::runtime
