#pragma once
// Branch-free float math that GCC vectorises inside plain loops (glibc's
// expf/logf/tanhf are scalar calls that block vectorisation). Accurate to
// ~1-2 ulp. Special cases are handled with selects, never branches.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace mini::cpu {

// For the functions whose callers must inline them to vectorise: in a large
// kernel file (binary.cpp) GCC's growth limits otherwise leave erfc_f32 and
// exp_f32 as scalar calls inside the GELU loops (10x slower).
#if defined(__GNUC__)
#define MINI_VEC_INLINE inline __attribute__((always_inline))
#else
#define MINI_VEC_INLINE inline
#endif

// condition ? if_true : if_false through a bit mask. NOTE: GCC sinks the work
// feeding a plain ?: into a branch, and with -ftrapping-math (the default) it
// will not turn a branch holding float arithmetic back into a vector select.
inline float select_f32(bool condition, float if_true, float if_false) {
  const uint32_t mask = 0u - static_cast<uint32_t>(condition);
  return std::bit_cast<float>((std::bit_cast<uint32_t>(if_true) & mask) | (std::bit_cast<uint32_t>(if_false) & ~mask));
}

namespace detail {

// Cephes expf's pieces, shared by exp_f32 and exp_nonpositive_f32:
// exp(x) = 2^n * exp(r) with n = round(x / ln 2) and |r| <= ln 2 / 2.
inline constexpr float kExpLog2e = 1.44269504088896341f;
// NOTE: rounding by adding and subtracting 1.5 * 2^23 (std::floor blocks
// vectorisation: GCC only vectorises it under -fno-trapping-math).
inline constexpr float kExpRoundMagic = 12582912.0f;

// exp(x - n ln 2) with ln 2 split in two parts so the reduction is exact.
inline float exp_of_reduced(float x, float n) {
  constexpr float kLn2Hi = 0.693359375f;
  constexpr float kLn2Lo = -2.12194440e-4f;
  float r = x - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return p * r * r + r + 1.0f;
}

}  // namespace detail

// exp(x) for float. NOTE: x < -87 (results below about 1.6e-38, near the
// smallest normal float) flushes to 0; a denormal result is not worth a
// slower path for softmax and activations.
MINI_VEC_INLINE float exp_f32(float x) {
  using namespace detail;
  const float clamped = std::min(std::max(x, -87.0f), 88.7f);
  const float n = (clamped * kExpLog2e + kExpRoundMagic) - kExpRoundMagic;
  const float p = exp_of_reduced(clamped, n);
  // 2^n as two normal powers of two: n spans [-126, 128], and both 2^-126
  // and 2^128 lie outside the normal range (2^n in one step would flush
  // exp(-87..-86.6) to 0 and overflow near 88.7).
  const auto exponent = static_cast<int32_t>(n);
  const int32_t half = exponent >> 1;
  const float scale_low = std::bit_cast<float>(static_cast<uint32_t>(half + 127) << 23);
  const float scale_high = std::bit_cast<float>(static_cast<uint32_t>(exponent - half + 127) << 23);
  float result = p * scale_low * scale_high;
  result = select_f32(x > 88.72283905f, std::numeric_limits<float>::infinity(), result);
  result = select_f32(x < -87.0f, 0.0f, result);
  return select_f32(x != x, x, result);  // NaN in, NaN out
}

// exp(x) for x <= 0 or NaN, as softmax needs for x - max. Knowing the sign
// drops exp_f32's overflow handling, which made softmax's exp pass the
// bottleneck (softmax is otherwise memory-bound).
MINI_VEC_INLINE float exp_nonpositive_f32(float x) {
  using namespace detail;
  // Below -87.3, 2^n would leave the normal range; those results become 0 below.
  const float clamped = x < -87.3f ? -87.3f : x;  // NaN compares false and stays NaN
  const float shifted = clamped * kExpLog2e + kExpRoundMagic;
  const float n = shifted - kExpRoundMagic;
  const float p = exp_of_reduced(clamped, n);
  // n is in [-126, 0]: 2^n is (n + 127) in the exponent field, which the
  // rounding trick left in the low mantissa bits of `shifted`.
  const int32_t exponent = std::bit_cast<int32_t>(shifted) - std::bit_cast<int32_t>(kExpRoundMagic) + 127;
  const float result = p * std::bit_cast<float>(exponent << 23);
  return x < -87.3f ? 0.0f : result;  // NaN propagates through p
}

