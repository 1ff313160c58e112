// The float32 GEMM: an AVX-512 register-tiled kernel over packed (or
// in-place) panels of b, split over the thread pool by columns or rows.
//
// Layout (c row-major; a column-major c is the transposed product):
//   for each block of b (kc rows x nc columns, about half of L2):
//     pack it as 32-column panels (kc x 32, rows contiguous), unless b is
//     row-major: then full panels are read in place and only a ragged last
//     one is packed (zero-padded)
//     for each strip of 12 rows of a (read in place, row- or column-major):
//       for each panel: c tile (12 x 32) = or += a strip @ panel
// The a strip (12 x kc floats, <= 12 KiB) stays in L1 while the panels
// stream from L2. Overwriting (not accumulating) products never read c, so c
// needs no zeroing first.
//
// NOTE: why not Eigen (which gemm.cpp still uses for float64). On the MLP
// training shapes (M = 128, K = 128..784) Eigen's gebp reached 55-65% of
// this core's FMA peak and packs both operands on every call. The kernel
// here keeps 24 accumulators (12 rows x 2 vectors of 16) and issues 2 vector
// loads and 12 broadcasts per 24 FMAs, so it is FMA-bound: about 95% of peak
// on one core with operands in cache.
// NOTE: a is read in place: a 128-row activation is reused by only a few
// panels, and packing it (even as a plain copy) measured no faster. The
// exception is a row-major a whose rows are a multiple of 4 KiB apart: its
// 12 rows then fall in one L1 set and evict each other at every step of k,
// so each strip is packed first.
// NOTE: b in place (row-major b: the weights in dX = dY W, the activations
// in dW = dY^T X) saves its packing and makes a split by rows free.
//
// Rounding: within a depth block each element sums its products in k order;
// blocks are added to c in order.
//
// NOTE: GCC 12 reports false "may be used uninitialized" warnings inside
// avx512fintrin.h (the intrinsics' undefined pass-through operands); the
// pragma must come before the first include of the intrinsics headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "tensor/cpu/sgemm.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>
#include <vector>

#include "tensor/error.h"
#include "tensor/parallel.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace mini::cpu {

#if defined(__AVX512F__)
namespace {

constexpr int kMR = 12;  // rows of a register tile
constexpr int kNR = 32;  // columns of a register tile: two vectors of 16 floats
// Deepest block: a strip of a (kMR x kKC floats, 12 KiB) stays in the 32 KiB
// L1 beside the panel being read. Measured flat from 128 to 800 on the MLP
// shapes; deeper blocks re-read and re-write c less often.
constexpr int64_t kKC = 256;
// Packed block of b per thread: about half of a 1 MiB L2.
constexpr int64_t kPackBytes = 512 * 1024;
// Row strides of a that are a multiple of this (the L1's set stride) get a
// packed strip: e.g. 1024^3 products ran at 75% of the speed of 1000^3.
constexpr int64_t kAliasBytes = 4096;
// Below this many flops (about 20 us on one core) a product stays on the
// calling thread: waking the pool would eat most of the gain.
constexpr double kMinParallelFlops = 2.0 * 1024 * 1024;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

__mmask16 low_mask(int64_t count) {
  return count >= 16 ? __mmask16(0xFFFF) : count <= 0 ? __mmask16(0) : __mmask16((1u << count) - 1);
}

// A grow-only 64-byte aligned buffer per thread (pool threads keep theirs
// between calls, so steady-state training allocates nothing here).
float* thread_pack_buffer(size_t floats) {
  struct Buffer {
    float* data = nullptr;
    size_t size = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffer;
  if (buffer.size < floats) {
    std::free(buffer.data);
    const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    buffer.data = static_cast<float*>(std::aligned_alloc(64, bytes));
    MINI_ASSERT(buffer.data != nullptr, "sgemm: out of memory packing {} floats", floats);
    buffer.size = floats;
  }
  return buffer.data;
}

// c tile (MR x cols) = (or += when `add`) a (MR x kc) @ panel (kc x 16 NV),
// cols <= 16 NV: NV accumulators of 16 floats per row.
// kRowA: a(i, p) = a[i * lda + p]; else a(i, p) = a[p * lda + i].
// The panel's rows are ldb floats apart (kNR when packed).
template <int MR, int NV, bool kRowA>
void tile_kernel(int64_t kc, const float* a, int64_t lda, const float* panel, int64_t ldb, float* c, int64_t ldc,
                 int64_t cols, bool add) {
  __m512 acc[MR][NV];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  // Row pointers for a row-major a (one register each; the loop indexes them by p).
  const float* rows[MR];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) rows[i] = a + i * lda;
  for (int64_t p = 0; p < kc; ++p) {
    __m512 b[NV];
    for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_ps(panel + 16 * v);
    panel += ldb;
    const float* column = a + p * lda;
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(kRowA ? rows[i][p] : column[i]);
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, b[v], acc[i][v]);
    }
  }
  __mmask16 masks[NV];
  for (int v = 0; v < NV; ++v) masks[v] = low_mask(cols - 16 * v);
  const bool full = cols == 16 * NV;
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    float* row = c + i * ldc;
    for (int v = 0; v < NV; ++v) {
      if (full) {
        if (add) acc[i][v] = _mm512_add_ps(acc[i][v], _mm512_loadu_ps(row + 16 * v));
        _mm512_storeu_ps(row + 16 * v, acc[i][v]);
      } else {
        if (add) acc[i][v] = _mm512_add_ps(acc[i][v], _mm512_maskz_loadu_ps(masks[v], row + 16 * v));
        _mm512_mask_storeu_ps(row + 16 * v, masks[v], acc[i][v]);
      }
    }
  }
}

