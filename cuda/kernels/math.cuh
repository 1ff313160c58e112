#pragma once
// float/double overloads of the libm functions kernels use. nvcc provides
// expf, exp, ... as device functions; under the emulator they are the C
// library's. One name per function keeps kernel templates free of
// `if constexpr (float)` branches.
#include <math.h>

#include "cuda/kernels/scalar.cuh"

MINI_CUDA_BEGIN_NAMESPACE

#define MINI_UNARY_MATH(name, float_fn, double_fn)               \
  MINI_KERNEL_INLINE float name(float x) { return float_fn(x); } \
  MINI_KERNEL_INLINE double name(double x) { return double_fn(x); }

MINI_UNARY_MATH(m_exp, expf, exp)
MINI_UNARY_MATH(m_log, logf, log)
MINI_UNARY_MATH(m_log1p, log1pf, log1p)
MINI_UNARY_MATH(m_expm1, expm1f, expm1)
MINI_UNARY_MATH(m_sqrt, sqrtf, sqrt)
MINI_UNARY_MATH(m_sin, sinf, sin)
MINI_UNARY_MATH(m_cos, cosf, cos)
MINI_UNARY_MATH(m_tanh, tanhf, tanh)
MINI_UNARY_MATH(m_erf, erff, erf)
MINI_UNARY_MATH(m_erfc, erfcf, erfc)
MINI_UNARY_MATH(m_floor, floorf, floor)
MINI_UNARY_MATH(m_ceil, ceilf, ceil)
MINI_UNARY_MATH(m_fabs, fabsf, fabs)
// Half to even, as torch.round (rint rounds in the default mode, which is to-nearest-even).
MINI_UNARY_MATH(m_round_even, rintf, rint)
#undef MINI_UNARY_MATH

MINI_KERNEL_INLINE float m_pow(float x, float y) { return powf(x, y); }
MINI_KERNEL_INLINE double m_pow(double x, double y) { return pow(x, y); }
MINI_KERNEL_INLINE float m_fmod(float x, float y) { return fmodf(x, y); }
MINI_KERNEL_INLINE double m_fmod(double x, double y) { return fmod(x, y); }

template <typename C>
MINI_KERNEL_INLINE bool m_isnan(C x) {
  if constexpr (std::is_floating_point_v<C>) {
    return x != x;
  } else {
    return false;
  }
}

template <typename C>
MINI_KERNEL_INLINE C m_sigmoid(C x) {
  return C(1) / (C(1) + m_exp(-x));
}

MINI_CUDA_END_NAMESPACE