// log(x) for float (Cephes logf): x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
// log(m) by a polynomial in m - 1, so results near x = 1 keep full relative accuracy.
inline float log_f32(float x) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  // Scale denormals by 2^23 so the exponent field is meaningful.
  const bool denormal = x < std::numeric_limits<float>::min();
  const uint32_t bits = std::bit_cast<uint32_t>(select_f32(denormal, x * 8388608.0f, x));
  int32_t exponent = static_cast<int32_t>((bits >> 23) & 0xffu) - 126 - (denormal ? 23 : 0);
  float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f000000u);  // in [0.5, 1)
  const bool below = m < 0.707106781186547524f;
  exponent -= below ? 1 : 0;
  m = select_f32(below, m + m - 1.0f, m - 1.0f);
  const float e = static_cast<float>(exponent);
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  y += e * -2.12194440e-4f;  // ln 2 split in two so e * ln 2 adds no rounding error
  y += -0.5f * z;
  float result = m + y + e * 0.693359375f;
  result = select_f32(x == kInf, kInf, result);
  result = select_f32(x == 0.0f, -kInf, result);
  result = select_f32(x < 0.0f, std::numeric_limits<float>::quiet_NaN(), result);
  return select_f32(x != x, x, result);
}

// log(1 + x). NOTE: log_f32(1 + x) alone loses the low bits of a small x;
// scaling by x / ((1 + x) - 1) cancels the rounding of 1 + x (Goldberg's trick).
inline float log1p_f32(float x) {
  const float u = 1.0f + x;
  const float d = u - 1.0f;
  const float result = select_f32(d == 0.0f, x, log_f32(u) * (x / d));
  return select_f32(x == std::numeric_limits<float>::infinity(), x, result);
}