using TileFn = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t, bool);

template <int NV, bool kRowA, size_t... I>
constexpr std::array<TileFn, sizeof...(I)> tile_table(std::index_sequence<I...>) {
  return {&tile_kernel<static_cast<int>(I) + 1, NV, kRowA>...};
}
// [a column-major][one vector][rows - 1]: the kernel for a strip of that many
// rows, two vectors wide, or one for tiles of at most 16 columns.
constexpr std::array<std::array<std::array<TileFn, kMR>, 2>, 2> kTiles = {{
    {{tile_table<2, true>(std::make_index_sequence<kMR>{}), tile_table<1, true>(std::make_index_sequence<kMR>{})}},
    {{tile_table<2, false>(std::make_index_sequence<kMR>{}), tile_table<1, false>(std::make_index_sequence<kMR>{})}},
}};

// In-register transpose: afterwards r[i][j] holds what r[j][i] held.
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // r[4g + q], 128-bit lane l: rows 4g..4g+3 of column 4l + q.
  for (int g = 0; g < 4; ++g) {
    r[4 * g] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    r[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    r[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    r[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  // A 4x4 transpose of 128-bit lanes among r[q], r[4 + q], r[8 + q], r[12 + q].
  for (int q = 0; q < 4; ++q) {
    const __m512 x0 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x88), x1 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xDD);
    const __m512 y0 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x88);
    const __m512 y1 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xDD);
    t[q] = _mm512_shuffle_f32x4(x0, y0, 0x88);
    t[4 + q] = _mm512_shuffle_f32x4(x1, y1, 0x88);
    t[8 + q] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
    t[12 + q] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
  }
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

// One 32-column panel of b (rows p0.., columns j0.., `width` <= 32 of them
// real, the rest zero) into dst as kc rows of 32 floats.
void pack_panel_rows(const MatrixRef<const float>& b, int64_t p0, int64_t kc, int64_t j0, int64_t width, float* dst) {
  const __mmask16 mask0 = low_mask(width), mask1 = low_mask(width - 16);
  const float* src = b.data + p0 * b.row_stride + j0;
  for (int64_t p = 0; p < kc; ++p, src += b.row_stride) {
    _mm512_store_ps(dst + p * kNR, _mm512_maskz_loadu_ps(mask0, src));
    _mm512_store_ps(dst + p * kNR + 16, _mm512_maskz_loadu_ps(mask1, src + 16));
  }
}

