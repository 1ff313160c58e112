// CUDA Philox fills: the same numbers as the CPU backend (NOTE [ Random number
// formula ] in tensor/cpu/random.cpp); see cuda/kernels/random.cuh.
#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE

void CudaBackend::random_uniform(const Tensor& dst, RandomState state, double low, double high) {
  MINI_CHECK(is_floating(dst.dtype()), "random_uniform: expected a floating-point tensor, got {}", dst.dtype());
  if (dst.numel() == 0) return;
  launch_random_uniform(kind_of(dst), make_strided<1>({&dst}), dst.data_ptr(), state.seed, state.offset, low, high,
                        stream());
}

void CudaBackend::random_normal(const Tensor& dst, RandomState state, double mean, double std) {
  MINI_CHECK(is_floating(dst.dtype()), "random_normal: expected a floating-point tensor, got {}", dst.dtype());
  if (dst.numel() == 0) return;
  launch_random_normal(kind_of(dst), make_strided<1>({&dst}), dst.data_ptr(), state.seed, state.offset, mean, std,
                       stream());
}

MINI_CUDA_END_NAMESPACE
