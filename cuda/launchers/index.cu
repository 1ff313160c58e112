// Launchers for the indexing kernels (cuda/kernels/index.cuh).
#include "cuda/kernels/index.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE

void launch_index_select(size_t element_size, const IndexGeometry& g, int64_t index_stride, void* dst, const void* src,
                         const int64_t* index, StreamHandle stream) {
  dispatch_bits(element_size, [&](auto tag) {
    using Bits = typename decltype(tag)::type;
    launch(index_select_kernel<Bits>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g, index_stride,
           static_cast<Bits*>(dst), static_cast<const Bits*>(src), index);
  });
}

void launch_index_add(ScalarKind kind, const IndexGeometry& g, int64_t index_stride, void* dst, const void* src,
                      const int64_t* index, StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(index_add_kernel<T>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g, index_stride,
           static_cast<T*>(dst), static_cast<const T*>(src), index);
  });
}

void launch_gather(size_t element_size, const IndexGeometry& g, void* dst, const void* src, const int64_t* index,
                   StreamHandle stream) {
  dispatch_bits(element_size, [&](auto tag) {
    using Bits = typename decltype(tag)::type;
    launch(gather_kernel<Bits>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g,
           static_cast<Bits*>(dst), static_cast<const Bits*>(src), index);
  });
}

void launch_scatter(ScalarKind kind, bool add, const IndexGeometry& g, void* dst, const void* src, const int64_t* index,
                    StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (add) {
      launch(scatter_add_kernel<T>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g,
             static_cast<T*>(dst), static_cast<const T*>(src), index);
    } else {
      const int64_t count = g.sizes[g.dim];
      const int64_t lines = count == 0 ? 0 : g.numel / count;
      launch(scatter_assign_kernel<T>, grid_for(lines), dim3(kBlockThreads), 0, as_stream(stream), g,
             static_cast<T*>(dst), static_cast<const T*>(src), index);
    }
  });
}

int64_t nonzero_chunk_count(int64_t numel) { return (numel + kNonzeroChunk - 1) / kNonzeroChunk; }

void launch_nonzero_count(const bool* mask, int64_t numel, int64_t* chunk_counts, StreamHandle stream) {
  launch(nonzero_count_kernel, dim3(static_cast<unsigned>(nonzero_chunk_count(numel))), dim3(kNonzeroThreads), 0,
         as_stream(stream), mask, numel, chunk_counts);
}

void launch_nonzero_write(const bool* mask, int64_t numel, const int64_t* chunk_offsets, const Unravel& shape,
                          int64_t* rows, StreamHandle stream) {
  launch(nonzero_write_kernel, dim3(static_cast<unsigned>(nonzero_chunk_count(numel))), dim3(kNonzeroThreads), 0,
         as_stream(stream), mask, numel, chunk_offsets, shape, rows);
}

MINI_CUDA_END_NAMESPACE
