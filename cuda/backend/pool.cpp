// CUDA max_pool2d and its backward (cuda/kernels/pool.cuh): one pass over
// the input instead of the default's im2col copies of the input and of an
// index plane, argmax and gather; the backward is a zero fill and one
// scatter-add kernel.
//
// NOTE: an index outside its plane is skipped on the device, not reported:
// the CPU backend throws, but finding out here would mean waiting for the
// kernel on every backward. Indices come from max_pool2d.
#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE

void CudaBackend::max_pool2d(const Tensor& values, const Tensor& indices, const Tensor& input,
                             const ConvGeometry& geometry) {
  MINI_ASSERT(input.dim() == 4 && values.is_contiguous() && indices.is_contiguous() &&
                  values.sizes() == indices.sizes() && indices.dtype() == DType::i64 &&
                  values.dtype() == input.dtype() && geometry.in_h >= input.size(2) && geometry.in_w >= input.size(3),
              "cuda max_pool2d: values {} indices {} input {}", shape_str(values.sizes()), shape_str(indices.sizes()),
              shape_str(input.sizes()));
  MINI_CHECK(is_floating(input.dtype()), "max_pool2d: expected a floating-point tensor, got {}", input.dtype());
  const ConvShape shape = conv_shape(input, geometry, input.size(2), input.size(3));
  MINI_ASSERT(values.sizes() == Shape({shape.batch, shape.channels, shape.out_h, shape.out_w}),
              "cuda max_pool2d: values {} for input {} and a ({}, {}) output", shape_str(values.sizes()),
              shape_str(input.sizes()), shape.out_h, shape.out_w);
  if (values.numel() == 0) return;
  launch_max_pool2d(kind_of(input), shape, values.data_ptr(), static_cast<int64_t*>(indices.data_ptr()),
                    input.data_ptr(), stream());
}

void CudaBackend::max_pool2d_backward(const Tensor& grad_input, const Tensor& grad_out, const Tensor& indices) {
  MINI_ASSERT(grad_input.dim() == 4 && grad_input.is_contiguous() && grad_out.dim() == 4 &&
                  grad_out.size(0) == grad_input.size(0) && grad_out.size(1) == grad_input.size(1) &&
                  indices.sizes() == grad_out.sizes() && indices.dtype() == DType::i64 &&
                  grad_out.dtype() == grad_input.dtype(),
              "cuda max_pool2d_backward: grad_input {} grad_out {} indices {}", shape_str(grad_input.sizes()),
              shape_str(grad_out.sizes()), shape_str(indices.sizes()));
  MINI_CHECK(is_floating(grad_out.dtype()), "max_pool2d_backward: expected a floating-point tensor, got {}",
             grad_out.dtype());
  if (grad_input.numel() == 0) return;
  // 16-bit gradients are summed in float32 (windows may overlap) and rounded once.
  const bool wide = grad_input.dtype() == DType::f16 || grad_input.dtype() == DType::bf16;
  const Tensor sums = wide ? empty(grad_input.sizes(), DType::f32) : grad_input;
  fill(sums, 0);
  if (grad_out.numel() > 0) {
    const int64_t positions = grad_out.size(2) * grad_out.size(3);
    const int64_t plane_size = grad_input.size(2) * grad_input.size(3);
    launch_max_pool2d_backward(kind_of(grad_out), make_strided<2>({&grad_out, &indices}), positions, plane_size,
                               sums.data_ptr(), grad_out.data_ptr(), static_cast<const int64_t*>(indices.data_ptr()),
                               stream());
  }
  if (wide) copy(grad_input, sums);
}

MINI_CUDA_END_NAMESPACE
