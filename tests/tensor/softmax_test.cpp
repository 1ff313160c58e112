// softmax / log_softmax and their backward (tensor/ops/nn.h) against double
// references: the forward directly, the backward through the explicit
// Jacobian, and that Jacobian against finite differences in f64.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
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

constexpr double kInf = std::numeric_limits<double>::infinity();

const std::vector<DType> kFloatDTypes = {DType::f32, DType::f64, DType::f16, DType::bf16};

struct Case {
  Shape sizes;
  int64_t dim;
};

// Rows (last dim: short, vector-length, long), columns (inner > 1, one and
// several column tiles), size-1, 0-d and empty shapes.
const std::vector<Case> kCases = {{{4, 7}, -1},      {{3, 5, 6}, 1},   {{3, 5, 6}, 0},  {{2, 1000}, 1},
                                  {{3, 50, 300}, 1}, {{1, 1}, 0},      {{5}, 0},        {{}, 0},
                                  {{0, 4}, 1},       {{4, 0}, 1},      {{9, 3, 1}, -2}, {{2, 5000}, -1}};

// For each slice along `dim`: the element offsets (row-major) of that slice.
std::vector<std::vector<int64_t>> slices(const Shape& sizes, int64_t dim) {
  if (sizes.empty()) return {{0}};
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); ++d) {
    if (d < dim) outer *= sizes[d];
    if (d > dim) inner *= sizes[d];
  }
  std::vector<std::vector<int64_t>> result;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      std::vector<int64_t> offsets;
      for (int64_t k = 0; k < sizes[dim]; ++k) offsets.push_back((o * sizes[dim] + k) * inner + i);
      result.push_back(offsets);
    }
  }
  return result;
}

int64_t wrap(int64_t dim, int64_t rank) { return dim < 0 ? dim + std::max<int64_t>(rank, 1) : dim; }

std::vector<double> reference_softmax(const std::vector<double>& x, const Shape& sizes, int64_t dim, bool log) {
  std::vector<double> y(x.size());
  for (const auto& slice : slices(sizes, wrap(dim, static_cast<int64_t>(sizes.size())))) {
    double max = -kInf, sum = 0;
    for (int64_t k : slice) max = std::max(max, x[k]);
    for (int64_t k : slice) sum += std::exp(x[k] - max);
    for (int64_t k : slice) y[k] = log ? x[k] - max - std::log(sum) : std::exp(x[k] - max) / sum;
  }
  return y;
}

// grad_input_i = sum_j grad_output_j * d output_j / d x_i, with the Jacobian
// written out from the softmax p: softmax: p_j (delta_ij - p_i); log-softmax: delta_ij - p_i.
std::vector<double> reference_backward(const std::vector<double>& grad_output, const std::vector<double>& output,
                                       const Shape& sizes, int64_t dim, bool log) {
  std::vector<double> grad_input(output.size(), 0);
  for (const auto& slice : slices(sizes, wrap(dim, static_cast<int64_t>(sizes.size())))) {
    for (int64_t i : slice) {
      const double p_i = log ? std::exp(output[i]) : output[i];
      for (int64_t j : slice) {
        const double p_j = log ? std::exp(output[j]) : output[j];
        const double delta = i == j ? 1.0 : 0.0;
        const double jacobian = log ? delta - p_i : p_j * (delta - p_i);
        grad_input[i] += grad_output[j] * jacobian;
      }
    }
  }
  return grad_input;
}

std::string describe(const Case& c, DType dtype, bool contiguous) {
  return fmt::format("{} dim {} {} {}", shape_str(c.sizes), c.dim, dtype_name(dtype),
                     contiguous ? "contiguous" : "non-contiguous");
}

TEST(Softmax, MatchesReferenceForEveryDtypeShapeAndLayout) {
  uint64_t seed = 1;
  for (const Case& c : kCases) {
    for (DType dtype : kFloatDTypes) {
      const Tensor x = random_tensor(c.sizes, dtype, seed++, -5, 5);
      for (bool contiguous : {true, false}) {
        const Tensor input = contiguous ? x : make_noncontiguous(x);
        const std::string what = describe(c, dtype, contiguous);
        for (bool log : {false, true}) {
          const Tensor y = log ? ops::log_softmax(input, c.dim) : ops::softmax(input, c.dim);
          EXPECT_EQ(y.sizes(), x.sizes()) << what;
          EXPECT_EQ(y.dtype(), dtype) << what;
          expect_values_near(y, reference_softmax(to_doubles(x), x.sizes(), c.dim, log), rtol_for(dtype),
                             atol_for(dtype), what + (log ? " log" : ""));
        }
      }
    }
  }
}

TEST(Softmax, RowsSumToOne) {
  const Tensor x = random_tensor({64, 777}, DType::f32, 2, -20, 20);
  const Tensor sums = ops::sum(ops::softmax(x, 1), {1});
  expect_values_near(sums, std::vector<double>(64, 1.0), rtol_for(DType::f32) * 10, 0,
                     "row sums (777 rounded terms)");
}