void pack_panel_columns(const MatrixRef<const float>& b, int64_t p0, int64_t kc, int64_t j0, int64_t width,
                        float* dst) {
  for (int half = 0; half < 2; ++half) {
    const int64_t columns = std::clamp<int64_t>(width - 16 * half, 0, 16);
    const float* src = b.data + p0 + (j0 + 16 * half) * b.col_stride;
    for (int64_t p = 0; p < kc; p += 16) {
      const int64_t depth = std::min<int64_t>(16, kc - p);
      const __mmask16 mask = low_mask(depth);
      __m512 r[16];
      for (int64_t j = 0; j < 16; ++j) {
        r[j] = j < columns ? _mm512_maskz_loadu_ps(mask, src + j * b.col_stride + p) : _mm512_setzero_ps();
      }
      transpose16(r);
      for (int64_t d = 0; d < depth; ++d) _mm512_store_ps(dst + (p + d) * kNR + 16 * half, r[d]);
    }
  }
}

void pack_panel(const MatrixRef<const float>& b, int64_t p0, int64_t kc, int64_t j0, int64_t width, float* dst) {
  if (b.col_stride == 1) return pack_panel_rows(b, p0, kc, j0, width, dst);
  if (b.row_stride == 1) return pack_panel_columns(b, p0, kc, j0, width, dst);
  for (int64_t p = 0; p < kc; ++p) {
    for (int64_t j = 0; j < kNR; ++j) {
      dst[p * kNR + j] = j < width ? b.data[(p0 + p) * b.row_stride + (j0 + j) * b.col_stride] : 0.0f;
    }
  }
}

// A strip of row-major a (rows <= kMR, kc deep, rows lda apart) into dst as
// kc groups of kMR floats, the layout of a column-major strip.
void pack_strip(const float* a, int64_t lda, int64_t rows, int64_t kc, float* dst) {
  const __mmask16 row_mask = low_mask(rows);
  for (int64_t p = 0; p < kc; p += 16) {
    const __mmask16 mask = low_mask(kc - p);
    __m512 r[16];
    for (int64_t i = 0; i < 16; ++i)
      r[i] = i < rows ? _mm512_maskz_loadu_ps(mask, a + i * lda + p) : _mm512_setzero_ps();
    transpose16(r);
    for (int64_t d = 0; d < std::min<int64_t>(16, kc - p); ++d)
      _mm512_mask_storeu_ps(dst + (p + d) * kMR, row_mask, r[d]);
  }
}

struct Product {
  MatrixRef<const float> a, b;
  MatrixRef<float> c;  // row-major
  bool accumulate = false;
  bool row_major_a = true;  // else column-major
  bool direct_b = false;    // b is row-major: its full panels are read in place
};

