#pragma once
// Indexing kernels: index_select, index_add, gather, scatter, nonzero.
//
// The frontend has checked every index. Each kernel walks one tensor's shape
// (IndexGeometry.sizes, uncoalesced: `dim` must stay a dim of its own) and
// replaces the coordinate along `dim` by the looked-up index for one operand.
#include "cuda/kernels/atomic_add.cuh"
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/geometry.cuh"

MINI_CUDA_BEGIN_NAMESPACE

// Offsets of flat position `flat` in sizes; the coordinate along dim is returned too.
struct IndexPosition {
  int64_t dst, src, index, along_dim;
};

MINI_DEVICE_INLINE IndexPosition position_of(const IndexGeometry& g, int64_t flat) {
  IndexPosition p{0, 0, 0, 0};
  for (int d = g.rank - 1; d >= 0; --d) {
    const int64_t coordinate = flat % g.sizes[d];
    flat /= g.sizes[d];
    if (d == g.dim) {
      p.along_dim = coordinate;
      p.index += coordinate * g.index_strides[d];
      continue;  // the caller adds dst/src along dim
    }
    p.dst += coordinate * g.dst_strides[d];
    p.src += coordinate * g.src_strides[d];
    p.index += coordinate * g.index_strides[d];
  }
  return p;
}

// Walks dst: dst.select(dim, k) = src.select(dim, index[k]). Bits: element-size unsigned.
template <typename Bits>
__global__ void index_select_kernel(IndexGeometry g, int64_t index_stride, Bits* dst, const Bits* src,
                                    const int64_t* index) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const IndexPosition p = position_of(g, i);
    dst[p.dst + p.along_dim * g.dst_strides[g.dim]] =
        src[p.src + index[p.along_dim * index_stride] * g.src_strides[g.dim]];
  }
}

// Walks src: dst.select(dim, index[k]) += src.select(dim, k); duplicates add up atomically.
template <typename T>
__global__ void index_add_kernel(IndexGeometry g, int64_t index_stride, T* dst, const T* src, const int64_t* index) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const IndexPosition p = position_of(g, i);
    atomic_add(dst + p.dst + index[p.along_dim * index_stride] * g.dst_strides[g.dim],
               load(src[p.src + p.along_dim * g.src_strides[g.dim]]));
  }
}

// Walks dst (index has dst's shape): dst[.., j, ..] = src[.., index[.., j, ..], ..].
template <typename Bits>
__global__ void gather_kernel(IndexGeometry g, Bits* dst, const Bits* src, const int64_t* index) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const IndexPosition p = position_of(g, i);
    dst[p.dst + p.along_dim * g.dst_strides[g.dim]] = src[p.src + index[p.index] * g.src_strides[g.dim]];
  }
}

// Walks index (src restricted to index's shape): dst[.., index[.., j, ..], ..] += src[.., j, ..].
template <typename T>
__global__ void scatter_add_kernel(IndexGeometry g, T* dst, const T* src, const int64_t* index) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const IndexPosition p = position_of(g, i);
    atomic_add(dst + p.dst + index[p.index] * g.dst_strides[g.dim],
               load(src[p.src + p.along_dim * g.src_strides[g.dim]]));
  }
}

// Assignment: one thread per position of index with dim removed, walking
// dim in order, so with duplicate indices the last write wins exactly as on
// the CPU (threads never share a dst element: they differ in another coordinate).
template <typename Bits>
__global__ void scatter_assign_kernel(IndexGeometry g, Bits* dst, const Bits* src, const int64_t* index) {
  const int64_t count = g.sizes[g.dim];
  const int64_t lines = count == 0 ? 0 : g.numel / count;
  for (int64_t line = global_thread_index(); line < lines; line += grid_thread_count()) {
    // Position of the line's first element: expand `line` over sizes with dim's extent 1.
    IndexPosition p{0, 0, 0, 0};
    int64_t rest = line;
    for (int d = g.rank - 1; d >= 0; --d) {
      if (d == g.dim) continue;
      const int64_t coordinate = rest % g.sizes[d];
      rest /= g.sizes[d];
      p.dst += coordinate * g.dst_strides[d];
      p.src += coordinate * g.src_strides[d];
      p.index += coordinate * g.index_strides[d];
    }
    for (int64_t k = 0; k < count; ++k) {
      dst[p.dst + index[p.index + k * g.index_strides[g.dim]] * g.dst_strides[g.dim]] =
          src[p.src + k * g.src_strides[g.dim]];
    }
  }
}

// ---- nonzero ---------------------------------------------------------------
// Two passes over a contiguous mask in chunks of kNonzeroChunk elements, one
// block per chunk: count each chunk's true elements, then (after an exclusive
// scan of the counts on the host) each block writes its rows in order, using a
// ballot + popcount prefix inside each warp and a scan of warp totals per tile.
inline constexpr int kNonzeroThreads = 256;
inline constexpr int64_t kNonzeroChunk = 16 * kNonzeroThreads;

__global__ static void nonzero_count_kernel(const bool* mask, int64_t numel, int64_t* chunk_counts) {
  const int64_t begin = static_cast<int64_t>(blockIdx.x) * kNonzeroChunk;
  const int64_t end = begin + kNonzeroChunk < numel ? begin + kNonzeroChunk : numel;
  int64_t count = 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) count += mask[i] ? 1 : 0;
  count = block_all_reduce(count, Add{}, int64_t(0));
  if (threadIdx.x == 0) chunk_counts[blockIdx.x] = count;
}

__global__ static void nonzero_write_kernel(const bool* mask, int64_t numel, const int64_t* chunk_offsets,
                                            Unravel shape, int64_t* rows) {
  __shared__ int64_t warp_counts[kNonzeroThreads / 32];
  const int64_t begin = static_cast<int64_t>(blockIdx.x) * kNonzeroChunk;
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int64_t next_row = chunk_offsets[blockIdx.x];
  for (int64_t tile = begin; tile < begin + kNonzeroChunk; tile += kNonzeroThreads) {
    const int64_t i = tile + threadIdx.x;
    const bool set = i < numel && mask[i];
    const unsigned votes = __ballot_sync(kFullWarp, set);
    __syncthreads();  // warp_counts of the previous tile have been read
    if (lane == 0) warp_counts[warp] = __popc(votes);
    __syncthreads();
    int64_t before = 0, tile_total = 0;
    for (unsigned w = 0; w < kNonzeroThreads / 32; ++w) {
      before += w < warp ? warp_counts[w] : 0;
      tile_total += warp_counts[w];
    }
    if (set) {
      int64_t* row = rows + (next_row + before + __popc(votes & ((1u << lane) - 1u))) * shape.rank;
      int64_t rest = i;
      for (int d = shape.rank - 1; d >= 0; --d) {
        row[d] = rest % shape.sizes[d];
        rest /= shape.sizes[d];
      }
    }
    next_row += tile_total;
  }
}

MINI_CUDA_END_NAMESPACE
