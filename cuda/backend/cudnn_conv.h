#pragma once
// The cuDNN path of CudaBackend's convolutions (device variant built with cuDNN only).
//
// Each function runs one pass of conv2d over NCHW tensors through cuDNN when
// it applies: dtype f32/f64/f16/bf16, no size 0, every size and element count
// within cuDNN's int limits, a contiguous output, and MINI_CUDA_CUDNN is not 0
// (cuda/backend/library_switches.h). Inputs may have any strides (they are
// copied to contiguous first). Otherwise, or when cuDNN has no deterministic
// algorithm for the shape, it returns false having done nothing, and the
// caller takes the own im2col + GEMM path. Shapes follow tensor/backend.h:
//   forward:         out (N, K, oh, ow) = conv(input (N, C, H, W), weight (K, C/groups, kh, kw))
//   backward_input:  grad_input (N, C, H, W) from grad_out (N, K, oh, ow) and weight
//   backward_weight: grad_weight (K, C/groups, kh, kw) from grad_out and input
#include <cstdint>

#include "cuda/variant.h"
#include "tensor/backend.h"

MINI_CUDA_BEGIN_NAMESPACE

class CudaBackend;

#if defined(MINI_CUDA_EMULATED) || !defined(MINI_HAS_CUDNN)
// No cuDNN (the emulator, or a toolkit without it): convolutions take the own kernels.
inline bool cudnn_conv2d(CudaBackend&, const Tensor&, const Tensor&, const Tensor&, const ConvGeometry&, int64_t) {
  return false;
}
inline bool cudnn_conv2d_backward_input(CudaBackend&, const Tensor&, const Tensor&, const Tensor&, const ConvGeometry&,
                                        int64_t) {
  return false;
}
inline bool cudnn_conv2d_backward_weight(CudaBackend&, const Tensor&, const Tensor&, const Tensor&, const ConvGeometry&,
                                         int64_t) {
  return false;
}
#else
bool cudnn_conv2d(CudaBackend& backend, const Tensor& out, const Tensor& input, const Tensor& weight,
                  const ConvGeometry& geometry, int64_t groups);
bool cudnn_conv2d_backward_input(CudaBackend& backend, const Tensor& grad_input, const Tensor& grad_out,
                                 const Tensor& weight, const ConvGeometry& geometry, int64_t groups);
bool cudnn_conv2d_backward_weight(CudaBackend& backend, const Tensor& grad_weight, const Tensor& grad_out,
                                  const Tensor& input, const ConvGeometry& geometry, int64_t groups);
#endif

MINI_CUDA_END_NAMESPACE
