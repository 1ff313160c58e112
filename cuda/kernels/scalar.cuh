#pragma once
// Element types and conversions for kernels, for nvcc and the emulator alike.
//
// 16-bit floats are stored as raw bits (the emulator has no __half) and
// converted with the same bit recipes as tensor/half.h, here callable from
// device code. NOTE: they are copies of tensor/half.h's functions with host-
// device qualifiers; tests check both agree on every 16-bit pattern.
// Conversions follow mini::cpu::convert (tensor/cpu/convert.h) exactly.
#include <stdint.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "cuda/emu/simt.h"
#include "cuda/variant.h"

#if defined(__CUDACC__)
#define MINI_KERNEL_INLINE __host__ __device__ __forceinline__
#define MINI_DEVICE_INLINE __device__ __forceinline__
#else
#define MINI_KERNEL_INLINE inline
#define MINI_DEVICE_INLINE inline
#endif

MINI_CUDA_BEGIN_NAMESPACE

// Storage types of f16 and bf16 (mini::Half / mini::BFloat16 have the same layout).
struct half_bits {
  uint16_t bits;
};
struct bfloat16_bits {
  uint16_t bits;
};

MINI_KERNEL_INLINE uint32_t float_bits(float value) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(value);
#else
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
#endif
}

MINI_KERNEL_INLINE float bits_float(uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
#endif
}

MINI_KERNEL_INLINE uint16_t float_to_half_bits(float value) {
  const uint32_t bits = float_bits(value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {
    return static_cast<uint16_t>(sign | (magnitude > 0x7f800000u ? 0x7e00u | ((magnitude >> 13) & 0x3ffu) : 0x7c00u));
  }
  if (magnitude >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (magnitude < 0x38800000u) {
    // Adding 0.5f makes the FPU round to the half's subnormal ulp (see tensor/half.h).
    const float shifted = bits_float(magnitude) + 0.5f;
    return static_cast<uint16_t>(sign | (float_bits(shifted) - 0x3f000000u));
  }
  const uint32_t mantissa_odd = (magnitude >> 13) & 1u;
  magnitude += 0xc8000fffu + mantissa_odd;
  return static_cast<uint16_t>(sign | (magnitude >> 13));
}

MINI_KERNEL_INLINE float half_bits_to_float(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  const uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1fu) return bits_float(sign | 0x7f800000u | (mantissa ? 0x400000u | (mantissa << 13) : 0u));
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;  // 2^-24
    return sign ? -magnitude : magnitude;
  }
  return bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

MINI_KERNEL_INLINE uint16_t float_to_bfloat16_bits(float value) {
  const uint32_t bits = float_bits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  const uint32_t lsb = (bits >> 16) & 1u;
  return static_cast<uint16_t>((bits + 0x7fffu + lsb) >> 16);
}

MINI_KERNEL_INLINE float bfloat16_bits_to_float(uint16_t bits) { return bits_float(static_cast<uint32_t>(bits) << 16); }

// The type arithmetic runs in: float for the 16-bit floats, else T.
template <typename T>
struct compute_type {
  using type = T;
};
template <>
struct compute_type<half_bits> {
  using type = float;
};
template <>
struct compute_type<bfloat16_bits> {
  using type = float;
};
template <typename T>
using compute_t = typename compute_type<T>::type;

template <typename T>
inline constexpr bool is_floating_v = std::is_floating_point_v<compute_t<T>>;

// Storage -> compute type.
template <typename T>
MINI_KERNEL_INLINE compute_t<T> load(T value) {
  if constexpr (std::is_same_v<T, half_bits>) {
    return half_bits_to_float(value.bits);
  } else if constexpr (std::is_same_v<T, bfloat16_bits>) {
    return bfloat16_bits_to_float(value.bits);
  } else {
    return value;
  }
}

// Compute type (or any arithmetic value) -> storage, as a static_cast would.
template <typename T, typename C>
MINI_KERNEL_INLINE T store(C value) {
  if constexpr (std::is_same_v<T, half_bits>) {
    return half_bits{float_to_half_bits(static_cast<float>(value))};
  } else if constexpr (std::is_same_v<T, bfloat16_bits>) {
    return bfloat16_bits{float_to_bfloat16_bits(static_cast<float>(value))};
  } else {
    return static_cast<T>(value);
  }
}

// Any dtype to any dtype, exactly as mini::cpu::convert: floating to integer
// truncates (out of range or NaN gives the minimum, 0 for unsigned), anything
// to bool tests != 0, 16-bit floats go through float.
template <typename To, typename From>
MINI_KERNEL_INLINE To convert(From value) {
  using CFrom = compute_t<From>;
  using CTo = compute_t<To>;
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<To, bool>) {
    return load(value) != CFrom(0);
  } else if constexpr (std::is_integral_v<To> && !std::is_integral_v<CFrom>) {
    const CFrom wide = load(value);
    if (!(wide >= static_cast<CFrom>(std::numeric_limits<To>::min()) &&
          wide <= static_cast<CFrom>(std::numeric_limits<To>::max()))) {
      return std::is_signed_v<To> ? std::numeric_limits<To>::min() : To(0);
    }
    return static_cast<To>(wide);
  } else {
    return store<To>(static_cast<CTo>(load(value)));
  }
}

MINI_CUDA_END_NAMESPACE