// c[m0:m1, n0:n1] = (or +=) a[m0:m1, :] @ b[:, n0:n1] on the calling thread.
void compute_block(const Product& product, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  if (m0 >= m1 || n0 >= n1) return;
  const MatrixRef<const float>& a = product.a;
  const MatrixRef<const float>& b = product.b;
  const MatrixRef<float>& c = product.c;
  const int64_t k = a.cols;
  const int64_t k_blocks = ceil_div(k, kKC);
  const int64_t kc_max = ceil_div(k, k_blocks);
  const int64_t nc_max = std::max<int64_t>(kNR, kPackBytes / (kc_max * 4) / kNR * kNR);
  const int64_t a_stride = product.row_major_a ? a.row_stride : a.col_stride;
  const bool direct_b = product.direct_b;
  const auto& tiles = kTiles[product.row_major_a ? 0 : 1];
  const size_t b_floats =
      static_cast<size_t>(kc_max * (direct_b ? kNR : ceil_div(std::min(nc_max, n1 - n0), kNR) * kNR));
  // Rows of a that lie a multiple of 4 KiB apart share their L1 set: the 12
  // rows of a strip would evict each other at every step of k.
  const bool pack_a = product.row_major_a && (a.row_stride * 4) % kAliasBytes == 0 && a.rows > 1;
  float* packed = thread_pack_buffer(b_floats + (pack_a ? static_cast<size_t>(kMR * kc_max + 16) : 0));
  float* a_packed = packed + b_floats;
  for (int64_t jc = n0; jc < n1; jc += nc_max) {
    const int64_t nc = std::min(nc_max, n1 - jc);
    const int64_t panels = ceil_div(nc, kNR);
    const bool ragged = nc % kNR != 0;
    for (int64_t kb = 0; kb < k_blocks; ++kb) {
      const int64_t p0 = k * kb / k_blocks, kc = k * (kb + 1) / k_blocks - p0;
      if (direct_b) {
        // Full panels are read in place; a ragged last one is packed (zero-padded).
        if (ragged) pack_panel(b, p0, kc, jc + (panels - 1) * kNR, nc - (panels - 1) * kNR, packed);
      } else {
        for (int64_t q = 0; q < panels; ++q) {
          pack_panel(b, p0, kc, jc + q * kNR, std::min<int64_t>(kNR, nc - q * kNR), packed + q * kc * kNR);
        }
      }
      const bool add = product.accumulate || kb > 0;
      for (int64_t i = m0; i < m1; i += kMR) {
        const int64_t rows = std::min<int64_t>(kMR, m1 - i);
        const float* a_strip = product.row_major_a ? a.data + i * a.row_stride + p0 : a.data + p0 * a.col_stride + i;
        int64_t strip_stride = a_stride;
        const auto* strip_tiles = &tiles;
        if (pack_a) {
          pack_strip(a_strip, a_stride, rows, kc, a_packed);
          a_strip = a_packed;
          strip_stride = kMR;
          strip_tiles = &kTiles[1];
        }
        float* c_strip = c.data + i * c.row_stride + jc;
        for (int64_t q = 0; q < panels; ++q) {
          const int64_t width = std::min<int64_t>(kNR, nc - q * kNR);
          const float* panel = packed + q * kc * kNR;
          int64_t ldb = kNR;
          if (direct_b) {
            panel = width == kNR ? b.data + p0 * b.row_stride + jc + q * kNR : packed;
            ldb = width == kNR ? b.row_stride : kNR;
          }
          (*strip_tiles)[width <= 16 ? 1 : 0][static_cast<size_t>(rows - 1)](
              kc, a_strip, strip_stride, panel, ldb, c_strip + q * kNR, c.row_stride, width, add);
        }
      }
    }
  }
}

// Estimated cost of c[rows, cols] on one thread, per unit of depth, in
// row-times-tile-columns: a register tile always computes 32 columns, a
// strip of rows costs its rows plus a fixed overhead, and packing a panel of
// b costs about what 8 rows of tiles do.
double block_cost(int64_t rows, int64_t cols, bool packs_b) {
  const int64_t panels = ceil_div(cols, kNR);
  const double strips = static_cast<double>(rows / kMR * (kMR + 2) + (rows % kMR ? rows % kMR + 2 : 0));
  const bool packs_tail = cols % kNR != 0;
  return strips * static_cast<double>(panels) + 8.0 * static_cast<double>(packs_b ? panels : packs_tail ? 1 : 0);
}

// Boundaries of `tasks` pieces of [0, extent) at multiples of align, as even as possible.
std::vector<int64_t> split_points(int64_t extent, int64_t tasks, int64_t align) {
  std::vector<int64_t> points(static_cast<size_t>(tasks + 1), extent);
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t ideal = extent * t / tasks;
    points[static_cast<size_t>(t)] = std::min(extent, (ideal + align / 2) / align * align);
  }
  return points;
}

struct Split {
  bool by_columns = true;
  std::vector<int64_t> points;
  double cost = 0;  // of the most expensive piece
};

