// Views share storage with their base: writes show through both ways and the
// version counter is shared; geometry errors name the shapes involved.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "support/tensor_testing.h"

namespace mini {
namespace {

using testing::expect_values_near;
using testing::to_doubles;

// 0, 1, 2, ... as float32 in the given shape.
Tensor iota(const Shape& sizes) { return ops::view(ops::arange(0, numel_of(sizes), 1, {.dtype = DType::f32}), sizes); }

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

bool shares_storage(const Tensor& a, const Tensor& b) { return a.storage() == b.storage(); }

TEST(View, ReshapesContiguousTensorsWithoutACopy) {
  const Tensor base = iota({2, 6});
  const Tensor viewed = ops::view(base, {3, -1});
  EXPECT_EQ(viewed.sizes(), (Shape{3, 4}));
  EXPECT_TRUE(shares_storage(viewed, base));
  expect_values_near(viewed, to_doubles(base), 0, 0);
}

TEST(View, FailsOnIncompatibleStridesAndNamesTheShapes) {
  const Tensor transposed = ops::transpose(iota({2, 3}), 0, 1);
  const std::string message = message_of([&] { ops::view(transposed, {6}); });
  EXPECT_NE(message.find("(3, 2)"), std::string::npos) << message;
  EXPECT_NE(message.find("(6,)"), std::string::npos) << message;
  EXPECT_THROW(ops::view(iota({2, 3}), {4, -1}), ValueError);
  EXPECT_THROW(ops::view(iota({2, 3}), {-1, -1}), ValueError);
}

TEST(Reshape, ViewsWhenPossibleAndCopiesOtherwise) {
  const Tensor base = iota({2, 3});
  EXPECT_TRUE(shares_storage(ops::reshape(base, {3, 2}), base));
  const Tensor transposed = ops::transpose(base, 0, 1);
  const Tensor flat = ops::reshape(transposed, {-1});
  EXPECT_FALSE(shares_storage(flat, base));
  expect_values_near(flat, {0, 3, 1, 4, 2, 5}, 0, 0);
  // Splitting a dim of a transposed tensor is still a view.
  const Tensor t43 = ops::transpose(iota({4, 3}), 0, 1);
  EXPECT_TRUE(shares_storage(ops::reshape(t43, {3, 2, 2}), t43));
}

TEST(Permute, ReordersDimsAndRejectsRepeats) {
  const Tensor base = iota({2, 3, 4});
  const Tensor permuted = ops::permute(base, {2, 0, 1});
  EXPECT_EQ(permuted.sizes(), (Shape{4, 2, 3}));
  EXPECT_EQ(permuted.strides(), (Shape{1, 12, 4}));
  const auto values = to_doubles(permuted);
  EXPECT_EQ(values[1], 4);   // permuted[0][0][1] = base[0][1][0]
  EXPECT_EQ(values[3], 12);  // permuted[0][1][0] = base[1][0][0]
  EXPECT_THROW(ops::permute(base, {0, 0, 1}), ValueError);
  EXPECT_THROW(ops::permute(base, {0, 1}), ValueError);
}

TEST(Transpose, SwapsSizesAndStrides) {
  const Tensor base = iota({2, 3});
  const Tensor transposed = ops::transpose(base, -1, 0);
  EXPECT_EQ(transposed.sizes(), (Shape{3, 2}));
  expect_values_near(transposed, {0, 3, 1, 4, 2, 5}, 0, 0);
  EXPECT_FALSE(transposed.is_contiguous());
  expect_values_near(ops::t(base), {0, 3, 1, 4, 2, 5}, 0, 0);
  EXPECT_THROW(ops::t(iota({2, 2, 2})), ValueError);
  EXPECT_THROW(ops::transpose(base, 0, 2), IndexError);
}

TEST(Slice, StepsAndClampsLikePython) {
  const Tensor base = iota({10});
  expect_values_near(ops::slice(base, 0, 1, 8, 3), {1, 4, 7}, 0, 0);
  expect_values_near(ops::slice(base, 0, -3, 100), {7, 8, 9}, 0, 0);
  EXPECT_EQ(ops::slice(base, 0, 8, 2).numel(), 0);
  EXPECT_THROW(ops::slice(base, 0, 0, 5, 0), ValueError);
  const Tensor rows = ops::slice(iota({4, 3}), 0, 0, 4, 2);
  expect_values_near(rows, {0, 1, 2, 6, 7, 8}, 0, 0);
}

TEST(Narrow, TakesARangeAndChecksBounds) {
  const Tensor base = iota({3, 4});
  expect_values_near(ops::narrow(base, 1, 1, 2), {1, 2, 5, 6, 9, 10}, 0, 0);
  expect_values_near(ops::narrow(base, 0, -1, 1), {8, 9, 10, 11}, 0, 0);
  EXPECT_THROW(ops::narrow(base, 1, 3, 2), IndexError);
}

TEST(Select, RemovesADimAndAcceptsNegativeIndices) {
  const Tensor base = iota({3, 4});
  const Tensor column = ops::select(base, 1, -1);
  EXPECT_EQ(column.sizes(), (Shape{3}));
  expect_values_near(column, {3, 7, 11}, 0, 0);
  const std::string message = message_of([&] { ops::select(base, 0, 3); });
  EXPECT_NE(message.find("index 3"), std::string::npos) << message;
  EXPECT_THROW(ops::select(base, 0, -4), IndexError);
}

TEST(Expand, StretchesSizeOneDimsWithZeroStride) {
  const Tensor column = iota({3, 1});
  const Tensor expanded = ops::expand(column, {2, 3, 4});
  EXPECT_EQ(expanded.sizes(), (Shape{2, 3, 4}));
  EXPECT_EQ(expanded.strides()[0], 0);
  EXPECT_EQ(expanded.strides()[2], 0);
  EXPECT_EQ(to_doubles(expanded)[23], 2);
  EXPECT_EQ(ops::expand(column, {-1, 5}).sizes(), (Shape{3, 5}));
  const std::string message = message_of([&] { ops::expand(iota({3, 2}), {3, 4}); });
  EXPECT_NE(message.find("(3, 2)"), std::string::npos) << message;
  EXPECT_NE(message.find("(3, 4)"), std::string::npos) << message;
}

TEST(Squeeze, DropsSizeOneDims) {
  const Tensor base = iota({1, 3, 1});
  EXPECT_EQ(ops::squeeze(base).sizes(), (Shape{3}));
  EXPECT_EQ(ops::squeeze(base, -1).sizes(), (Shape{1, 3}));
  EXPECT_EQ(ops::squeeze(base, 1).sizes(), (Shape{1, 3, 1}));  // not size 1: unchanged
  EXPECT_EQ(ops::unsqueeze(iota({3}), 0).sizes(), (Shape{1, 3}));
  EXPECT_EQ(ops::unsqueeze(iota({3}), -1).sizes(), (Shape{3, 1}));
  EXPECT_EQ(ops::unsqueeze(ops::full({}, 1.0), 0).sizes(), (Shape{1}));
}

TEST(Flatten, MergesARangeOfDims) {
  const Tensor base = iota({2, 3, 4});
  EXPECT_EQ(ops::flatten(base).sizes(), (Shape{24}));
  EXPECT_EQ(ops::flatten(base, 1).sizes(), (Shape{2, 12}));
  EXPECT_EQ(ops::flatten(base, 0, 1).sizes(), (Shape{6, 4}));
  EXPECT_EQ(ops::flatten(ops::full({}, 1.0)).sizes(), (Shape{1}));
  const Tensor unflattened = ops::unflatten(base, 2, {2, -1});
  EXPECT_EQ(unflattened.sizes(), (Shape{2, 3, 2, 2}));
  EXPECT_TRUE(shares_storage(unflattened, base));
  EXPECT_THROW(ops::unflatten(base, 2, {3, -1}), ValueError);
}

TEST(Unfold, MakesOverlappingWindows) {
  const Tensor windows = ops::unfold(iota({7}), 0, 3, 2);
  EXPECT_EQ(windows.sizes(), (Shape{3, 3}));
  expect_values_near(windows, {0, 1, 2, 2, 3, 4, 4, 5, 6}, 0, 0);
  EXPECT_THROW(ops::unfold(iota({2}), 0, 3, 1), ValueError);
}

TEST(Diagonal, PicksOffsetDiagonals) {
  const Tensor base = iota({3, 4});
  expect_values_near(ops::diagonal(base), {0, 5, 10}, 0, 0);
  expect_values_near(ops::diagonal(base, 1), {1, 6, 11}, 0, 0);
  expect_values_near(ops::diagonal(base, -1), {4, 9}, 0, 0);
  EXPECT_EQ(ops::diagonal(base, 5).numel(), 0);
}

TEST(Unbind, ReturnsOneViewPerIndex) {
  const Tensor base = iota({2, 3});
  const std::vector<Tensor> columns = ops::unbind(base, 1);
  ASSERT_EQ(columns.size(), 3u);
  expect_values_near(columns[2], {2, 5}, 0, 0);
  EXPECT_TRUE(shares_storage(columns[0], base));
}

TEST(Views, WritesShowThroughTheBaseAndShareTheVersion) {
  const Tensor base = ops::zeros({3, 4});
  const Tensor column = ops::select(ops::transpose(base, 0, 1), 0, 2);  // base[:, 2]
  const uint64_t version = base.version();
  ops::copy_(column, ops::full({3}, 7.0));
  EXPECT_GT(base.version(), version);
  EXPECT_EQ(column.version(), base.version());
  expect_values_near(base, {0, 0, 7, 0, 0, 0, 7, 0, 0, 0, 7, 0}, 0, 0);
  // And the other way: writing the base changes what the view reads.
  ops::copy_(base, ops::full({3, 4}, 1.0));
  expect_values_near(column, {1, 1, 1}, 0, 0);
}

TEST(AsStrided, ChecksTheStorageBounds) {
  const Tensor base = iota({6});
  expect_values_near(ops::as_strided(base, {2, 2}, {1, 2}, 1), {1, 3, 2, 4}, 0, 0);
  EXPECT_THROW(ops::as_strided(base, {2, 3}, {3, 1}, 1), ValueError);
}

}  // namespace
}  // namespace mini
