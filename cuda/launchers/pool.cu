// Launchers for max_pool2d and its backward (cuda/kernels/pool.cuh).
#include "cuda/kernels/pool.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
void launch_max_pool2d(ScalarKind kind, const ConvShape& shape, void* values, int64_t* indices, const void* input,
                       StreamHandle stream) {
  const int64_t total = shape.batch * shape.channels * shape.out_h * shape.out_w;
  dispatch_floating_kind(kind, "max_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(max_pool2d_kernel<T>, grid_for(total), dim3(kBlockThreads), 0, as_stream(stream), shape,
           static_cast<T*>(values), indices, static_cast<const T*>(input));
  });
}

void launch_max_pool2d_backward(ScalarKind kind, const Strided<2>& g, int64_t positions, int64_t plane_size,
                                void* grad_sums, const void* grad_out, const int64_t* indices, StreamHandle stream) {
  dispatch_floating_kind(kind, "max_pool2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Sum = std::conditional_t<std::is_same_v<compute_t<T>, T>, T, float>;
    launch(max_pool2d_backward_kernel<T, Sum>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g,
           positions, plane_size, static_cast<Sum*>(grad_sums), static_cast<const T*>(grad_out), indices);
  });
}

MINI_CUDA_END_NAMESPACE
