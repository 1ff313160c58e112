// CPU matrix multiplication: CpuBackend::matmul and the gemm helpers of gemm.h.
//
// float32 goes to sgemm.cpp (an AVX-512 kernel) where the build has
// AVX-512; everything below is the Eigen path for float64 (and for float32
// elsewhere).
//
// NOTE: this is the only translation unit that includes Eigen, so its heavy
// product templates are compiled once. Eigen runs single-threaded
// (EIGEN_DONT_PARALLELIZE, no OpenMP): the baselines (RESULTS.md section 2a)
// show Eigen's own OpenMP GEMM is slower than splitting the rows of C in one
// block per thread with a single-threaded Eigen GEMM per block, which is what
// gemm_parallel does over mini's thread pool.
//
// Dtypes: float32/float64 through sgemm/Eigen; float16/bfloat16 are converted
// to float32, multiplied, and rounded back once (as PyTorch's CPU kernels
// accumulate in float); integer dtypes use a plain loop with wrap-around
// arithmetic, like PyTorch's integer matmul.
//
// NOTE: GCC 12 reports false "may be used uninitialized" warnings inside
// avx512fintrin.h for Eigen's AVX-512 packets; the pragma must come before
// the first include of the intrinsics headers to cover them.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>

#include <algorithm>
#include <tuple>
#include <type_traits>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/sgemm.h"
#include "tensor/ops/factory.h"
#include "tensor/parallel.h"

namespace mini::cpu {
namespace {

// Below this many flops (about 20 us on one core) a product runs on one
// thread: the pool's wake-up and the second copy of the packed operand would
// eat most of the gain.
constexpr double kMinParallelFlops = 2.0 * 1024 * 1024;
// Row/column blocks handed to threads are multiples of this, so no thread
// gets a ragged register panel in the middle of C.
constexpr int64_t kBlockAlign = 16;

template <typename T, int Order>
using MatrixMap =
    Eigen::Map<Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, Eigen::Dynamic, Order>, Eigen::Unaligned,
               Eigen::OuterStride<>>;
template <typename T, int Order>
using ConstMatrixMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>, Eigen::Unaligned,
                                  Eigen::OuterStride<>>;

template <typename T>
MatrixRef<T> transposed(const MatrixRef<T>& m) {
  return {m.data, m.cols, m.rows, m.col_stride, m.row_stride};
}

// Unit stride along the columns (or a single column): usable as row-major.
template <typename T>
bool is_row_major(const MatrixRef<T>& m) {
  return m.col_stride == 1 || m.cols <= 1;
}
template <typename T>
bool is_col_major(const MatrixRef<T>& m) {
  return m.row_stride == 1 || m.rows <= 1;
}

// Copies an operand with neither unit stride into `buffer`, row-major.
template <typename T>
MatrixRef<const T> pack_row_major(const MatrixRef<const T>& m, std::vector<T>& buffer) {
  buffer.resize(static_cast<size_t>(m.rows * m.cols));
  for (int64_t i = 0; i < m.rows; ++i) {
    for (int64_t j = 0; j < m.cols; ++j) buffer[i * m.cols + j] = m.data[i * m.row_stride + j * m.col_stride];
  }
  return {buffer.data(), m.rows, m.cols, m.cols, 1};
}

// c (column-major) = or += a @ b, with each of a and b row- or column-major.
template <typename T, int OrderA, int OrderB>
void eigen_product(const MatrixRef<const T>& a, const MatrixRef<const T>& b, const MatrixRef<T>& c,
                   bool accumulate) {
  const ConstMatrixMap<T, OrderA> ma(a.data, a.rows, a.cols,
                                     Eigen::OuterStride<>(OrderA == Eigen::RowMajor ? a.row_stride : a.col_stride));
  const ConstMatrixMap<T, OrderB> mb(b.data, b.rows, b.cols,
                                     Eigen::OuterStride<>(OrderB == Eigen::RowMajor ? b.row_stride : b.col_stride));
  MatrixMap<T, Eigen::ColMajor> mc(c.data, c.rows, c.cols, Eigen::OuterStride<>(c.col_stride));
  if (accumulate) {
    mc.noalias() += ma * mb;
  } else {
    mc.noalias() = ma * mb;
  }
}

template <typename T>
void gemm_impl(MatrixRef<const T> a, MatrixRef<const T> b, MatrixRef<T> c, bool accumulate) {
  const int64_t m = c.rows, n = c.cols, k = a.cols;
  MINI_ASSERT(a.rows == m && b.rows == k && b.cols == n, "gemm: ({}, {}) @ ({}, {}) -> ({}, {})", a.rows, a.cols,
              b.rows, b.cols, c.rows, c.cols);
  if (m == 0 || n == 0) return;
  if (!is_row_major(c) && !is_col_major(c)) {
    // A scattered output: compute into a compact buffer, then add or copy it in.
    std::vector<T> buffer(static_cast<size_t>(m * n));
    gemm_impl<T>(a, b, MatrixRef<T>{buffer.data(), m, n, n, 1}, false);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        T& out = c.data[i * c.row_stride + j * c.col_stride];
        out = accumulate ? out + buffer[i * n + j] : buffer[i * n + j];
      }
    }
    return;
  }
  if (k == 0) {
    if (!accumulate) {
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) c.data[i * c.row_stride + j * c.col_stride] = T(0);
      }
    }
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (sgemm_available()) {
      sgemm(a, b, c, accumulate, /*parallel=*/false);
      return;
    }
  }
  // Work on a column-major c: C = A B is the same product as C^T = B^T A^T.
  if (!is_col_major(c)) {
    const MatrixRef<const T> a_t = transposed(b), b_t = transposed(a);
    a = a_t;
    b = b_t;
    c = transposed(c);
  }
  std::vector<T> a_buffer, b_buffer;
  if (!is_row_major(a) && !is_col_major(a)) a = pack_row_major(a, a_buffer);
  if (!is_row_major(b) && !is_col_major(b)) b = pack_row_major(b, b_buffer);
  if (is_row_major(a)) {
    if (is_row_major(b)) {
      eigen_product<T, Eigen::RowMajor, Eigen::RowMajor>(a, b, c, accumulate);
    } else {
      eigen_product<T, Eigen::RowMajor, Eigen::ColMajor>(a, b, c, accumulate);
    }
  } else {
    if (is_row_major(b)) {
      eigen_product<T, Eigen::ColMajor, Eigen::RowMajor>(a, b, c, accumulate);
    } else {
      eigen_product<T, Eigen::ColMajor, Eigen::ColMajor>(a, b, c, accumulate);
    }
  }
}

