// CUDA copy (with casts), host <-> device transfers, fill and arange.
#include <cstring>

#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"
#include "tensor/cpu/convert.h"

MINI_CUDA_BEGIN_NAMESPACE

void CudaBackend::copy(const Tensor& dst, const Tensor& src) {
  MINI_ASSERT(dst.sizes() == src.sizes(), "cuda copy: shapes {} and {} differ", shape_str(dst.sizes()),
              shape_str(src.sizes()));
  if (dst.numel() == 0) return;
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    if (dst.data_ptr() != src.data_ptr()) {
      memcpy_async(dst.data_ptr(), src.data_ptr(), static_cast<size_t>(dst.numel()) * dst.element_size(),
                   CopyKind::device_to_device, stream());
    }
    return;
  }
  launch_copy(kind_of(dst), kind_of(src), make_strided<2>({&dst, &src}), dst.data_ptr(), src.data_ptr(), stream());
}

void CudaBackend::copy_from_cpu(const Tensor& dst, const Tensor& cpu_src) {
  MINI_ASSERT(dst.is_contiguous() && cpu_src.is_contiguous() && dst.dtype() == cpu_src.dtype() &&
                  dst.numel() == cpu_src.numel() && cpu_src.device().is_cpu(),
              "cuda copy_from_cpu: expected contiguous tensors of one dtype and size, got {} {} and {} {}",
              shape_str(dst.sizes()), dst.dtype(), shape_str(cpu_src.sizes()), cpu_src.dtype());
  if (dst.numel() == 0) return;
  memcpy_async(dst.data_ptr(), cpu_src.data_ptr(), static_cast<size_t>(dst.numel()) * dst.element_size(),
               CopyKind::host_to_device, stream());
}

void CudaBackend::copy_to_cpu(const Tensor& cpu_dst, const Tensor& src) {
  MINI_ASSERT(src.is_contiguous() && cpu_dst.is_contiguous() && src.dtype() == cpu_dst.dtype() &&
                  src.numel() == cpu_dst.numel() && cpu_dst.device().is_cpu(),
              "cuda copy_to_cpu: expected contiguous tensors of one dtype and size, got {} {} and {} {}",
              shape_str(cpu_dst.sizes()), cpu_dst.dtype(), shape_str(src.sizes()), src.dtype());
  if (src.numel() == 0) return;
  const StreamHandle s = stream();
  memcpy_async(cpu_dst.data_ptr(), src.data_ptr(), static_cast<size_t>(src.numel()) * src.element_size(),
               CopyKind::device_to_host, s);
  stream_synchronize(s);  // the host reads the data next
}

void CudaBackend::fill(const Tensor& dst, Scalar value) {
  if (dst.numel() == 0) return;
  // The value is converted on the host, exactly as the CPU backend converts it.
  uint64_t bits = 0;
  dispatch(dst.dtype(), [&]<typename T>() {
    const T filler = value.is_floating() ? cpu::convert<T>(value.to_double()) : cpu::convert<T>(value.to_int());
    std::memcpy(&bits, &filler, sizeof(T));
  });
  launch_fill(dst.element_size(), make_strided<1>({&dst}), dst.data_ptr(), bits, stream());
}

void CudaBackend::arange(const Tensor& dst, double start, double step) {
  MINI_ASSERT(dst.dim() == 1, "cuda arange: expected a 1-D output, got {}", shape_str(dst.sizes()));
  if (dst.numel() == 0) return;
  launch_arange(kind_of(dst), dst.data_ptr(), dst.stride(0), dst.numel(), start, step, stream());
}

MINI_CUDA_END_NAMESPACE
