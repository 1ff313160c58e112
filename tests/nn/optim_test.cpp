// Optimizers: steps on fixed gradients against the published update rules
// (hand-computed numbers and a scalar reference loop), parameter groups,
// state_dict round trip, gradient clipping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "nn_testing.h"

namespace mini::nn::optim {
namespace {

using testing::to_doubles;

Tensor param(std::vector<double> values) { return ops::from_vector(values).requires_grad_(); }

void set_grad(const Tensor& p, std::vector<double> values) { p.set_grad(ops::from_vector(values)); }

void expect_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-12) {
  const std::vector<double> got = to_doubles(t);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
}

TEST(SGD, NesterovMomentumWithWeightDecayMatchesHandComputedSteps) {
  Tensor p = param({1.0, -2.0});
  SGD sgd({p}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true});
  set_grad(p, {0.5, 1.0});
  sgd.step();
  // g = [0.6, 0.8], buf = g, g + 0.9 buf = [1.14, 1.52]
  expect_values(p, {0.886, -2.152});
  set_grad(p, {0.5, 1.0});
  sgd.step();
  // g = [0.5886, 0.7848], buf = [1.1286, 1.5048], g + 0.9 buf = [1.60434, 2.13912]
  expect_values(p, {0.725566, -2.365912});
}

TEST(SGD, MomentumWithDampeningAndPlainSteps) {
  Tensor p = param({1.0});
  SGD sgd({p}, {.lr = 0.5, .momentum = 0.5, .dampening = 0.5});
  set_grad(p, {2.0});
  sgd.step();  // buf = 2 -> p = 0
  expect_values(p, {0.0});
  set_grad(p, {2.0});
  sgd.step();  // buf = 0.5 * 2 + 0.5 * 2 = 2 -> p = -1
  expect_values(p, {-1.0});
  Tensor q = param({3.0});
  SGD plain({q}, {.lr = 0.25});
  plain.step();  // no grad: skipped
  set_grad(q, {4.0});
  plain.step();
  expect_values(q, {2.0});
}

// The published Adam/AdamW rule on one scalar.
double adam_reference(double p, double g, int steps, double lr, double b1, double b2, double eps, double wd,
                      bool decoupled, bool amsgrad, const std::vector<double>& grads) {
  double m = 0, v = 0, v_max = 0;
  for (int t = 1; t <= steps; ++t) {
    g = grads[static_cast<size_t>(t - 1)];
    if (decoupled) {
      p *= 1 - lr * wd;
    } else {
      g += wd * p;
    }
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    v_max = std::max(v_max, v);
    const double denom = std::sqrt(amsgrad ? v_max : v) / std::sqrt(1 - std::pow(b2, t)) + eps;
    p -= lr / (1 - std::pow(b1, t)) * m / denom;
  }
  return p;
}

TEST(AdamW, FirstStepMovesEachWeightByLrTimesTheGradientSign) {
  Tensor p = param({1.0, -2.0});
  AdamW adamw({p}, {.lr = 0.1, .weight_decay = 0.1});
  set_grad(p, {0.5, -1.0});
  adamw.step();
  // decay: [0.99, -1.98]; m_hat / sqrt(v_hat) = sign(g)
  expect_values(p, {0.89, -1.88}, 1e-7);
}

TEST(Adam, StepsMatchTheReferenceRuleForEveryVariant) {
  const std::vector<double> grads{0.5, -0.25, 1.5, 0.1};
  for (bool decoupled : {false, true}) {
    for (bool amsgrad : {false, true}) {
      SCOPED_TRACE(fmt::format("decoupled={} amsgrad={}", decoupled, amsgrad));
      Tensor p = param({0.75});
      std::unique_ptr<Optimizer> optimizer;
      if (decoupled) {
        optimizer = std::make_unique<AdamW>(
            std::vector<Tensor>{p},
            AdamWOptions{.lr = 0.05, .beta1 = 0.8, .beta2 = 0.9, .eps = 1e-6, .weight_decay = 0.2, .amsgrad = amsgrad});
      } else {
        optimizer = std::make_unique<Adam>(
            std::vector<Tensor>{p},
            AdamOptions{.lr = 0.05, .beta1 = 0.8, .beta2 = 0.9, .eps = 1e-6, .weight_decay = 0.2, .amsgrad = amsgrad});
      }
      for (double g : grads) {
        set_grad(p, {g});
        optimizer->step();
      }
      EXPECT_NEAR(p.item<double>(), adam_reference(0.75, 0, 4, 0.05, 0.8, 0.9, 1e-6, 0.2, decoupled, amsgrad, grads),
                  1e-12);
    }
  }
}

