// Reductions (tensor/ops/reduce.h) against plain double references, over
// every dtype, awkward shapes (empty, size 1, long, 0-d), non-contiguous
// layouts, several dims, negative dims and keepdim.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
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
using testing::unravel;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

const std::vector<DType> kAllDTypes = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                       DType::i32, DType::i64, DType::u8,  DType::b8};
const std::vector<DType> kFloatDTypes = {DType::f32, DType::f64, DType::f16, DType::bf16};

struct Case {
  Shape sizes;
  Shape dims;  // empty: all dims
};

// Each loop shape of the CPU kernel: inner runs, outer rows, split over
// threads (few outputs), 0-d, empty and size-1 dims.
const std::vector<Case> kCases = {
    {{2, 3, 4}, {}},         {{2, 3, 4}, {1}},     {{2, 3, 4}, {0, 2}},    {{2, 3, 4}, {-1}},
    {{5, 1, 7}, {1}},        {{1, 1}, {0}},        {{}, {}},               {{37}, {0}},
    {{3, 4, 5, 6}, {1, 3}},  {{3, 4, 5, 6}, {-4, -2}}, {{4096, 33}, {0}},  {{3, 5000}, {1}},
    {{5000, 3}, {0}},        {{2, 3000, 5}, {1}},  {{70001}, {}},          {{64, 1100}, {0}},
    {{100, 300}, {-1}},
};
const std::vector<Case> kEmptyCases = {{{0, 3}, {0}}, {{0, 3}, {1}}, {{3, 0}, {1}}, {{3, 0}, {}}};

// Sorted, wrapped reduction dims (empty = all).
Shape wrapped_dims(const Shape& dims, int64_t rank) {
  if (rank == 0) return {};
  Shape result;
  if (dims.empty()) {
    for (int64_t d = 0; d < rank; ++d) result.push_back(d);
    return result;
  }
  for (int64_t d : dims) result.push_back(d < 0 ? d + rank : d);
  std::sort(result.begin(), result.end());
  return result;
}

Shape reduced_shape(const Shape& sizes, const Shape& dims, bool keepdim) {
  Shape result;
  for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); ++d) {
    const bool reduced = std::find(dims.begin(), dims.end(), d) != dims.end();
    if (!reduced) result.push_back(sizes[d]);
    if (reduced && keepdim) result.push_back(1);
  }
  return result;
}

// fold(acc, value) over the reduced dims of x, starting from `init`, in row-major order of the output.
std::vector<double> reference_reduce(const Tensor& x, const Shape& dims, double init,
                                     const std::function<double(double, double)>& fold) {
  const Shape wrapped = wrapped_dims(dims, x.dim());
  const Shape out_sizes = reduced_shape(x.sizes(), wrapped, true);
  std::vector<double> out(static_cast<size_t>(numel_of(out_sizes)), init);
  // Output stride of each input dim (0 for reduced dims), walked with a row-major index.
  Shape out_strides = contiguous_strides(out_sizes);
  for (int64_t d : wrapped) out_strides[d] = 0;
  const std::vector<double> values = to_doubles(x);
  Shape index(static_cast<size_t>(x.dim()), 0);
  int64_t flat = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    out[flat] = fold(out[flat], values[i]);
    for (int64_t d = x.dim(); d-- > 0;) {
      flat += out_strides[d];
      if (++index[d] < x.size(d)) break;
      flat -= out_strides[d] * x.size(d);
      index[d] = 0;
    }
  }
  return out;
}

double add(double a, double b) { return a + b; }
double nan_max(double a, double b) { return std::isnan(a) || std::isnan(b) ? kNaN : std::max(a, b); }
double nan_min(double a, double b) { return std::isnan(a) || std::isnan(b) ? kNaN : std::min(a, b); }

std::string describe(const Case& c, DType dtype, bool contiguous, bool keepdim) {
  return fmt::format("{} dims {} {} {} keepdim={}", shape_str(c.sizes), shape_str(c.dims), dtype_name(dtype),
                     contiguous ? "contiguous" : "non-contiguous", keepdim);
}

