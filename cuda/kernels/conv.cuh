#pragma once
// im2col and its adjoint col2im over (N, C, H, W) inputs.
//
// columns (N, C*kh*kw, oh*ow) is contiguous and laid out as
// (n, c, ki, kj, oy, ox), so im2col is one thread per column element (a
// gather, coalesced on the write side). col2im is one thread per input
// element, summing the columns that read it in (ki, kj) order, the CPU
// backend's order: no atomics, and the same rounding.
#include "cuda/kernels/geometry.cuh"

MINI_CUDA_BEGIN_NAMESPACE

template <typename T>
__global__ void im2col_kernel(ConvShape s, T* columns, const T* input, T pad_value) {
  const int64_t positions = s.out_h * s.out_w;
  const int64_t total = s.batch * s.channels * s.kernel_h * s.kernel_w * positions;
  for (int64_t i = global_thread_index(); i < total; i += grid_thread_count()) {
    const int64_t ox = i % s.out_w, oy = i / s.out_w % s.out_h;
    const int64_t window = i / positions;
    const int64_t kj = window % s.kernel_w, ki = window / s.kernel_w % s.kernel_h;
    const int64_t plane = window / (s.kernel_h * s.kernel_w);
    const int64_t c = plane % s.channels, n = plane / s.channels;
    const int64_t iy = oy * s.stride_h - s.pad_h + ki * s.dilation_h;
    const int64_t ix = ox * s.stride_w - s.pad_w + kj * s.dilation_w;
    const bool inside = iy >= 0 && iy < s.in_h && ix >= 0 && ix < s.in_w;
    columns[i] =
        inside
            ? input[n * s.input_strides[0] + c * s.input_strides[1] + iy * s.input_strides[2] + ix * s.input_strides[3]]
            : pad_value;
  }
}

template <typename T>
__global__ void col2im_kernel(ConvShape s, T* input_grad, const T* columns) {
  const int64_t positions = s.out_h * s.out_w;
  const int64_t total = s.batch * s.channels * s.in_h * s.in_w;
  for (int64_t i = global_thread_index(); i < total; i += grid_thread_count()) {
    const int64_t x = i % s.in_w, y = i / s.in_w % s.in_h, plane = i / (s.in_w * s.in_h);
    const int64_t c = plane % s.channels, n = plane / s.channels;
    T* target =
        input_grad + n * s.input_strides[0] + c * s.input_strides[1] + y * s.input_strides[2] + x * s.input_strides[3];
    compute_t<T> acc = load(*target);
    for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
      const int64_t oy_scaled = y + s.pad_h - ki * s.dilation_h;
      if (oy_scaled < 0 || oy_scaled % s.stride_h != 0 || oy_scaled / s.stride_h >= s.out_h) continue;
      const int64_t oy = oy_scaled / s.stride_h;
      for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
        const int64_t ox_scaled = x + s.pad_w - kj * s.dilation_w;
        if (ox_scaled < 0 || ox_scaled % s.stride_w != 0 || ox_scaled / s.stride_w >= s.out_w) continue;
        const int64_t ox = ox_scaled / s.stride_w;
        acc += load(columns[((plane * s.kernel_h + ki) * s.kernel_w + kj) * positions + oy * s.out_w + ox]);
      }
    }
    *target = store<T>(acc);
  }
}

MINI_CUDA_END_NAMESPACE
