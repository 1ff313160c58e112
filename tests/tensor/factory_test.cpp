// Factories: zeros/ones/full, arange, linspace, eye, from_vector, from_blob, *_like.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/tensor_testing.h"

namespace mini {
namespace {

using testing::expect_values_near;
using testing::to_doubles;

constexpr DType kAllDTypes[] = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                DType::i32, DType::i64, DType::b8,  DType::u8};

TEST(Factory, ZerosOnesAndFullForEveryDtype) {
  for (DType dtype : kAllDTypes) {
    const Tensor zeros = ops::zeros({2, 3}, {.dtype = dtype});
    EXPECT_EQ(zeros.dtype(), dtype);
    EXPECT_EQ(zeros.sizes(), (Shape{2, 3}));
    EXPECT_TRUE(zeros.is_contiguous());
    expect_values_near(zeros, std::vector<double>(6, 0), 0, 0, std::string(dtype_name(dtype)));
    expect_values_near(ops::ones({3}, {.dtype = dtype}), std::vector<double>(3, 1), 0, 0);
    const double value = dtype == DType::b8 ? 1 : 5;
    expect_values_near(ops::full({2, 2}, 5, {.dtype = dtype}), std::vector<double>(4, value), 0, 0);
  }
}

TEST(Factory, FullConvertsTheValueToTheDtype) {
  expect_values_near(ops::full({2}, 2.75, {.dtype = DType::i32}), {2, 2}, 0, 0);  // truncates like a cast
  expect_values_near(ops::full({1}, 0.1, {.dtype = DType::bf16}), {0.10009765625}, 0, 0);
  EXPECT_THROW(ops::zeros({2, -1}), ValueError);
}

TEST(Factory, ZeroSizedAndZeroDimTensors) {
  EXPECT_EQ(ops::zeros({0, 4}).numel(), 0);
  const Tensor scalar = ops::full({}, 3.5);
  EXPECT_EQ(scalar.dim(), 0);
  EXPECT_EQ(scalar.item<double>(), 3.5);
  EXPECT_EQ(ops::scalar_tensor(int64_t{4}).dtype(), DType::i64);
  EXPECT_EQ(ops::scalar_tensor(true).dtype(), DType::b8);
}

TEST(Arange, IntegerArgumentsGiveInt64) {
  const Tensor result = ops::arange(5);
  EXPECT_EQ(result.dtype(), DType::i64);
  expect_values_near(result, {0, 1, 2, 3, 4}, 0, 0);
  expect_values_near(ops::arange(2, 11, 3), {2, 5, 8}, 0, 0);
}

TEST(Arange, FloatArgumentsGiveFloat32AndCeilTheCount) {
  const Tensor result = ops::arange(0.0, 1.0, 0.25);
  EXPECT_EQ(result.dtype(), DType::f32);
  expect_values_near(result, {0, 0.25, 0.5, 0.75}, 0, 0);
  EXPECT_EQ(ops::arange(0.0, 1.1, 0.25).numel(), 5);
}

TEST(Arange, NegativeStepsCountDown) {
  expect_values_near(ops::arange(5, 0, -2), {5, 3, 1}, 0, 0);
  expect_values_near(ops::arange(1.0, -1.0, -0.5), {1, 0.5, 0, -0.5}, 0, 0);
  EXPECT_EQ(ops::arange(3, 3, 1).numel(), 0);
}

TEST(Arange, RejectsZeroAndInconsistentSteps) {
  EXPECT_THROW(ops::arange(0, 5, 0), ValueError);
  EXPECT_THROW(ops::arange(0, 5, -1), ValueError);
  EXPECT_THROW(ops::arange(5, 0, 1), ValueError);
}

TEST(Arange, HonoursExplicitOptions) {
  const Tensor result = ops::arange(0, 4, 1, {.dtype = DType::f64});
  EXPECT_EQ(result.dtype(), DType::f64);
  expect_values_near(result, {0, 1, 2, 3}, 0, 0);
}

TEST(Linspace, IncludesBothEnds) {
  expect_values_near(ops::linspace(-1, 1, 5), {-1, -0.5, 0, 0.5, 1}, 0, 0);
  expect_values_near(ops::linspace(2, 3, 1), {2}, 0, 0);
  EXPECT_EQ(ops::linspace(0, 1, 0).numel(), 0);
  expect_values_near(ops::linspace(0, 1, 3, {.dtype = DType::f64}), {0, 0.5, 1}, 0, 0);
  EXPECT_THROW(ops::linspace(0, 1, -1), ValueError);
}

TEST(Eye, SquareAndRectangular) {
  expect_values_near(ops::eye(3), {1, 0, 0, 0, 1, 0, 0, 0, 1}, 0, 0);
  const Tensor wide = ops::eye(2, 4, {.dtype = DType::i32});
  EXPECT_EQ(wide.sizes(), (Shape{2, 4}));
  expect_values_near(wide, {1, 0, 0, 0, 0, 1, 0, 0}, 0, 0);
  expect_values_near(ops::eye(3, 2), {1, 0, 0, 1, 0, 0}, 0, 0);
  EXPECT_EQ(ops::eye(0).sizes(), (Shape{0, 0}));
}

TEST(FromVector, CopiesValuesAndChecksTheCount) {
  std::vector<int32_t> values{1, 2, 3, 4, 5, 6};
  const Tensor result = ops::from_vector(values, {2, 3});
  values[0] = 100;  // a copy: the tensor does not see later changes
  EXPECT_EQ(result.dtype(), DType::i32);
  expect_values_near(result, {1, 2, 3, 4, 5, 6}, 0, 0);
  expect_values_near(ops::from_vector(std::vector<bool>{true, false}), {1, 0}, 0, 0);
  EXPECT_THROW(ops::from_vector(std::vector<float>{1, 2, 3}, {2, 2}), ValueError);
}

TEST(FromBlob, WrapsMemoryWithoutCopying) {
  std::vector<float> buffer{1, 2, 3, 4, 5, 6};
  const Tensor tensor = ops::from_blob(buffer.data(), {2, 3}, DType::f32);
  EXPECT_EQ(tensor.data_ptr(), buffer.data());
  buffer[4] = 50;
  expect_values_near(tensor, {1, 2, 3, 4, 50, 6}, 0, 0);
  tensor.data<float>()[0] = -1;
  EXPECT_EQ(buffer[0], -1);
}

TEST(FromBlob, AcceptsStridesAndCallsTheDeleterOnce) {
  std::vector<double> buffer{0, 1, 2, 3, 4, 5};
  int deleted = 0;
  void* seen = nullptr;
  {
    const Tensor columns = ops::from_blob(buffer.data(), {3, 2}, {1, 3}, DType::f64, [&](void* data) {
      ++deleted;
      seen = data;
    });
    expect_values_near(columns, {0, 3, 1, 4, 2, 5}, 0, 0);
    const Tensor view = ops::transpose(columns, 0, 1);  // shares the storage
    EXPECT_EQ(deleted, 0);
  }
  EXPECT_EQ(deleted, 1);
  EXPECT_EQ(seen, buffer.data());
}

TEST(Like, CopiesShapeDtypeAndDevice) {
  const Tensor like = ops::transpose(ops::zeros({2, 3}, {.dtype = DType::bf16}), 0, 1);
  for (const Tensor& made :
       {ops::empty_like(like), ops::zeros_like(like), ops::ones_like(like), ops::full_like(like, 2)}) {
    EXPECT_EQ(made.sizes(), (Shape{3, 2}));
    EXPECT_EQ(made.dtype(), DType::bf16);
    EXPECT_EQ(made.device(), like.device());
    EXPECT_TRUE(made.is_contiguous());
  }
  expect_values_near(ops::ones_like(like), std::vector<double>(6, 1), 0, 0);
  expect_values_near(ops::full_like(like, 2), std::vector<double>(6, 2), 0, 0);
}

TEST(EmptyStrided, AllocatesEnoughForTheStrides) {
  const Tensor result = ops::empty_strided({2, 3}, {1, 4});
  EXPECT_EQ(result.strides(), (Shape{1, 4}));
  EXPECT_GE(result.storage()->nbytes(), 10 * sizeof(float));  // last element at 1 + 2 * 4 = 9
}

}  // namespace
}  // namespace mini