// Calls check(x, case, what) for every case, dtype, layout and keepdim.
void for_each_input(const std::vector<Case>& cases, const std::vector<DType>& dtypes, double low, double high,
                    const std::function<void(const Tensor&, const Case&, bool, const std::string&)>& check) {
  uint64_t seed = 1;
  for (const Case& c : cases) {
    for (DType dtype : dtypes) {
      const Tensor x = random_tensor(c.sizes, dtype, seed++, low, high);
      for (bool contiguous : {true, false}) {
        const Tensor input = contiguous ? x : make_noncontiguous(x);
        for (bool keepdim : {false, true}) check(input, c, keepdim, describe(c, dtype, contiguous, keepdim));
      }
    }
  }
}

// Floating sums are compared with an error bound that scales with sum |x|
// (what a float accumulation can guarantee), not with |sum|, which may cancel.
void expect_sum_near(const Tensor& actual, const Tensor& x, const Shape& dims, const std::string& what) {
  const std::vector<double> expected = reference_reduce(x, dims, 0, add);
  const std::vector<double> magnitude =
      reference_reduce(x, dims, 0, [](double acc, double v) { return acc + std::abs(v); });
  const std::vector<double> got = to_doubles(actual);
  ASSERT_EQ(got.size(), expected.size()) << what;
  const double rtol = rtol_for(actual.dtype());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], expected[i], rtol * magnitude[i] + atol_for(actual.dtype())) << what << " element " << i;
  }
}

// ---- sum / prod -------------------------------------------------------------

TEST(Sum, MatchesReferenceForEveryDtypeShapeAndLayout) {
  for_each_input(kCases, kAllDTypes, -2, 2, [](const Tensor& x, const Case& c, bool keepdim, const std::string& what) {
    const Tensor result = ops::sum(x, c.dims, keepdim);
    EXPECT_EQ(result.sizes(), reduced_shape(x.sizes(), wrapped_dims(c.dims, x.dim()), keepdim)) << what;
    EXPECT_EQ(result.dtype(), is_floating(x.dtype()) ? x.dtype() : DType::i64) << what;
    expect_sum_near(result, x, c.dims, what);
  });
}

TEST(Sum, OverAnEmptyDimIsZero) {
  for_each_input(kEmptyCases, kAllDTypes, -2, 2, [](const Tensor& x, const Case& c, bool keepdim, const std::string& what) {
    const Tensor result = ops::sum(x, c.dims, keepdim);
    EXPECT_EQ(result.sizes(), reduced_shape(x.sizes(), wrapped_dims(c.dims, x.dim()), keepdim)) << what;
    expect_values_near(result, reference_reduce(x, c.dims, 0, add), 0, 0, what);
  });
}

TEST(Sum, OfExpandedInputCountsEveryRepeat) {
  const Tensor row = random_tensor({1, 5}, DType::f32, 7);
  const Tensor expanded = ops::expand(row, {300, 5});  // stride 0 along dim 0
  expect_sum_near(ops::sum(expanded, {0}), expanded, {0}, "expanded dim 0");
  expect_sum_near(ops::sum(expanded), expanded, {}, "expanded all");
}

TEST(Sum, OfSteppedSliceWithNoUnitStride) {
  const Tensor base = random_tensor({40, 60}, DType::f32, 8);
  const Tensor stepped = ops::slice(ops::slice(base, 0, 0, 40, 3), 1, 1, 60, 2);
  for (const Shape& dims : {Shape{}, Shape{0}, Shape{1}}) {
    expect_sum_near(ops::sum(stepped, dims), stepped, dims, "stepped " + shape_str(dims));
  }
}

TEST(Sum, OfManyFloatsKeepsFloatAccuracy) {
  // 2^22 values near 1: a naive float running sum drifts by ~1e-3 relative here.
  const Tensor x = random_tensor({1 << 22}, DType::f32, 9, 0.5, 1.5);
  const double expected = reference_reduce(x, {}, 0, add)[0];
  EXPECT_NEAR(ops::sum(x).item<double>(), expected, rtol_for(DType::f32) * expected);
}

TEST(Prod, MatchesReferenceForEveryDtype) {
  // Values in [-1, 2) keep integer products in {-1, 0, 1} and float products in range.
  const std::vector<Case> cases = {{{2, 3, 4}, {}},   {{2, 3, 4}, {1}}, {{5, 7}, {-1}}, {{6, 5}, {0}},
                                   {{}, {}},          {{3, 1}, {1}},    {{2, 8, 3}, {0, 2}}};
  for_each_input(cases, kAllDTypes, -1, 2, [](const Tensor& x, const Case& c, bool keepdim, const std::string& what) {
    const Tensor result = ops::prod(x, c.dims, keepdim);
    EXPECT_EQ(result.dtype(), is_floating(x.dtype()) ? x.dtype() : DType::i64) << what;
    const std::vector<double> expected =
        reference_reduce(x, c.dims, 1, [](double acc, double v) { return acc * v; });
    expect_values_near(result, expected, rtol_for(result.dtype()), atol_for(result.dtype()), what);
  });
}