double gemm_flops(int64_t m, int64_t n, int64_t k) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
}

// Splits the larger of c's two dims into one aligned block per thread; each
// block is an independent single-threaded GEMM (a block of rows needs all of
// b, a block of columns all of a).
template <typename T>
void gemm_parallel_impl(const MatrixRef<const T>& a, const MatrixRef<const T>& b, const MatrixRef<T>& c,
                        bool accumulate) {
  const int64_t m = c.rows, n = c.cols, k = a.cols;
  if constexpr (std::is_same_v<T, float>) {
    // sgemm splits the product itself, by rows or columns depending on what it packs.
    if (sgemm_available() && m > 0 && n > 0 && k > 0 && (is_row_major(c) || is_col_major(c))) {
      sgemm(a, b, c, accumulate, /*parallel=*/true);
      return;
    }
  }
  const int threads = num_threads();
  if (threads == 1 || gemm_flops(m, n, k) < kMinParallelFlops) {
    gemm_impl<T>(a, b, c, accumulate);
    return;
  }
  const bool split_rows = m >= n;
  const int64_t extent = split_rows ? m : n;
  const int64_t tasks = std::min<int64_t>(threads, (extent + kBlockAlign - 1) / kBlockAlign);
  const auto block_start = [&](int64_t task) {
    return task == tasks ? extent : extent * task / tasks / kBlockAlign * kBlockAlign;
  };
  parallel_for(0, tasks, 1, [&](int64_t first, int64_t last) {
    for (int64_t task = first; task < last; ++task) {
      const int64_t begin = block_start(task), count = block_start(task + 1) - begin;
      if (split_rows) {
        gemm_impl<T>({a.data + begin * a.row_stride, count, k, a.row_stride, a.col_stride}, b,
                     {c.data + begin * c.row_stride, count, n, c.row_stride, c.col_stride}, accumulate);
      } else {
        gemm_impl<T>(a, {b.data + begin * b.col_stride, k, count, b.row_stride, b.col_stride},
                     {c.data + begin * c.col_stride, m, count, c.row_stride, c.col_stride}, accumulate);
      }
    }
  });
}

