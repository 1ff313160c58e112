// Elementwise ops (tensor/ops/elementwise.h) against plain references
// computed in double: every UnaryOp and BinaryOp, every dtype each supports,
// awkward layouts (broadcasting both ways, 0-d, empty, non-contiguous,
// transposed, sizes that split over threads), NaN/inf edge values, the
// in-place and out forms, where, allclose/equal, and the error messages.
#include "tensor/ops/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/tensor_testing.h"

namespace mini {
namespace {

using testing::atol_for;
using testing::expect_values_near;
using testing::make_noncontiguous;
using testing::random_tensor;
using testing::rtol_for;
using testing::to_doubles;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::vector<DType> kFloatDTypes = {DType::f32, DType::f64, DType::f16, DType::bf16};
const std::vector<DType> kIntDTypes = {DType::i32, DType::i64};

Tensor tensor_of(const std::vector<double>& values, DType dtype, Shape sizes = {}) {
  if (sizes.empty() && values.size() != 1) sizes = Shape{static_cast<int64_t>(values.size())};
  return ops::to_dtype(ops::from_vector(values, sizes), dtype);
}

// Tolerances for a result of `dtype`: scaled for floats, exact otherwise.
void expect_matches(const Tensor& actual, const std::vector<double>& expected, const std::string& what) {
  expect_values_near(actual, expected, rtol_for(actual.dtype()), atol_for(actual.dtype()), what);
}

// Large (threaded) layouts take one dtype per kernel family, to keep the suite fast.
bool wants_large(DType dtype) { return dtype == DType::f32 || dtype == DType::f16 || dtype == DType::i32; }

// Expects `fn` to throw mini::ValueError whose message contains every piece.
template <typename Fn>
void expect_error(Fn&& fn, const std::vector<std::string>& pieces) {
  try {
    fn();
    ADD_FAILURE() << "expected a mini::ValueError";
  } catch (const ValueError& error) {
    const std::string message = error.what();
    for (const auto& piece : pieces) EXPECT_NE(message.find(piece), std::string::npos) << message;
  }
}

// ---- unary ------------------------------------------------------------------
struct UnaryCase {
  const char* name;
  UnaryOp op;
  UnaryParams params;
  double low, high;  // float inputs; integer inputs use [10 low, 10 high)
  enum Ints { rejects, keeps, promotes } ints;
  double (*reference)(double x, UnaryParams p);
};

double gelu_tanh_ref(double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }
double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }

const std::vector<UnaryCase>& unary_cases() {
  using P = UnaryParams;
  static const std::vector<UnaryCase> cases = {
      {"neg", UnaryOp::neg, {}, -2, 2, UnaryCase::keeps, [](double x, P) { return -x; }},
      {"abs", UnaryOp::abs, {}, -2, 2, UnaryCase::keeps, [](double x, P) { return std::abs(x); }},
      {"sign", UnaryOp::sign, {}, -2, 2, UnaryCase::keeps, [](double x, P) { return double((0 < x) - (x < 0)); }},
      {"exp", UnaryOp::exp, {}, -2, 2, UnaryCase::promotes, [](double x, P) { return std::exp(x); }},
      {"log", UnaryOp::log, {}, 0.1, 4, UnaryCase::promotes, [](double x, P) { return std::log(x); }},
      {"log1p", UnaryOp::log1p, {}, -0.9, 4, UnaryCase::promotes, [](double x, P) { return std::log1p(x); }},
      {"expm1", UnaryOp::expm1, {}, -2, 2, UnaryCase::promotes, [](double x, P) { return std::expm1(x); }},
      {"sqrt", UnaryOp::sqrt, {}, 0, 4, UnaryCase::promotes, [](double x, P) { return std::sqrt(x); }},
      {"rsqrt", UnaryOp::rsqrt, {}, 0.1, 4, UnaryCase::promotes, [](double x, P) { return 1 / std::sqrt(x); }},
      {"sin", UnaryOp::sin, {}, -3, 3, UnaryCase::promotes, [](double x, P) { return std::sin(x); }},
      {"cos", UnaryOp::cos, {}, -3, 3, UnaryCase::promotes, [](double x, P) { return std::cos(x); }},
      {"tanh", UnaryOp::tanh, {}, -3, 3, UnaryCase::promotes, [](double x, P) { return std::tanh(x); }},
      {"sigmoid", UnaryOp::sigmoid, {}, -6, 6, UnaryCase::promotes, [](double x, P) { return sigmoid_ref(x); }},
      {"relu", UnaryOp::relu, {}, -2, 2, UnaryCase::keeps, [](double x, P) { return x < 0 ? 0 : x; }},
      {"gelu_tanh", UnaryOp::gelu_tanh, {}, -4, 4, UnaryCase::rejects, [](double x, P) { return gelu_tanh_ref(x); }},
      {"gelu_erf",
       UnaryOp::gelu_erf,
       {},
       -4,
       4,
       UnaryCase::rejects,
       [](double x, P) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {"silu", UnaryOp::silu, {}, -6, 6, UnaryCase::rejects, [](double x, P) { return x * sigmoid_ref(x); }},
      {"softplus",
       UnaryOp::softplus,
       {.a = 2, .b = 3},
       -3,
       3,
       UnaryCase::rejects,
       [](double x, P p) { return x * p.a > p.b ? x : std::log1p(std::exp(p.a * x)) / p.a; }},
      {"floor", UnaryOp::floor, {}, -3, 3, UnaryCase::keeps, [](double x, P) { return std::floor(x); }},
      {"ceil", UnaryOp::ceil, {}, -3, 3, UnaryCase::keeps, [](double x, P) { return std::ceil(x); }},
      {"round", UnaryOp::round, {}, -3, 3, UnaryCase::keeps, [](double x, P) { return std::nearbyint(x); }},
      {"reciprocal", UnaryOp::reciprocal, {}, 0.2, 3, UnaryCase::promotes, [](double x, P) { return 1 / x; }},
      {"square", UnaryOp::square, {}, -2, 2, UnaryCase::keeps, [](double x, P) { return x * x; }},
      {"erf", UnaryOp::erf, {}, -3, 3, UnaryCase::promotes, [](double x, P) { return std::erf(x); }},
      {"clamp",
       UnaryOp::clamp,
       {.a = -1, .b = 1},
       -2,
       2,
       UnaryCase::keeps,
       [](double x, P p) { return std::min(std::max(x, p.a), p.b); }},
      {"pow_scalar 3", UnaryOp::pow_scalar, {.a = 3}, -2, 2, UnaryCase::keeps, [](double x, P) { return x * x * x; }},
      {"pow_scalar 2.5",
       UnaryOp::pow_scalar,
       {.a = 2.5},
       0.1,
       3,
       UnaryCase::rejects,
       [](double x, P) { return std::pow(x, 2.5); }},
      {"pow_scalar -0.5",
       UnaryOp::pow_scalar,
       {.a = -0.5},
       0.1,
       3,
       UnaryCase::rejects,
       [](double x, P) { return 1 / std::sqrt(x); }},
      {"leaky_relu",
       UnaryOp::leaky_relu,
       {.a = 0.1},
       -2,
       2,
       UnaryCase::rejects,
       [](double x, P p) { return x < 0 ? p.a * x : x; }},
  };
  return cases;
}

// The layouts every unary op is checked on: (shape, make it non-contiguous).
struct Layout {
  Shape sizes;
  bool noncontiguous;
  bool large() const { return numel_of(sizes) > 10000; }
};
const std::vector<Layout> kUnaryLayouts = {{{3, 5, 7}, false}, {{9, 6}, true},   {{0, 4}, false},
                                           {{}, false},        {{40001}, false}, {{33}, true}};

void check_unary(const UnaryCase& c, const Tensor& x, const std::string& what) {
  const Tensor out = ops::unary(c.op, x, c.params);
  ASSERT_EQ(out.sizes(), x.sizes()) << what;
  std::vector<double> expected = to_doubles(x);
  for (double& v : expected) v = c.reference(v, c.params);
  expect_matches(out, expected, what);
}

TEST(Unary, EveryOpMatchesTheDoubleReferenceOnFloatDTypes) {
  uint64_t seed = 1;
  for (const auto& c : unary_cases()) {
    for (DType dtype : kFloatDTypes) {
      for (const auto& layout : kUnaryLayouts) {
        if (layout.large() && !wants_large(dtype)) continue;
        Tensor x = random_tensor(layout.sizes, dtype, seed++, c.low, c.high);
        if (layout.noncontiguous) x = make_noncontiguous(x);
        const Tensor out = ops::unary(c.op, x, c.params);
        EXPECT_EQ(out.dtype(), dtype) << c.name;
        check_unary(c, x, fmt::format("{} {} {}", c.name, dtype, shape_str(layout.sizes)));
      }
    }
  }
}

TEST(Unary, IntegerInputsKeepTheirDTypeOrPromoteToFloat32) {
  uint64_t seed = 100;
  for (const auto& c : unary_cases()) {
    if (c.ints == UnaryCase::rejects) continue;
    for (DType dtype : kIntDTypes) {
      for (const auto& layout : kUnaryLayouts) {
        if (layout.large() && !wants_large(dtype)) continue;
        Tensor x = random_tensor(layout.sizes, dtype, seed++, 10 * c.low, 10 * c.high);
        if (layout.noncontiguous) x = make_noncontiguous(x);
        const Tensor out = ops::unary(c.op, x, c.params);
        EXPECT_EQ(out.dtype(), c.ints == UnaryCase::keeps ? dtype : DType::f32) << c.name << " " << dtype_name(dtype);
        check_unary(c, x, fmt::format("{} {} {}", c.name, dtype, shape_str(layout.sizes)));
      }
    }
  }
}

TEST(Unary, ActivationsRejectIntegerTensors) {
  const Tensor x = ops::arange(5);
  expect_error([&] { ops::gelu(x); }, {"gelu", "int64"});
  expect_error([&] { ops::silu(x); }, {"silu", "int64"});
  expect_error([&] { ops::softplus(x); }, {"softplus"});
  expect_error([&] { ops::leaky_relu(x); }, {"leaky_relu"});
}

TEST(Unary, BoolSupportsOnlyLogicalNotAndFloatMath) {
  const Tensor flags = tensor_of({1, 0, 1}, DType::b8);
  expect_error([&] { ops::neg(flags); }, {"neg", "bool", "logical_not"});
  expect_error([&] { ops::abs(flags); }, {"abs", "bool"});
  const Tensor e = ops::exp(flags);
  EXPECT_EQ(e.dtype(), DType::f32);
  expect_matches(e, {std::exp(1.0), 1, std::exp(1.0)}, "exp(bool)");
}

TEST(Unary, LogicalNotWritesBoolForEveryDType) {
  for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8, DType::b8}) {
    const std::vector<double> values = dtype == DType::b8   ? std::vector<double>{0, 1, 1}
                                       : is_floating(dtype) ? std::vector<double>{0, -2.5, kNaN}
                                                            : std::vector<double>{0, 3, 1};
    const Tensor out = ops::logical_not(tensor_of(values, dtype));
    EXPECT_EQ(out.dtype(), DType::b8);
    expect_matches(out, {1, 0, 0}, fmt::format("logical_not {}", dtype));
  }
}

