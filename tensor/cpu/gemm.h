#pragma once
// Single-matrix GEMM helpers for CPU kernels (conv2d, matmul). The bodies live
// in gemm.cpp, the only translation unit that includes Eigen, so the heavy
// templates are compiled once; float32 runs sgemm.cpp's kernel where the
// build has AVX-512. Overwriting products (accumulate false) never read c.
#include <cstdint>

namespace mini::cpu {

// A strided matrix: element (i, j) is data[i * row_stride + j * col_stride].
template <typename T>
struct MatrixRef {
  T* data = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t row_stride = 0, col_stride = 0;
};

// c (m, n) = a (m, k) @ b (k, n), or c += a @ b when `accumulate`.
// Single-threaded. Row-major (col_stride 1) and column-major (row_stride 1)
// operands are used in place; any other layout is packed into a temporary.
void gemm(const MatrixRef<const float>& a, const MatrixRef<const float>& b, const MatrixRef<float>& c,
          bool accumulate);
void gemm(const MatrixRef<const double>& a, const MatrixRef<const double>& b, const MatrixRef<double>& c,
          bool accumulate);

// The same product split over the thread pool (by rows or columns of c,
// whichever balances better). Small products stay on the calling thread.
void gemm_parallel(const MatrixRef<const float>& a, const MatrixRef<const float>& b, const MatrixRef<float>& c,
                   bool accumulate);
void gemm_parallel(const MatrixRef<const double>& a, const MatrixRef<const double>& b, const MatrixRef<double>& c,
                   bool accumulate);

}  // namespace mini::cpu
