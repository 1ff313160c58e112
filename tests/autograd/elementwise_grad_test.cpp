// Gradients of the elementwise ops, checked against central differences in
// float64 (gradcheck), on awkward layouts; second derivatives (gradgradcheck)
// for the math ops.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "autograd_testing.h"

namespace mini {
namespace {

using testing::leaf;
using testing::noncontiguous_leaf;
using testing::one_output;

struct UnaryCase {
  std::string name;
  std::function<Tensor(const Tensor&)> fn;
  // Inputs are drawn from [low, high), away from kinks and outside domains.
  double low = -2.0, high = 2.0;
  bool second_order = true;
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const Tensor& x) { return -x; }},
      {"abs", [](const Tensor& x) { return abs(x); }, 0.2, 2.0},
      {"abs_negative", [](const Tensor& x) { return abs(x); }, -2.0, -0.2},
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }, 0.3, 3.0},
      {"log1p", [](const Tensor& x) { return log1p(x); }, -0.5, 2.0},
      {"expm1", [](const Tensor& x) { return expm1(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, 0.3, 3.0},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, 0.3, 3.0},
      {"sin", [](const Tensor& x) { return sin(x); }},
      {"cos", [](const Tensor& x) { return cos(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }, 0.1, 2.0},
      {"relu_negative", [](const Tensor& x) { return relu(x); }, -2.0, -0.1},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"gelu_erf", [](const Tensor& x) { return gelu(x); }},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, true); }},
      {"softplus", [](const Tensor& x) { return softplus(x, 2.0, 3.0); }, -1.0, 1.0},
      {"softplus_linear_region", [](const Tensor& x) { return softplus(x, 1.0, 1.0); }, 1.5, 3.0},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }, 0.1, 2.0},
      {"leaky_relu_negative", [](const Tensor& x) { return leaky_relu(x, 0.2); }, -2.0, -0.1},
      {"clamp_inside", [](const Tensor& x) { return clamp(x, -3.0, 3.0); }},
      {"clamp_outside", [](const Tensor& x) { return clamp(x, std::nullopt, -3.0); }},
      {"floor", [](const Tensor& x) { return floor(x); }, 0.1, 0.9, false},
      {"ceil", [](const Tensor& x) { return ceil(x); }, 0.1, 0.9, false},
      {"round", [](const Tensor& x) { return round(x); }, 0.1, 0.4, false},
      {"sign", [](const Tensor& x) { return sign(x); }, 0.1, 2.0, false},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }, 0.5, 2.0},
      {"square", [](const Tensor& x) { return square(x); }},
      {"erf", [](const Tensor& x) { return erf(x); }},
      {"pow_scalar", [](const Tensor& x) { return pow(x, 2.5); }, 0.3, 2.0},
      {"pow_zero", [](const Tensor& x) { return pow(x, 0); }, 0.3, 2.0},
      {"mul_scalar", [](const Tensor& x) { return x * 3.0; }},
      {"scalar_div", [](const Tensor& x) { return 2.0 / x; }, 0.5, 2.0},
      {"scalar_sub", [](const Tensor& x) { return 2.0 - x; }},
      {"div_scalar", [](const Tensor& x) { return x / 4.0; }},
      {"remainder_scalar", [](const Tensor& x) { return remainder(x, 5.0); }, 0.1, 2.0},
      {"clone", [](const Tensor& x) { return clone(x); }},
      {"where_tensor_scalar", [](const Tensor& x) { return where(gt(x.detach(), 0), x * x, 1.0); }},
      {"where_scalar_tensor", [](const Tensor& x) { return where(gt(x.detach(), 0), 2.0, exp(x)); }},
      {"contiguous", [](const Tensor& x) { return contiguous(x) * x; }},
      {"to_f32_and_back", [](const Tensor& x) { return to_dtype(to_dtype(x, DType::f32), DType::f64) * 1.0; },
       -2.0, 2.0, false},
  };
}

void PrintTo(const UnaryCase& c, std::ostream* os) { *os << c.name; }

class UnaryGrad : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryGrad, MatchesFiniteDifferencesOnANonContiguousInput) {
  const UnaryCase& c = GetParam();
  Tensor x = noncontiguous_leaf({3, 4}, 100, c.low, c.high);
  auto fn = one_output([&](const std::vector<Tensor>& in) { return c.fn(in[0]); });
  if (c.name == "to_f32_and_back") {
    // Rounding to float32 limits the finite differences' accuracy.
    const GradcheckResult result = gradcheck(fn, {x}, 1e-3, 1e-4, 1e-3);
    EXPECT_TRUE(result.ok) << result.report;
    return;
  }
  EXPECT_GRADCHECK(fn, {x});
}

TEST_P(UnaryGrad, MatchesFiniteDifferencesWithSizeOneDims) {
  const UnaryCase& c = GetParam();
  if (c.name == "to_f32_and_back") GTEST_SKIP() << "covered above with a wider eps";
  Tensor x = leaf({1, 3, 1}, 101, c.low, c.high);
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return c.fn(in[0]); }), {x});
}

TEST_P(UnaryGrad, SecondDerivativeMatchesFiniteDifferences) {
  const UnaryCase& c = GetParam();
  if (!c.second_order) GTEST_SKIP() << "piecewise constant or rounding";
  Tensor x = leaf({2, 3}, 102, c.low, c.high);
  EXPECT_GRADGRADCHECK(one_output([&](const std::vector<Tensor>& in) { return c.fn(in[0]); }), {x});
}

