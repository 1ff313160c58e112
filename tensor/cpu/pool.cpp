// CPU max_pool2d and its backward, directly over each (H, W) plane: one pass
// reading the input and writing values + indices (the composite default reads
// an im2col copy of the input and an im2col of an index plane), and a backward
// that zeroes each plane and adds the gradients at the recorded indices.
// Float 2x2 stride-2 pools (LeNet's) take an AVX-512 path, 16 outputs per
// step, whose backward writes each disjoint 2x2 block once (no zero fill).
//
// Window order and tie rules follow Backend::max_pool2d (tensor/backend.h):
// positions are visited row by row; a later element wins only if it is
// greater, or NaN while the best so far is not; padding and ceil_mode's
// overhang are skipped (never candidates).
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <type_traits>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/strided_loop.h"

namespace mini::cpu {
namespace {

template <typename C>
inline bool beats(C value, C best) {
  return value > best || (value != value && best == best);
}

// One plane: input (H, W) with element strides -> values/indices (oh, ow), contiguous.
template <typename T>
void max_pool_plane(const T* input, int64_t stride_h, int64_t stride_w, int64_t height, int64_t width, T* values,
                    int64_t* indices, const ConvGeometry& g) {
  using C = compute_t<T>;
  const int64_t out_h = g.out_h(), out_w = g.out_w();
  for (int64_t oy = 0; oy < out_h; ++oy) {
    const int64_t top = oy * g.stride_h - g.pad_h;
    // The kernel rows [ki_first, ki_last) that land inside the input.
    const int64_t ki_first = top >= 0 ? 0 : (-top + g.dilation_h - 1) / g.dilation_h;
    const int64_t ki_last =
        std::min(g.kernel_h, height - top <= 0 ? 0 : (height - top + g.dilation_h - 1) / g.dilation_h);
    for (int64_t ox = 0; ox < out_w; ++ox) {
      const int64_t left = ox * g.stride_w - g.pad_w;
      const int64_t kj_first = left >= 0 ? 0 : (-left + g.dilation_w - 1) / g.dilation_w;
      const int64_t kj_last =
          std::min(g.kernel_w, width - left <= 0 ? 0 : (width - left + g.dilation_w - 1) / g.dilation_w);
      C best = 0;
      int64_t best_index = -1;
      for (int64_t ki = ki_first; ki < ki_last; ++ki) {
        const int64_t y = top + ki * g.dilation_h;
        for (int64_t kj = kj_first; kj < kj_last; ++kj) {
          const int64_t x = left + kj * g.dilation_w;
          const C value = static_cast<C>(input[y * stride_h + x * stride_w]);
          if (best_index < 0 || beats(value, best)) {
            best = value;
            best_index = y * width + x;
          }
        }
      }
      values[oy * out_w + ox] = static_cast<T>(best);
      indices[oy * out_w + ox] = best_index;
    }
  }
}

// The common 2x2, stride 2, unpadded pool of a contiguous plane, written
// branch-free so GCC vectorises it along the output row.
template <typename T>
void max_pool_plane_2x2(const T* input, int64_t width, T* values, int64_t* indices, int64_t out_h, int64_t out_w) {
  for (int64_t oy = 0; oy < out_h; ++oy) {
    const T* row0 = input + 2 * oy * width;
    const T* row1 = row0 + width;
    T* value_row = values + oy * out_w;
    int64_t* index_row = indices + oy * out_w;
    const int64_t base = 2 * oy * width;
    for (int64_t ox = 0; ox < out_w; ++ox) {
      T best = row0[2 * ox];
      int64_t offset = 0;
      const T candidates[3] = {row0[2 * ox + 1], row1[2 * ox], row1[2 * ox + 1]};
      const int64_t offsets[3] = {1, width, width + 1};
      for (int k = 0; k < 3; ++k) {
        const bool wins = beats(candidates[k], best);
        best = wins ? candidates[k] : best;
        offset = wins ? offsets[k] : offset;
      }
      value_row[ox] = best;
      index_row[ox] = base + 2 * ox + offset;
    }
  }
}

#if defined(__AVX512F__)
// Lanes [0, count) of a 16-lane mask (count clipped to [0, 16]).
inline __mmask16 first_lanes(int64_t count) {
  if (count <= 0) return 0;
  return count >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << count) - 1u);
}

// beats() on 16 lanes: value > best, or value NaN while best is not.
inline __mmask16 beats_mask(__m512 value, __m512 best) {
  return _mm512_cmp_ps_mask(value, best, _CMP_GT_OQ) |
         (_mm512_cmp_ps_mask(value, value, _CMP_UNORD_Q) & _mm512_cmp_ps_mask(best, best, _CMP_ORD_Q));
}

