#pragma once
// Layer norm over the rows of x (rows, cols), forward and backward.
//
// Forward: one block per row; the mean, then the variance around it (two
// passes: E[x^2] - E[x]^2 cancels when |mean| >> std), then
// out = (x - mean) * rstd * weight + bias. mean/rstd are compute_t (float for
// 16-bit inputs) with a stride, as the CPU backend writes them.
// Backward, with xhat = (x - mean) * rstd and g = grad_out * weight:
//   grad_x = rstd * (g - mean(g) - xhat * mean(g * xhat))   (a block per row)
//   grad_weight = sum over rows of grad_out * xhat, grad_bias = sum of grad_out
//   (a thread per column walking the rows in double: coalesced, deterministic).
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/geometry.cuh"
#include "cuda/kernels/math.cuh"

MINI_CUDA_BEGIN_NAMESPACE

template <typename T>
__global__ void layer_norm_kernel(const T* x, const T* weight, const T* bias, T* out, compute_t<T>* mean_out,
                                  int64_t mean_stride, compute_t<T>* rstd_out, int64_t rstd_stride, int64_t rows,
                                  int64_t cols, double eps) {
  using C = compute_t<T>;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* in = x + r * cols;
    T* y = out + r * cols;
    C sum = 0;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) sum += load(in[i]);
    const C mean = block_all_reduce(sum, Add{}, C(0)) / static_cast<C>(cols);
    C squares = 0;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
      const C centered = load(in[i]) - mean;
      squares += centered * centered;
    }
    const double variance = static_cast<double>(block_all_reduce(squares, Add{}, C(0))) / static_cast<double>(cols);
    const C rstd = static_cast<C>(1.0 / m_sqrt(variance + eps));
    if (threadIdx.x == 0) {
      mean_out[r * mean_stride] = mean;
      rstd_out[r * rstd_stride] = rstd;
    }
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
      C value = (load(in[i]) - mean) * rstd;
      if (weight != nullptr) value *= load(weight[i]);
      if (bias != nullptr) value += load(bias[i]);
      y[i] = store<T>(value);
    }
  }
}

template <typename T>
__global__ void layer_norm_backward_kernel(const T* grad_out, const T* x, const compute_t<T>* mean_in,
                                           int64_t mean_stride, const compute_t<T>* rstd_in, int64_t rstd_stride,
                                           const T* weight, T* grad_x, int64_t rows, int64_t cols) {
  using C = compute_t<T>;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* go = grad_out + r * cols;
    const T* in = x + r * cols;
    const C mean = mean_in[r * mean_stride], rstd = rstd_in[r * rstd_stride];
    C sum_g = 0, sum_g_xhat = 0;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
      const C g = weight != nullptr ? load(go[i]) * load(weight[i]) : load(go[i]);
      sum_g += g;
      sum_g_xhat += g * (load(in[i]) - mean) * rstd;
    }
    const C mean_g = block_all_reduce(sum_g, Add{}, C(0)) / static_cast<C>(cols);
    const C mean_g_xhat = block_all_reduce(sum_g_xhat, Add{}, C(0)) / static_cast<C>(cols);
    T* gx = grad_x + r * cols;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
      const C g = weight != nullptr ? load(go[i]) * load(weight[i]) : load(go[i]);
      const C xhat = (load(in[i]) - mean) * rstd;
      gx[i] = store<T>(rstd * (g - mean_g - xhat * mean_g_xhat));
    }
  }
}

// grad_weight / grad_bias may be null (not wanted).
template <typename T>
__global__ void layer_norm_weight_grad_kernel(const T* grad_out, const T* x, const compute_t<T>* mean_in,
                                              int64_t mean_stride, const compute_t<T>* rstd_in, int64_t rstd_stride,
                                              T* grad_weight, T* grad_bias, int64_t rows, int64_t cols) {
  using C = compute_t<T>;
  for (int64_t i = global_thread_index(); i < cols; i += grid_thread_count()) {
    double dweight = 0, dbias = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const double go = static_cast<double>(load(grad_out[r * cols + i]));
      const C xhat = (load(x[r * cols + i]) - mean_in[r * mean_stride]) * rstd_in[r * rstd_stride];
      dweight += go * static_cast<double>(xhat);
      dbias += go;
    }
    if (grad_weight != nullptr) grad_weight[i] = store<T>(static_cast<C>(dweight));
    if (grad_bias != nullptr) grad_bias[i] = store<T>(static_cast<C>(dbias));
  }
}

MINI_CUDA_END_NAMESPACE
