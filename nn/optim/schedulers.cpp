#include "nn/optim/schedulers.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::nn::optim {
namespace {

std::vector<double> scaled(std::vector<double> values, double factor) {
  for (double& v : values) v *= factor;
  return values;
}

// end - begin - 1: the step index at which a finite window closes.
int64_t total_iters(const SchedulerWindow& window) { return window.end - window.begin - 1; }

}  // namespace

ConstantLR::ConstantLR(Optimizer& optimizer, ConstantLROptions options, SchedulerWindow window)
    : ParamScheduler("ConstantLR", optimizer, std::move(window)), options_(options) {
  MINI_CHECK(options_.factor > 0 && options_.factor <= 1, "ConstantLR: factor {} must be in (0, 1]", options_.factor);
  start();
}

std::vector<double> ConstantLR::get_values() {
  if (last_step_ == 0) return scaled(current_values(), options_.factor);
  if (last_step_ == total_iters(window_)) return scaled(current_values(), 1.0 / options_.factor);
  return current_values();
}

StepLR::StepLR(Optimizer& optimizer, StepLROptions options, SchedulerWindow window)
    : ParamScheduler("StepLR", optimizer, std::move(window)), options_(options) {
  MINI_CHECK(options_.step_size > 0, "StepLR: step_size {} must be positive", options_.step_size);
  start();
}

std::vector<double> StepLR::get_values() {
  if (last_step_ == 0 || last_step_ % options_.step_size != 0) return current_values();
  return scaled(current_values(), options_.gamma);
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, MultiStepLROptions options, SchedulerWindow window)
    : ParamScheduler("MultiStepLR", optimizer, std::move(window)), options_(std::move(options)) {
  MINI_CHECK(std::is_sorted(options_.milestones.begin(), options_.milestones.end()),
             "MultiStepLR: milestones [{}] must be increasing", fmt::join(options_.milestones, ", "));
  start();
}

std::vector<double> MultiStepLR::get_values() {
  // A milestone listed twice decays twice (MMEngine counts them).
  const auto hits = std::count(options_.milestones.begin(), options_.milestones.end(), last_step_);
  if (hits == 0) return current_values();
  return scaled(current_values(), std::pow(options_.gamma, static_cast<double>(hits)));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, ExponentialLROptions options, SchedulerWindow window)
    : ParamScheduler("ExponentialLR", optimizer, std::move(window)), options_(options) {
  start();
}

std::vector<double> ExponentialLR::get_values() {
  return last_step_ == 0 ? current_values() : scaled(current_values(), options_.gamma);
}

LinearLR::LinearLR(Optimizer& optimizer, LinearLROptions options, SchedulerWindow window)
    : ParamScheduler("LinearLR", optimizer, std::move(window)), options_(options) {
  // start_factor 0 would make the chainable ratio 0/0.
  MINI_CHECK(options_.start_factor > 0 && options_.start_factor <= 1, "LinearLR: start_factor {} must be in (0, 1]",
             options_.start_factor);
  MINI_CHECK(options_.end_factor >= 0 && options_.end_factor <= 1, "LinearLR: end_factor {} must be in [0, 1]",
             options_.end_factor);
  start();
}

std::vector<double> LinearLR::get_values() {
  const double s = options_.start_factor, e = options_.end_factor;
  if (last_step_ == 0) return scaled(current_values(), s);
  const auto T = static_cast<double>(total_iters(window_));
  const auto k = static_cast<double>(last_step_);
  return scaled(current_values(), 1.0 + (e - s) / (T * s + (k - 1) * (e - s)));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options, SchedulerWindow window)
    : ParamScheduler("CosineAnnealingLR", optimizer, std::move(window)), eta_min_(options.eta_min) {
  MINI_CHECK(options.T_max.has_value() || window_.end != kInfiniteStep,
             "CosineAnnealingLR: give T_max or a finite end");
  T_max_ = options.T_max.value_or(window_.end - window_.begin);
  MINI_CHECK(T_max_ > 0, "CosineAnnealingLR: T_max {} must be positive", T_max_);
  start();
}

std::vector<double> CosineAnnealingLR::get_values() {
  std::vector<double> values = current_values();
  if (last_step_ == 0) return values;
  const double pi = std::numbers::pi, T = static_cast<double>(T_max_), k = static_cast<double>(last_step_);
  for (size_t g = 0; g < values.size(); ++g) {
    if ((last_step_ - 1 - T_max_) % (2 * T_max_) == 0) {
      values[g] += (base_values_[g] - eta_min_) * (1 - std::cos(pi / T)) / 2;
    } else {
      values[g] = (1 + std::cos(pi * k / T)) / (1 + std::cos(pi * (k - 1) / T)) * (values[g] - eta_min_) + eta_min_;
    }
  }
  return values;
}

