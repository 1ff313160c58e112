// Launchers for im2col and col2im (cuda/kernels/conv.cuh).
#include "cuda/kernels/conv.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE

void launch_im2col(ScalarKind kind, const ConvShape& shape, void* columns, const void* input, uint64_t pad_bits,
                   StreamHandle stream) {
  const int64_t total = shape.batch * shape.channels * shape.kernel_h * shape.kernel_w * shape.out_h * shape.out_w;
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T pad_value;
    memcpy(&pad_value, &pad_bits, sizeof(T));
    launch(im2col_kernel<T>, grid_for(total), dim3(kBlockThreads), 0, as_stream(stream), shape,
           static_cast<T*>(columns), static_cast<const T*>(input), pad_value);
  });
}

void launch_col2im(ScalarKind kind, const ConvShape& shape, void* input_grad, const void* columns,
                   StreamHandle stream) {
  const int64_t total = shape.batch * shape.channels * shape.in_h * shape.in_w;
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      emu::throw_host_error("col2im: not supported for bool tensors");
    } else {
      launch(col2im_kernel<T>, grid_for(total), dim3(kBlockThreads), 0, as_stream(stream), shape,
             static_cast<T*>(input_grad), static_cast<const T*>(columns));
    }
  });
}

MINI_CUDA_END_NAMESPACE
