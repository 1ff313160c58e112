// CudaBackend's shared helpers: its stream, temporaries, synchronisation.
#include "cuda/backend/cuda_backend.h"
#include "cuda/runtime/device_api.h"
#include "tensor/ops/factory.h"

MINI_CUDA_BEGIN_NAMESPACE

StreamHandle CudaBackend::stream() const {
#if !defined(MINI_CUDA_EMULATED)
  set_device(index_);
#endif
  return current_stream(index_);
}

Tensor CudaBackend::empty(const Shape& sizes, DType dtype) const {
  return ops::empty(sizes, {.dtype = dtype, .device = device()});
}

Tensor CudaBackend::contiguous(const Tensor& tensor) {
  if (!tensor.defined() || tensor.is_contiguous()) return tensor;
  Tensor copy_of = empty(tensor.sizes(), tensor.dtype());
  copy(copy_of, tensor);
  return copy_of;
}

void CudaBackend::synchronize() { stream_synchronize(stream()); }

MINI_CUDA_END_NAMESPACE