TEST(Unary, NaNAndInfinityEdgeValues) {
  const std::vector<double> values = {kNaN, kInf, -kInf, 0.0, -0.0, 1.5, -1.5};
  for (DType dtype : kFloatDTypes) {
    const Tensor x = tensor_of(values, dtype);
    expect_matches(ops::relu(x), {kNaN, kInf, 0, 0, 0, 1.5, 0}, "relu");
    expect_matches(ops::clamp(x, -1.0, 1.0), {kNaN, 1, -1, 0, 0, 1, -1}, "clamp");
    expect_matches(ops::clamp(x, std::nullopt, 0.0), {kNaN, 0, -kInf, 0, 0, 0, -1.5}, "clamp max only");
    expect_matches(ops::exp(x), {kNaN, kInf, 0, 1, 1, std::exp(1.5), std::exp(-1.5)}, "exp");
    expect_matches(ops::sigmoid(x), {kNaN, 1, 0, 0.5, 0.5, sigmoid_ref(1.5), sigmoid_ref(-1.5)}, "sigmoid");
    expect_matches(ops::tanh(x), {kNaN, 1, -1, 0, 0, std::tanh(1.5), std::tanh(-1.5)}, "tanh");
    expect_matches(ops::log(x), {kNaN, kInf, kNaN, -kInf, -kInf, std::log(1.5), kNaN}, "log");
    expect_matches(ops::sign(x), {0, 1, -1, 0, 0, 1, -1}, "sign (NaN gives 0, as PyTorch)");
  }
}

