#pragma once
// Parameter schedulers with MMEngine's semantics (mmengine/optim/scheduler/
// param_scheduler.py): a scheduler owns one group option ("lr", "momentum",
// "weight_decay", "beta1", ...) of every parameter group, is active only for
// global steps in [begin, end), and updates the option *chainably* (from the
// value the group holds now), so several schedulers on one option compose:
// each one, in the order they are stepped, multiplies or sets the current value.
//
//   LinearLR warmup(optimizer, {.start_factor = 0.1}, {.end = 5});
//   CosineAnnealingLR cosine(optimizer, {.T_max = 95}, {.begin = 5, .end = 100});
//   for (...) { optimizer.step(); warmup.step(); cosine.step(); }
//
// As in MMEngine the constructor already performs the first step (global step
// 0), so the first optimizer step runs with the scheduled value; call step()
// after every optimizer step (epoch or iteration: by_epoch is only recorded
// for the training loop to read).
//
// The value an option had before any scheduler touched it ("initial_<name>",
// MMEngine keeps it in the param group) is shared by all schedulers of the
// optimizer: it is stored as a 0-d float64 tensor in the optimizer state of
// the first parameter of each group, so it checkpoints with the optimizer.
//
// Resuming: restore the optimizer's state_dict (it holds the current option
// values) and then each scheduler's; the sequence continues bit-for-bit.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/optim/optimizer.h"

namespace mini::nn::optim {

// MMEngine's INF: an end that never comes.
inline constexpr int64_t kInfiniteStep = 1'000'000'000;

struct SchedulerWindow {
  std::string param_name = "lr";
  int64_t begin = 0;            // first global step at which the scheduler acts
  int64_t end = kInfiniteStep;  // first global step at which it no longer does
  bool by_epoch = true;
  // Index of the last step taken; -1 starts fresh. >= 0 resumes without a
  // state_dict and needs the optimizer to already hold "initial_<param_name>".
  int64_t last_step = -1;
};

class ParamScheduler {
 public:
  virtual ~ParamScheduler() = default;
  ParamScheduler(const ParamScheduler&) = delete;
  ParamScheduler& operator=(const ParamScheduler&) = delete;

  // Advances the global step and, inside [begin, end), sets the option of every group.
  virtual void step();

  const std::string& name() const { return name_; }
  const std::string& param_name() const { return window_.param_name; }
  int64_t begin() const { return window_.begin; }
  int64_t end() const { return window_.end; }
  bool by_epoch() const { return window_.by_epoch; }
  // Steps taken inside the window minus one (-1 before the window opens).
  int64_t last_step() const { return last_step_; }
  // Calls of step(), the constructor's included, minus one.
  int64_t global_step() const { return global_step_; }
  // The option of each group before scheduling (MMEngine's base_values).
  const std::vector<double>& base_values() const { return base_values_; }
  // The option of each group after the last step (MMEngine's get_last_value()).
  const std::vector<double>& last_values() const { return last_values_; }

  // "last_step", "global_step" (0-d int64), "base_values", "last_values"
  // (float64, one per group) and the subclass's counters.
  StateDict state_dict() const;
  // Needs the same number of groups; leaves the scheduler unchanged on error.
  void load_state_dict(const StateDict& state);

 protected:
  ParamScheduler(std::string name, Optimizer& optimizer, SchedulerWindow window);
  // Subclass constructors end with start(): the first step needs their members.
  void start();
  // The new option value of every group at last_step() (the chainable form).
  virtual std::vector<double> get_values() = 0;
  virtual void save_extra(StateDict& /*state*/) const {}
  // Reads (and checks) everything before assigning anything.
  virtual void load_extra(const StateDict& /*state*/) {}

  std::vector<double> current_values() const;
  void set_values(const std::vector<double>& values);
  // Overwrites the shared "initial_<param_name>" of group g (OneCycleLR sets its own start).
  void set_initial_value(size_t group, double value);

  Optimizer& optimizer_;
  SchedulerWindow window_;
  int64_t last_step_ = -1;
  int64_t global_step_ = -1;
  std::vector<double> base_values_;
  std::vector<double> last_values_;

 private:
  std::string name_;
};

// Steps a list of schedulers in order (each sees the value the previous one left).
class ParamSchedulerList {
 public:
  ParamSchedulerList() = default;
  ParamSchedulerList& add(std::unique_ptr<ParamScheduler> scheduler);
  void step();
  size_t size() const { return schedulers_.size(); }
  ParamScheduler& operator[](size_t i) { return *schedulers_.at(i); }
  // Each scheduler's keys prefixed "<index>.".
  StateDict state_dict() const;
  // Loads scheduler by scheduler: an error part-way leaves the earlier ones loaded.
  void load_state_dict(const StateDict& state);

 private:
  std::vector<std::unique_ptr<ParamScheduler>> schedulers_;
};

}  // namespace mini::nn::optim