CosineRestartLR::CosineRestartLR(Optimizer& optimizer, CosineRestartLROptions options, SchedulerWindow window)
    : ParamScheduler("CosineRestartLR", optimizer, std::move(window)), options_(std::move(options)) {
  MINI_CHECK(!options_.periods.empty() && options_.periods.size() == options_.restart_weights.size(),
             "CosineRestartLR: periods ({}) and restart_weights ({}) must be non-empty and of equal length",
             options_.periods.size(), options_.restart_weights.size());
  int64_t total = 0;
  for (int64_t period : options_.periods) {
    MINI_CHECK(period > 0, "CosineRestartLR: periods [{}] must be positive", fmt::join(options_.periods, ", "));
    cumulative_.push_back(total += period);
  }
  start();
}

std::vector<double> CosineRestartLR::get_values() {
  std::vector<double> values = current_values();
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), last_step_);
  if (it == cumulative_.end()) return values;  // past the last period
  const auto period_index = static_cast<size_t>(it - cumulative_.begin());
  const int64_t restart = period_index == 0 ? 0 : cumulative_[period_index - 1];
  const auto period = static_cast<double>(options_.periods[period_index]);
  const auto k = static_cast<double>(last_step_ - restart);
  const double pi = std::numbers::pi, eta_min = options_.eta_min;
  for (size_t g = 0; g < values.size(); ++g) {
    if (last_step_ == restart) {
      values[g] = base_values_[g] * options_.restart_weights[period_index];
    } else {
      values[g] =
          (1 + std::cos(pi * k / period)) / (1 + std::cos(pi * (k - 1) / period)) * (values[g] - eta_min) + eta_min;
    }
  }
  return values;
}

PolyLR::PolyLR(Optimizer& optimizer, PolyLROptions options, SchedulerWindow window)
    : ParamScheduler("PolyLR", optimizer, std::move(window)), options_(options), total_iters_(total_iters(window_)) {
  start();
}

std::vector<double> PolyLR::get_values() {
  std::vector<double> values = current_values();
  if (last_step_ == 0) return values;
  const double ratio = 1.0 - 1.0 / static_cast<double>(total_iters_ - last_step_ + 1);
  for (double& v : values) v = (v - options_.eta_min) * std::pow(ratio, options_.power) + options_.eta_min;
  return values;
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleLROptions options, SchedulerWindow window)
    : ParamScheduler("OneCycleLR", optimizer, std::move(window)), options_(std::move(options)) {
  const size_t groups = optimizer_.param_groups().size();
  MINI_CHECK(options_.total_steps > 0, "OneCycleLR: total_steps {} must be positive", options_.total_steps);
  MINI_CHECK(options_.pct_start >= 0 && options_.pct_start <= 1, "OneCycleLR: pct_start {} must be in [0, 1]",
             options_.pct_start);
  MINI_CHECK(options_.anneal_strategy == "cos" || options_.anneal_strategy == "linear",
             "OneCycleLR: anneal_strategy must be 'cos' or 'linear', got '{}'", options_.anneal_strategy);
  MINI_CHECK(options_.max_value.size() == 1 || options_.max_value.size() == groups,
             "OneCycleLR: max_value needs 1 or {} values (one per group), got {}", groups, options_.max_value.size());
  MINI_CHECK(options_.div_factor > 0 && options_.final_div_factor > 0,
             "OneCycleLR: div_factor {} and final_div_factor {} must be positive", options_.div_factor,
             options_.final_div_factor);
  const auto total = static_cast<double>(options_.total_steps), pct = options_.pct_start;
  if (options_.three_phase) {
    phases_ = {{pct * total - 1, 0, 1}, {2 * pct * total - 2, 1, 0}, {total - 1, 0, 2}};
  } else {
    phases_ = {{pct * total - 1, 0, 1}, {total - 1, 1, 2}};
  }
  for (size_t g = 0; g < groups; ++g) {
    const double max_value = options_.max_value.size() == 1 ? options_.max_value[0] : options_.max_value[g];
    max_values_.push_back(max_value);
    const double initial = max_value / options_.div_factor;
    min_values_.push_back(initial / options_.final_div_factor);
    // As MMEngine, only a fresh start redefines the shared initial value.
    if (window_.last_step == -1) set_initial_value(g, initial);
  }
  start();
}

