// Layers: gradcheck in float64 through each parameterised layer, BatchNorm's
// running statistics, Embedding's padding row, init statistics and seed
// reproducibility, and an MLP that fits XOR.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "nn_testing.h"

namespace mini::nn {
namespace {

using testing::leaf;
using testing::to_doubles;

// gradcheck of input -> sum(layer(input) * ramp) w.r.t. the input and every parameter.
template <typename M>
void expect_layer_gradcheck(const std::shared_ptr<M>& layer, const Tensor& input) {
  layer->to(DType::f64);
  std::vector<Tensor> inputs{input};
  for (const Tensor& p : layer->parameters()) inputs.push_back(p);
  auto fn = [layer](const std::vector<Tensor>& in) {
    Tensor out = (*layer)(in[0]);
    Tensor ramp =
        ops::reshape(ops::arange(0.5, 0.5 + static_cast<double>(out.numel()), 1.0, {.dtype = DType::f64}), out.sizes());
    return std::vector<Tensor>{out * ramp};
  };
  EXPECT_GRADCHECK(fn, inputs);
}

TEST(LayerGrad, Linear) { expect_layer_gradcheck(std::make_shared<Linear>(4, 3), leaf({2, 4}, 1)); }

TEST(LayerGrad, Conv2dWithStridePaddingDilationGroups) {
  expect_layer_gradcheck(
      std::make_shared<Conv2d>(4, 2, std::pair<int64_t, int64_t>{2, 3},
                               Conv2dOptions{.stride = {2, 1}, .padding = {1, 1}, .dilation = {1, 2}, .groups = 2}),
      leaf({2, 4, 5, 5}, 2));
}

TEST(LayerGrad, BatchNorm2dInTrainingMode) {
  auto bn = std::make_shared<BatchNorm2d>(3);
  init::normal_(bn->weight());
  init::normal_(bn->bias());
  expect_layer_gradcheck(bn, leaf({2, 3, 2, 3}, 3));
}

TEST(LayerGrad, GroupNormLayerNormRmsNorm) {
  auto gn = std::make_shared<GroupNorm>(2, 4);
  init::normal_(gn->weight());
  expect_layer_gradcheck(gn, leaf({2, 4, 3}, 4));
  auto ln = std::make_shared<LayerNorm>(Shape{3, 2});
  init::normal_(ln->weight());
  expect_layer_gradcheck(ln, leaf({2, 3, 2}, 5));
  auto rms = std::make_shared<RMSNorm>(Shape{5}, 1e-6);
  init::normal_(rms->weight());
  expect_layer_gradcheck(rms, leaf({3, 5}, 6));
}

TEST(GroupNorm, MatchesPlainReference) {
  Tensor x = testing::random_tensor({2, 4, 3}, DType::f64, 7);
  Tensor y = functional::group_norm(x, 2, Tensor(), Tensor(), 1e-5);
  const std::vector<double> xs = to_doubles(x), ys = to_doubles(y);
  for (int64_t row = 0; row < 4; ++row) {  // (sample, group): 6 contiguous values
    double mean = 0, var = 0;
    for (int64_t i = 0; i < 6; ++i) mean += xs[row * 6 + i] / 6;
    for (int64_t i = 0; i < 6; ++i) var += (xs[row * 6 + i] - mean) * (xs[row * 6 + i] - mean) / 6;
    for (int64_t i = 0; i < 6; ++i) {
      EXPECT_NEAR(ys[row * 6 + i], (xs[row * 6 + i] - mean) / std::sqrt(var + 1e-5), 1e-10);
    }
  }
}

TEST(BatchNorm, TracksRunningStatsAndUsesThemInEval) {
  auto bn = std::make_shared<BatchNorm1d>(2, BatchNormOptions{.momentum = 0.5});
  Tensor x = ops::from_vector<float>({1, 10, 3, 20, 5, 60}, {3, 2});
  Tensor y = (*bn)(x);
  // channel 0: mean 3, biased var 8/3, unbiased var 4
  EXPECT_THAT(to_doubles(bn->running_mean()), ::testing::ElementsAre(1.5, 15.0));
  EXPECT_NEAR(to_doubles(bn->running_var())[0], 0.5 + 0.5 * 4, 1e-5);
  EXPECT_NEAR(to_doubles(y)[0], (1 - 3) / std::sqrt(8.0 / 3 + 1e-5), 1e-5);
  EXPECT_EQ(bn->num_batches_tracked().item<int64_t>(), 1);
  bn->eval();
  Tensor z = (*bn)(x);
  EXPECT_NEAR(to_doubles(z)[0], (1 - 1.5) / std::sqrt(2.5 + 1e-5), 1e-5);
  EXPECT_EQ(bn->num_batches_tracked().item<int64_t>(), 1);
  bn->train();
  EXPECT_THROW((*bn)(ops::ones({1, 2})), ValueError);  // one value per channel
  EXPECT_THROW((*bn)(ops::ones({4, 3})), ValueError);
}

TEST(BatchNorm, CumulativeAverageWithoutMomentum) {
  auto bn = std::make_shared<BatchNorm1d>(1, BatchNormOptions{.momentum = std::nullopt});
  (*bn)(ops::from_vector<float>({0, 2}, {2, 1}));
  (*bn)(ops::from_vector<float>({4, 6}, {2, 1}));
  EXPECT_NEAR(bn->running_mean().item<double>(), 3.0, 1e-6);  // mean of the batch means 1 and 5
}

TEST(Embedding, PaddingRowStartsAtZeroAndGetsNoGradient) {
  manual_seed(3);
  auto emb = std::make_shared<Embedding>(5, 3, -1);  // padding_idx 4
  EXPECT_EQ(emb->padding_idx(), 4);
  EXPECT_THAT(to_doubles(ops::select(emb->weight(), 0, 4)), ::testing::ElementsAre(0.0, 0.0, 0.0));
  {
    NoGradGuard no_grad;
    init::constant_(ops::select(emb->weight(), 0, 4), 7.0);  // outputs still read the row
  }
  Tensor idx = ops::from_vector<int64_t>({4, 1, 4, 1}, {2, 2});
  Tensor out = (*emb)(idx);
  EXPECT_EQ(out.sizes(), (Shape{2, 2, 3}));
  EXPECT_EQ(to_doubles(out)[0], 7.0);
  out.sum().backward();
  const std::vector<double> grad = to_doubles(emb->weight().grad());
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(grad[4 * 3 + c], 0.0);
    EXPECT_EQ(grad[1 * 3 + c], 2.0);
  }
}

TEST(Init, KaimingUniformStaysInItsBoundAndHasItsVariance) {
  Tensor w = ops::empty({256, 512});
  init::kaiming_uniform_(w, 0, init::FanMode::fan_in, init::Nonlinearity::relu);
  const double bound = std::sqrt(2.0) * std::sqrt(3.0 / 512);
  EXPECT_LE(ops::amax(ops::abs(w)).item<double>(), bound);
  EXPECT_GT(ops::amax(ops::abs(w)).item<double>(), 0.99 * bound);
  // U(-b, b) has variance b^2 / 3 = 2 / fan_in; 131072 samples give ~0.4% relative error.
  EXPECT_NEAR(ops::var(w).item<double>(), 2.0 / 512, 0.02 * 2.0 / 512);
  init::kaiming_normal_(w, 0, init::FanMode::fan_out, init::Nonlinearity::relu);
  EXPECT_NEAR(ops::std(w).item<double>(), std::sqrt(2.0 / 256), 0.01 * std::sqrt(2.0 / 256));
  init::xavier_uniform_(w, init::calculate_gain(init::Nonlinearity::tanh));
  EXPECT_LE(ops::amax(ops::abs(w)).item<double>(), 5.0 / 3 * std::sqrt(6.0 / 768));
}

TEST(Init, FansAndGains) {
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(ops::empty({8, 3, 5, 5})), (std::pair<int64_t, int64_t>{75, 200}));
  EXPECT_THROW(init::calculate_fan_in_and_fan_out(ops::empty({8})), ValueError);
  EXPECT_DOUBLE_EQ(init::calculate_gain(init::Nonlinearity::leaky_relu, std::sqrt(5.0)), std::sqrt(1.0 / 3));
  EXPECT_DOUBLE_EQ(init::calculate_gain(init::Nonlinearity::tanh), 5.0 / 3);
}

