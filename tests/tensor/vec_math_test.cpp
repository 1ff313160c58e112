// The vectorisable float math of tensor/cpu/vec_math.h against libm in
// double, swept densely over each function's range (including the special
// values), in units of float32 rounding error.
#include "tensor/cpu/vec_math.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace mini::cpu {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Error of `got` in float32 ulps of the double reference.
double ulps(float got, double expected) {
  const double ulp = std::ldexp(1.0, std::ilogb(static_cast<float>(expected)) - 23);
  return std::abs(static_cast<double>(got) - expected) / ulp;
}

// Max ulp error of f against reference on `count` points spread over [low, high].
template <typename F, typename R>
double max_ulps(F f, R reference, double low, double high, int count = 200001) {
  double worst = 0;
  for (int i = 0; i < count; ++i) {
    const float x = static_cast<float>(low + (high - low) * i / (count - 1));
    const double expected = reference(static_cast<double>(x));
    if (expected == 0) continue;
    worst = std::max(worst, ulps(f(x), expected));
  }
  return worst;
}

TEST(VecMath, ExpIsWithinTwoUlps) {
  EXPECT_LE(max_ulps(
                exp_f32, [](double x) { return std::exp(x); }, -87, 88.7),
            2.0);
  EXPECT_EQ(exp_f32(0.0f), 1.0f);
  EXPECT_EQ(exp_f32(100.0f), kInf);
  EXPECT_EQ(exp_f32(-kInf), 0.0f);
  EXPECT_TRUE(std::isnan(exp_f32(kNaN)));
}

TEST(VecMath, NonPositiveExpIsWithinTwoUlpsAndFlushesBelowTheNormalRange) {
  EXPECT_LE(max_ulps([](float x) { return exp_nonpositive_f32(x); },
                     [](double x) { return std::exp(x); }, -87.0, 0.0),
            2.0);
  EXPECT_EQ(exp_nonpositive_f32(0.0f), 1.0f);
  EXPECT_EQ(exp_nonpositive_f32(-100.0f), 0.0f);
  EXPECT_EQ(exp_nonpositive_f32(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_TRUE(std::isnan(exp_nonpositive_f32(std::numeric_limits<float>::quiet_NaN())));
}

TEST(VecMath, LogIsWithinTwoUlpsFromDenormalsToTheLargestFloat) {
  double worst = 0;
  // Every 997th bit pattern of the positive floats, denormals included.
  for (uint32_t bits = 1; bits < 0x7f800000u; bits += 997) {
    const float x = std::bit_cast<float>(bits);
    const double expected = std::log(static_cast<double>(x));
    if (expected == 0) continue;
    worst = std::max(worst, ulps(log_f32(x), expected));
  }
  EXPECT_LE(worst, 2.0);
  EXPECT_LE(max_ulps(
                log_f32, [](double x) { return std::log(x); }, 0.5, 2.0),
            2.0);  // near 1: cancellation-prone
  EXPECT_EQ(log_f32(1.0f), 0.0f);
  EXPECT_EQ(log_f32(0.0f), -kInf);
  EXPECT_EQ(log_f32(kInf), kInf);
  EXPECT_TRUE(std::isnan(log_f32(-1.0f)));
  EXPECT_TRUE(std::isnan(log_f32(kNaN)));
}

TEST(VecMath, Log1pKeepsRelativeAccuracyForTinyArguments) {
  EXPECT_LE(max_ulps(
                log1p_f32, [](double x) { return std::log1p(x); }, -0.999, 100),
            3.0);
  EXPECT_LE(max_ulps(
                log1p_f32, [](double x) { return std::log1p(x); }, -1e-6, 1e-6),
            3.0);
  EXPECT_EQ(log1p_f32(-1.0f), -kInf);
  EXPECT_EQ(log1p_f32(kInf), kInf);
}

TEST(VecMath, TanhIsWithinThreeUlpsOnBothSidesOfTheBranchPoint) {
  EXPECT_LE(max_ulps(
                tanh_f32, [](double x) { return std::tanh(x); }, -12, 12),
            3.0);
  EXPECT_LE(max_ulps(
                tanh_f32, [](double x) { return std::tanh(x); }, -1e-3, 1e-3),
            3.0);
  EXPECT_EQ(tanh_f32(kInf), 1.0f);
  EXPECT_EQ(tanh_f32(-kInf), -1.0f);
  EXPECT_TRUE(std::isnan(tanh_f32(kNaN)));
}

TEST(VecMath, SigmoidIsWithinThreeUlps) {
  EXPECT_LE(max_ulps(
                sigmoid_f32, [](double x) { return 1 / (1 + std::exp(-x)); }, -80, 30),
            3.0);
  EXPECT_EQ(sigmoid_f32(-kInf), 0.0f);
  EXPECT_EQ(sigmoid_f32(kInf), 1.0f);
}

TEST(VecMath, FloorCeilRoundMatchLibmBitForBit) {
  // Every 1009th bit pattern of all floats (both signs, tiny, huge, inf, NaN),
  // plus the values around the integers where rounding decides.
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 1009) {
    const float x = std::bit_cast<float>(static_cast<uint32_t>(bits));
    if (std::isnan(x)) {
      ASSERT_TRUE(std::isnan(floor_f32(x)) && std::isnan(ceil_f32(x)) && std::isnan(round_half_even_f32(x)));
      continue;
    }
    ASSERT_EQ(std::bit_cast<uint32_t>(floor_f32(x)), std::bit_cast<uint32_t>(std::floor(x))) << x;
    ASSERT_EQ(std::bit_cast<uint32_t>(ceil_f32(x)), std::bit_cast<uint32_t>(std::ceil(x))) << x;
    ASSERT_EQ(std::bit_cast<uint32_t>(round_half_even_f32(x)), std::bit_cast<uint32_t>(std::nearbyint(x))) << x;
  }
  for (float x = -40.0f; x <= 40.0f; x += 0.25f) {
    for (float y : {std::nextafter(x, -100.0f), x, std::nextafter(x, 100.0f)}) {
      ASSERT_EQ(floor_f32(y), std::floor(y)) << y;
      ASSERT_EQ(ceil_f32(y), std::ceil(y)) << y;
      ASSERT_EQ(round_half_even_f32(y), std::nearbyint(y)) << y;
    }
  }
  EXPECT_EQ(round_half_even_f32(2.5f), 2.0f);
  EXPECT_EQ(round_half_even_f32(-3.5f), -4.0f);
}

}  // namespace
}  // namespace mini::cpu
