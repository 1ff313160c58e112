#pragma once
// One channel's im2col and its adjoint col2im, shared by the CPU convolution
// forward (conv.cpp) and backward (conv_backward.cpp) kernels.
//   im2col: plane (H, W) -> columns (kh*kw, oh*ow): row (ki, kj) holds, for
//           every output position, the input it multiplies by weight (ki, kj);
//   col2im: plane (H, W) += the columns summed back onto the positions they came from.
// Small convolutions (LeNet: 5x5 over 28x28 and 14x14) move rows of 10 to 28
// elements, so per-row overhead decides the speed: a memmove call per row, or
// a vectorised loop's prologue and epilogue, cost more than the row itself.
// The *_fast versions (float, stride 1 along W, AVX-512) build each row in
// registers from masked loads instead.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "tensor/backend.h"

namespace mini::cpu {

inline int64_t ceil_div_nonnegative(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

// The output columns [first, last) whose input column ix = ox * stride + offset lies in [0, in_size).
struct ValidRange {
  int64_t first, last;
};
inline ValidRange valid_columns(int64_t offset, int64_t stride, int64_t in_size, int64_t out_size) {
  const int64_t first = std::min(out_size, ceil_div_nonnegative(-offset, stride));
  const int64_t last = std::max(first, std::min(out_size, ceil_div_nonnegative(in_size - offset, stride)));
  return {first, last};
}

// NOTE: GCC turns these short copy/fill loops into memmove/memset calls
// (-ftree-loop-distribute-patterns), which is what made them slow.
#if defined(__GNUC__) && !defined(__clang__)
#define MINI_NO_LIBCALL_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define MINI_NO_LIBCALL_LOOPS
#endif

// One channel: plane (H, W) with the given element strides -> columns (kh*kw, oh*ow), contiguous.
template <typename T>
MINI_NO_LIBCALL_LOOPS void im2col_channel(const T* plane, int64_t stride_h, int64_t stride_w, T* columns,
                                          const ConvGeometry& g, T pad_value) {
  const int64_t out_h = g.out_h(), out_w = g.out_w();
  for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
    for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
      T* row = columns + (ki * g.kernel_w + kj) * out_h * out_w;
      const int64_t offset_w = kj * g.dilation_w - g.pad_w;
      const ValidRange cols = valid_columns(offset_w, g.stride_w, g.in_w, out_w);
      for (int64_t oy = 0; oy < out_h; ++oy) {
        T* out = row + oy * out_w;
        const int64_t iy = oy * g.stride_h - g.pad_h + ki * g.dilation_h;
        if (iy < 0 || iy >= g.in_h) {
          for (int64_t ox = 0; ox < out_w; ++ox) out[ox] = pad_value;
          continue;
        }
        for (int64_t ox = 0; ox < cols.first; ++ox) out[ox] = pad_value;
        const T* in = plane + iy * stride_h;
        if (g.stride_w == 1 && stride_w == 1) {
          const T* source = in + cols.first + offset_w;
          T* target = out + cols.first;
          for (int64_t i = 0; i < cols.last - cols.first; ++i) target[i] = source[i];
        } else {
          for (int64_t ox = cols.first; ox < cols.last; ++ox) out[ox] = in[(ox * g.stride_w + offset_w) * stride_w];
        }
        for (int64_t ox = cols.last; ox < out_w; ++ox) out[ox] = pad_value;
      }
    }
  }
}

// The adjoint: plane (H, W), contiguous, += columns (kh*kw, oh*ow). Acc is
// the accumulation type (float for 16-bit T, whose planes the caller widens).
template <typename T, typename Acc>
void col2im_channel(const T* columns, Acc* plane, const ConvGeometry& g) {
  const int64_t out_h = g.out_h(), out_w = g.out_w();
  for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
    for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
      const T* row = columns + (ki * g.kernel_w + kj) * out_h * out_w;
      const int64_t offset_w = kj * g.dilation_w - g.pad_w;
      const ValidRange cols = valid_columns(offset_w, g.stride_w, g.in_w, out_w);
      for (int64_t oy = 0; oy < out_h; ++oy) {
        const int64_t iy = oy * g.stride_h - g.pad_h + ki * g.dilation_h;
        if (iy < 0 || iy >= g.in_h) continue;
        Acc* out = plane + iy * g.in_w;
        const T* in = row + oy * out_w;
        if (g.stride_w == 1) {
          Acc* target = out + cols.first + offset_w;
          const T* source = in + cols.first;
          for (int64_t i = 0; i < cols.last - cols.first; ++i) target[i] += static_cast<Acc>(source[i]);
        } else {
          for (int64_t ox = cols.first; ox < cols.last; ++ox) {
            out[ox * g.stride_w + offset_w] += static_cast<Acc>(in[ox]);
          }
        }
      }
    }
  }
}

#if defined(__AVX512F__)
// AVX-512 versions for float with stride 1 along W: each row of the columns
// (im2col) or of the plane (col2im) is built in registers from masked loads
// (masked-off lanes are never read, so a row may start before its source
// row or end past it), and stored once. NOTE: the obvious col2im, adding
// each columns row into the plane at offset kj, stores to addresses the next
// kj loads again shifted by one element; those loads miss store-to-load
// forwarding and ran 4x slower than this gather form.