TEST(Softmax, LargeInputsDoNotOverflow) {
  const Tensor x = ops::from_vector<float>({1000, 1000, 1000, 0, -1000, 1000}, {2, 3});
  expect_values_near(ops::softmax(x, 1), {1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0, 1}, rtol_for(DType::f32),
                     atol_for(DType::f32), "softmax");
  expect_values_near(ops::log_softmax(x, 1), {-std::log(3.0), -std::log(3.0), -std::log(3.0), -1000, -2000, 0},
                     rtol_for(DType::f32), atol_for(DType::f32), "log_softmax");
  // The same along a non-last dim (the column kernel).
  expect_values_near(ops::softmax(ops::t(x), 0), {1.0 / 3, 0, 1.0 / 3, 0, 1.0 / 3, 1}, rtol_for(DType::f32),
                     atol_for(DType::f32), "softmax dim 0");
}

TEST(Softmax, NegativeInfinityGetsZeroAndAnAllInfiniteRowIsNaN) {
  const Tensor x = ops::from_vector<double>({-kInf, 0, 0, -kInf, -kInf, -kInf}, {2, 3});
  const std::vector<double> y = to_doubles(ops::softmax(x, 1));
  EXPECT_EQ(y[0], 0.0);
  EXPECT_NEAR(y[1], 0.5, 1e-7);
  EXPECT_TRUE(std::isnan(y[3]) && std::isnan(y[4]) && std::isnan(y[5]));  // as PyTorch: exp(-inf - -inf)
  EXPECT_EQ(to_doubles(ops::log_softmax(x, 1))[0], -kInf);
}

TEST(Softmax, NaNMakesItsRowNaN) {
  const Tensor x = ops::from_vector<float>({1, std::nanf(""), 2, 1, 2, 3}, {2, 3});
  const std::vector<double> y = to_doubles(ops::softmax(x, 1));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(std::isnan(y[i])) << i;
  for (int i = 3; i < 6; ++i) EXPECT_FALSE(std::isnan(y[i])) << i;
}

TEST(SoftmaxBackward, MatchesJacobianReferenceForEveryDtypeShapeAndLayout) {
  uint64_t seed = 100;
  for (const Case& c : kCases) {
    if (numel_of(c.sizes) > 20000) continue;  // the O(n^2) reference
    for (DType dtype : kFloatDTypes) {
      const Tensor x = random_tensor(c.sizes, dtype, seed++, -3, 3);
      const Tensor grad_output = random_tensor(c.sizes, dtype, seed++);
      for (bool log : {false, true}) {
        const Tensor y = log ? ops::log_softmax(x, c.dim) : ops::softmax(x, c.dim);
        for (bool contiguous : {true, false}) {
          const Tensor go = contiguous ? grad_output : make_noncontiguous(grad_output);
          const Tensor out = contiguous ? y : make_noncontiguous(y);
          const Tensor grad_input =
              log ? ops::log_softmax_backward(go, out, c.dim) : ops::softmax_backward(go, out, c.dim);
          EXPECT_EQ(grad_input.sizes(), x.sizes());
          expect_values_near(grad_input,
                             reference_backward(to_doubles(grad_output), to_doubles(y), x.sizes(), c.dim, log),
                             rtol_for(dtype), atol_for(dtype), describe(c, dtype, contiguous) + (log ? " log" : ""));
        }
      }
    }
  }
}

TEST(SoftmaxBackward, MatchesFiniteDifferencesInDouble) {
  // d/dx_i of L(x) = sum_j grad_output_j * softmax(x)_j, by central differences.
  for (bool log : {false, true}) {
    for (int64_t dim : {0, 1}) {
      const Tensor x = random_tensor({3, 4}, DType::f64, 7);
      const Tensor grad_output = random_tensor({3, 4}, DType::f64, 8);
      auto loss = [&](const Tensor& input) {
        const std::vector<double> y = to_doubles(log ? ops::log_softmax(input, dim) : ops::softmax(input, dim));
        const std::vector<double> g = to_doubles(grad_output);
        double total = 0;
        for (size_t i = 0; i < y.size(); ++i) total += g[i] * y[i];
        return total;
      };
      const Tensor y = log ? ops::log_softmax(x, dim) : ops::softmax(x, dim);
      const std::vector<double> analytic = to_doubles(
          log ? ops::log_softmax_backward(grad_output, y, dim) : ops::softmax_backward(grad_output, y, dim));
      const std::vector<double> base = to_doubles(x);
      constexpr double kStep = 1e-6;  // central differences: error ~ step^2 + eps / step ~ 1e-10
      for (size_t i = 0; i < base.size(); ++i) {
        std::vector<double> plus = base, minus = base;
        plus[i] += kStep;
        minus[i] -= kStep;
        const double numeric = (loss(ops::from_vector(plus, {3, 4})) - loss(ops::from_vector(minus, {3, 4}))) /
                               (2 * kStep);
        EXPECT_NEAR(analytic[i], numeric, 1e-8) << "log=" << log << " dim=" << dim << " element " << i;
      }
    }
  }
}

TEST(SoftmaxErrors, IntegerInputThrowsNamingTheOp) {
  try {
    ops::softmax(ops::arange(4), 0);
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("softmax"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("int64"), std::string::npos) << error.what();
  }
}

TEST(SoftmaxErrors, DimOutOfRangeIsIndexError) {
  EXPECT_THROW(ops::softmax(ops::zeros({2, 3}), 2), IndexError);
  EXPECT_THROW(ops::log_softmax(ops::zeros({2, 3}), -3), IndexError);
}

TEST(SoftmaxErrors, BackwardShapeMismatchNamesShapes) {
  try {
    ops::softmax_backward(ops::zeros({2, 3}), ops::zeros({3, 2}), 1);
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("(2, 3)"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("(3, 2)"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace mini
