// cat, stack and pad (copies into a new tensor), and split/chunk (views).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "support/tensor_testing.h"
#include "tensor/ops/index.h"

namespace mini {
namespace {

using testing::expect_values_near;
using testing::random_tensor;
using testing::to_doubles;
using testing::unravel;

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

// Row-major values of the concatenation of `parts` along dim, in double.
std::vector<double> cat_reference(const std::vector<Tensor>& parts, int64_t dim) {
  Shape sizes = parts[0].sizes();
  sizes[dim] = 0;
  for (const Tensor& part : parts) sizes[dim] += part.size(dim);
  std::vector<double> out(static_cast<size_t>(numel_of(sizes)));
  for (size_t i = 0; i < out.size(); ++i) {
    Shape position = unravel(static_cast<int64_t>(i), sizes);
    for (const Tensor& part : parts) {
      if (position[dim] < part.size(dim)) {
        int64_t flat = 0;
        for (int64_t d = 0; d < part.dim(); ++d) flat = flat * part.size(d) + position[d];
        out[i] = to_doubles(part)[static_cast<size_t>(flat)];
        break;
      }
      position[dim] -= part.size(dim);
    }
  }
  return out;
}

TEST(Cat, JoinsAlongEveryDimIncludingNegative) {
  for (int64_t dim = -3; dim < 3; ++dim) {
    const int64_t d = dim < 0 ? dim + 3 : dim;
    Shape a_sizes{2, 3, 4}, b_sizes{2, 3, 4};
    b_sizes[d] = 1;
    const Tensor a = random_tensor(a_sizes, DType::f32, 1);
    const Tensor b = testing::make_noncontiguous(random_tensor(b_sizes, DType::f32, 2));
    const Tensor result = ops::cat({a, b}, dim);
    Shape expected_sizes = a_sizes;
    expected_sizes[d] += 1;
    EXPECT_EQ(result.sizes(), expected_sizes);
    expect_values_near(result, cat_reference({a, b}, d), 0, 0, fmt::format("dim {}", dim));
  }
}

TEST(Cat, PromotesDtypesLikeTorchCat) {
  const Tensor ints = ops::from_vector(std::vector<int64_t>{1, 2});
  const Tensor floats = ops::from_vector(std::vector<float>{0.5f});
  const Tensor bools = ops::from_vector(std::vector<bool>{true});
  const Tensor result = ops::cat({ints, floats, bools});
  EXPECT_EQ(result.dtype(), DType::f32);
  expect_values_near(result, {1, 2, 0.5, 1}, 0, 0);
  EXPECT_EQ(ops::cat({ints, ops::from_vector(std::vector<int32_t>{3})}).dtype(), DType::i64);
  EXPECT_EQ(ops::cat({ops::zeros({1}, {.dtype = DType::f16}), ops::zeros({1}, {.dtype = DType::bf16})}).dtype(),
            DType::f32);
}

TEST(Cat, SkipsOneDimensionalEmptyTensorsAsTheLegacyRuleSays) {
  const Tensor a = random_tensor({2, 3}, DType::f64, 3);
  const Tensor result =
      ops::cat({ops::zeros({0}, {.dtype = DType::f64}), a, ops::zeros({0}, {.dtype = DType::f64})}, 1);
  EXPECT_EQ(result.sizes(), (Shape{2, 3}));
  expect_values_near(result, to_doubles(a), 0, 0);
  EXPECT_EQ(ops::cat({ops::zeros({0}), ops::zeros({0})}).sizes(), (Shape{0}));
}

TEST(Cat, KeepsEmptyTensorsOfHigherRank) {
  const Tensor a = random_tensor({2, 3}, DType::f32, 4);
  EXPECT_EQ(ops::cat({a, ops::zeros({0, 3})}, 0).sizes(), (Shape{2, 3}));
  EXPECT_THROW(ops::cat({a, ops::zeros({0, 4})}, 0), ValueError);
}

TEST(Cat, MismatchNamesTheShapesAndTheDim) {
  const std::string message = message_of([] { ops::cat({ops::zeros({2, 3}), ops::zeros({2, 4})}, 0); });
  EXPECT_NE(message.find("cat"), std::string::npos) << message;
  EXPECT_NE(message.find("(2, 3)"), std::string::npos) << message;
  EXPECT_NE(message.find("(2, 4)"), std::string::npos) << message;
  EXPECT_NE(message.find("dim 1"), std::string::npos) << message;
  EXPECT_THROW(ops::cat({}, 0), ValueError);
  EXPECT_THROW(ops::cat({ops::zeros({2}), ops::zeros({2, 1})}, 0), ValueError);
  EXPECT_THROW(ops::cat({ops::zeros({})}, 0), ValueError);
  EXPECT_THROW(ops::cat({ops::zeros({2})}, 1), IndexError);
}

TEST(Stack, InsertsANewDimAtAnyPosition) {
  const Tensor a = random_tensor({2, 3}, DType::i32, 5);
  const Tensor b = random_tensor({2, 3}, DType::i32, 6);
  const std::vector<double> va = to_doubles(a), vb = to_doubles(b);
  const Tensor front = ops::stack({a, b}, 0);
  EXPECT_EQ(front.sizes(), (Shape{2, 2, 3}));
  std::vector<double> expected = va;
  expected.insert(expected.end(), vb.begin(), vb.end());
  expect_values_near(front, expected, 0, 0);
  const Tensor back = ops::stack({a, b}, -1);
  EXPECT_EQ(back.sizes(), (Shape{2, 3, 2}));
  expected.clear();
  for (size_t i = 0; i < va.size(); ++i) {
    expected.push_back(va[i]);
    expected.push_back(vb[i]);
  }
  expect_values_near(back, expected, 0, 0);
}

TEST(Stack, StacksEmptyAndZeroDimTensors) {
  EXPECT_EQ(ops::stack({ops::zeros({0}), ops::zeros({0})}).sizes(), (Shape{2, 0}));
  const Tensor scalars = ops::stack({ops::full({}, 1.5), ops::full({}, 2.5)});
  EXPECT_EQ(scalars.sizes(), (Shape{2}));
  expect_values_near(scalars, {1.5, 2.5}, 0, 0);
}

TEST(Stack, MismatchNamesBothShapes) {
  const std::string message = message_of([] { ops::stack({ops::zeros({2, 3}), ops::zeros({3, 2})}); });
  EXPECT_NE(message.find("stack"), std::string::npos) << message;
  EXPECT_NE(message.find("(2, 3)"), std::string::npos) << message;
  EXPECT_NE(message.find("(3, 2)"), std::string::npos) << message;
}

// Reference: out[p] = self[p - before] where inside, else value.
std::vector<double> pad_reference(const Tensor& self, const Shape& pad, double value) {
  Shape sizes = self.sizes(), before(self.sizes().size(), 0);
  for (size_t i = 0; i < pad.size() / 2; ++i) {
    const size_t d = sizes.size() - 1 - i;
    sizes[d] += pad[2 * i] + pad[2 * i + 1];
    before[d] = pad[2 * i];
  }
  const std::vector<double> in = to_doubles(self);
  std::vector<double> out(static_cast<size_t>(numel_of(sizes)), value);
  for (size_t i = 0; i < out.size(); ++i) {
    const Shape position = unravel(static_cast<int64_t>(i), sizes);
    int64_t flat = 0;
    bool inside = true;
    for (size_t d = 0; d < sizes.size(); ++d) {
      const int64_t source = position[d] - before[d];
      inside = inside && source >= 0 && source < self.sizes()[d];
      flat = flat * self.sizes()[d] + source;
    }
    if (inside) out[i] = in[static_cast<size_t>(flat)];
  }
  return out;
}

TEST(Pad, PadsTheLastDimsWithAConstant) {
  const Tensor self = testing::make_noncontiguous(random_tensor({2, 3, 4}, DType::f32, 7));
  const Shape pad{1, 2, 0, 3};
  const Tensor result = ops::pad(self, pad, -1.5);
  EXPECT_EQ(result.sizes(), (Shape{2, 6, 7}));
  expect_values_near(result, pad_reference(self, pad, -1.5), 0, 0);
}

TEST(Pad, NegativePaddingCrops) {
  const Tensor self = random_tensor({3, 5}, DType::i64, 8);
  for (const Shape& pad : {Shape{-1, 2}, Shape{-2, -2, 1, -1}, Shape{2, -3}, Shape{-5, 1}}) {
    const Tensor result = ops::pad(self, pad, 7);
    expect_values_near(result, pad_reference(self, pad, 7), 0, 0, shape_str(pad));
  }
}

TEST(Pad, RejectsOddLengthsTooManyDimsAndNegativeSizes) {
  const Tensor self = ops::zeros({2, 3});
  EXPECT_THROW(ops::pad(self, {1}), ValueError);
  EXPECT_THROW(ops::pad(self, {1, 1, 1, 1, 1, 1}), ValueError);
  const std::string message = message_of([&] { ops::pad(self, {-2, -2}); });
  EXPECT_NE(message.find("pad"), std::string::npos) << message;
  EXPECT_NE(message.find("(2, 3)"), std::string::npos) << message;
}

TEST(Split, PiecesAreViewsWithASmallerLastPiece) {
  const Tensor self = random_tensor({7, 2}, DType::f32, 9);
  const std::vector<Tensor> pieces = ops::split(self, 3, 0);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].sizes(), (Shape{3, 2}));
  EXPECT_EQ(pieces[2].sizes(), (Shape{1, 2}));
  EXPECT_EQ(ops::cat(pieces, 0).sizes(), self.sizes());
  expect_values_near(ops::cat(pieces, 0), to_doubles(self), 0, 0);
  EXPECT_EQ(pieces[1].storage(), self.storage());
  EXPECT_EQ(pieces[1].data_ptr(), static_cast<float*>(self.data_ptr()) + 6);
}

TEST(Split, WithSizesChecksTheTotal) {
  const Tensor self = ops::zeros({2, 6});
  const std::vector<Tensor> pieces = ops::split_with_sizes(self, {1, 0, 5}, 1);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[1].sizes(), (Shape{2, 0}));
  EXPECT_EQ(pieces[2].sizes(), (Shape{2, 5}));
  const std::string message = message_of([&] { ops::split_with_sizes(self, {1, 2}, 1); });
  EXPECT_NE(message.find("(1, 2)"), std::string::npos) << message;
}

TEST(Chunk, RoundsTheChunkSizeUpLikeTorch) {
  const Tensor self = ops::zeros({5});
  const std::vector<Tensor> pieces = ops::chunk(self, 3);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].size(0), 2);
  EXPECT_EQ(pieces[2].size(0), 1);
  // torch.chunk may return fewer chunks than asked: 6 elements in 4 chunks -> sizes 2, 2, 2.
  EXPECT_EQ(ops::chunk(ops::zeros({6}), 4).size(), 3u);
  EXPECT_THROW(ops::chunk(self, 0), ValueError);
}

}  // namespace
}  // namespace mini
