// Launchers for layer norm forward and backward (cuda/kernels/layer_norm.cuh).
#include "cuda/kernels/layer_norm.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

// A row of up to 1024 columns takes 128 threads (8 columns each); longer rows 256.
unsigned row_threads(int64_t cols) { return cols <= 1024 ? 128 : kBlockThreads; }

dim3 row_grid(int64_t rows) {
  return dim3(static_cast<unsigned>(rows < kMaxBlocks ? (rows < 1 ? 1 : rows) : kMaxBlocks));
}

}  // namespace

void launch_layer_norm(ScalarKind kind, const void* x, const void* weight, const void* bias, void* out, void* mean,
                       int64_t mean_stride, void* rstd, int64_t rstd_stride, int64_t rows, int64_t cols, double eps,
                       StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_floating_v<T>) {
      using C = compute_t<T>;
      launch(layer_norm_kernel<T>, row_grid(rows), dim3(row_threads(cols)), 0, as_stream(stream),
             static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias), static_cast<T*>(out),
             static_cast<C*>(mean), mean_stride, static_cast<C*>(rstd), rstd_stride, rows, cols, eps);
    } else {
      emu::throw_host_error("layer_norm: expected a floating-point tensor");
    }
  });
}

void launch_layer_norm_backward(ScalarKind kind, const void* grad_out, const void* x, const void* mean,
                                int64_t mean_stride, const void* rstd, int64_t rstd_stride, const void* weight,
                                void* grad_x, void* grad_weight, void* grad_bias, int64_t rows, int64_t cols,
                                StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_floating_v<T>) {
      using C = compute_t<T>;
      if (rows > 0 && cols > 0) {
        launch(layer_norm_backward_kernel<T>, row_grid(rows), dim3(row_threads(cols)), 0, as_stream(stream),
               static_cast<const T*>(grad_out), static_cast<const T*>(x), static_cast<const C*>(mean), mean_stride,
               static_cast<const C*>(rstd), rstd_stride, static_cast<const T*>(weight), static_cast<T*>(grad_x), rows,
               cols);
      }
      if ((grad_weight != nullptr || grad_bias != nullptr) && cols > 0) {
        launch(layer_norm_weight_grad_kernel<T>, grid_for(cols), dim3(kBlockThreads), 0, as_stream(stream),
               static_cast<const T*>(grad_out), static_cast<const T*>(x), static_cast<const C*>(mean), mean_stride,
               static_cast<const C*>(rstd), rstd_stride, static_cast<T*>(grad_weight), static_cast<T*>(grad_bias), rows,
               cols);
      }
    } else {
      emu::throw_host_error("layer_norm_backward: expected a floating-point tensor");
    }
  });
}

MINI_CUDA_END_NAMESPACE
