// Elementwise primitives on the cuda backend against the CPU backend: every
// UnaryOp and BinaryOp on every dtype it is defined for, where, with
// non-contiguous, broadcast and empty operands.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using namespace mini::testing;
using namespace mini::cuda::testing;

constexpr DType kFloating[] = {DType::f32, DType::f64, DType::f16, DType::bf16};
constexpr DType kIntegers[] = {DType::i32, DType::i64, DType::u8};

struct UnaryCase {
  UnaryOp op;
  UnaryParams params;
  double low, high;  // input range where the op is defined
  bool integers;     // also defined for integer dtypes
};

std::vector<UnaryCase> unary_cases() {
  const double inf = std::numeric_limits<double>::infinity();
  return {
      {UnaryOp::neg, {}, -3, 3, true},
      {UnaryOp::abs, {}, -3, 3, true},
      {UnaryOp::sign, {}, -3, 3, true},
      {UnaryOp::exp, {}, -3, 3, false},
      {UnaryOp::log, {}, 0.1, 5, false},
      {UnaryOp::log1p, {}, -0.5, 5, false},
      {UnaryOp::expm1, {}, -2, 2, false},
      {UnaryOp::sqrt, {}, 0, 5, false},
      {UnaryOp::rsqrt, {}, 0.1, 5, false},
      {UnaryOp::sin, {}, -3, 3, false},
      {UnaryOp::cos, {}, -3, 3, false},
      {UnaryOp::tanh, {}, -3, 3, false},
      {UnaryOp::sigmoid, {}, -5, 5, false},
      {UnaryOp::relu, {}, -3, 3, true},
      {UnaryOp::gelu_tanh, {}, -4, 4, false},
      {UnaryOp::gelu_erf, {}, -4, 4, false},
      {UnaryOp::silu, {}, -4, 4, false},
      {UnaryOp::softplus, {1.5, 4}, -5, 5, false},
      {UnaryOp::floor, {}, -3, 3, true},
      {UnaryOp::ceil, {}, -3, 3, true},
      {UnaryOp::round, {}, -3, 3, true},
      {UnaryOp::reciprocal, {}, 0.5, 3, false},
      {UnaryOp::square, {}, -3, 3, true},
      {UnaryOp::erf, {}, -2, 2, false},
      {UnaryOp::clamp, {-0.5, 1.25}, -3, 3, true},
      {UnaryOp::clamp, {-inf, 0.5}, -3, 3, true},
      {UnaryOp::pow_scalar, {2, 0}, -3, 3, true},
      {UnaryOp::pow_scalar, {3, 0}, -3, 3, true},
      {UnaryOp::pow_scalar, {1.7, 0}, 0.1, 3, false},
      {UnaryOp::pow_scalar, {-0.5, 0}, 0.1, 3, false},
      {UnaryOp::leaky_relu, {0.1, 0}, -3, 3, false},
  };
}

// Runs op on the CPU (contiguous input) and on cuda (non-contiguous input) and compares.
void expect_unary_matches(const UnaryCase& c, DType dtype, const Shape& shape) {
  const Tensor host = random_tensor(shape, dtype, 21, c.low, c.high);
  const Tensor expected = empty_on(shape, dtype, Device::cpu());
  cpu_backend().unary(c.op, expected, host, c.params);
  const Tensor actual = empty_on(shape, dtype, Device::cuda());
  cuda_backend().unary(c.op, actual, to_cuda_noncontiguous(host), c.params);
  // Device math (libm vs CUDA's) differs in the last bits: a few ulps of the dtype.
  expect_tensors_near(actual, expected, 4 * rtol_for(dtype), 4 * atol_for(dtype),
                      "unary op " + std::to_string(static_cast<int>(c.op)) + " " + name_of(dtype));
}

class CudaUnary : public EveryOrder {};

TEST_P(CudaUnary, EveryOpMatchesTheCpuOnFloatingDTypes) {
  for (const UnaryCase& c : unary_cases()) {
    for (DType dtype : kFloating) expect_unary_matches(c, dtype, {7, 13});
  }
}