// int32 lanes -> int64 at out[0, count) (count <= 16).
inline void store_indices(int64_t* out, __m512i lanes, int64_t count) {
  // NOTE: the maskz forms: GCC 12's plain ones start from an "undefined"
  // vector that trips -Wmaybe-uninitialized.
  const __m512i low = _mm512_maskz_cvtepi32_epi64(0xff, _mm512_maskz_extracti64x4_epi64(0xff, lanes, 0));
  const __m512i high = _mm512_maskz_cvtepi32_epi64(0xff, _mm512_maskz_extracti64x4_epi64(0xff, lanes, 1));
  const auto low_mask = static_cast<__mmask8>(first_lanes(count) & 0xff);
  const auto high_mask = static_cast<__mmask8>(first_lanes(count - 8) & 0xff);
  _mm512_mask_storeu_epi64(out, low_mask, low);
  _mm512_mask_storeu_epi64(out + 8, high_mask, high);
}

// max_pool_plane_2x2 for float, 16 outputs per step: each input row pair is
// loaded as 32 floats and split into even and odd columns by one permute each.
// Flat indices are computed in int32 (the caller checks the plane fits).
void max_pool_plane_2x2_avx512(const float* input, int64_t width, float* values, int64_t* indices, int64_t out_h,
                               int64_t out_w) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512i offset_right = _mm512_set1_epi32(1), offset_down = _mm512_set1_epi32(static_cast<int32_t>(width));
  const __m512i offset_diagonal = _mm512_set1_epi32(static_cast<int32_t>(width + 1));
  for (int64_t oy = 0; oy < out_h; ++oy) {
    const float* row0 = input + 2 * oy * width;
    const float* row1 = row0 + width;
    for (int64_t x = 0; x < out_w; x += 16) {
      const int64_t count = std::min<int64_t>(16, out_w - x);
      const __mmask16 low = first_lanes(2 * count), high = first_lanes(2 * count - 16);
      const __m512 top_low = _mm512_maskz_loadu_ps(low, row0 + 2 * x);
      const __m512 top_high = _mm512_maskz_loadu_ps(high, row0 + 2 * x + 16);
      const __m512 bottom_low = _mm512_maskz_loadu_ps(low, row1 + 2 * x);
      const __m512 bottom_high = _mm512_maskz_loadu_ps(high, row1 + 2 * x + 16);
      // Window order: (0, 0), (0, 1), (1, 0), (1, 1).
      __m512 best = _mm512_permutex2var_ps(top_low, even, top_high);
      __m512i offset = _mm512_setzero_si512();
      const auto consider = [&](__m512 candidate, __m512i candidate_offset) {
        const __mmask16 wins = beats_mask(candidate, best);
        best = _mm512_mask_mov_ps(best, wins, candidate);
        offset = _mm512_mask_mov_epi32(offset, wins, candidate_offset);
      };
      consider(_mm512_permutex2var_ps(top_low, odd, top_high), offset_right);
      consider(_mm512_permutex2var_ps(bottom_low, even, bottom_high), offset_down);
      consider(_mm512_permutex2var_ps(bottom_low, odd, bottom_high), offset_diagonal);
      _mm512_mask_storeu_ps(values + oy * out_w + x, first_lanes(count), best);
      const __m512i first = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(2 * oy * width + 2 * x)), even);
      store_indices(indices + oy * out_w + x, _mm512_add_epi32(first, offset), count);
    }
  }
}