TEST(Unary, ClampWithMinAboveMaxGivesMaxEverywhere) {
  const Tensor x = tensor_of({-3, 0, 3}, DType::f32);
  expect_matches(ops::clamp(x, 2.0, 1.0), {1, 1, 1}, "clamp");
  const Tensor xi = tensor_of({-3, 0, 3}, DType::i64);
  expect_matches(ops::clamp(xi, 2.0, 1.0), {1, 1, 1}, "clamp int");
}

TEST(Unary, ClampOfIntegersPromotesOnlyForFractionalBounds) {
  const Tensor x = tensor_of({-3, 0, 3}, DType::i32);
  EXPECT_EQ(ops::clamp(x, -1.0, 1.0).dtype(), DType::i32);
  const Tensor promoted = ops::clamp(x, -1.5, std::nullopt);
  EXPECT_EQ(promoted.dtype(), DType::f32);
  expect_matches(promoted, {-1.5, 0, 3}, "clamp");
  // Bounds beyond the dtype's range saturate instead of wrapping.
  expect_matches(ops::clamp(x, -1e12, 1e12), {-3, 0, 3}, "clamp wide bounds");
  expect_error([&] { ops::clamp(x, std::nullopt, std::nullopt); }, {"clamp", "at least one"});
  expect_error([&] { ops::clamp_(x, 0.5, std::nullopt); }, {"clamp_", "float32", "int32"});
}

TEST(Unary, GeluSoftplusLeakyReluWrappersPassTheirParameters) {
  const Tensor x = random_tensor({50}, DType::f64, 7, -5, 5);
  std::vector<double> gelu_tanh, softplus, leaky;
  for (double v : to_doubles(x)) {
    gelu_tanh.push_back(gelu_tanh_ref(v));
    softplus.push_back(v * 0.5 > 1 ? v : std::log1p(std::exp(0.5 * v)) / 0.5);
    leaky.push_back(v < 0 ? 0.2 * v : v);
  }
  expect_matches(ops::gelu(x, /*tanh_approximation=*/true), gelu_tanh, "gelu tanh");
  expect_matches(ops::softplus(x, 0.5, 1.0), softplus, "softplus");
  expect_matches(ops::leaky_relu(x, 0.2), leaky, "leaky_relu");
}

TEST(Unary, PowOfIntegersRejectsNegativeExponentsAndPromotesForFloatOnes) {
  const Tensor x = tensor_of({-2, 3, 4}, DType::i64);
  const Tensor squared = ops::pow(x, 2);
  EXPECT_EQ(squared.dtype(), DType::i64);
  expect_matches(squared, {4, 9, 16}, "pow 2");
  expect_error([&] { ops::pow(x, -1); }, {"pow", "negative"});
  const Tensor root = ops::pow(x, 0.5);
  EXPECT_EQ(root.dtype(), DType::f32);
  expect_matches(root, {kNaN, std::sqrt(3.0), 2}, "pow 0.5");
}