// Splits c by columns (each thread packs only its own part of b) or by rows
// (every thread needs all of b: free when b is read in place), whichever
// leaves the most expensive thread the least work. Ties go to rows: thread t
// then writes the t-th contiguous part of c, which is the part that
// elementwise passes over c (the optimizer's, for a weight gradient) hand to
// the same thread, so it is still in that core's cache.
Split choose_split(const Product& product, int threads) {
  const int64_t rows = product.c.rows, cols = product.c.cols;
  const bool packs_b = !product.direct_b;
  Split by_columns{true, split_points(cols, std::min<int64_t>(threads, ceil_div(cols, kNR)), kNR), 0};
  for (size_t t = 0; t + 1 < by_columns.points.size(); ++t) {
    by_columns.cost =
        std::max(by_columns.cost, block_cost(rows, by_columns.points[t + 1] - by_columns.points[t], packs_b));
  }
  Split by_rows{false, split_points(rows, std::min<int64_t>(threads, ceil_div(rows, 4)), 4), 0};
  for (size_t t = 0; t + 1 < by_rows.points.size(); ++t) {
    by_rows.cost = std::max(by_rows.cost, block_cost(by_rows.points[t + 1] - by_rows.points[t], cols, packs_b));
  }
  return by_rows.cost <= by_columns.cost ? by_rows : by_columns;
}

MatrixRef<const float> transposed(const MatrixRef<const float>& m) {
  return {m.data, m.cols, m.rows, m.col_stride, m.row_stride};
}

}  // namespace

bool sgemm_available() { return true; }

void sgemm(MatrixRef<const float> a, MatrixRef<const float> b, MatrixRef<float> c, bool accumulate, bool parallel) {
  const int64_t m = c.rows, n = c.cols, k = a.cols;
  MINI_ASSERT(a.rows == m && b.rows == k && b.cols == n && m > 0 && n > 0 && k > 0,
              "sgemm: ({}, {}) @ ({}, {}) -> ({}, {})", a.rows, a.cols, b.rows, b.cols, c.rows, c.cols);
  if (c.col_stride != 1 && c.cols > 1) {
    // A column-major c: C^T = B^T A^T is row-major.
    MINI_ASSERT(c.row_stride == 1 || c.rows == 1, "sgemm: c needs a unit stride");
    const MatrixRef<const float> a_t = transposed(b), b_t = transposed(a);
    a = a_t;
    b = b_t;
    c = {c.data, c.cols, c.rows, c.col_stride, c.row_stride};
  }
  Product product{a, b, c, accumulate, true, b.col_stride == 1};
  std::vector<float> a_buffer;
  if (a.col_stride == 1 || a.cols == 1) {
    product.row_major_a = true;
  } else if (a.row_stride == 1 || a.rows == 1) {
    product.row_major_a = false;
  } else {
    a_buffer.resize(static_cast<size_t>(a.rows * a.cols));
    for (int64_t i = 0; i < a.rows; ++i) {
      for (int64_t p = 0; p < a.cols; ++p) a_buffer[i * a.cols + p] = a.data[i * a.row_stride + p * a.col_stride];
    }
    product.a = {a_buffer.data(), a.rows, a.cols, a.cols, 1};
  }

  const int64_t rows = product.c.rows, cols = product.c.cols;
  const int threads = parallel ? num_threads() : 1;
  const double flops = 2.0 * static_cast<double>(rows) * static_cast<double>(cols) * static_cast<double>(k);
  if (threads == 1 || flops < kMinParallelFlops) {
    compute_block(product, 0, rows, 0, cols);
    return;
  }
  const Split split = choose_split(product, threads);
  parallel_for(0, static_cast<int64_t>(split.points.size()) - 1, 1, [&](int64_t first, int64_t last) {
    for (int64_t task = first; task < last; ++task) {
      const int64_t begin = split.points[task], end = split.points[task + 1];
      if (split.by_columns) {
        compute_block(product, 0, rows, begin, end);
      } else {
        compute_block(product, begin, end, 0, cols);
      }
    }
  });
}

#else  // no AVX-512: gemm.cpp keeps using Eigen

bool sgemm_available() { return false; }

void sgemm(MatrixRef<const float>, MatrixRef<const float>, MatrixRef<float>, bool, bool) {
  MINI_ASSERT(false, "sgemm: built without AVX-512");
}

#endif

}  // namespace mini::cpu
