// CPU attention (Backend::attention and its backward), one (sample, head)
// pair at a time so each pair's (L, S) scores stay in L1/L2, with the pairs
// spread over the threads. Per pair:
//   forward:  probs = softmax(q k^T * scale + mask), causal keys j > i set to 0
//             without being exponentiated; out = probs v, written through out's strides;
//   backward: grad_v = probs^T grad_out; grad_probs = grad_out v^T;
//             grad_scores = probs * (grad_probs - rowsum(grad_probs * probs)) * scale;
//             grad_q = grad_scores k; grad_k = grad_scores^T q.
// NOTE: the scale multiplies the scores, not q as PyTorch does; the results
// differ from it in the last bits only.
// Sizes for the tiny GPT example: 128 pairs of L = S = 64, D = 32 per layer,
// so every product is about 64x64x32 (0.26 MFLOP). For float with AVX-512 the
// products run in a register-blocked kernel that skips what the causal mask
// zeroes (close to half of the work); otherwise through gemm().
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <type_traits>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/vec_math.h"
#include "tensor/parallel.h"

namespace mini::cpu {
namespace {

// A (rows, cols) matrix inside a 4-D tensor at (n, h): dims 2 and 3.
template <typename T>
MatrixRef<T> pair_matrix(const Tensor& tensor, int64_t n, int64_t h) {
  T* base = static_cast<T*>(tensor.data_ptr()) + n * tensor.stride(0) + h * tensor.stride(1);
  return {base, tensor.size(2), tensor.size(3), tensor.stride(2), tensor.stride(3)};
}

template <typename T>
MatrixRef<const T> transposed(const MatrixRef<const T>& m) {
  return {m.data, m.cols, m.rows, m.col_stride, m.row_stride};
}

template <typename T>
MatrixRef<const T> as_const(const MatrixRef<T>& m) {
  return {m.data, m.rows, m.cols, m.row_stride, m.col_stride};
}

// Row reductions. NOTE: a plain running sum or max is a serial dependency GCC
// may not reorder, and causal rows are short (1 to S keys), so the float
// versions use AVX-512 with a masked tail where available (maskz forms: the
// plain _mm512_max_ps trips GCC 12's -Wmaybe-uninitialized).
template <typename T>
T row_max(const T* row, int64_t n) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    __m512 max = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) max = _mm512_maskz_max_ps(0xffff, max, _mm512_loadu_ps(row + j));
    if (j < n) {
      const auto tail = static_cast<__mmask16>((1u << (n - j)) - 1u);
      max = _mm512_mask_max_ps(max, tail, max, _mm512_maskz_loadu_ps(tail, row + j));
    }
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, max);
    float result = lanes[0];
    for (int l = 1; l < 16; ++l) result = lanes[l] > result ? lanes[l] : result;
    return result;
  }
#endif
  T max = -std::numeric_limits<T>::infinity();
  for (int64_t j = 0; j < n; ++j) max = row[j] > max ? row[j] : max;
  return max;
}

// sum of a[j] * b[j] (b == nullptr: of a[j]).
template <typename T>
T row_dot(const T* a, const T* b, int64_t n) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    __m512 sum = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
      const __m512 x = _mm512_loadu_ps(a + j);
      sum = b == nullptr ? _mm512_add_ps(sum, x) : _mm512_fmadd_ps(x, _mm512_loadu_ps(b + j), sum);
    }
    if (j < n) {
      const auto tail = static_cast<__mmask16>((1u << (n - j)) - 1u);
      const __m512 x = _mm512_maskz_loadu_ps(tail, a + j);
      sum = b == nullptr ? _mm512_add_ps(sum, x) : _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tail, b + j), sum);
    }
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, sum);
    float result = 0;
    for (int l = 0; l < 16; ++l) result += lanes[l];
    return result;
  }
#endif
  T sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += b == nullptr ? a[j] : a[j] * b[j];
  return sum;
}

template <typename T>
T row_sum(const T* row, int64_t n) {
  return row_dot<T>(row, nullptr, n);
}

template <typename T>
inline T exp_shifted(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return exp_nonpositive_f32(x);
  } else {
    return std::exp(x);
  }
}

