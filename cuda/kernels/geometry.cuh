#pragma once
// Strided iteration for kernels: the element offsets of N operands that share
// one shape, from a flat row-major position.
//
// The host coalesces shapes first (cuda/backend/geometry.h: size-1 dims
// dropped, dims merged where every operand is contiguous across them), so the
// common contiguous and broadcast cases arrive with rank 1 and cost one
// multiply per operand instead of a division per dim.
#include <stdint.h>

#include "cuda/kernels/params.h"
#include "cuda/kernels/scalar.cuh"

MINI_CUDA_BEGIN_NAMESPACE

template <int N>
struct Offsets {
  int64_t at[N];
};

template <int N>
MINI_KERNEL_INLINE Offsets<N> offsets_of(const Strided<N>& g, int64_t flat) {
  Offsets<N> result;
  for (int j = 0; j < N; ++j) result.at[j] = 0;
  if (g.rank == 1) {
    for (int j = 0; j < N; ++j) result.at[j] = flat * g.strides[j][0];
    return result;
  }
  for (int d = g.rank - 1; d >= 0; --d) {
    const int64_t size = g.sizes[d];
    const int64_t index = flat % size;
    flat /= size;
    for (int j = 0; j < N; ++j) result.at[j] += index * g.strides[j][d];
  }
  return result;
}

// Grid-stride loops: the grid is capped (see launch geometry in the
// launchers), so each thread may handle several elements.
MINI_DEVICE_INLINE int64_t global_thread_index() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
MINI_DEVICE_INLINE int64_t grid_thread_count() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

MINI_CUDA_END_NAMESPACE
