// Gradients of indexing, joining and padding. Index tensors are constants;
// repeated indices must accumulate.
#include <gtest/gtest.h>

#include "autograd_testing.h"

namespace mini {
namespace {

using testing::leaf;
using testing::noncontiguous_leaf;
using testing::one_output;

// Weighted so each output element's gradient is distinct.
Tensor weighted(const Tensor& t) {
  Tensor ramp = ops::reshape(
      ops::arange(0.5, 0.5 + static_cast<double>(t.numel()), 1.0, {.dtype = DType::f64}), t.sizes());
  return t * ramp;
}

Tensor int_index(std::vector<int64_t> values, const Shape& sizes) { return ops::from_vector(values, sizes); }

TEST(IndexGrad, IndexSelectWithRepeatedIndices) {
  Tensor index = int_index({2, 0, 2}, {3});
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return weighted(index_select(in[0], 1, index)); }),
                   {noncontiguous_leaf({2, 3}, 600)});
}

TEST(IndexGrad, IndexAddToBothOperands) {
  Tensor index = int_index({1, 1, 0}, {3});
  EXPECT_GRADCHECK(
      one_output([&](const std::vector<Tensor>& in) { return weighted(index_add(in[0], 0, index, in[1])); }),
      {leaf({2, 4}, 601), leaf({3, 4}, 602)});
}

TEST(IndexGrad, Gather) {
  Tensor index = int_index({0, 2, 2, 1, 0, 0}, {2, 3});
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return weighted(gather(in[0], 1, index)); }),
                   {noncontiguous_leaf({2, 4}, 603)});
}

TEST(IndexGrad, ScatterAddAndScatter) {
  Tensor index = int_index({0, 2, 1, 3}, {2, 2});  // distinct positions per row
  auto self = leaf({2, 4}, 604);
  auto src = leaf({2, 2}, 605);
  EXPECT_GRADCHECK(
      one_output([&](const std::vector<Tensor>& in) { return weighted(scatter_add(in[0], 1, index, in[1])); }),
      {self, src});
  EXPECT_GRADCHECK(
      one_output([&](const std::vector<Tensor>& in) { return weighted(scatter(in[0], 1, index, in[1])); }),
      {self, src});
}

TEST(IndexGrad, MaskedFillWithABroadcastMask) {
  Tensor mask = ops::from_vector(std::vector<bool>{true, false, true, false}, {1, 4});
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return weighted(masked_fill(in[0], mask, 7.0)); }),
                   {noncontiguous_leaf({3, 4}, 606)});
}

TEST(IndexGrad, MaskedSelect) {
  Tensor mask = ops::from_vector(std::vector<bool>{true, false, true, true, false, true}, {2, 3});
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return weighted(masked_select(in[0], mask)); }),
                   {leaf({2, 3}, 607)});
  // x broadcast against the mask: its gradient sums over the broadcast dim.
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return weighted(masked_select(in[0], mask)); }),
                   {leaf({3}, 608)});
}

TEST(IndexGrad, EmbeddingAccumulatesRepeatedRows) {
  Tensor indices = int_index({1, 3, 1, 0}, {2, 2});
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return weighted(embedding(in[0], indices)); }),
                   {leaf({4, 3}, 609)});
}

TEST(IndexGrad, CatAlongEachDimWithMixedLayouts) {
  Tensor a = noncontiguous_leaf({2, 3}, 610), b = leaf({2, 2}, 611), c = leaf({1, 3}, 612);
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return weighted(cat({in[0], in[1]}, 1)); }),
                   {a, b});
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return weighted(cat({in[0], in[1], in[0]}, 0)); }),
                   {a, c});
}

TEST(IndexGrad, CatWithAnInputThatDoesNotRequireGrad) {
  Tensor a = leaf({2}, 613);
  Tensor constant = ops::ones({3}, {.dtype = DType::f64});
  EXPECT_GRADCHECK(one_output([&](const std::vector<Tensor>& in) { return weighted(cat({constant, in[0]})); }), {a});
}

TEST(IndexGrad, Stack) {
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return weighted(stack({in[0], in[1]}, 1)); }),
                   {leaf({2, 3}, 614), noncontiguous_leaf({2, 3}, 615)});
}

TEST(IndexGrad, PadAndCrop) {
  Tensor x = noncontiguous_leaf({3, 4}, 616);
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return weighted(pad(in[0], {1, 2, 0, 1}, 3.0)); }),
                   {x});
  EXPECT_GRADCHECK(one_output([](const std::vector<Tensor>& in) { return weighted(pad(in[0], {-1, 2, 1, -1})); }),
                   {x});
}

TEST(IndexGrad, SecondDerivativeThroughGatherAndCat) {
  Tensor index = int_index({0, 2, 1, 1}, {2, 2});
  EXPECT_GRADGRADCHECK(one_output([&](const std::vector<Tensor>& in) {
                         Tensor g = gather(in[0], 1, index);
                         return cat({g * g, in[0]}, 1);
                       }),
                       {leaf({2, 3}, 617)});
}

}  // namespace
}  // namespace mini
