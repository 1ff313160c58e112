// layer_norm forward and backward (tensor/ops/nn.h) against double
// references, and the reference backward against finite differences in f64.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "support/tensor_testing.h"
#include "tensor/ops/ops.h"

namespace mini {
namespace {

using testing::atol_for;
using testing::expect_values_near;
using testing::make_noncontiguous;
using testing::random_tensor;
using testing::rtol_for;
using testing::to_doubles;

constexpr double kEps = 1e-5;
const std::vector<DType> kFloatDTypes = {DType::f32, DType::f64, DType::f16, DType::bf16};

struct Case {
  Shape sizes;
  Shape normalized_shape;
};
// Short and long rows (past the 64-lane blocks), several trailing dims, a
// single column (variance 0), many rows (per-thread partial sums), empty.
const std::vector<Case> kCases = {{{4, 10}, {10}},       {{2, 3, 8}, {3, 8}}, {{5, 1}, {1}},   {{3, 1000}, {1000}},
                                  {{7, 2049}, {2049}},   {{3000, 16}, {16}},  {{0, 6}, {6}},   {{6}, {6}}};

struct Reference {
  std::vector<double> out, mean, rstd;
};

Reference reference_forward(const std::vector<double>& x, const std::vector<double>* weight,
                            const std::vector<double>* bias, int64_t rows, int64_t cols) {
  Reference r{std::vector<double>(x.size()), std::vector<double>(rows), std::vector<double>(rows)};
  for (int64_t i = 0; i < rows; ++i) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < cols; ++j) mean += x[i * cols + j] / cols;
    for (int64_t j = 0; j < cols; ++j) var += (x[i * cols + j] - mean) * (x[i * cols + j] - mean) / cols;
    const double rstd = 1 / std::sqrt(var + kEps);
    r.mean[i] = mean;
    r.rstd[i] = rstd;
    for (int64_t j = 0; j < cols; ++j) {
      r.out[i * cols + j] = (x[i * cols + j] - mean) * rstd * (weight ? (*weight)[j] : 1.0) + (bias ? (*bias)[j] : 0.0);
    }
  }
  return r;
}

struct ReferenceGrads {
  std::vector<double> grad_x, grad_weight, grad_bias;
};

// grad_x = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = grad_out * weight.
ReferenceGrads reference_backward(const std::vector<double>& grad_out, const std::vector<double>& x,
                                  const std::vector<double>* weight, int64_t rows, int64_t cols) {
  const Reference forward = reference_forward(x, nullptr, nullptr, rows, cols);  // out = xhat
  ReferenceGrads grads{std::vector<double>(x.size()), std::vector<double>(cols, 0), std::vector<double>(cols, 0)};
  for (int64_t i = 0; i < rows; ++i) {
    double mean_g = 0, mean_g_xhat = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const double g = grad_out[i * cols + j] * (weight ? (*weight)[j] : 1.0);
      mean_g += g / cols;
      mean_g_xhat += g * forward.out[i * cols + j] / cols;
    }
    for (int64_t j = 0; j < cols; ++j) {
      const double g = grad_out[i * cols + j] * (weight ? (*weight)[j] : 1.0);
      const double xhat = forward.out[i * cols + j];
      grads.grad_x[i * cols + j] = forward.rstd[i] * (g - mean_g - xhat * mean_g_xhat);
      grads.grad_weight[j] += grad_out[i * cols + j] * xhat;
      grads.grad_bias[j] += grad_out[i * cols + j];
    }
  }
  return grads;
}

int64_t cols_of(const Case& c) { return numel_of(c.normalized_shape); }
int64_t rows_of(const Case& c) { return numel_of(c.sizes) / std::max<int64_t>(cols_of(c), 1); }

std::string describe(const Case& c, DType dtype, bool affine, bool contiguous) {
  return fmt::format("{} over {} {} {} {}", shape_str(c.sizes), shape_str(c.normalized_shape), dtype_name(dtype),
                     affine ? "affine" : "plain", contiguous ? "contiguous" : "non-contiguous");
}

