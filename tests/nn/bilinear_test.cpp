// nn::Bilinear / nn::bilinear: the formula element by element, gradcheck in
// float64 over batch dims, 1-D and non-contiguous inputs, PyTorch's init
// bounds, the two-input call and errors that name the shapes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "nn_testing.h"

namespace mini::nn {
namespace {

using ::testing::HasSubstr;
using testing::leaf;
using testing::to_doubles;

constexpr double kF64Tol = 1e-12;

// y[b, o] = sum_ij x1[b, i] w[o, i, j] x2[b, j] + bias[o], over flattened batches.
std::vector<double> reference(const Tensor& x1, const Tensor& x2, const Tensor& weight, const Tensor& bias) {
  const int64_t out = weight.size(0), in1 = weight.size(1), in2 = weight.size(2), rows = x1.numel() / in1;
  const std::vector<double> a = to_doubles(x1), b = to_doubles(x2), w = to_doubles(weight);
  const std::vector<double> c = bias.defined() ? to_doubles(bias) : std::vector<double>(static_cast<size_t>(out), 0.0);
  std::vector<double> y;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double sum = c[static_cast<size_t>(o)];
      for (int64_t i = 0; i < in1; ++i) {
        for (int64_t j = 0; j < in2; ++j) {
          sum += a[static_cast<size_t>(r * in1 + i)] * w[static_cast<size_t>((o * in1 + i) * in2 + j)] *
                 b[static_cast<size_t>(r * in2 + j)];
        }
      }
      y.push_back(sum);
    }
  }
  return y;
}

TEST(Bilinear, MatchesTheFormulaElementByElement) {
  manual_seed(1);
  Bilinear layer(3, 5, 4, /*bias=*/true, {.dtype = DType::f64});
  const Tensor x1 = testing::random_tensor({2, 3, 3}, DType::f64, 2);
  const Tensor x2 = testing::random_tensor({2, 3, 5}, DType::f64, 3);
  const Tensor y = layer(x1, x2).detach();
  EXPECT_EQ(y.sizes(), (Shape{2, 3, 4}));
  testing::expect_values_near(y, reference(x1, x2, layer.weight(), layer.bias()), kF64Tol, kF64Tol);
}

TEST(Bilinear, OneDimensionalInputsGiveAVector) {
  const Tensor x1 = testing::random_tensor({3}, DType::f64, 4), x2 = testing::random_tensor({2}, DType::f64, 5);
  const Tensor w = testing::random_tensor({4, 3, 2}, DType::f64, 6);
  const Tensor y = bilinear(x1, x2, w);
  EXPECT_EQ(y.sizes(), (Shape{4}));
  testing::expect_values_near(y, reference(x1, x2, w, Tensor()), kF64Tol, kF64Tol);
}

TEST(Bilinear, GradcheckWithBatchDimsAndBias) {
  EXPECT_GRADCHECK(
      testing::one_output([](const std::vector<Tensor>& in) { return bilinear(in[0], in[1], in[2], in[3]); }),
      {leaf({2, 1, 3}, 1), leaf({2, 1, 2}, 2), leaf({5, 3, 2}, 3), leaf({5}, 4)});
}

TEST(Bilinear, GradcheckOnNonContiguousInputsWithoutBias) {
  EXPECT_GRADCHECK(testing::one_output([](const std::vector<Tensor>& in) { return bilinear(in[0], in[1], in[2]); }),
                   {testing::noncontiguous_leaf({3, 4}, 5), testing::noncontiguous_leaf({3, 2}, 6),
                    testing::noncontiguous_leaf({1, 4, 2}, 7)});
}

TEST(Bilinear, GradcheckThroughTheModule) {
  manual_seed(8);
  auto layer = std::make_shared<Bilinear>(2, 3, 2, true, TensorOptions{.dtype = DType::f64});
  // gradcheck perturbs its inputs in place, so passing the layer's own tensors checks them.
  EXPECT_GRADCHECK(testing::one_output([&](const std::vector<Tensor>& in) { return (*layer)(in[0], in[1]); }),
                   {leaf({4, 2}, 9), leaf({4, 3}, 10), layer->weight(), layer->bias()});
}

