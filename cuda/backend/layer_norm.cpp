// CUDA layer norm forward and backward; see cuda/kernels/layer_norm.cuh.
#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

const void* data_or_null(const Tensor& tensor) { return tensor.defined() ? tensor.data_ptr() : nullptr; }

// `tensor` when undefined or contiguous, else a fresh contiguous tensor to compute into.
Tensor output_buffer(CudaBackend& backend, const Tensor& tensor) {
  if (!tensor.defined() || tensor.is_contiguous()) return tensor;
  return backend.empty(tensor.sizes(), tensor.dtype());
}

// The statistics' dtype: compute_t of x's (float for f16/bf16).
DType statistics_dtype(DType dtype) { return dtype == DType::f64 ? DType::f64 : DType::f32; }

}  // namespace

void CudaBackend::layer_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                             const Tensor& weight, const Tensor& bias, double eps) {
  MINI_ASSERT(x.dim() == 2 && out.sizes() == x.sizes(), "cuda layer_norm: expected x (rows, cols), got {}",
              shape_str(x.sizes()));
  MINI_CHECK(is_floating(x.dtype()), "layer_norm: expected a floating-point tensor, got {}", x.dtype());
  MINI_ASSERT(mean.dtype() == statistics_dtype(x.dtype()) && rstd.dtype() == mean.dtype(),
              "cuda layer_norm: mean/rstd must be {}, got {}", statistics_dtype(x.dtype()), mean.dtype());
  const int64_t rows = x.size(0), cols = x.size(1);
  if (rows == 0) return;
  const Tensor in = contiguous(x);
  const Tensor w = contiguous(weight);
  const Tensor b = contiguous(bias);
  const Tensor y = output_buffer(*this, out);
  launch_layer_norm(kind_of(x), in.data_ptr(), data_or_null(w), data_or_null(b), y.data_ptr(), mean.data_ptr(),
                    mean.stride(0), rstd.data_ptr(), rstd.stride(0), rows, cols, eps, stream());
  if (!y.is_same(out)) copy(out, y);
}

void CudaBackend::layer_norm_backward(const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias,
                                      const Tensor& grad_out, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                                      const Tensor& weight) {
  MINI_ASSERT(x.dim() == 2 && grad_out.sizes() == x.sizes() && grad_x.sizes() == x.sizes(),
              "cuda layer_norm_backward: expected (rows, cols) operands of one shape, got {}", shape_str(x.sizes()));
  MINI_CHECK(is_floating(x.dtype()), "layer_norm_backward: expected a floating-point tensor, got {}", x.dtype());
  const int64_t rows = x.size(0), cols = x.size(1);
  const Tensor go = contiguous(grad_out);
  const Tensor in = contiguous(x);
  const Tensor w = contiguous(weight);
  const Tensor gx = output_buffer(*this, grad_x);
  const Tensor gw = output_buffer(*this, grad_weight);
  const Tensor gb = output_buffer(*this, grad_bias);
  launch_layer_norm_backward(kind_of(x), go.data_ptr(), in.data_ptr(), mean.data_ptr(), rows > 0 ? mean.stride(0) : 1,
                             rstd.data_ptr(), rows > 0 ? rstd.stride(0) : 1, data_or_null(w), gx.data_ptr(),
                             gw.defined() ? gw.data_ptr() : nullptr, gb.defined() ? gb.data_ptr() : nullptr, rows, cols,
                             stream());
  if (!gx.is_same(grad_x)) copy(grad_x, gx);
  if (gw.defined() && !gw.is_same(grad_weight)) copy(grad_weight, gw);
  if (gb.defined() && !gb.is_same(grad_bias)) copy(grad_bias, gb);
}

MINI_CUDA_END_NAMESPACE