TEST(LayerNorm, MatchesReferenceForEveryDtypeShapeAndLayout) {
  uint64_t seed = 1;
  for (const Case& c : kCases) {
    for (DType dtype : kFloatDTypes) {
      const Tensor x = random_tensor(c.sizes, dtype, seed++, -3, 5);
      const Tensor weight = random_tensor(c.normalized_shape, dtype, seed++);
      const Tensor bias = random_tensor(c.normalized_shape, dtype, seed++);
      const std::vector<double> w = to_doubles(weight), b = to_doubles(bias);
      for (bool affine : {false, true}) {
        for (bool contiguous : {true, false}) {
          const std::string what = describe(c, dtype, affine, contiguous);
          const Tensor input = contiguous ? x : make_noncontiguous(x);
          const auto result = ops::layer_norm(input, c.normalized_shape, affine ? weight : Tensor(),
                                              affine ? bias : Tensor(), kEps);
          const Reference expected =
              reference_forward(to_doubles(x), affine ? &w : nullptr, affine ? &b : nullptr, rows_of(c), cols_of(c));
          EXPECT_EQ(result.out.sizes(), x.sizes()) << what;
          EXPECT_EQ(result.out.dtype(), dtype) << what;
          EXPECT_EQ(result.mean.sizes(), Shape{rows_of(c)}) << what;
          // Outputs are O(1) (normalized), so atol_for applies; the statistics are computed in float or double.
          expect_values_near(result.out, expected.out, rtol_for(dtype), atol_for(dtype), what + " out");
          const DType stats = dtype == DType::f64 ? DType::f64 : DType::f32;
          expect_values_near(result.mean, expected.mean, rtol_for(stats), atol_for(stats), what + " mean");
          expect_values_near(result.rstd, expected.rstd, rtol_for(stats), atol_for(stats), what + " rstd");
        }
      }
    }
  }
}

TEST(LayerNorm, IsStableForALargeMean) {
  // Values 1e4 +- 1: E[x^2] - E[x]^2 in float (ulp(1e8) = 8) would lose the variance (~0.33) entirely.
  const Tensor x = ops::add(random_tensor({4, 512}, DType::f32, 5, -1, 1), 1e4);
  const auto result = ops::layer_norm(x, {512}, Tensor(), Tensor(), kEps);
  const Reference expected = reference_forward(to_doubles(x), nullptr, nullptr, 4, 512);
  expect_values_near(result.rstd, expected.rstd, 1e-4, 0, "rstd");
  // The mean is a float: its rounding (ulp(1e4) ~ 1e-3, over std ~0.58) bounds the output's error.
  expect_values_near(result.out, expected.out, 0, 2e-3, "out");
}

TEST(LayerNormBackward, MatchesReferenceForEveryDtypeShapeAndLayout) {
  uint64_t seed = 100;
  for (const Case& c : kCases) {
    for (DType dtype : kFloatDTypes) {
      const Tensor x = random_tensor(c.sizes, dtype, seed++, -3, 5);
      const Tensor grad_out = random_tensor(c.sizes, dtype, seed++);
      const Tensor weight = random_tensor(c.normalized_shape, dtype, seed++);
      const std::vector<double> w = to_doubles(weight);
      for (bool affine : {false, true}) {
        const auto forward = ops::layer_norm(x, c.normalized_shape, affine ? weight : Tensor(), Tensor(), kEps);
        const ReferenceGrads expected =
            reference_backward(to_doubles(grad_out), to_doubles(x), affine ? &w : nullptr, rows_of(c), cols_of(c));
        for (bool contiguous : {true, false}) {
          const std::string what = describe(c, dtype, affine, contiguous);
          const Tensor go = contiguous ? grad_out : make_noncontiguous(grad_out);
          const Tensor input = contiguous ? x : make_noncontiguous(x);
          const auto grads = ops::layer_norm_backward(go, input, c.normalized_shape, forward.mean, forward.rstd,
                                                      affine ? weight : Tensor(), true);
          EXPECT_EQ(grads.grad_x.sizes(), x.sizes()) << what;
          EXPECT_EQ(grads.grad_weight.sizes(), c.normalized_shape) << what;
          expect_values_near(grads.grad_x, expected.grad_x, rtol_for(dtype), atol_for(dtype) * 10,
                             what + " grad_x (cancels ~10x in g - mean(g) - xhat * mean(g xhat))");
          // Column sums over `rows` rows: the error bound grows with sqrt(rows) terms of size ~1.
          const double sum_atol = atol_for(dtype) * std::sqrt(static_cast<double>(rows_of(c))) * 10;
          expect_values_near(grads.grad_weight, expected.grad_weight, rtol_for(dtype), sum_atol, what + " grad_weight");
          expect_values_near(grads.grad_bias, expected.grad_bias, rtol_for(dtype), sum_atol, what + " grad_bias");
        }
      }
    }
  }
}