// One row of raw scores q.k (in place) -> probabilities over keys [0, limit)
// of scores * scale (+ mask_row, stride mask_stride, when given); keys
// [limit, n) are causal exclusions and become 0 without being exponentiated.
template <typename T>
void softmax_row(T* row, int64_t n, int64_t limit, T scale, const T* mask_row, int64_t mask_stride) {
  if (mask_row == nullptr) {
    for (int64_t j = 0; j < limit; ++j) row[j] *= scale;
  } else if (mask_stride == 1) {
    for (int64_t j = 0; j < limit; ++j) row[j] = row[j] * scale + mask_row[j];
  } else {
    for (int64_t j = 0; j < limit; ++j) row[j] = row[j] * scale + mask_row[j * mask_stride];
  }
  const T max = row_max(row, limit);
  if (max == -std::numeric_limits<T>::infinity()) {
    // Every key excluded: NaN, as softmax of an all -inf row (and PyTorch) gives.
    std::fill_n(row, n, std::numeric_limits<T>::quiet_NaN());
    return;
  }
  for (int64_t j = 0; j < limit; ++j) row[j] = exp_shifted(row[j] - max);
  const T inverse = T(1) / row_sum(row, limit);
  for (int64_t j = 0; j < limit; ++j) row[j] *= inverse;
  std::fill(row + limit, row + n, T(0));
}

// Which entries of a pair's product the causal structure makes zero (or
// unwanted), so the small-product kernel can skip them:
//   columns_upto_row: row i needs columns j <= i only (scores, grad_probs);
//   depth_upto_row:   row i's A is zero past column i (probs or grad_scores times B);
//   depth_from_row:   row j's A (a transposed probs/grad_scores) is zero before column j.
enum class Band : uint8_t { full, columns_upto_row, depth_upto_row, depth_from_row };

#if defined(__AVX512F__)
// Lanes [0, count) of a 16-lane mask (count clipped to [0, 16]).
inline __mmask16 first_lanes(int64_t count) {
  if (count <= 0) return 0;
  return count >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << count) - 1u);
}

// The rows [row0, row0 + kRows) (the first `rows` valid) and the columns
// [col0, col0 + cols), cols <= 16 * kChunks, of c = a @ b over depth
// [k_begin, k_end): kRows x kChunks accumulators in registers, b's row loaded
// once per depth step and each a element broadcast. NOTE: a general GEMM
// packs both operands first; for 64x64x32 products that cost as much as the
// arithmetic.
// NOTE: plain loops with constant trip counts, fully unrolled by pragma, so
// GCC keeps acc in registers; lambdas capturing acc (or a store loop bounded
// by `rows`) left it in memory, and the masked loads then kept GCC from
// moving its stores out of the depth loop (16 stores a step).
template <int kRows, int kChunks>
void small_product_block(const MatrixRef<const float>& a, const float* b, int64_t ldb, float* c, int64_t ldc,
                         int64_t row0, int64_t rows, int64_t col0, int64_t cols, int64_t k_begin, int64_t k_end) {
  __m512 acc[kRows][kChunks];
  __mmask16 lanes[kChunks];
  const float* a_rows[kRows];
#pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) {
    a_rows[r] = a.data + (row0 + std::min<int64_t>(r, rows - 1)) * a.row_stride;
#pragma GCC unroll 16
    for (int q = 0; q < kChunks; ++q) acc[r][q] = _mm512_setzero_ps();
  }
