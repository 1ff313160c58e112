#pragma once
// 16-bit floating-point storage types: Half (IEEE binary16) and BFloat16.
// Arithmetic is done in float; conversions from float round to nearest, ties
// to even, exactly as the hardware (F16C, CUDA's __float2half_rn) does.
#include <bit>
#include <cstdint>
#include <limits>

namespace mini {

namespace detail {

inline uint16_t float_to_half_bits(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {  // Inf stays Inf; NaN keeps its top payload bits and becomes quiet.
    return static_cast<uint16_t>(sign | (magnitude > 0x7f800000u ? 0x7e00u | ((magnitude >> 13) & 0x3ffu) : 0x7c00u));
  }
  if (magnitude >= 0x477ff000u) {  // >= 65520 rounds past the largest half (65504).
    return static_cast<uint16_t>(sign | 0x7c00u);
  }
  if (magnitude < 0x38800000u) {
    // Below 2^-14 the result is subnormal. Adding 0.5f puts the half's ulp
    // (2^-24) at the float's ulp for [0.5, 1), so the FPU does the
    // round-to-nearest-even for us.
    const float shifted = std::bit_cast<float>(magnitude) + 0.5f;
    return static_cast<uint16_t>(sign | (std::bit_cast<uint32_t>(shifted) - 0x3f000000u));
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even.
  const uint32_t mantissa_odd = (magnitude >> 13) & 1u;
  magnitude += 0xc8000fffu + mantissa_odd;
  return static_cast<uint16_t>(sign | (magnitude >> 13));
}

inline float half_bits_to_float(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  const uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1fu) {  // Inf or NaN (NaN made quiet, as F16C does)
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa ? 0x400000u | (mantissa << 13) : 0u));
  }
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

inline uint16_t float_to_bfloat16_bits(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep it NaN (rounding could carry it into Inf)
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  }
  const uint32_t lsb = (bits >> 16) & 1u;
  return static_cast<uint16_t>((bits + 0x7fffu + lsb) >> 16);
}

inline float bfloat16_bits_to_float(uint16_t bf16) {
  return std::bit_cast<float>(static_cast<uint32_t>(bf16) << 16);
}

}  // namespace detail

struct Half {
  uint16_t bits = 0;

  Half() = default;
  Half(float value) : bits(detail::float_to_half_bits(value)) {}  // NOLINT: implicit like a float
  static constexpr Half from_bits(uint16_t raw) {
    Half h;
    h.bits = raw;
    return h;
  }
  operator float() const { return detail::half_bits_to_float(bits); }  // NOLINT
};

struct BFloat16 {
  uint16_t bits = 0;

  BFloat16() = default;
  BFloat16(float value) : bits(detail::float_to_bfloat16_bits(value)) {}  // NOLINT
  static constexpr BFloat16 from_bits(uint16_t raw) {
    BFloat16 b;
    b.bits = raw;
    return b;
  }
  operator float() const { return detail::bfloat16_bits_to_float(bits); }  // NOLINT
};

static_assert(sizeof(Half) == 2 && sizeof(BFloat16) == 2);

}  // namespace mini
