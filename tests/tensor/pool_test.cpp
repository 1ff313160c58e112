// max_pool2d / avg_pool2d / adaptive_avg_pool2d and their backward passes
// against naive window loops in double (PyTorch's CPU semantics).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "support/tensor_testing.h"
#include "tensor/ops/nn.h"

namespace mini {
namespace {

using testing::expect_values_near;
using testing::random_tensor;
using testing::to_doubles;

struct PoolCase {
  Shape sizes;
  ops::Pool2dOptions options;
  std::string name() const {
    return fmt::format("{} kernel ({}, {}) stride ({}, {}) pad ({}, {}) dilation ({}, {}) ceil {} include_pad {}",
                       shape_str(sizes), options.kernel.first, options.kernel.second, options.stride.first,
                       options.stride.second, options.padding.first, options.padding.second,
                       options.dilation.first, options.dilation.second, options.ceil_mode,
                       options.count_include_pad);
  }
};

// torch's pooling_output_shape.
int64_t output_size(int64_t in, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  const int64_t numerator = in + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = static_cast<int64_t>(std::floor(static_cast<double>(numerator) / static_cast<double>(stride))) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

struct Window {
  int64_t out_h, out_w, stride_h, stride_w;
};
Window window_of(const PoolCase& c) {
  const auto& o = c.options;
  const int64_t sh = o.stride.first ? o.stride.first : o.kernel.first;
  const int64_t sw = o.stride.second ? o.stride.second : o.kernel.second;
  return {output_size(c.sizes[2], o.kernel.first, o.padding.first, sh, o.dilation.first, o.ceil_mode),
          output_size(c.sizes[3], o.kernel.second, o.padding.second, sw, o.dilation.second, o.ceil_mode), sh, sw};
}

// PyTorch's CPU max pool: scan the window in order, keep the first maximum, NaN wins.
void reference_max_pool(const PoolCase& c, const std::vector<double>& x, std::vector<double>& values,
                        std::vector<int64_t>& indices) {
  const Window win = window_of(c);
  const int64_t planes = c.sizes[0] * c.sizes[1], height = c.sizes[2], width = c.sizes[3];
  const auto& o = c.options;
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t oy = 0; oy < win.out_h; ++oy) {
      for (int64_t ox = 0; ox < win.out_w; ++ox) {
        double best = -std::numeric_limits<double>::infinity();
        int64_t best_index = -1;
        for (int64_t ki = 0; ki < o.kernel.first; ++ki) {
          for (int64_t kj = 0; kj < o.kernel.second; ++kj) {
            const int64_t iy = oy * win.stride_h - o.padding.first + ki * o.dilation.first;
            const int64_t ix = ox * win.stride_w - o.padding.second + kj * o.dilation.second;
            if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
            const double v = x[(p * height + iy) * width + ix];
            if (best_index < 0 || v > best || std::isnan(v)) {
              best = v;
              best_index = iy * width + ix;
              if (std::isnan(v)) break;
            }
          }
          if (std::isnan(best)) break;
        }
        values.push_back(best);
        indices.push_back(best_index);
      }
    }
  }
}

// Visits (output index, input index, 1 / divisor) of every input element in every average window.
void for_each_average_tap(const PoolCase& c, const std::function<void(int64_t, int64_t, double)>& visit) {
  const Window win = window_of(c);
  const int64_t planes = c.sizes[0] * c.sizes[1], height = c.sizes[2], width = c.sizes[3];
  const auto& o = c.options;
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t oy = 0; oy < win.out_h; ++oy) {
      for (int64_t ox = 0; ox < win.out_w; ++ox) {
        int64_t top = oy * win.stride_h - o.padding.first, left = ox * win.stride_w - o.padding.second;
        int64_t bottom = std::min(top + o.kernel.first, height + o.padding.first);
        int64_t right = std::min(left + o.kernel.second, width + o.padding.second);
        const int64_t padded_size = (bottom - top) * (right - left);
        top = std::max<int64_t>(top, 0);
        left = std::max<int64_t>(left, 0);
        bottom = std::min(bottom, height);
        right = std::min(right, width);
        const int64_t divisor = o.count_include_pad ? padded_size : (bottom - top) * (right - left);
        const int64_t out_index = (p * win.out_h + oy) * win.out_w + ox;
        for (int64_t iy = top; iy < bottom; ++iy) {
          for (int64_t ix = left; ix < right; ++ix) {
            visit(out_index, (p * height + iy) * width + ix, 1.0 / static_cast<double>(divisor));
          }
        }
      }
    }
  }
}

