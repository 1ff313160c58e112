// The CPU's fused convolution-backward and max-pool kernels (and the AVX-512
// im2col/col2im and 2x2 pooling paths behind them) against naive loops in
// double, in float32 where those paths live: LeNet's shapes, rows wider than
// one vector, awkward geometries, non-contiguous operands, 16-bit dtypes,
// ties and NaN, and the composite Backend defaults the other backends use.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "support/tensor_testing.h"
#include "tensor/backend.h"
#include "tensor/ops/nn.h"
#include "tensor/parallel.h"

namespace mini {
namespace {

using testing::expect_values_near;
using testing::random_tensor;
using testing::to_doubles;

struct ConvShape {
  Shape input;   // (N, C, H, W)
  Shape weight;  // (K, C/groups, kh, kw)
  ops::Conv2dOptions options;
  std::string name() const {
    return fmt::format("x {} w {} stride ({}, {}) pad ({}, {}) dilation ({}, {}) groups {}", shape_str(input),
                       shape_str(weight), options.stride.first, options.stride.second, options.padding.first,
                       options.padding.second, options.dilation.first, options.dilation.second, options.groups);
  }
};

const std::vector<ConvShape>& conv_shapes() {
  static const std::vector<ConvShape> shapes = {
      {{3, 1, 28, 28}, {6, 1, 5, 5}, {.padding = {2, 2}}},  // LeNet conv1
      {{3, 6, 14, 14}, {16, 6, 5, 5}, {}},                  // LeNet conv2
      {{2, 3, 9, 40}, {4, 3, 3, 3}, {.padding = {1, 2}}},   // rows wider than 16 and 32 floats
      {{2, 2, 11, 19}, {3, 2, 3, 2}, {.stride = {2, 1}, .padding = {1, 1}, .dilation = {2, 3}}},
      {{2, 4, 7, 8}, {6, 2, 3, 3}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 2}},  // stride along W: generic path
      {{3, 5, 6, 7}, {4, 5, 1, 1}, {}},                                                  // pointwise
      {{1, 2, 5, 5}, {2, 2, 5, 5}, {}},                                                  // one output position
  };
  return shapes;
}

// Calls visit(out, in, w) for every multiply of the convolution (flat indices).
template <typename Visit>
void for_each_tap(const ConvShape& c, Visit visit) {
  const auto& o = c.options;
  const int64_t n_count = c.input[0], channels = c.input[1], height = c.input[2], width = c.input[3];
  const int64_t kernels = c.weight[0], group_channels = c.weight[1], kh = c.weight[2], kw = c.weight[3];
  const int64_t out_h = (height + 2 * o.padding.first - o.dilation.first * (kh - 1) - 1) / o.stride.first + 1;
  const int64_t out_w = (width + 2 * o.padding.second - o.dilation.second * (kw - 1) - 1) / o.stride.second + 1;
  for (int64_t n = 0; n < n_count; ++n) {
    for (int64_t k = 0; k < kernels; ++k) {
      const int64_t group = k / (kernels / o.groups);
      for (int64_t oy = 0; oy < out_h; ++oy) {
        for (int64_t ox = 0; ox < out_w; ++ox) {
          for (int64_t cl = 0; cl < group_channels; ++cl) {
            for (int64_t ki = 0; ki < kh; ++ki) {
              for (int64_t kj = 0; kj < kw; ++kj) {
                const int64_t iy = oy * o.stride.first - o.padding.first + ki * o.dilation.first;
                const int64_t ix = ox * o.stride.second - o.padding.second + kj * o.dilation.second;
                if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                const int64_t c_in = group * group_channels + cl;
                visit(((n * kernels + k) * out_h + oy) * out_w + ox, ((n * channels + c_in) * height + iy) * width + ix,
                      ((k * group_channels + cl) * kh + ki) * kw + kj);
              }
            }
          }
        }
      }
    }
  }
}

// Float32 sums of R products: the error grows like sqrt(R).
double conv_atol(const ConvShape& c) {
  return 4e-6 * std::sqrt(static_cast<double>(c.weight[1] * c.weight[2] * c.weight[3] * c.input[0]));
}

TEST(ConvBackwardKernels, Float32GradientsMatchTheNaiveSums) {
  uint64_t seed = 1;
  for (const ConvShape& c : conv_shapes()) {
    const Tensor x = random_tensor(c.input, DType::f32, ++seed, -1, 1);
    const Tensor w = random_tensor(c.weight, DType::f32, ++seed, -1, 1);
    const Tensor grad_out = random_tensor(ops::conv2d(x, w, Tensor(), c.options).sizes(), DType::f32, ++seed, -1, 1);
    const std::vector<double> vx = to_doubles(x), vw = to_doubles(w), vg = to_doubles(grad_out);
    std::vector<double> grad_x(vx.size(), 0.0), grad_w(vw.size(), 0.0);
    for_each_tap(c, [&](int64_t o, int64_t i, int64_t k) {
      grad_x[i] += vg[o] * vw[k];
      grad_w[k] += vg[o] * vx[i];
    });
    expect_values_near(ops::conv2d_backward_input(grad_out, w, x.sizes(), c.options), grad_x, 1e-5, conv_atol(c),
                       "input grad " + c.name());
    expect_values_near(ops::conv2d_backward_weight(grad_out, x, w.sizes(), c.options), grad_w, 1e-5, conv_atol(c) * 10,
                       "weight grad " + c.name());
  }
}

TEST(ConvBackwardKernels, ReadNonContiguousInputAndGradients) {
  const ConvShape& c = conv_shapes()[2];
  const Tensor x = testing::make_noncontiguous(random_tensor(c.input, DType::f32, 40, -1, 1));
  const Tensor w = testing::make_noncontiguous(random_tensor(c.weight, DType::f32, 41, -1, 1));
  const Tensor grad_out =
      testing::make_noncontiguous(random_tensor(ops::conv2d(x, w, Tensor(), c.options).sizes(), DType::f32, 42));
  const Tensor x_c = ops::contiguous(x), w_c = ops::contiguous(w), g_c = ops::contiguous(grad_out);
  testing::expect_close(ops::conv2d_backward_input(grad_out, w, x.sizes(), c.options),
                        ops::conv2d_backward_input(g_c, w_c, x.sizes(), c.options), "input grad");
  testing::expect_close(ops::conv2d_backward_weight(grad_out, x, w.sizes(), c.options),
                        ops::conv2d_backward_weight(g_c, x_c, w.sizes(), c.options), "weight grad");
}

TEST(ConvBackwardKernels, HalfPrecisionRoundsTheFloatResult) {
  const ConvShape& c = conv_shapes()[1];
  for (DType dtype : {DType::f16, DType::bf16}) {
    const Tensor x = random_tensor(c.input, dtype, 50, -1, 1), w = random_tensor(c.weight, dtype, 51, -1, 1);
    const Tensor grad_out = random_tensor(ops::conv2d(x, w, Tensor(), c.options).sizes(), dtype, 52, -1, 1);
    const auto widen = [](const Tensor& t) { return ops::to_dtype(t, DType::f32); };
    const Tensor expected_x = ops::conv2d_backward_input(widen(grad_out), widen(w), x.sizes(), c.options);
    const Tensor expected_w = ops::conv2d_backward_weight(widen(grad_out), widen(x), w.sizes(), c.options);
    const Tensor grad_x = ops::conv2d_backward_input(grad_out, w, x.sizes(), c.options);
    const Tensor grad_w = ops::conv2d_backward_weight(grad_out, x, w.sizes(), c.options);
    EXPECT_EQ(grad_x.dtype(), dtype);
    testing::expect_tensors_near(grad_x, ops::to_dtype(expected_x, dtype), 0, 0, std::string(dtype_name(dtype)));
    testing::expect_tensors_near(grad_w, ops::to_dtype(expected_w, dtype), 0, 0, std::string(dtype_name(dtype)));
  }
}

TEST(ConvBackwardKernels, WeightGradientDoesNotDependOnTheThreadCount) {
  const ConvShape& c = conv_shapes()[1];
  const Tensor x = random_tensor({13, 6, 14, 14}, DType::f32, 60), w = random_tensor(c.weight, DType::f32, 61);
  const Tensor grad_out = random_tensor({13, 16, 10, 10}, DType::f32, 62);
  const int threads = num_threads();
  set_num_threads(1);
  const Tensor serial = ops::conv2d_backward_weight(grad_out, x, w.sizes(), {});
  set_num_threads(3);
  const Tensor threaded = ops::conv2d_backward_weight(grad_out, x, w.sizes(), {});
  set_num_threads(threads);
  testing::expect_tensors_near(threaded, serial, 0, 0, "bitwise");
}

TEST(ConvBackwardKernels, BackendDefaultsMatchTheCpuKernels) {
  for (const ConvShape& c : conv_shapes()) {
    const Tensor x = random_tensor(c.input, DType::f64, 70), w = random_tensor(c.weight, DType::f64, 71);
    const Tensor grad_out = random_tensor(ops::conv2d(x, w, Tensor(), c.options).sizes(), DType::f64, 72);
    const ConvGeometry g = ops::conv2d_geometry(x, c.weight[2], c.weight[3], c.options, "test");
    Tensor grad_x = ops::empty(x.sizes(), {.dtype = DType::f64}), grad_w = ops::empty(w.sizes(), {.dtype = DType::f64});
    Backend& cpu = backend_for(Device::cpu());
    cpu.Backend::conv2d_backward_input(grad_x, grad_out, w, g, c.options.groups);
    cpu.Backend::conv2d_backward_weight(grad_w, grad_out, x, g, c.options.groups);
    testing::expect_tensors_near(grad_x, ops::conv2d_backward_input(grad_out, w, x.sizes(), c.options), 1e-12, 1e-12,
                                 c.name());
    testing::expect_tensors_near(grad_w, ops::conv2d_backward_weight(grad_out, x, w.sizes(), c.options), 1e-12, 1e-12,
                                 c.name());
  }
}

TEST(Im2colKernels, Float32FastPathsMatchTheDoublePath) {
  // Widths around the 16-float vector, padding wider than the kernel offset, dilation and row strides.
  uint64_t seed = 80;
  for (int64_t width : {3, 14, 16, 17, 33}) {
    for (const ops::Conv2dOptions& o : {ops::Conv2dOptions{.padding = {2, 2}},
                                        ops::Conv2dOptions{.stride = {2, 1}, .padding = {1, 3}, .dilation = {1, 2}}}) {
      const Tensor x = random_tensor({2, 3, 6, width}, DType::f64, ++seed);
      const ConvGeometry g = ops::conv2d_geometry(x, 3, 3, o, "test");
      const Tensor expected = ops::im2col(x, g, 0.5);
      testing::expect_tensors_near(ops::im2col(ops::to_dtype(x, DType::f32), g, 0.5), expected, 1e-7, 0,
                                   fmt::format("im2col width {}", width));
      const Tensor columns = random_tensor(expected.sizes(), DType::f64, ++seed);
      testing::expect_tensors_near(ops::col2im(ops::to_dtype(columns, DType::f32), x.sizes(), g),
                                   ops::col2im(columns, x.sizes(), g), 1e-5, 1e-5,
                                   fmt::format("col2im width {}", width));
    }
  }
}

// ---- max pooling -------------------------------------------------------------

// First maximum of each window in window order; the first NaN wins.
void reference_max_pool(const Tensor& x, const ops::Pool2dOptions& o, std::vector<double>& values,
                        std::vector<double>& indices) {
  const std::vector<double> v = to_doubles(x);
  const int64_t planes = x.size(0) * x.size(1), height = x.size(2), width = x.size(3);
  const int64_t sh = o.stride.first ? o.stride.first : o.kernel.first;
  const int64_t sw = o.stride.second ? o.stride.second : o.kernel.second;
  const int64_t out_h = (height + 2 * o.padding.first - o.kernel.first) / sh + 1;
  const int64_t out_w = (width + 2 * o.padding.second - o.kernel.second) / sw + 1;
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t oy = 0; oy < out_h; ++oy) {
      for (int64_t ox = 0; ox < out_w; ++ox) {
        double best = 0;
        int64_t best_index = -1;
        for (int64_t ki = 0; ki < o.kernel.first; ++ki) {
          for (int64_t kj = 0; kj < o.kernel.second; ++kj) {
            const int64_t iy = oy * sh - o.padding.first + ki, ix = ox * sw - o.padding.second + kj;
            if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
            const double value = v[(p * height + iy) * width + ix];
            if (best_index < 0 || value > best || (std::isnan(value) && !std::isnan(best))) {
              best = value;
              best_index = iy * width + ix;
            }
          }
        }
        values.push_back(best);
        indices.push_back(static_cast<double>(best_index));
      }
    }
  }
}

