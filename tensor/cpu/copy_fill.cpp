// CPU copy (with casts), fill and arange.
#include <cstring>

#include "tensor/cpu/convert.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/strided_loop.h"

namespace mini::cpu {

void CpuBackend::copy(const Tensor& dst, const Tensor& src) {
  MINI_ASSERT(dst.sizes() == src.sizes(), "copy: shapes {} and {} differ", shape_str(dst.sizes()),
              shape_str(src.sizes()));
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    auto* out = static_cast<char*>(dst.data_ptr());
    const auto* in = static_cast<const char*>(src.data_ptr());
    if (out == in) return;
    const int64_t element = static_cast<int64_t>(dst.element_size());
    parallel_for(0, dst.numel(), kParallelGrain * 4, [&](int64_t begin, int64_t end) {
      std::memcpy(out + begin * element, in + begin * element, static_cast<size_t>((end - begin) * element));
    });
    return;
  }
  dispatch(dst.dtype(), [&]<typename To>() {
    dispatch(src.dtype(), [&]<typename From>() {
      for_each_element<2>({&dst, &src}, [](char* const* data, const int64_t* strides, int64_t n) {
        auto* out = reinterpret_cast<To*>(data[0]);
        const auto* in = reinterpret_cast<const From*>(data[1]);
        if (strides[0] == sizeof(To) && strides[1] == sizeof(From)) {
          for (int64_t i = 0; i < n; ++i) out[i] = convert<To>(in[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) {
            *reinterpret_cast<To*>(data[0] + i * strides[0]) =
                convert<To>(*reinterpret_cast<const From*>(data[1] + i * strides[1]));
          }
        }
      });
    });
  });
}

void CpuBackend::copy_from_cpu(const Tensor& dst, const Tensor& cpu_src) { copy(dst, cpu_src); }
void CpuBackend::copy_to_cpu(const Tensor& cpu_dst, const Tensor& src) { copy(cpu_dst, src); }

void CpuBackend::fill(const Tensor& dst, Scalar value) {
  dispatch(dst.dtype(), [&]<typename T>() {
    const T filler = value.is_floating() ? convert<T>(value.to_double()) : convert<T>(value.to_int());
    for_each_element<1>({&dst}, [filler](char* const* data, const int64_t* strides, int64_t n) {
      if (strides[0] == sizeof(T)) {
        std::fill_n(reinterpret_cast<T*>(data[0]), n, filler);
      } else {
        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(data[0] + i * strides[0]) = filler;
      }
    });
  });
}

void CpuBackend::arange(const Tensor& dst, double start, double step) {
  MINI_ASSERT(dst.dim() == 1, "arange: expected a 1-D output, got {}", shape_str(dst.sizes()));
  dispatch(dst.dtype(), [&]<typename T>() {
    auto* out = static_cast<T*>(dst.data_ptr());
    const int64_t stride = dst.stride(0);
    parallel_for(0, dst.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) out[i * stride] = convert<T>(start + static_cast<double>(i) * step);
    });
  });
}

}  // namespace mini::cpu
