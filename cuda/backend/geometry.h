#pragma once
// Host-side launch layout for the backend: dtype codes and coalesced strided
// geometry (cuda/kernels/params.h) built from Tensors.
#include <array>

#include "cuda/kernels/params.h"
#include "tensor/tensor.h"

MINI_CUDA_BEGIN_NAMESPACE

// DType and ScalarKind list the same types in the same order (op_codes_check.cpp).
inline ScalarKind kind_of(DType dtype) { return static_cast<ScalarKind>(dtype); }
inline ScalarKind kind_of(const Tensor& tensor) { return kind_of(tensor.dtype()); }

// `sizes` with size-1 dims dropped and neighbouring dims merged wherever
// every operand (strides[j], in elements) is contiguous across them, so a
// contiguous or broadcast operation becomes rank 1. Keeps row-major order.
template <int N>
Strided<N> make_strided(const Shape& sizes, const std::array<const Shape*, N>& strides) {
  Strided<N> g{};
  g.numel = numel_of(sizes);
  int rank = 0;
  for (size_t d = 0; d < sizes.size(); ++d) {
    const int64_t size = sizes[d];
    if (size == 1) continue;
    bool merge = rank > 0;
    for (int j = 0; j < N && merge; ++j) merge = g.strides[j][rank - 1] == (*strides[j])[d] * size;
    if (merge) {
      g.sizes[rank - 1] *= size;
      for (int j = 0; j < N; ++j) g.strides[j][rank - 1] = (*strides[j])[d];
      continue;
    }
    MINI_CHECK(rank < kMaxDims, "cuda: shape {} has more than {} dims that cannot be merged; make it contiguous first",
               shape_str(sizes), kMaxDims);
    g.sizes[rank] = size;
    for (int j = 0; j < N; ++j) g.strides[j][rank] = (*strides[j])[d];
    ++rank;
  }
  if (rank == 0) {  // one element (or a 0-d tensor)
    g.sizes[0] = 1;
    rank = 1;
  }
  g.rank = rank;
  return g;
}

// The same for tensors of one shape (operands[0]'s).
template <int N>
Strided<N> make_strided(const std::array<const Tensor*, N>& operands) {
  std::array<const Shape*, N> strides;
  for (int j = 0; j < N; ++j) strides[j] = &operands[j]->strides();
  return make_strided<N>(operands[0]->sizes(), strides);
}

MINI_CUDA_END_NAMESPACE
