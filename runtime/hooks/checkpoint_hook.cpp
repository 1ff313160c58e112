#include "runtime/hooks/checkpoint_hook.h"

#include <cmath>

#include <fmt/format.h>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/hooks/early_stopping_hook.h"
#include "runtime/runner.h"
#include "tensor/error.h"

namespace mini::runtime {

CheckpointHook::CheckpointHook(CheckpointHookOptions options)
    : Hook("CheckpointHook", kPriorityVeryLow), options_(std::move(options)) {
  MINI_CHECK(options_.interval >= 1, "CheckpointHook: interval must be >= 1, got {}", options_.interval);
  MINI_CHECK(options_.max_keep_ckpts == -1 || options_.max_keep_ckpts >= 1,
             "CheckpointHook: max_keep_ckpts must be -1 (keep all) or >= 1, got {}", options_.max_keep_ckpts);
  if (options_.save_best) metric_greater_is_better(*options_.save_best, options_.rule);  // checks the rule
}

void CheckpointHook::before_train(Runner& runner) {
  unit_ = options_.unit.value_or(runner.by_epoch() ? CountUnit::Epoch : CountUnit::MicroStep);
  runner.set_max_keep_checkpoints(options_.max_keep_ckpts);
}

std::string CheckpointHook::regular_name(const Runner& runner) const {
  const Counters& counters = runner.counters();
  // A checkpoint at an epoch boundary is named for the epoch; anything else
  // (iteration intervals, the end of an iteration-based run) for the micro-step.
  if (runner.by_epoch() && counters.batch_in_epoch == 0) return fmt::format("epoch_{}", counters.epoch);
  return fmt::format("iter_{}", counters.micro_step);
}

void CheckpointHook::save_regular(Runner& runner) {
  if (last_saved_micro_step_ == runner.counters().micro_step) return;
  last_saved_micro_step_ = runner.counters().micro_step;
  const auto path = runner.save_checkpoint(regular_name(runner));
  runner.log(fmt::format("saved checkpoint {}", path.string()));
}

void CheckpointHook::after_train_iter(Runner& runner, const Batch&, const Outputs&) {
  if (unit_ == CountUnit::Epoch) return;
  const int64_t count = counter_value(runner.counters(), unit_);
  if (unit_ == CountUnit::OptimizerStep && runner.counters().micro_step % runner.optim_wrapper().options().accumulative_counts != 0) {
    return;  // this micro-step did not step the optimizer
  }
  if (count >= options_.save_begin && count % options_.interval == 0) save_regular(runner);
}

void CheckpointHook::after_train_epoch(Runner& runner) {
  if (unit_ != CountUnit::Epoch) return;
  const int64_t epoch = runner.counters().epoch;
  const bool due = epoch >= options_.save_begin && epoch % options_.interval == 0;
  const bool last = options_.save_last && epoch == runner.max_epochs();
  if (due || last) save_regular(runner);
}

void CheckpointHook::after_train(Runner& runner) {
  // The end of training (including an early stop) always leaves a checkpoint
  // to resume or evaluate from.
  if (options_.save_last || runner.stop_requested()) save_regular(runner);
}

void CheckpointHook::after_val_epoch(Runner& runner, const Metrics& metrics) {
  if (!options_.save_best || metrics.empty()) return;
  std::string metric = *options_.save_best;
  if (metric == "auto") metric = metrics.begin()->first;
  auto it = metrics.find(metric);
  MINI_CHECK(it != metrics.end(), "CheckpointHook: save_best metric '{}' is not among the validation metrics ({})",
             metric, metric_names(metrics));
  best_metric_ = metric;
  const double value = it->second;
  if (!std::isfinite(value)) return;
  const bool greater = metric_greater_is_better(metric, options_.rule);
  if (best_score_ && !(greater ? value > *best_score_ : value < *best_score_)) return;
  best_score_ = value;
  const std::string stem = "best_" + sanitize_checkpoint_name(metric);
  const std::string name = runner.by_epoch() && runner.counters().batch_in_epoch == 0
                               ? fmt::format("{}_epoch_{}", stem, runner.counters().epoch)
                               : fmt::format("{}_iter_{}", stem, runner.counters().micro_step);
  const auto path = runner.save_checkpoint(name, /*is_best=*/true, metric);
  runner.log(fmt::format("best {} = {}: saved {}", metric, value, path.string()));
}

void CheckpointHook::before_save_checkpoint(Runner&, CheckpointState& checkpoint) {
  auto& state = checkpoint.state["hooks"]["CheckpointHook"];
  state["best_score"] = best_score_ ? nlohmann::json(*best_score_) : nlohmann::json(nullptr);
  state["best_metric"] = best_metric_;
}

void CheckpointHook::after_load_checkpoint(Runner&, const CheckpointState& checkpoint) {
  const auto& hooks = checkpoint.state.value("hooks", nlohmann::json::object());
  if (!hooks.contains("CheckpointHook")) return;
  const auto& state = hooks.at("CheckpointHook");
  if (state.contains("best_score") && state.at("best_score").is_number()) {
    best_score_ = state.at("best_score").get<double>();
  }
  best_metric_ = state.value("best_metric", std::string());
}

}  // namespace mini::runtime
