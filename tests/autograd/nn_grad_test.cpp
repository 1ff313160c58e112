// Gradients of matmul/linear and the neural-network ops (gradcheck in
// float64), and second derivatives for matmul and softmax/log_softmax.
#include <gtest/gtest.h>

#include "autograd_testing.h"

namespace mini {
namespace {

using testing::leaf;
using testing::noncontiguous_leaf;
using testing::one_output;

Tensor weighted(const Tensor& t) {
  Tensor ramp = ops::reshape(
      ops::arange(0.5, 0.5 + static_cast<double>(t.numel()), 1.0, {.dtype = DType::f64}), t.sizes());
  return t * ramp;
}

GradcheckFunction matmul_fn() {
  return one_output([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); });
}

TEST(LinalgGrad, MatmulOfMatrices) {
  EXPECT_GRADCHECK(matmul_fn(), {leaf({3, 4}, 700), leaf({4, 2}, 701)});
  EXPECT_GRADCHECK(matmul_fn(), {noncontiguous_leaf({3, 4}, 702), noncontiguous_leaf({4, 2}, 703)});
}
TEST(LinalgGrad, MatmulWithVectors) {
  EXPECT_GRADCHECK(matmul_fn(), {leaf({4}, 704), leaf({4}, 705)});
  EXPECT_GRADCHECK(matmul_fn(), {leaf({4}, 706), leaf({4, 3}, 707)});
  EXPECT_GRADCHECK(matmul_fn(), {leaf({3, 4}, 708), leaf({4}, 709)});
  EXPECT_GRADCHECK(matmul_fn(), {leaf({2, 3, 4}, 710), leaf({4}, 711)});
}
TEST(LinalgGrad, MatmulBroadcastsBatchDims) {
  EXPECT_GRADCHECK(matmul_fn(), {leaf({2, 3, 4}, 712), leaf({4, 2}, 713)});
  EXPECT_GRADCHECK(matmul_fn(), {leaf({3, 4}, 714), leaf({2, 4, 2}, 715)});
  EXPECT_GRADCHECK(matmul_fn(), {leaf({2, 1, 3, 4}, 716), leaf({3, 4, 2}, 717)});
}
TEST(LinalgGrad, MatmulOfAMatrixWithItself) {
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return matmul(in[0], t(in[0])); }),
                   {leaf({3, 4}, 718)});
}
TEST(LinalgGrad, MatmulSecondDerivative) {
  EXPECT_GRADGRADCHECK(matmul_fn(), {leaf({2, 3}, 719), leaf({3, 2}, 720)});
  EXPECT_GRADGRADCHECK(matmul_fn(), {leaf({2, 2, 3}, 721), leaf({3}, 722)});
}
TEST(LinalgGrad, Linear) {
  auto fn = one_output([](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); });
  EXPECT_GRADCHECK(fn, {leaf({2, 3, 4}, 723), noncontiguous_leaf({5, 4}, 724), leaf({5}, 725)});
  EXPECT_GRADCHECK(fn, {leaf({4}, 726), leaf({5, 4}, 727), leaf({5}, 728)});
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return linear(in[0], in[1]); }),
                   {leaf({3, 4}, 729), leaf({2, 4}, 730)});
  EXPECT_GRADGRADCHECK(fn, {leaf({2, 4}, 731), leaf({3, 4}, 732), leaf({3}, 733)});
}

