// CudaBackend::conv2d_backward_input / conv2d_backward_weight against the CPU
// backend. In the emulator (and on a GPU with MINI_CUDA_CUDNN=0) they run
// Backend's im2col + GEMM composites on the device; on a GPU with cuDNN, cuDNN
// (tests/cuda/real_gpu_test.cpp compares both paths there).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "tensor/ops/nn.h"
#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

double dot_atol(DType dtype, int64_t k) { return 4 * atol_for(dtype) * std::sqrt(static_cast<double>(k)); }

class CudaConvBackward : public EveryOrder {};

TEST_P(CudaConvBackward, GroupedStridedDilatedGradientsMatchTheCpu) {
  // Unequal strides, padding and dilation catch a swapped h/w; groups = 2.
  const Conv2dOptions options{.stride = {2, 1}, .padding = {1, 2}, .dilation = {1, 2}, .groups = 2};
  for (DType dtype : {DType::f32, DType::f64, DType::bf16}) {
    const Tensor x = random_tensor({2, 4, 7, 6}, dtype, 81), w = random_tensor({6, 2, 3, 2}, dtype, 82);
    const Tensor out = ops::conv2d(x, w, Tensor(), options);
    const Tensor grad_out = random_tensor(out.sizes(), dtype, 83);
    const double rtol = 4 * rtol_for(dtype);
    // grad_input sums K/groups * kh * kw terms; grad_weight N * oh * ow.
    expect_tensors_near(ops::conv2d_backward_input(to_cuda_noncontiguous(grad_out), to_cuda(w), x.sizes(), options),
                        ops::conv2d_backward_input(grad_out, w, x.sizes(), options), rtol, dot_atol(dtype, 3 * 6),
                        "grad_input " + name_of(dtype));
    expect_tensors_near(ops::conv2d_backward_weight(to_cuda(grad_out), to_cuda_noncontiguous(x), w.sizes(), options),
                        ops::conv2d_backward_weight(grad_out, x, w.sizes(), options), rtol,
                        dot_atol(dtype, out.numel() / out.size(1)), "grad_weight " + name_of(dtype));
  }
}

MINI_CUDA_EVERY_ORDER(CudaConvBackward);

}  // namespace
}  // namespace mini::cuda
