#pragma once
// max_pool2d and its backward (Backend::max_pool2d, tensor/backend.h).
//
// Forward: one thread per output element, walking its window row by row in
// the input's own strides: a later element wins only if it is greater, or NaN
// while the best so far is not (so ties keep the first and NaN wins); padding
// and ceil_mode's overhang are skipped, never candidates. The CPU backend's
// rules and order, so values and indices match it exactly.
//
// Backward: the backward has no window geometry (only grad_out and the
// chosen flat plane indices), and overlapping windows can pick the same
// input element, so each grad_out element is added with an atomic at its
// index in a zeroed buffer. f32/f64 sum in place; 16-bit grads sum into a
// float buffer the host rounds once (the CPU's rounding; a CAS loop on
// 16-bit words would round after every add).
#include "cuda/kernels/atomic_add.cuh"
#include "cuda/kernels/geometry.cuh"

MINI_CUDA_BEGIN_NAMESPACE

// values / indices: contiguous (N, C, oh, ow); s.in_h / s.in_w: the input's own H and W.
template <typename T>
__global__ void max_pool2d_kernel(ConvShape s, T* values, int64_t* indices, const T* input) {
  using C = compute_t<T>;
  const int64_t positions = s.out_h * s.out_w;
  const int64_t total = s.batch * s.channels * positions;
  for (int64_t i = global_thread_index(); i < total; i += grid_thread_count()) {
    const int64_t ox = i % s.out_w, oy = i / s.out_w % s.out_h, plane = i / positions;
    const T* source = input + plane / s.channels * s.input_strides[0] + plane % s.channels * s.input_strides[1];
    const int64_t top = oy * s.stride_h - s.pad_h, left = ox * s.stride_w - s.pad_w;
    C best = 0;
    int64_t best_index = -1;  // stays -1 only for a window without input (the frontend never makes one)
    for (int64_t ki = 0; ki < s.kernel_h; ++ki) {
      const int64_t y = top + ki * s.dilation_h;
      if (y < 0 || y >= s.in_h) continue;
      for (int64_t kj = 0; kj < s.kernel_w; ++kj) {
        const int64_t x = left + kj * s.dilation_w;
        if (x < 0 || x >= s.in_w) continue;
        const C value = load(source[y * s.input_strides[2] + x * s.input_strides[3]]);
        if (best_index < 0 || value > best || (value != value && best == best)) {
          best = value;
          best_index = y * s.in_w + x;
        }
      }
    }
    values[i] = store<T>(best);
    indices[i] = best_index;
  }
}

// g: (grad_out, indices) strides over (N, C, oh, ow); flat position i lies in
// plane i / positions. sums: contiguous (N*C, plane_size) of A (T, or float for 16-bit T).
template <typename T, typename A>
__global__ void max_pool2d_backward_kernel(Strided<2> g, int64_t positions, int64_t plane_size, A* sums,
                                           const T* grad_out, const int64_t* indices) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const Offsets<2> o = offsets_of(g, i);
    const int64_t at = indices[o.at[1]];
    if (at < 0 || at >= plane_size) continue;  // never write outside the plane
    atomic_add(sums + i / positions * plane_size + at, static_cast<compute_t<A>>(load(grad_out[o.at[0]])));
  }
}

MINI_CUDA_END_NAMESPACE