INSTANTIATE_TEST_SUITE_P(Ops, UnaryGrad, ::testing::ValuesIn(unary_cases()),
                         [](const ::testing::TestParamInfo<UnaryCase>& info) { return info.param.name; });

struct BinaryCase {
  std::string name;
  std::function<Tensor(const Tensor&, const Tensor&)> fn;
  double low = -2.0, high = 2.0;   // for a
  double b_low = -2.0, b_high = 2.0;  // for b
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }},
      {"div", [](const Tensor& a, const Tensor& b) { return a / b; }, -2.0, 2.0, 0.5, 2.0},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, 0.5, 2.0},
      {"remainder", [](const Tensor& a, const Tensor& b) { return remainder(a, b); }, 0.1, 3.0, 0.7, 0.9},
      {"where", [](const Tensor& a, const Tensor& b) { return where(gt(a.detach(), 0), a, b); }},
  };
}

void PrintTo(const BinaryCase& c, std::ostream* os) { *os << c.name; }

class BinaryGrad : public ::testing::TestWithParam<BinaryCase> {
 protected:
  Tensor a(const Shape& sizes, uint64_t seed) const { return leaf(sizes, seed, GetParam().low, GetParam().high); }
  Tensor b(const Shape& sizes, uint64_t seed) const { return leaf(sizes, seed, GetParam().b_low, GetParam().b_high); }
  GradcheckFunction fn() const {
    auto f = GetParam().fn;
    return one_output([f](const std::vector<Tensor>& in) { return f(in[0], in[1]); });
  }
};

TEST_P(BinaryGrad, SameShapes) { EXPECT_GRADCHECK(fn(), {a({2, 3}, 200), b({2, 3}, 201)}); }

TEST_P(BinaryGrad, BroadcastsBothWays) { EXPECT_GRADCHECK(fn(), {a({3, 1}, 202), b({1, 4}, 203)}); }

TEST_P(BinaryGrad, BroadcastsALowerRankOperand) {
  EXPECT_GRADCHECK(fn(), {a({2, 3, 4}, 204), b({4}, 205)});
  EXPECT_GRADCHECK(fn(), {a({4}, 206), b({2, 1, 4}, 207)});
}

TEST_P(BinaryGrad, ZeroDimOperand) { EXPECT_GRADCHECK(fn(), {a({2, 3}, 208), b({}, 209)}); }

TEST_P(BinaryGrad, NonContiguousOperands) {
  const BinaryCase& c = GetParam();
  Tensor x = noncontiguous_leaf({3, 4}, 210, c.low, c.high);
  Tensor y = noncontiguous_leaf({3, 4}, 211, c.b_low, c.b_high);
  EXPECT_GRADCHECK(fn(), {x, y});
}

TEST_P(BinaryGrad, OnlyOneOperandRequiresGrad) {
  Tensor x = a({2, 3}, 212);
  Tensor y = b({2, 3}, 213).detach();
  EXPECT_GRADCHECK(fn(), {x, y});
  EXPECT_GRADCHECK(fn(), {x.detach(), b({2, 3}, 214)});
}

TEST_P(BinaryGrad, SecondDerivative) { EXPECT_GRADGRADCHECK(fn(), {a({2, 3}, 215), b({3}, 216)}); }

INSTANTIATE_TEST_SUITE_P(Ops, BinaryGrad, ::testing::ValuesIn(binary_cases()),
                         [](const ::testing::TestParamInfo<BinaryCase>& info) { return info.param.name; });

TEST(ElementwiseGrad, RepeatedUseOfOneInput) {
  Tensor x = leaf({2, 3}, 300, 0.5, 2.0);
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return in[0] * in[0] / (in[0] + 3.0); }), {x});
  EXPECT_GRADGRADCHECK(one_output([](const std::vector<Tensor>& in) { return exp(in[0]) * in[0]; }), {x});
}

TEST(ElementwiseGrad, MaximumSplitsTiesEvenly) {
  Tensor a = ops::full({3}, 1.0, {.dtype = DType::f64}).requires_grad_();
  Tensor b = ops::full({3}, 1.0, {.dtype = DType::f64}).requires_grad_();
  maximum(a, b).sum().backward();
  testing::expect_close(a.grad(), ops::full({3}, 0.5, {.dtype = DType::f64}));
  testing::expect_close(b.grad(), ops::full({3}, 0.5, {.dtype = DType::f64}));
}

TEST(ElementwiseGrad, ReluGradientIsZeroAtZero) {
  Tensor x = ops::zeros({2}, {.dtype = DType::f64}).requires_grad_();
  relu(x).sum().backward();
  testing::expect_close(x.grad(), ops::zeros({2}, {.dtype = DType::f64}));
}

TEST(ElementwiseGrad, MixedDtypesGetGradientsInTheirOwnDtype) {
  Tensor a = ops::ones({3}, {.dtype = DType::f32}).requires_grad_();
  Tensor b = ops::full({3}, 2.0, {.dtype = DType::f64}).requires_grad_();
  Tensor y = a * b;
  EXPECT_EQ(y.dtype(), DType::f64);
  y.sum().backward();
  EXPECT_EQ(a.grad().dtype(), DType::f32);
  EXPECT_EQ(b.grad().dtype(), DType::f64);
  testing::expect_close(a.grad(), ops::full({3}, 2.0f));
}

TEST(ElementwiseGrad, IntegerOperandsNeverRequireGrad) {
  Tensor x = leaf({3}, 301);
  Tensor i = ops::arange(3);
  Tensor y = x * i;
  EXPECT_TRUE(y.requires_grad());
  EXPECT_FALSE((i * 2).requires_grad());
}

}  // namespace
}  // namespace mini