TEST(Optimizer, ParamGroupsHaveTheirOwnOptions) {
  Tensor a = param({1.0}), b = param({1.0});
  SGD sgd({a}, {.lr = 0.1});
  sgd.add_param_group({b}, {{"lr", 0.5}});
  EXPECT_THROW(sgd.add_param_group({param({1.0})}, {{"betas", 0.5}}), ValueError);
  set_grad(a, {1.0});
  set_grad(b, {1.0});
  sgd.step();
  expect_values(a, {0.9});
  expect_values(b, {0.5});
  sgd.zero_grad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(Optimizer, StateDictRoundTripContinuesIdentically) {
  Tensor p = param({0.5, -1.0}), q = param({0.5, -1.0});
  AdamW first({p}, {.lr = 0.1});
  set_grad(p, {0.3, 0.7});
  first.step();
  StateDict state = first.state_dict();
  EXPECT_TRUE(state.contains("state.0.exp_avg"));
  EXPECT_TRUE(state.contains("param_groups.0.lr"));
  AdamW second({q}, {.lr = 0.7});
  second.load_state_dict(state);
  EXPECT_EQ(second.param_groups()[0].get("lr"), 0.1);
  q.set_grad(ops::clone(p.grad()));
  {
    NoGradGuard no_grad;
    ops::copy_(q, p);
  }
  first.step();
  second.step();
  EXPECT_EQ(to_doubles(p), to_doubles(q));
  StateDict bad;
  bad.insert("state.0.exp_avg", ops::zeros({3}, {.dtype = DType::f64}));
  EXPECT_THROW(second.load_state_dict(bad), ValueError);
}

TEST(ClipGrad, NormScalesToMaxNormAndReturnsTheTotal) {
  Tensor a = param({3.0}), b = param({0.0, 0.0});
  set_grad(a, {3.0});
  set_grad(b, {0.0, 4.0});
  EXPECT_NEAR(clip_grad_norm_({a, b}, 1.0), 5.0, 1e-12);
  expect_values(a.grad(), {0.6}, 1e-6);
  expect_values(b.grad(), {0.0, 0.8}, 1e-6);
  EXPECT_NEAR(clip_grad_norm_({a, b}, 10.0), 1.0, 1e-6);  // below max_norm: unchanged
  expect_values(a.grad(), {0.6}, 1e-6);
  set_grad(a, {2.0});
  set_grad(b, {-5.0, 1.0});
  EXPECT_NEAR(clip_grad_norm_({a, b}, 100.0, INFINITY), 5.0, 1e-12);
}

TEST(ClipGrad, NonFiniteNormRaisesWhenAsked) {
  Tensor a = param({1.0});
  set_grad(a, {NAN});
  EXPECT_THROW(clip_grad_norm_({a}, 1.0, 2.0, /*error_if_nonfinite=*/true), ValueError);
  EXPECT_TRUE(std::isnan(clip_grad_norm_({a}, 1.0)));
  set_grad(a, {INFINITY});
  EXPECT_TRUE(std::isinf(clip_grad_norm_({a}, 1.0)));
}

TEST(ClipGrad, ValueClampsEachElement) {
  Tensor a = param({1.0, 1.0, 1.0});
  set_grad(a, {-3.0, 0.5, 2.0});
  clip_grad_value_({a}, 1.0);
  expect_values(a.grad(), {-1.0, 0.5, 1.0});
}

}  // namespace
}  // namespace mini::nn::optim
