#pragma once
// Warp- and block-wide reductions: a butterfly of __shfl_xor_sync inside each
// warp (every lane ends with the result), then one slot per warp in shared
// memory that every thread folds in the same order, so all threads get the
// same value without a second round of shuffles. Blocks are multiples of 32.
#include "cuda/kernels/scalar.cuh"

MINI_CUDA_BEGIN_NAMESPACE

inline constexpr unsigned kFullWarp = 0xffffffffu;

template <typename T>
MINI_DEVICE_INLINE T shuffle_xor(T value, int lane_mask) {
  if constexpr (std::is_same_v<T, bool>) {
    return __shfl_xor_sync(kFullWarp, static_cast<int>(value), lane_mask) != 0;
  } else if constexpr (std::is_integral_v<T> && sizeof(T) < 4) {
    return static_cast<T>(__shfl_xor_sync(kFullWarp, static_cast<int>(value), lane_mask));
  } else if constexpr (std::is_same_v<T, long> || std::is_same_v<T, unsigned long>) {
    // The 64-bit integer overloads are spelled long long.
    using Wide = std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>;
    return static_cast<T>(__shfl_xor_sync(kFullWarp, static_cast<Wide>(value), lane_mask));
  } else {
    return __shfl_xor_sync(kFullWarp, value, lane_mask);
  }
}

template <typename T, typename Combine>
MINI_DEVICE_INLINE T warp_all_reduce(T value, Combine combine) {
  for (int lane_mask = 16; lane_mask > 0; lane_mask /= 2) value = combine(value, shuffle_xor(value, lane_mask));
  return value;
}

// Every thread of the block must call this (it has barriers); every thread gets the result.
template <typename T, typename Combine>
MINI_DEVICE_INLINE T block_all_reduce(T value, Combine combine, T identity) {
  __shared__ T warp_totals[32];
  value = warp_all_reduce(value, combine);
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // a previous call may still be reading warp_totals
  if (lane == 0) warp_totals[warp] = value;
  __syncthreads();
  T total = identity;
  for (unsigned w = 0; w < blockDim.x / 32; ++w) total = combine(total, warp_totals[w]);
  return total;
}

struct Add {
  template <typename T>
  MINI_DEVICE_INLINE T operator()(T a, T b) const {
    return a + b;
  }
};

// Ignores NaN, like the CPU softmax's row max (a NaN row still comes out NaN through the sum).
struct Max {
  template <typename T>
  MINI_DEVICE_INLINE T operator()(T a, T b) const {
    return b > a ? b : a;
  }
};

MINI_CUDA_END_NAMESPACE