// The backward of a pooling whose windows are disjoint 2x2 blocks (every
// index inside its output's block, as a 2x2 stride-2 pool gives): each block
// gets the gradient at its chosen element and zeros elsewhere, written in
// one pass without zero-filling first. Returns false (having written
// nothing useful) when an index lies outside its block; the caller then
// takes the general path. grad and indices rows are contiguous (out_w).
bool max_pool_backward_plane_2x2_avx512(const float* grad, int64_t grad_row_stride, const int64_t* indices,
                                        int64_t index_row_stride, float* plane, int64_t height, int64_t width,
                                        int64_t out_h, int64_t out_w) {
  const __m512i lane2 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i interleave_low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i interleave_high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512i right = _mm512_set1_epi32(1), down = _mm512_set1_epi32(static_cast<int32_t>(width));
  const __m512i diagonal = _mm512_set1_epi32(static_cast<int32_t>(width + 1));
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t oy = 0; oy < out_h; ++oy) {
    float* row0 = plane + 2 * oy * width;
    float* row1 = row0 + width;
    for (int64_t x = 0; x < out_w; x += 16) {
      const int64_t count = std::min<int64_t>(16, out_w - x);
      const __mmask16 lanes = first_lanes(count);
      const __m512 g = _mm512_maskz_loadu_ps(lanes, grad + oy * grad_row_stride + x);
      const int64_t* index_row = indices + oy * index_row_stride + x;
      const __m256i index_low =
          _mm512_maskz_cvtepi64_epi32(0xff, _mm512_maskz_loadu_epi64(static_cast<__mmask8>(lanes & 0xff), index_row));
      const __m256i index_high =
          _mm512_maskz_cvtepi64_epi32(0xff, _mm512_maskz_loadu_epi64(static_cast<__mmask8>(lanes >> 8), index_row + 8));
      const __m512i index = _mm512_maskz_inserti64x4(
          0xff, _mm512_maskz_inserti64x4(0xff, _mm512_setzero_si512(), index_low, 0), index_high, 1);
      const __m512i first = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(2 * oy * width + 2 * x)), lane2);
      const __m512i relative = _mm512_sub_epi32(index, first);
      const __mmask16 at_top_left = _mm512_cmpeq_epi32_mask(relative, _mm512_setzero_si512());
      const __mmask16 at_top_right = _mm512_cmpeq_epi32_mask(relative, right);
      const __mmask16 at_bottom_left = _mm512_cmpeq_epi32_mask(relative, down);
      const __mmask16 at_bottom_right = _mm512_cmpeq_epi32_mask(relative, diagonal);
      if ((at_top_left | at_top_right | at_bottom_left | at_bottom_right) != lanes) return false;
      const __m512 top_even = _mm512_mask_mov_ps(zero, at_top_left, g),
                   top_odd = _mm512_mask_mov_ps(zero, at_top_right, g);
      const __m512 bottom_even = _mm512_mask_mov_ps(zero, at_bottom_left, g);
      const __m512 bottom_odd = _mm512_mask_mov_ps(zero, at_bottom_right, g);
      const __mmask16 low = first_lanes(2 * count), high = first_lanes(2 * count - 16);
      _mm512_mask_storeu_ps(row0 + 2 * x, low, _mm512_permutex2var_ps(top_even, interleave_low, top_odd));
      _mm512_mask_storeu_ps(row0 + 2 * x + 16, high, _mm512_permutex2var_ps(top_even, interleave_high, top_odd));
      _mm512_mask_storeu_ps(row1 + 2 * x, low, _mm512_permutex2var_ps(bottom_even, interleave_low, bottom_odd));
      _mm512_mask_storeu_ps(row1 + 2 * x + 16, high, _mm512_permutex2var_ps(bottom_even, interleave_high, bottom_odd));
    }
    // Columns past the last window (odd W) get no gradient.
    std::fill(row0 + 2 * out_w, row0 + width, 0.0f);
    std::fill(row1 + 2 * out_w, row1 + width, 0.0f);
  }
  std::fill(plane + 2 * out_h * width, plane + height * width, 0.0f);
  return true;
}
#endif

// Planes per parallel chunk so each chunk has at least kParallelGrain elements of work.
int64_t plane_grain(int64_t work_per_plane) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, work_per_plane));
}

}  // namespace

void CpuBackend::max_pool2d(const Tensor& values, const Tensor& indices, const Tensor& input,
                            const ConvGeometry& geometry) {
  MINI_ASSERT(input.dim() == 4 && values.is_contiguous() && indices.is_contiguous() &&
                  values.sizes() == indices.sizes() && indices.dtype() == DType::i64,
              "max_pool2d: values {} indices {} input {}", shape_str(values.sizes()), shape_str(indices.sizes()),
              shape_str(input.sizes()));
  const int64_t channels = input.size(1), height = input.size(2), width = input.size(3);
  const int64_t planes = input.size(0) * channels, positions = geometry.out_h() * geometry.out_w();
  if (values.numel() == 0) return;
  const bool plain_2x2 = geometry.kernel_h == 2 && geometry.kernel_w == 2 && geometry.stride_h == 2 &&
                         geometry.stride_w == 2 && geometry.pad_h == 0 && geometry.pad_w == 0 &&
                         geometry.dilation_h == 1 && geometry.dilation_w == 1 && 2 * geometry.out_h() <= height &&
                         2 * geometry.out_w() <= width && input.stride(3) == 1 && input.stride(2) == width;
  dispatch_floating(input.dtype(), "max_pool2d", [&]<typename T>() {
    const T* in = static_cast<const T*>(input.data_ptr());
    T* out = static_cast<T*>(values.data_ptr());
    int64_t* index = static_cast<int64_t*>(indices.data_ptr());
    const int64_t stride_n = input.stride(0), stride_c = input.stride(1);
    const int64_t stride_h = input.stride(2), stride_w = input.stride(3);
    const int64_t out_h = geometry.out_h(), out_w = geometry.out_w();
    parallel_for(
        0, planes, plane_grain(positions * geometry.kernel_h * geometry.kernel_w), [&](int64_t first, int64_t last) {
          for (int64_t plane = first; plane < last; ++plane) {
            const T* source = in + plane / channels * stride_n + plane % channels * stride_c;
#if defined(__AVX512F__)
            if constexpr (std::is_same_v<T, float>) {
              if (plain_2x2 && height * width < (int64_t{1} << 31)) {
                max_pool_plane_2x2_avx512(source, width, out + plane * positions, index + plane * positions, out_h,
                                          out_w);
                continue;
              }
            }
#endif
            if constexpr (std::is_same_v<T, compute_t<T>>) {
              if (plain_2x2) {
                max_pool_plane_2x2(source, width, out + plane * positions, index + plane * positions, out_h, out_w);
                continue;
              }
            }
            max_pool_plane(source, stride_h, stride_w, height, width, out + plane * positions,
                           index + plane * positions, geometry);
          }
        });
  });
}

