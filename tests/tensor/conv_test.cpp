// conv2d / conv1d, im2col / col2im and the conv2d backward pieces against a
// naive 7-loop reference in double.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "support/tensor_testing.h"
#include "tensor/ops/nn.h"

namespace mini {
namespace {

using testing::expect_values_near;
using testing::random_tensor;
using testing::to_doubles;

struct ConvCase {
  int64_t batch, channels, height, width, kernels, kernel_h, kernel_w;
  ops::Conv2dOptions options;
  std::string name() const {
    return fmt::format("N{} C{} {}x{} K{} {}x{} stride ({}, {}) pad ({}, {}) dilation ({}, {}) groups {}", batch,
                       channels, height, width, kernels, kernel_h, kernel_w, options.stride.first,
                       options.stride.second, options.padding.first, options.padding.second,
                       options.dilation.first, options.dilation.second, options.groups);
  }
};

const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      {2, 3, 7, 6, 4, 3, 3, {}},
      {3, 4, 8, 9, 6, 3, 3, {.stride = {2, 2}, .padding = {1, 1}}},
      {1, 4, 9, 7, 4, 3, 2, {.stride = {1, 2}, .padding = {2, 0}, .dilation = {2, 1}}},
      {2, 4, 6, 6, 6, 3, 3, {.padding = {1, 1}, .groups = 2}},
      {2, 6, 5, 5, 6, 3, 3, {.padding = {1, 1}, .groups = 6}},  // depthwise
      {3, 5, 4, 6, 7, 1, 1, {}},                                // pointwise: no im2col
      {2, 4, 5, 5, 2, 1, 1, {.stride = {2, 2}}},
      {1, 1, 1, 1, 1, 1, 1, {}},
      {2, 3, 5, 5, 2, 5, 5, {}},  // kernel covers the whole input
  };
  return cases;
}

// Visits every (output, input, weight) triple of a convolution once, in double:
// visit(out_index, input_index, weight_index).
void for_each_tap(const Shape& x, const Shape& w, const ops::Conv2dOptions& o,
                  const std::function<void(int64_t, int64_t, int64_t)>& visit) {
  const int64_t n_count = x[0], channels = x[1], height = x[2], width = x[3];
  const int64_t kernels = w[0], group_channels = w[1], kh = w[2], kw = w[3];
  const int64_t group_kernels = kernels / o.groups;
  const int64_t out_h = (height + 2 * o.padding.first - o.dilation.first * (kh - 1) - 1) / o.stride.first + 1;
  const int64_t out_w = (width + 2 * o.padding.second - o.dilation.second * (kw - 1) - 1) / o.stride.second + 1;
  for (int64_t n = 0; n < n_count; ++n) {
    for (int64_t k = 0; k < kernels; ++k) {
      const int64_t group = k / group_kernels;
      for (int64_t oy = 0; oy < out_h; ++oy) {
        for (int64_t ox = 0; ox < out_w; ++ox) {
          for (int64_t cl = 0; cl < group_channels; ++cl) {
            const int64_t c = group * group_channels + cl;
            for (int64_t ki = 0; ki < kh; ++ki) {
              for (int64_t kj = 0; kj < kw; ++kj) {
                const int64_t iy = oy * o.stride.first - o.padding.first + ki * o.dilation.first;
                const int64_t ix = ox * o.stride.second - o.padding.second + kj * o.dilation.second;
                if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                visit(((n * kernels + k) * out_h + oy) * out_w + ox, ((n * channels + c) * height + iy) * width + ix,
                      ((k * group_channels + cl) * kh + ki) * kw + kj);
              }
            }
          }
        }
      }
    }
  }
}

std::vector<double> reference_conv(const Tensor& x, const Tensor& weight, const ops::Conv2dOptions& o,
                                   int64_t out_numel) {
  const std::vector<double> vx = to_doubles(x), vw = to_doubles(weight);
  std::vector<double> out(static_cast<size_t>(out_numel), 0.0);
  for_each_tap(x.sizes(), weight.sizes(), o, [&](int64_t oi, int64_t xi, int64_t wi) { out[oi] += vx[xi] * vw[wi]; });
  return out;
}

// Inputs in [-1, 1]: the error of a sum of R = C/groups*kh*kw products grows like sqrt(R).
double conv_atol(DType dtype, const Tensor& weight) {
  return testing::atol_for(dtype) * std::sqrt(static_cast<double>(weight.size(1) * weight.size(2) * weight.size(3)));
}

