#include <gtest/gtest.h>

#include "tensor/dtype.h"
#include "tensor/error.h"
#include "tensor/shape.h"

namespace mini {
namespace {

TEST(Broadcast, ExpandsSizeOneDimsFromTheRight) {
  EXPECT_EQ(broadcast_shapes({4, 1, 5}, {3, 1}, "add"), (Shape{4, 3, 5}));
  EXPECT_EQ(broadcast_shapes({}, {2, 3}, "add"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({0, 1}, {1, 7}, "add"), (Shape{0, 7}));
}

TEST(Broadcast, MismatchNamesBothShapesAndTheOp) {
  try {
    broadcast_shapes({2, 3}, {4, 3}, "mul");
    FAIL() << "expected an error";
  } catch (const ValueError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("mul"), std::string::npos) << message;
    EXPECT_NE(message.find("(2, 3)"), std::string::npos) << message;
    EXPECT_NE(message.find("(4, 3)"), std::string::npos) << message;
  }
}

TEST(WrapDim, AcceptsNegativeDimsAndRejectsOutOfRange) {
  EXPECT_EQ(wrap_dim(-1, 3, "sum"), 2);
  EXPECT_EQ(wrap_dim(0, 0, "sum"), 0);  // a 0-d tensor accepts dim 0 and -1
  EXPECT_THROW(wrap_dim(3, 3, "sum"), IndexError);
  EXPECT_THROW(wrap_dims({1, -2}, 3, "sum"), ValueError);  // the same dim twice
}

TEST(Shape, ContiguousStridesSkipZeroSizes) {
  EXPECT_EQ(contiguous_strides({2, 3, 4}), (Shape{12, 4, 1}));
  EXPECT_EQ(contiguous_strides({2, 0, 4}), (Shape{4, 4, 1}));
  EXPECT_EQ(shape_str({5}), "(5,)");
  EXPECT_EQ(shape_str({2, 3}), "(2, 3)");
}

TEST(Shape, SmallVectorSpillsToTheHeapPastItsInlineCapacity) {
  Shape sizes;
  for (int64_t i = 0; i < 20; ++i) sizes.push_back(i);
  ASSERT_EQ(sizes.size(), 20u);
  for (int64_t i = 0; i < 20; ++i) EXPECT_EQ(sizes[i], i);
  Shape copy = sizes;
  EXPECT_EQ(copy, sizes);
  Shape moved = std::move(copy);
  EXPECT_EQ(moved, sizes);
}

TEST(DTypePromotion, FollowsPyTorchsTable) {
  EXPECT_EQ(promote_types(DType::b8, DType::u8), DType::u8);
  EXPECT_EQ(promote_types(DType::u8, DType::i32), DType::i32);
  EXPECT_EQ(promote_types(DType::i32, DType::i64), DType::i64);
  EXPECT_EQ(promote_types(DType::i64, DType::f16), DType::f16);
  EXPECT_EQ(promote_types(DType::f16, DType::bf16), DType::f32);
  EXPECT_EQ(promote_types(DType::bf16, DType::f64), DType::f64);
  EXPECT_EQ(promote_types(DType::f32, DType::b8), DType::f32);
}

TEST(DType, NamesParseBack) {
  for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::b8, DType::u8}) {
    EXPECT_EQ(dtype_from_name(dtype_name(dtype)), dtype);
  }
  EXPECT_THROW(dtype_from_name("float128"), ValueError);
}

}  // namespace
}  // namespace mini
