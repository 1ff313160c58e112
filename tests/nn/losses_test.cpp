// Losses: values against plain double references, every reduction, and
// gradcheck in float64 (including label smoothing, ignore_index and weights).
#include <gtest/gtest.h>

#include <cmath>

#include "nn_testing.h"

namespace mini::nn {
namespace {

using testing::leaf;
using testing::one_output;
using testing::to_doubles;

double rtol() { return testing::rtol_for(DType::f64); }

// Reference cross entropy for x (N, C) in double, class-index targets.
double reference_cross_entropy(const std::vector<double>& x, const std::vector<int64_t>& target, int64_t classes,
                               const std::vector<double>& weight, int64_t ignore_index, double smoothing) {
  double nll_sum = 0, weight_sum = 0, smooth_sum = 0;
  const auto n = static_cast<int64_t>(target.size());
  for (int64_t i = 0; i < n; ++i) {
    if (target[i] == ignore_index) continue;
    double max = -INFINITY, sum = 0;
    for (int64_t c = 0; c < classes; ++c) max = std::max(max, x[i * classes + c]);
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(x[i * classes + c] - max);
    auto log_p = [&](int64_t c) { return x[i * classes + c] - max - std::log(sum); };
    const double w = weight.empty() ? 1.0 : weight[target[i]];
    nll_sum += -log_p(target[i]) * w;
    weight_sum += w;
    for (int64_t c = 0; c < classes; ++c) smooth_sum += -log_p(c) * (weight.empty() ? 1.0 : weight[c]);
  }
  return (1 - smoothing) * nll_sum / weight_sum + smoothing / classes * smooth_sum / weight_sum;
}

TEST(CrossEntropy, MatchesReferenceWithWeightsIgnoreIndexAndSmoothing) {
  Tensor x = testing::random_tensor({5, 4}, DType::f64, 1);
  std::vector<int64_t> target{3, -100, 0, 2, 3};
  std::vector<double> weight{0.5, 1.0, 2.0, 1.5};
  Tensor w = ops::from_vector(weight);
  for (double smoothing : {0.0, 0.2}) {
    SCOPED_TRACE(smoothing);
    Tensor loss = cross_entropy(x, ops::from_vector(target), {.weight = w, .label_smoothing = smoothing});
    EXPECT_NEAR(loss.item<double>(), reference_cross_entropy(to_doubles(x), target, 4, weight, -100, smoothing),
                rtol());
    Tensor unweighted = cross_entropy(x, ops::from_vector(target), {.label_smoothing = smoothing});
    EXPECT_NEAR(unweighted.item<double>(), reference_cross_entropy(to_doubles(x), target, 4, {}, -100, smoothing),
                rtol());
  }
}

TEST(CrossEntropy, ReductionsNoneAndSum) {
  Tensor x = testing::random_tensor({3, 4}, DType::f64, 2);
  Tensor target = ops::from_vector<int64_t>({1, 0, 3});
  Tensor none = cross_entropy(x, target, {.reduction = Reduction::none});
  ASSERT_EQ(none.sizes(), (Shape{3}));
  const std::vector<double> values = to_doubles(none);
  EXPECT_NEAR(cross_entropy(x, target, {.reduction = Reduction::sum}).item<double>(), values[0] + values[1] + values[2],
              rtol());
  EXPECT_NEAR(values[1], reference_cross_entropy(to_doubles(x), {1, 0, 3}, 4, {}, -100, 0) * 3 - values[0] - values[2],
              1e-9);
}

TEST(CrossEntropy, ProbabilityTargetsEqualIndexTargetsWhenOneHot) {
  Tensor x = testing::random_tensor({2, 3, 2}, DType::f64, 3);  // (N, C, d1)
  Tensor index = ops::from_vector<int64_t>({2, 0, 1, 1}, {2, 2});
  Tensor probs = ops::to_dtype(ops::permute(ops::one_hot(index, 3), {0, 2, 1}), DType::f64);
  EXPECT_NEAR(cross_entropy(x, probs).item<double>(), cross_entropy(x, index).item<double>(), rtol());
  EXPECT_NEAR(cross_entropy(x, probs, {.label_smoothing = 0.3}).item<double>(),
              cross_entropy(x, index, {.label_smoothing = 0.3}).item<double>(), 1e-9);
}

TEST(CrossEntropy, UnbatchedInputAndBadTargets) {
  Tensor x = ops::from_vector<double>({1.0, 2.0, 3.0});
  const double expected = -(3.0 - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)));
  EXPECT_NEAR(cross_entropy(x, ops::scalar_tensor(int64_t{2})).item<double>(), expected, rtol());
  Tensor batch = testing::random_tensor({2, 3}, DType::f64, 4);
  EXPECT_THROW(cross_entropy(batch, ops::from_vector<int64_t>({0, 3})), ValueError);
  EXPECT_THROW(cross_entropy(batch, ops::from_vector<int64_t>({0, 1, 2})), ValueError);
}