TEST(Init, LinearDefaultIsUniformInOneOverSqrtFanIn) {
  auto lin = std::make_shared<Linear>(64, 128);
  const double bound = 1 / std::sqrt(64.0);
  EXPECT_LE(ops::amax(ops::abs(lin->weight())).item<double>(), bound);
  EXPECT_GT(ops::amax(ops::abs(lin->weight())).item<double>(), 0.95 * bound);
  EXPECT_LE(ops::amax(ops::abs(lin->bias())).item<double>(), bound);
}

TEST(Init, TheSameSeedBuildsTheSameModel) {
  auto build = [] {
    return std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
        std::make_shared<Conv2d>(3, 4, std::pair<int64_t, int64_t>{3, 3}), std::make_shared<Flatten>(),
        std::make_shared<Linear>(4, 2), std::make_shared<Embedding>(3, 2)});
  };
  manual_seed(42);
  auto a = build();
  manual_seed(42);
  auto b = build();
  manual_seed(43);
  auto c = build();
  const StateDict sa = a->state_dict(), sb = b->state_dict(), sc = c->state_dict();
  for (const auto& [name, tensor] : sa) {
    EXPECT_TRUE(ops::equal(tensor, sb.at(name))) << name;
    EXPECT_FALSE(ops::equal(tensor, sc.at(name))) << name;
  }
}