const std::vector<PoolCase>& max_cases() {
  static const std::vector<PoolCase> cases = {
      {{2, 3, 6, 8}, {.kernel = {2, 2}}},
      {{1, 2, 7, 7}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}},
      {{2, 2, 7, 6}, {.kernel = {3, 2}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true}},
      {{1, 3, 8, 9}, {.kernel = {2, 3}, .stride = {1, 2}, .dilation = {2, 2}}},
      {{2, 1, 5, 5}, {.kernel = {2, 2}, .ceil_mode = true}},
      {{1, 1, 1, 1}, {.kernel = {1, 1}}},
  };
  return cases;
}

const std::vector<PoolCase>& average_cases() {
  static const std::vector<PoolCase> cases = {
      {{2, 3, 6, 8}, {.kernel = {2, 2}}},
      {{1, 2, 7, 7}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}},
      {{1, 2, 7, 7}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .count_include_pad = false}},
      {{2, 2, 7, 6}, {.kernel = {3, 2}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true}},
      {{2, 2, 7, 6},
       {.kernel = {3, 2}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true, .count_include_pad = false}},
      {{2, 1, 5, 5}, {.kernel = {2, 2}, .ceil_mode = true}},
      {{1, 3, 4, 9}, {.kernel = {1, 3}, .stride = {1, 2}}},
  };
  return cases;
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ValueError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(MaxPool2d, MatchesReferenceValuesAndIndices) {
  uint64_t seed = 1;
  for (const PoolCase& c : max_cases()) {
    const Tensor x = random_tensor(c.sizes, DType::f32, ++seed);
    std::vector<double> values;
    std::vector<int64_t> indices;
    reference_max_pool(c, to_doubles(x), values, indices);
    const auto [out, out_indices] = ops::max_pool2d(x, c.options);
    const Window win = window_of(c);
    ASSERT_EQ(out.sizes(), (Shape{c.sizes[0], c.sizes[1], win.out_h, win.out_w})) << c.name();
    EXPECT_EQ(out_indices.dtype(), DType::i64);
    expect_values_near(out, values, 0, 0, c.name());
    expect_values_near(out_indices, std::vector<double>(indices.begin(), indices.end()), 0, 0, c.name());
  }
}

TEST(MaxPool2d, TiesPickTheFirstPositionInTheWindow) {
  // Integer-valued inputs in [0, 3): many windows hold several equal maxima.
  const PoolCase c{{2, 2, 6, 7}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true}};
  const Tensor x = random_tensor(c.sizes, DType::i64, 7, 0, 3);
  const Tensor xf = ops::to_dtype(x, DType::f32);
  std::vector<double> values;
  std::vector<int64_t> indices;
  reference_max_pool(c, to_doubles(xf), values, indices);
  const auto [out, out_indices] = ops::max_pool2d(xf, c.options);
  expect_values_near(out, values, 0, 0);
  expect_values_near(out_indices, std::vector<double>(indices.begin(), indices.end()), 0, 0);
}

TEST(MaxPool2d, PropagatesNaN) {
  Tensor x = ops::zeros({1, 1, 2, 2});
  x.data<float>()[3] = std::nanf("");
  const auto [out, indices] = ops::max_pool2d(x, {.kernel = {2, 2}});
  EXPECT_TRUE(std::isnan(out.item<float>()));
  EXPECT_EQ(indices.item<int64_t>(), 3);
}

TEST(MaxPool2d, SupportsEveryFloatingDtype) {
  const PoolCase c{{2, 3, 5, 6}, {.kernel = {2, 2}, .stride = {1, 2}, .padding = {1, 1}}};
  for (DType dtype : {DType::f64, DType::f16, DType::bf16}) {
    const Tensor x = random_tensor(c.sizes, dtype, 8);
    std::vector<double> values;
    std::vector<int64_t> indices;
    reference_max_pool(c, to_doubles(x), values, indices);
    const auto [out, out_indices] = ops::max_pool2d(x, c.options);
    EXPECT_EQ(out.dtype(), dtype);
    expect_values_near(out, values, 0, 0, std::string(dtype_name(dtype)));
    expect_values_near(out_indices, std::vector<double>(indices.begin(), indices.end()), 0, 0);
  }
}

TEST(MaxPool2d, ReadsNonContiguousInput) {
  const PoolCase c{{2, 2, 6, 5}, {.kernel = {2, 2}, .stride = {2, 1}}};
  const Tensor x = testing::make_noncontiguous(random_tensor(c.sizes, DType::f32, 9));
  std::vector<double> values;
  std::vector<int64_t> indices;
  reference_max_pool(c, to_doubles(x), values, indices);
  expect_values_near(ops::max_pool2d(x, c.options).first, values, 0, 0);
}