TEST(Unary, IntegerArithmeticWrapsAroundLikeTwosComplement) {
  expect_matches(ops::neg(tensor_of({0, 1, 255}, DType::u8)), {0, 255, 1}, "neg u8");
  const double int_min = std::numeric_limits<int32_t>::min();
  expect_matches(ops::abs(tensor_of({int_min, -5}, DType::i32)), {int_min, 5}, "abs i32 min");
  expect_matches(ops::square(tensor_of({65536}, DType::i32)), {0}, "square i32 overflow");
}

TEST(Unary, OutFormChecksShapeAndCastsWithinCategory) {
  const Tensor x = random_tensor({4, 3}, DType::f32, 3);
  Tensor out = ops::empty({4, 3}, {.dtype = DType::f64});
  ops::exp_out(out, x);
  std::vector<double> expected = to_doubles(x);
  for (double& v : expected) v = std::exp(v);
  expect_values_near(out, expected, rtol_for(DType::f32), atol_for(DType::f32), "exp_out into f64");
  expect_error([&] { ops::exp_out(ops::empty({3, 4}), x); }, {"exp_out", "(3, 4)", "(4, 3)"});
  expect_error([&] { ops::exp_out(ops::empty({4, 3}, {.dtype = DType::i64}), x); }, {"exp", "float32", "int64"});
}

TEST(Unary, InPlaceFormsWriteThroughViewsAndBumpTheVersion) {
  const Tensor base = random_tensor({6, 4}, DType::f32, 5);
  const Tensor column = ops::select(base, 1, 2);  // non-contiguous view
  const std::vector<double> before = to_doubles(base);
  const uint64_t version = base.version();
  ops::relu_(column);
  EXPECT_GT(base.version(), version);
  const std::vector<double> after = to_doubles(base);
  for (size_t i = 0; i < before.size(); ++i) {
    const double expected = i % 4 == 2 ? std::max(before[i], 0.0) : before[i];
    EXPECT_EQ(after[i], expected) << i;
  }
  expect_error([&] { ops::exp_(ops::arange(3)); }, {"exp", "float32", "int64"});
}

// ---- binary -----------------------------------------------------------------
struct BinaryCase {
  const char* name;
  BinaryOp op;
  double a_low, a_high, b_low, b_high;  // float inputs; integers use 10x the range
  bool integers;                        // defined on integer tensors
  double (*reference)(double a, double b);
};

double python_remainder(double a, double b) {
  const double mod = std::fmod(a, b);
  return mod != 0 && ((b < 0) != (mod < 0)) ? mod + b : mod;
}

double integer_pow(double a, double b) {
  if (b >= 0) return std::pow(a, b);
  return a == 1 ? 1 : a == -1 ? (std::fmod(b, 2) != 0 ? -1 : 1) : 0;
}

const std::vector<BinaryCase>& binary_cases() {
  static const std::vector<BinaryCase> cases = {
      {"add", BinaryOp::add, -2, 2, -2, 2, true, [](double a, double b) { return a + b; }},
      {"sub", BinaryOp::sub, -2, 2, -2, 2, true, [](double a, double b) { return a - b; }},
      {"mul", BinaryOp::mul, -2, 2, -2, 2, true, [](double a, double b) { return a * b; }},
      {"div", BinaryOp::div, -2, 2, 0.25, 2, true, [](double a, double b) { return a / b; }},
      {"pow", BinaryOp::pow, 0.2, 2, -0.3, 0.4, true, [](double a, double b) { return std::pow(a, b); }},
      {"maximum", BinaryOp::maximum, -2, 2, -2, 2, true, [](double a, double b) { return std::max(a, b); }},
      {"minimum", BinaryOp::minimum, -2, 2, -2, 2, true, [](double a, double b) { return std::min(a, b); }},
      {"remainder", BinaryOp::remainder, -3, 3, 0.3, 1, true, python_remainder},
      {"eq", BinaryOp::eq, -0.2, 0.2, -0.2, 0.2, true, [](double a, double b) { return double(a == b); }},
      {"ne", BinaryOp::ne, -0.2, 0.2, -0.2, 0.2, true, [](double a, double b) { return double(a != b); }},
      {"lt", BinaryOp::lt, -0.2, 0.2, -0.2, 0.2, true, [](double a, double b) { return double(a < b); }},
      {"le", BinaryOp::le, -0.2, 0.2, -0.2, 0.2, true, [](double a, double b) { return double(a <= b); }},
      {"gt", BinaryOp::gt, -0.2, 0.2, -0.2, 0.2, true, [](double a, double b) { return double(a > b); }},
      {"ge", BinaryOp::ge, -0.2, 0.2, -0.2, 0.2, true, [](double a, double b) { return double(a >= b); }},
      {"logical_and", BinaryOp::logical_and, -0.2, 0.2, -0.2, 0.2, true,
       [](double a, double b) { return double(a != 0 && b != 0); }},
      {"logical_or", BinaryOp::logical_or, -0.2, 0.2, -0.2, 0.2, true,
       [](double a, double b) { return double(a != 0 || b != 0); }},
      {"logical_xor", BinaryOp::logical_xor, -0.2, 0.2, -0.2, 0.2, true,
       [](double a, double b) { return double((a != 0) != (b != 0)); }},
      {"relu_backward", BinaryOp::relu_backward, -2, 2, -2, 2, false, [](double g, double x) { return x > 0 ? g : 0; }},
      {"sigmoid_backward", BinaryOp::sigmoid_backward, -2, 2, 0, 1, false,
       [](double g, double y) { return g * y * (1 - y); }},
      {"tanh_backward", BinaryOp::tanh_backward, -2, 2, -1, 1, false,
       [](double g, double y) { return g * (1 - y * y); }},
      {"gelu_tanh_backward", BinaryOp::gelu_tanh_backward, -2, 2, -4, 4, false,
       [](double g, double x) {
         // d/dx of 0.5 x (1 + tanh(k (x + c x^3))) by the product and chain rules.
         const double k = std::sqrt(2 / M_PI), c = 0.044715;
         const double t = std::tanh(k * (x + c * x * x * x));
         return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * c * x * x));
       }},
      {"gelu_erf_backward", BinaryOp::gelu_erf_backward, -2, 2, -4, 4, false,
       [](double g, double x) {
         return g * (0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-x * x / 2) / std::sqrt(2 * M_PI));
       }},
      {"silu_backward", BinaryOp::silu_backward, -2, 2, -6, 6, false,
       [](double g, double x) {
         const double s = sigmoid_ref(x);
         return g * s * (1 + x * (1 - s));
       }},
  };
  return cases;
}

