// Tensor::str() against the text PyTorch prints for the same tensor
// (with "dtype=float64" where PyTorch writes "dtype=torch.float64").
#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <vector>

#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"
#include "tensor/tensor.h"

namespace mini {
namespace {

Tensor floats(const std::vector<float>& values, const Shape& sizes) { return ops::from_vector(values, sizes); }
Tensor floats(const std::vector<float>& values) { return ops::from_vector(values); }

TEST(Print, FloatsWithDecimalsUseFourDigitsAlignedRight) {
  EXPECT_EQ(floats({1.5f, -2.25f, 3.0f}).str(), "tensor([ 1.5000, -2.2500,  3.0000])");
}

TEST(Print, WholeFloatsPrintWithATrailingDot) {
  EXPECT_EQ(floats({1, 2, 3, 4}, {2, 2}).str(), "tensor([[1., 2.],\n        [3., 4.]])");
  EXPECT_EQ(floats({0, 0}).str(), "tensor([0., 0.])");
  EXPECT_EQ(floats({-1, 10}).str(), "tensor([-1., 10.])");
}

TEST(Print, IntegersPrintWithoutDecimals) {
  EXPECT_EQ(ops::from_vector(std::vector<int64_t>{1, 100, -3}).str(), "tensor([  1, 100,  -3])");
  EXPECT_EQ(ops::from_vector(std::vector<int32_t>{1, 2}).str(), "tensor([1, 2], dtype=int32)");
  EXPECT_EQ(ops::from_vector(std::vector<uint8_t>{7, 255}).str(), "tensor([  7, 255], dtype=uint8)");
}

TEST(Print, BoolsPrintAsTrueAndFalse) {
  EXPECT_EQ(ops::from_vector(std::vector<bool>{true, false, true}).str(), "tensor([ True, False,  True])");
}

TEST(Print, NonDefaultDtypesGetASuffix) {
  EXPECT_EQ(ops::from_vector(std::vector<double>{0.1, 0.2}).str(), "tensor([0.1000, 0.2000], dtype=float64)");
  EXPECT_EQ(ops::from_vector(std::vector<Half>{Half(1.5f)}).str(), "tensor([1.5000], dtype=float16)");
  EXPECT_EQ(ops::from_vector(std::vector<BFloat16>{BFloat16(2.0f)}).str(), "tensor([2.], dtype=bfloat16)");
}

TEST(Print, ZeroDimTensors) {
  EXPECT_EQ(ops::full({}, 3.5).str(), "tensor(3.5000)");
  EXPECT_EQ(ops::full({}, 2.0).str(), "tensor(2.)");
  EXPECT_EQ(ops::scalar_tensor(int64_t{3}).str(), "tensor(3)");
  EXPECT_EQ(ops::full({}, 1.25, {.dtype = DType::f64}).str(), "tensor(1.2500, dtype=float64)");
}

TEST(Print, EmptyTensorsShowTheirSizeAndDtype) {
  EXPECT_EQ(ops::zeros({0}).str(), "tensor([])");
  EXPECT_EQ(ops::zeros({0, 3}).str(), "tensor([], size=(0, 3))");
  EXPECT_EQ(ops::zeros({0}, {.dtype = DType::i64}).str(), "tensor([], dtype=int64)");
}

TEST(Print, ScientificNotationForWideOrTinyRanges) {
  EXPECT_EQ(floats({1e-5f, 1.0f}).str(), "tensor([1.0000e-05, 1.0000e+00])");
  EXPECT_EQ(floats({1.0f, 1e5f}).str(), "tensor([1.0000e+00, 1.0000e+05])");
  EXPECT_EQ(floats({2e9f}).str(), "tensor([2.0000e+09])");
}

TEST(Print, NonFiniteValuesArePaddedLikeNumbers) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(floats({1.5f, nan, inf}).str(), "tensor([1.5000,    nan,    inf])");
  EXPECT_EQ(floats({1.0f, -inf}).str(), "tensor([1., -inf])");
}

TEST(Print, LongRowsWrapAtEightyColumns) {
  std::vector<float> values;
  for (int i = 0; i < 20; ++i) values.push_back(1.5f * static_cast<float>(i));
  EXPECT_EQ(floats(values).str(),
            "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
            "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
            "        24.0000, 25.5000, 27.0000, 28.5000])");
}

TEST(Print, HigherRanksSeparateSlicesByBlankLines) {
  EXPECT_EQ(ops::view(ops::arange(8), {2, 2, 2}).str(),
            "tensor([[[0, 1],\n"
            "         [2, 3]],\n"
            "\n"
            "        [[4, 5],\n"
            "         [6, 7]]])");
}

TEST(Print, NonContiguousTensorsPrintInLogicalOrder) {
  EXPECT_EQ(ops::transpose(ops::view(ops::arange(6), {2, 3}), 0, 1).str(),
            "tensor([[0, 3],\n        [1, 4],\n        [2, 5]])");
}

TEST(Print, LargeTensorsAreSummarizedWithThreeEdgeItems) {
  EXPECT_EQ(ops::arange(1001).str(), "tensor([   0,    1,    2,  ...,  998,  999, 1000])");
  EXPECT_EQ(ops::zeros({100, 100}).str(),
            "tensor([[0., 0., 0.,  ..., 0., 0., 0.],\n"
            "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
            "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
            "        ...,\n"
            "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
            "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
            "        [0., 0., 0.,  ..., 0., 0., 0.]])");
  // Only the shown elements choose the format: 1997..1999 against 1 spans > 1000x.
  EXPECT_EQ(ops::arange(0.0, 2000.0, 1.0).str(),
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
            "        1.9990e+03])");
}

TEST(Print, StreamOperatorWritesTheSameText) {
  std::ostringstream out;
  out << floats({0.5f});
  EXPECT_EQ(out.str(), "tensor([0.5000])");
}

}  // namespace
}  // namespace mini