TEST(MaxPool2dBackward, ScattersGradientsToTheChosenInputs) {
  uint64_t seed = 20;
  for (const PoolCase& c : max_cases()) {
    const Tensor x = random_tensor(c.sizes, DType::f64, ++seed);
    const auto [out, indices] = ops::max_pool2d(x, c.options);
    const Tensor grad_out = random_tensor(out.sizes(), DType::f64, ++seed);
    const std::vector<double> g = to_doubles(grad_out), idx = to_doubles(indices);
    const int64_t plane = c.sizes[2] * c.sizes[3], out_plane = out.size(2) * out.size(3);
    std::vector<double> expected(static_cast<size_t>(x.numel()), 0.0);
    for (size_t i = 0; i < g.size(); ++i) {
      expected[static_cast<size_t>(static_cast<int64_t>(i) / out_plane * plane + static_cast<int64_t>(idx[i]))] += g[i];
    }
    const Tensor grad_x = ops::max_pool2d_backward(grad_out, indices, x.sizes());
    ASSERT_EQ(grad_x.sizes(), x.sizes());
    expect_values_near(grad_x, expected, testing::rtol_for(DType::f64), testing::atol_for(DType::f64), c.name());
  }
}

TEST(MaxPool2d, ErrorsNameTheShapes) {
  std::string message = message_of([] { ops::max_pool2d(ops::empty({1, 1, 4, 4}), {.kernel = {2, 2}, .padding = {2, 0}}); });
  EXPECT_NE(message.find("max_pool2d: padding (2, 0) must be between 0 and half the kernel size (2, 2)"),
            std::string::npos)
      << message;
  message = message_of([] { ops::max_pool2d(ops::empty({1, 1, 1, 4}), {.kernel = {2, 2}}); });
  EXPECT_NE(message.find("max_pool2d: input (1, 1, 1, 4) is too small for kernel (2, 2)"), std::string::npos)
      << message;
  message = message_of([] { ops::max_pool2d(ops::empty({4, 4}), {.kernel = {2, 2}}); });
  EXPECT_NE(message.find("max_pool2d: expected input (N, C, H, W), got (4, 4)"), std::string::npos) << message;
  message = message_of([] { ops::max_pool2d(ops::empty({1, 1, 4, 4}, {.dtype = DType::i64}), {}); });
  EXPECT_NE(message.find("max_pool2d: expected a floating-point tensor, got int64"), std::string::npos) << message;
}

TEST(AvgPool2d, MatchesReferenceWithPaddingAndCeilMode) {
  uint64_t seed = 40;
  for (const PoolCase& c : average_cases()) {
    const Tensor x = random_tensor(c.sizes, DType::f32, ++seed);
    const Window win = window_of(c);
    const std::vector<double> vx = to_doubles(x);
    std::vector<double> expected(static_cast<size_t>(c.sizes[0] * c.sizes[1] * win.out_h * win.out_w), 0.0);
    for_each_average_tap(c, [&](int64_t o, int64_t i, double scale) { expected[o] += vx[i] * scale; });
    const Tensor out = ops::avg_pool2d(x, c.options);
    ASSERT_EQ(out.sizes(), (Shape{c.sizes[0], c.sizes[1], win.out_h, win.out_w})) << c.name();
    expect_values_near(out, expected, testing::rtol_for(DType::f32), testing::atol_for(DType::f32), c.name());
  }
}

TEST(AvgPool2d, SupportsEveryFloatingDtype) {
  const PoolCase c{{2, 3, 6, 5}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true}};
  for (DType dtype : {DType::f64, DType::f16, DType::bf16}) {
    const Tensor x = random_tensor(c.sizes, dtype, 50);
    const Window win = window_of(c);
    const std::vector<double> vx = to_doubles(x);
    std::vector<double> expected(static_cast<size_t>(c.sizes[0] * c.sizes[1] * win.out_h * win.out_w), 0.0);
    for_each_average_tap(c, [&](int64_t o, int64_t i, double scale) { expected[o] += vx[i] * scale; });
    // The window sum and the division each round once in 16-bit types.
    expect_values_near(ops::avg_pool2d(x, c.options), expected, 2 * testing::rtol_for(dtype),
                       2 * testing::atol_for(dtype), std::string(dtype_name(dtype)));
  }
}