// Pairs of layouts: (a shape, b shape, make both non-contiguous).
struct BinaryLayout {
  Shape a, b;
  bool noncontiguous;
  bool large() const { return numel_of(a) + numel_of(b) > 10000; }
};

const std::vector<BinaryLayout> kBinaryLayouts = {
    {{5, 7}, {5, 7}, false},     // same shape
    {{3, 1, 5}, {4, 1}, false},  // broadcast both ways -> (3, 4, 5)
    {{6, 5}, {}, false},         // 0-d second operand (stride-0 fast path)
    {{}, {6, 5}, false},         // 0-d first operand
    {{7, 9}, {7, 9}, true},      // transposed storage
    {{9, 4}, {4}, true},         // non-contiguous with a broadcast row
    {{0, 3}, {1, 3}, false},     // empty
    {{}, {}, false},             // 0-d with 0-d
    {{40001}, {40001}, false},   // splits over threads, odd tail
    {{2, 20000}, {1}, false},    // size-1 operand broadcast over a threaded run
};

void check_binary(const BinaryCase& c, const Tensor& a, const Tensor& b, DType expected_dtype,
                  const std::string& what) {
  const Tensor out = ops::binary(c.op, a, b);
  const Shape shape = broadcast_shapes(a.sizes(), b.sizes(), "test");
  ASSERT_EQ(out.sizes(), shape) << what;
  EXPECT_EQ(out.dtype(), expected_dtype) << what;
  const std::vector<double> av = to_doubles(ops::expand(a, shape));
  const std::vector<double> bv = to_doubles(ops::expand(b, shape));
  std::vector<double> expected(av.size());
  for (size_t i = 0; i < av.size(); ++i) expected[i] = c.reference(av[i], bv[i]);
  // Results are rounded to the dtype of the inputs (bool results are exact).
  const DType rounding = is_floating(a.dtype()) ? a.dtype() : out.dtype();
  expect_values_near(out, expected, rtol_for(rounding), atol_for(rounding), what);
}

TEST(Binary, EveryOpMatchesTheDoubleReferenceOnFloatDTypes) {
  uint64_t seed = 1000;
  for (const auto& c : binary_cases()) {
    const bool writes_bool = binary_op_writes_bool(c.op);
    for (DType dtype : kFloatDTypes) {
      for (const auto& layout : kBinaryLayouts) {
        if (layout.large() && !wants_large(dtype)) continue;
        Tensor a = random_tensor(layout.a, dtype, seed++, c.a_low, c.a_high);
        Tensor b = random_tensor(layout.b, dtype, seed++, c.b_low, c.b_high);
        if (layout.noncontiguous) {
          a = make_noncontiguous(a);
          b = make_noncontiguous(b);
        }
        check_binary(c, a, b, writes_bool ? DType::b8 : dtype,
                     fmt::format("{} {} {} {}", c.name, dtype, shape_str(layout.a), shape_str(layout.b)));
      }
    }
  }
}

TEST(Binary, IntegerOpsAreExactAndDivTrueDivides) {
  uint64_t seed = 2000;
  for (const auto& c : binary_cases()) {
    if (!c.integers) continue;
    for (DType dtype : {DType::i32, DType::i64, DType::u8}) {
      const bool is_u8 = dtype == DType::u8;
      // u8 wrap-around is checked on its own below; here results stay in range.
      if (is_u8 && (c.op == BinaryOp::sub || c.op == BinaryOp::pow)) continue;
      const DType expected = binary_op_writes_bool(c.op) ? DType::b8 : c.op == BinaryOp::div ? DType::f32 : dtype;
      for (const auto& layout : kBinaryLayouts) {
        if (layout.large() && !wants_large(dtype)) continue;
        // u8 stays in [0, 15) so products fit; divisors and exponents stay positive.
        const double a_low = is_u8 ? 0 : 10 * c.a_low, a_high = is_u8 ? 15 : 10 * std::max(c.a_high, 0.5);
        const double b_low = is_u8 || c.b_low >= 0 ? std::max(1.0, 10 * c.b_low) : 10 * c.b_low;
        const double b_high = c.op == BinaryOp::pow ? 4 : is_u8 ? 15 : 10 * std::max(c.b_high, 0.5);
        Tensor a = random_tensor(layout.a, dtype, seed++, a_low, a_high);
        Tensor b = random_tensor(layout.b, dtype, seed++, b_low, b_high);
        if (layout.noncontiguous) {
          a = make_noncontiguous(a);
          b = make_noncontiguous(b);
        }
        // Negative integer exponents truncate (2 ** -1 == 0 for integers).
        BinaryCase integer_case = c;
        if (c.op == BinaryOp::pow) integer_case.reference = integer_pow;
        check_binary(integer_case, a, b, expected,
                     fmt::format("{} {} {} {}", c.name, dtype, shape_str(layout.a), shape_str(layout.b)));
      }
    }
  }
}

