// In-place ops under autograd: history rebasing, the leaf and view errors,
// and version bumps (NOTE [in-place ops and autograd] in inplace.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autograd_testing.h"

namespace mini {
namespace {

using ::testing::HasSubstr;
using testing::expect_close;
using testing::leaf;
using testing::one_output;

TEST(InPlace, OnALeafThatRequiresGradIsAnError) {
  Tensor x = leaf({3}, 800);
  EXPECT_THAT([&] { x.add_(1.0); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("a leaf tensor of shape (3,) that requires grad")));
  EXPECT_THAT([&] { x.zero_(); }, ::testing::ThrowsMessage<ValueError>(HasSubstr("fill_: a leaf tensor")));
}

TEST(InPlace, OnALeafUnderNoGradIsAllowed) {
  Tensor x = leaf({3}, 801);
  const uint64_t version = x.version();
  {
    NoGradGuard no_grad;
    x.mul_(2.0);
  }
  EXPECT_GT(x.version(), version);
  EXPECT_TRUE(x.is_leaf());
}

TEST(InPlace, OnAViewOfATensorThatRequiresGradIsNotSupported) {
  Tensor x = leaf({2, 3}, 802);
  Tensor h = x * 1.0;
  Tensor v = select(h, 0, 1);
  EXPECT_THAT([&] { v.mul_(2.0); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("in-place operations on a view")));
}

TEST(InPlace, RebasesTheHistoryOfANonLeaf) {
  // y = (x * 2) then y += w, y *= x, y /= 4: gradients as for the out-of-place chain.
  auto in_place = [](const std::vector<Tensor>& in) {
    Tensor y = in[0] * 2.0;
    y.add_(in[1]);
    mini::mul_(y, in[0]);
    y.div_(4.0);
    mini::sub_(y, in[1] * in[1]);
    mini::div_(y, in[1] + 3.0);
    return std::vector<Tensor>{y};
  };
  EXPECT_GRADCHECK(in_place, {leaf({2, 3}, 803), leaf({3}, 804, 0.5, 2.0)});
}

TEST(InPlace, InPlaceIntoATensorThatDidNotRequireGrad) {
  auto fn = one_output([](const std::vector<Tensor>& in) {
    Tensor buffer = ops::zeros({2, 3}, {.dtype = DType::f64});
    buffer.add_(in[0]);
    buffer.mul_(in[0]);
    return buffer;
  });
  Tensor x = leaf({2, 3}, 805);
  EXPECT_GRADCHECK(fn, {x});
}

TEST(InPlace, CopyAndFillReplaceTheHistory) {
  Tensor x = leaf({3}, 806), w = leaf({3}, 807);
  Tensor y = x * 3.0;
  y.copy_(w);
  y.sum().backward();
  EXPECT_FALSE(x.grad().defined());
  expect_close(w.grad(), ops::ones({3}, {.dtype = DType::f64}));

  Tensor z = w * 2.0;
  z.fill_(5.0);
  EXPECT_TRUE(z.requires_grad());
  expect_close(z.detach(), ops::full({3}, 5.0, {.dtype = DType::f64}));
}

TEST(InPlace, CopyFromABroadcastSourceSumsItsGradient) {
  auto fn = one_output([](const std::vector<Tensor>& in) {
    Tensor y = ops::zeros({2, 3}, {.dtype = DType::f64});
    y.copy_(in[0]);
    return y * y;
  });
  EXPECT_GRADCHECK(fn, {leaf({3}, 808)});
}

TEST(InPlace, ModifyingASavedTensorInPlaceIsDetected) {
  Tensor x = leaf({3}, 809);
  Tensor h = x * 1.0;
  Tensor y = mini::sin(h);  // saves h
  h.add_(1.0);
  EXPECT_THAT([&] { y.sum().backward(); },
              ::testing::ThrowsMessage<Error>(AllOf(HasSubstr("saved by op 'sin'"), HasSubstr("is at version 1"))));
}

TEST(InPlace, AlwaysBumpsTheVersion) {
  Tensor x = ops::zeros({2});
  const uint64_t v0 = x.version();
  x.add_(1.0);
  x.zero_();
  x.copy_(ops::ones({2}));
  EXPECT_EQ(x.version(), v0 + 3);
}

}  // namespace
}  // namespace mini
