// max_pool2d and its backward on the cuda backend's kernels against the CPU
// backend: stride, padding, dilation and ceil_mode geometry, ties, NaN,
// -inf next to padding, size-1 planes, empty batches, and non-contiguous
// inputs and gradients. Values and indices must be equal exactly; the
// backward's atomic sums may add overlapping windows in another order.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <tuple>

#include "tensor/ops/elementwise.h"
#include "tensor/ops/nn.h"
#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

constexpr DType kFloating[] = {DType::f32, DType::f64, DType::f16, DType::bf16};

struct PoolCase {
  const char* name;
  Shape input;
  Pool2dOptions options;
};

const PoolCase kCases[] = {
    {"2x2", {2, 3, 6, 8}, {.kernel = {2, 2}}},
    {"3x3 stride 2 padding 1 (overlapping)", {2, 2, 7, 9}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}},
    {"3x2 stride (1, 2) dilation (2, 1)", {1, 3, 9, 7}, {.kernel = {3, 2}, .stride = {1, 2}, .dilation = {2, 1}}},
    {"3x3 stride 2 ceil_mode (overhang)", {2, 2, 8, 6}, {.kernel = {3, 3}, .stride = {2, 2}, .ceil_mode = true}},
    {"2x2 padding 1 ceil_mode", {1, 2, 5, 5}, {.kernel = {2, 2}, .padding = {1, 1}, .ceil_mode = true}},
    {"1x1 plane, 1x1 kernel", {3, 2, 1, 1}, {.kernel = {1, 1}}},
    {"1x1 plane, 2x2 ceil_mode", {2, 3, 1, 1}, {.kernel = {2, 2}, .ceil_mode = true}},
    {"empty batch", {0, 3, 4, 4}, {.kernel = {2, 2}}},
};

// Forward and backward of `c` on both backends; `x` is the host input and
// `noncontiguous` picks the device layout of the input and the gradient.
void expect_pool_matches_the_cpu(const PoolCase& c, const Tensor& x, bool noncontiguous, const std::string& what) {
  const auto [values_cpu, indices_cpu] = ops::max_pool2d(x, c.options);
  const auto [values, indices] = ops::max_pool2d(noncontiguous ? to_cuda_noncontiguous(x) : to_cuda(x), c.options);
  expect_tensors_near(values, values_cpu, 0, 0, what + " values");
  expect_tensors_near(indices, indices_cpu, 0, 0, what + " indices");

  const Tensor grad_out = random_tensor(values_cpu.sizes(), x.dtype(), 17);
  const Tensor grad_cpu = ops::max_pool2d_backward(grad_out, indices_cpu, x.sizes());
  const Tensor grad =
      ops::max_pool2d_backward(noncontiguous ? to_cuda_noncontiguous(grad_out) : to_cuda(grad_out), indices, x.sizes());
  expect_tensors_near(grad, grad_cpu, rtol_for(x.dtype()), atol_for(x.dtype()), what + " grad_input");
}

class CudaMaxPool : public EveryOrder {};

TEST_P(CudaMaxPool, EveryGeometryMatchesTheCpu) {
  for (const PoolCase& c : kCases) {
    for (DType dtype : kFloating) {
      for (bool noncontiguous : {false, true}) {
        const std::string what =
            fmt::format("{} {}{}", c.name, dtype_name(dtype), noncontiguous ? " non-contiguous" : "");
        expect_pool_matches_the_cpu(c, random_tensor(c.input, dtype, 5), noncontiguous, what);
      }
    }
  }
}

TEST_P(CudaMaxPool, TiesKeepTheFirstPositionInTheWindow) {
  // Values from {0, 1}: most windows hold several maxima.
  for (DType dtype : kFloating) {
    for (const PoolCase& c : {kCases[0], kCases[1], kCases[3]}) {
      const Tensor x = ops::floor(random_tensor(c.input, dtype, 9, 0, 2));
      expect_pool_matches_the_cpu(c, x, true, fmt::format("ties {} {}", c.name, dtype_name(dtype)));
    }
  }
  // All equal: every window picks its top-left real element.
  const Tensor ones = ops::ones({1, 1, 4, 4});
  const auto [values, indices] = ops::max_pool2d(to_cuda(ones), {.kernel = {2, 2}, .stride = {1, 1}});
  expect_tensors_near(indices, ops::from_vector<int64_t>({0, 1, 2, 4, 5, 6, 8, 9, 10}, {1, 1, 3, 3}), 0, 0);
}