TEST_P(CudaUnary, IntegerOpsMatchTheCpuExactly) {
  for (const UnaryCase& c : unary_cases()) {
    if (!c.integers) continue;
    for (DType dtype : kIntegers) expect_unary_matches(c, dtype, {5, 11});
  }
}

TEST_P(CudaUnary, LogicalNotWritesBool) {
  for (DType dtype : {DType::f32, DType::i64, DType::b8}) {
    const Tensor host = random_tensor({6, 5}, dtype, 4, -1, 1.5);
    const Tensor expected = empty_on({6, 5}, DType::b8, Device::cpu());
    cpu_backend().unary(UnaryOp::logical_not, expected, host, {});
    const Tensor actual = empty_on({6, 5}, DType::b8, Device::cuda());
    cuda_backend().unary(UnaryOp::logical_not, actual, to_cuda(host), {});
    expect_tensors_near(actual, expected, 0, 0, name_of(dtype));
  }
}

TEST_P(CudaUnary, NaNFollowsTheCpuRules) {
  const Tensor host = ops::from_vector<float>({std::nanf(""), -1.0f, 2.0f}, {3});
  for (UnaryOp op : {UnaryOp::relu, UnaryOp::sign, UnaryOp::abs, UnaryOp::sigmoid}) {
    const Tensor expected = empty_on({3}, DType::f32, Device::cpu());
    cpu_backend().unary(op, expected, host, {});
    const Tensor actual = empty_on({3}, DType::f32, Device::cuda());
    cuda_backend().unary(op, actual, to_cuda(host), {});
    expect_close(actual, expected);
  }
}

TEST_P(CudaUnary, EmptyTensorsLaunchNothing) {
  const Tensor actual = empty_on({0, 3}, DType::f32, Device::cuda());
  cuda_backend().unary(UnaryOp::exp, actual, to_cuda(ops::zeros({0, 3})), {});
  EXPECT_EQ(actual.numel(), 0);
}

MINI_CUDA_EVERY_ORDER(CudaUnary);

TEST(CudaElementwise, GridStrideLoopsCoverTensorsLargerThanTheGrid) {
  // The grid is capped at 4096 blocks of 256 threads: more elements than that
  // makes every thread loop.
  const int64_t n = 4096 * 256 + 1001;
  const Tensor host = random_tensor({n}, DType::f32, 33);
  const Tensor expected = empty_on({n}, DType::f32, Device::cpu());
  cpu_backend().unary(UnaryOp::neg, expected, host, {});
  const Tensor actual = empty_on({n}, DType::f32, Device::cuda());
  cuda_backend().unary(UnaryOp::neg, actual, to_cuda(host), {});
  expect_tensors_near(actual, expected, 0, 0);
}

// ---- binary ---------------------------------------------------------------

const BinaryOp kArithmetic[] = {BinaryOp::add,
                                BinaryOp::sub,
                                BinaryOp::mul,
                                BinaryOp::div,
                                BinaryOp::pow,
                                BinaryOp::maximum,
                                BinaryOp::minimum,
                                BinaryOp::remainder,
                                BinaryOp::relu_backward,
                                BinaryOp::sigmoid_backward,
                                BinaryOp::tanh_backward,
                                BinaryOp::gelu_tanh_backward,
                                BinaryOp::gelu_erf_backward,
                                BinaryOp::silu_backward};
const BinaryOp kComparisons[] = {BinaryOp::eq,          BinaryOp::ne,         BinaryOp::lt,
                                 BinaryOp::le,          BinaryOp::gt,         BinaryOp::ge,
                                 BinaryOp::logical_and, BinaryOp::logical_or, BinaryOp::logical_xor};