TEST(Prod, OverAnEmptyDimIsOne) {
  const Tensor x = ops::zeros({0, 3});
  expect_values_near(ops::prod(x, {0}), {1, 1, 1}, 0, 0, "prod over empty dim");
}

// ---- amax / amin ------------------------------------------------------------

TEST(Amax, MatchesReferenceForEveryDtypeShapeAndLayout) {
  for_each_input(kCases, kAllDTypes, -100, 100, [](const Tensor& x, const Case& c, bool keepdim,
                                                   const std::string& what) {
    const Tensor max = ops::amax(x, c.dims, keepdim);
    const Tensor min = ops::amin(x, c.dims, keepdim);
    EXPECT_EQ(max.dtype(), x.dtype()) << what;
    EXPECT_EQ(max.sizes(), reduced_shape(x.sizes(), wrapped_dims(c.dims, x.dim()), keepdim)) << what;
    expect_values_near(max, reference_reduce(x, c.dims, -kInf, nan_max), 0, 0, what);
    expect_values_near(min, reference_reduce(x, c.dims, kInf, nan_min), 0, 0, what);
  });
}

TEST(Amax, PropagatesNaN) {
  for (int64_t length : {5, 300, 5000}) {  // tail loop, vector lanes, several blocks
    std::vector<float> values(static_cast<size_t>(length), 1.0f);
    values[length / 2] = std::numeric_limits<float>::quiet_NaN();
    values[length - 1] = 1000.0f;  // a larger number after the NaN must not replace it
    const Tensor x = ops::from_vector(values);
    EXPECT_TRUE(std::isnan(ops::amax(x).item<double>())) << length;
    EXPECT_TRUE(std::isnan(ops::amin(x).item<double>())) << length;
    const Tensor column = ops::reshape(x, {length, 1});  // the outer (row-accumulating) loop
    EXPECT_TRUE(std::isnan(ops::amax(column, {0}).item<double>())) << length;
  }
}

TEST(Amax, OverAnEmptyDimThrowsNamingOpAndShape) {
  const Tensor x = ops::zeros({0, 3});
  try {
    ops::amax(x, {0});
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("amax"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("(0, 3)"), std::string::npos) << error.what();
  }
  EXPECT_THROW(ops::amin(x), ValueError);
  EXPECT_EQ(ops::amax(x, {1}).sizes(), Shape{0});  // reducing a non-empty dim of an empty tensor is fine
}

// ---- all / any --------------------------------------------------------------

TEST(AllAny, MatchReferenceAndReturnBool) {
  for_each_input(kCases, {DType::b8, DType::f32, DType::i32}, -1, 1.2,
                 [](const Tensor& x, const Case& c, bool keepdim, const std::string& what) {
                   const Tensor all = ops::all(x, c.dims, keepdim);
                   const Tensor any = ops::any(x, c.dims, keepdim);
                   EXPECT_EQ(all.dtype(), DType::b8) << what;
                   EXPECT_EQ(any.dtype(), DType::b8) << what;
                   expect_values_near(all, reference_reduce(x, c.dims, 1, [](double a, double v) {
                                        return static_cast<double>(a != 0 && v != 0);
                                      }), 0, 0, what);
                   expect_values_near(any, reference_reduce(x, c.dims, 0, [](double a, double v) {
                                        return static_cast<double>(a != 0 || v != 0);
                                      }), 0, 0, what);
                 });
}

TEST(AllAny, OverAnEmptyDimAreTrueAndFalse) {
  const Tensor x = ops::zeros({0, 2}, {.dtype = DType::b8});
  expect_values_near(ops::all(x, {0}), {1, 1}, 0, 0, "all");
  expect_values_near(ops::any(x, {0}), {0, 0}, 0, 0, "any");
}

// ---- composites: mean, var, std, logsumexp, norm ----------------------------