template <typename T>
MatrixRef<T> last_two_dims(const Tensor& tensor, int64_t element_offset) {
  const int64_t rank = tensor.dim();
  return {static_cast<T*>(tensor.data_ptr()) + element_offset, tensor.size(rank - 2), tensor.size(rank - 1),
          tensor.stride(rank - 2), tensor.stride(rank - 1)};
}

// Element offsets of each matrix of `tensor` over the batch dims of `batch_sizes`.
std::vector<int64_t> batch_offsets(const Tensor& tensor, const Shape& batch_sizes) {
  const int64_t count = numel_of(batch_sizes);
  std::vector<int64_t> offsets(static_cast<size_t>(count), 0);
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t remainder = flat, offset = 0;
    for (size_t d = batch_sizes.size(); d-- > 0;) {
      offset += remainder % batch_sizes[d] * tensor.strides()[d];
      remainder /= batch_sizes[d];
    }
    offsets[static_cast<size_t>(flat)] = offset;
  }
  return offsets;
}

struct BatchedProduct {
  Shape batch_sizes;
  std::vector<int64_t> dst_offsets, a_offsets, b_offsets;
  int64_t m = 0, n = 0, k = 0;
};

template <typename T>
void floating_matmul(const BatchedProduct& product, const Tensor& dst, const Tensor& a, const Tensor& b) {
  const int64_t batch = static_cast<int64_t>(product.dst_offsets.size());
  const auto matrices = [&](int64_t index) {
    return std::tuple{last_two_dims<const T>(a, product.a_offsets[index]),
                      last_two_dims<const T>(b, product.b_offsets[index]),
                      last_two_dims<T>(dst, product.dst_offsets[index])};
  };
  const int threads = num_threads();
  const double flops = gemm_flops(product.m, product.n, product.k) * static_cast<double>(batch);
  // Whole matrices per thread when they divide evenly (no duplicated
  // packing); otherwise each product is split across the threads.
  const bool parallel_over_batch =
      threads > 1 && flops >= kMinParallelFlops && (batch % threads == 0 || batch >= 4 * threads);
  if (parallel_over_batch) {
    parallel_for(0, batch, 1, [&](int64_t first, int64_t last) {
      for (int64_t index = first; index < last; ++index) {
        const auto [ma, mb, mc] = matrices(index);
        gemm_impl<T>(ma, mb, mc, false);
      }
    });
    return;
  }
  for (int64_t index = 0; index < batch; ++index) {
    const auto [ma, mb, mc] = matrices(index);
    gemm_parallel_impl<T>(ma, mb, mc, false);
  }
}

// Integer products wrap around like C's unsigned arithmetic (PyTorch's integer
// matmul wraps too); accumulating in uint64 avoids signed-overflow UB.
template <typename T>
void integer_matmul(const BatchedProduct& product, const Tensor& dst, const Tensor& a, const Tensor& b) {
  const int64_t batch = static_cast<int64_t>(product.dst_offsets.size());
  const int64_t m = product.m, n = product.n, k = product.k;
  const double row_cost = static_cast<double>(std::max<int64_t>(1, n * k));
  const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(kMinParallelFlops / 2 / row_cost));
  parallel_for(0, batch * m, grain, [&](int64_t first, int64_t last) {
    std::vector<uint64_t> row(static_cast<size_t>(n));
    for (int64_t flat = first; flat < last; ++flat) {
      const int64_t index = flat / m, i = flat % m;
      const MatrixRef<const T> ma = last_two_dims<const T>(a, product.a_offsets[index]);
      const MatrixRef<const T> mb = last_two_dims<const T>(b, product.b_offsets[index]);
      const MatrixRef<T> mc = last_two_dims<T>(dst, product.dst_offsets[index]);
      std::fill(row.begin(), row.end(), uint64_t{0});
      for (int64_t p = 0; p < k; ++p) {
        const auto scale = static_cast<uint64_t>(static_cast<int64_t>(ma.data[i * ma.row_stride + p * ma.col_stride]));
        const T* b_row = mb.data + p * mb.row_stride;
        for (int64_t j = 0; j < n; ++j) {
          row[j] += scale * static_cast<uint64_t>(static_cast<int64_t>(b_row[j * mb.col_stride]));
        }
      }
      for (int64_t j = 0; j < n; ++j) mc.data[i * mc.row_stride + j * mc.col_stride] = static_cast<T>(row[j]);
    }
  });
}

}  // namespace

