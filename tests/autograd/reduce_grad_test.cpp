// Gradients of the reductions (gradcheck in float64), with and without
// keepdim, over single, multiple, negative and all dims.
#include <gtest/gtest.h>

#include "autograd_testing.h"

namespace mini {
namespace {

using testing::leaf;
using testing::noncontiguous_leaf;
using testing::one_output;

template <typename F>
void expect_reduction_gradcheck(F reduce, double low = -2.0, double high = 2.0) {
  Tensor x = noncontiguous_leaf({2, 3, 4}, 400, low, high);
  for (const Shape& dims : {Shape{}, Shape{1}, Shape{-1}, Shape{0, 2}}) {
    for (bool keepdim : {false, true}) {
      SCOPED_TRACE(shape_str(dims) + (keepdim ? " keepdim" : ""));
      EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return reduce(in[0], dims, keepdim); }), {x});
    }
  }
}

TEST(ReduceGrad, Sum) {
  expect_reduction_gradcheck([](const Tensor& x, const Shape& d, bool k) { return sum(x, d, k); });
}
TEST(ReduceGrad, Mean) {
  expect_reduction_gradcheck([](const Tensor& x, const Shape& d, bool k) { return mean(x, d, k); });
}
TEST(ReduceGrad, VarianceBiasedAndUnbiased) {
  expect_reduction_gradcheck([](const Tensor& x, const Shape& d, bool k) { return var(x, d, true, k); });
  expect_reduction_gradcheck([](const Tensor& x, const Shape& d, bool k) { return var(x, d, false, k); });
}
TEST(ReduceGrad, StandardDeviation) {
  expect_reduction_gradcheck([](const Tensor& x, const Shape& d, bool k) { return mini::std(x, d, true, k); });
}
TEST(ReduceGrad, ProductOfNonZeroValues) {
  expect_reduction_gradcheck([](const Tensor& x, const Shape& d, bool k) { return prod(x, d, k); }, 0.5, 1.5);
}
TEST(ReduceGrad, AmaxAndAmin) {
  expect_reduction_gradcheck([](const Tensor& x, const Shape& d, bool k) { return amax(x, d, k); });
  expect_reduction_gradcheck([](const Tensor& x, const Shape& d, bool k) { return amin(x, d, k); });
}
TEST(ReduceGrad, Logsumexp) {
  expect_reduction_gradcheck([](const Tensor& x, const Shape& d, bool k) { return logsumexp(x, d, k); });
}
TEST(ReduceGrad, NormForSeveralP) {
  for (double p : {2.0, 1.0, 3.0, std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(p);
    expect_reduction_gradcheck([p](const Tensor& x, const Shape& d, bool k) { return norm(x, p, d, k); }, 0.2, 2.0);
  }
}
TEST(ReduceGrad, MaxAndMinAlongADim) {
  Tensor x = noncontiguous_leaf({3, 4}, 401);
  for (bool keepdim : {false, true}) {
    EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return max(in[0], 1, keepdim).first; }), {x});
    EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return min(in[0], 0, keepdim).first; }), {x});
  }
}

TEST(ReduceGrad, AmaxSharesTheGradientBetweenTies) {
  Tensor x = ops::from_vector<double>({1, 3, 3, 2}).requires_grad_();
  amax(x).backward();
  testing::expect_close(x.grad(), ops::from_vector<double>({0, 0.5, 0.5, 0}));
}

TEST(ReduceGrad, SumOfAZeroDimTensor) {
  Tensor x = leaf({}, 402);
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return sum(in[0]) * 2.0; }), {x});
}

TEST(ReduceGrad, SecondDerivatives) {
  Tensor x = leaf({3, 4}, 403);
  EXPECT_GRADGRADCHECK(one_output([](const std::vector<Tensor>& in) { return sum(in[0] * in[0], {1}); }), {x});
  EXPECT_GRADGRADCHECK(one_output([](const std::vector<Tensor>& in) { return mean(exp(in[0]), {0}, true); }), {x});
  EXPECT_GRADGRADCHECK(one_output([](const std::vector<Tensor>& in) { return var(in[0], {1}); }), {x});
  EXPECT_GRADGRADCHECK(one_output([](const std::vector<Tensor>& in) { return logsumexp(in[0], {1}); }), {x});
}

}  // namespace
}  // namespace mini
