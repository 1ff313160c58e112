#pragma once
// Kernels for the emulator's tests, written as production kernels are: one
// source for nvcc and g++ (the nvcc build compiles this header too, see
// nvcc_compile_check.cu). Kernels in headers are templates, never plain
// functions (those would be defined once per including translation unit).

#include "cuda/emu/simt.h"

namespace mini::cuda::test_kernels {

// out[i] = a[i] + b[i] over a 1-D grid whose last block runs past n.
template <typename T>
__global__ void vector_add(const T* a, const T* b, T* out, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) out[i] = a[i] + b[i];
}

// Writes every thread's global (x, y, z) as x + 1000 * y + 1000000 * z into a
// (depth, height, width) array, so tests can check 2-D and 3-D index math.
template <typename T>
__global__ void write_coordinates(T* out, int width, int height, int depth) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  const int z = static_cast<int>(blockIdx.z * blockDim.z + threadIdx.z);
  if (x < width && y < height && z < depth)
    out[(z * height + y) * width + x] = static_cast<T>(x + 1000 * y + 1000000 * z);
}

// in: (rows, cols) -> out: (cols, rows), through a 32x33 shared tile (the extra
// column keeps a column read from hitting one bank 32 times on a GPU).
// Launch with block (32, 8): each thread moves 4 elements.
template <typename T>
__global__ void transpose(const T* in, T* out, int rows, int cols) {
  __shared__ T tile[32][33];
  const int col = static_cast<int>(blockIdx.x * 32 + threadIdx.x);
  for (int r = static_cast<int>(threadIdx.y); r < 32; r += 8) {
    const int row = static_cast<int>(blockIdx.y * 32) + r;
    if (row < rows && col < cols) tile[r][threadIdx.x] = in[row * cols + col];
  }
  __syncthreads();
  const int out_col = static_cast<int>(blockIdx.y * 32 + threadIdx.x);
  for (int r = static_cast<int>(threadIdx.y); r < 32; r += 8) {
    const int out_row = static_cast<int>(blockIdx.x * 32) + r;
    if (out_row < cols && out_col < rows) out[out_row * rows + out_col] = tile[threadIdx.x][r];
  }
}

// block_sums[b] = sum of in[] over block b, by a tree in static shared memory.
template <typename T, int BlockSize>
__global__ void block_sum(const T* in, T* block_sums, int n) {
  __shared__ T partial[BlockSize];
  const int i = static_cast<int>(blockIdx.x * BlockSize + threadIdx.x);
  partial[threadIdx.x] = i < n ? in[i] : T(0);
  __syncthreads();
  for (int stride = BlockSize / 2; stride > 0; stride /= 2) {
    if (static_cast<int>(threadIdx.x) < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) block_sums[blockIdx.x] = partial[0];
}

// out[i] = in[i - 1] within a block (0 for the first thread), staged through
// dynamic shared memory. Without the barrier, each thread reads its left
// neighbour's slot whether or not that neighbour has written it yet.
template <typename T, bool WithBarrier>
__global__ void shift_right_in_block(const T* in, T* out) {
  MINI_DYNAMIC_SHARED(T, staged);
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  staged[threadIdx.x] = in[i];
  if (WithBarrier) __syncthreads();
  out[i] = threadIdx.x > 0 ? staged[threadIdx.x - 1] : T(0);
}

// Reverses each block's slice of in[] through dynamic shared memory.
template <typename T>
__global__ void reverse_each_block(const T* in, T* out) {
  MINI_DYNAMIC_SHARED(T, tile);
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  tile[threadIdx.x] = in[i];
  __syncthreads();
  out[i] = tile[blockDim.x - 1 - threadIdx.x];
}

// Writes one element past the launch's dynamic shared memory: ASan must see it.
template <typename T>
__global__ void overrun_dynamic_shared(T* out) {
  MINI_DYNAMIC_SHARED(T, tile);
  tile[blockDim.x] = T(1);
  out[threadIdx.x] = tile[blockDim.x];
}

// warp_sums[w] = sum of in[] over warp w, by __shfl_down_sync (lane 0 has it).
template <typename T>
__global__ void warp_sum_down(const T* in, T* warp_sums) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  T value = in[i];
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_down_sync(0xffffffffu, value, offset);
  if (threadIdx.x % 32 == 0) warp_sums[i / 32] = value;
}

// out[i] = sum over i's warp, by the __shfl_xor_sync butterfly (every lane has it).
template <typename T>
__global__ void warp_sum_xor(const T* in, T* out) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  T value = in[i];
  for (int mask = 16; mask > 0; mask /= 2) value += __shfl_xor_sync(0xffffffffu, value, mask);
  out[i] = value;
}

