// Reductions and arg reductions on the cuda backend against the CPU backend:
// every op, inner and outer reduced dims, full reductions long enough to be
// split across blocks, non-contiguous sources, empty dims.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

// dst shape: src's with the dims in `reduced` set to 1.
Shape reduced_shape(const Shape& sizes, std::initializer_list<int64_t> reduced) {
  Shape out = sizes;
  for (int64_t d : reduced) out[d] = 1;
  return out;
}

// Sums of n terms of magnitude ~1 carry rounding ~ sqrt(n) ulps on either side.
double sum_atol(DType dtype, int64_t n) { return atol_for(dtype) * std::sqrt(static_cast<double>(n)) * 4; }

void expect_reduce_matches(ReduceOp op, DType dtype, const Tensor& host, const Tensor& device, const Shape& out_shape) {
  const Tensor expected = empty_on(out_shape, dtype, Device::cpu());
  cpu_backend().reduce(op, expected, host);
  const Tensor actual = empty_on(out_shape, dtype, Device::cuda());
  cuda_backend().reduce(op, actual, device);
  const int64_t n = host.numel() / std::max<int64_t>(1, expected.numel());
  const double rtol = is_floating(dtype) ? 4 * rtol_for(dtype) : 0;
  const double atol = is_floating(dtype) ? sum_atol(dtype, n) : 0;
  expect_tensors_near(actual, expected, rtol, atol,
                      "reduce op " + std::to_string(static_cast<int>(op)) + " " + name_of(dtype));
}

class CudaReduce : public EveryOrder {};

TEST_P(CudaReduce, EveryOpOverInnerOuterAndAllDims) {
  const Shape shape{6, 37, 5};
  for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8}) {
    // prod over many elements overflows the 16-bit types and integers wrap: keep values near 1.
    const Tensor host = random_tensor(shape, dtype, 51, is_floating(dtype) ? 0.8 : 0, is_floating(dtype) ? 1.2 : 3);
    const Tensor device = to_cuda_noncontiguous(host);
    for (ReduceOp op : {ReduceOp::sum, ReduceOp::prod, ReduceOp::max, ReduceOp::min}) {
      expect_reduce_matches(op, dtype, host, device, reduced_shape(shape, {1}));
      expect_reduce_matches(op, dtype, host, device, reduced_shape(shape, {0, 2}));
      expect_reduce_matches(op, dtype, host, device, reduced_shape(shape, {2}));
      expect_reduce_matches(op, dtype, host, device, reduced_shape(shape, {0, 1, 2}));
    }
  }
}

TEST_P(CudaReduce, AllAndAnyOnBool) {
  const Tensor host = random_tensor({9, 40}, DType::b8, 52, -0.2, 1);  // mostly true
  for (ReduceOp op : {ReduceOp::all, ReduceOp::any}) {
    expect_reduce_matches(op, DType::b8, host, to_cuda(host), {9, 1});
    expect_reduce_matches(op, DType::b8, host, to_cuda(host), {1, 40});
  }
}

TEST_P(CudaReduce, LongFullSumIsSplitAcrossBlocksAndStaysAccurate) {
  // 40000 elements: above the 16384 a block takes alone, so partials are folded by a second kernel.
  const Tensor host = random_tensor({40000}, DType::f32, 53);
  expect_reduce_matches(ReduceOp::sum, DType::f32, host, to_cuda(host), {1});
  expect_reduce_matches(ReduceOp::max, DType::f32, host, to_cuda(host), {1});
}

TEST_P(CudaReduce, ManyOutputsWithContiguousKeptDimsUseAThreadEach) {
  const Tensor host = random_tensor({3, 1500}, DType::f64, 54);
  expect_reduce_matches(ReduceOp::sum, DType::f64, host, to_cuda(host), {1, 1500});
}