TEST(NnGrad, SoftmaxAndLogSoftmaxAlongEachDim) {
  for (int64_t dim : {0, 1, -1}) {
    SCOPED_TRACE(dim);
    Tensor x = noncontiguous_leaf({3, 4}, 740);
    EXPECT_GRADCHECK(one_output([dim](const std::vector<Tensor>& in) { return weighted(softmax(in[0], dim)); }), {x});
    EXPECT_GRADCHECK(one_output([dim](const std::vector<Tensor>& in) { return weighted(log_softmax(in[0], dim)); }),
                     {x});
  }
}
TEST(NnGrad, SoftmaxSecondDerivative) {
  Tensor x = leaf({2, 3}, 741);
  EXPECT_GRADGRADCHECK(one_output([](const std::vector<Tensor>& in) { return softmax(in[0], 1); }), {x});
  EXPECT_GRADGRADCHECK(one_output([](const std::vector<Tensor>& in) { return log_softmax(in[0], 0); }), {x});
}
TEST(NnGrad, LayerNormWithAndWithoutAffine) {
  Tensor x = noncontiguous_leaf({2, 3, 4}, 742);
  Tensor weight = leaf({4}, 743), bias = leaf({4}, 744);
  EXPECT_GRADCHECK(
      one_output([](const std::vector<Tensor>& in) { return weighted(layer_norm(in[0], {4}, in[1], in[2])); }),
      {x, weight, bias});
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return weighted(layer_norm(in[0], {3, 4})); }), {x});
}
TEST(NnGrad, LayerNormDoubleBackwardIsAClearError) {
  Tensor x = leaf({2, 4}, 745);
  Tensor y = (layer_norm(x, {4}) * layer_norm(x, {4}).detach()).sum();
  Tensor dx = grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  EXPECT_THROW(dx.sum().backward(), ValueError);
}
TEST(NnGrad, Conv2dWithStridePaddingDilationAndGroups) {
  auto fn = [](ops::Conv2dOptions options) {
    return one_output([options](const std::vector<Tensor>& in) { return weighted(mini::conv2d(in[0], in[1], in[2], options)); });
  };
  EXPECT_GRADCHECK(fn({}), {leaf({2, 2, 4, 5}, 750), leaf({3, 2, 2, 3}, 751), leaf({3}, 752)});
  EXPECT_GRADCHECK(fn({.stride = {2, 1}, .padding = {1, 2}, .dilation = {1, 2}}),
                   {leaf({1, 2, 5, 5}, 753), leaf({2, 2, 3, 2}, 754), leaf({2}, 755)});
  EXPECT_GRADCHECK(fn({.groups = 2}), {leaf({1, 4, 3, 3}, 756), leaf({2, 2, 2, 2}, 757), leaf({2}, 758)});
}
TEST(NnGrad, Conv1d) {
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) {
                     return weighted(conv1d(in[0], in[1], in[2], /*stride=*/2, /*padding=*/1));
                   }),
                   {leaf({2, 3, 7}, 760), leaf({4, 3, 3}, 761), leaf({4}, 762)});
}
TEST(NnGrad, MaxPool2d) {
  // Distinct values keep the argmax away from ties.
  Tensor x = ops::reshape(ops::randperm(2 * 2 * 5 * 5), {2, 2, 5, 5});
  x = ops::mul(ops::to_dtype(x, DType::f64), 0.1).requires_grad_();
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) {
                     return weighted(max_pool2d(in[0], {.kernel = {2, 2}, .stride = {2, 1}, .padding = {1, 0}}));
                   }),
                   {x});
  EXPECT_GRADGRADCHECK(
      one_output([](const std::vector<Tensor>& in) { return max_pool2d(in[0], {.kernel = {3, 3}, .stride = {2, 2}}); }),
      {x});
}
TEST(NnGrad, AvgPool2d) {
  Tensor x = leaf({1, 2, 5, 4}, 763);
  for (bool include_pad : {true, false}) {
    const ops::Pool2dOptions options{.kernel = {3, 2}, .stride = {2, 1}, .padding = {1, 1}, .count_include_pad = include_pad};
    EXPECT_GRADCHECK(one_output([options](const std::vector<Tensor>& in) { return weighted(mini::avg_pool2d(in[0], options)); }),
                     {x});
    EXPECT_GRADGRADCHECK(one_output([options](const std::vector<Tensor>& in) { return mini::avg_pool2d(in[0], options); }),
                         {x});
  }
}
TEST(NnGrad, AdaptiveAvgPool2dWithUnevenWindows) {
  Tensor x = noncontiguous_leaf({2, 2, 5, 7}, 764);
  for (auto size : {std::pair<int64_t, int64_t>{3, 3}, {1, 1}, {5, 2}}) {
    EXPECT_GRADCHECK(
        one_output([size](const std::vector<Tensor>& in) { return weighted(adaptive_avg_pool2d(in[0], size)); }), {x});
  }
}
TEST(NnGrad, DropoutScalesKeptElementsAndZeroesTheRest) {
  manual_seed(7);
  Tensor x = ops::ones({1000}, {.dtype = DType::f64}).requires_grad_();
  Tensor y = dropout(x, 0.25);
  y.sum().backward();
  // The gradient is the mask: 0 or 1 / (1 - p), the same as y for x = 1.
  testing::expect_close(x.grad(), y.detach());
  const double kept = ops::sum(ops::gt(y.detach(), 0)).item<double>();
  EXPECT_NEAR(kept / 1000.0, 0.75, 0.05);
  EXPECT_TRUE(dropout(x, 0.5, /*training=*/false).is_same(x));
}

}  // namespace
}  // namespace mini
