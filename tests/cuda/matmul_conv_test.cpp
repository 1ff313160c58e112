// matmul, im2col, col2im and conv2d on the cuda backend against the CPU backend.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

// A dot product of k terms of magnitude ~1 carries ~sqrt(k) ulps of rounding.
double dot_atol(DType dtype, int64_t k) { return 4 * atol_for(dtype) * std::sqrt(static_cast<double>(k)); }

void expect_matmul_matches(const Tensor& a_host, const Tensor& b_host, const Tensor& a, const Tensor& b,
                           const std::string& what) {
  const int64_t rank = a_host.dim();
  Shape out = a_host.sizes();
  out[rank - 1] = b_host.size(rank - 1);
  const DType dtype = a_host.dtype();
  const Tensor expected = empty_on(out, dtype, Device::cpu());
  cpu_backend().matmul(expected, a_host, b_host);
  const Tensor actual = empty_on(out, dtype, Device::cuda());
  cuda_backend().matmul(actual, a, b);
  const int64_t k = a_host.size(rank - 1);
  const double rtol = is_floating(dtype) ? 4 * rtol_for(dtype) : 0;
  expect_tensors_near(actual, expected, rtol, is_floating(dtype) ? dot_atol(dtype, k) : 0, what + " " + name_of(dtype));
}

class CudaMatmul : public EveryOrder {};

TEST_P(CudaMatmul, OddSizesAcrossTileEdgesInEveryFloatingDType) {
  for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    const Tensor a = random_tensor({70, 37}, dtype, 61), b = random_tensor({37, 65}, dtype, 62);
    expect_matmul_matches(a, b, to_cuda(a), to_cuda(b), "70x37 @ 37x65");
  }
}

TEST_P(CudaMatmul, TransposedOperandsAreReadThroughStrides) {
  const Tensor a = random_tensor({2, 19, 23}, DType::f32, 63), b = random_tensor({2, 23, 17}, DType::f32, 64);
  expect_matmul_matches(a, b, to_cuda_noncontiguous(a), to_cuda_noncontiguous(b), "transposed");
}

TEST_P(CudaMatmul, BroadcastBatchDimsHaveStrideZero) {
  const Tensor a = random_tensor({3, 1, 9, 11}, DType::f64, 65), b = random_tensor({1, 4, 11, 6}, DType::f64, 66);
  const Tensor a_wide = ops::expand(a, {3, 4, 9, 11}), b_wide = ops::expand(b, {3, 4, 11, 6});
  expect_matmul_matches(a_wide, b_wide, ops::expand(to_cuda(a), {3, 4, 9, 11}), ops::expand(to_cuda(b), {3, 4, 11, 6}),
                        "broadcast batch");
}

TEST_P(CudaMatmul, IntegerProductsWrapLikeTheCpu) {
  for (DType dtype : {DType::i32, DType::i64, DType::u8}) {
    const Tensor a = random_tensor({5, 40}, dtype, 67, 0, 50), b = random_tensor({40, 3}, dtype, 68, 0, 50);
    expect_matmul_matches(a, b, to_cuda(a), to_cuda(b), "integers");
  }
}

TEST_P(CudaMatmul, EmptyInnerDimGivesZeros) {
  const Tensor a = ops::zeros({3, 0}), b = ops::zeros({0, 4});
  expect_matmul_matches(a, b, to_cuda(a), to_cuda(b), "k = 0");
}

MINI_CUDA_EVERY_ORDER(CudaMatmul);

TEST(CudaMatmulOnGpu, CublasMatchesTheCpu) {
  if (!real_gpu()) GTEST_SKIP() << "needs a real GPU: cuBLAS numerics cannot be checked on the emulator";
  const Tensor a = random_tensor({256, 300}, DType::f32, 69), b = random_tensor({300, 129}, DType::f32, 70);
  expect_matmul_matches(a, b, to_cuda(a), to_cuda(b), "cublas");
}

// ---- convolution ------------------------------------------------------------

ConvGeometry geometry_for(const Tensor& input, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  ConvGeometry g;
  g.channels = input.size(1);
  g.in_h = input.size(2);
  g.in_w = input.size(3);
  g.kernel_h = g.kernel_w = kernel;
  g.stride_h = stride;
  g.stride_w = stride + 1;  // unequal strides catch swapped h/w
  g.pad_h = g.pad_w = pad;
  g.dilation_h = g.dilation_w = dilation;
  return g;
}

class CudaConv : public EveryOrder {};

TEST_P(CudaConv, Im2colAndCol2imMatchTheCpu) {
  const Tensor input = random_tensor({2, 3, 9, 8}, DType::f32, 71);
  const ConvGeometry g = geometry_for(input, 3, 2, 1, 2);
  const Shape columns_shape{2, 3 * 9, g.out_h() * g.out_w()};
  const Tensor expected = empty_on(columns_shape, DType::f32, Device::cpu());
  cpu_backend().im2col(expected, input, g, -1.5);
  const Tensor columns = empty_on(columns_shape, DType::f32, Device::cuda());
  cuda_backend().im2col(columns, to_cuda_noncontiguous(input), g, -1.5);
  expect_tensors_near(columns, expected, 0, 0, "im2col");

  const Tensor grad_host = random_tensor({2, 3, 9, 8}, DType::f32, 72);
  cpu_backend().col2im(grad_host, expected, g);
  const Tensor grad = to_cuda_noncontiguous(random_tensor({2, 3, 9, 8}, DType::f32, 72));
  cuda_backend().col2im(grad, columns, g);
  expect_close(grad, grad_host, "col2im");
}

TEST_P(CudaConv, GroupedConvolutionMatchesTheCpu) {
  for (DType dtype : {DType::f32, DType::f64, DType::bf16}) {
    const Tensor input = random_tensor({3, 4, 10, 9}, dtype, 73), weight = random_tensor({6, 2, 3, 3}, dtype, 74);
    const ConvGeometry g = geometry_for(input, 3, 1, 1, 1);
    const Shape out{3, 6, g.out_h(), g.out_w()};
    const Tensor expected = empty_on(out, dtype, Device::cpu());
    cpu_backend().conv2d(expected, input, weight, g, 2);
    const Tensor actual = empty_on(out, dtype, Device::cuda());
    cuda_backend().conv2d(actual, to_cuda_noncontiguous(input), to_cuda(weight), g, 2);
    expect_tensors_near(actual, expected, 4 * rtol_for(dtype), dot_atol(dtype, 18), name_of(dtype));
  }
}

TEST_P(CudaConv, NonContiguousOutputIsWrittenThroughACopy) {
  const Tensor input = random_tensor({2, 3, 6, 6}, DType::f32, 75),
               weight = random_tensor({4, 3, 1, 1}, DType::f32, 76);
  ConvGeometry g = geometry_for(input, 1, 1, 0, 1);
  g.stride_w = 1;
  const Tensor expected = empty_on({2, 4, 6, 6}, DType::f32, Device::cpu());
  cpu_backend().conv2d(expected, input, weight, g, 1);
  const Tensor storage = empty_on({2, 4, 6, 6}, DType::f32, Device::cuda());
  const Tensor actual = ops::transpose(storage, 2, 3);
  cuda_backend().conv2d(actual, to_cuda(input), to_cuda(weight), g, 1);
  expect_tensors_near(actual, expected, 4 * rtol_for(DType::f32), dot_atol(DType::f32, 3));
}

MINI_CUDA_EVERY_ORDER(CudaConv);

}  // namespace
}  // namespace mini::cuda