TEST_P(CudaMaxPool, NaNWinsItsWindow) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : kFloating) {
    Tensor x = random_tensor({1, 2, 6, 6}, dtype, 13);
    // Two NaNs in one window (the first must win), one alone, one on a padded border.
    for (const auto& [c, y, xx] :
         {std::tuple{0, 1, 1}, std::tuple{0, 1, 2}, std::tuple{1, 4, 3}, std::tuple{1, 0, 5}}) {
      ops::copy_(ops::narrow(ops::narrow(ops::select(ops::select(x, 0, 0), 0, c), 0, y, 1), 1, xx, 1),
                 ops::full({1, 1}, nan));
    }
    expect_pool_matches_the_cpu({"nan", {1, 2, 6, 6}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}}, x,
                                false, fmt::format("nan {}", dtype_name(dtype)));
  }
}

TEST_P(CudaMaxPool, PaddingNeverWinsOverNegativeInfinity) {
  const Tensor x = ops::full({1, 1, 3, 3}, -std::numeric_limits<double>::infinity(), {.dtype = DType::f32});
  const PoolCase c{"-inf", {1, 1, 3, 3}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true}};
  expect_pool_matches_the_cpu(c, x, false, "-inf");
  const auto [values, indices] = ops::max_pool2d(to_cuda(x), c.options);
  // Each window's first real element: (0, 0), (0, 1), (1, 0), (1, 1).
  expect_tensors_near(indices, ops::from_vector<int64_t>({0, 1, 3, 4}, {1, 1, 2, 2}), 0, 0);
}

TEST_P(CudaMaxPool, BackwardWithoutGradientsIsZero) {
  const Tensor indices = to_cuda(ops::zeros({1, 2, 0, 3}, {.dtype = DType::i64}));
  const Tensor grad_out = to_cuda(ops::zeros({1, 2, 0, 3}));
  const Tensor grad = ops::max_pool2d_backward(grad_out, indices, {1, 2, 4, 6});
  expect_tensors_near(grad, ops::zeros({1, 2, 4, 6}), 0, 0);
  // Straight to the backend, which must zero the whole output itself.
  const Tensor direct = to_cuda(ops::full({1, 2, 4, 6}, 7.0, {.dtype = DType::f32}));
  cuda_backend().max_pool2d_backward(direct, grad_out, indices);
  expect_tensors_near(direct, ops::zeros({1, 2, 4, 6}), 0, 0);
}

TEST_P(CudaMaxPool, BackwardSkipsIndicesOutsideThePlane) {
  // The CPU throws here; the device skips them rather than wait for the kernel.
  const Tensor indices = to_cuda(ops::from_vector<int64_t>({-1, 4, 3}, {1, 1, 1, 3}));
  const Tensor grad = ops::max_pool2d_backward(to_cuda(ops::ones({1, 1, 1, 3})), indices, {1, 1, 2, 2});
  expect_tensors_near(grad, ops::from_vector<float>({0, 0, 0, 1}, {1, 1, 2, 2}), 0, 0);
}

MINI_CUDA_EVERY_ORDER(CudaMaxPool);

TEST(CudaMaxPoolErrors, IntegerInputsAreRejected) {
  use_cuda_backend();
  const Tensor x = to_cuda(ops::zeros({1, 1, 2, 2}, {.dtype = DType::i32}));
  const Tensor values = ops::empty({1, 1, 1, 1}, {.dtype = DType::i32, .device = Device::cuda()});
  const Tensor indices = ops::empty({1, 1, 1, 1}, {.dtype = DType::i64, .device = Device::cuda()});
  ConvGeometry g;
  g.channels = 1;
  g.in_h = g.in_w = 2;
  g.kernel_h = g.kernel_w = 2;
  g.stride_h = g.stride_w = 2;
  EXPECT_THROW(cuda_backend().max_pool2d(values, indices, x, g), Error);
}

}  // namespace
}  // namespace mini::cuda