TEST(Binary, RemainderTakesTheDivisorsSignLikePython) {
  const std::vector<double> a = {-7, 7, -7, 7, 0, 6};
  const std::vector<double> b = {3, -3, -3, 3, -3, 3};
  const std::vector<double> expected = {2, -2, -1, 1, 0, 0};
  for (DType dtype : {DType::f32, DType::f64, DType::i32, DType::i64}) {
    expect_matches(ops::remainder(tensor_of(a, dtype), tensor_of(b, dtype)), expected,
                   fmt::format("remainder {}", dtype));
  }
  expect_matches(ops::remainder(tensor_of({-7.5, 7.5}, DType::f32), 2), {0.5, 1.5}, "remainder float scalar");
}

TEST(Binary, IntegerRemainderByZeroIsAnError) {
  expect_error(
      [&] {
        ops::remainder(tensor_of({5, 6}, DType::i64), tensor_of({1, 0}, DType::i64));
      },
      {"remainder", "zero"});
}

TEST(Binary, IntegerPowWithNegativeTensorExponentTruncatesLikePyTorch) {
  const Tensor base = tensor_of({2, 1, -1, -1, 0, 3}, DType::i64);
  const Tensor exponent = tensor_of({-1, -5, -3, -2, 2, 3}, DType::i64);
  expect_matches(ops::pow(base, exponent), {0, 1, -1, 1, 0, 27}, "pow");
  expect_error([&] { ops::binary(BinaryOp::pow, base, Scalar(-2)); }, {"pow", "negative"});
}

TEST(Binary, MaximumMinimumPropagateNaN) {
  const std::vector<double> a = {kNaN, 1, kNaN, -kInf, kInf, 2};
  const std::vector<double> b = {1, kNaN, kNaN, 0, 3, -kInf};
  for (DType dtype : kFloatDTypes) {
    expect_matches(ops::maximum(tensor_of(a, dtype), tensor_of(b, dtype)), {kNaN, kNaN, kNaN, 0, kInf, 2}, "maximum");
    expect_matches(ops::minimum(tensor_of(a, dtype), tensor_of(b, dtype)), {kNaN, kNaN, kNaN, -kInf, 3, -kInf},
                   "minimum");
  }
}

TEST(Binary, ComparisonsWithNaNAreFalseExceptNe) {
  const Tensor a = tensor_of({kNaN, 1}, DType::f32);
  const Tensor b = tensor_of({kNaN, kNaN}, DType::f32);
  expect_matches(ops::eq(a, b), {0, 0}, "eq");
  expect_matches(ops::ne(a, b), {1, 1}, "ne");
  expect_matches(ops::lt(a, b), {0, 0}, "lt");
  expect_matches(ops::ge(a, b), {0, 0}, "ge");
}

TEST(Binary, BoolArithmeticIsLogicalAndSubtractionIsRejected) {
  const Tensor a = tensor_of({0, 0, 1, 1}, DType::b8);
  const Tensor b = tensor_of({0, 1, 0, 1}, DType::b8);
  EXPECT_EQ(ops::add(a, b).dtype(), DType::b8);
  expect_matches(ops::add(a, b), {0, 1, 1, 1}, "add bool");
  expect_matches(ops::mul(a, b), {0, 0, 0, 1}, "mul bool");
  expect_matches(ops::maximum(a, b), {0, 1, 1, 1}, "maximum bool");
  expect_matches(ops::logical_xor(a, b), {0, 1, 1, 0}, "logical_xor bool");
  expect_error([&] { ops::sub(a, b); }, {"sub", "bool"});
  const Tensor quotient = ops::div(a, b);
  EXPECT_EQ(quotient.dtype(), DType::f32);
}

TEST(Binary, IntegerArithmeticWrapsAround) {
  const double int_max = std::numeric_limits<int32_t>::max();
  const double int_min = std::numeric_limits<int32_t>::min();
  expect_matches(ops::add(tensor_of({int_max}, DType::i32), 1), {int_min}, "add overflow");
  expect_matches(ops::sub(tensor_of({0}, DType::u8), tensor_of({1}, DType::u8)), {255}, "u8 sub");
}

TEST(Binary, ScalarOperandsOnEitherSide) {
  const Tensor x = random_tensor({4, 5}, DType::f32, 42);
  const std::vector<double> xv = to_doubles(x);
  std::vector<double> minus_from_one, times_half, over;
  for (double v : xv) {
    minus_from_one.push_back(1 - v);
    times_half.push_back(v * 0.5);
    over.push_back(2 / v);
  }
  expect_matches(ops::sub(1.0, x), minus_from_one, "1 - x");
  expect_matches(ops::mul(x, 0.5), times_half, "x * 0.5");
  expect_matches(ops::div(2, x), over, "2 / x");
  expect_matches(
      ops::binary(BinaryOp::pow, x, Scalar(2)),
      [&] {
        std::vector<double> squares;
        for (double v : xv) squares.push_back(v * v);
        return squares;
      }(),
      "x ** 2");
}