TEST(LayerNormBackward, SkipsWeightGradsWhenNotNeeded) {
  const Tensor x = random_tensor({3, 4}, DType::f32, 1);
  const auto forward = ops::layer_norm(x, {4}, Tensor(), Tensor(), kEps);
  const auto grads = ops::layer_norm_backward(ops::ones({3, 4}), x, {4}, forward.mean, forward.rstd, Tensor(), false);
  EXPECT_TRUE(grads.grad_x.defined());
  EXPECT_FALSE(grads.grad_weight.defined());
  EXPECT_FALSE(grads.grad_bias.defined());
}

TEST(LayerNormBackward, ReferenceMatchesFiniteDifferencesInDouble) {
  // L = sum(grad_out * layer_norm(x)): its gradients by central differences.
  const int64_t rows = 2, cols = 5;
  const Tensor x = random_tensor({rows, cols}, DType::f64, 3);
  const Tensor weight = random_tensor({cols}, DType::f64, 4);
  const Tensor bias = random_tensor({cols}, DType::f64, 5);
  const Tensor grad_out = random_tensor({rows, cols}, DType::f64, 6);
  const std::vector<double> g = to_doubles(grad_out);
  auto loss = [&](const std::vector<double>& xs, const std::vector<double>& ws, const std::vector<double>& bs) {
    const auto out = to_doubles(ops::layer_norm(ops::from_vector(xs, {rows, cols}), {cols},
                                                ops::from_vector(ws, {cols}), ops::from_vector(bs, {cols}), kEps)
                                    .out);
    double total = 0;
    for (size_t i = 0; i < out.size(); ++i) total += g[i] * out[i];
    return total;
  };
  const auto forward = ops::layer_norm(x, {cols}, weight, bias, kEps);
  const auto grads = ops::layer_norm_backward(grad_out, x, {cols}, forward.mean, forward.rstd, weight, true);
  const std::vector<double> xs = to_doubles(x), ws = to_doubles(weight), bs = to_doubles(bias);
  constexpr double kStep = 1e-6;  // central differences: error ~ step^2 + eps / step ~ 1e-10
  auto numeric = [&](int which, size_t i) {
    std::vector<double> plus[3] = {xs, ws, bs}, minus[3] = {xs, ws, bs};
    plus[which][i] += kStep;
    minus[which][i] -= kStep;
    return (loss(plus[0], plus[1], plus[2]) - loss(minus[0], minus[1], minus[2])) / (2 * kStep);
  };
  const std::vector<double> gx = to_doubles(grads.grad_x), gw = to_doubles(grads.grad_weight),
                            gb = to_doubles(grads.grad_bias);
  for (size_t i = 0; i < xs.size(); ++i) EXPECT_NEAR(gx[i], numeric(0, i), 1e-7) << "grad_x " << i;
  for (size_t i = 0; i < ws.size(); ++i) EXPECT_NEAR(gw[i], numeric(1, i), 1e-7) << "grad_weight " << i;
  for (size_t i = 0; i < bs.size(); ++i) EXPECT_NEAR(gb[i], numeric(2, i), 1e-7) << "grad_bias " << i;
}

TEST(LayerNormErrors, NormalizedShapeMismatchNamesShapes) {
  try {
    ops::layer_norm(ops::zeros({2, 3}), {4}, Tensor(), Tensor());
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("layer_norm"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("(4,)"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("(2, 3)"), std::string::npos) << error.what();
  }
  EXPECT_THROW(ops::layer_norm(ops::zeros({3}), {2, 3}, Tensor(), Tensor()), ValueError);
}

TEST(LayerNormErrors, WeightShapeMismatchNamesShapes) {
  try {
    ops::layer_norm(ops::zeros({2, 3}), {3}, ops::ones({2}), Tensor());
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("weight"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("(2,)"), std::string::npos) << error.what();
  }
}

TEST(LayerNormErrors, IntegerInputThrows) {
  EXPECT_THROW(ops::layer_norm(ops::arange(6), {6}, Tensor(), Tensor()), ValueError);
}

}  // namespace
}  // namespace mini
