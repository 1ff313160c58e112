// GradScaler (nn/amp/grad_scaler.h): scaling, unscaling, skipped steps on
// inf/NaN, growth and backoff, the call-order errors and state round trips,
// against hand-computed SGD updates.
#include <gmock/gmock.h>

#include <limits>

#include "nn/amp/grad_scaler.h"
#include "nn_testing.h"

namespace mini::testing {
namespace {

using nn::amp::GradScaler;
using nn::amp::GradScalerOptions;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

// One f32 parameter with plain SGD (lr 0.5), whose gradient the test sets by hand.
struct OneParameter {
  OneParameter()
      : param(ops::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}).requires_grad_()),
        optimizer({param}, {.lr = 0.5}) {}
  // The gradient backward would leave after scaler.scale(loss): the true one times the scale.
  void set_scaled_grad(const std::vector<double>& grad, double scale) {
    Tensor values = ops::from_vector(std::vector<double>(grad), {2, 2});
    param.set_grad(ops::to_dtype(ops::mul(values, scale), DType::f32));
  }
  Tensor param;
  nn::optim::SGD optimizer;
};

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a mini::Error";
  return "";
}

TEST(GradScaler, ScalesTheLossDifferentiablyAndInF32) {
  GradScaler scaler;
  EXPECT_EQ(scaler.get_scale(), 65536.0);
  const Tensor x = ops::from_vector(std::vector<float>{0.5f, -1.0f}).requires_grad_();
  const Tensor loss = sum(x * x);
  const Tensor scaled = scaler.scale(loss);
  expect_values_near(scaled, {1.25 * 65536}, 0, 0, "scaled loss");
  scaled.backward();
  expect_values_near(x.grad(), {65536.0, -131072.0}, 0, 0, "scaled gradient");
  // A 16-bit loss times 2^16 would overflow f16: it is widened first.
  EXPECT_EQ(scaler.scale(ops::scalar_tensor(2.0, {.dtype = DType::f16})).dtype(), DType::f32);
}

TEST(GradScaler, StepUnscalesAndStepsWithTheTrueGradient) {
  GradScaler scaler;
  OneParameter p;
  p.set_scaled_grad({0.25, -0.5, 1.0, 2.0}, scaler.get_scale());
  EXPECT_TRUE(scaler.step(p.optimizer));
  expect_values_near(p.param.grad(), {0.25, -0.5, 1.0, 2.0}, 0, 0, "unscaled gradient");
  // p - 0.5 * grad
  expect_values_near(p.param, {0.875, 2.25, 2.5, 3.0}, 0, 0, "parameter after the step");
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 65536.0);
  EXPECT_EQ(scaler.growth_tracker(), 1);
}

TEST(GradScaler, InfOrNanGradientsSkipTheStepAndBackOff) {
  for (double bad : {kInf, -kInf, std::nan("")}) {
    GradScaler scaler;
    OneParameter p;
    p.set_scaled_grad({0.25, bad, 1.0, 2.0}, 1.0);
    EXPECT_FALSE(scaler.step(p.optimizer)) << bad;
    EXPECT_TRUE(scaler.found_inf());
    expect_values_near(p.param, {1, 2, 3, 4}, 0, 0, "parameter after a skipped step");
    scaler.update();
    EXPECT_EQ(scaler.get_scale(), 32768.0) << bad;
    EXPECT_EQ(scaler.growth_tracker(), 0);
    EXPECT_FALSE(scaler.found_inf());  // update() forgets the checks
  }
}

TEST(GradScaler, TheFirstOverflowOfOneTensorAmongManyIsFound) {
  GradScaler scaler;
  const Tensor a = ops::zeros({3}).requires_grad_(), b = ops::zeros({257}).requires_grad_();
  const Tensor frozen = ops::zeros({2}).requires_grad_();  // no gradient: skipped
  nn::optim::SGD optimizer({a, b, frozen}, {.lr = 1.0});
  a.set_grad(ops::ones({3}));
  Tensor b_grad = ops::ones({257});
  b_grad.data<float>()[200] = std::numeric_limits<float>::infinity();
  b.set_grad(b_grad);
  scaler.unscale_(optimizer);
  EXPECT_TRUE(scaler.found_inf());
  EXPECT_FALSE(scaler.step(optimizer));
  expect_values_near(a, std::vector<double>(3, 0.0), 0, 0, "a is not stepped either");
}