// tanh(x) for float (Cephes tanhf): a polynomial below |x| = 0.625, where
// 1 - 2 / (exp(2|x|) + 1) would cancel, and the exp form above it.
inline float tanh_f32(float x) {
  const float magnitude = std::abs(x);
  const float via_exp = std::copysign(1.0f - 2.0f / (exp_f32(2.0f * magnitude) + 1.0f), x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float via_polynomial = p * z * x + x;
  return select_f32(magnitude < 0.625f, via_polynomial, via_exp);  // NaN takes the exp path and stays NaN
}

// 1 / (1 + exp(-x)): exp(-x) overflows to inf for x < -88, giving 0 as it should.
inline float sigmoid_f32(float x) { return 1.0f / (1.0f + exp_f32(-x)); }

// erfc(x) for float (Cephes erfcf): 1 - x T(x^2) below |x| = 1, where
// erfc >= 0.157 so the subtraction loses nothing; above, exp(-x^2) / |x| * P(1/x^2)
// with one fit for 1 <= |x| < 2 and one beyond, reflected as 2 - erfc(|x|) for
// negative x. Relative error ~4e-6 (Cephes), small enough for GELU (glibc's
// erfcf is a scalar call that made GELU the slowest op of a transformer step).
// NOTE: exp(-x^2) takes x^2's rounding error lo as a factor (1 - lo): plain
// exp(-x * x) has a relative error of x^2 * 2^-24, 6e-6 at x = 10.
struct ErfcAndGaussian {
  float erfc;      // erfc(x)
  float gaussian;  // exp(-x^2), which erfc_f32 computes on the way (0 beyond |x| = 10)
};

// T(z) with erf(x) = x T(x^2) for |x| < 1 (shared by erfc_f32 and erf_f32).
MINI_VEC_INLINE float erf_series_f32(float z) {
  float t = 7.853861353153693e-5f;
  t = t * z - 8.010193625184903e-4f;
  t = t * z + 5.188327685732524e-3f;
  t = t * z - 2.685381193529856e-2f;
  t = t * z + 1.128358514861418e-1f;
  t = t * z - 3.761262582423300e-1f;
  t = t * z + 1.128379165726710e+0f;
  return t;
}

MINI_VEC_INLINE ErfcAndGaussian erfc_and_gaussian_f32(float x) {
  const float magnitude = std::abs(x);
  const float z = x * x;
  const float t = erf_series_f32(z);
  const float near_zero = 1.0f - x * t;

  // Beyond |x| = 10, erfc is below float's range (the exp flushes it to 0);
  // clamping keeps inf out of the fma below (inf - inf would give NaN).
  // (A select, not std::min: GCC threads the constant 10 into a branch that blocks vectorisation.)
  const float clamped = select_f32(magnitude < 10.0f, magnitude, 10.0f);
  const float q = 1.0f / select_f32(magnitude < 1.0f, 1.0f, clamped);  // the branch not taken reads 1
  const float y = q * q;
  float p = 2.326819970068386e-2f;  // 1 <= |x| < 2
  p = p * y - 1.387039388740657e-1f;
  p = p * y + 3.687424674597105e-1f;
  p = p * y - 5.824733027278666e-1f;
  p = p * y + 6.210004621745983e-1f;
  p = p * y - 4.944515323274145e-1f;
  p = p * y + 3.404879937665872e-1f;
  p = p * y - 2.741127028184656e-1f;
  p = p * y + 5.638259427386472e-1f;
  float r = -1.047766399936249e+1f;  // |x| >= 2
  r = r * y + 1.297719955372516e+1f;
  r = r * y - 7.495518717768503e+0f;
  r = r * y + 2.921019019210786e+0f;
  r = r * y - 1.015265279202700e+0f;
  r = r * y + 4.218463358204948e-1f;
  r = r * y - 2.820767439740514e-1f;
  r = r * y + 5.641895067754075e-1f;
  const float square_hi = clamped * clamped;
  const float square_lo = std::fma(clamped, clamped, -square_hi);
  const float gaussian = exp_nonpositive_f32(-square_hi) * (1.0f - square_lo);
  float tail = gaussian * q * select_f32(magnitude < 2.0f, p, r);
  tail = select_f32(x < 0.0f, 2.0f - tail, tail);
  const float result = select_f32(magnitude < 1.0f, near_zero, tail);
  return {select_f32(x != x, x, result), gaussian};
}

MINI_VEC_INLINE float erfc_f32(float x) { return erfc_and_gaussian_f32(x).erfc; }

// erf(x) for float: x T(x^2) below |x| = 1 (as in erfc_f32, with full relative
// accuracy near 0), 1 - erfc(x) above.
MINI_VEC_INLINE float erf_f32(float x) {
  const float z = x * x;
  const float t = erf_series_f32(z);
  return select_f32(std::abs(x) < 1.0f, x * t, 1.0f - erfc_f32(x));
}

// floor, ceil and round-half-to-even for float. NOTE: std::floor & co. only
// vectorise under -fno-trapping-math. Floats of magnitude >= 2^23 are whole
// already (and inf/NaN pass through); copysign keeps the sign of zero results.
inline float floor_f32(float x) {
  const bool fractional = std::abs(x) < 8388608.0f;
  const float safe = select_f32(fractional, x, 0.0f);  // in int32 range, so the cast is defined
  const float truncated = static_cast<float>(static_cast<int32_t>(safe));
  const float floored = truncated - select_f32(truncated > safe, 1.0f, 0.0f);
  return select_f32(fractional, std::copysign(floored, x), x);
}

inline float ceil_f32(float x) {
  const bool fractional = std::abs(x) < 8388608.0f;
  const float safe = select_f32(fractional, x, 0.0f);
  const float truncated = static_cast<float>(static_cast<int32_t>(safe));
  const float ceiled = truncated + select_f32(truncated < safe, 1.0f, 0.0f);
  return select_f32(fractional, std::copysign(ceiled, x), x);
}

inline float round_half_even_f32(float x) {
  // Adding 2^23 leaves no fraction bits, so the FPU rounds to nearest even.
  const float magnitude = std::abs(x);
  const float rounded = (magnitude + 8388608.0f) - 8388608.0f;
  return select_f32(magnitude < 8388608.0f, std::copysign(rounded, x), x);
}

}  // namespace mini::cpu