TEST(Mean, MatchesReferenceForFloatDtypes) {
  for_each_input(kCases, kFloatDTypes, -2, 2, [](const Tensor& x, const Case& c, bool keepdim, const std::string& what) {
    const Tensor result = ops::mean(x, c.dims, keepdim);
    EXPECT_EQ(result.dtype(), x.dtype()) << what;
    int64_t count = 1;
    for (int64_t d : wrapped_dims(c.dims, x.dim())) count *= x.size(d);
    std::vector<double> expected = reference_reduce(x, c.dims, 0, add);
    std::vector<double> magnitude = reference_reduce(x, c.dims, 0, [](double a, double v) { return a + std::abs(v); });
    const std::vector<double> got = to_doubles(result);
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], expected[i] / count, rtol_for(x.dtype()) * magnitude[i] / count + atol_for(x.dtype()))
          << what;
    }
  });
}

TEST(Mean, OfEmptyIsNaN) {
  EXPECT_TRUE(std::isnan(ops::mean(ops::zeros({0})).item<double>()));
}

TEST(Mean, OfIntegersThrowsLikePyTorch) {
  const Tensor x = ops::arange(6);
  try {
    ops::mean(x);
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("mean(): could not infer output dtype"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("int64"), std::string::npos);
  }
}

// var over dims with Bessel's correction when unbiased, in double.
std::vector<double> reference_var(const Tensor& x, const Shape& dims, bool unbiased) {
  int64_t count = 1;
  for (int64_t d : wrapped_dims(dims, x.dim())) count *= x.size(d);
  const std::vector<double> sum = reference_reduce(x, dims, 0, add);
  const std::vector<double> sum_sq = reference_reduce(x, dims, 0, [](double a, double v) { return a + v * v; });
  std::vector<double> var(sum.size());
  for (size_t i = 0; i < var.size(); ++i) {
    const double mean = sum[i] / count;
    var[i] = (sum_sq[i] - count * mean * mean) / static_cast<double>(count - (unbiased ? 1 : 0));
  }
  return var;
}

TEST(Var, MatchesReferenceBiasedAndUnbiased) {
  const std::vector<Case> cases = {{{2, 3, 4}, {}}, {{2, 3, 4}, {1}}, {{7, 9}, {-1}}, {{300, 20}, {0}},
                                   {{3, 4, 5}, {0, 2}}};
  for_each_input(cases, kFloatDTypes, -2, 2, [](const Tensor& x, const Case& c, bool keepdim, const std::string& what) {
    for (bool unbiased : {true, false}) {
      const std::vector<double> expected = reference_var(x, c.dims, unbiased);
      // Variance is ~1.3 here: relative tolerances apply directly (16-bit inputs compute in float).
      expect_values_near(ops::var(x, c.dims, unbiased, keepdim), expected, rtol_for(x.dtype()),
                         atol_for(x.dtype()), what);
      std::vector<double> expected_std = expected;
      for (double& v : expected_std) v = std::sqrt(v);
      expect_values_near(ops::std(x, c.dims, unbiased, keepdim), expected_std, rtol_for(x.dtype()),
                         atol_for(x.dtype()), what);
    }
  });
}

TEST(Var, IsStableForALargeMean) {
  // E[x^2] - E[x]^2 would lose every digit here in float.
  const Tensor x = ops::add(random_tensor({1000}, DType::f32, 3, -1, 1), 1e4);
  expect_values_near(ops::var(x), reference_var(x, {}, true), 1e-4, 0, "large mean");
}

TEST(Var, OfOneElementUnbiasedIsNaN) {
  EXPECT_TRUE(std::isnan(ops::var(ops::ones({1})).item<double>()));
  EXPECT_EQ(ops::var(ops::ones({1}), {}, false).item<double>(), 0.0);
}

TEST(Var, OfIntegersThrows) { EXPECT_THROW(ops::var(ops::arange(4)), ValueError); }

TEST(Logsumexp, MatchesReference) {
  const std::vector<Case> cases = {{{2, 3, 4}, {1}}, {{7, 9}, {-1}}, {{300, 20}, {0}}, {{3, 4, 5}, {0, 2}},
                                   {{5}, {0}}};
  for_each_input(cases, kFloatDTypes, -5, 5, [](const Tensor& x, const Case& c, bool keepdim, const std::string& what) {
    std::vector<double> expected =
        reference_reduce(x, c.dims, 0, [](double acc, double v) { return acc + std::exp(v); });
    for (double& v : expected) v = std::log(v);
    expect_values_near(ops::logsumexp(x, c.dims, keepdim), expected, rtol_for(x.dtype()), atol_for(x.dtype()),
                       what);
  });
}