TEST(Binary, NonBroadcastableShapesNameBothShapes) {
  const Tensor a = ops::zeros({2, 3});
  const Tensor b = ops::zeros({4, 3});
  expect_error([&] { ops::add(a, b); }, {"add", "(2, 3)", "(4, 3)"});
  expect_error([&] { ops::lt(a, b); }, {"lt", "(2, 3)", "(4, 3)"});
  expect_error([&] { ops::where(ops::zeros({5}, {.dtype = DType::b8}), a, a); }, {"where", "(5,)", "(2, 3)"});
}

TEST(Binary, BackwardHelpersRejectIntegers) {
  expect_error([&] { ops::binary(BinaryOp::relu_backward, ops::arange(3), ops::arange(3)); },
               {"relu_backward", "int64"});
}

// ---- out and in-place forms -----------------------------------------------------
TEST(BinaryOut, RequiresTheBroadcastShapeAndNamesBoth) {
  const Tensor a = ops::ones({3, 1});
  const Tensor b = ops::ones({4});
  expect_error([&] { ops::add_out(ops::empty({3, 3}), a, b); }, {"add_out", "(3, 3)", "(3, 4)"});
  Tensor out = ops::empty({3, 4});
  const uint64_t version = out.version();
  ops::add_out(out, a, b);
  EXPECT_GT(out.version(), version);
  expect_matches(out, std::vector<double>(12, 2.0), "add_out");
}

TEST(BinaryOut, CastsIntoAWiderOutputButNotFloatIntoInteger) {
  const Tensor a = tensor_of({1, 2}, DType::i32);
  Tensor wide = ops::empty({2}, {.dtype = DType::f64});
  ops::mul_out(wide, a, a);
  expect_matches(wide, {1, 4}, "mul_out into f64");
  Tensor flags = ops::empty({2}, {.dtype = DType::f32});
  ops::lt_out(flags, a, tensor_of({2, 2}, DType::i32));
  expect_matches(flags, {1, 0}, "lt_out into f32");
  expect_error([&] { ops::div_out(ops::empty({2}, {.dtype = DType::i32}), a, a); }, {"div", "float32", "int32"});
}

TEST(InPlace, BinaryFormsBroadcastOtherAndBumpTheVersion) {
  for (DType dtype : kFloatDTypes) {
    Tensor self = random_tensor({4, 3}, dtype, 11);
    const Tensor other = random_tensor({3}, dtype, 12);
    const std::vector<double> sv = to_doubles(self), ov = to_doubles(other);
    const uint64_t version = self.version();
    ops::mul_(self, other);
    EXPECT_GT(self.version(), version);
    std::vector<double> expected(sv.size());
    for (size_t i = 0; i < sv.size(); ++i) expected[i] = sv[i] * ov[i % 3];
    expect_matches(self, expected, fmt::format("mul_ {}", dtype));
  }
}

TEST(InPlace, ResultIsCastToSelfsDType) {
  Tensor half = tensor_of({1, 2}, DType::f16);
  ops::add_(half, tensor_of({0.5, 0.25}, DType::f32));  // computed in float32, stored as float16
  EXPECT_EQ(half.dtype(), DType::f16);
  expect_matches(half, {1.5, 2.25}, "add_ f16 += f32");
  Tensor ints = tensor_of({1, 2}, DType::i64);
  expect_error([&] { ops::add_(ints, 0.5); }, {"add", "float32", "int64"});
  expect_error([&] { ops::div_(ints, 2); }, {"div", "float32", "int64"});
  ops::add_(ints, 3);
  expect_matches(ints, {4, 5}, "add_ int scalar");
}

TEST(InPlace, OtherMustBroadcastToSelfsShape) {
  Tensor self = ops::zeros({3});
  expect_error([&] { ops::add_(self, ops::ones({2, 3})); }, {"add_", "(2, 3)", "(3,)"});
}

TEST(InPlace, OtherOverlappingSelfIsReadBeforeItIsOverwritten) {
  // self += self[0] (a view of self's first row): PyTorch semantics read the
  // original row for every row, so row 0 doubles and the others add it once.
  Tensor self = ops::to_dtype(ops::reshape(ops::arange(6), {3, 2}), DType::f32);
  ops::add_(self, ops::select(self, 0, 0));
  expect_matches(self, {0, 2, 2, 4, 4, 6}, "add_ overlapping");
  Tensor transposed_target = ops::to_dtype(ops::reshape(ops::arange(4), {2, 2}), DType::f32);
  ops::add_(transposed_target, ops::transpose(transposed_target, 0, 1));
  expect_matches(transposed_target, {0, 3, 3, 6}, "x += x.T");
}