// a (rows, cols) non-contiguous; b (1, cols) broadcast over rows.
void expect_binary_matches(BinaryOp op, DType dtype, double low, double high) {
  const Shape shape{6, 9};
  const Tensor a = random_tensor(shape, dtype, 31, low, high);
  const Tensor b_row = random_tensor({1, 9}, dtype, 32, low, high);
  const Tensor b = ops::expand(b_row, shape);
  const DType out = binary_op_writes_bool(op) ? DType::b8 : dtype;
  const Tensor expected = empty_on(shape, out, Device::cpu());
  cpu_backend().binary(op, expected, a, b);
  const Tensor actual = empty_on(shape, out, Device::cuda());
  cuda_backend().binary(op, actual, to_cuda_noncontiguous(a), ops::expand(to_cuda(b_row), shape));
  const DType tolerance_dtype = is_floating(dtype) ? dtype : DType::i64;
  expect_tensors_near(actual, expected, 4 * rtol_for(tolerance_dtype), 4 * atol_for(tolerance_dtype),
                      "binary op " + std::to_string(static_cast<int>(op)) + " " + name_of(dtype));
}

class CudaBinary : public EveryOrder {};

TEST_P(CudaBinary, ArithmeticMatchesTheCpuOnFloatingDTypes) {
  for (BinaryOp op : kArithmetic) {
    for (DType dtype : kFloating) expect_binary_matches(op, dtype, 0.25, 3);
  }
}

TEST_P(CudaBinary, IntegerArithmeticWrapsLikeTheCpu) {
  for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::maximum, BinaryOp::minimum, BinaryOp::pow,
                      BinaryOp::remainder}) {
    for (DType dtype : kIntegers) expect_binary_matches(op, dtype, 1, 120);
  }
  for (BinaryOp op : {BinaryOp::add, BinaryOp::mul, BinaryOp::maximum, BinaryOp::minimum}) {
    expect_binary_matches(op, DType::b8, 0, 1);
  }
}

TEST_P(CudaBinary, ComparisonsWriteBool) {
  for (BinaryOp op : kComparisons) {
    for (DType dtype : {DType::f32, DType::f16, DType::i64, DType::u8, DType::b8}) {
      expect_binary_matches(op, dtype, -1, 2);
    }
  }
}

TEST_P(CudaBinary, IntegerRemainderByZeroThrows) {
  const Tensor a = to_cuda(ops::from_vector<int64_t>({5, 7}, {2}));
  const Tensor b = to_cuda(ops::from_vector<int64_t>({2, 0}, {2}));
  const Tensor out = empty_on({2}, DType::i64, Device::cuda());
  EXPECT_THROW(cuda_backend().binary(BinaryOp::remainder, out, a, b), ValueError);
}

TEST_P(CudaBinary, WhereSelectsBitsOfEveryElementSize) {
  const Tensor cond = random_tensor({5, 8}, DType::b8, 41);
  for (DType dtype : {DType::f64, DType::f32, DType::bf16, DType::u8}) {
    const Tensor a = random_tensor({5, 8}, dtype, 42);
    const Tensor b_scalar = random_tensor({1, 1}, dtype, 43);
    const Tensor expected = empty_on({5, 8}, dtype, Device::cpu());
    cpu_backend().where(expected, cond, a, ops::expand(b_scalar, {5, 8}));
    const Tensor actual = empty_on({5, 8}, dtype, Device::cuda());
    cuda_backend().where(actual, to_cuda_noncontiguous(cond), to_cuda(a), ops::expand(to_cuda(b_scalar), {5, 8}));
    expect_tensors_near(actual, expected, 0, 0, name_of(dtype));
  }
}

TEST_P(CudaBinary, InPlaceOutputMayAliasAnInput) {
  const Tensor host = random_tensor({4, 4}, DType::f32, 44);
  const Tensor expected = ops::clone(host);
  cpu_backend().binary(BinaryOp::mul, expected, expected, host);
  const Tensor actual = to_cuda(host);
  cuda_backend().binary(BinaryOp::mul, actual, actual, to_cuda(host));
  expect_close(actual, expected);
}

MINI_CUDA_EVERY_ORDER(CudaBinary);

}  // namespace
}  // namespace mini::cuda
