// nn::init fills beyond the uniform/normal family (those are in layers_test):
// orthogonal_ (orthonormality, PyTorch's sign-corrected Q, determinism),
// trunc_normal_ (bounds and moments), eye_ and dirac_.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "nn_testing.h"

namespace mini::nn {
namespace {

using testing::expect_tensors_near;
using ::testing::HasSubstr;
using testing::to_doubles;

constexpr double kF64Tol = 1e-12;  // sums of a few O(1) products in float64

// (rows, numel / rows): the matrix orthogonal_ works on.
Tensor as_matrix(const Tensor& tensor) {
  return ops::reshape(tensor, {tensor.size(0), tensor.numel() / tensor.size(0)});
}

// W W^T (rows <= cols) or W^T W (rows > cols): the small Gram matrix, gain^2 I for an orthogonal_ fill.
Tensor small_gram(const Tensor& tensor) {
  const Tensor w = as_matrix(tensor);
  return w.size(0) <= w.size(1) ? ops::matmul(w, ops::transpose(w, 0, 1)) : ops::matmul(ops::transpose(w, 0, 1), w);
}

TEST(InitOrthogonal, RowsOrColumnsAreOrthonormalTimesTheGain) {
  for (const Shape& shape : {Shape{3, 5}, Shape{5, 3}, Shape{4, 2, 3}, Shape{4, 4}, Shape{1, 6}}) {
    const Tensor w = ops::empty(shape, {.dtype = DType::f64});
    Generator generator(1);
    init::orthogonal_(w, 1.5, &generator);
    const Tensor gram = small_gram(w);
    const int64_t n = gram.size(0);
    expect_tensors_near(gram, ops::mul(ops::eye(n, n, {.dtype = DType::f64}), 1.5 * 1.5), kF64Tol, kF64Tol,
                        fmt::format("shape ({})", fmt::join(shape, ", ")));
  }
}

// Q is unique once R's diagonal is positive, so orthogonal_ equals PyTorch's
// recipe exactly for the same normal matrix: R = Q^T A must be upper
// triangular with a positive diagonal.
TEST(InitOrthogonal, IsTheSignCorrectedQOfTheDrawnNormalMatrix) {
  for (const Shape& shape : {Shape{5, 3}, Shape{3, 5}, Shape{2, 3, 2}}) {
    const Tensor w = ops::empty(shape, {.dtype = DType::f64});
    Generator for_fill(7), for_reference(7);
    init::orthogonal_(w, 1.0, &for_fill);
    const int64_t rows = shape[0], cols = w.numel() / rows;
    const Tensor a = ops::empty({rows, cols}, {.dtype = DType::f64});
    ops::normal_(a, 0.0, 1.0, &for_reference);
    // Tall orientation: q (m, n) with n <= m, a_tall (m, n) = q r.
    const bool transposed = rows < cols;
    const Tensor q = transposed ? ops::transpose(as_matrix(w), 0, 1) : as_matrix(w);
    const Tensor a_tall = transposed ? ops::transpose(a, 0, 1) : a;
    const Tensor r = ops::matmul(ops::transpose(q, 0, 1), a_tall);
    const std::vector<double> values = to_doubles(r);
    const int64_t n = r.size(0);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_GT(values[static_cast<size_t>(i * n + i)], 0) << "diag " << i;
      for (int64_t j = 0; j < i; ++j) EXPECT_NEAR(values[static_cast<size_t>(i * n + j)], 0, kF64Tol) << i << "," << j;
    }
    // And q r reproduces the drawn matrix.
    expect_tensors_near(ops::matmul(q, r), a_tall, kF64Tol, kF64Tol, "q r");
  }
}

TEST(InitOrthogonal, SameGeneratorStateGivesTheSameMatrix) {
  const Tensor a = ops::empty({4, 6}), b = ops::empty({4, 6}), c = ops::empty({4, 6});
  Generator first(3), second(3), other(4);
  init::orthogonal_(a, 1.0, &first);
  init::orthogonal_(b, 1.0, &second);
  init::orthogonal_(c, 1.0, &other);
  EXPECT_TRUE(ops::equal(a, b));
  EXPECT_FALSE(ops::allclose(a, c));
  // The default generator, through manual_seed.
  manual_seed(11);
  init::orthogonal_(a);
  manual_seed(11);
  init::orthogonal_(b);
  EXPECT_TRUE(ops::equal(a, b));
}

TEST(InitOrthogonal, Float32WeightIsOrthonormalToFloat32Precision) {
  const Tensor w = ops::empty({6, 4});
  Generator generator(5);
  init::orthogonal_(w, 1.0, &generator);
  EXPECT_EQ(w.dtype(), DType::f32);
  expect_tensors_near(small_gram(w), ops::eye(4), testing::rtol_for(DType::f32), testing::atol_for(DType::f32));
}

TEST(InitOrthogonal, FillsAParameterInPlaceWithoutRecording) {
  Linear layer(5, 3);
  const Tensor weight = layer.weight();
  init::orthogonal_(layer.weight());
  EXPECT_TRUE(weight.requires_grad());
  EXPECT_FALSE(weight.grad_fn());
  expect_tensors_near(small_gram(weight), ops::eye(3), testing::rtol_for(DType::f32), testing::atol_for(DType::f32));
}

TEST(InitOrthogonal, RejectsFewerThanTwoDimsNamingTheShape) {
  EXPECT_THAT([] { init::orthogonal_(ops::empty({5})); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("orthogonal_: only tensors with 2 or more dims")));
  EXPECT_THAT([] { init::orthogonal_(ops::empty({5})); }, ::testing::ThrowsMessage<ValueError>(HasSubstr("(5)")));
}

TEST(InitOrthogonal, EmptyTensorIsLeftAlone) {
  const Tensor w = ops::empty({0, 3});
  EXPECT_NO_THROW(init::orthogonal_(w));
  EXPECT_EQ(w.numel(), 0);
}

// ---- trunc_normal_ ----

// Moments of N(mean, std^2) truncated to [a, b].
std::pair<double, double> truncated_moments(double mean, double std, double a, double b) {
  auto pdf = [](double x) { return std::exp(-x * x / 2) / std::sqrt(2 * std::numbers::pi); };
  auto cdf = [](double x) { return (1 + std::erf(x / std::numbers::sqrt2)) / 2; };
  const double alpha = (a - mean) / std, beta = (b - mean) / std, z = cdf(beta) - cdf(alpha);
  const double shift = (pdf(alpha) - pdf(beta)) / z;
  const double variance = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - shift * shift;
  return {mean + std * shift, std * std::sqrt(variance)};
}

void expect_truncated_normal(double mean, double std, double a, double b) {
  const Tensor w = ops::empty({40000}, {.dtype = DType::f64});
  Generator generator(21);
  init::trunc_normal_(w, mean, std, a, b, &generator);
  const std::vector<double> values = to_doubles(w);
  double sum = 0, sum2 = 0;
  for (double v : values) {
    ASSERT_GE(v, a);
    ASSERT_LE(v, b);
    sum += v;
    sum2 += v * v;
  }
  const double n = static_cast<double>(values.size()), sample_mean = sum / n;
  const double sample_std = std::sqrt(sum2 / n - sample_mean * sample_mean);
  const auto [expected_mean, expected_std] = truncated_moments(mean, std, a, b);
  // The standard error of the mean is expected_std / 200; allow about 5 of them.
  EXPECT_NEAR(sample_mean, expected_mean, 0.025 * expected_std) << mean << " " << std << " [" << a << ", " << b << "]";
  EXPECT_NEAR(sample_std, expected_std, 0.025 * expected_std) << mean << " " << std << " [" << a << ", " << b << "]";
}

TEST(InitTruncNormal, StaysInBoundsWithTheTruncatedMoments) {
  expect_truncated_normal(0, 1, -2, 2);
  expect_truncated_normal(0.5, 0.02, 0.46, 0.6);  // asymmetric, ViT-style scale
  expect_truncated_normal(0, 1, 0, 10);           // a half normal
  expect_truncated_normal(0, 1, 2.5, 4);          // a far tail: erfinv near 1
}

TEST(InitTruncNormal, IsDeterministicPerGeneratorAndRejectsBadBounds) {
  const Tensor a = ops::empty({3, 7}), b = ops::empty({3, 7});
  Generator first(2), second(2);
  init::trunc_normal_(a, 0, 0.02, -0.04, 0.04, &first);
  init::trunc_normal_(b, 0, 0.02, -0.04, 0.04, &second);
  EXPECT_TRUE(ops::equal(a, b));
  EXPECT_THAT([&] { init::trunc_normal_(a, 0, 1, 2, -2); }, ::testing::ThrowsMessage<ValueError>(HasSubstr("a < b")));
  EXPECT_THAT([&] { init::trunc_normal_(a, 0, 0); }, ::testing::ThrowsMessage<ValueError>(HasSubstr("std > 0")));
}

// ---- eye_ and dirac_ ----

TEST(InitEye, SetsTheMainDiagonalOfARectangle) {
  const Tensor w = ops::full({2, 3}, 7.0);
  init::eye_(w);
  EXPECT_EQ(to_doubles(w), (std::vector<double>{1, 0, 0, 0, 1, 0}));
  EXPECT_THAT(
      [] {
        init::eye_(ops::empty({2, 2, 2}));
      },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("eye_: only 2-D tensors are supported, got shape (2, 2, 2)")));
}

