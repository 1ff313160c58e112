// CUDA index_select, index_add, gather, scatter and nonzero; see cuda/kernels/index.cuh.
#include <vector>

#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

// Walks `walked`'s shape; strides of dst, src and index (any may be null: zeros).
// A 0-d walk becomes one element of rank 1.
IndexGeometry index_geometry(const Tensor& walked, int64_t dim, const Tensor* dst, const Tensor* src,
                             const Tensor* index) {
  MINI_CHECK(walked.dim() <= kMaxDims, "cuda indexing: tensors of more than {} dims are not supported, got {}",
             kMaxDims, shape_str(walked.sizes()));
  IndexGeometry g{};
  g.numel = walked.numel();
  if (walked.dim() == 0) {
    g.rank = 1;
    g.dim = 0;
    g.sizes[0] = 1;
    return g;
  }
  g.rank = static_cast<int32_t>(walked.dim());
  g.dim = static_cast<int32_t>(dim);
  for (int64_t d = 0; d < walked.dim(); ++d) {
    g.sizes[d] = walked.sizes()[d];
    g.dst_strides[d] = dst != nullptr && dst->dim() > 0 ? dst->strides()[d] : 0;
    g.src_strides[d] = src != nullptr && src->dim() > 0 ? src->strides()[d] : 0;
    g.index_strides[d] = index != nullptr && index->dim() > 0 ? index->strides()[d] : 0;
  }
  return g;
}

const int64_t* index_data(const Tensor& index) { return static_cast<const int64_t*>(index.data_ptr()); }

int64_t index_stride(const Tensor& index) { return index.dim() == 0 ? 0 : index.stride(0); }

}  // namespace

void CudaBackend::index_select(const Tensor& dst, const Tensor& src, int64_t dim, const Tensor& index) {
  if (dst.numel() == 0) return;
  launch_index_select(dst.element_size(), index_geometry(dst, dim, &dst, &src, nullptr), index_stride(index),
                      dst.data_ptr(), src.data_ptr(), index_data(index), stream());
}

void CudaBackend::index_add(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src) {
  if (src.numel() == 0) return;
  launch_index_add(kind_of(dst), index_geometry(src, dim, &dst, &src, nullptr), index_stride(index), dst.data_ptr(),
                   src.data_ptr(), index_data(index), stream());
}

void CudaBackend::gather(const Tensor& dst, const Tensor& src, int64_t dim, const Tensor& index) {
  if (dst.numel() == 0) return;
  launch_gather(dst.element_size(), index_geometry(dst, dim, &dst, &src, &index), dst.data_ptr(), src.data_ptr(),
                index_data(index), stream());
}

void CudaBackend::scatter(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src, ScatterMode mode) {
  if (index.numel() == 0) return;
  launch_scatter(kind_of(dst), mode == ScatterMode::add, index_geometry(index, dim, &dst, &src, &index), dst.data_ptr(),
                 src.data_ptr(), index_data(index), stream());
}

// Counts per chunk on the device, an exclusive scan of the (few) counts on
// the host, then each chunk writes its rows: the output size must be known on
// the host to allocate it, so this synchronises once.
Tensor CudaBackend::nonzero(const Tensor& mask) {
  MINI_ASSERT(mask.dtype() == DType::b8, "cuda nonzero: expected a bool mask, got {}", mask.dtype());
  MINI_CHECK(mask.dim() <= kMaxDims, "nonzero: tensors of more than {} dims are not supported, got {}", kMaxDims,
             shape_str(mask.sizes()));
  const int64_t rank = mask.dim();
  const int64_t numel = mask.numel();
  if (numel == 0) return empty({0, rank}, DType::i64);
  const Tensor flat = contiguous(mask);
  const int64_t chunks = nonzero_chunk_count(numel);
  Tensor counts = empty({chunks}, DType::i64);
  launch_nonzero_count(static_cast<const bool*>(flat.data_ptr()), numel, static_cast<int64_t*>(counts.data_ptr()),
                       stream());
  std::vector<int64_t> offsets(static_cast<size_t>(chunks));
  memcpy_async(offsets.data(), counts.data_ptr(), offsets.size() * sizeof(int64_t), CopyKind::device_to_host, stream());
  stream_synchronize(stream());
  int64_t total = 0;
  for (int64_t& offset : offsets) {
    const int64_t count = offset;
    offset = total;
    total += count;
  }
  Tensor result = empty({total, rank}, DType::i64);
  if (total == 0 || rank == 0) return result;
  memcpy_async(counts.data_ptr(), offsets.data(), offsets.size() * sizeof(int64_t), CopyKind::host_to_device, stream());
  Unravel shape{};
  shape.rank = static_cast<int32_t>(rank);
  for (int64_t d = 0; d < rank; ++d) shape.sizes[d] = mask.sizes()[d];
  launch_nonzero_write(static_cast<const bool*>(flat.data_ptr()), numel, static_cast<const int64_t*>(counts.data_ptr()),
                       shape, static_cast<int64_t*>(result.data_ptr()), stream());
  // `offsets` is host memory read by an asynchronous copy: keep it alive until the copy ran.
  stream_synchronize(stream());
  return result;
}

MINI_CUDA_END_NAMESPACE