TEST(CrossEntropy, Gradcheck) {
  Tensor target = ops::from_vector<int64_t>({3, -100, 0, 2});
  Tensor w = ops::from_vector<double>({0.5, 1.0, 2.0, 1.5});
  for (double smoothing : {0.0, 0.25}) {
    SCOPED_TRACE(smoothing);
    EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) {
                       return cross_entropy(in[0], target, {.weight = w, .label_smoothing = smoothing});
                     }),
                     {leaf({4, 4}, 10)});
    EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) {
                       return cross_entropy(in[0], target,
                                            {.reduction = Reduction::none, .label_smoothing = smoothing});
                     }),
                     {leaf({4, 4}, 11)});
  }
  Tensor probs = ops::softmax(testing::random_tensor({3, 4}, DType::f64, 12), 1);
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) {
                     return cross_entropy(in[0], in[1], {.weight = w, .label_smoothing = 0.1});
                   }),
                   {leaf({3, 4}, 13), probs.requires_grad_()});
}

TEST(NllLoss, PicksWeightedLogProbabilities) {
  Tensor logp = ops::from_vector<double>({-1.0, -2.0, -3.0, -0.5, -0.25, -4.0}, {2, 3});
  Tensor target = ops::from_vector<int64_t>({2, 0});
  Tensor w = ops::from_vector<double>({2.0, 1.0, 3.0});
  EXPECT_NEAR(nll_loss(logp, target, {.weight = w}).item<double>(), (3.0 * 3 + 0.5 * 2) / 5, rtol());
  EXPECT_NEAR(nll_loss(logp, target, {.reduction = Reduction::sum}).item<double>(), 3.5, rtol());
  EXPECT_NEAR(nll_loss(logp, target, {.ignore_index = 0}).item<double>(), 3.0, rtol());
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return nll_loss(in[0], target, {.weight = w}); }),
                   {leaf({2, 3}, 14)});
}

TEST(ElementwiseLosses, ValuesMatchTheirFormulas) {
  Tensor x = ops::from_vector<double>({0.0, 1.0, -2.0, 0.25});
  Tensor y = ops::from_vector<double>({0.5, -1.0, -2.5, 0.25});
  // d = -0.5, 2, 0.5, 0
  EXPECT_NEAR(mse_loss(x, y).item<double>(), (0.25 + 4 + 0.25) / 4, rtol());
  EXPECT_NEAR(l1_loss(x, y, Reduction::sum).item<double>(), 3.0, rtol());
  // beta 1: 0.125, 1.5, 0.125, 0
  EXPECT_NEAR(smooth_l1_loss(x, y, Reduction::sum).item<double>(), 1.75, rtol());
  // beta 0.25: |d| >= beta except the last: 0.375, 1.875, 0.375, 0
  EXPECT_NEAR(smooth_l1_loss(x, y, Reduction::sum, 0.25).item<double>(), 2.625, rtol());
  EXPECT_NEAR(smooth_l1_loss(x, y, Reduction::sum, 0.0).item<double>(), 3.0, rtol());
  EXPECT_EQ(mse_loss(x, y, Reduction::none).sizes(), (Shape{4}));
  EXPECT_THROW(mse_loss(x, ops::zeros({3}, {.dtype = DType::f64})), ValueError);
}

TEST(ElementwiseLosses, Gradcheck) {
  Tensor y = testing::random_tensor({3, 4}, DType::f64, 20);
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1]); }),
                   {leaf({3, 4}, 21), leaf({3, 4}, 22)});
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return l1_loss(in[0], y, Reduction::sum); }),
                   {leaf({3, 4}, 23)});
  EXPECT_GRADCHECK(
      one_output([&](const std::vector<Tensor>& in) { return smooth_l1_loss(in[0], y, Reduction::none, 0.7); }),
      {leaf({3, 4}, 24)});
}

