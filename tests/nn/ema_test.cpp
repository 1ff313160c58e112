// ExponentialMovingAverage: the recurrence, the warm-up decay, swapping
// weights for evaluation, buffers and checkpoint resume.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nn_testing.h"

namespace mini::nn {
namespace {

using ::testing::ElementsAre;
using testing::expect_tensors_near;
using ::testing::HasSubstr;
using testing::random_tensor;
using testing::to_doubles;

constexpr double kF64Tol = 1e-12;  // a handful of float64 roundings of O(1) values

// Sets every tracked tensor to new random values, as an optimizer step would.
void fake_step(const std::vector<Tensor>& params, uint64_t seed) {
  NoGradGuard no_grad;
  for (const Tensor& p : params) ops::copy_(p, random_tensor(p.sizes(), p.dtype(), seed++));
}

// shadow_t = d_t shadow_{t-1} + (1 - d_t) p_t, element by element in double.
std::vector<double> recurrence(std::vector<double> shadow, const std::vector<std::vector<double>>& values,
                               const std::vector<double>& decays) {
  for (size_t t = 0; t < values.size(); ++t) {
    for (size_t i = 0; i < shadow.size(); ++i) shadow[i] = decays[t] * shadow[i] + (1 - decays[t]) * values[t][i];
  }
  return shadow;
}

TEST(Ema, ShadowFollowsTheClosedFormRecurrence) {
  const Tensor p = random_tensor({3, 4}, DType::f64, 1).requires_grad_();
  ExponentialMovingAverage ema({p}, {.decay = 0.9});
  const std::vector<double> initial = to_doubles(p);
  std::vector<std::vector<double>> values;
  for (int t = 0; t < 5; ++t) {
    fake_step({p}, 10 + t);
    values.push_back(to_doubles(p));
    ema.update();
  }
  EXPECT_EQ(ema.num_updates(), 5);
  testing::expect_values_near(ema.shadows()[0], recurrence(initial, values, std::vector<double>(5, 0.9)), kF64Tol,
                              kF64Tol);
  EXPECT_THAT(ema.names(), ElementsAre("0"));
}

TEST(Ema, Float32ShadowsStayFloat32) {
  const Tensor p = random_tensor({7}, DType::f32, 2);
  ExponentialMovingAverage ema({p}, {.decay = 0.5});
  const std::vector<double> initial = to_doubles(p);
  fake_step({p}, 3);
  ema.update();
  EXPECT_EQ(ema.shadows()[0].dtype(), DType::f32);
  testing::expect_values_near(ema.shadows()[0], recurrence(initial, {to_doubles(p)}, {0.5}),
                              testing::rtol_for(DType::f32), testing::atol_for(DType::f32));
}

TEST(Ema, WarmupDecayIsMinOfDecayAndOnePlusTOverTenPlusT) {
  ExponentialMovingAverage ema(std::vector<Tensor>{}, {.decay = 0.9, .warmup = true});
  EXPECT_DOUBLE_EQ(ema.decay_at(1), 2.0 / 11.0);
  EXPECT_DOUBLE_EQ(ema.decay_at(10), 11.0 / 20.0);
  EXPECT_DOUBLE_EQ(ema.decay_at(80), 81.0 / 90.0);  // == 0.9
  EXPECT_DOUBLE_EQ(ema.decay_at(1000), 0.9);
  ExponentialMovingAverage plain(std::vector<Tensor>{}, {.decay = 0.9});
  EXPECT_DOUBLE_EQ(plain.decay_at(1), 0.9);
}

TEST(Ema, WarmupUpdatesUseTheScheduledDecay) {
  const Tensor p = random_tensor({5}, DType::f64, 4);
  ExponentialMovingAverage ema({p}, {.decay = 0.99, .warmup = true});
  const std::vector<double> initial = to_doubles(p);
  std::vector<std::vector<double>> values;
  std::vector<double> decays;
  for (int t = 1; t <= 4; ++t) {
    fake_step({p}, 20 + t);
    values.push_back(to_doubles(p));
    decays.push_back(std::min(0.99, (1.0 + t) / (10.0 + t)));
    ema.update();
  }
  testing::expect_values_near(ema.shadows()[0], recurrence(initial, values, decays), kF64Tol, kF64Tol);
}

TEST(Ema, StoreCopyToRestoreRoundTrip) {
  mini::manual_seed(1);
  auto model = std::make_shared<Sequential>(
      std::initializer_list<ModulePtr>{std::make_shared<Linear>(3, 4), std::make_shared<Linear>(4, 2)});
  model->to(DType::f64);
  ExponentialMovingAverage ema(*model, {.decay = 0.8});
  EXPECT_THAT(ema.names(), ElementsAre("0.weight", "0.bias", "1.weight", "1.bias"));
  for (int t = 0; t < 3; ++t) {
    fake_step(model->parameters(), 30 + 10 * t);
    ema.update();
  }
  StateDict trained;
  for (const auto& [name, tensor] : model->state_dict()) trained.insert(name, tensor.clone());
  const std::vector<Tensor> params = model->parameters();
  ema.store();
  ema.copy_to();
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(ops::equal(params[i], ema.shadows()[i])) << i;
    EXPECT_FALSE(ops::equal(params[i], trained.at(ema.names()[i]))) << i;
    EXPECT_TRUE(params[i].requires_grad()) << "copy_to keeps the parameter handles";
  }
  ema.restore();
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(ops::equal(params[i], trained.at(ema.names()[i]))) << i;
  EXPECT_THAT([&] { ema.restore(); }, ::testing::ThrowsMessage<ValueError>(HasSubstr("store()")));
}

TEST(Ema, UpdateBuffersAveragesFloatBuffersAndCopiesCounters) {
  mini::manual_seed(2);
  auto norm = std::make_shared<BatchNorm1d>(3);
  norm->to(DType::f64);
  ExponentialMovingAverage without(*norm, {.decay = 0.5});
  EXPECT_THAT(without.names(), ElementsAre("weight", "bias"));
  ExponentialMovingAverage ema(*norm, {.decay = 0.5, .update_buffers = true});
  EXPECT_THAT(ema.names(), ElementsAre("weight", "bias", "running_mean", "running_var", "num_batches_tracked"));
  const std::vector<double> mean0 = to_doubles(ema.shadows()[2]);
  (*norm)(random_tensor({6, 3}, DType::f64, 5));  // training forward: moves the running stats
  ema.update();
  const Tensor running_mean = norm->named_buffers()[0].second;
  testing::expect_values_near(ema.shadows()[2], recurrence(mean0, {to_doubles(running_mean)}, {0.5}), kF64Tol, kF64Tol);
  EXPECT_EQ(ema.shadows()[4].item<int64_t>(), 1);
}

TEST(Ema, StateDictResumesIdentically) {
  const Tensor p = random_tensor({2, 3}, DType::f64, 6);
  const Tensor q = random_tensor({2, 3}, DType::f64, 6);
  ExponentialMovingAverage first({p}, {.decay = 0.95, .warmup = true});
  for (int t = 0; t < 3; ++t) {
    fake_step({p}, 40 + t);
    first.update();
  }
  const StateDict state = first.state_dict();
  EXPECT_THAT(
      [&] {
        std::vector<std::string> keys;
        for (const auto& [name, tensor] : state) keys.push_back(name);
        return keys;
      }(),
      ElementsAre("shadow.0", "num_updates", "decay", "warmup"));

  ExponentialMovingAverage resumed({q}, {.decay = 0.5});  // decay, warmup and counter come from the state
  resumed.load_state_dict(state);
  EXPECT_EQ(resumed.num_updates(), 3);
  EXPECT_DOUBLE_EQ(resumed.decay_at(1000), 0.95);
  EXPECT_DOUBLE_EQ(resumed.decay_at(4), 5.0 / 14.0);
  EXPECT_TRUE(ops::equal(resumed.shadows()[0], first.shadows()[0]));
  for (int t = 0; t < 2; ++t) {
    fake_step({p}, 50 + t);
    fake_step({q}, 50 + t);
    first.update();
    resumed.update();
  }
  EXPECT_TRUE(ops::equal(resumed.shadows()[0], first.shadows()[0]));
}

TEST(Ema, BadInputsThrow) {
  const Tensor p = random_tensor({2}, DType::f64, 7);
  EXPECT_THROW(ExponentialMovingAverage({p}, {.decay = 1.5}), ValueError);
  EXPECT_THROW(ExponentialMovingAverage({Tensor()}, {}), ValueError);
  ExponentialMovingAverage ema({p}, {});
  ExponentialMovingAverage other({random_tensor({3}, DType::f64, 8)}, {});
  EXPECT_THAT([&] { ema.load_state_dict(other.state_dict()); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("'shadow.0' has shape (3), expected (2)")));
}

}  // namespace
}  // namespace mini::nn
