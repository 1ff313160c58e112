#pragma once
// Inner loops shared by the CPU's elementwise kernels (unary.cpp, binary.cpp).
//
// for_each_element (strided_loop.h) hands each loop runs of n elements. The
// loops here pick a specialisation per run: every operand contiguous, or one
// input a broadcast scalar (byte stride 0) with the rest contiguous; those are
// plain indexed loops that GCC vectorises. Anything else takes the general
// strided loop. The functor f maps compute_t<In> values to the result.
//
// 16-bit floats are widened to float in blocks on the stack, so the math
// itself still runs on float vectors (F16C converts 8 halves per instruction).
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <type_traits>

#include "tensor/cpu/strided_loop.h"
#include "tensor/dtype.h"

namespace mini::cpu {

template <typename T>
inline constexpr bool is_16bit_float = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// Elements per stack block for 16-bit dtypes: 2 KiB of floats stays in L1.
inline constexpr int64_t kConvertBlock = 512;

// ---- block conversions between storage and compute types ------------------
template <typename T>
inline void load_block(const T* in, compute_t<T>* out, int64_t n) {
  if constexpr (std::is_same_v<T, Half>) {
    int64_t i = 0;
    // NOTE: F16C's 8-wide forms; GCC 12's 512-bit intrinsics trip -Wmaybe-uninitialized.
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8) {
      _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
    }
#endif
    for (; i < n; ++i) out[i] = static_cast<float>(in[i]);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    for (int64_t i = 0; i < n; ++i) out[i] = std::bit_cast<float>(static_cast<uint32_t>(in[i].bits) << 16);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = in[i];
  }
}

template <typename T>
inline void store_block(const compute_t<T>* in, T* out, int64_t n) {
  if constexpr (std::is_same_v<T, Half>) {
    int64_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                       _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT));
    }
#endif
    for (; i < n; ++i) out[i] = Half(in[i]);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    // The same rounding as BFloat16(float), written branch-free so it vectorises.
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t bits = std::bit_cast<uint32_t>(in[i]);
      const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
      const uint32_t quiet_nan = (bits >> 16) | 0x40u;
      out[i].bits = static_cast<uint16_t>((bits & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(in[i]);
  }
}

// ---- unary: out = f(in) ---------------------------------------------------
template <typename Out, typename In, typename F>
inline void unary_contiguous(Out* out, const In* in, int64_t n, const F& f) {
  if constexpr (is_16bit_float<In> || is_16bit_float<Out>) {
    compute_t<In> values[kConvertBlock];
    compute_t<Out> results[kConvertBlock];
    for (int64_t start = 0; start < n; start += kConvertBlock) {
      const int64_t count = std::min(kConvertBlock, n - start);
      load_block(in + start, values, count);
      for (int64_t i = 0; i < count; ++i) results[i] = f(values[i]);
      store_block(results, out + start, count);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(f(in[i]));
  }
}

// The loop for for_each_element<2>({&out, &in}, ...).
template <typename Out, typename In, typename F>
auto unary_loop(F f) {
  return [f](char* const* data, const int64_t* strides, int64_t n) {
    if (strides[0] == sizeof(Out) && strides[1] == sizeof(In)) {
      unary_contiguous(reinterpret_cast<Out*>(data[0]), reinterpret_cast<const In*>(data[1]), n, f);
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const auto value = static_cast<compute_t<In>>(*reinterpret_cast<const In*>(data[1] + i * strides[1]));
      *reinterpret_cast<Out*>(data[0] + i * strides[0]) = static_cast<Out>(f(value));
    }
  };
}

// ---- binary: out = f(a, b) ------------------------------------------------
// kAScalar / kBScalar: that input is one value broadcast over the run.
template <bool kAScalar, bool kBScalar, typename Out, typename In, typename F>
inline void binary_contiguous(Out* out, const In* a, const In* b, int64_t n, const F& f) {
  using C = compute_t<In>;
  if constexpr (is_16bit_float<In> || is_16bit_float<Out>) {
    C a_values[kConvertBlock];
    C b_values[kConvertBlock];
    compute_t<Out> results[kConvertBlock];
    const C a_scalar = static_cast<C>(a[0]);
    const C b_scalar = static_cast<C>(b[0]);
    for (int64_t start = 0; start < n; start += kConvertBlock) {
      const int64_t count = std::min(kConvertBlock, n - start);
      if constexpr (!kAScalar) load_block(a + start, a_values, count);
      if constexpr (!kBScalar) load_block(b + start, b_values, count);
      for (int64_t i = 0; i < count; ++i) {
        results[i] = f(kAScalar ? a_scalar : a_values[i], kBScalar ? b_scalar : b_values[i]);
      }
      store_block(results, out + start, count);
    }
  } else {
    if constexpr (kAScalar) {
      const C a_scalar = a[0];
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(f(a_scalar, b[i]));
    } else if constexpr (kBScalar) {
      const C b_scalar = b[0];
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(f(a[i], b_scalar));
    } else {
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(f(a[i], b[i]));
    }
  }
}

// The loop for for_each_element<3>({&out, &a, &b}, ...).
template <typename Out, typename In, typename F>
auto binary_loop(F f) {
  return [f](char* const* data, const int64_t* strides, int64_t n) {
    auto* out = reinterpret_cast<Out*>(data[0]);
    const auto* a = reinterpret_cast<const In*>(data[1]);
    const auto* b = reinterpret_cast<const In*>(data[2]);
    constexpr int64_t kIn = sizeof(In);
    if (strides[0] == sizeof(Out)) {
      if (strides[1] == kIn && strides[2] == kIn) return binary_contiguous<false, false>(out, a, b, n, f);
      if (strides[1] == kIn && strides[2] == 0) return binary_contiguous<false, true>(out, a, b, n, f);
      if (strides[1] == 0 && strides[2] == kIn) return binary_contiguous<true, false>(out, a, b, n, f);
    }
    using C = compute_t<In>;
    for (int64_t i = 0; i < n; ++i) {
      const auto x = static_cast<C>(*reinterpret_cast<const In*>(data[1] + i * strides[1]));
      const auto y = static_cast<C>(*reinterpret_cast<const In*>(data[2] + i * strides[2]));
      *reinterpret_cast<Out*>(data[0] + i * strides[0]) = static_cast<Out>(f(x, y));
    }
  };
}

}  // namespace mini::cpu
