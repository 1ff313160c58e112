#pragma once
// Softmax / log-softmax and their backward over contiguous (outer, n, inner).
//
//  - inner == 1, n <= kWarpRowLimit: one warp per row, lanes stride the row;
//    warp shuffles give every lane the max and the sum (no shared memory).
//  - inner == 1, longer rows: one block per row with block reductions.
//  - inner > 1: one thread per (outer, inner) column walking n; neighbouring
//    threads read neighbouring columns, so loads stay coalesced.
// Each reads a row three times (max, sum, write): for 4096x1024 f32 that is
// 48 MiB of traffic, ~16 us at 3 TB/s; rows of <= 1024 floats mostly hit L1/L2.
// Sums accumulate in compute_t (float for f32/f16/bf16).
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/geometry.cuh"
#include "cuda/kernels/math.cuh"

MINI_CUDA_BEGIN_NAMESPACE

inline constexpr int64_t kWarpRowLimit = 1024;
inline constexpr int kSoftmaxWarpsPerBlock = 4;

// Row softmax with a group of `width` threads (a warp, or a block) per row.
// max/sum reduce over the group; see softmax_rows_warp_kernel / _block_kernel.
template <typename T, typename Reduce>
MINI_DEVICE_INLINE void softmax_row(const T* x, T* y, int64_t n, bool log, unsigned rank, unsigned width,
                                    Reduce reduce) {
  using C = compute_t<T>;
  C max = -std::numeric_limits<C>::infinity();
  for (int64_t i = rank; i < n; i += width) max = Max{}(max, load(x[i]));
  max = reduce(max, Max{}, -std::numeric_limits<C>::infinity());
  C sum = 0;  // subtracting the row max keeps exp() from overflowing
  for (int64_t i = rank; i < n; i += width) sum += m_exp(load(x[i]) - max);
  sum = reduce(sum, Add{}, C(0));
  if (log) {
    const C shift = max + m_log(sum);
    for (int64_t i = rank; i < n; i += width) y[i] = store<T>(load(x[i]) - shift);
  } else {
    const C inverse = C(1) / sum;
    for (int64_t i = rank; i < n; i += width) y[i] = store<T>(m_exp(load(x[i]) - max) * inverse);
  }
}

// softmax: gi = y * (go - sum(go * y)); log-softmax: gi = go - exp(y) * sum(go).
template <typename T, typename Reduce>
MINI_DEVICE_INLINE void softmax_backward_row(const T* go, const T* y, T* gi, int64_t n, bool log, unsigned rank,
                                             unsigned width, Reduce reduce) {
  using C = compute_t<T>;
  C sum = 0;
  for (int64_t i = rank; i < n; i += width) sum += log ? load(go[i]) : load(go[i]) * load(y[i]);
  sum = reduce(sum, Add{}, C(0));
  for (int64_t i = rank; i < n; i += width) {
    const C g = load(go[i]), out = load(y[i]);
    gi[i] = store<T>(log ? g - m_exp(out) * sum : out * (g - sum));
  }
}

struct WarpReduce {
  template <typename C, typename Combine>
  MINI_DEVICE_INLINE C operator()(C value, Combine combine, C) const {
    return warp_all_reduce(value, combine);
  }
};

struct BlockReduce {
  template <typename C, typename Combine>
  MINI_DEVICE_INLINE C operator()(C value, Combine combine, C identity) const {
    return block_all_reduce(value, combine, identity);
  }
};

// Block of kSoftmaxWarpsPerBlock warps; rows are uniform per warp, so whole warps skip together.
template <typename T>
__global__ void softmax_rows_warp_kernel(const T* x, T* y, int64_t rows, int64_t n, bool log) {
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kSoftmaxWarpsPerBlock;
  for (int64_t row = blockIdx.x * kSoftmaxWarpsPerBlock + threadIdx.x / 32; row < rows; row += warps) {
    softmax_row(x + row * n, y + row * n, n, log, threadIdx.x % 32, 32, WarpReduce{});
  }
}

template <typename T>
__global__ void softmax_rows_block_kernel(const T* x, T* y, int64_t rows, int64_t n, bool log) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    softmax_row(x + row * n, y + row * n, n, log, threadIdx.x, blockDim.x, BlockReduce{});
  }
}

template <typename T>
__global__ void softmax_columns_kernel(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  using C = compute_t<T>;
  for (int64_t column = global_thread_index(); column < outer * inner; column += grid_thread_count()) {
    const int64_t base = column / inner * n * inner + column % inner;
    C max = -std::numeric_limits<C>::infinity(), sum = 0;
    for (int64_t r = 0; r < n; ++r) max = Max{}(max, load(x[base + r * inner]));
    for (int64_t r = 0; r < n; ++r) sum += m_exp(load(x[base + r * inner]) - max);
    const C scale = log ? max + m_log(sum) : C(1) / sum;
    for (int64_t r = 0; r < n; ++r) {
      const C value = load(x[base + r * inner]);
      y[base + r * inner] = store<T>(log ? value - scale : m_exp(value - max) * scale);
    }
  }
}

template <typename T>
__global__ void softmax_backward_rows_warp_kernel(const T* go, const T* y, T* gi, int64_t rows, int64_t n, bool log) {
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kSoftmaxWarpsPerBlock;
  for (int64_t row = blockIdx.x * kSoftmaxWarpsPerBlock + threadIdx.x / 32; row < rows; row += warps) {
    softmax_backward_row(go + row * n, y + row * n, gi + row * n, n, log, threadIdx.x % 32, 32, WarpReduce{});
  }
}

template <typename T>
__global__ void softmax_backward_rows_block_kernel(const T* go, const T* y, T* gi, int64_t rows, int64_t n, bool log) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    softmax_backward_row(go + row * n, y + row * n, gi + row * n, n, log, threadIdx.x, blockDim.x, BlockReduce{});
  }
}

template <typename T>
__global__ void softmax_backward_columns_kernel(const T* go, const T* y, T* gi, int64_t outer, int64_t n, int64_t inner,
                                                bool log) {
  using C = compute_t<T>;
  for (int64_t column = global_thread_index(); column < outer * inner; column += grid_thread_count()) {
    const int64_t base = column / inner * n * inner + column % inner;
    C sum = 0;
    for (int64_t r = 0; r < n; ++r) {
      const int64_t k = base + r * inner;
      sum += log ? load(go[k]) : load(go[k]) * load(y[k]);
    }
    for (int64_t r = 0; r < n; ++r) {
      const int64_t k = base + r * inner;
      const C g = load(go[k]), out = load(y[k]);
      gi[k] = store<T>(log ? g - m_exp(out) * sum : out * (g - sum));
    }
  }
}

MINI_CUDA_END_NAMESPACE