TEST(MaxPoolKernels, TwoByTwoMatchesTheReferenceOnAwkwardWidthsWithTiesAndNaN) {
  uint64_t seed = 100;
  for (const Shape& sizes :
       {Shape{2, 3, 28, 28}, Shape{1, 2, 10, 10}, Shape{1, 1, 7, 45}, Shape{2, 1, 4, 2}, Shape{1, 2, 5, 67}}) {
    // Integer values in [0, 3): most windows hold tied maxima.
    Tensor x = ops::to_dtype(random_tensor(sizes, DType::i64, ++seed, 0, 3), DType::f32);
    // A NaN in each window position somewhere, and two in one window.
    float* data = x.data<float>();
    const int64_t width = sizes[3];
    data[0] = NAN;
    data[3] = NAN;
    data[width + 2] = NAN;
    data[width + 3] = NAN;
    std::vector<double> values, indices;
    reference_max_pool(x, {.kernel = {2, 2}}, values, indices);
    const auto [out, out_indices] = ops::max_pool2d(x, {.kernel = {2, 2}});
    expect_values_near(out, values, 0, 0, shape_str(sizes));
    expect_values_near(out_indices, indices, 0, 0, shape_str(sizes));
  }
}

TEST(MaxPoolKernels, BackwardWritesEachBlocksGradientAndZerosTheRest) {
  uint64_t seed = 120;
  for (const Shape& sizes : {Shape{2, 3, 28, 28}, Shape{1, 2, 7, 9}, Shape{1, 1, 6, 40}}) {
    const Tensor x = random_tensor(sizes, DType::f32, ++seed);
    const auto [out, indices] = ops::max_pool2d(x, {.kernel = {2, 2}});
    const Tensor grad_out = random_tensor(out.sizes(), DType::f32, ++seed);
    const std::vector<double> g = to_doubles(grad_out), idx = to_doubles(indices);
    const int64_t plane = sizes[2] * sizes[3], out_plane = out.size(2) * out.size(3);
    std::vector<double> expected(static_cast<size_t>(x.numel()), 0.0);
    for (size_t i = 0; i < g.size(); ++i) {
      expected[static_cast<size_t>(static_cast<int64_t>(i) / out_plane * plane + static_cast<int64_t>(idx[i]))] += g[i];
    }
    expect_values_near(ops::max_pool2d_backward(grad_out, indices, x.sizes()), expected, 0, 0, shape_str(sizes));
    // A non-contiguous gradient takes the general path.
    expect_values_near(ops::max_pool2d_backward(testing::make_noncontiguous(grad_out), indices, x.sizes()), expected, 0,
                       0, "strided " + shape_str(sizes));
  }
}