TEST(Bilinear, EmptyBatchGivesAnEmptyOutput) {
  const Tensor y = bilinear(ops::zeros({0, 3}), ops::zeros({0, 2}), ops::zeros({4, 3, 2}), ops::zeros({4}));
  EXPECT_EQ(y.sizes(), (Shape{0, 4}));
}

TEST(Bilinear, InitIsUniformWithinOneOverSqrtIn1) {
  manual_seed(12);
  Bilinear layer(9, 4, 5);
  EXPECT_EQ(layer.weight().sizes(), (Shape{5, 9, 4}));
  EXPECT_EQ(layer.bias().sizes(), (Shape{5}));
  const double bound = 1.0 / 3.0;  // 1 / sqrt(in1 = 9), for the bias too
  double largest = 0;
  for (const Tensor& p : {layer.weight(), layer.bias()}) {
    for (double v : to_doubles(p)) {
      EXPECT_LE(std::abs(v), bound);
      largest = std::max(largest, std::abs(v));
    }
  }
  EXPECT_GT(largest, 0.9 * bound);  // uses the range (185 draws), not a narrower one
  std::vector<std::string> names;
  for (const auto& [name, p] : layer.named_parameters()) names.push_back(name);
  EXPECT_THAT(names, ::testing::ElementsAre("weight", "bias"));
  EXPECT_EQ(layer.extra_repr(), "in1_features=9, in2_features=4, out_features=5, bias=true");
  EXPECT_EQ(Bilinear(2, 2, 2, /*bias=*/false).named_parameters().size(), 1u);
}

TEST(Bilinear, TwoInputCallRunsThroughTheForwardWrapper) {
  manual_seed(13);
  Bilinear layer(3, 2, 2, true, {.dtype = DType::f64});
  int calls = 0;
  layer.set_forward_wrapper([&calls](const Module::ForwardFunction& forward, const Tensor& x) {
    ++calls;
    return mini::checkpoint(forward, x);
  });
  const Tensor x1 = leaf({4, 3}, 14), x2 = leaf({4, 2}, 15);
  layer(x1, x2).sum().backward();
  EXPECT_EQ(calls, 1);
  const Tensor grad_weight = layer.weight().grad().clone();
  layer.weight().zero_grad();
  bilinear(x1, x2, layer.weight(), layer.bias()).sum().backward();
  testing::expect_tensors_near(grad_weight, layer.weight().grad(), kF64Tol, kF64Tol, "checkpointed grad");
}

TEST(Bilinear, OneInputForwardExplainsThatItNeedsTwo) {
  Bilinear layer(3, 2, 2);
  EXPECT_THAT(
      [&] {
        layer(ops::zeros({4, 3}));
      },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("Bilinear: forward needs two inputs, forward(x1, x2)")));
}

TEST(Bilinear, ErrorsNameTheShapes) {
  const Tensor w = ops::zeros({4, 3, 2});
  EXPECT_THAT(
      [&] {
        bilinear(ops::zeros({5, 3}), ops::zeros({6, 2}), w);
      },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("input1 (5, 3) and input2 (6, 2) must have the same batch dims")));
  EXPECT_THAT(
      [&] {
        bilinear(ops::zeros({5, 4}), ops::zeros({5, 2}), w);
      },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("input1 (5, 4) must end in in1_features=3 (weight (4, 3, 2))")));
  EXPECT_THAT(
      [&] {
        bilinear(ops::zeros({5, 3}), ops::zeros({5, 3}), w);
      },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("input2 (5, 3) must end in in2_features=2")));
  EXPECT_THAT(
      [&] {
        bilinear(ops::zeros({5, 3}), ops::zeros({5, 1, 2}), w);
      },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("same batch dims")));
  EXPECT_THAT(
      [&] {
        bilinear(ops::zeros({5, 3}), ops::zeros({5, 2}), w, ops::zeros({3}));
      },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("bias (3) must be (4)")));
  EXPECT_THAT(
      [&] {
        bilinear(ops::zeros({5, 3}), ops::zeros({5, 2}), ops::zeros({3, 2}));
      },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("weight must be (out, in1, in2), got (3, 2)")));
  EXPECT_THAT([] { Bilinear(0, 2, 2); }, ::testing::ThrowsMessage<ValueError>(HasSubstr("in1_features=0")));
}

}  // namespace
}  // namespace mini::nn