TEST(BceWithLogits, MatchesTheNaiveFormulaAndStaysFiniteForLargeLogits) {
  Tensor x = ops::from_vector<double>({-1.5, 0.0, 2.0, 3.0});
  Tensor y = ops::from_vector<double>({0.0, 1.0, 1.0, 0.25});
  Tensor pos_weight = ops::from_vector<double>({2.0});
  const std::vector<double> xs = to_doubles(x), ys = to_doubles(y);
  double expected = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double s = 1 / (1 + std::exp(-xs[i]));
    expected += -(2.0 * ys[i] * std::log(s) + (1 - ys[i]) * std::log(1 - s));
  }
  EXPECT_NEAR(binary_cross_entropy_with_logits(x, y, {.pos_weight = pos_weight}).item<double>(), expected / 4, 1e-9);
  Tensor big = ops::from_vector<float>({-200.0f, 200.0f});
  Tensor loss =
      binary_cross_entropy_with_logits(big, ops::from_vector<float>({1.0f, 0.0f}), {.reduction = Reduction::none});
  EXPECT_NEAR(to_doubles(loss)[0], 200.0, 1e-3);
  EXPECT_NEAR(to_doubles(loss)[1], 200.0, 1e-3);
  Tensor w = ops::from_vector<double>({0.5, 1.0, 2.0});
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) {
                     return binary_cross_entropy_with_logits(in[0], in[1], {.weight = w, .pos_weight = w});
                   }),
                   {leaf({2, 3}, 30), leaf({2, 3}, 31, 0.0, 1.0)});
}

TEST(KlDiv, MatchesDefinitionWithZeroTargetsAndLogTargets) {
  Tensor logq = ops::log_softmax(testing::random_tensor({2, 3}, DType::f64, 40), 1);
  Tensor p = ops::from_vector<double>({0.0, 0.25, 0.75, 0.5, 0.5, 0.0}, {2, 3});
  const std::vector<double> lq = to_doubles(logq), pv = to_doubles(p);
  double expected = 0;
  for (size_t i = 0; i < pv.size(); ++i) expected += pv[i] > 0 ? pv[i] * (std::log(pv[i]) - lq[i]) : 0.0;
  EXPECT_NEAR(kl_div(logq, p, KlReduction::sum).item<double>(), expected, 1e-9);
  EXPECT_NEAR(kl_div(logq, p, KlReduction::batch_mean).item<double>(), expected / 2, 1e-9);
  EXPECT_NEAR(kl_div(logq, p).item<double>(), expected / 6, 1e-9);
  Tensor logp = ops::log(ops::from_vector<double>({0.2, 0.3, 0.5}));
  Tensor logq1 = ops::log(ops::from_vector<double>({0.1, 0.6, 0.3}));
  EXPECT_NEAR(kl_div(logq1, logp, KlReduction::sum, /*log_target=*/true).item<double>(),
              kl_div(logq1, ops::exp(logp), KlReduction::sum).item<double>(), 1e-12);
  EXPECT_GRADCHECK(
      one_output([&](const std::vector<Tensor>& in) { return kl_div(in[0], in[1], KlReduction::batch_mean); }),
      {leaf({2, 3}, 41), leaf({2, 3}, 42, 0.1, 1.0)});
  EXPECT_GRADCHECK(
      one_output([&](const std::vector<Tensor>& in) { return kl_div(in[0], in[1], KlReduction::sum, true); }),
      {leaf({2, 3}, 43), leaf({2, 3}, 44)});
}

TEST(LossModules, ForwardToTheFunctions) {
  Tensor x = testing::random_tensor({3, 4}, DType::f64, 50);
  Tensor target = ops::from_vector<int64_t>({0, 3, 1});
  CrossEntropyLoss ce({.label_smoothing = 0.1});
  EXPECT_EQ(ce(x, target).item<double>(), cross_entropy(x, target, {.label_smoothing = 0.1}).item<double>());
  MSELoss mse(Reduction::sum);
  EXPECT_EQ(mse(x, x * 2.0).item<double>(), mse_loss(x, x * 2.0, Reduction::sum).item<double>());
  CrossEntropyLoss weighted({.weight = ops::ones({4})});
  EXPECT_EQ(weighted.named_buffers().size(), 1u);
}

}  // namespace
}  // namespace mini::nn
