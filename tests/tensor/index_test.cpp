// index_select, index_add_, gather, scatter(_add), masked_fill/select,
// nonzero, one_hot and embedding against plain loops in double.
#include "tensor/ops/index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "support/tensor_testing.h"

namespace mini {
namespace {

using testing::expect_close;
using testing::expect_values_near;
using testing::random_tensor;
using testing::to_doubles;
using testing::unravel;

constexpr DType kAllDTypes[] = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                DType::i32, DType::i64, DType::b8,  DType::u8};
constexpr DType kNumericDTypes[] = {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8};

int64_t ravel(const Shape& index, const Shape& sizes) {
  int64_t flat = 0;
  for (size_t d = 0; d < sizes.size(); ++d) flat = flat * sizes[d] + index[d];
  return flat;
}

Tensor int64_values(const std::vector<int64_t>& values, const Shape& sizes) { return ops::from_vector(values, sizes); }

// n random indices in [0, size), with repeats.
std::vector<int64_t> random_indices(int64_t n, int64_t size, uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::uniform_int_distribution<int64_t> dist(0, size - 1);
  std::vector<int64_t> values(static_cast<size_t>(n));
  for (auto& v : values) v = dist(engine);
  return values;
}

// Small whole numbers in [low, high) stored as `dtype`: sums of a few are exact in every dtype.
Tensor whole_numbers(const Shape& sizes, DType dtype, uint64_t seed, double low = 0, double high = 4) {
  return ops::to_dtype(random_tensor(sizes, DType::i32, seed, low, high), dtype);
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

// ---- index_select --------------------------------------------------------

std::vector<double> index_select_reference(const Tensor& self, int64_t dim, const std::vector<int64_t>& index) {
  const std::vector<double> in = to_doubles(self);
  Shape out_sizes = self.sizes();
  out_sizes[dim] = static_cast<int64_t>(index.size());
  std::vector<double> out(static_cast<size_t>(numel_of(out_sizes)));
  for (size_t i = 0; i < out.size(); ++i) {
    Shape position = unravel(static_cast<int64_t>(i), out_sizes);
    position[dim] = index[static_cast<size_t>(position[dim])];
    out[i] = in[static_cast<size_t>(ravel(position, self.sizes()))];
  }
  return out;
}

TEST(IndexSelect, MatchesReferenceForEveryDimAndDtype) {
  for (DType dtype : kAllDTypes) {
    const Tensor self = random_tensor({5, 3, 4}, dtype, 1);
    for (int64_t dim = 0; dim < 3; ++dim) {
      const auto index = random_indices(7, self.size(dim), 10 + dim);
      const Tensor result = ops::index_select(self, dim, int64_values(index, {7}));
      Shape expected_sizes = self.sizes();
      expected_sizes[dim] = 7;
      EXPECT_EQ(result.sizes(), expected_sizes);
      expect_values_near(result, index_select_reference(self, dim, index), 0, 0, fmt::format("{} dim {}", dtype, dim));
    }
  }
}

TEST(IndexSelect, ReadsNonContiguousInputsAndIndices) {
  const Tensor self = testing::make_noncontiguous(random_tensor({6, 5}, DType::f32, 2));
  const auto index = random_indices(4, 5, 3);
  const Tensor strided_index = testing::make_noncontiguous(int64_values(index, {4}));
  ASSERT_FALSE(strided_index.is_contiguous());
  const Tensor result = ops::index_select(self, -1, strided_index);
  expect_values_near(result, index_select_reference(self, 1, index), 0, 0);
}

TEST(IndexSelect, AcceptsInt32IndicesAndNegativeDims) {
  const Tensor self = random_tensor({4, 3}, DType::f64, 4);
  const Tensor index = ops::from_vector(std::vector<int32_t>{3, 0, 3});
  expect_values_near(ops::index_select(self, -2, index), index_select_reference(self, 0, {3, 0, 3}), 0, 0);
}

TEST(IndexSelect, HandlesEmptyIndexAndEmptyDims) {
  const Tensor self = random_tensor({4, 0, 2}, DType::f32, 5);
  EXPECT_EQ(ops::index_select(self, 0, int64_values({1, 2}, {2})).sizes(), (Shape{2, 0, 2}));
  const Tensor full = random_tensor({4, 3}, DType::f32, 6);
  EXPECT_EQ(ops::index_select(full, 1, int64_values({}, {0})).sizes(), (Shape{4, 0}));
}

TEST(IndexSelect, LargeSelectionSplitOverThreadsMatchesReference) {
  const Tensor self = random_tensor({300, 129}, DType::f32, 7);
  const auto index = random_indices(700, 300, 8);
  expect_values_near(ops::index_select(self, 0, int64_values(index, {700})), index_select_reference(self, 0, index), 0,
                     0);
  const auto columns = random_indices(500, 129, 9);
  expect_values_near(ops::index_select(self, 1, int64_values(columns, {500})), index_select_reference(self, 1, columns),
                     0, 0);
}

TEST(IndexSelect, OutOfRangeIndexNamesValueDimAndSize) {
  const Tensor self = ops::zeros({5, 2});
  EXPECT_THROW(ops::index_select(self, 0, int64_values({1, 7}, {2})), IndexError);
  EXPECT_EQ(message_of([&] {
              ops::index_select(self, 0, int64_values({1, 7}, {2}));
            }),
            "index_select: index 7 is out of range for dim 0 with size 5");
  EXPECT_EQ(message_of([&] { ops::index_select(self, 1, int64_values({-1}, {1})); }),
            "index_select: index -1 is out of range for dim 1 with size 2");
}

TEST(IndexSelect, RejectsFloatAndMultiDimIndices) {
  const Tensor self = ops::zeros({5, 2});
  EXPECT_THROW(ops::index_select(self, 0, ops::zeros({2})), ValueError);
  EXPECT_THROW(ops::index_select(self, 0, int64_values({0, 1}, {1, 2})), ValueError);
}

// ---- index_add_ ------------------------------------------------------------

std::vector<double> index_add_reference(const Tensor& self, int64_t dim, const std::vector<int64_t>& index,
                                        const Tensor& source) {
  std::vector<double> out = to_doubles(self);
  const std::vector<double> in = to_doubles(source);
  for (size_t i = 0; i < in.size(); ++i) {
    Shape position = unravel(static_cast<int64_t>(i), source.sizes());
    position[dim] = index[static_cast<size_t>(position[dim])];
    out[static_cast<size_t>(ravel(position, self.sizes()))] += in[i];
  }
  return out;
}

TEST(IndexAdd, AccumulatesDuplicateIndicesForEveryDtype) {
  for (DType dtype : kNumericDTypes) {
    for (int64_t dim = 0; dim < 2; ++dim) {
      const Tensor self = whole_numbers({4, 5}, dtype, 20);
      Shape source_sizes = self.sizes();
      source_sizes[dim] = 6;
      const Tensor source = whole_numbers(source_sizes, dtype, 21);
      const auto index = random_indices(6, self.size(dim), 22 + dim);
      const std::vector<double> expected = index_add_reference(self, dim, index, source);
      ops::index_add_(self, dim, int64_values(index, {6}), source);
      expect_values_near(self, expected, 0, 0, fmt::format("{} dim {}", dtype, dim));
    }
  }
}

TEST(IndexAdd, WritesThroughNonContiguousViewsAndBumpsVersion) {
  const Tensor base = random_tensor({3, 8}, DType::f32, 23);
  const Tensor self = ops::transpose(base, 0, 1);  // (8, 3)
  const Tensor source = random_tensor({5, 3}, DType::f32, 24);
  const auto index = random_indices(5, 8, 25);
  const std::vector<double> expected = index_add_reference(self, 0, index, source);
  const uint64_t version = self.version();
  ops::index_add_(self, 0, int64_values(index, {5}), source);
  expect_values_near(self, expected, 1e-6, 1e-6);
  EXPECT_GT(base.version(), version);
}

TEST(IndexAdd, LargeAccumulationSplitOverThreadsMatchesReference) {
  const Tensor source = random_tensor({64, 3000}, DType::f64, 26);
  const auto index = random_indices(64, 20, 27);
  const Tensor self64 = ops::zeros({20, 3000}, {.dtype = DType::f64});
  const std::vector<double> expected = index_add_reference(self64, 0, index, source);
  ops::index_add_(self64, 0, int64_values(index, {64}), source);
  expect_values_near(self64, expected, testing::rtol_for(DType::f64), testing::atol_for(DType::f64));
}

TEST(IndexAdd, SourceShapeMismatchNamesShapes) {
  const Tensor self = ops::zeros({4, 5});
  const std::string message = message_of([&] {
    ops::index_add_(self, 0, int64_values({0, 1}, {2}), ops::zeros({3, 5}));
  });
  EXPECT_NE(message.find("index_add_"), std::string::npos) << message;
  EXPECT_NE(message.find("(3, 5)"), std::string::npos) << message;
  EXPECT_NE(message.find("(2, 5)"), std::string::npos) << message;
  EXPECT_THROW(ops::index_add_(self, 1, int64_values({5}, {1}), ops::zeros({4, 1})), IndexError);
}

// ---- gather / scatter ------------------------------------------------------

std::vector<double> gather_reference(const Tensor& self, int64_t dim, const Tensor& index) {
  const std::vector<double> in = to_doubles(self), positions = to_doubles(index);
  std::vector<double> out(positions.size());
  for (size_t i = 0; i < out.size(); ++i) {
    Shape position = unravel(static_cast<int64_t>(i), index.sizes());
    position[dim] = static_cast<int64_t>(positions[i]);
    out[i] = in[static_cast<size_t>(ravel(position, self.sizes()))];
  }
  return out;
}

Tensor random_index_tensor(const Shape& sizes, int64_t high, uint64_t seed) {
  return int64_values(random_indices(numel_of(sizes), high, seed), sizes);
}

TEST(Gather, MatchesReferenceForEveryDimAndDtype) {
  for (DType dtype : kAllDTypes) {
    const Tensor self = random_tensor({4, 5, 3}, dtype, 30);
    for (int64_t dim = 0; dim < 3; ++dim) {
      // The index may be smaller than self in every dim, and longer along dim.
      Shape index_sizes{3, 2, 2};
      index_sizes[dim] = 6;
      const Tensor index = random_index_tensor(index_sizes, self.size(dim), 31 + dim);
      const Tensor result = ops::gather(self, dim, index);
      EXPECT_EQ(result.sizes(), index_sizes);
      expect_values_near(result, gather_reference(self, dim, index), 0, 0, fmt::format("{} dim {}", dtype, dim));
    }
  }
}

TEST(Gather, ReadsTransposedInputsAndIndices) {
  const Tensor self = testing::make_noncontiguous(random_tensor({7, 6}, DType::f32, 34));
  const Tensor index = testing::make_noncontiguous(random_index_tensor({7, 9}, 6, 35));
  expect_values_near(ops::gather(self, 1, index), gather_reference(self, 1, index), 0, 0);
}

TEST(Gather, LargeGatherMatchesReference) {
  const Tensor self = random_tensor({64, 1000}, DType::f32, 36);
  const Tensor index = random_index_tensor({64, 1000}, 1000, 37);
  expect_values_near(ops::gather(self, 1, index), gather_reference(self, 1, index), 0, 0);
}

TEST(Gather, OutOfRangeAndShapeErrors) {
  const Tensor self = ops::zeros({3, 4});
  EXPECT_EQ(message_of([&] {
              ops::gather(self, 1, int64_values({0, 4}, {1, 2}));
            }),
            "gather: index 4 is out of range for dim 1 with size 4");
  EXPECT_THROW(ops::gather(self, 1, int64_values({0, 1, 2, 0, 1, 2, 0, 1}, {4, 2})), ValueError);  // 4 > 3 rows
  EXPECT_THROW(ops::gather(self, 1, int64_values({0, 1}, {2})), ValueError);                       // rank differs
}

std::vector<double> scatter_reference(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                                      bool add) {
  std::vector<double> out = to_doubles(self);
  const std::vector<double> positions = to_doubles(index);
  const std::vector<double> values = to_doubles(src);
  for (size_t i = 0; i < positions.size(); ++i) {
    const Shape at = unravel(static_cast<int64_t>(i), index.sizes());
    Shape position = at;
    position[dim] = static_cast<int64_t>(positions[i]);
    const double value = values[static_cast<size_t>(ravel(at, src.sizes()))];
    double& target = out[static_cast<size_t>(ravel(position, self.sizes()))];
    target = add ? target + value : value;
  }
  return out;
}

// An index along `dim` whose entries never repeat within a line, so the
// result of an assigning scatter does not depend on the write order.
Tensor unique_index_tensor(const Shape& sizes, int64_t dim, int64_t high, uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::vector<int64_t> values(static_cast<size_t>(numel_of(sizes)));
  Shape lines = sizes;
  lines[dim] = 1;
  for (int64_t line = 0; line < numel_of(lines); ++line) {
    std::vector<int64_t> permutation(static_cast<size_t>(high));
    std::iota(permutation.begin(), permutation.end(), 0);
    std::shuffle(permutation.begin(), permutation.end(), engine);
    Shape position = unravel(line, lines);
    for (int64_t k = 0; k < sizes[dim]; ++k) {
      position[dim] = k;
      values[static_cast<size_t>(ravel(position, sizes))] = permutation[static_cast<size_t>(k)];
    }
  }
  return int64_values(values, sizes);
}

TEST(Scatter, AssignMatchesReferenceForEveryDimAndDtype) {
  for (DType dtype : kAllDTypes) {
    const Tensor self = random_tensor({4, 5, 3}, dtype, 40);
    for (int64_t dim = 0; dim < 3; ++dim) {
      Shape index_sizes{3, 2, 2};
      index_sizes[dim] = std::min<int64_t>(3, self.size(dim));
      const Tensor index = unique_index_tensor(index_sizes, dim, self.size(dim), 41 + dim);
      const Tensor src = random_tensor({4, 3, 3}, dtype, 44);  // larger than index: only index's box is read
      const Tensor result = ops::scatter(self, dim, index, src);
      expect_values_near(result, scatter_reference(self, dim, index, src, false), 0, 0,
                         fmt::format("{} dim {}", dtype, dim));
    }
  }
}

TEST(Scatter, AddAccumulatesDuplicatesForEveryDtype) {
  for (DType dtype : kNumericDTypes) {
    const Tensor self = whole_numbers({4, 6}, dtype, 45);
    for (int64_t dim = 0; dim < 2; ++dim) {
      const Tensor index = random_index_tensor({5, 6}, self.size(dim), 46 + dim);
      const Tensor src = whole_numbers({5, 6}, dtype, 48);
      // Along dim 1 the index may have at most self's 4 rows.
      const Tensor used = dim == 0 ? index : ops::narrow(index, 0, 0, 4);
      const Tensor result = ops::scatter_add(self, dim, used, src);
      expect_values_near(result, scatter_reference(self, dim, used, src, true), 0, 0, fmt::format("{}", dtype));
    }
  }
}

TEST(Scatter, InPlaceWritesThroughViewsAndLargeInputsMatchReference) {
  const Tensor base = ops::zeros({40, 2000}, {.dtype = DType::f64});
  const Tensor self = ops::transpose(base, 0, 1);  // (2000, 40)
  const Tensor index = random_index_tensor({3000, 40}, 2000, 49);
  const Tensor src = random_tensor({3000, 40}, DType::f64, 50);
  const std::vector<double> expected = scatter_reference(self, 0, index, src, true);
  ops::scatter_add_(self, 0, index, src);
  expect_values_near(self, expected, testing::rtol_for(DType::f64), testing::atol_for(DType::f64));
  const Tensor unique = unique_index_tensor({2000, 40}, 0, 2000, 51);
  const std::vector<double> assigned = scatter_reference(self, 0, unique, src, false);
  ops::scatter_(self, 0, unique, src);
  expect_values_near(self, assigned, 0, 0);
}

TEST(Scatter, OutOfRangeIndexNamesValue) {
  const Tensor self = ops::zeros({3, 4});
  EXPECT_EQ(message_of([&] {
              ops::scatter_(self, 0, int64_values({3}, {1, 1}), ops::ones({1, 1}));
            }),
            "scatter_: index 3 is out of range for dim 0 with size 3");
  EXPECT_THROW(ops::scatter_add(self, 1, int64_values({0, 1}, {1, 2}), ops::ones({1, 1})), ValueError);
}

// ---- masks -----------------------------------------------------------------

TEST(MaskedFill, FillsWhereTheBroadcastMaskIsTrue) {
  for (DType dtype : kAllDTypes) {
    const Tensor self = random_tensor({3, 4}, dtype, 60);
    const Tensor mask = random_tensor({1, 4}, DType::b8, 61);
    const Tensor result = ops::masked_fill(self, mask, 1);
    const std::vector<double> in = to_doubles(self), m = to_doubles(mask);
    std::vector<double> expected = in;
    for (size_t i = 0; i < in.size(); ++i) {
      if (m[i % 4] != 0) expected[i] = 1;
    }
    expect_values_near(result, expected, 0, 0, fmt::format("{}", dtype));
  }
}

TEST(MaskedFill, InPlaceRequiresTheMaskToBroadcastToSelf) {
  const Tensor self = ops::zeros({1, 3});
  EXPECT_THROW(ops::masked_fill_(self, ops::ones({2, 3}, {.dtype = DType::b8}), 1.0), ValueError);
  EXPECT_THROW(ops::masked_fill_(self, ops::ones({1, 3}), 1.0), ValueError);  // float mask
}

TEST(MaskedSelect, ReturnsSelectedElementsInRowMajorOrder) {
  const Tensor self = testing::make_noncontiguous(random_tensor({5, 6}, DType::f32, 62));
  const Tensor mask = random_tensor({6}, DType::b8, 63);
  const std::vector<double> in = to_doubles(self), m = to_doubles(mask);
  std::vector<double> expected;
  for (size_t i = 0; i < in.size(); ++i) {
    if (m[i % 6] != 0) expected.push_back(in[i]);
  }
  const Tensor result = ops::masked_select(self, mask);
  EXPECT_EQ(result.dim(), 1);
  expect_values_near(result, expected, 0, 0);
}

TEST(Nonzero, ListsPositionsInRowMajorOrder) {
  const Tensor self = testing::make_noncontiguous(random_tensor({4, 5}, DType::i32, 64, -1, 2));
  const std::vector<double> in = to_doubles(self);
  std::vector<double> expected;
  for (int64_t i = 0; i < 20; ++i) {
    if (in[static_cast<size_t>(i)] != 0) {
      expected.push_back(static_cast<double>(i / 5));
      expected.push_back(static_cast<double>(i % 5));
    }
  }
  const Tensor result = ops::nonzero(self);
  EXPECT_EQ(result.dtype(), DType::i64);
  EXPECT_EQ(result.sizes(), (Shape{static_cast<int64_t>(expected.size() / 2), 2}));
  expect_values_near(result, expected, 0, 0);
}

TEST(Nonzero, LargeInputSplitIntoChunksKeepsOrder) {
  const Tensor self = random_tensor({3, 70001}, DType::b8, 65);
  const std::vector<double> in = to_doubles(self);
  std::vector<double> expected;
  for (int64_t i = 0; i < self.numel(); ++i) {
    if (in[static_cast<size_t>(i)] != 0) {
      expected.push_back(static_cast<double>(i / 70001));
      expected.push_back(static_cast<double>(i % 70001));
    }
  }
  expect_values_near(ops::nonzero(self), expected, 0, 0);
}

TEST(Nonzero, HandlesEmptyAndAllZeroInputs) {
  EXPECT_EQ(ops::nonzero(ops::zeros({0, 3})).sizes(), (Shape{0, 2}));
  EXPECT_EQ(ops::nonzero(ops::zeros({4})).sizes(), (Shape{0, 1}));
  EXPECT_EQ(ops::nonzero(ops::ones({})).sizes(), (Shape{1, 0}));
}

// ---- one_hot / embedding -------------------------------------------------------

TEST(OneHot, InfersTheClassCountFromTheLargestIndex) {
  const Tensor result = ops::one_hot(int64_values({2, 0, 1, 2}, {2, 2}));
  EXPECT_EQ(result.dtype(), DType::i64);
  EXPECT_EQ(result.sizes(), (Shape{2, 2, 3}));
  expect_values_near(result, {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, 0, 0);
}

TEST(OneHot, UsesAnExplicitClassCountAndRejectsBadClasses) {
  expect_values_near(ops::one_hot(int64_values({1}, {1}), 4), {0, 1, 0, 0}, 0, 0);
  EXPECT_EQ(ops::one_hot(int64_values({}, {0}), 5).sizes(), (Shape{0, 5}));
  EXPECT_EQ(message_of([&] { ops::one_hot(int64_values({1, -1}, {2}), 3); }), "one_hot: class -1 is negative");
  EXPECT_EQ(message_of([&] {
              ops::one_hot(int64_values({1, 3}, {2}), 3);
            }),
            "one_hot: class 3 is out of range for num_classes 3");
  EXPECT_THROW(ops::one_hot(int64_values({}, {0})), ValueError);
  EXPECT_THROW(ops::one_hot(ops::zeros({2})), ValueError);
}

TEST(Embedding, PicksRowsAndKeepsTheIndexShape) {
  const Tensor weight = random_tensor({10, 3}, DType::f32, 70);
  const std::vector<int64_t> index{9, 0, 4, 4, 1, 9};
  const Tensor result = ops::embedding(weight, int64_values(index, {2, 3}));
  EXPECT_EQ(result.sizes(), (Shape{2, 3, 3}));
  expect_values_near(result, index_select_reference(weight, 0, index), 0, 0);
  EXPECT_EQ(message_of([&] { ops::embedding(weight, int64_values({10}, {1})); }),
            "embedding: index 10 is out of range for dim 0 with size 10");
}

}  // namespace
}  // namespace mini