TEST(InitDirac, ConvolutionWithTheKernelPassesChannelsThrough) {
  // 4 output channels from 3 inputs: outputs 0..2 copy inputs 0..2, output 3 is zero.
  const Tensor w = ops::full({4, 3, 3, 5}, 2.0, {.dtype = DType::f64});
  init::dirac_(w);
  const Tensor x = testing::random_tensor({2, 3, 6, 7}, DType::f64, 3);
  const Tensor y = ops::conv2d(x, w, Tensor(), {.padding = {1, 2}});
  expect_tensors_near(ops::narrow(y, 1, 0, 3), x, kF64Tol, kF64Tol, "passed through");
  EXPECT_TRUE(ops::equal(ops::narrow(y, 1, 3, 1), ops::zeros({2, 1, 6, 7}, {.dtype = DType::f64})));
}

TEST(InitDirac, GroupsRepeatTheIdentityPerGroup) {
  // (out 4, in 2, k 3), groups = 2: each group of 2 outputs maps to its 2 inputs at the centre tap.
  const Tensor w = ops::empty({4, 2, 3});
  init::dirac_(w, 2);
  std::vector<double> expected(24, 0.0);
  for (const int64_t out : {0, 1, 2, 3}) expected[static_cast<size_t>((out * 2 + out % 2) * 3 + 1)] = 1;
  EXPECT_EQ(to_doubles(w), expected);
}

TEST(InitDirac, RejectsBadShapesAndGroups) {
  EXPECT_THAT(
      [] {
        init::dirac_(ops::empty({4, 4}));
      },
      ::testing::ThrowsMessage<ValueError>(
          HasSubstr("3, 4 or 5 dims (out, in, *kernel) are supported, got shape (4, 4)")));
  EXPECT_THAT(
      [] {
        init::dirac_(ops::empty({3, 2, 3}), 2);
      },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("dim 0 of shape (3, 2, 3) must be divisible by groups=2")));
}

}  // namespace
}  // namespace mini::nn