TEST(GradScaler, GrowsAfterGrowthIntervalCleanStepsInARow) {
  GradScaler scaler({.init_scale = 1024, .growth_interval = 3});
  OneParameter p;
  auto clean_step = [&] {
    p.set_scaled_grad({0, 0, 0, 0}, scaler.get_scale());
    EXPECT_TRUE(scaler.step(p.optimizer));
    scaler.update();
  };
  clean_step();
  clean_step();
  EXPECT_EQ(scaler.get_scale(), 1024.0);
  EXPECT_EQ(scaler.growth_tracker(), 2);
  clean_step();
  EXPECT_EQ(scaler.get_scale(), 2048.0);
  EXPECT_EQ(scaler.growth_tracker(), 0);
  // An overflow resets the count: three more clean steps are needed.
  clean_step();
  p.set_scaled_grad({kInf, 0, 0, 0}, 1.0);
  scaler.step(p.optimizer);
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 1024.0);
  clean_step();
  clean_step();
  EXPECT_EQ(scaler.get_scale(), 1024.0);
  clean_step();
  EXPECT_EQ(scaler.get_scale(), 2048.0);
}

TEST(GradScaler, GrowthStopsShortOfFloatOverflow) {
  GradScaler scaler({.init_scale = 0x1p127, .growth_interval = 1});
  OneParameter p;
  p.set_scaled_grad({0, 0, 0, 0}, 1.0);
  scaler.step(p.optimizer);
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 0x1p127);
}

TEST(GradScaler, StaticScaleNeverChangesButStillSkipsOverflows) {
  GradScaler scaler({.init_scale = 512, .growth_interval = 1, .dynamic = false});
  OneParameter p;
  p.set_scaled_grad({1, 1, 1, 1}, 512);
  EXPECT_TRUE(scaler.step(p.optimizer));
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 512.0);
  p.set_scaled_grad({kInf, 1, 1, 1}, 1.0);
  EXPECT_FALSE(scaler.step(p.optimizer));
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 512.0);
}

TEST(GradScaler, UnscaleBeforeClippingIsNotRepeatedByStep) {
  GradScaler scaler;
  OneParameter p;
  p.set_scaled_grad({3, 0, 0, 4}, scaler.get_scale());
  scaler.unscale_(p.optimizer);
  // The clip sees the true gradient norm, 5, and scales it to 1.
  EXPECT_NEAR(nn::optim::clip_grad_norm_({p.param}, 1.0), 5.0, 1e-5);
  EXPECT_TRUE(scaler.step(p.optimizer));
  // p - 0.5 * (0.6, 0, 0, 0.8)
  expect_values_near(p.param, {0.7, 2.0, 3.0, 3.6}, 1e-6, 1e-6, "parameter after a clipped step");
}

TEST(GradScaler, CallsOutOfOrderAreClearErrors) {
  GradScaler scaler;
  OneParameter p;
  EXPECT_THAT(error_of([&] { scaler.update(); }), HasSubstr("no inf/NaN checks were recorded"));
  p.set_scaled_grad({1, 1, 1, 1}, 1.0);
  scaler.unscale_(p.optimizer);
  EXPECT_THAT(error_of([&] { scaler.unscale_(p.optimizer); }), HasSubstr("already called"));
  scaler.step(p.optimizer);
  EXPECT_THAT(error_of([&] { scaler.step(p.optimizer); }), HasSubstr("already called"));
  EXPECT_THAT(error_of([&] { scaler.unscale_(p.optimizer); }), HasSubstr("after step()"));
  scaler.update();
  p.set_scaled_grad({1, 1, 1, 1}, 1.0);
  EXPECT_TRUE(scaler.step(p.optimizer));  // a new round after update()
}

