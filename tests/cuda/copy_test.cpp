// Data movement on the cuda backend: host <-> device round trips, strided
// copies with casts between every dtype pair, fill and arange.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

constexpr DType kAllDTypes[] = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                DType::i32, DType::i64, DType::b8,  DType::u8};

TEST(CudaTransfer, ToDeviceAndBackKeepsEveryDTypeBitForBit) {
  for (DType dtype : kAllDTypes) {
    const Tensor host = random_tensor({3, 5, 7}, dtype, 11);
    const Tensor device = to_cuda(host);
    EXPECT_EQ(device.device(), Device::cuda());
    const Tensor back = ops::to_device(device, Device::cpu());
    EXPECT_EQ(std::memcmp(back.data_ptr(), host.data_ptr(), host.numel() * host.element_size()), 0) << name_of(dtype);
  }
}

TEST(CudaTransfer, EmptyTensorsRoundTrip) {
  const Tensor device = to_cuda(ops::zeros({0, 4}));
  EXPECT_EQ(device.numel(), 0);
  EXPECT_EQ(ops::to_device(device, Device::cpu()).sizes(), Shape({0, 4}));
}

TEST(CudaTransfer, ItemReadsOneElement) {
  const Tensor device = to_cuda(ops::full({1}, 2.5, {.dtype = DType::f64}));
  EXPECT_EQ(device.item<double>(), 2.5);
}

class CudaCopy : public EveryOrder {};

TEST_P(CudaCopy, CastsBetweenEveryDTypePairAsTheCpuDoes) {
  for (DType from : kAllDTypes) {
    // Values beyond the integer ranges and NaN would differ only in undefined behaviour; stay in range.
    const Tensor host = random_tensor({4, 9}, from, 3, -100, 100);
    const Tensor source = to_cuda_noncontiguous(host);
    for (DType to : kAllDTypes) {
      const Tensor expected = empty_on({4, 9}, to, Device::cpu());
      cpu_backend().copy(expected, host);
      const Tensor actual = empty_on({4, 9}, to, Device::cuda());
      cuda_backend().copy(actual, source);
      expect_tensors_near(actual, expected, 0, 0, name_of(from) + " -> " + name_of(to));
    }
  }
}

TEST_P(CudaCopy, WritesIntoTransposedAndBroadcastViews) {
  const Tensor host = random_tensor({1, 6}, DType::f32, 5);
  const Tensor source = ops::expand(to_cuda(host), {5, 6});  // stride 0 along dim 0
  const Tensor target_storage = empty_on({6, 5}, DType::f64, Device::cuda());
  const Tensor target = ops::transpose(target_storage, 0, 1);
  cuda_backend().copy(target, source);
  expect_tensors_near(target, ops::to_dtype(ops::expand(host, {5, 6}), DType::f64), 0, 0);
}

TEST_P(CudaCopy, HandlesManyDimsThatDoNotMerge) {
  // Every other element along each of 7 dims: nothing coalesces.
  const Tensor host = random_tensor({2, 3, 2, 3, 2, 3, 2}, DType::f32, 8);
  const Tensor big = ops::zeros({4, 6, 4, 6, 4, 6, 4}, {.device = Device::cuda()});
  Tensor view = big;
  for (int64_t d = 0; d < 7; ++d) view = ops::slice(view, d, 0, big.size(d), 2);
  cuda_backend().copy(view, to_cuda(host));
  expect_tensors_near(view, host, 0, 0);
}

TEST_P(CudaCopy, FillConvertsTheScalarLikeTheCpu) {
  for (DType dtype : kAllDTypes) {
    for (Scalar value : {Scalar(2.75), Scalar(int64_t{-3}), Scalar(true)}) {
      const Tensor expected = empty_on({3, 4}, dtype, Device::cpu());
      cpu_backend().fill(expected, value);
      const Tensor actual_storage = empty_on({4, 3}, dtype, Device::cuda());
      const Tensor actual = ops::transpose(actual_storage, 0, 1);
      cuda_backend().fill(actual, value);
      expect_tensors_near(actual, expected, 0, 0, name_of(dtype));
    }
  }
}

TEST_P(CudaCopy, ArangeMatchesTheCpuBitForBit) {
  for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i64, DType::i32}) {
    const Tensor expected = empty_on({37}, dtype, Device::cpu());
    cpu_backend().arange(expected, -1.3, 0.1);
    const Tensor buffer = empty_on({74}, dtype, Device::cuda());
    const Tensor actual = ops::slice(buffer, 0, 0, 74, 2);
    cuda_backend().arange(actual, -1.3, 0.1);
    expect_tensors_near(actual, expected, 0, 0, name_of(dtype));
  }
}

MINI_CUDA_EVERY_ORDER(CudaCopy);

}  // namespace
}  // namespace mini::cuda
