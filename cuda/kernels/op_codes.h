#pragma once
// The backend's enums (tensor/backend.h, tensor/dtype.h) mirrored for code
// compiled by nvcc, which cannot include those headers (they pull in fmt 9,
// which does not compile under nvcc -std=c++20). Same enumerators, same order:
// cuda/backend/op_codes_check.cpp static_asserts each one against the original.
#include <stdint.h>

#include "cuda/variant.h"

MINI_CUDA_BEGIN_NAMESPACE

// Laid out as in tensor/backend.h, for comparison.
// clang-format off
enum class ScalarKind : uint8_t { f32, f64, f16, bf16, i32, i64, b8, u8 };

enum class UnaryCode : uint8_t {
  neg, abs, sign, exp, log, log1p, expm1, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu,
  gelu_tanh, gelu_erf, silu, softplus, floor, ceil, round, reciprocal, square, erf,
  logical_not, clamp, pow_scalar, leaky_relu,
};

enum class BinaryCode : uint8_t {
  add, sub, mul, div, pow, maximum, minimum, remainder,
  eq, ne, lt, le, gt, ge, logical_and, logical_or, logical_xor,
  relu_backward, sigmoid_backward, tanh_backward, gelu_tanh_backward, gelu_erf_backward, silu_backward,
};

enum class ReduceCode : uint8_t { sum, prod, max, min, all, any };
// clang-format on

MINI_CUDA_END_NAMESPACE