void CpuBackend::max_pool2d_backward(const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices) {
  MINI_ASSERT(grad_input.dim() == 4 && grad_input.is_contiguous() && grad_out.dim() == 4 &&
                  indices.sizes() == grad_out.sizes() && indices.dtype() == DType::i64,
              "max_pool2d_backward: grad_input {} grad_out {} indices {}", shape_str(grad_input.sizes()),
              shape_str(grad_out.sizes()), shape_str(indices.sizes()));
  const int64_t channels = grad_out.size(1), out_h = grad_out.size(2), out_w = grad_out.size(3);
  const int64_t planes = grad_out.size(0) * channels;
  const int64_t plane_size = grad_input.size(2) * grad_input.size(3);
  if (grad_input.numel() == 0) return;
  dispatch_floating(grad_out.dtype(), "max_pool2d_backward", [&]<typename T>() {
    using C = compute_t<T>;
    const T* grad = static_cast<const T*>(grad_out.data_ptr());
    const int64_t* index = static_cast<const int64_t*>(indices.data_ptr());
    T* target = static_cast<T*>(grad_input.data_ptr());
    std::atomic<bool> out_of_range{false};
    const int64_t grad_n = grad_out.stride(0), grad_c = grad_out.stride(1);
    const int64_t grad_h = grad_out.stride(2), grad_w = grad_out.stride(3);
    const int64_t index_n = indices.stride(0), index_c = indices.stride(1);
    const int64_t index_h = indices.stride(2), index_w = indices.stride(3);
    // Shapes that allow the disjoint-2x2-blocks path (which checks every index itself).
    [[maybe_unused]] const int64_t height = grad_input.size(2), width = grad_input.size(3);
    [[maybe_unused]] const bool two_by_two =
        2 * out_h <= height && 2 * out_w <= width && grad_w == 1 && index_w == 1 && plane_size < (int64_t{1} << 31);
    parallel_for(0, planes, plane_grain(plane_size + out_h * out_w), [&](int64_t first, int64_t last) {
      // 16-bit planes are summed in float (windows may overlap) and rounded once.
      std::vector<C> wide(std::is_same_v<T, C> ? 0 : static_cast<size_t>(plane_size));
      for (int64_t plane = first; plane < last; ++plane) {
#if defined(__AVX512F__)
        if constexpr (std::is_same_v<T, float>) {
          if (two_by_two) {
            const int64_t n = plane / channels, c = plane % channels;
            if (max_pool_backward_plane_2x2_avx512(grad + n * grad_n + c * grad_c, grad_h,
                                                   index + n * index_n + c * index_c, index_h,
                                                   target + plane * plane_size, height, width, out_h, out_w)) {
              continue;
            }
          }
        }
#endif
        C* sum = nullptr;
        if constexpr (std::is_same_v<T, C>) {
          sum = target + plane * plane_size;
        } else {
          sum = wide.data();
        }
        std::fill_n(sum, plane_size, C(0));
        const int64_t n = plane / channels, c = plane % channels;
        const T* g = grad + n * grad_n + c * grad_c;
        const int64_t* i = index + n * index_n + c * index_c;
        for (int64_t oy = 0; oy < out_h; ++oy) {
          for (int64_t ox = 0; ox < out_w; ++ox) {
            const int64_t at = i[oy * index_h + ox * index_w];
            if (at < 0 || at >= plane_size) {
              out_of_range.store(true, std::memory_order_relaxed);
              continue;
            }
            sum[at] += static_cast<C>(g[oy * grad_h + ox * grad_w]);
          }
        }
        if constexpr (!std::is_same_v<T, C>) {
          T* out = target + plane * plane_size;
          for (int64_t k = 0; k < plane_size; ++k) out[k] = static_cast<T>(sum[k]);
        }
      }
    });
    MINI_CHECK(!out_of_range.load(), "max_pool2d_backward: an index is outside the input plane of {} elements",
               plane_size);
  });
}

}  // namespace mini::cpu
