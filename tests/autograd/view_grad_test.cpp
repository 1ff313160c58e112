// Gradients of the view ops, including views of views and views of
// non-contiguous tensors.
#include <gtest/gtest.h>

#include "autograd_testing.h"

namespace mini {
namespace {

using testing::leaf;
using testing::noncontiguous_leaf;
using testing::one_output;

void expect_view_gradcheck(const std::function<Tensor(const Tensor&)>& view_fn, const Shape& sizes = {2, 3, 4}) {
  // Multiply by a fixed ramp so each output element's gradient differs.
  auto fn = one_output([&](const std::vector<Tensor>& in) {
    Tensor v = view_fn(in[0]);
    Tensor ramp = ops::reshape(ops::arange(0.5, 0.5 + static_cast<double>(v.numel()), 1.0,
                                           {.dtype = DType::f64}),
                               v.sizes());
    return v * ramp;
  });
  EXPECT_GRADCHECK(fn, {leaf(sizes, 500)});
  EXPECT_GRADCHECK(fn, {noncontiguous_leaf(sizes, 501)});
}

TEST(ViewGrad, ViewAndReshape) {
  expect_view_gradcheck([](const Tensor& x) { return view(contiguous(x), {6, 4}); });
  expect_view_gradcheck([](const Tensor& x) { return reshape(x, {4, -1}); });
  expect_view_gradcheck([](const Tensor& x) { return x.reshape({24}); });
}
TEST(ViewGrad, PermuteTransposeAndT) {
  expect_view_gradcheck([](const Tensor& x) { return permute(x, {2, 0, 1}); });
  expect_view_gradcheck([](const Tensor& x) { return transpose(x, 0, -1); });
  expect_view_gradcheck([](const Tensor& x) { return t(x); }, {3, 5});
  expect_view_gradcheck([](const Tensor& x) { return movedim(x, 0, 2); });
}
TEST(ViewGrad, NarrowSliceSelect) {
  expect_view_gradcheck([](const Tensor& x) { return narrow(x, 1, 1, 2); });
  expect_view_gradcheck([](const Tensor& x) { return slice(x, 2, 0, 4, 2); });
  expect_view_gradcheck([](const Tensor& x) { return select(x, -1, 3); });
  expect_view_gradcheck([](const Tensor& x) { return diagonal(x, 1, 1, 2); });
}
TEST(ViewGrad, ExpandSumsOverTheExpandedDims) {
  expect_view_gradcheck([](const Tensor& x) { return expand(x, {2, 2, 3, 4}); });
  expect_view_gradcheck([](const Tensor& x) { return expand(x, {3, 4, 5}); }, {3, 1, 5});
  Tensor other = ops::zeros({2, 3, 4}, {.dtype = DType::f64});
  expect_view_gradcheck([&](const Tensor& x) { return expand_as(x, other); }, {1, 3, 1});
}
TEST(ViewGrad, SqueezeUnsqueezeFlattenUnflatten) {
  expect_view_gradcheck([](const Tensor& x) { return squeeze(x); }, {1, 3, 1, 2});
  expect_view_gradcheck([](const Tensor& x) { return squeeze(x, 2); }, {1, 3, 1, 2});
  expect_view_gradcheck([](const Tensor& x) { return unsqueeze(x, 1); });
  expect_view_gradcheck([](const Tensor& x) { return flatten(x, 1); });
  expect_view_gradcheck([](const Tensor& x) { return unflatten(x, 2, {2, 2}); });
}
TEST(ViewGrad, ViewsOfViews) {
  expect_view_gradcheck(
      [](const Tensor& x) { return select(narrow(transpose(unsqueeze(x, 0), 1, 3), 2, 1, 2), 0, 0); });
  expect_view_gradcheck([](const Tensor& x) { return flatten(permute(slice(x, 0, 0, 2, 1), {1, 2, 0})); });
}
TEST(ViewGrad, SplitChunkUnbind) {
  auto pieces_sum = [](const std::vector<Tensor>& pieces) {
    Tensor total = sum(pieces[0] * 1.5);
    for (size_t i = 1; i < pieces.size(); ++i) total = total + sum(pieces[i] * static_cast<double>(i + 2));
    return total;
  };
  Tensor x = noncontiguous_leaf({5, 4}, 502);
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return pieces_sum(split(in[0], 2, 0)); }), {x});
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return pieces_sum(chunk(in[0], 3, 1)); }), {x});
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return pieces_sum(unbind(in[0], 1)); }), {x});
  EXPECT_GRADCHECK(
      one_output([&](const std::vector<Tensor>& in) { return pieces_sum(split_with_sizes(in[0], {1, 4}, 0)); }), {x});
}
TEST(ViewGrad, UnusedSplitPiecesGetZeroGradient) {
  Tensor x = leaf({4}, 503);
  std::vector<Tensor> pieces = split(x, 2);
  pieces[1].sum().backward();
  testing::expect_close(x.grad(), ops::from_vector<double>({0, 0, 1, 1}));
}
TEST(ViewGrad, SecondDerivativeThroughViews) {
  Tensor x = leaf({2, 3}, 504);
  EXPECT_GRADGRADCHECK(one_output([](const std::vector<Tensor>& in) {
                         Tensor v = slice(transpose(in[0], 0, 1), 0, 1, 3);
                         return v * v;
                       }),
                       {x});
}

}  // namespace
}  // namespace mini