TEST(Layers, ShapesOfThePassThroughLayers) {
  Tensor x = testing::random_tensor({2, 3, 4, 4}, DType::f32, 8);
  EXPECT_EQ(MaxPool2d({.kernel = {2, 2}})(x).sizes(), (Shape{2, 3, 2, 2}));
  EXPECT_EQ(AvgPool2d({.kernel = {3, 3}, .stride = {1, 1}, .padding = {1, 1}})(x).sizes(), (Shape{2, 3, 4, 4}));
  EXPECT_EQ(AdaptiveAvgPool2d({1, 1})(x).sizes(), (Shape{2, 3, 1, 1}));
  EXPECT_EQ(Flatten()(x).sizes(), (Shape{2, 48}));
  EXPECT_EQ(Conv1d(3, 5, 3, {.padding = 1})(ops::ones({2, 3, 7})).sizes(), (Shape{2, 5, 7}));
  EXPECT_NEAR(ops::sum(Softmax(1)(x)).item<double>(), 2 * 4 * 4, 1e-4);
  for (ModulePtr act :
       std::vector<ModulePtr>{std::make_shared<ReLU>(), std::make_shared<LeakyReLU>(0.2), std::make_shared<GELU>(),
                              std::make_shared<SiLU>(), std::make_shared<Tanh>(), std::make_shared<Sigmoid>()}) {
    EXPECT_EQ((*act)(x).sizes(), x.sizes()) << act->type_name();
  }
  EXPECT_THAT(to_doubles(LeakyReLU(0.2)(ops::from_vector<float>({-1.0f, 2.0f}))),
              ::testing::ElementsAre(::testing::DoubleNear(-0.2, 1e-6), 2.0));
  Dropout dropout(0.5);
  dropout.eval();
  EXPECT_TRUE(ops::equal(dropout(x), x));
}

TEST(Training, MlpFitsXor) {
  manual_seed(0);
  auto model = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Linear>(2, 8), std::make_shared<Tanh>(), std::make_shared<Linear>(8, 1)});
  Tensor x = ops::from_vector<float>({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  Tensor y = ops::from_vector<float>({0, 1, 1, 0}, {4, 1});
  optim::AdamW optimizer(model->parameters(), {.lr = 0.05, .weight_decay = 0});
  double loss_value = 1;
  for (int step = 0; step < 500; ++step) {
    optimizer.zero_grad();
    Tensor loss = binary_cross_entropy_with_logits((*model)(x), y);
    loss.backward();
    optimizer.step();
    loss_value = loss.item<double>();
  }
  EXPECT_LT(loss_value, 0.01);
}

TEST(Training, MlpFitsANoisyRegressionDownToTheNoiseFloor) {
  // y = sin(3x) + noise with std 0.1: the best possible mean squared error is
  // the noise variance, 0.01. A fitted model gets within 2x of that floor.
  manual_seed(1);
  const Tensor x = ops::sub(ops::mul(ops::rand({256, 1}), 2.0), 1.0);
  const Tensor noise = ops::normal(0.0, 0.1, {256, 1});
  const Tensor y = ops::add(ops::sin(ops::mul(x, 3.0)), noise);
  auto model = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Linear>(1, 32), std::make_shared<Tanh>(), std::make_shared<Linear>(32, 32),
      std::make_shared<Tanh>(), std::make_shared<Linear>(32, 1)});
  optim::AdamW optimizer(model->parameters(), {.lr = 0.01, .weight_decay = 0});
  double loss_value = 1;
  for (int step = 0; step < 800; ++step) {
    optimizer.zero_grad();
    Tensor loss = mse_loss((*model)(x), y);
    loss.backward();
    optimizer.step();
    loss_value = loss.item<double>();
  }
  const double noise_floor = ops::mean(ops::square(noise)).item<double>();
  EXPECT_LT(loss_value, 2 * noise_floor) << "noise floor " << noise_floor;
}

}  // namespace
}  // namespace mini::nn