Tensor uniform(const Shape& sizes, uint64_t seed, DType dtype = DType::f32) {
  return random_tensor(sizes, dtype, seed, -1.0, 1.0);
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ValueError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(Conv2d, MatchesNaiveReferenceAcrossGeometries) {
  uint64_t seed = 1;
  for (const ConvCase& c : conv_cases()) {
    const Tensor x = uniform({c.batch, c.channels, c.height, c.width}, ++seed);
    const Tensor w = uniform({c.kernels, c.channels / c.options.groups, c.kernel_h, c.kernel_w}, ++seed);
    const Tensor out = ops::conv2d(x, w, Tensor(), c.options);
    expect_values_near(out, reference_conv(x, w, c.options, out.numel()), testing::rtol_for(DType::f32),
                       conv_atol(DType::f32, w), c.name());
  }
}

TEST(Conv2d, OutputShapeFollowsTheGeometry) {
  const Tensor out = ops::conv2d(uniform({2, 3, 9, 8}, 3), uniform({5, 3, 3, 2}, 4), Tensor(),
                                 {.stride = {2, 3}, .padding = {1, 2}, .dilation = {2, 1}});
  // H' = (9 + 2 - 2*2 - 1) / 2 + 1 = 4, W' = (8 + 4 - 1 - 1) / 3 + 1 = 4
  EXPECT_EQ(out.sizes(), (Shape{2, 5, 4, 4}));
}

TEST(Conv2d, AddsTheBiasPerOutputChannel) {
  const Tensor x = uniform({2, 3, 5, 4}, 5), w = uniform({4, 3, 3, 3}, 6), bias = uniform({4}, 7);
  const ops::Conv2dOptions options{.padding = {1, 1}};
  const Tensor out = ops::conv2d(x, w, bias, options);
  std::vector<double> expected = reference_conv(x, w, options, out.numel());
  const std::vector<double> b = to_doubles(bias);
  for (size_t i = 0; i < expected.size(); ++i) expected[i] += b[i / 20 % 4];
  expect_values_near(out, expected, testing::rtol_for(DType::f32), conv_atol(DType::f32, w));
}

TEST(Conv2d, ReadsNonContiguousInputAndWeight) {
  const Tensor x = testing::make_noncontiguous(uniform({2, 3, 6, 7}, 8));
  const Tensor w = testing::make_noncontiguous(uniform({4, 3, 3, 2}, 9));
  const ops::Conv2dOptions options{.stride = {2, 1}, .padding = {1, 1}};
  const Tensor out = ops::conv2d(x, w, Tensor(), options);
  expect_values_near(out, reference_conv(x, w, options, out.numel()), testing::rtol_for(DType::f32),
                     conv_atol(DType::f32, w));
}

TEST(Conv2d, SupportsEveryFloatingDtype) {
  for (DType dtype : {DType::f64, DType::f16, DType::bf16}) {
    const Tensor x = uniform({2, 4, 6, 5}, 10, dtype), w = uniform({4, 2, 3, 3}, 11, dtype);
    const ops::Conv2dOptions options{.padding = {1, 1}, .groups = 2};
    const Tensor out = ops::conv2d(x, w, Tensor(), options);
    EXPECT_EQ(out.dtype(), dtype);
    expect_values_near(out, reference_conv(x, w, options, out.numel()), testing::rtol_for(dtype),
                       conv_atol(dtype, w), std::string(dtype_name(dtype)));
  }
}

TEST(Conv2d, BatchesAboveTheThreadCountMatchTheReference) {
  // 16 samples: the batch is spread over the threads, one GEMM per sample.
  const Tensor x = uniform({16, 8, 10, 10}, 12), w = uniform({16, 8, 3, 3}, 13);
  const ops::Conv2dOptions options{.padding = {1, 1}};
  const Tensor out = ops::conv2d(x, w, Tensor(), options);
  expect_values_near(out, reference_conv(x, w, options, out.numel()), testing::rtol_for(DType::f32),
                     conv_atol(DType::f32, w));
}

TEST(Conv2d, EmptyBatchGivesEmptyOutput) {
  EXPECT_EQ(ops::conv2d(uniform({0, 3, 5, 5}, 14), uniform({2, 3, 3, 3}, 15)).sizes(), (Shape{0, 2, 3, 3}));
}

TEST(Conv2d, ErrorsNameTheShapes) {
  std::string message =
      message_of([] { ops::conv2d(ops::empty({1, 6, 5, 5}), ops::empty({4, 3, 3, 3}), Tensor(), {.groups = 4}); });
  EXPECT_NE(message.find("not divisible by groups = 4"), std::string::npos) << message;
  message = message_of([] { ops::conv2d(ops::empty({1, 3, 5, 5}), ops::empty({4, 3, 3})); });
  EXPECT_NE(message.find("conv2d: weight must be (K, C/groups, kh, kw), got (4, 3, 3)"), std::string::npos)
      << message;
  message = message_of([] { ops::conv2d(ops::empty({1, 3, 2, 5}), ops::empty({4, 3, 3, 3})); });
  EXPECT_NE(message.find("conv2d: kernel (3, 3) (spanning (3, 3) with dilation) is larger than the padded input "
                         "(2, 5) of input (1, 3, 2, 5)"),
            std::string::npos)
      << message;
  message = message_of([] { ops::conv2d(ops::empty({1, 3, 5, 5}), ops::empty({4, 2, 3, 3})); });
  EXPECT_NE(message.find("conv2d: input (1, 3, 5, 5) has 3 channels, but weight (4, 2, 3, 3) with groups = 1 "
                         "expects 2"),
            std::string::npos)
      << message;
  message = message_of([] { ops::conv2d(ops::empty({3, 5, 5}), ops::empty({4, 3, 3, 3})); });
  EXPECT_NE(message.find("conv2d: expected input (N, C, H, W), got (3, 5, 5)"), std::string::npos) << message;
}

TEST(Conv1d, MatchesTheTwoDimensionalReferenceWithHeightOne) {
  const Tensor x = uniform({2, 4, 11}, 16), w = uniform({6, 2, 3}, 17), bias = uniform({6}, 18);
  const Tensor out = ops::conv1d(x, w, bias, 2, 1, 2, 2);
  // L' = (11 + 2 - 2*2 - 1) / 2 + 1 = 5
  ASSERT_EQ(out.sizes(), (Shape{2, 6, 5}));
  const ops::Conv2dOptions options{.stride = {1, 2}, .padding = {0, 1}, .dilation = {1, 2}, .groups = 2};
  const Tensor w2 = ops::unsqueeze(w, 2);
  std::vector<double> expected = reference_conv(ops::unsqueeze(x, 2), w2, options, out.numel());
  const std::vector<double> b = to_doubles(bias);
  for (size_t i = 0; i < expected.size(); ++i) expected[i] += b[i / 5 % 6];
  expect_values_near(out, expected, testing::rtol_for(DType::f32), conv_atol(DType::f32, w2));
}

TEST(Im2col, CopiesEachWindowIntoAColumn) {
  const Tensor x = uniform({2, 3, 5, 4}, 19);
  const ConvGeometry g = ops::conv2d_geometry(x, 2, 3, {.stride = {2, 1}, .padding = {1, 1}}, "test");
  const Tensor columns = ops::im2col(x, g, 7.5);
  const int64_t out_h = g.out_h(), out_w = g.out_w();
  ASSERT_EQ(columns.sizes(), (Shape{2, 3 * 6, out_h * out_w}));
  const std::vector<double> vx = to_doubles(x);
  std::vector<double> expected;
  for (int64_t n = 0; n < 2; ++n) {
    for (int64_t c = 0; c < 3; ++c) {
      for (int64_t ki = 0; ki < 2; ++ki) {
        for (int64_t kj = 0; kj < 3; ++kj) {
          for (int64_t oy = 0; oy < out_h; ++oy) {
            for (int64_t ox = 0; ox < out_w; ++ox) {
              const int64_t iy = oy * 2 - 1 + ki, ix = ox - 1 + kj;
              const bool inside = iy >= 0 && iy < 5 && ix >= 0 && ix < 4;
              expected.push_back(inside ? vx[((n * 3 + c) * 5 + iy) * 4 + ix] : 7.5);
            }
          }
        }
      }
    }
  }
  expect_values_near(columns, expected, 0, 0);
}

TEST(Col2im, IsTheAdjointOfIm2col) {
  // <im2col(x), y> == <x, col2im(y)> for any x, y.
  const Tensor x = uniform({2, 3, 6, 5}, 20, DType::f64);
  const ConvGeometry g =
      ops::conv2d_geometry(x, 3, 2, {.stride = {2, 1}, .padding = {1, 1}, .dilation = {1, 2}}, "test");
  const Tensor columns = ops::im2col(x, g);
  const Tensor y = uniform(columns.sizes(), 21, DType::f64);
  const Tensor folded = ops::col2im(y, x.sizes(), g);
  ASSERT_EQ(folded.sizes(), x.sizes());
  const std::vector<double> vc = to_doubles(columns), vy = to_doubles(y), vx = to_doubles(x), vf = to_doubles(folded);
  double lhs = 0, rhs = 0;
  for (size_t i = 0; i < vc.size(); ++i) lhs += vc[i] * vy[i];
  for (size_t i = 0; i < vx.size(); ++i) rhs += vx[i] * vf[i];
  EXPECT_NEAR(lhs, rhs, 1e-10 * static_cast<double>(vc.size()));
}

TEST(Conv2dBackward, InputGradientMatchesTheExplicitAdjoint) {
  uint64_t seed = 30;
  for (const ConvCase& c : conv_cases()) {
    const Tensor x = uniform({c.batch, c.channels, c.height, c.width}, ++seed, DType::f64);
    const Tensor w = uniform({c.kernels, c.channels / c.options.groups, c.kernel_h, c.kernel_w}, ++seed, DType::f64);
    const Tensor out = ops::conv2d(x, w, Tensor(), c.options);
    const Tensor grad_out = uniform(out.sizes(), ++seed, DType::f64);
    const std::vector<double> vg = to_doubles(grad_out), vw = to_doubles(w);
    std::vector<double> expected(static_cast<size_t>(x.numel()), 0.0);
    for_each_tap(x.sizes(), w.sizes(), c.options,
                 [&](int64_t oi, int64_t xi, int64_t wi) { expected[xi] += vg[oi] * vw[wi]; });
    const Tensor grad_x = ops::conv2d_backward_input(grad_out, w, x.sizes(), c.options);
    ASSERT_EQ(grad_x.sizes(), x.sizes()) << c.name();
    expect_values_near(grad_x, expected, testing::rtol_for(DType::f64), 1e-12, c.name());
  }
}

TEST(Conv2dBackward, WeightGradientMatchesTheExplicitSum) {
  uint64_t seed = 60;
  for (const ConvCase& c : conv_cases()) {
    const Tensor x = uniform({c.batch, c.channels, c.height, c.width}, ++seed, DType::f64);
    const Tensor w = uniform({c.kernels, c.channels / c.options.groups, c.kernel_h, c.kernel_w}, ++seed, DType::f64);
    const Tensor out = ops::conv2d(x, w, Tensor(), c.options);
    const Tensor grad_out = uniform(out.sizes(), ++seed, DType::f64);
    const std::vector<double> vg = to_doubles(grad_out), vx = to_doubles(x);
    std::vector<double> expected(static_cast<size_t>(w.numel()), 0.0);
    for_each_tap(x.sizes(), w.sizes(), c.options,
                 [&](int64_t oi, int64_t xi, int64_t wi) { expected[wi] += vg[oi] * vx[xi]; });
    const Tensor grad_w = ops::conv2d_backward_weight(grad_out, x, w.sizes(), c.options);
    ASSERT_EQ(grad_w.sizes(), w.sizes()) << c.name();
    expect_values_near(grad_w, expected, testing::rtol_for(DType::f64), 1e-12, c.name());
  }
}

TEST(Conv2dBackward, InputGradientMatchesFiniteDifferencesOfTheForward) {
  // d/dx of sum(conv(x, w) * g) by central differences in double (the forward
  // is linear in x, so the difference quotient is exact up to rounding).
  const Tensor x = uniform({1, 2, 4, 4}, 90, DType::f64), w = uniform({3, 2, 3, 3}, 91, DType::f64);
  const ops::Conv2dOptions options{.padding = {1, 1}};
  const Tensor grad_out = uniform({1, 3, 4, 4}, 92, DType::f64);
  const Tensor grad_x = ops::conv2d_backward_input(grad_out, w, x.sizes(), options);
  const std::vector<double> vg = to_doubles(grad_out), analytic = to_doubles(grad_x);
  const auto objective = [&](const Tensor& input) {
    const std::vector<double> out = to_doubles(ops::conv2d(input, w, Tensor(), options));
    double sum = 0;
    for (size_t i = 0; i < out.size(); ++i) sum += out[i] * vg[i];
    return sum;
  };
  for (int64_t i : {0, 5, 17, 31}) {
    Tensor plus = ops::clone(x), minus = ops::clone(x);
    plus.data<double>()[i] += 1e-3;
    minus.data<double>()[i] -= 1e-3;
    EXPECT_NEAR((objective(plus) - objective(minus)) / 2e-3, analytic[static_cast<size_t>(i)], 1e-8) << i;
  }
}

TEST(Conv2dBackward, ErrorsNameTheShapes) {
  const std::string message = message_of([] {
    ops::conv2d_backward_input(ops::empty({1, 4, 3, 3}), ops::empty({4, 3, 3, 3}), {1, 3, 6, 6}, {});
  });
  EXPECT_NE(message.find("conv2d_backward_input: grad_out (1, 4, 3, 3) does not match the output size (1, 4, 4, 4)"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace mini