TEST(Logsumexp, DoesNotOverflowOrBreakOnInfinities) {
  const Tensor x = ops::from_vector<double>({1000, 1000, -kInf, -kInf, -kInf, 3, kInf, 0}, {4, 2});
  expect_values_near(ops::logsumexp(x, {1}), {1000 + std::log(2.0), -kInf, 3, kInf}, rtol_for(DType::f64),
                     atol_for(DType::f64), "infinities");
}

TEST(Logsumexp, OfIntegersIsFloat32) {
  const Tensor result = ops::logsumexp(ops::arange(3), {0});
  EXPECT_EQ(result.dtype(), DType::f32);
  EXPECT_NEAR(result.item<double>(), std::log(1 + std::exp(1.0) + std::exp(2.0)), 1e-5);
}

TEST(Norm, MatchesReferenceForEveryP) {
  const std::vector<Case> cases = {{{2, 3, 4}, {}}, {{7, 9}, {-1}}, {{300, 20}, {0}}, {{3, 4, 5}, {0, 2}}};
  for (double p : {2.0, 1.0, kInf, -kInf, 3.0, 1.5, 0.0}) {
    for_each_input(cases, kFloatDTypes, -2, 2, [p](const Tensor& x, const Case& c, bool keepdim,
                                                   const std::string& what) {
      std::vector<double> expected;
      if (std::isinf(p)) {
        expected = reference_reduce(x, c.dims, p > 0 ? 0 : kInf, [p](double a, double v) {
          return p > 0 ? std::max(a, std::abs(v)) : std::min(a, std::abs(v));
        });
      } else if (p == 0) {
        expected = reference_reduce(x, c.dims, 0, [](double a, double v) { return a + (v != 0); });
      } else {
        expected = reference_reduce(x, c.dims, 0, [p](double a, double v) { return a + std::pow(std::abs(v), p); });
        for (double& v : expected) v = std::pow(v, 1 / p);
      }
      const double rtol = rtol_for(x.dtype());
      expect_values_near(ops::norm(x, p, c.dims, keepdim), expected, rtol, atol_for(x.dtype()),
                         what + fmt::format(" p={}", p));
    });
  }
}

// ---- argmax / argmin / max / min --------------------------------------------

// (index along dim of the first max/min, NaN winning) for each output of x along `dim`.
std::vector<double> reference_arg(const Tensor& x, int64_t dim, bool is_max) {
  const std::vector<double> values = to_doubles(x);
  Shape out_sizes = x.sizes();
  out_sizes[dim] = 1;
  std::vector<double> best(static_cast<size_t>(numel_of(out_sizes)), 0), index(best.size(), -1);
  for (int64_t i = 0; i < x.numel(); ++i) {
    Shape position = unravel(i, x.sizes());
    const int64_t k = position[dim];
    position[dim] = 0;
    int64_t flat = 0;
    for (size_t d = 0; d < position.size(); ++d) flat = flat * out_sizes[d] + position[d];
    const double v = values[i];
    const bool take = index[flat] < 0 || (!std::isnan(best[flat]) && (std::isnan(v) || (is_max ? v > best[flat]
                                                                                                : v < best[flat])));
    if (take) {
      best[flat] = v;
      index[flat] = static_cast<double>(k);
    }
  }
  return index;
}

TEST(Argmax, MatchesReferenceWithTiesForEveryDtype) {
  // Integer-valued data in [-3, 3) has many ties: the first index must win.
  const std::vector<std::pair<Shape, int64_t>> cases = {
      {{2, 3, 4}, 1}, {{2, 3, 4}, -1}, {{2, 3, 4}, 0}, {{37}, 0},      {{5, 1, 7}, 1},
      {{3, 5000}, 1}, {{5000, 3}, 0},  {{2, 3000, 5}, 1}, {{1, 70001}, 1}, {{64, 1100}, 0}};
  uint64_t seed = 100;
  for (const auto& [sizes, dim] : cases) {
    for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8}) {
      const Tensor x = ops::to_dtype(ops::floor(random_tensor(sizes, DType::f64, seed++, -3, 3)), dtype);
      for (bool contiguous : {true, false}) {
        const Tensor input = contiguous ? x : make_noncontiguous(x);
        const std::string what = fmt::format("{} dim {} {} {}", shape_str(sizes), dim, dtype_name(dtype),
                                             contiguous ? "contiguous" : "non-contiguous");
        const int64_t wrapped = dim < 0 ? dim + x.dim() : dim;
        const Tensor argmax = ops::argmax(input, dim, true);
        EXPECT_EQ(argmax.dtype(), DType::i64) << what;
        expect_values_near(argmax, reference_arg(x, wrapped, true), 0, 0, what);
        expect_values_near(ops::argmin(input, dim, true), reference_arg(x, wrapped, false), 0, 0, what);
        const auto [values, indices] = ops::max(input, dim);
        expect_values_near(indices, reference_arg(x, wrapped, true), 0, 0, what);
        expect_values_near(values, reference_reduce(x, {dim}, -kInf, nan_max), 0, 0, what);
        const auto [min_values, min_indices] = ops::min(input, dim, true);
        expect_values_near(min_indices, reference_arg(x, wrapped, false), 0, 0, what);
        expect_values_near(min_values, reference_reduce(x, {dim}, kInf, nan_min), 0, 0, what);
      }
    }
  }
}

