// index_select, index_add, gather, scatter and nonzero on the cuda backend
// against the CPU backend, including duplicate indices and empty operands.
#include <gtest/gtest.h>

#include <vector>

#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

Tensor indices(const std::vector<int64_t>& values, const Shape& shape) { return ops::from_vector(values, shape); }

// Integer-valued floats: sums of them are exact in any order, so atomics compare exactly.
Tensor whole_numbers(const Shape& shape, DType dtype, uint64_t seed) {
  return ops::to_dtype(random_tensor(shape, DType::i64, seed, -8, 8), dtype);
}

class CudaIndex : public EveryOrder {};

TEST_P(CudaIndex, IndexSelectAlongEachDim) {
  const Tensor src = random_tensor({5, 6, 4}, DType::f32, 81);
  const std::vector<int64_t> picks{4, 0, 0, 2, 3, 1, 4};
  for (int64_t dim = 0; dim < 3; ++dim) {
    Shape out = src.sizes();
    out[dim] = 7;
    std::vector<int64_t> in_range;
    for (int64_t pick : picks) in_range.push_back(pick % src.size(dim));
    const Tensor index_dim = indices(in_range, {7});
    const Tensor expected = empty_on(out, DType::f32, Device::cpu());
    cpu_backend().index_select(expected, src, dim, index_dim);
    const Tensor actual = empty_on(out, DType::f32, Device::cuda());
    cuda_backend().index_select(actual, to_cuda_noncontiguous(src), dim, to_cuda(index_dim));
    expect_tensors_near(actual, expected, 0, 0, "dim " + std::to_string(dim));
  }
}

TEST_P(CudaIndex, IndexAddAccumulatesDuplicatesAtomically) {
  for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8}) {
    const Tensor base = whole_numbers({4, 6}, dtype, 82);
    const Tensor src = whole_numbers({9, 6}, dtype, 83);
    const Tensor index = indices({1, 3, 1, 1, 0, 3, 2, 1, 0}, {9});
    const Tensor expected = ops::clone(base);
    cpu_backend().index_add(expected, 0, index, src);
    const Tensor actual = to_cuda(base);
    cuda_backend().index_add(actual, 0, to_cuda(index), to_cuda_noncontiguous(src));
    expect_tensors_near(actual, expected, 0, 0, name_of(dtype));
  }
}

TEST_P(CudaIndex, GatherAlongRows) {
  const Tensor src = random_tensor({4, 7}, DType::f64, 84);
  const Tensor index = indices({6, 0, 3, 3, 1, 2, 5, 5, 0, 4, 4, 1}, {4, 3});
  const Tensor expected = empty_on({4, 3}, DType::f64, Device::cpu());
  cpu_backend().gather(expected, src, 1, index);
  const Tensor actual = empty_on({4, 3}, DType::f64, Device::cuda());
  cuda_backend().gather(actual, to_cuda_noncontiguous(src), 1, to_cuda_noncontiguous(index));
  expect_tensors_near(actual, expected, 0, 0);
}

TEST_P(CudaIndex, ScatterAssignKeepsTheLastWriteLikeTheCpu) {
  const Tensor src = random_tensor({5, 3}, DType::f32, 85);
  const Tensor index = indices({0, 2, 1, 0, 2, 1, 3, 0, 1, 0, 2, 1, 3, 3, 3}, {5, 3});  // duplicates along dim 0
  const Tensor base = random_tensor({4, 3}, DType::f32, 86);
  const Tensor expected = ops::clone(base);
  cpu_backend().scatter(expected, 0, index, src, ScatterMode::assign);
  const Tensor actual = to_cuda(base);
  cuda_backend().scatter(actual, 0, to_cuda(index), to_cuda_noncontiguous(src), ScatterMode::assign);
  expect_tensors_near(actual, expected, 0, 0);
}

TEST_P(CudaIndex, ScatterAddAccumulatesDuplicates) {
  for (DType dtype : {DType::f32, DType::bf16, DType::i64}) {
    const Tensor src = whole_numbers({3, 8}, dtype, 87);
    const Tensor index = indices({0, 1, 1, 1, 4, 4, 2, 0, 3, 3, 3, 3, 0, 0, 1, 2, 4, 4, 4, 4, 4, 4, 4, 4}, {3, 8});
    const Tensor base = whole_numbers({3, 5}, dtype, 88);
    const Tensor expected = ops::clone(base);
    cpu_backend().scatter(expected, 1, index, src, ScatterMode::add);
    const Tensor actual = to_cuda(base);
    cuda_backend().scatter(actual, 1, to_cuda(index), to_cuda(src), ScatterMode::add);
    expect_tensors_near(actual, expected, 0, 0, name_of(dtype));
  }
}

TEST_P(CudaIndex, NonzeroListsPositionsInRowMajorOrder) {
  // More than one 4096-element chunk, so chunk offsets matter.
  const Tensor mask = random_tensor({3, 50, 61}, DType::b8, 89, -1.2, 1);  // ~40% true
  const Tensor expected = cpu_backend().nonzero(mask);
  const Tensor actual = cuda_backend().nonzero(to_cuda_noncontiguous(mask));
  EXPECT_EQ(actual.device(), Device::cuda());
  expect_tensors_near(actual, expected, 0, 0);
}

TEST_P(CudaIndex, NonzeroOfEmptyAndAllFalseMasks) {
  EXPECT_EQ(cuda_backend().nonzero(to_cuda(ops::zeros({0, 3}, {.dtype = DType::b8}))).sizes(), Shape({0, 2}));
  EXPECT_EQ(cuda_backend().nonzero(to_cuda(ops::zeros({4, 5}, {.dtype = DType::b8}))).sizes(), Shape({0, 2}));
}

MINI_CUDA_EVERY_ORDER(CudaIndex);

}  // namespace
}  // namespace mini::cuda