// out[i] = inclusive prefix sum of in[] within segments of `width` lanes, by
// __shfl_up_sync (lanes near a segment's start keep their own value).
template <typename T>
__global__ void segment_inclusive_scan(const T* in, T* out, int width) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  const int lane_in_segment = static_cast<int>(threadIdx.x % 32) % width;
  T value = in[i];
  for (int delta = 1; delta < width; delta *= 2) {
    const T from_left = __shfl_up_sync(0xffffffffu, value, delta, width);
    if (lane_in_segment >= delta) value += from_left;
  }
  out[i] = value;
}

// out[i] = in[] of lane (lane + rotation) % 32 in the same warp, by __shfl_sync.
template <typename T>
__global__ void rotate_warp(const T* in, T* out, int rotation) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  const int lane = static_cast<int>(threadIdx.x % 32);
  out[i] = __shfl_sync(0xffffffffu, in[i], lane + rotation);
}

// Per warp: votes[3w] = ballot of in > 0, votes[3w+1] = any, votes[3w+2] = all.
template <typename T>
__global__ void warp_votes(const T* in, unsigned* votes) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  const int positive = in[i] > T(0);
  const unsigned ballot = __ballot_sync(0xffffffffu, positive);
  const int any = __any_sync(0xffffffffu, positive);
  const int all = __all_sync(0xffffffffu, positive);
  if (threadIdx.x % 32 == 0) {
    votes[3 * (i / 32)] = ballot;
    votes[3 * (i / 32) + 1] = static_cast<unsigned>(any);
    votes[3 * (i / 32) + 2] = static_cast<unsigned>(all);
  }
}

// counts[b] += 1 and weight_sums[b] += weights[i] for bin b = bins_of[i]; each
// block first counts in shared memory, then merges into global memory.
template <int Bins>
__global__ void histogram(const int* bins_of, const float* weights, int n, int* counts, float* weight_sums) {
  __shared__ int block_counts[Bins];
  for (int b = static_cast<int>(threadIdx.x); b < Bins; b += static_cast<int>(blockDim.x)) block_counts[b] = 0;
  __syncthreads();
  for (int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); i < n;
       i += static_cast<int>(gridDim.x * blockDim.x)) {
    atomicAdd(&block_counts[bins_of[i]], 1);
    atomicAdd(&weight_sums[bins_of[i]], weights[i]);
  }
  __syncthreads();
  for (int b = static_cast<int>(threadIdx.x); b < Bins; b += static_cast<int>(blockDim.x)) {
    atomicAdd(&counts[b], block_counts[b]);
  }
}

// stats = {max, min, number of threads, last thread to write}, over in[0..n).
template <typename T>
__global__ void atomic_statistics(const T* in, int n, T* max_out, T* min_out, unsigned long long* count,
                                  int* last_writer, double* total) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i >= n) return;
  atomicMax(max_out, in[i]);
  atomicMin(min_out, in[i]);
  atomicAdd(count, 1ull);
  atomicExch(last_writer, i);
  atomicAdd(total, static_cast<double>(in[i]));
}

// Every thread increments *counter through an atomicCAS retry loop.
template <typename T>
__global__ void cas_increment(T* counter) {
  T seen = T(0);  // any guess works: a failed CAS returns the real value
  for (;;) {
    const T previous = atomicCAS(counter, seen, seen + 1);
    if (previous == seen) break;
    seen = previous;
  }
}

// ---- kernels with synchronisation bugs, for the emulator's checks ---------

// Threads of one block reach two different __syncthreads().
template <typename T>
__global__ void divergent_barrier(T* out) {
  if (threadIdx.x < 16) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = T(1);
}

// Threads past the data return early, skipping a barrier the others wait at.
template <typename T>
__global__ void early_return_before_barrier(const T* in, T* out, int n) {
  const int i = static_cast<int>(threadIdx.x);
  if (i >= n) return;
  out[i] = in[i];
  __syncthreads();
  out[i] += in[(i + 1) % n];
}

// Half the warp shuffles down while the other half shuffles xor.
template <typename T>
__global__ void divergent_shuffles(T* out) {
  T value = static_cast<T>(threadIdx.x);
  if (threadIdx.x < 16) {
    value = __shfl_down_sync(0xffffffffu, value, 1);
  } else {
    value = __shfl_xor_sync(0xffffffffu, value, 1);
  }
  out[threadIdx.x] = value;
}

// Lane 0 waits at a block barrier that needs the other lanes, while they wait
// in a shuffle that needs lane 0: neither can finish.
template <typename T>
__global__ void barrier_shuffle_deadlock(T* out) {
  T value = static_cast<T>(threadIdx.x);
  if (threadIdx.x == 0) {
    __syncthreads();
  } else {
    value = __shfl_sync(0xffffffffu, value, 0);
  }
  out[threadIdx.x] = value;
}

}  // namespace mini::cuda::test_kernels
