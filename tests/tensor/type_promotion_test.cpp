// ops::result_type against PyTorch's promotion table: dimensioned tensors
// decide unless a 0-d tensor or a scalar is of a higher category
// (bool < integer < floating); and the dtypes the ops produce from it.
#include <gtest/gtest.h>

#include <vector>

#include "tensor/ops/elementwise.h"
#include "tensor/ops/factory.h"

namespace mini {
namespace {

// A tensor of `dtype`, 0-d when `zero_dim`, else shape (2,).
Tensor operand(DType dtype, bool zero_dim) { return ops::zeros(zero_dim ? Shape{} : Shape{2}, {.dtype = dtype}); }

struct TensorPair {
  DType a;
  bool a_zero_dim;
  DType b;
  bool b_zero_dim;
  DType expected;
};

TEST(ResultType, TensorPairsFollowPyTorch) {
  const std::vector<TensorPair> table = {
      // Dimensioned with dimensioned: plain promote_types.
      {DType::b8, false, DType::i32, false, DType::i32},
      {DType::u8, false, DType::i32, false, DType::i32},
      {DType::i32, false, DType::i64, false, DType::i64},
      {DType::i64, false, DType::f16, false, DType::f16},
      {DType::f16, false, DType::bf16, false, DType::f32},
      {DType::f32, false, DType::f64, false, DType::f64},
      {DType::b8, false, DType::b8, false, DType::b8},
      // A 0-d tensor only matters when its category is higher.
      {DType::i32, false, DType::f64, true, DType::f64},
      {DType::i64, false, DType::f32, true, DType::f32},
      {DType::f16, false, DType::i64, true, DType::f16},
      {DType::f16, false, DType::f64, true, DType::f16},
      {DType::f32, false, DType::f64, true, DType::f32},
      {DType::i32, false, DType::i64, true, DType::i32},
      {DType::u8, false, DType::i64, true, DType::u8},
      {DType::b8, false, DType::i64, true, DType::i64},
      {DType::bf16, false, DType::f16, true, DType::bf16},
      // Two 0-d tensors promote normally.
      {DType::i32, true, DType::f16, true, DType::f16},
      {DType::f64, true, DType::f32, true, DType::f64},
      {DType::i64, true, DType::u8, true, DType::i64},
  };
  for (const auto& row : table) {
    const Tensor a = operand(row.a, row.a_zero_dim), b = operand(row.b, row.b_zero_dim);
    EXPECT_EQ(ops::result_type(a, b), row.expected) << dtype_name(row.a) << (row.a_zero_dim ? " (0-d)" : "") << " with "
                                                    << dtype_name(row.b) << (row.b_zero_dim ? " (0-d)" : "");
    EXPECT_EQ(ops::result_type(b, a), row.expected) << "the rule is symmetric";
  }
}

struct ScalarRow {
  DType tensor;
  bool zero_dim;
  Scalar scalar;
  DType expected;
};

TEST(ResultType, ScalarsOnlyRaiseTheCategory) {
  const std::vector<ScalarRow> table = {
      {DType::i32, false, Scalar(2.5), DType::f32},  // a floating scalar gives the default float32
      {DType::i64, false, Scalar(2.5), DType::f32},    {DType::f16, false, Scalar(2.5), DType::f16},
      {DType::bf16, false, Scalar(1e10), DType::bf16}, {DType::f64, false, Scalar(2.5), DType::f64},
      {DType::i32, false, Scalar(1), DType::i32},      {DType::u8, false, Scalar(300), DType::u8},
      {DType::b8, false, Scalar(1), DType::i64},       {DType::b8, false, Scalar(true), DType::b8},
      {DType::b8, false, Scalar(0.5), DType::f32},     {DType::i32, true, Scalar(2.5), DType::f32},
      {DType::i32, true, Scalar(1), DType::i32},       {DType::f64, true, Scalar(1), DType::f64},
      {DType::f16, true, Scalar(1.5), DType::f16},
  };
  for (const auto& row : table) {
    EXPECT_EQ(ops::result_type(operand(row.tensor, row.zero_dim), row.scalar), row.expected)
        << dtype_name(row.tensor) << (row.zero_dim ? " (0-d)" : "") << " with scalar " << row.scalar.to_double();
  }
}

TEST(ResultType, OpsProduceThePromotedDType) {
  EXPECT_EQ(ops::add(operand(DType::i32, false), operand(DType::f16, true)).dtype(), DType::f16);
  EXPECT_EQ(ops::mul(operand(DType::f16, false), operand(DType::i64, true)).dtype(), DType::f16);
  EXPECT_EQ(ops::add(operand(DType::f16, false), operand(DType::bf16, false)).dtype(), DType::f32);
  EXPECT_EQ(ops::add(operand(DType::b8, false), operand(DType::i32, false)).dtype(), DType::i32);
  EXPECT_EQ(ops::add(operand(DType::i64, false), 2.5).dtype(), DType::f32);
  EXPECT_EQ(ops::sub(1, operand(DType::u8, false)).dtype(), DType::u8);
  EXPECT_EQ(ops::div(operand(DType::i64, false), operand(DType::i64, false)).dtype(), DType::f32);
  EXPECT_EQ(ops::div(operand(DType::i32, false), operand(DType::f64, true)).dtype(), DType::f64);
  EXPECT_EQ(ops::lt(operand(DType::i32, false), 2.5).dtype(), DType::b8);
  EXPECT_EQ(ops::exp(operand(DType::i64, false)).dtype(), DType::f32);
  EXPECT_EQ(ops::exp(operand(DType::f64, false)).dtype(), DType::f64);
  EXPECT_EQ(ops::where(operand(DType::b8, false), operand(DType::i32, false), operand(DType::f16, false)).dtype(),
            DType::f16);
}

TEST(ResultType, ComparisonsComputeInThePromotedType) {
  // 3 < 3.5 only holds when the int tensor is compared as a float.
  const Tensor three = ops::full({1}, 3, {.dtype = DType::i64});
  EXPECT_TRUE(ops::lt(three, 3.5).item<bool>());
  EXPECT_FALSE(ops::eq(three, 3.5).item<bool>());
}

}  // namespace
}  // namespace mini
