// CUDA batched matmul: cuBLAS on a GPU where the layout allows it
// (cublas_matmul.cpp), otherwise (and always in the emulator, or with
// MINI_CUDA_CUBLAS=0) the tiled GEMM kernel of cuda/kernels/gemm.cuh, which
// reads any strides directly.
#include "cuda/backend/cublas_matmul.h"
#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE

void CudaBackend::matmul(const Tensor& dst, const Tensor& a, const Tensor& b) {
  const int64_t rank = dst.dim();
  MINI_ASSERT(rank >= 2 && a.dim() == rank && b.dim() == rank, "cuda matmul: ranks {} {} {}", dst.dim(), a.dim(),
              b.dim());
  MINI_ASSERT(a.dtype() == dst.dtype() && b.dtype() == dst.dtype(), "cuda matmul: mixed dtypes");
  MINI_CHECK(dst.dtype() != DType::b8, "matmul: not supported for dtype {}", dst.dtype());
  MatmulGeometry g{};
  g.m = dst.size(rank - 2);
  g.n = dst.size(rank - 1);
  g.k = a.size(rank - 1);
  MINI_ASSERT(a.size(rank - 2) == g.m && b.size(rank - 2) == g.k && b.size(rank - 1) == g.n,
              "cuda matmul: {} @ {} -> {}", shape_str(a.sizes()), shape_str(b.sizes()), shape_str(dst.sizes()));
  if (dst.numel() == 0) return;
  g.a_row = a.stride(rank - 2);
  g.a_col = a.stride(rank - 1);
  g.b_row = b.stride(rank - 2);
  g.b_col = b.stride(rank - 1);
  g.c_row = dst.stride(rank - 2);
  g.c_col = dst.stride(rank - 1);
  // Batch offsets from the leading dims (broadcast ones have stride 0).
  auto leading = [](const Shape& shape) { return Shape(shape.begin(), shape.end() - 2); };
  const Shape batch_sizes = leading(dst.sizes());
  const Shape dst_strides = leading(dst.strides()), a_strides = leading(a.strides()), b_strides = leading(b.strides());
  g.batch = make_strided<3>(batch_sizes, {&dst_strides, &a_strides, &b_strides});
  if (cublas_matmul(index_, kind_of(dst), g, dst.data_ptr(), a.data_ptr(), b.data_ptr(), stream())) return;
  launch_matmul(kind_of(dst), g, dst.data_ptr(), a.data_ptr(), b.data_ptr(), stream());
}

MINI_CUDA_END_NAMESPACE