// Lanes [low, high) of a 16-lane mask, clipped to [0, 16).
inline __mmask16 lane_range(int64_t low, int64_t high) {
  low = std::max<int64_t>(low, 0);
  high = std::min<int64_t>(high, 16);
  if (high <= low) return 0;
  const uint32_t below_high = high >= 16 ? 0xffffu : (1u << high) - 1u;
  return static_cast<__mmask16>(below_high & ~((1u << low) - 1u));
}

// 16 floats at base + offset with only the mask's lanes read (others zero).
inline __m512 masked_load(__mmask16 mask, const float* base, int64_t offset) {
  // NOTE: through uintptr_t: base + offset may lie outside the row, which
  // pointer arithmetic may not express; masked-off lanes are not accessed.
  const auto address =
      reinterpret_cast<const float*>(reinterpret_cast<uintptr_t>(base) + static_cast<uintptr_t>(offset * 4));
  return _mm512_maskz_loadu_ps(mask, address);
}

inline void im2col_channel_avx512(const float* plane, int64_t stride_h, float* columns, const ConvGeometry& g,
                                  float pad_value) {
  const int64_t out_h = g.out_h(), out_w = g.out_w();
  const __m512 pad = _mm512_set1_ps(pad_value);
  const __mmask16 last_store = lane_range(0, out_w - (out_w - 1) / 16 * 16);
  for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
    for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
      float* row = columns + (ki * g.kernel_w + kj) * out_h * out_w;
      const int64_t shift = kj * g.dilation_w - g.pad_w;  // input column of output column 0
      for (int64_t oy = 0; oy < out_h; ++oy) {
        float* out = row + oy * out_w;
        const int64_t iy = oy * g.stride_h - g.pad_h + ki * g.dilation_h;
        if (iy < 0 || iy >= g.in_h) {
          int64_t x = 0;
          for (; x + 16 < out_w; x += 16) _mm512_storeu_ps(out + x, pad);
          _mm512_mask_storeu_ps(out + x, last_store, pad);
          continue;
        }
        const float* in = plane + iy * stride_h;
        int64_t x = 0;
        // Output columns x + lane read input column x + lane + shift when it lies in [0, in_w).
        for (; x + 16 < out_w; x += 16) {
          const __mmask16 valid = lane_range(-shift - x, g.in_w - shift - x);
          _mm512_storeu_ps(out + x, _mm512_mask_mov_ps(pad, valid, masked_load(valid, in, x + shift)));
        }
        const __mmask16 valid = lane_range(-shift - x, g.in_w - shift - x);
        _mm512_mask_storeu_ps(out + x, last_store, _mm512_mask_mov_ps(pad, valid, masked_load(valid, in, x + shift)));
      }
    }
  }
}

inline void col2im_channel_avx512(const float* columns, float* plane, const ConvGeometry& g, bool accumulate) {
  const int64_t out_h = g.out_h(), out_w = g.out_w();
  for (int64_t iy = 0; iy < g.in_h; ++iy) {
    float* out = plane + iy * g.in_w;
    for (int64_t x = 0; x < g.in_w; x += 16) {
      const __mmask16 store = lane_range(0, g.in_w - x);
      __m512 sum = accumulate ? _mm512_maskz_loadu_ps(store, out + x) : _mm512_setzero_ps();
      for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
        const int64_t row = iy + g.pad_h - ki * g.dilation_h;  // oy * stride_h
        if (row < 0 || row % g.stride_h != 0 || row / g.stride_h >= out_h) continue;
        const float* source = columns + (ki * g.kernel_w * out_h + row / g.stride_h) * out_w;
        for (int64_t kj = 0; kj < g.kernel_w; ++kj, source += out_h * out_w) {
          // Input column x + lane took output column x + lane + pad_w - kj * dilation_w, if in [0, out_w).
          const int64_t shift = g.pad_w - kj * g.dilation_w;
          const __mmask16 valid = store & lane_range(-shift - x, out_w - shift - x);
          sum = _mm512_add_ps(sum, masked_load(valid, source, x + shift));
        }
      }
      _mm512_mask_storeu_ps(out + x, store, sum);
    }
  }
}
#endif

// im2col_channel into a contiguous columns buffer, by the fastest path that
// applies (float, stride 1 along W, AVX-512).
template <typename T>
void im2col_channel_fast(const T* plane, int64_t stride_h, int64_t stride_w, T* columns, const ConvGeometry& g,
                         T pad_value) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (g.stride_w == 1 && stride_w == 1) return im2col_channel_avx512(plane, stride_h, columns, g, pad_value);
  }
#endif
  im2col_channel(plane, stride_h, stride_w, columns, g, pad_value);
}

// plane (H, W), contiguous, = (or += when accumulate) the columns summed back.
template <typename T>
void col2im_channel_fast(const T* columns, T* plane, const ConvGeometry& g, bool accumulate) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (g.stride_w == 1) return col2im_channel_avx512(columns, plane, g, accumulate);
  }
#endif
  if (!accumulate) std::fill_n(plane, g.in_h * g.in_w, T(0));
  col2im_channel(columns, plane, g);
}

}  // namespace mini::cpu