#pragma GCC unroll 16
  for (int q = 0; q < kChunks; ++q) lanes[q] = first_lanes(cols - 16 * q);
  const int64_t a_step = a.col_stride;
  for (int64_t k = k_begin; k < k_end; ++k) {
    const float* b_row = b + k * ldb + col0;
    __m512 b_values[kChunks];
#pragma GCC unroll 16
    for (int q = 0; q < kChunks; ++q) b_values[q] = _mm512_maskz_loadu_ps(lanes[q], b_row + 16 * q);
#pragma GCC unroll 16
    for (int r = 0; r < kRows; ++r) {
      const __m512 a_value = _mm512_set1_ps(a_rows[r][k * a_step]);
#pragma GCC unroll 16
      for (int q = 0; q < kChunks; ++q) acc[r][q] = _mm512_fmadd_ps(a_value, b_values[q], acc[r][q]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) {
    if (r < rows) {
      float* c_row = c + (row0 + r) * ldc + col0;
#pragma GCC unroll 16
      for (int q = 0; q < kChunks; ++q) _mm512_mask_storeu_ps(c_row + 16 * q, lanes[q], acc[r][q]);
    }
  }
}

// c (m, n) = a (m, depth) @ b (depth, n), b and c row-major (col_stride 1);
// entries the band marks as unwanted are skipped (columns_upto_row leaves
// them unwritten).
// Row blocks of kRows over all of a's rows.
template <int kRows>
void small_product_rows(const MatrixRef<const float>& a, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t n,
                        Band band) {
  const int64_t m = a.rows, depth = a.cols;
  for (int64_t row0 = 0; row0 < m; row0 += kRows) {
    const int64_t rows = std::min<int64_t>(kRows, m - row0);
    const int64_t columns = band == Band::columns_upto_row ? std::min(n, row0 + rows) : n;
    const int64_t k_begin = band == Band::depth_from_row ? std::min(depth, row0) : 0;
    const int64_t k_end = band == Band::depth_upto_row ? std::min(depth, row0 + rows) : depth;
    for (int64_t col0 = 0; col0 < columns; col0 += 64) {
      const int64_t cols = std::min<int64_t>(64, columns - col0);
      switch ((cols + 15) / 16) {
        case 1:
          small_product_block<kRows, 1>(a, b, ldb, c, ldc, row0, rows, col0, cols, k_begin, k_end);
          break;
        case 2:
          small_product_block<kRows, 2>(a, b, ldb, c, ldc, row0, rows, col0, cols, k_begin, k_end);
          break;
        case 3:
          small_product_block<kRows, 3>(a, b, ldb, c, ldc, row0, rows, col0, cols, k_begin, k_end);
          break;
        default:
          small_product_block<kRows, 4>(a, b, ldb, c, ldc, row0, rows, col0, cols, k_begin, k_end);
          break;
      }
    }
  }
}

void small_product(const MatrixRef<const float>& a, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t n,
                   Band band) {
  // About 16 accumulators either way: 8 rows of up to 32 columns, or 4 of up to 64.
  if (n <= 32) {
    small_product_rows<8>(a, b, ldb, c, ldc, n, band);
  } else {
    small_product_rows<4>(a, b, ldb, c, ldc, n, band);
  }
}
#endif

// c = a @ b for one pair: the AVX-512 small-product kernel for float (b
// copied row-major into `scratch` first when it is a transposed view), the
// general GEMM otherwise (which computes the whole product; the band only
// names entries that are zero or unused).
template <typename T>
void pair_product(const MatrixRef<const T>& a, const MatrixRef<const T>& b, const MatrixRef<T>& c, Band band,
                  std::vector<T>& scratch) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (c.col_stride == 1) {
      const float* b_data = b.data;
      int64_t ldb = b.row_stride;
      if (b.col_stride != 1) {
        scratch.resize(static_cast<size_t>(b.rows * b.cols));
        for (int64_t i = 0; i < b.rows; ++i) {
          for (int64_t j = 0; j < b.cols; ++j) scratch[i * b.cols + j] = b.data[i * b.row_stride + j * b.col_stride];
        }
        b_data = scratch.data();
        ldb = b.cols;
      }
      small_product(a, b_data, ldb, c.data, c.row_stride, c.cols, band);
      return;
    }
  }
#endif
  (void)band;
  (void)scratch;
  gemm(a, b, c, false);
}

template <typename T>
void attention_forward(const Tensor& out, const Tensor& probs, const Tensor& q, const Tensor& k, const Tensor& v,
                       const Tensor& mask, T scale, bool causal) {
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2), source = k.size(2);
  T* probs_data = static_cast<T*>(probs.data_ptr());
  const T* mask_data = mask.defined() ? static_cast<const T*>(mask.data_ptr()) : nullptr;
  parallel_for(0, batch * heads, 1, [&](int64_t first, int64_t last) {
    std::vector<T> scratch;
    for (int64_t pair = first; pair < last; ++pair) {
      const int64_t n = pair / heads, h = pair % heads;
      T* scores = probs_data + pair * length * source;
      const MatrixRef<T> scores_matrix{scores, length, source, source, 1};
      // scores (L, S) = q (L, D) @ k^T (D, S); causal rows need keys j <= i only.
      pair_product(pair_matrix<const T>(q, n, h), transposed(pair_matrix<const T>(k, n, h)), scores_matrix,
                   causal ? Band::columns_upto_row : Band::full, scratch);
      for (int64_t i = 0; i < length; ++i) {
        const T* mask_row =
            mask_data == nullptr ? nullptr : mask_data + n * mask.stride(0) + h * mask.stride(1) + i * mask.stride(2);
        const int64_t limit = causal ? std::min(source, i + 1) : source;
        softmax_row(scores + i * source, source, limit, scale, mask_row, mask_data == nullptr ? 0 : mask.stride(3));
      }
      // out (L, Dv) = probs (L, S) @ v (S, Dv)
      pair_product(as_const(scores_matrix), pair_matrix<const T>(v, n, h), pair_matrix<T>(out, n, h),
                   causal ? Band::depth_upto_row : Band::full, scratch);
    }
  });
}