// ---- where ------------------------------------------------------------------------
TEST(Where, BroadcastsConditionAndBothValues) {
  const Tensor cond = tensor_of({1, 0, 1}, DType::b8, {1, 3});
  const Tensor a = random_tensor({2, 1}, DType::f32, 1);
  const Tensor b = random_tensor({2, 3}, DType::f64, 2);
  const Tensor out = ops::where(cond, a, b);
  EXPECT_EQ(out.dtype(), DType::f64);
  ASSERT_EQ(out.sizes(), (Shape{2, 3}));
  const std::vector<double> av = to_doubles(a), bv = to_doubles(b);
  std::vector<double> expected;
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 3; ++j) expected.push_back(j != 1 ? av[i] : bv[i * 3 + j]);
  }
  expect_matches(out, expected, "where");
}

TEST(Where, EveryDTypeAndLayout) {
  uint64_t seed = 3000;
  for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8, DType::b8}) {
    for (const auto& layout : kBinaryLayouts) {
      Tensor a = random_tensor(layout.a, dtype, seed++, 0, 5);
      Tensor b = random_tensor(layout.b, dtype, seed++, 0, 5);
      Tensor cond = random_tensor(layout.a, DType::b8, seed++);
      if (layout.noncontiguous) {
        a = make_noncontiguous(a);
        b = make_noncontiguous(b);
        cond = make_noncontiguous(cond);
      }
      const Tensor out = ops::where(cond, a, b);
      const Shape shape = broadcast_shapes(a.sizes(), b.sizes(), "test");
      const std::vector<double> cv = to_doubles(ops::expand(cond, shape));
      const std::vector<double> av = to_doubles(ops::expand(a, shape)), bv = to_doubles(ops::expand(b, shape));
      std::vector<double> expected(av.size());
      for (size_t i = 0; i < av.size(); ++i) expected[i] = cv[i] != 0 ? av[i] : bv[i];
      expect_values_near(out, expected, 0, 0, fmt::format("where {} {}", dtype, shape_str(shape)));
    }
  }
}

TEST(Where, ScalarFormsPromoteLikeBinaryOps) {
  const Tensor cond = tensor_of({1, 0}, DType::b8);
  const Tensor ints = tensor_of({5, 6}, DType::i64);
  const Tensor filled = ops::where(cond, ints, 0.5);
  EXPECT_EQ(filled.dtype(), DType::f32);
  expect_matches(filled, {5, 0.5}, "where(cond, int tensor, 0.5)");
  const Tensor kept = ops::where(cond, -1, ints);
  EXPECT_EQ(kept.dtype(), DType::i64);
  expect_matches(kept, {-1, 6}, "where(cond, -1, int tensor)");
}

TEST(Where, ConditionMustBeBool) {
  expect_error([&] { ops::where(ops::ones({2}), ops::ones({2}), ops::ones({2})); }, {"where", "bool", "float32"});
}

// ---- allclose and equal -------------------------------------------------------------
TEST(Allclose, UsesAtolPlusRtolTimesOtherAndHandlesInfAndNaN) {
  const Tensor a = tensor_of({1.0, 100.0, kInf}, DType::f64);
  EXPECT_TRUE(ops::allclose(a, tensor_of({1.0 + 1e-9, 100.0 + 1e-4, kInf}, DType::f64)));
  EXPECT_FALSE(ops::allclose(a, tensor_of({1.0 + 1e-4, 100.0, kInf}, DType::f64)));
  EXPECT_FALSE(ops::allclose(a, tensor_of({1.0, 100.0, -kInf}, DType::f64)));
  const Tensor nan = tensor_of({kNaN, 1}, DType::f32);
  EXPECT_FALSE(ops::allclose(nan, nan));
  EXPECT_TRUE(ops::allclose(nan, nan, 1e-5, 1e-8, /*equal_nan=*/true));
  EXPECT_TRUE(ops::allclose(ops::ones({2, 3}), ops::ones({3})));  // broadcasts
}

TEST(Equal, NeedsSameShapeAndExactlyEqualValues) {
  const Tensor a = tensor_of({1, 2, 3}, DType::f32);
  EXPECT_TRUE(ops::equal(a, ops::clone(a)));
  EXPECT_FALSE(ops::equal(a, tensor_of({1, 2, 3.0001}, DType::f32)));
  EXPECT_FALSE(ops::equal(a, ops::reshape(a, {3, 1})));
  EXPECT_FALSE(ops::equal(tensor_of({kNaN}, DType::f32), tensor_of({kNaN}, DType::f32)));
}

TEST(Binary, SixteenBitTensorsComputeWithScalarsInFloat) {
  // 70001 is inf in float16; PyTorch divides in float, so the result is 1/70001, not 0.
  for (DType dtype : {DType::f16, DType::bf16}) {
    const Tensor ones = ops::ones({3}, {.dtype = dtype});
    const Tensor quotient = ops::div(ones, 70001.0);
    EXPECT_EQ(quotient.dtype(), dtype);
    expect_values_near(quotient, std::vector<double>(3, 1.0 / 70001.0), rtol_for(dtype), 0, dtype_name(dtype).data());
    const Tensor in_place = ops::ones({3}, {.dtype = dtype});
    ops::div_(in_place, 70001.0);
    expect_values_near(in_place, std::vector<double>(3, 1.0 / 70001.0), rtol_for(dtype), 0, "div_");
    const Tensor reversed = ops::mul(1e-5, ops::full({2}, 60000.0, {.dtype = dtype}));
    expect_values_near(reversed, std::vector<double>(2, 0.6), rtol_for(dtype), 0, "scalar first");
  }
}

}  // namespace
}  // namespace mini
