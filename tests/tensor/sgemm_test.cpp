// The float32 GEMM helpers (tensor/cpu/gemm.h, backed by sgemm.cpp where the
// build has AVX-512) against a double-precision triple loop: every operand
// layout, register-tile tails, several packed blocks, both thread splits.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tensor/cpu/gemm.h"
#include "tensor/parallel.h"

namespace mini::cpu {
namespace {

enum class Layout { row_major, col_major, strided, rows_4k_apart };

const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::row_major:
      return "row";
    case Layout::col_major:
      return "col";
    case Layout::strided:
      return "strided";
    default:
      return "rows 4 KiB apart";
  }
}

// A rows x cols matrix stored in `layout` (strided: row-major with a gap of 3
// floats after each row and every other column, so neither stride is 1;
// rows_4k_apart: row-major with rows 1024 floats apart, cols <= 1024).
struct Matrix {
  std::vector<float> storage;
  MatrixRef<float> ref;

  Matrix(int64_t rows, int64_t cols, Layout layout, uint64_t seed) {
    int64_t row_stride = cols, col_stride = 1, size = rows * cols;
    if (layout == Layout::col_major) {
      row_stride = 1;
      col_stride = rows;
    } else if (layout == Layout::strided) {
      col_stride = 2;
      row_stride = 2 * cols + 3;
      size = rows * row_stride;
    } else if (layout == Layout::rows_4k_apart) {
      row_stride = 1024;
      size = rows * row_stride;
    }
    storage.assign(static_cast<size_t>(std::max<int64_t>(size, 1)), std::numeric_limits<float>::quiet_NaN());
    ref = {storage.data(), rows, cols, row_stride, col_stride};
    std::mt19937_64 engine(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) at(i, j) = dist(engine);
    }
  }
  float& at(int64_t i, int64_t j) { return ref.data[i * ref.row_stride + j * ref.col_stride]; }
  MatrixRef<const float> view() const { return {ref.data, ref.rows, ref.cols, ref.row_stride, ref.col_stride}; }
};

// Runs c (= or +=) a @ b and compares with the double-precision product. The
// tolerance grows with k (rounding errors of a sum of k terms in [-1, 1]).
void expect_gemm_matches(int64_t m, int64_t n, int64_t k, Layout la, Layout lb, Layout lc, bool accumulate,
                         bool parallel) {
  const std::string what = fmt::format("({}x{}) @ ({}x{}) a {} b {} c {} accumulate {} parallel {}", m, k, k, n,
                                       layout_name(la), layout_name(lb), layout_name(lc), accumulate, parallel);
  Matrix a(m, k, la, 1), b(k, n, lb, 2), c(m, n, lc, 3);
  std::vector<double> expected(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = accumulate ? c.at(i, j) : 0.0;
      for (int64_t p = 0; p < k; ++p) sum += static_cast<double>(a.at(i, p)) * b.at(p, j);
      expected[i * n + j] = sum;
      // Overwriting must not read c: NaN there would poison the result.
      if (!accumulate) c.at(i, j) = std::numeric_limits<float>::quiet_NaN();
    }
  }
  if (parallel) {
    gemm_parallel(a.view(), b.view(), c.ref, accumulate);
  } else {
    gemm(a.view(), b.view(), c.ref, accumulate);
  }
  const double tolerance = 1e-6 * (8.0 + static_cast<double>(k));
  int reported = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const double got = c.at(i, j), want = expected[i * n + j];
      if (!(std::abs(got - want) <= tolerance) && reported++ < 5) {
        ADD_FAILURE() << what << ": c(" << i << ", " << j << ") = " << got << ", expected " << want;
      }
    }
  }
}

// Restores the thread count a test changed.
class ThreadCount {
 public:
  explicit ThreadCount(int count) : saved_(num_threads()) { set_num_threads(count); }
  ~ThreadCount() { set_num_threads(saved_); }

 private:
  int saved_;
};

TEST(Sgemm, MatchesTheReferenceForEveryOperandLayout) {
  const Layout layouts[] = {Layout::row_major, Layout::col_major, Layout::strided};
  for (Layout la : layouts) {
    for (Layout lb : layouts) {
      for (Layout lc : {Layout::row_major, Layout::col_major}) {
        expect_gemm_matches(13, 35, 19, la, lb, lc, false, false);
        expect_gemm_matches(13, 35, 19, la, lb, lc, true, false);
      }
    }
  }
}

TEST(Sgemm, HandlesEveryRowAndColumnTail) {
  // Rows 1..25 cover each partial register tile (12 rows) and columns 1..66
  // each partial 16-float vector of a 32-column tile.
  for (int64_t m : {1, 5, 11, 12, 13, 24, 25}) {
    for (int64_t n : {1, 7, 16, 17, 31, 32, 33, 66}) {
      expect_gemm_matches(m, n, 9, Layout::row_major, Layout::row_major, Layout::row_major, false, false);
      expect_gemm_matches(m, n, 9, Layout::col_major, Layout::col_major, Layout::row_major, true, false);
    }
  }
}

TEST(Sgemm, DeepProductsAddTheirDepthBlocksInOrder) {
  // k above one packed block's depth: later blocks accumulate into c.
  for (int64_t k : {255, 256, 257, 700}) {
    expect_gemm_matches(26, 40, k, Layout::row_major, Layout::col_major, Layout::row_major, false, false);
    expect_gemm_matches(26, 40, k, Layout::col_major, Layout::row_major, Layout::row_major, true, false);
  }
}

TEST(Sgemm, PacksRowsOfAThatShareTheirCacheSet) {
  // Rows of a 4 KiB apart are packed per strip: row and depth tails included.
  expect_gemm_matches(13, 40, 300, Layout::rows_4k_apart, Layout::row_major, Layout::row_major, false, false);
  expect_gemm_matches(25, 33, 1024, Layout::rows_4k_apart, Layout::col_major, Layout::row_major, true, false);
}

TEST(Sgemm, WideProductsUseSeveralPackedBlocks) {
  // 1100 columns at depth 300 do not fit one packed block of b.
  expect_gemm_matches(14, 1100, 300, Layout::row_major, Layout::row_major, Layout::row_major, false, false);
  expect_gemm_matches(14, 1100, 300, Layout::row_major, Layout::col_major, Layout::col_major, true, false);
}

TEST(Sgemm, ParallelSplitsGiveTheSameProduct) {
  const ThreadCount threads(3);
  // Wide outputs split by columns (ragged last block), narrow ones by rows.
  expect_gemm_matches(128, 784, 130, Layout::col_major, Layout::row_major, Layout::row_major, false, true);
  expect_gemm_matches(128, 250, 300, Layout::row_major, Layout::col_major, Layout::row_major, true, true);
  expect_gemm_matches(301, 40, 200, Layout::row_major, Layout::row_major, Layout::row_major, false, true);
  expect_gemm_matches(301, 40, 200, Layout::strided, Layout::strided, Layout::col_major, true, true);
}

}  // namespace
}  // namespace mini::cpu
