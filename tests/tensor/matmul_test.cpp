// ops::matmul / matmul_out / linear against a naive triple loop in double.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "support/tensor_testing.h"
#include "tensor/ops/linalg.h"

namespace mini {
namespace {

using testing::expect_values_near;
using testing::random_tensor;
using testing::to_doubles;

// torch.matmul's shape rules, spelled out with plain index arithmetic.
struct Reference {
  Shape sizes;
  std::vector<double> values;
};

Reference reference_matmul(const Tensor& a, const Tensor& b) {
  const std::vector<double> va = to_doubles(a), vb = to_doubles(b);
  Shape sa = a.dim() == 1 ? Shape{1, a.size(0)} : a.sizes();
  Shape sb = b.sizes();
  if (b.dim() == 1) sb.push_back(1);
  const int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  const Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  const size_t rank = std::max(batch_a.size(), batch_b.size());
  Shape batch(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t x = i < batch_a.size() ? batch_a[batch_a.size() - 1 - i] : 1;
    const int64_t y = i < batch_b.size() ? batch_b[batch_b.size() - 1 - i] : 1;
    batch[rank - 1 - i] = std::max(x, y);
  }
  // Flat matrix index into an operand's own batch dims, broadcasting size-1 dims.
  const auto operand_matrix = [&](const Shape& own, int64_t flat) {
    const Shape index = testing::unravel(flat, batch);
    int64_t result = 0;
    for (size_t d = 0; d < own.size(); ++d) {
      const int64_t i = index[rank - own.size() + d];
      result = result * own[d] + (own[d] == 1 ? 0 : i);
    }
    return result;
  };
  Reference ref;
  const int64_t count = numel_of(batch);
  ref.values.assign(static_cast<size_t>(count * m * n), 0.0);
  for (int64_t bi = 0; bi < count; ++bi) {
    const double* pa = va.data() + operand_matrix(batch_a, bi) * m * k;
    const double* pb = vb.data() + operand_matrix(batch_b, bi) * k * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p) sum += pa[i * k + p] * pb[p * n + j];
        ref.values[(bi * m + i) * n + j] = sum;
      }
    }
  }
  ref.sizes = batch;
  if (a.dim() > 1) ref.sizes.push_back(m);
  if (b.dim() > 1) ref.sizes.push_back(n);
  return ref;
}

// Inputs lie in [-1, 1], so each of the K products is at most 1 in size and
// the rounding error of the sum grows like sqrt(K) (a random walk): the
// absolute tolerance is the dtype's atol scaled by sqrt(K).
void expect_matmul_matches(const Tensor& result, const Tensor& a, const Tensor& b, const std::string& what = "") {
  const Reference ref = reference_matmul(a, b);
  ASSERT_EQ(result.sizes(), ref.sizes) << what << ": " << shape_str(result.sizes()) << " vs " << shape_str(ref.sizes);
  ASSERT_EQ(result.dtype(), a.dtype());
  const double k = static_cast<double>(a.size(-1));
  const double rtol = testing::rtol_for(a.dtype()), atol = testing::atol_for(a.dtype()) * std::max(1.0, std::sqrt(k));
  expect_values_near(result, ref.values, rtol, atol, what);
}

