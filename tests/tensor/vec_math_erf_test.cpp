// erfc_f32 / erf_f32 (tensor/cpu/vec_math.h, the vectorisable GELU math)
// against libm in double: relative error swept densely over the range where
// the results are normal floats, plus the special values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tensor/cpu/vec_math.h"

namespace mini::cpu {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Worst relative error of f against reference on `count` points over [low, high].
template <typename F, typename R>
double max_relative_error(F f, R reference, double low, double high, int count = 400001) {
  double worst = 0;
  for (int i = 0; i < count; ++i) {
    const float x = static_cast<float>(low + (high - low) * i / (count - 1));
    const double expected = reference(static_cast<double>(x));
    if (expected == 0) continue;
    worst = std::max(worst, std::abs(static_cast<double>(f(x)) - expected) / std::abs(expected));
  }
  return worst;
}

TEST(VecMathErf, ErfcKeepsRelativeAccuracyIntoBothTails) {
  // Cephes erfcf's fits are good to ~1e-6; exp(-x^2) with x^2's rounding
  // folded back in keeps the far tail (x = 9: erfc ~ 4e-37) as accurate.
  EXPECT_LE(max_relative_error(
                erfc_f32, [](double x) { return std::erfc(x); }, -9, 9),
            2e-6);
  EXPECT_LE(max_relative_error(
                erfc_f32, [](double x) { return std::erfc(x); }, 0.9, 2.1),
            2e-6);  // the seams
  EXPECT_EQ(erfc_f32(0.0f), 1.0f);
  EXPECT_EQ(erfc_f32(kInf), 0.0f);
  EXPECT_EQ(erfc_f32(-kInf), 2.0f);
  EXPECT_EQ(erfc_f32(30.0f), 0.0f);
  EXPECT_TRUE(std::isnan(erfc_f32(std::numeric_limits<float>::quiet_NaN())));
}

TEST(VecMathErf, ErfIsAccurateNearZeroAndSaturates) {
  EXPECT_LE(max_relative_error(
                erf_f32, [](double x) { return std::erf(x); }, -6, 6),
            1e-6);
  EXPECT_LE(max_relative_error(
                erf_f32, [](double x) { return std::erf(x); }, -1e-6, 1e-6),
            1e-6);
  EXPECT_EQ(erf_f32(kInf), 1.0f);
  EXPECT_EQ(erf_f32(-kInf), -1.0f);
  EXPECT_TRUE(std::isnan(erf_f32(std::numeric_limits<float>::quiet_NaN())));
}

}  // namespace
}  // namespace mini::cpu