TEST(GradScaler, RefusesFloat16GradientsAndBadOptions) {
  GradScaler scaler;
  const Tensor half = ops::zeros({2}, {.dtype = DType::f16}).requires_grad_();
  nn::optim::SGD optimizer({half}, {.lr = 1.0});
  half.set_grad(ops::zeros({2}, {.dtype = DType::f16}));
  EXPECT_THAT(error_of([&] { scaler.unscale_(optimizer); }), HasSubstr("float16 gradients"));
  EXPECT_THAT(error_of([] { GradScaler({.growth_factor = 1.0}); }), HasSubstr("growth_factor"));
  EXPECT_THAT(error_of([] { GradScaler({.backoff_factor = 1.5}); }), HasSubstr("backoff_factor"));
  EXPECT_THAT(error_of([] { GradScaler({.growth_interval = 0}); }), HasSubstr("growth_interval"));
  EXPECT_THAT(error_of([] { GradScaler({.init_scale = 1e39}); }), HasSubstr("init_scale"));
}

TEST(GradScaler, DisabledScalerIsATransparentPassThrough) {
  GradScaler scaler({.enabled = false});
  EXPECT_EQ(scaler.get_scale(), 1.0);
  const Tensor loss = ops::scalar_tensor(3.0);
  EXPECT_TRUE(scaler.scale(loss).is_same(loss));
  OneParameter p;
  p.set_scaled_grad({kInf, 0, 0, 0}, 1.0);
  EXPECT_TRUE(scaler.step(p.optimizer));  // no checks: it just steps
  scaler.update();
  EXPECT_TRUE(scaler.state_dict().empty());
}

TEST(GradScaler, StateDictRoundTripsScaleTrackerAndOptions) {
  GradScaler trained({.init_scale = 1024, .growth_factor = 4, .backoff_factor = 0.25, .growth_interval = 5});
  OneParameter p;
  for (int i = 0; i < 7; ++i) {
    p.set_scaled_grad({0, 0, 0, 0}, trained.get_scale());
    trained.step(p.optimizer);
    trained.update();
  }
  ASSERT_EQ(trained.get_scale(), 4096.0);
  ASSERT_EQ(trained.growth_tracker(), 2);
  const nn::StateDict state = trained.state_dict();
  EXPECT_EQ(state.size(), 5u);
  EXPECT_EQ(state.at("scale").item<double>(), 4096.0);
  EXPECT_EQ(state.at("_growth_tracker").item<int64_t>(), 2);

  GradScaler restored;
  restored.load_state_dict(state);
  EXPECT_EQ(restored.get_scale(), 4096.0);
  EXPECT_EQ(restored.growth_tracker(), 2);
  EXPECT_EQ(restored.options().growth_factor, 4.0);
  EXPECT_EQ(restored.options().backoff_factor, 0.25);
  EXPECT_EQ(restored.options().growth_interval, 5);
  // Both continue identically: three more clean steps grow both by 4.
  for (GradScaler* scaler : {&trained, &restored}) {
    for (int i = 0; i < 3; ++i) {
      p.set_scaled_grad({0, 0, 0, 0}, scaler->get_scale());
      scaler->step(p.optimizer);
      scaler->update();
    }
  }
  EXPECT_EQ(restored.get_scale(), 16384.0);
  EXPECT_EQ(trained.get_scale(), restored.get_scale());
}

TEST(GradScaler, LoadStateDictRejectsEmptyUnknownAndDisabled) {
  GradScaler scaler;
  EXPECT_THAT(error_of([&] { scaler.load_state_dict({}); }), HasSubstr("empty"));
  nn::StateDict extra = GradScaler().state_dict();
  extra.insert("scael", ops::scalar_tensor(1.0));
  EXPECT_THAT(error_of([&] { scaler.load_state_dict(extra); }), HasSubstr("unexpected key 'scael'"));
  GradScaler disabled({.enabled = false});
  EXPECT_THAT(error_of([&] { disabled.load_state_dict(GradScaler().state_dict()); }), HasSubstr("disabled"));
  EXPECT_EQ(scaler.get_scale(), 65536.0);  // failed loads changed nothing
}

}  // namespace
}  // namespace mini::testing
