// RMSprop, Adagrad and Lion: steps on fixed gradients against hand-computed
// numbers and a scalar loop written from the published rules, state_dict
// round trips and option checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "nn_testing.h"

namespace mini::nn::optim {
namespace {

using ::testing::HasSubstr;
using testing::to_doubles;

Tensor param(std::vector<double> values) { return ops::from_vector(values).requires_grad_(); }

void set_grad(const Tensor& p, std::vector<double> values) { p.set_grad(ops::from_vector(values)); }

// float64 parameters: the only error is the order of operations.
constexpr double kTol = 1e-12;

void expect_values(const Tensor& t, const std::vector<double>& expected, double tol = kTol) {
  const std::vector<double> got = to_doubles(t);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
}

// Fixed gradients for step t (1-based) of element i: signs and sizes vary.
double grad_at(int t, size_t i) { return std::sin(1.3 * t + 0.7 * static_cast<double>(i)) * (1.0 + 0.5 * i); }

const std::vector<double> kStart = {0.5, -1.5, 2.0};
constexpr int kSteps = 6;

// Runs `optimizer` kSteps times on p (starting at kStart) with grad_at.
template <typename Opt>
std::vector<double> run(Opt& optimizer, const Tensor& p) {
  for (int t = 1; t <= kSteps; ++t) {
    std::vector<double> g;
    for (size_t i = 0; i < kStart.size(); ++i) g.push_back(grad_at(t, i));
    set_grad(p, g);
    optimizer.step();
  }
  return to_doubles(p);
}

// ---- RMSprop ---------------------------------------------------------------

double rmsprop_reference(double p, size_t i, RMSpropOptions o) {
  double v = 0, m = 0, buf = 0;
  for (int t = 1; t <= kSteps; ++t) {
    double g = grad_at(t, i) + o.weight_decay * p;
    v = o.alpha * v + (1 - o.alpha) * g * g;
    double denominator;
    if (o.centered) {
      m = o.alpha * m + (1 - o.alpha) * g;
      denominator = std::sqrt(v - m * m) + o.eps;
    } else {
      denominator = std::sqrt(v) + o.eps;
    }
    if (o.momentum > 0) {
      buf = o.momentum * buf + g / denominator;
      p -= o.lr * buf;
    } else {
      p -= o.lr * g / denominator;
    }
  }
  return p;
}

TEST(RMSprop, FirstStepMovesByTenLrTimesTheSign) {
  // v = 0.01 g^2 after one step with alpha 0.99, so g / sqrt(v) = 10 sign(g).
  Tensor p = param({1.0, -2.0});
  RMSprop rmsprop({p}, {.lr = 0.01, .eps = 0});
  set_grad(p, {0.5, -3.0});
  rmsprop.step();
  expect_values(p, {0.9, -1.9});
}

TEST(RMSprop, StepsMatchTheReferenceRuleForEveryVariant) {
  for (bool centered : {false, true}) {
    for (double momentum : {0.0, 0.8}) {
      for (double weight_decay : {0.0, 0.1}) {
        const RMSpropOptions options{.lr = 0.01,
                                     .alpha = 0.9,
                                     .eps = 1e-6,
                                     .weight_decay = weight_decay,
                                     .momentum = momentum,
                                     .centered = centered};
        Tensor p = param(kStart);
        RMSprop rmsprop({p}, options);
        const std::vector<double> got = run(rmsprop, p);
        for (size_t i = 0; i < kStart.size(); ++i) {
          EXPECT_NEAR(got[i], rmsprop_reference(kStart[i], i, options), kTol)
              << "centered " << centered << " momentum " << momentum << " weight_decay " << weight_decay;
        }
      }
    }
  }
}

TEST(RMSprop, KeepsOnlyTheStateItsOptionsNeed) {
  Tensor p = param({1.0});
  RMSprop plain({p}, {});
  set_grad(p, {1.0});
  plain.step();
  EXPECT_TRUE(plain.state(0, 0).contains("square_avg"));
  EXPECT_FALSE(plain.state(0, 0).contains("momentum_buffer"));
  EXPECT_FALSE(plain.state(0, 0).contains("grad_avg"));
  Tensor q = param({1.0});
  RMSprop full({q}, {.momentum = 0.5, .centered = true});
  set_grad(q, {1.0});
  full.step();
  EXPECT_TRUE(full.state(0, 0).contains("momentum_buffer"));
  EXPECT_TRUE(full.state(0, 0).contains("grad_avg"));
}

TEST(RMSprop, RejectsNegativeOptions) {
  try {
    RMSprop({param({1.0})}, {.momentum = -0.5});
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("RMSprop"));
    EXPECT_THAT(e.what(), HasSubstr("-0.5"));
  }
}

// ---- Adagrad ---------------------------------------------------------------

double adagrad_reference(double p, size_t i, AdagradOptions o) {
  double sum = o.initial_accumulator_value;
  for (int t = 1; t <= kSteps; ++t) {
    const double g = grad_at(t, i) + o.weight_decay * p;
    const double clr = o.lr / (1 + (t - 1) * o.lr_decay);
    sum += g * g;
    p -= clr * g / (std::sqrt(sum) + o.eps);
  }
  return p;
}

TEST(Adagrad, FirstStepMovesByLrTimesTheSign) {
  // sum = g^2 so g / sqrt(sum) = sign(g).
  Tensor p = param({1.0, -2.0});
  Adagrad adagrad({p}, {.lr = 0.1, .eps = 0});
  set_grad(p, {2.0, -0.25});
  adagrad.step();
  expect_values(p, {0.9, -1.9});
}

TEST(Adagrad, StepsMatchTheReferenceRuleForEveryVariant) {
  for (double lr_decay : {0.0, 0.5}) {
    for (double weight_decay : {0.0, 0.2}) {
      for (double initial : {0.0, 0.3}) {
        const AdagradOptions options{
            .lr = 0.1, .lr_decay = lr_decay, .weight_decay = weight_decay, .initial_accumulator_value = initial};
        Tensor p = param(kStart);
        Adagrad adagrad({p}, options);
        const std::vector<double> got = run(adagrad, p);
        for (size_t i = 0; i < kStart.size(); ++i) {
          EXPECT_NEAR(got[i], adagrad_reference(kStart[i], i, options), kTol)
              << "lr_decay " << lr_decay << " weight_decay " << weight_decay << " initial " << initial;
        }
      }
    }
  }
}

TEST(Adagrad, StateDictRoundTripContinuesIdentically) {
  Tensor a = param(kStart), b = param(kStart);
  Adagrad first({a}, {.lr = 0.1, .lr_decay = 0.3});
  Adagrad second({b}, {.lr = 0.7});
  set_grad(a, {1.0, -2.0, 0.5});
  first.step();
  second.load_state_dict(first.state_dict());
  ops::copy_(b, a.detach());
  EXPECT_EQ(second.param_groups()[0].get("lr_decay"), 0.3);
  for (Tensor* p : {&a, &b}) set_grad(*p, {0.3, 0.1, -0.2});
  first.step();
  second.step();
  expect_values(b, to_doubles(a), 0.0);
}

// ---- Lion ------------------------------------------------------------------

double lion_reference(double p, size_t i, LionOptions o) {
  double m = 0;
  for (int t = 1; t <= kSteps; ++t) {
    const double g = grad_at(t, i);
    const double c = o.beta1 * m + (1 - o.beta1) * g;
    const double sign = c > 0 ? 1.0 : (c < 0 ? -1.0 : 0.0);
    p -= o.lr * (sign + o.weight_decay * p);
    m = o.beta2 * m + (1 - o.beta2) * g;
  }
  return p;
}

TEST(Lion, StepsFollowTheSignOfTheInterpolatedMoment) {
  Tensor p = param({1.0, -2.0, 3.0});
  Lion lion({p}, {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.99, .weight_decay = 0.5});
  set_grad(p, {0.5, -1.0, 0.0});
  lion.step();
  // c = 0.1 g -> sign(g); p = 0.95 p - 0.1 sign(g); a zero gradient only decays.
  expect_values(p, {0.85, -1.8, 2.85});
  set_grad(p, {-0.1, 0.0, 0.0});
  lion.step();
  // m = 0.01 [0.5, -1, 0]; c = 0.9 m + 0.1 g = [-0.0055, -0.009, 0]: the old
  // moment flips the first sign, the second keeps going.
  expect_values(p, {0.85 * 0.95 + 0.1, -1.8 * 0.95 + 0.1, 2.85 * 0.95});
}

TEST(Lion, StepsMatchThePaperRule) {
  for (double weight_decay : {0.0, 0.3}) {
    const LionOptions options{.lr = 0.01, .beta1 = 0.8, .beta2 = 0.95, .weight_decay = weight_decay};
    Tensor p = param(kStart);
    Lion lion({p}, options);
    const std::vector<double> got = run(lion, p);
    for (size_t i = 0; i < kStart.size(); ++i) {
      EXPECT_NEAR(got[i], lion_reference(kStart[i], i, options), kTol) << "weight_decay " << weight_decay;
    }
  }
}

TEST(Lion, RejectsBetasOutsideTheUnitInterval) {
  try {
    Lion({param({1.0})}, {.beta2 = 1.5});
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Lion: betas (0.9, 1.5)"));
  }
}

TEST(Lion, SkipsParametersWithoutGradients) {
  Tensor p = param({1.0}), q = param({2.0});
  Lion lion({p, q}, {.lr = 0.5});
  set_grad(p, {-1.0});
  lion.step();
  expect_values(p, {1.5});
  expect_values(q, {2.0});
  EXPECT_TRUE(lion.state(0, 1).empty());
}

// ---- all three on float32 --------------------------------------------------

// Runs `make_optimizer` on kStart in `dtype` with the fixed gradients.
template <typename Make>
Tensor run_in(DType dtype, Make make_optimizer) {
  Tensor p = ops::to_dtype(ops::from_vector(kStart), dtype).requires_grad_();
  auto optimizer = make_optimizer(p);
  for (int t = 1; t <= kSteps; ++t) {
    std::vector<double> g;
    for (size_t i = 0; i < kStart.size(); ++i) g.push_back(grad_at(t, i));
    p.set_grad(ops::to_dtype(ops::from_vector(g), dtype));
    optimizer.step();
  }
  EXPECT_EQ(p.dtype(), dtype);
  return p;
}

TEST(OptimExtra, Float32ParametersTrackTheFloat64Run) {
  auto rmsprop = [](const Tensor& p) { return RMSprop({p}, {.lr = 0.01, .momentum = 0.5, .centered = true}); };
  auto adagrad = [](const Tensor& p) { return Adagrad({p}, {.lr = 0.1, .lr_decay = 0.1, .weight_decay = 0.1}); };
  auto lion = [](const Tensor& p) { return Lion({p}, {.lr = 0.01, .weight_decay = 0.1}); };
  testing::expect_close(run_in(DType::f32, rmsprop), ops::to_dtype(run_in(DType::f64, rmsprop), DType::f32), "RMSprop");
  testing::expect_close(run_in(DType::f32, adagrad), ops::to_dtype(run_in(DType::f64, adagrad), DType::f32), "Adagrad");
  testing::expect_close(run_in(DType::f32, lion), ops::to_dtype(run_in(DType::f64, lion), DType::f32), "Lion");
}

}  // namespace
}  // namespace mini::nn::optim
