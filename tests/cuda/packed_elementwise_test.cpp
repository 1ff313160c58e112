// The 128-bit packed paths of unary and binary (NOTE [ packed elementwise ] in
// cuda/kernels/elementwise.cuh): lengths around the pack width (tails), a
// misaligned view (which must take the strided path) and a broadcast scalar
// operand, against the CPU backend on every dtype width.
#include <gtest/gtest.h>

#include <vector>

#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

constexpr DType kDTypes[] = {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8};
// 16-byte packs hold 2 (f64) to 16 (u8) elements: cover below, at and past each width.
constexpr int64_t kLengths[] = {1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 33, 1000};

class CudaPackedElementwise : public EveryOrder {};

// `length` elements starting one element into a buffer: contiguous but not 16-byte aligned.
Tensor misaligned_on_cuda(const Tensor& host) {
  Tensor buffer = ops::zeros({host.numel() + 1}, {.dtype = host.dtype(), .device = Device::cuda()});
  Tensor view = ops::slice(buffer, 0, 1, host.numel() + 1);
  ops::copy_(view, host);
  return view;
}

void expect_binary_matches(BinaryOp op, const Tensor& a_host, const Tensor& b_host, const Tensor& a_cuda,
                           const Tensor& b_cuda, const std::string& what) {
  const Shape& shape = a_host.sizes();
  const Tensor expected = empty_on(shape, a_host.dtype(), Device::cpu());
  cpu_backend().binary(op, expected, a_host, ops::expand(b_host, shape));
  const Tensor actual = empty_on(shape, a_host.dtype(), Device::cuda());
  cuda_backend().binary(op, actual, a_cuda, ops::expand(b_cuda, shape));
  expect_close(ops::to_device(actual, Device::cpu()), expected, what);
}

TEST_P(CudaPackedElementwise, BinaryMatchesTheCpuForEveryLengthAndAlignment) {
  for (const DType dtype : kDTypes) {
    for (const int64_t n : kLengths) {
      const std::string what = name_of(dtype) + " n=" + std::to_string(n);
      const Tensor a = random_tensor({n}, dtype, 5, 0, 9), b = random_tensor({n}, dtype, 6, 1, 9);
      for (const BinaryOp op : {BinaryOp::add, BinaryOp::mul, BinaryOp::maximum}) {
        expect_binary_matches(op, a, b, to_cuda(a), to_cuda(b), what + " aligned");
        expect_binary_matches(op, a, b, misaligned_on_cuda(a), to_cuda(b), what + " misaligned a");
        expect_binary_matches(op, a, b, to_cuda(a), misaligned_on_cuda(b), what + " misaligned b");
      }
      const Tensor scalar = random_tensor({1}, dtype, 7, 1, 9);
      expect_binary_matches(BinaryOp::sub, a, scalar, to_cuda(a), to_cuda(scalar), what + " scalar b");
    }
  }
}

TEST_P(CudaPackedElementwise, UnaryMatchesTheCpuForEveryLengthAndAlignment) {
  for (const DType dtype : kDTypes) {
    for (const int64_t n : kLengths) {
      const std::string what = name_of(dtype) + " n=" + std::to_string(n);
      const Tensor a = random_tensor({n}, dtype, 8, 0, 9);
      const Tensor expected = empty_on({n}, dtype, Device::cpu());
      cpu_backend().unary(UnaryOp::square, expected, a, {});
      for (const bool aligned : {true, false}) {
        const Tensor actual = aligned ? empty_on({n}, dtype, Device::cuda()) : misaligned_on_cuda(a);
        cuda_backend().unary(UnaryOp::square, actual, aligned ? to_cuda(a) : misaligned_on_cuda(a), {});
        expect_close(ops::to_device(actual, Device::cpu()), expected, what + (aligned ? " aligned" : " misaligned"));
      }
    }
  }
}

TEST_P(CudaPackedElementwise, IntegerRemainderByZeroIsStillReported) {
  const Tensor a = ops::full({17}, Scalar(int64_t{7}), {.dtype = DType::i64, .device = Device::cuda()});
  const Tensor zero = ops::zeros({1}, {.dtype = DType::i64, .device = Device::cuda()});
  const Tensor out = empty_on({17}, DType::i64, Device::cuda());
  EXPECT_THROW(cuda_backend().binary(BinaryOp::remainder, out, a, ops::expand(zero, {17})), ValueError);
}

MINI_CUDA_EVERY_ORDER(CudaPackedElementwise);

}  // namespace
}  // namespace mini::cuda