std::vector<double> OneCycleLR::get_values() {
  MINI_CHECK(last_step_ < options_.total_steps, "OneCycleLR: tried to step {} times; total_steps is {}", last_step_ + 1,
             options_.total_steps);
  const auto k = static_cast<double>(last_step_);
  std::vector<double> values;
  for (size_t g = 0; g < max_values_.size(); ++g) {
    const double anchors[3] = {base_values_[g], max_values_[g], min_values_[g]};
    double start_step = 0, value = 0;
    for (size_t i = 0; i < phases_.size(); ++i) {
      const Phase& phase = phases_[i];
      if (k <= phase.end_step || i + 1 == phases_.size()) {
        const double pct = (k - start_step) / (phase.end_step - start_step);
        const double from = anchors[phase.start], to = anchors[phase.end];
        value = options_.anneal_strategy == "cos" ? to + (from - to) / 2.0 * (std::cos(std::numbers::pi * pct) + 1)
                                                  : (to - from) * pct + from;
        break;
      }
      start_step = phase.end_step;
    }
    values.push_back(value);
  }
  return values;
}

ReduceOnPlateauLR::ReduceOnPlateauLR(Optimizer& optimizer, ReduceOnPlateauLROptions options, SchedulerWindow window)
    : ParamScheduler("ReduceOnPlateauLR", optimizer, std::move(window)), options_(std::move(options)) {
  MINI_CHECK(options_.mode == "min" || options_.mode == "max",
             "ReduceOnPlateauLR: mode must be 'min' or 'max', got '{}'", options_.mode);
  MINI_CHECK(options_.threshold_mode == "rel" || options_.threshold_mode == "abs",
             "ReduceOnPlateauLR: threshold_mode must be 'rel' or 'abs', got '{}'", options_.threshold_mode);
  MINI_CHECK(options_.factor >= 0 && options_.factor < 1, "ReduceOnPlateauLR: factor {} must be in [0, 1)",
             options_.factor);
  MINI_CHECK(options_.patience >= 0 && options_.cooldown >= 0,
             "ReduceOnPlateauLR: patience {} and cooldown {} must be non-negative", options_.patience,
             options_.cooldown);
  best_ = options_.mode == "min" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  start();
}

void ReduceOnPlateauLR::step() {
  ++global_step_;
  last_values_ = current_values();
}

bool ReduceOnPlateauLR::is_better(double metric) const {
  const bool rel = options_.threshold_mode == "rel";
  if (options_.mode == "min") return metric < (rel ? best_ * (1 - options_.threshold) : best_ - options_.threshold);
  return metric > (rel ? best_ * (1 + options_.threshold) : best_ + options_.threshold);
}

void ReduceOnPlateauLR::step(double metric) {
  ++global_step_;
  if (window_.begin <= global_step_ && global_step_ < window_.end) {
    ++last_step_;
    if (is_better(metric)) {
      best_ = metric;
      num_bad_steps_ = 0;
    } else {
      ++num_bad_steps_;
    }
    if (cooldown_counter_ > 0) {
      --cooldown_counter_;
      num_bad_steps_ = 0;  // bad steps during cooldown are forgiven
    }
    if (num_bad_steps_ > options_.patience) {
      set_values(get_values());
      cooldown_counter_ = options_.cooldown;
      num_bad_steps_ = 0;
    }
  }
  last_values_ = current_values();
}

std::vector<double> ReduceOnPlateauLR::get_values() {
  std::vector<double> values = current_values();
  for (double& v : values) {
    const double reduced = std::max(v * options_.factor, options_.min_value);
    if (v - reduced > options_.eps) v = reduced;
  }
  return values;
}

void ReduceOnPlateauLR::save_extra(StateDict& state) const {
  state.insert("best", ops::scalar_tensor(best_, {.dtype = DType::f64}));
  state.insert("num_bad_steps", ops::scalar_tensor(num_bad_steps_, {.dtype = DType::i64}));
  state.insert("cooldown_counter", ops::scalar_tensor(cooldown_counter_, {.dtype = DType::i64}));
}

void ReduceOnPlateauLR::load_extra(const StateDict& state) {
  const double best = state.at("best").item<double>();
  const auto num_bad_steps = state.at("num_bad_steps").item<int64_t>();
  const auto cooldown_counter = state.at("cooldown_counter").item<int64_t>();
  best_ = best;
  num_bad_steps_ = num_bad_steps;
  cooldown_counter_ = cooldown_counter;
}

}  // namespace mini::nn::optim
