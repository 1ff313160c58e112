// Philox fills on the cuda backend give the CPU backend's numbers: uniforms
// bit for bit everywhere; normals bit for bit on the emulator (same libm) and
// to about an ulp on a GPU (CUDA's log/cos may differ in the last bit).
#include <gtest/gtest.h>

#include <cstring>

#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

constexpr DType kFloating[] = {DType::f32, DType::f64, DType::f16, DType::bf16};

void expect_same_bits(const Tensor& device, const Tensor& host, const std::string& what) {
  const Tensor back = ops::contiguous(ops::to_device(device, Device::cpu()));
  const Tensor expected = ops::contiguous(host);
  EXPECT_EQ(std::memcmp(back.data_ptr(), expected.data_ptr(), expected.numel() * expected.element_size()), 0) << what;
}

class CudaRandom : public EveryOrder {};

TEST_P(CudaRandom, UniformMatchesTheCpuBitForBit) {
  const RandomState state{1234, 99};
  for (DType dtype : kFloating) {
    const Tensor expected = empty_on({37, 29}, dtype, Device::cpu());
    cpu_backend().random_uniform(expected, state, -3, 5);
    const Tensor actual = empty_on({37, 29}, dtype, Device::cuda());
    cuda_backend().random_uniform(actual, state, -3, 5);
    expect_same_bits(actual, expected, name_of(dtype));
  }
}

TEST_P(CudaRandom, NonContiguousOutputsCountElementsRowMajor) {
  const RandomState state{7, 0};
  const Tensor expected = empty_on({6, 10}, DType::f32, Device::cpu());
  cpu_backend().random_uniform(expected, state, 0, 1);
  const Tensor storage = empty_on({10, 6}, DType::f32, Device::cuda());
  const Tensor actual = ops::transpose(storage, 0, 1);
  cuda_backend().random_uniform(actual, state, 0, 1);
  expect_same_bits(actual, expected, "transposed");
}

TEST_P(CudaRandom, NormalMatchesTheCpu) {
  const RandomState state{42, 1000};
  for (DType dtype : kFloating) {
    const Tensor expected = empty_on({501}, dtype, Device::cpu());
    cpu_backend().random_normal(expected, state, 0.5, 2);
    const Tensor actual = empty_on({501}, dtype, Device::cuda());
    cuda_backend().random_normal(actual, state, 0.5, 2);
    if (real_gpu()) {
      expect_tensors_near(actual, expected, rtol_for(dtype), atol_for(dtype), name_of(dtype));
    } else {
      expect_same_bits(actual, expected, name_of(dtype));
    }
  }
}

MINI_CUDA_EVERY_ORDER(CudaRandom);

}  // namespace
}  // namespace mini::cuda
