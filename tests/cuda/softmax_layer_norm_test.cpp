// Softmax / log-softmax, layer norm and their backwards on the cuda backend
// against the CPU backend: warp-per-row, block-per-row and column layouts.
#include <gtest/gtest.h>

#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

constexpr DType kFloating[] = {DType::f32, DType::f64, DType::f16, DType::bf16};

struct SoftmaxCase {
  Shape shape;
  int64_t dim;
  const char* layout;
};

// Short rows (a warp each), long rows (a block each), and a middle dim (columns).
const SoftmaxCase kSoftmaxCases[] = {
    {{9, 37}, 1, "warp rows"}, {{3, 1500}, 1, "block rows"}, {{4, 11, 6}, 1, "columns"}};

class CudaSoftmax : public EveryOrder {};

TEST_P(CudaSoftmax, ForwardAndBackwardMatchTheCpu) {
  for (const SoftmaxCase& c : kSoftmaxCases) {
    for (DType dtype : kFloating) {
      for (bool log : {false, true}) {
        const std::string what = std::string(c.layout) + (log ? " log " : " ") + name_of(dtype);
        const Tensor x = random_tensor(c.shape, dtype, 91, -4, 4);
        const Tensor expected = empty_on(c.shape, dtype, Device::cpu());
        cpu_backend().softmax(expected, x, c.dim, log);
        const Tensor actual = empty_on(c.shape, dtype, Device::cuda());
        cuda_backend().softmax(actual, to_cuda_noncontiguous(x), c.dim, log);
        expect_tensors_near(actual, expected, 4 * rtol_for(dtype), 4 * atol_for(dtype), what);

        const Tensor grad_out = random_tensor(c.shape, dtype, 92);
        const Tensor expected_grad = empty_on(c.shape, dtype, Device::cpu());
        cpu_backend().softmax_backward(expected_grad, grad_out, expected, c.dim, log);
        const Tensor grad = empty_on(c.shape, dtype, Device::cuda());
        cuda_backend().softmax_backward(grad, to_cuda(grad_out), to_cuda(expected), c.dim, log);
        expect_tensors_near(grad, expected_grad, 8 * rtol_for(dtype), 8 * atol_for(dtype), "backward " + what);
      }
    }
  }
}

TEST_P(CudaSoftmax, LargeLogitsDoNotOverflow) {
  const Tensor x = ops::from_vector<float>({1000.0f, 1001.0f, -1000.0f}, {1, 3});
  const Tensor expected = empty_on({1, 3}, DType::f32, Device::cpu());
  cpu_backend().softmax(expected, x, 1, false);
  const Tensor actual = empty_on({1, 3}, DType::f32, Device::cuda());
  cuda_backend().softmax(actual, to_cuda(x), 1, false);
  expect_close(actual, expected);
}

MINI_CUDA_EVERY_ORDER(CudaSoftmax);

class CudaLayerNorm : public EveryOrder {};

TEST_P(CudaLayerNorm, ForwardAndBackwardMatchTheCpu) {
  for (DType dtype : kFloating) {
    const DType stats = dtype == DType::f64 ? DType::f64 : DType::f32;
    for (int64_t cols : {40, 1500}) {
      const std::string what = name_of(dtype) + " cols " + std::to_string(cols);
      const int64_t rows = 7;
      const Tensor x = random_tensor({rows, cols}, dtype, 93, 1, 3);  // |mean| > std: the two-pass variance matters
      const Tensor weight = random_tensor({cols}, dtype, 94), bias = random_tensor({cols}, dtype, 95);
      const Tensor expected = empty_on({rows, cols}, dtype, Device::cpu());
      const Tensor mean_host = empty_on({rows}, stats, Device::cpu()),
                   rstd_host = empty_on({rows}, stats, Device::cpu());
      cpu_backend().layer_norm(expected, mean_host, rstd_host, x, weight, bias, 1e-5);
      const Tensor actual = empty_on({rows, cols}, dtype, Device::cuda());
      const Tensor mean = empty_on({rows}, stats, Device::cuda()), rstd = empty_on({rows}, stats, Device::cuda());
      cuda_backend().layer_norm(actual, mean, rstd, to_cuda_noncontiguous(x), to_cuda(weight), to_cuda(bias), 1e-5);
      expect_tensors_near(actual, expected, 8 * rtol_for(dtype), 8 * atol_for(dtype), what);
      expect_tensors_near(mean, mean_host, 4 * rtol_for(stats), 4 * atol_for(stats), "mean " + what);
      expect_tensors_near(rstd, rstd_host, 16 * rtol_for(stats), 16 * atol_for(stats), "rstd " + what);

      const Tensor grad_out = random_tensor({rows, cols}, dtype, 96);
      const Tensor gx_host = empty_on({rows, cols}, dtype, Device::cpu());
      const Tensor gw_host = empty_on({cols}, dtype, Device::cpu()), gb_host = empty_on({cols}, dtype, Device::cpu());
      cpu_backend().layer_norm_backward(gx_host, gw_host, gb_host, grad_out, x, mean_host, rstd_host, weight);
      const Tensor gx = empty_on({rows, cols}, dtype, Device::cuda());
      const Tensor gw = empty_on({cols}, dtype, Device::cuda()), gb = empty_on({cols}, dtype, Device::cuda());
      cuda_backend().layer_norm_backward(gx, gw, gb, to_cuda(grad_out), to_cuda(x), to_cuda(mean_host),
                                         to_cuda(rstd_host), to_cuda(weight));
      expect_tensors_near(gx, gx_host, 16 * rtol_for(dtype), 16 * atol_for(dtype), "grad_x " + what);
      expect_tensors_near(gw, gw_host, 8 * rtol_for(dtype), 8 * atol_for(dtype), "grad_weight " + what);
      expect_tensors_near(gb, gb_host, 8 * rtol_for(dtype), 8 * atol_for(dtype), "grad_bias " + what);
    }
  }
}

TEST_P(CudaLayerNorm, WorksWithoutWeightAndBias) {
  const Tensor x = random_tensor({5, 33}, DType::f32, 97);
  const Tensor expected = empty_on({5, 33}, DType::f32, Device::cpu());
  const Tensor mean_host = empty_on({5}, DType::f32, Device::cpu()),
               rstd_host = empty_on({5}, DType::f32, Device::cpu());
  cpu_backend().layer_norm(expected, mean_host, rstd_host, x, Tensor(), Tensor(), 1e-5);
  const Tensor actual = empty_on({5, 33}, DType::f32, Device::cuda());
  const Tensor mean = empty_on({5}, DType::f32, Device::cuda()), rstd = empty_on({5}, DType::f32, Device::cuda());
  cuda_backend().layer_norm(actual, mean, rstd, to_cuda(x), Tensor(), Tensor(), 1e-5);
  expect_tensors_near(actual, expected, 4 * rtol_for(DType::f32), 4 * atol_for(DType::f32));
}

MINI_CUDA_EVERY_ORDER(CudaLayerNorm);

}  // namespace
}  // namespace mini::cuda