TEST_P(CudaReduce, MoreOutputsThanBlocksLoopOverOutputs) {
  // 5000 outputs, each a block's work: more than the 4096 blocks a grid gets.
  const Tensor host = random_tensor({5000, 40}, DType::f32, 56);
  expect_reduce_matches(ReduceOp::sum, DType::f32, host, to_cuda(host), {5000, 1});
  Shape out{5000, 1};
  const Tensor expected_values = empty_on(out, DType::f32, Device::cpu());
  const Tensor expected_indices = empty_on(out, DType::i64, Device::cpu());
  cpu_backend().arg_reduce(ArgReduceOp::argmax, expected_values, expected_indices, host, 1);
  const Tensor values = empty_on(out, DType::f32, Device::cuda());
  const Tensor indices = empty_on(out, DType::i64, Device::cuda());
  cuda_backend().arg_reduce(ArgReduceOp::argmax, values, indices, to_cuda(host), 1);
  expect_tensors_near(indices, expected_indices, 0, 0);
}

TEST_P(CudaReduce, NaNIsStickyForMaxAndMin) {
  const Tensor host = ops::from_vector<float>({1.0f, std::nanf(""), 3.0f, -2.0f, 5.0f, 0.5f}, {2, 3});
  for (ReduceOp op : {ReduceOp::max, ReduceOp::min}) {
    expect_reduce_matches(op, DType::f32, host, to_cuda(host), {2, 1});
  }
}

TEST_P(CudaReduce, EmptyReducedDimGivesTheIdentity) {
  const Tensor host = ops::zeros({3, 0});
  expect_reduce_matches(ReduceOp::sum, DType::f32, host, to_cuda(host), {3, 1});
  expect_reduce_matches(ReduceOp::prod, DType::f32, host, to_cuda(host), {3, 1});
}

void expect_arg_reduce_matches(ArgReduceOp op, DType dtype, const Tensor& host, int64_t dim) {
  Shape out = host.sizes();
  out[dim] = 1;
  const Tensor expected_values = empty_on(out, dtype, Device::cpu());
  const Tensor expected_indices = empty_on(out, DType::i64, Device::cpu());
  cpu_backend().arg_reduce(op, expected_values, expected_indices, host, dim);
  const Tensor values = empty_on(out, dtype, Device::cuda());
  const Tensor indices = empty_on(out, DType::i64, Device::cuda());
  cuda_backend().arg_reduce(op, values, indices, to_cuda_noncontiguous(host), dim);
  expect_tensors_near(indices, expected_indices, 0, 0, "indices " + name_of(dtype));
  expect_tensors_near(values, expected_values, 0, 0, "values " + name_of(dtype));
}

TEST_P(CudaReduce, ArgMaxAndArgMinPickTheFirstOccurrence) {
  for (DType dtype : {DType::f32, DType::f64, DType::bf16, DType::i32, DType::u8}) {
    // Few distinct values, so ties are common and the first index must win.
    const Tensor host = random_tensor({7, 300}, dtype, 55, 0, 4);
    const Tensor rounded = is_floating(dtype) ? ops::to_dtype(ops::to_dtype(host, DType::i64), dtype) : host;
    for (ArgReduceOp op : {ArgReduceOp::argmax, ArgReduceOp::argmin}) {
      expect_arg_reduce_matches(op, dtype, rounded, 1);
      expect_arg_reduce_matches(op, dtype, rounded, 0);
    }
  }
}

TEST_P(CudaReduce, ArgMaxTreatsNaNAsTheMaximum) {
  const Tensor host = ops::from_vector<float>({1.0f, 7.0f, std::nanf(""), 2.0f, std::nanf(""), 9.0f}, {1, 6});
  expect_arg_reduce_matches(ArgReduceOp::argmax, DType::f32, host, 1);
  expect_arg_reduce_matches(ArgReduceOp::argmin, DType::f32, host, 1);
}

MINI_CUDA_EVERY_ORDER(CudaReduce);

}  // namespace
}  // namespace mini::cuda