Tensor uniform(const Shape& sizes, uint64_t seed, DType dtype = DType::f32) {
  return random_tensor(sizes, dtype, seed, -1.0, 1.0);
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ValueError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(Matmul, OneDByOneDIsADotProduct) {
  const Tensor a = uniform({7}, 1), b = uniform({7}, 2);
  const Tensor result = ops::matmul(a, b);
  EXPECT_EQ(result.dim(), 0);
  expect_matmul_matches(result, a, b);
}

TEST(Matmul, OneDByTwoDDropsTheTemporaryRow) {
  const Tensor a = uniform({5}, 3), b = uniform({5, 3}, 4);
  expect_matmul_matches(ops::matmul(a, b), a, b);
}

TEST(Matmul, TwoDByOneDDropsTheTemporaryColumn) {
  const Tensor a = uniform({4, 5}, 5), b = uniform({5}, 6);
  expect_matmul_matches(ops::matmul(a, b), a, b);
}

TEST(Matmul, OneDOperandsBroadcastAgainstBatches) {
  const Tensor v = uniform({4}, 7), batch_b = uniform({2, 4, 3}, 8), batch_a = uniform({2, 3, 4}, 9);
  expect_matmul_matches(ops::matmul(v, batch_b), v, batch_b, "(4) @ (2, 4, 3)");
  expect_matmul_matches(ops::matmul(batch_a, v), batch_a, v, "(2, 3, 4) @ (4)");
}

TEST(Matmul, MatchesReferenceOnOddSizes) {
  const int64_t sizes[] = {1, 7, 33, 65};
  uint64_t seed = 100;
  for (int64_t m : sizes) {
    for (int64_t k : sizes) {
      for (int64_t n : sizes) {
        const Tensor a = uniform({m, k}, ++seed), b = uniform({k, n}, ++seed);
        expect_matmul_matches(ops::matmul(a, b), a, b, fmt::format("({}, {}) @ ({}, {})", m, k, k, n));
      }
    }
  }
}

TEST(Matmul, BroadcastsBatchDims) {
  const Tensor a = uniform({2, 1, 3, 4}, 11), b = uniform({5, 4, 2}, 12);
  const Tensor result = ops::matmul(a, b);
  EXPECT_EQ(result.sizes(), (Shape{2, 5, 3, 2}));
  expect_matmul_matches(result, a, b);
}

TEST(Matmul, BatchOfOneMatrixTimesSharedMatrixFoldsRows) {
  // b is shared by every batch entry: one GEMM over (2*3*5, 7) rows.
  const Tensor a = uniform({2, 3, 5, 7}, 13), b = uniform({7, 4}, 14);
  expect_matmul_matches(ops::matmul(a, b), a, b, "contiguous a");
  const Tensor a_permuted = ops::permute(uniform({5, 3, 2, 7}, 15), {2, 1, 0, 3});  // cannot fold without a copy
  expect_matmul_matches(ops::matmul(a_permuted, b), a_permuted, b, "permuted a");
}

TEST(Matmul, ReadsTransposedOperandsInPlace) {
  const Tensor a_t = ops::t(uniform({9, 6}, 16));  // (6, 9), column-major
  const Tensor b_t = ops::t(uniform({5, 9}, 17));  // (9, 5), column-major
  const Tensor a = uniform({6, 9}, 18), b = uniform({9, 5}, 19);
  expect_matmul_matches(ops::matmul(a_t, b), a_t, b, "a^T @ b");
  expect_matmul_matches(ops::matmul(a, b_t), a, b_t, "a @ b^T");
  expect_matmul_matches(ops::matmul(a_t, b_t), a_t, b_t, "a^T @ b^T");
  const Tensor batched_t = ops::transpose(uniform({3, 9, 6}, 20), 1, 2);  // (3, 6, 9)
  expect_matmul_matches(ops::matmul(batched_t, b_t), batched_t, b_t, "batched a^T @ b^T");
}

TEST(Matmul, PacksOperandsWithNeitherLayout) {
  // Every other column: neither the row nor the column stride is 1.
  const Tensor a = ops::slice(uniform({6, 18}, 21), 1, 0, 18, 2);  // (6, 9)
  const Tensor b = ops::slice(uniform({18, 5}, 22), 0, 0, 18, 2);  // (9, 5), rows of stride 10
  const Tensor b_cols = ops::slice(uniform({9, 10}, 23), 1, 0, 10, 2);
  expect_matmul_matches(ops::matmul(a, b), a, b, "strided a");
  expect_matmul_matches(ops::matmul(a, b_cols), a, b_cols, "strided b");
  const Tensor noncontiguous = testing::make_noncontiguous(uniform({4, 6, 9}, 24));
  expect_matmul_matches(ops::matmul(noncontiguous, b), noncontiguous, b, "make_noncontiguous");
}

TEST(Matmul, ExpandedOperandsWithZeroStrides) {
  const Tensor a = ops::expand(uniform({1, 9}, 25), {6, 9});
  const Tensor b = ops::expand(uniform({9, 1}, 26), {9, 5});
  expect_matmul_matches(ops::matmul(a, b), a, b);
}

TEST(Matmul, EmptyInnerDimGivesZeros) {
  const Tensor a = uniform({3, 0}, 27), b = uniform({0, 4}, 28);
  const Tensor result = ops::matmul(a, b);
  EXPECT_EQ(result.sizes(), (Shape{3, 4}));
  expect_values_near(result, std::vector<double>(12, 0.0), 0, 0);
}

TEST(Matmul, EmptyOuterDimsGiveEmptyResults) {
  EXPECT_EQ(ops::matmul(uniform({0, 4}, 29), uniform({4, 3}, 30)).sizes(), (Shape{0, 3}));
  EXPECT_EQ(ops::matmul(uniform({2, 4}, 31), uniform({4, 0}, 32)).sizes(), (Shape{2, 0}));
  EXPECT_EQ(ops::matmul(uniform({0, 2, 4}, 33), uniform({4, 3}, 34)).sizes(), (Shape{0, 2, 3}));
}

TEST(Matmul, SupportsEveryFloatingDtype) {
  for (DType dtype : {DType::f64, DType::f16, DType::bf16}) {
    const Tensor a = uniform({2, 17, 33}, 35, dtype), b = uniform({33, 9}, 36, dtype);
    expect_matmul_matches(ops::matmul(a, b), a, b, std::string(dtype_name(dtype)));
    const Tensor a_t = ops::transpose(a, 1, 2), c = uniform({17, 4}, 37, dtype);
    expect_matmul_matches(ops::matmul(a_t, c), a_t, c, std::string(dtype_name(dtype)) + " transposed");
  }
}

TEST(Matmul, IntegerDtypesAreExact) {
  for (DType dtype : {DType::i32, DType::i64, DType::u8}) {
    const Tensor a = random_tensor({3, 5, 7}, dtype, 38, 0, 9), b = random_tensor({7, 4}, dtype, 39, 0, 9);
    const Reference ref = reference_matmul(a, b);
    const Tensor result = ops::matmul(a, b);
    EXPECT_EQ(result.dtype(), dtype);
    expect_values_near(result, ref.values, 0, 0, std::string(dtype_name(dtype)));
  }
  const Tensor negative = random_tensor({4, 6}, DType::i64, 40, -9, 9), b = random_tensor({6, 3}, DType::i64, 41, -9, 9);
  expect_values_near(ops::matmul(negative, b), reference_matmul(negative, b).values, 0, 0, "signed");
}

TEST(Matmul, LargeProductsSplitAcrossThreads) {
  // Above the parallel threshold: split by rows (m >= n) and by columns (m < n).
  const Tensor a = uniform({160, 200}, 42), b = uniform({200, 130}, 43);
  expect_matmul_matches(ops::matmul(a, b), a, b, "rows");
  const Tensor c = uniform({130, 200}, 44), d = uniform({200, 170}, 45);
  expect_matmul_matches(ops::matmul(c, d), c, d, "columns");
  const Tensor d_t = ops::t(uniform({170, 200}, 46));
  expect_matmul_matches(ops::matmul(c, d_t), c, d_t, "columns, transposed b");
}

TEST(Matmul, LargeBatchesSplitAcrossThreads) {
  const Tensor a = uniform({4, 96, 80}, 47), b = uniform({4, 80, 96}, 48);
  expect_matmul_matches(ops::matmul(a, b), a, b, "batch 4");
  const Tensor c = uniform({3, 96, 80}, 49), d = uniform({3, 80, 96}, 50);
  expect_matmul_matches(ops::matmul(c, d), c, d, "batch 3");
}

TEST(MatmulOut, WritesIntoStridedOutputs) {
  const Tensor a = uniform({2, 6, 9}, 51), b = uniform({9, 5}, 52);
  const Reference ref = reference_matmul(a, b);
  Tensor column_major = ops::transpose(ops::empty({2, 5, 6}), 1, 2);
  ops::matmul_out(column_major, a, b);
  expect_values_near(column_major, ref.values, 1e-5, 1e-5, "column-major out");
  Tensor strided = ops::slice(ops::empty({2, 6, 10}), 2, 0, 10, 2);
  ops::matmul_out(strided, a, b);
  expect_values_near(strided, ref.values, 1e-5, 1e-5, "strided out");
  const Tensor v = uniform({9}, 53);
  Tensor vector_out = ops::empty({2, 6});
  ops::matmul_out(vector_out, a, v);
  expect_values_near(vector_out, reference_matmul(a, v).values, 1e-5, 1e-5, "matrix @ vector");
}

TEST(MatmulOut, RejectsAWrongOutputShape) {
  Tensor out = ops::empty({3, 3});
  const std::string message = message_of([&] { ops::matmul_out(out, uniform({3, 4}, 54), uniform({4, 5}, 55)); });
  EXPECT_NE(message.find("matmul_out: (3, 4) @ (4, 5) gives (3, 5), but out is (3, 3)"), std::string::npos)
      << message;
}

TEST(Matmul, ErrorsNameTheShapes) {
  std::string message = message_of([] { ops::matmul(ops::empty({3, 4}), ops::empty({5, 6})); });
  EXPECT_NE(message.find("matmul: (3, 4) @ (5, 6): inner dims 4 and 5 differ"), std::string::npos) << message;
  message = message_of([] { ops::matmul(ops::empty({2, 3, 4}), ops::empty({5, 4, 2})); });
  EXPECT_NE(message.find("matmul: (2, 3, 4) @ (5, 4, 2): batch dims (2,) and (5,) cannot be broadcast"),
            std::string::npos)
      << message;
  message = message_of([] { ops::matmul(ops::empty({}), ops::empty({3})); });
  EXPECT_NE(message.find("matmul: both operands need at least 1 dim, got () @ (3,)"), std::string::npos) << message;
  message = message_of([] { ops::matmul(ops::empty({2, 3}), ops::empty({3, 2}, {.dtype = DType::f64})); });
  EXPECT_NE(message.find("dtypes float32 and float64 differ"), std::string::npos) << message;
}

TEST(Linear, MatchesMatmulWithTransposedWeightPlusBias) {
  const Tensor x = uniform({2, 3, 5}, 56), weight = uniform({4, 5}, 57), bias = uniform({4}, 58);
  const Reference product = reference_matmul(x, ops::t(weight));
  const std::vector<double> b = to_doubles(bias);
  std::vector<double> expected = product.values;
  for (size_t i = 0; i < expected.size(); ++i) expected[i] += b[i % 4];
  const Tensor result = ops::linear(x, weight, bias);
  EXPECT_EQ(result.sizes(), (Shape{2, 3, 4}));
  expect_values_near(result, expected, 1e-5, 1e-5, "with bias");
  expect_values_near(ops::linear(x, weight), product.values, 1e-5, 1e-5, "without bias");
}

TEST(Linear, ErrorsNameTheShapes) {
  const std::string message = message_of([] { ops::linear(ops::empty({2, 5}), ops::empty({4, 6})); });
  EXPECT_NE(message.find("linear: input (2, 5) has 5 features in its last dim, weight (4, 6) expects 6"),
            std::string::npos)
      << message;
  const std::string bias_message =
      message_of([] { ops::linear(ops::empty({2, 5}), ops::empty({4, 5}), ops::empty({3})); });
  EXPECT_NE(bias_message.find("linear: bias (3,) does not match weight (4, 5) (expected (4,))"), std::string::npos) << bias_message;
}

}  // namespace
}  // namespace mini
