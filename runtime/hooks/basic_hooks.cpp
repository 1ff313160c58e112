#include "runtime/hooks/basic_hooks.h"

#include <string>

#include "nn/optim/schedulers.h"
#include "runtime/runner.h"
#include "tensor/error.h"

namespace mini::runtime {

// ---- RuntimeInfoHook --------------------------------------------------------

void RuntimeInfoHook::before_train_iter(Runner& runner, const Batch& /*batch*/) {
  MessageHub& hub = runner.message_hub();
  hub.update_scalar("lr", runner.optim_wrapper().learning_rates().front());
  hub.update_scalar("epoch", static_cast<double>(runner.counters().epoch));
}

void RuntimeInfoHook::after_train_iter(Runner& runner, const Batch& /*batch*/, const Outputs& outputs) {
  MessageHub& hub = runner.message_hub();
  // Every 0-d output (the loss and any loss parts a model reports) is a scalar to log.
  for (const auto& [name, value] : outputs) {
    if (value.defined() && value.dim() == 0) hub.update_scalar(name, value.item<double>());
  }
  const Counters& counters = runner.counters();
  hub.update_scalar("micro_step", static_cast<double>(counters.micro_step));
  hub.update_scalar("optimizer_step", static_cast<double>(counters.optimizer_step));
  if (auto norm = runner.optim_wrapper().last_grad_norm()) hub.update_scalar("grad_norm", *norm);
}

void RuntimeInfoHook::after_val_epoch(Runner& runner, const Metrics& metrics) {
  for (const auto& [name, value] : metrics) runner.message_hub().update_scalar("val/" + name, value);
}

void RuntimeInfoHook::after_test_epoch(Runner& runner, const Metrics& metrics) {
  for (const auto& [name, value] : metrics) runner.message_hub().update_scalar("test/" + name, value);
}

// ---- IterTimerHook ----------------------------------------------------------

void IterTimerHook::start(Runner& runner, const char* prefix) {
  const double data_time = std::chrono::duration<double>(Clock::now() - last_end_).count();
  runner.message_hub().update_scalar(std::string(prefix) + "data_time", data_time);
}

void IterTimerHook::finish(Runner& runner, const char* prefix) {
  const Clock::time_point now = Clock::now();
  runner.message_hub().update_scalar(std::string(prefix) + "time", std::chrono::duration<double>(now - last_end_).count());
  last_end_ = now;
}

void IterTimerHook::before_train_epoch(Runner& /*runner*/) { last_end_ = Clock::now(); }
void IterTimerHook::before_train_iter(Runner& runner, const Batch&) { start(runner, ""); }
void IterTimerHook::after_train_iter(Runner& runner, const Batch&, const Outputs&) { finish(runner, ""); }
void IterTimerHook::before_val_epoch(Runner& /*runner*/) { last_end_ = Clock::now(); }
void IterTimerHook::before_val_iter(Runner& runner, const Batch&) { start(runner, "val/"); }
void IterTimerHook::after_val_iter(Runner& runner, const Batch&, const Outputs&) { finish(runner, "val/"); }

// ---- DistSamplerSeedHook ------------------------------------------------------

void DistSamplerSeedHook::before_train_epoch(Runner& runner) { runner.set_sampler_epoch(runner.counters().epoch); }

// ---- ParamSchedulerHook -------------------------------------------------------

namespace {

// ReduceOnPlateau schedulers step only after validation, with their metric (as MMEngine).
bool steps_on_metric(Runner& runner, size_t index) {
  const auto& monitors = runner.scheduler_monitors();
  return index < monitors.size() && !monitors[index].empty();
}

}  // namespace

void ParamSchedulerHook::after_train_iter(Runner& runner, const Batch&, const Outputs&) {
  auto& schedulers = runner.schedulers();
  for (size_t i = 0; i < schedulers.size(); ++i) {
    if (!schedulers[i].by_epoch() && !steps_on_metric(runner, i)) schedulers[i].step();
  }
}

void ParamSchedulerHook::after_train_epoch(Runner& runner) {
  auto& schedulers = runner.schedulers();
  for (size_t i = 0; i < schedulers.size(); ++i) {
    if (schedulers[i].by_epoch() && !steps_on_metric(runner, i)) schedulers[i].step();
  }
}

void ParamSchedulerHook::after_val_epoch(Runner& runner, const Metrics& metrics) {
  auto& schedulers = runner.schedulers();
  for (size_t i = 0; i < schedulers.size(); ++i) {
    if (!steps_on_metric(runner, i)) continue;
    const std::string& monitor = runner.scheduler_monitors()[i];
    auto it = metrics.find(monitor);
    if (it == metrics.end()) {
      MINI_CHECK(false, "{}: monitored metric '{}' is not among the validation metrics ({})", schedulers[i].name(),
                 monitor, metric_names(metrics));
    }
    auto* plateau = dynamic_cast<nn::optim::ReduceOnPlateauLR*>(&schedulers[i]);
    MINI_CHECK(plateau != nullptr, "{}: only ReduceOnPlateau schedulers step on a metric", schedulers[i].name());
    plateau->step(it->second);
  }
}

}  // namespace mini::runtime