TEST(MaxPoolKernels, BackwardHandlesIndicesOutsideTheTwoByTwoBlocks) {
  // A 3x3 stride-2 pool has 2x2-pool output sizes, but its indices leave the
  // blocks and its windows overlap: the kernel must fall back and add them up.
  const Tensor x = random_tensor({2, 2, 8, 8}, DType::f32, 130);
  const ops::Pool2dOptions options{.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}};
  const auto [out, indices] = ops::max_pool2d(x, options);
  ASSERT_EQ(out.sizes(), (Shape{2, 2, 4, 4}));
  const Tensor grad_out = ops::ones(out.sizes());
  const std::vector<double> idx = to_doubles(indices);
  std::vector<double> expected(static_cast<size_t>(x.numel()), 0.0);
  for (size_t i = 0; i < idx.size(); ++i) expected[i / 16 * 64 + static_cast<size_t>(idx[i])] += 1;
  expect_values_near(ops::max_pool2d_backward(grad_out, indices, x.sizes()), expected, 0, 0);
}

TEST(MaxPoolKernels, BackwardRejectsAnIndexOutsideThePlane) {
  const Tensor indices = ops::full({1, 1, 1, 1}, Scalar(int64_t{9}), {.dtype = DType::i64});
  try {
    ops::max_pool2d_backward(ops::ones({1, 1, 1, 1}), indices, {1, 1, 2, 2});
    ADD_FAILURE() << "expected a ValueError";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("outside the input plane of 4 elements"), std::string::npos)
        << error.what();
  }
}