void gemm(const MatrixRef<const float>& a, const MatrixRef<const float>& b, const MatrixRef<float>& c,
          bool accumulate) {
  gemm_impl<float>(a, b, c, accumulate);
}
void gemm(const MatrixRef<const double>& a, const MatrixRef<const double>& b, const MatrixRef<double>& c,
          bool accumulate) {
  gemm_impl<double>(a, b, c, accumulate);
}
void gemm_parallel(const MatrixRef<const float>& a, const MatrixRef<const float>& b, const MatrixRef<float>& c,
                   bool accumulate) {
  gemm_parallel_impl<float>(a, b, c, accumulate);
}
void gemm_parallel(const MatrixRef<const double>& a, const MatrixRef<const double>& b, const MatrixRef<double>& c,
                   bool accumulate) {
  gemm_parallel_impl<double>(a, b, c, accumulate);
}

void CpuBackend::matmul(const Tensor& dst, const Tensor& a, const Tensor& b) {
  const int64_t rank = dst.dim();
  MINI_ASSERT(rank >= 2 && a.dim() == rank && b.dim() == rank, "matmul: ranks {} {} {}", dst.dim(), a.dim(),
              b.dim());
  MINI_ASSERT(a.dtype() == dst.dtype() && b.dtype() == dst.dtype(), "matmul: mixed dtypes");
  BatchedProduct product;
  product.batch_sizes = Shape(dst.sizes().begin(), dst.sizes().end() - 2);
  product.m = dst.size(rank - 2);
  product.n = dst.size(rank - 1);
  product.k = a.size(rank - 1);
  MINI_ASSERT(a.size(rank - 2) == product.m && b.size(rank - 2) == product.k && b.size(rank - 1) == product.n,
              "matmul: {} @ {} -> {}", shape_str(a.sizes()), shape_str(b.sizes()), shape_str(dst.sizes()));
  if (dst.numel() == 0) return;

  const DType dtype = dst.dtype();
  if (dtype == DType::f16 || dtype == DType::bf16) {
    // Multiply in float32 and round the result once.
    Tensor a32 = ops::empty(a.sizes(), {.dtype = DType::f32});
    Tensor b32 = ops::empty(b.sizes(), {.dtype = DType::f32});
    Tensor dst32 = ops::empty(dst.sizes(), {.dtype = DType::f32});
    copy(a32, a);
    copy(b32, b);
    matmul(dst32, a32, b32);
    copy(dst, dst32);
    return;
  }
  product.dst_offsets = batch_offsets(dst, product.batch_sizes);
  product.a_offsets = batch_offsets(a, product.batch_sizes);
  product.b_offsets = batch_offsets(b, product.batch_sizes);
  switch (dtype) {
    case DType::f32: floating_matmul<float>(product, dst, a, b); break;
    case DType::f64: floating_matmul<double>(product, dst, a, b); break;
    case DType::i32: integer_matmul<int32_t>(product, dst, a, b); break;
    case DType::i64: integer_matmul<int64_t>(product, dst, a, b); break;
    case DType::u8: integer_matmul<uint8_t>(product, dst, a, b); break;
    default: throw ValueError(fmt::format("matmul: not supported for dtype {}", dtype_name(dtype)));
  }
}

}  // namespace mini::cpu