template <typename T>
void attention_backward_pairs(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v, const Tensor& grad_out,
                              const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& probs, T scale,
                              bool causal) {
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2), source = k.size(2);
  const T* probs_data = static_cast<const T*>(probs.data_ptr());
  parallel_for(0, batch * heads, 1, [&](int64_t first, int64_t last) {
    std::vector<T> grad_scores(static_cast<size_t>(length * source)), scratch;
    for (int64_t pair = first; pair < last; ++pair) {
      const int64_t n = pair / heads, h = pair % heads;
      const MatrixRef<const T> p{probs_data + pair * length * source, length, source, source, 1};
      const MatrixRef<const T> g = pair_matrix<const T>(grad_out, n, h);
      // grad_v (S, Dv) = probs^T (S, L) @ grad_out (L, Dv)
      pair_product(transposed(p), g, pair_matrix<T>(grad_v, n, h), causal ? Band::depth_from_row : Band::full, scratch);
      // grad_probs (L, S) = grad_out (L, Dv) @ v^T (Dv, S), then the softmax backward in place, times scale.
      const MatrixRef<T> gs{grad_scores.data(), length, source, source, 1};
      pair_product(g, transposed(pair_matrix<const T>(v, n, h)), gs, causal ? Band::columns_upto_row : Band::full,
                   scratch);
      for (int64_t i = 0; i < length; ++i) {
        // Past the causal limit probs are 0 and grad_probs was not computed.
        const int64_t limit = causal ? std::min(source, i + 1) : source;
        T* row = grad_scores.data() + i * source;
        const T* prob = p.data + i * source;
        const T dot = row_dot(row, prob, limit);
        for (int64_t j = 0; j < limit; ++j) row[j] = prob[j] * (row[j] - dot) * scale;
        std::fill(row + limit, row + source, T(0));
      }
      // grad_q (L, D) = grad_scores (L, S) @ k (S, D); grad_k (S, D) = grad_scores^T (S, L) @ q (L, D)
      pair_product(as_const(gs), pair_matrix<const T>(k, n, h), pair_matrix<T>(grad_q, n, h),
                   causal ? Band::depth_upto_row : Band::full, scratch);
      pair_product(transposed(as_const(gs)), pair_matrix<const T>(q, n, h), pair_matrix<T>(grad_k, n, h),
                   causal ? Band::depth_from_row : Band::full, scratch);
    }
  });
}

bool is_16bit(DType dtype) { return dtype == DType::f16 || dtype == DType::bf16; }

// The pair kernels want non-empty GEMMs and outputs the GEMM writes in place
// (row- or column-major matrices); anything else takes the composite.
bool fusable(const Tensor& q, const Tensor& k, const Tensor& v, std::initializer_list<const Tensor*> outputs) {
  if (is_16bit(q.dtype()) || q.numel() == 0 || k.numel() == 0 || v.numel() == 0) return false;
  for (const Tensor* out : outputs) {
    if (out->stride(3) != 1 && out->stride(2) != 1) return false;
  }
  return true;
}

}  // namespace

void CpuBackend::attention(const Tensor& out, const Tensor& probs, const Tensor& q, const Tensor& k, const Tensor& v,
                           const Tensor& mask, double scale, bool causal) {
  MINI_ASSERT(probs.is_contiguous() && q.dim() == 4 && k.dim() == 4 && v.dim() == 4 && out.dim() == 4,
              "attention: probs {} q {} k {} v {} out {}", shape_str(probs.sizes()), shape_str(q.sizes()),
              shape_str(k.sizes()), shape_str(v.sizes()), shape_str(out.sizes()));
  if (!fusable(q, k, v, {&out})) return Backend::attention(out, probs, q, k, v, mask, scale, causal);
  dispatch_floating(q.dtype(), "attention", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      attention_forward<T>(out, probs, q, k, v, mask, static_cast<T>(scale), causal);
    }
  });
}

void CpuBackend::attention_backward(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v,
                                    const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& probs, double scale, bool causal) {
  if (!fusable(q, k, v, {&grad_q, &grad_k, &grad_v})) {
    return Backend::attention_backward(grad_q, grad_k, grad_v, grad_out, q, k, v, probs, scale, causal);
  }
  dispatch_floating(q.dtype(), "attention_backward", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      attention_backward_pairs<T>(grad_q, grad_k, grad_v, grad_out, q, k, v, probs, static_cast<T>(scale), causal);
    }
  });
}

}  // namespace mini::cpu