TEST(MaxPoolKernels, BackendDefaultMatchesTheCpuKernel) {
  const Tensor x = random_tensor({2, 3, 9, 8}, DType::f64, 140);
  for (const ops::Pool2dOptions& o : {ops::Pool2dOptions{.kernel = {2, 2}},
                                      ops::Pool2dOptions{.kernel = {3, 2}, .stride = {2, 1}, .padding = {1, 1}}}) {
    const auto [values, indices] = ops::max_pool2d(x, o);
    Tensor default_values = ops::empty(values.sizes(), {.dtype = DType::f64});
    Tensor default_indices = ops::empty(values.sizes(), {.dtype = DType::i64});
    const ConvGeometry g{.channels = 3,
                         .in_h = 9,
                         .in_w = 8,
                         .kernel_h = o.kernel.first,
                         .kernel_w = o.kernel.second,
                         .stride_h = o.stride.first ? o.stride.first : o.kernel.first,
                         .stride_w = o.stride.second ? o.stride.second : o.kernel.second,
                         .pad_h = o.padding.first,
                         .pad_w = o.padding.second};
    backend_for(Device::cpu()).Backend::max_pool2d(default_values, default_indices, x, g);
    testing::expect_tensors_near(default_values, values, 0, 0, "values");
    testing::expect_tensors_near(default_indices, indices, 0, 0, "indices");
    const Tensor grad_out = random_tensor(values.sizes(), DType::f64, 141);
    Tensor default_grad = ops::empty(x.sizes(), {.dtype = DType::f64});
    backend_for(Device::cpu()).Backend::max_pool2d_backward(default_grad, grad_out, indices);
    testing::expect_tensors_near(default_grad, ops::max_pool2d_backward(grad_out, indices, x.sizes()), 1e-12, 1e-12,
                                 "backward");
  }
}

}  // namespace
}  // namespace mini
