#pragma once
// The concrete parameter schedulers (MMEngine's *ParamScheduler / *LR family).
// k below is last_step(): steps since the window opened (0 at `begin`), v the
// group's current value, b its base value, T = end - begin - 1. Each comment
// gives the chainable update applied at step k and, when the scheduler acts
// alone, the closed form it produces.
#include <optional>
#include <string>
#include <vector>

#include "nn/optim/scheduler.h"

namespace mini::nn::optim {

// v *= factor at k = 0, v /= factor at k = T.  Alone: b factor for k < T, then b.
struct ConstantLROptions {
  double factor = 1.0 / 3;  // in (0, 1]
};
class ConstantLR final : public ParamScheduler {
 public:
  ConstantLR(Optimizer& optimizer, ConstantLROptions options = {}, SchedulerWindow window = {});

 protected:
  std::vector<double> get_values() override;

 private:
  ConstantLROptions options_;
};

// v *= gamma when k > 0 and k % step_size == 0.  Alone: b gamma^floor(k / step_size).
struct StepLROptions {
  int64_t step_size = 1;
  double gamma = 0.1;
};
class StepLR final : public ParamScheduler {
 public:
  StepLR(Optimizer& optimizer, StepLROptions options, SchedulerWindow window = {});

 protected:
  std::vector<double> get_values() override;

 private:
  StepLROptions options_;
};

// v *= gamma^(times k appears in milestones).  Alone: b gamma^#{m in milestones : m <= k}.
// Milestones count steps inside the window (k), as MMEngine's.
struct MultiStepLROptions {
  std::vector<int64_t> milestones;
  double gamma = 0.1;
};
class MultiStepLR final : public ParamScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, MultiStepLROptions options, SchedulerWindow window = {});

 protected:
  std::vector<double> get_values() override;

 private:
  MultiStepLROptions options_;
};

// v *= gamma for k > 0.  Alone: b gamma^k.
struct ExponentialLROptions {
  double gamma = 0.9;
};
class ExponentialLR final : public ParamScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, ExponentialLROptions options, SchedulerWindow window = {});

 protected:
  std::vector<double> get_values() override;

 private:
  ExponentialLROptions options_;
};

// Warm-up: v *= start_factor at k = 0, then v *= 1 + (e - s) / (T s + (k - 1)(e - s)).
// Alone: b (s + (e - s) min(k, T) / T).
struct LinearLROptions {
  double start_factor = 1.0 / 3;  // in (0, 1]
  double end_factor = 1.0;        // in [0, 1]
};
class LinearLR final : public ParamScheduler {
 public:
  LinearLR(Optimizer& optimizer, LinearLROptions options = {}, SchedulerWindow window = {});

 protected:
  std::vector<double> get_values() override;

 private:
  LinearLROptions options_;
};

// v = eta_min + (v - eta_min) (1 + cos(pi k / T_max)) / (1 + cos(pi (k - 1) / T_max))
// (at the troughs, where that ratio is 0/0, v += (b - eta_min)(1 - cos(pi / T_max)) / 2).
// Alone: eta_min + (b - eta_min)(1 + cos(pi k / T_max)) / 2.
struct CosineAnnealingLROptions {
  std::optional<int64_t> T_max;  // defaults to end - begin (the window must then be finite)
  double eta_min = 0;
};
class CosineAnnealingLR final : public ParamScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options = {}, SchedulerWindow window = {});

 protected:
  std::vector<double> get_values() override;

 private:
  int64_t T_max_;
  double eta_min_;
};

// SGDR with restarts: period i covers k in [P_{i-1}, P_i) (P the cumulative
// periods); at its start v = b restart_weights[i], then cosine annealing
// towards eta_min over periods[i] steps. After the last period v is left alone.
// Alone: eta_min + (b w_i - eta_min)(1 + cos(pi (k - P_{i-1}) / periods[i])) / 2.
struct CosineRestartLROptions {
  std::vector<int64_t> periods;
  std::vector<double> restart_weights = {1.0};  // one per period
  double eta_min = 0;
};
class CosineRestartLR final : public ParamScheduler {
 public:
  CosineRestartLR(Optimizer& optimizer, CosineRestartLROptions options, SchedulerWindow window = {});

 protected:
  std::vector<double> get_values() override;

 private:
  CosineRestartLROptions options_;
  std::vector<int64_t> cumulative_;
};

// v = (v - eta_min)(1 - 1 / (T - k + 1))^power + eta_min for k > 0.
// Alone: eta_min + (b - eta_min)(1 - k / T)^power.
struct PolyLROptions {
  double power = 1.0;
  double eta_min = 0;
};
class PolyLR final : public ParamScheduler {
 public:
  PolyLR(Optimizer& optimizer, PolyLROptions options = {}, SchedulerWindow window = {});

 protected:
  std::vector<double> get_values() override;

 private:
  PolyLROptions options_;
  int64_t total_iters_;
};

// 1cycle (fastai's two phases, or the paper's three): from initial = max / div_factor
// up to max over pct_start * total_steps steps, then down to initial / final_div_factor
// at k = total_steps - 1. Not chainable: it sets the value outright. It also
// replaces the shared initial value with max / div_factor.
struct OneCycleLROptions {
  std::vector<double> max_value;  // one per group, or one for all
  int64_t total_steps = 0;
  double pct_start = 0.3;
  std::string anneal_strategy = "cos";  // "cos" or "linear"
  double div_factor = 25;
  double final_div_factor = 1e4;
  bool three_phase = false;
};
class OneCycleLR final : public ParamScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, OneCycleLROptions options, SchedulerWindow window = {});

 protected:
  std::vector<double> get_values() override;

 private:
  struct Phase {
    double end_step;
    int start;  // 0 initial, 1 max, 2 min
    int end;
  };
  OneCycleLROptions options_;
  std::vector<double> max_values_, min_values_;
  std::vector<Phase> phases_;
};

// Scales the value by `factor` (never below min_value) once the metric has not
// improved for more than `patience` steps, then waits `cooldown` steps.
// Improvement: mode "min" + threshold_mode "rel": metric < best (1 - threshold);
// "abs": metric < best - threshold ("max" mirrors). Reductions smaller than eps are skipped.
struct ReduceOnPlateauLROptions {
  std::string mode = "min";  // "min" or "max"
  double factor = 0.1;       // in [0, 1)
  int64_t patience = 10;
  double threshold = 1e-4;
  std::string threshold_mode = "rel";  // "rel" or "abs"
  int64_t cooldown = 0;
  double min_value = 0;
  double eps = 1e-8;
};
class ReduceOnPlateauLR final : public ParamScheduler {
 public:
  ReduceOnPlateauLR(Optimizer& optimizer, ReduceOnPlateauLROptions options = {}, SchedulerWindow window = {});

  // Only counts the step (MMEngine's step() without metrics).
  void step() override;
  // Counts the step and, inside the window, judges `metric`.
  void step(double metric);

  double best() const { return best_; }
  int64_t num_bad_steps() const { return num_bad_steps_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }

 protected:
  std::vector<double> get_values() override;
  void save_extra(StateDict& state) const override;
  void load_extra(const StateDict& state) override;

 private:
  bool is_better(double metric) const;

  ReduceOnPlateauLROptions options_;
  double best_;
  int64_t num_bad_steps_ = 0;
  int64_t cooldown_counter_ = 0;
};

}  // namespace mini::nn::optim