TEST(AvgPool2dBackward, SpreadsEachGradientOverItsWindow) {
  uint64_t seed = 60;
  for (const PoolCase& c : average_cases()) {
    const Tensor x = random_tensor(c.sizes, DType::f64, ++seed);
    const Tensor out = ops::avg_pool2d(x, c.options);
    const Tensor grad_out = random_tensor(out.sizes(), DType::f64, ++seed);
    const std::vector<double> g = to_doubles(grad_out);
    std::vector<double> expected(static_cast<size_t>(x.numel()), 0.0);
    for_each_average_tap(c, [&](int64_t o, int64_t i, double scale) { expected[i] += g[o] * scale; });
    const Tensor grad_x = ops::avg_pool2d_backward(grad_out, x.sizes(), c.options);
    ASSERT_EQ(grad_x.sizes(), x.sizes()) << c.name();
    expect_values_near(grad_x, expected, testing::rtol_for(DType::f64), testing::atol_for(DType::f64), c.name());
  }
}

TEST(AvgPool2d, RejectsDilation) {
  const std::string message =
      message_of([] { ops::avg_pool2d(ops::empty({1, 1, 4, 4}), {.kernel = {2, 2}, .dilation = {2, 2}}); });
  EXPECT_NE(message.find("avg_pool2d: dilation (2, 2) is not supported"), std::string::npos) << message;
}

// torch's adaptive windows: [floor(i * in / out), ceil((i + 1) * in / out)).
std::vector<double> reference_adaptive(const Tensor& x, int64_t out_h, int64_t out_w) {
  const std::vector<double> vx = to_doubles(x);
  const int64_t planes = x.size(0) * x.size(1), height = x.size(2), width = x.size(3);
  std::vector<double> out;
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t oy = 0; oy < out_h; ++oy) {
      const int64_t y0 = oy * height / out_h, y1 = ((oy + 1) * height + out_h - 1) / out_h;
      for (int64_t ox = 0; ox < out_w; ++ox) {
        const int64_t x0 = ox * width / out_w, x1 = ((ox + 1) * width + out_w - 1) / out_w;
        double sum = 0;
        for (int64_t iy = y0; iy < y1; ++iy) {
          for (int64_t ix = x0; ix < x1; ++ix) sum += vx[(p * height + iy) * width + ix];
        }
        out.push_back(sum / static_cast<double>((y1 - y0) * (x1 - x0)));
      }
    }
  }
  return out;
}

TEST(AdaptiveAvgPool2d, MatchesOverlappingWindows) {
  const Tensor x = random_tensor({2, 3, 7, 10}, DType::f32, 70);
  for (const auto& [out_h, out_w] : {std::pair<int64_t, int64_t>{3, 4}, {1, 1}, {7, 10}, {5, 3}, {9, 12}}) {
    const Tensor out = ops::adaptive_avg_pool2d(x, {out_h, out_w});
    ASSERT_EQ(out.sizes(), (Shape{2, 3, out_h, out_w}));
    expect_values_near(out, reference_adaptive(x, out_h, out_w), testing::rtol_for(DType::f32),
                       testing::atol_for(DType::f32), fmt::format("output ({}, {})", out_h, out_w));
  }
}

TEST(AdaptiveAvgPool2d, SupportsHalfPrecision) {
  const Tensor x = random_tensor({1, 2, 6, 5}, DType::f16, 71);
  const Tensor out = ops::adaptive_avg_pool2d(x, {4, 3});
  EXPECT_EQ(out.dtype(), DType::f16);
  expect_values_near(out, reference_adaptive(x, 4, 3), testing::rtol_for(DType::f16), testing::atol_for(DType::f16));
}

TEST(AdaptiveAvgPool2dBackward, IsTheAdjointOfTheForward) {
  // <pool(x), g> == <x, pool_backward(g)> for any x, g.
  const Tensor x = random_tensor({2, 2, 7, 10}, DType::f64, 72);
  const Tensor out = ops::adaptive_avg_pool2d(x, {3, 4});
  const Tensor g = random_tensor(out.sizes(), DType::f64, 73);
  const Tensor grad_x = ops::adaptive_avg_pool2d_backward(g, x.sizes());
  ASSERT_EQ(grad_x.sizes(), x.sizes());
  const std::vector<double> vo = to_doubles(out), vg = to_doubles(g), vx = to_doubles(x), vgx = to_doubles(grad_x);
  double lhs = 0, rhs = 0;
  for (size_t i = 0; i < vo.size(); ++i) lhs += vo[i] * vg[i];
  for (size_t i = 0; i < vx.size(); ++i) rhs += vx[i] * vgx[i];
  EXPECT_NEAR(lhs, rhs, 1e-10);
}

TEST(AdaptiveAvgPool2d, ErrorsNameTheShapes) {
  const std::string message = message_of([] { ops::adaptive_avg_pool2d(ops::empty({1, 1, 4, 4}), {0, 2}); });
  EXPECT_NE(message.find("adaptive_avg_pool2d: output size (0, 2) must be positive"), std::string::npos) << message;
}

}  // namespace
}  // namespace mini