TEST(Argmax, NaNIsBothTheMaxAndTheMin) {
  for (int64_t length : {5, 300, 70001}) {  // tail only, vector lanes, split over threads
    std::vector<float> values(static_cast<size_t>(length), 0.0f);
    values[length / 3] = std::numeric_limits<float>::quiet_NaN();
    values[length / 2] = std::numeric_limits<float>::quiet_NaN();
    values[length - 1] = 5;
    const Tensor x = ops::from_vector(values);
    EXPECT_EQ(ops::argmax(x).item<int64_t>(), length / 3) << length;
    EXPECT_EQ(ops::argmin(x).item<int64_t>(), length / 3) << length;
    const auto [max, index] = ops::max(ops::reshape(x, {length, 1}), 0);  // the outer loop
    EXPECT_TRUE(std::isnan(max.item<double>())) << length;
    EXPECT_EQ(index.item<int64_t>(), length / 3) << length;
  }
}

TEST(Argmax, WithoutDimIndexesTheFlattenedTensor) {
  const Tensor x = ops::from_vector<float>({1, 9, 3, 9, -4, 2}, {2, 3});
  EXPECT_EQ(ops::argmax(x).item<int64_t>(), 1);
  EXPECT_EQ(ops::argmin(ops::t(x)).item<int64_t>(), 3);  // t(x) flattened: 1 9 9 -4 3 2
  EXPECT_EQ(ops::argmax(x).dim(), 0);
  EXPECT_EQ(ops::argmax(x, std::nullopt, true).sizes(), (Shape{1, 1}));
}

TEST(Argmax, OfZeroDimTensorIsZero) {
  const Tensor x = ops::scalar_tensor(3.5);
  EXPECT_EQ(ops::argmax(x).item<int64_t>(), 0);
  EXPECT_EQ(ops::argmax(x, 0).item<int64_t>(), 0);
  EXPECT_EQ(ops::max(x, -1).first.item<double>(), 3.5);
}

TEST(Argmax, OfEmptyThrowsNamingOpAndShape) {
  const Tensor x = ops::zeros({2, 0});
  for (auto call : {std::function<void()>([&] { ops::argmax(x); }), std::function<void()>([&] { ops::argmin(x, 1); }),
                    std::function<void()>([&] { ops::max(x, 1); })}) {
    try {
      call();
      FAIL() << "expected ValueError";
    } catch (const ValueError& error) {
      EXPECT_NE(std::string(error.what()).find("(2, 0)"), std::string::npos) << error.what();
    }
  }
  EXPECT_EQ(ops::argmax(x, 0).sizes(), Shape{0});
}

// ---- argument errors ----------------------------------------------------------

TEST(ReduceErrors, DimOutOfRangeIsIndexError) {
  const Tensor x = ops::zeros({2, 3});
  EXPECT_THROW(ops::sum(x, {2}), IndexError);
  EXPECT_THROW(ops::amax(x, {-3}), IndexError);
  EXPECT_THROW(ops::argmax(x, 2), IndexError);
}

TEST(ReduceErrors, RepeatedDimThrowsNamingTheOp) {
  try {
    ops::sum(ops::zeros({2, 3}), {1, -1});
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("sum"), std::string::npos) << error.what();
  }
}

TEST(ReduceErrors, FloatOnlyOpsRejectIntegers) {
  EXPECT_THROW(ops::norm(ops::arange(3)), ValueError);
  EXPECT_THROW(ops::std(ops::arange(3)), ValueError);
}

}  // namespace
}  // namespace mini
