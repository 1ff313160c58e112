#pragma once
// Host-side launch layout for the backend: dtype codes and coalesced strided
// geometry (cuda/kernels/params.h) built from Tensors.
#include <array>

#include "cuda/kernels/params.h"
#include "tensor/backend.h"
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

// The kernel-side shape of a convolution or pooling window over `image`
// (N, C, ., .) with its strides; in_h/in_w are the extent the kernels walk:
// the geometry's for conv, the image's own for pooling (whose geometry
// includes ceil_mode's overhang, which the pooling kernel skips like padding).
inline ConvShape conv_shape(const Tensor& image, const ConvGeometry& geometry, int64_t in_h, int64_t in_w) {
  ConvShape s{};
  s.batch = image.size(0);
  s.channels = image.size(1);
  s.in_h = in_h;
  s.in_w = in_w;
  s.kernel_h = geometry.kernel_h;
  s.kernel_w = geometry.kernel_w;
  s.stride_h = geometry.stride_h;
  s.stride_w = geometry.stride_w;
  s.pad_h = geometry.pad_h;
  s.pad_w = geometry.pad_w;
  s.dilation_h = geometry.dilation_h;
  s.dilation_w = geometry.dilation_w;
  s.out_h = geometry.out_h();
  s.out_w = geometry.out_w();
  for (int d = 0; d < 4; ++d) s.input_strides[d] = image.stride(d);
  return s;
}

MINI_CUDA_END_NAMESPACE
