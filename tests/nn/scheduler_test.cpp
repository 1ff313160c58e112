// Parameter schedulers: every scheduler against its closed-form curve at every
// step (the formula is written out in each test), begin/end windows,
// composition (warm-up then cosine; two schedulers on one option), and
// resuming from state_dicts mid-way.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>

#include "nn_testing.h"

namespace mini::nn::optim {
namespace {

using ::testing::HasSubstr;
constexpr double kPi = std::numbers::pi;
constexpr double kBase = 0.5;

// The chainable updates reach the closed forms up to float64 rounding.
void expect_curve(const std::vector<double>& got, const std::function<double(int64_t)>& expected) {
  for (size_t k = 0; k < got.size(); ++k) {
    const double e = expected(static_cast<int64_t>(k));
    EXPECT_NEAR(got[k], e, 1e-12 * std::max(1.0, std::abs(e))) << "global step " << k;
  }
}

struct Fixture {
  Tensor p = ops::from_vector(std::vector<double>{1.0}).requires_grad_();
  SGD sgd{{p}, {.lr = kBase, .momentum = 0.9, .weight_decay = 1e-4}};
  double lr() const { return sgd.param_groups()[0].get("lr"); }
};

// lr at global steps 0..steps-1: the constructor's step is step 0.
std::vector<double> lr_curve(Fixture& f, const std::vector<ParamScheduler*>& schedulers, int steps) {
  std::vector<double> out{f.lr()};
  for (int i = 1; i < steps; ++i) {
    for (ParamScheduler* s : schedulers) s->step();
    out.push_back(f.lr());
  }
  return out;
}

TEST(ConstantLR, ScalesUntilTheWindowsLastStep) {
  Fixture f;
  ConstantLR s(f.sgd, {.factor = 0.5}, {.end = 5});
  // T = end - begin - 1 = 4: b factor for k < 4, then b.
  expect_curve(lr_curve(f, {&s}, 10), [](int64_t k) { return k < 4 ? kBase * 0.5 : kBase; });
}

TEST(StepLR, DecaysEveryStepSize) {
  Fixture f;
  StepLR s(f.sgd, {.step_size = 3, .gamma = 0.5});
  expect_curve(lr_curve(f, {&s}, 12), [](int64_t k) { return kBase * std::pow(0.5, k / 3); });
}

TEST(MultiStepLR, DecaysAtEachMilestoneCountingRepeats) {
  Fixture f;
  MultiStepLR s(f.sgd, {.milestones = {2, 5, 5}, .gamma = 0.1});
  expect_curve(lr_curve(f, {&s}, 9), [](int64_t k) {
    const int passed = (k >= 2) + 2 * (k >= 5);  // #{m in milestones : m <= k}
    return kBase * std::pow(0.1, passed);
  });
}

TEST(ExponentialLR, DecaysEveryStep) {
  Fixture f;
  ExponentialLR s(f.sgd, {.gamma = 0.9});
  expect_curve(lr_curve(f, {&s}, 10), [](int64_t k) { return kBase * std::pow(0.9, k); });
}

TEST(LinearLR, RampsFromStartToEndFactorThenHolds) {
  Fixture f;
  LinearLR s(f.sgd, {.start_factor = 0.25, .end_factor = 1.0}, {.end = 5});
  // T = 4: b (s + (e - s) min(k, T) / T); the window closes at 5 and the value stays.
  expect_curve(lr_curve(f, {&s}, 9),
               [](int64_t k) { return kBase * (0.25 + 0.75 * static_cast<double>(std::min<int64_t>(k, 4)) / 4); });
}

TEST(LinearLR, SchedulesAnyGroupOption) {
  Fixture f;
  LinearLR s(f.sgd, {.start_factor = 0.5, .end_factor = 1.0}, {.param_name = "momentum", .end = 3});
  EXPECT_DOUBLE_EQ(f.sgd.param_groups()[0].get("momentum"), 0.45);
  s.step();
  EXPECT_NEAR(f.sgd.param_groups()[0].get("momentum"), 0.675, 1e-15);
  s.step();
  EXPECT_NEAR(f.sgd.param_groups()[0].get("momentum"), 0.9, 1e-15);
  EXPECT_EQ(f.lr(), kBase);
}

TEST(CosineAnnealingLR, FollowsTheCosineAcrossSeveralPeriods) {
  Fixture f;
  const double eta_min = 0.01;
  CosineAnnealingLR s(f.sgd, {.T_max = 6, .eta_min = eta_min});
  // Past T_max the curve climbs back (the trough branch at k = T_max + 1).
  expect_curve(lr_curve(f, {&s}, 26), [&](int64_t k) {
    return eta_min + (kBase - eta_min) * (1 + std::cos(kPi * static_cast<double>(k) / 6)) / 2;
  });
}

TEST(CosineAnnealingLR, TMaxDefaultsToTheWindowLength) {
  Fixture f;
  CosineAnnealingLR s(f.sgd, {}, {.begin = 2, .end = 10});
  expect_curve(lr_curve(f, {&s}, 12), [](int64_t g) {
    const auto k = static_cast<double>(std::clamp<int64_t>(g - 2, 0, 7));
    return kBase * (1 + std::cos(kPi * k / 8)) / 2;
  });
}

TEST(CosineRestartLR, RestartsAtEachPeriodWithItsWeight) {
  Fixture f;
  const double eta_min = 0.001;
  CosineRestartLR s(f.sgd, {.periods = {4, 6}, .restart_weights = {1.0, 0.5}, .eta_min = eta_min});
  auto closed = [&](int64_t k) {
    const int64_t restart = k < 4 ? 0 : 4;
    const double period = k < 4 ? 4 : 6, weight = k < 4 ? 1.0 : 0.5;
    const auto t = static_cast<double>(k - restart);
    return eta_min + (kBase * weight - eta_min) * (1 + std::cos(kPi * t / period)) / 2;
  };
  // After the last period (k >= 10) the value is left where it was.
  expect_curve(lr_curve(f, {&s}, 14), [&](int64_t k) { return closed(std::min<int64_t>(k, 9)); });
}

TEST(PolyLR, DecaysPolynomiallyToEtaMin) {
  Fixture f;
  const double eta_min = 0.001;
  PolyLR s(f.sgd, {.power = 2.0, .eta_min = eta_min}, {.end = 10});
  // T = 9: eta_min + (b - eta_min)(1 - k / T)^power, reaching eta_min at k = 9.
  expect_curve(lr_curve(f, {&s}, 12), [&](int64_t g) {
    const auto k = static_cast<double>(std::min<int64_t>(g, 9));
    return eta_min + (kBase - eta_min) * std::pow(1 - k / 9, 2.0);
  });
}

TEST(OneCycleLR, TwoPhaseCosineCurve) {
  Fixture f;
  OneCycleLR s(f.sgd, {.max_value = {1.0}, .total_steps = 10, .pct_start = 0.3});
  const double initial = 1.0 / 25, min = initial / 1e4;
  EXPECT_EQ(s.base_values()[0], initial);
  auto cos_anneal = [](double from, double to, double pct) { return to + (from - to) / 2 * (1 + std::cos(kPi * pct)); };
  // Phase 1 ends at pct_start * total - 1 = 2, phase 2 at total - 1 = 9.
  expect_curve(lr_curve(f, {&s}, 10), [&](int64_t g) {
    const auto k = static_cast<double>(g);
    return k <= 2 ? cos_anneal(initial, 1.0, k / 2) : cos_anneal(1.0, min, (k - 2) / 7);
  });
  EXPECT_THROW(s.step(), ValueError);  // an 11th value does not exist
}

TEST(OneCycleLR, ThreePhaseLinearCurve) {
  Fixture f;
  OneCycleLR s(f.sgd, {.max_value = {2.0},
                       .total_steps = 20,
                       .pct_start = 0.25,
                       .anneal_strategy = "linear",
                       .div_factor = 10,
                       .final_div_factor = 100,
                       .three_phase = true});
  const double initial = 0.2, min = 0.002;
  auto lerp = [](double from, double to, double pct) { return from + (to - from) * pct; };
  // Phases end at 4, 8 and 19: up, back down to initial, then to min.
  expect_curve(lr_curve(f, {&s}, 20), [&](int64_t g) {
    const auto k = static_cast<double>(g);
    if (k <= 4) return lerp(initial, 2.0, k / 4);
    if (k <= 8) return lerp(2.0, initial, (k - 4) / 4);
    return lerp(initial, min, (k - 8) / 11);
  });
}

TEST(ReduceOnPlateauLR, ReducesAfterPatienceThenCoolsDown) {
  Fixture f;
  ReduceOnPlateauLR s(f.sgd, {.factor = 0.5, .patience = 2, .cooldown = 1});
  // metric 1, then no improvement: bad steps 1, 2, 3 > patience -> halve,
  // cooldown eats the next bad step, then 1, 2, 3 -> halve again.
  const std::vector<double> expected = {kBase, kBase, kBase, kBase / 2, kBase / 2, kBase / 2, kBase / 2, kBase / 4};
  std::vector<double> got;
  for (size_t i = 0; i < expected.size(); ++i) {
    s.step(1.0);
    got.push_back(f.lr());
  }
  EXPECT_EQ(got, expected);
  s.step(0.5);  // an improvement resets the count
  EXPECT_EQ(s.best(), 0.5);
  EXPECT_EQ(s.num_bad_steps(), 0);
}

TEST(ReduceOnPlateauLR, MaxModeWithAbsoluteThresholdAndFloor) {
  Fixture f;
  ReduceOnPlateauLR s(
      f.sgd,
      {.mode = "max", .factor = 0.1, .patience = 0, .threshold = 0.5, .threshold_mode = "abs", .min_value = 0.01});
  s.step(1.0);  // first metric is always better than -inf
  EXPECT_EQ(f.lr(), kBase);
  s.step(1.4);  // not above 1.0 + 0.5: bad -> 0.05
  EXPECT_NEAR(f.lr(), 0.05, 1e-15);
  s.step(1.6);  // better
  EXPECT_NEAR(f.lr(), 0.05, 1e-15);
  s.step(1.0);  // bad -> max(0.005, 0.01)
  EXPECT_NEAR(f.lr(), 0.01, 1e-15);
  s.step(0.0);  // at the floor: unchanged
  EXPECT_NEAR(f.lr(), 0.01, 1e-15);
}

TEST(ParamScheduler, ActsOnlyInsideItsWindow) {
  Fixture f;
  ExponentialLR s(f.sgd, {.gamma = 0.9}, {.begin = 3, .end = 6});
  // b before 3; b 0.9^(g - 3) for 3 <= g < 6; held at b 0.9^2 afterwards.
  expect_curve(lr_curve(f, {&s}, 10),
               [](int64_t g) { return kBase * std::pow(0.9, std::clamp<int64_t>(g - 3, 0, 2)); });
  EXPECT_EQ(s.global_step(), 9);
  EXPECT_EQ(s.last_step(), 2);
  EXPECT_EQ(s.last_values(), std::vector<double>{f.lr()});
}

TEST(ParamScheduler, WarmupThenCosineComposes) {
  Fixture f;
  const double eta_min = 1e-3;
  LinearLR warmup(f.sgd, {.start_factor = 0.1}, {.end = 5});
  CosineAnnealingLR cosine(f.sgd, {.T_max = 15, .eta_min = eta_min}, {.begin = 5, .end = 20});
  // Both share the value from before scheduling, not the warm-up's first value.
  EXPECT_EQ(cosine.base_values()[0], kBase);
  expect_curve(lr_curve(f, {&warmup, &cosine}, 24), [&](int64_t g) {
    if (g < 5) return kBase * (0.1 + 0.9 * static_cast<double>(g) / 4);
    const auto k = static_cast<double>(std::min<int64_t>(g - 5, 14));
    return eta_min + (kBase - eta_min) * (1 + std::cos(kPi * k / 15)) / 2;
  });
}

TEST(ParamScheduler, ConcurrentSchedulersMultiply) {
  Fixture f;
  ExponentialLR exponential(f.sgd, {.gamma = 0.9});
  StepLR step(f.sgd, {.step_size = 3, .gamma = 0.5});
  expect_curve(lr_curve(f, {&exponential, &step}, 10),
               [](int64_t k) { return kBase * std::pow(0.9, k) * std::pow(0.5, k / 3); });
}

// Warm-up + cosine on lr and a linear ramp on momentum, trained with SGD.
struct TrainingRun {
  Fixture f;
  ParamSchedulerList schedulers;
  TrainingRun() {
    schedulers.add(std::make_unique<LinearLR>(f.sgd, LinearLROptions{.start_factor = 0.2}, SchedulerWindow{.end = 4}))
        .add(std::make_unique<CosineAnnealingLR>(f.sgd, CosineAnnealingLROptions{.T_max = 7, .eta_min = 0.01},
                                                 SchedulerWindow{.begin = 4, .end = 30}))
        .add(std::make_unique<LinearLR>(f.sgd, LinearLROptions{.start_factor = 0.5},
                                        SchedulerWindow{.param_name = "momentum", .end = 6}));
  }
  // One training step: optimizer then schedulers; returns (lr, momentum, param).
  std::vector<double> iteration(int i) {
    f.p.set_grad(ops::from_vector(std::vector<double>{std::sin(0.5 * i)}));
    f.sgd.step();
    schedulers.step();
    return {f.lr(), f.sgd.param_groups()[0].get("momentum"), testing::to_doubles(f.p)[0]};
  }
};

TEST(ParamScheduler, ResumingFromStateDictsContinuesIdentically) {
  TrainingRun reference;
  std::vector<std::vector<double>> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(reference.iteration(i));

  TrainingRun first;
  for (int i = 0; i < 9; ++i) first.iteration(i);
  const StateDict optimizer_state = first.f.sgd.state_dict();
  const StateDict scheduler_state = first.schedulers.state_dict();
  EXPECT_TRUE(optimizer_state.contains("state.0.initial_lr"));
  EXPECT_TRUE(scheduler_state.contains("1.last_step"));

  // As a trainer resumes: build everything fresh, then load the checkpoint.
  TrainingRun resumed;
  resumed.f.sgd.load_state_dict(optimizer_state);
  resumed.schedulers.load_state_dict(scheduler_state);
  ops::copy_(resumed.f.p, first.f.p.detach());
  for (int i = 9; i < 20; ++i) {
    EXPECT_EQ(resumed.iteration(i), expected[static_cast<size_t>(i)]) << "iteration " << i;
  }
}

TEST(ReduceOnPlateauLR, StateDictKeepsTheCounters) {
  Fixture f, g;
  ReduceOnPlateauLR a(f.sgd, {.patience = 3}), b(g.sgd, {.patience = 3});
  a.step(1.0);
  a.step(2.0);
  a.step(2.0);
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(b.best(), 1.0);
  EXPECT_EQ(b.num_bad_steps(), 2);
  EXPECT_EQ(b.global_step(), a.global_step());
}

TEST(ParamScheduler, ResumingByLastStepNeedsTheInitialValue) {
  Fixture f;
  try {
    StepLR s(f.sgd, {.step_size = 2}, {.last_step = 4});
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("initial_lr"));
  }
  StepLR fresh(f.sgd, {.step_size = 2});
  f.sgd.param_groups()[0].options["lr"] = 0.25;
  StepLR resumed(f.sgd, {.step_size = 2}, {.last_step = 2});  // its first step is k = 3
  EXPECT_EQ(resumed.base_values()[0], kBase);
  EXPECT_EQ(resumed.last_step(), 3);
}

TEST(ParamScheduler, RejectsBadArguments) {
  Fixture f;
  EXPECT_THROW(ExponentialLR(f.sgd, {.gamma = 0.5}, {.begin = 5, .end = 5}), ValueError);
  try {
    ExponentialLR(f.sgd, {.gamma = 0.5}, {.param_name = "betas"});
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("ExponentialLR: parameter group 0 has no option 'betas'"));
  }
  EXPECT_THROW(LinearLR(f.sgd, {.start_factor = 0.0}), ValueError);
  EXPECT_THROW(CosineAnnealingLR(f.sgd, {}), ValueError);  // no T_max, no end
  EXPECT_THROW(CosineRestartLR(f.sgd, {.periods = {2, 3}, .restart_weights = {1.0}}), ValueError);
  EXPECT_THROW(OneCycleLR(f.sgd, {.max_value = {1.0}, .total_steps = 10, .anneal_strategy = "step"}), ValueError);
  EXPECT_THROW(ReduceOnPlateauLR(f.sgd, {.mode = "up"}), ValueError);
  StateDict truncated;
  truncated.insert("last_step", ops::scalar_tensor(int64_t{3}, {.dtype = DType::i64}));
  ExponentialLR s(f.sgd, {.gamma = 0.5});
  EXPECT_THROW(s.load_state_dict(truncated), ValueError);
  EXPECT_EQ(s.last_step(), 0);
}

}  // namespace
}  // namespace mini::nn::optim
