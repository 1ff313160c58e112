// CUDA softmax / log-softmax and backward: operands made contiguous and viewed
// as (outer, n, inner); see cuda/kernels/softmax.cuh.
#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

struct SoftmaxShape {
  int64_t outer = 1, n = 1, inner = 1;
};

SoftmaxShape softmax_shape(const Tensor& tensor, int64_t dim) {
  SoftmaxShape shape;
  for (int64_t d = 0; d < tensor.dim(); ++d) {
    const int64_t size = tensor.sizes()[d];
    if (d < dim) shape.outer *= size;
    if (d == dim) shape.n = size;
    if (d > dim) shape.inner *= size;
  }
  return shape;
}

}  // namespace

void CudaBackend::softmax(const Tensor& dst, const Tensor& src, int64_t dim, bool log) {
  MINI_ASSERT(dst.sizes() == src.sizes() && dst.dtype() == src.dtype(), "cuda softmax: dst {} {} and src {} {} differ",
              shape_str(dst.sizes()), dst.dtype(), shape_str(src.sizes()), src.dtype());
  MINI_CHECK(is_floating(src.dtype()), "softmax: expected a floating-point tensor, got {}", src.dtype());
  if (src.numel() == 0) return;
  const Tensor in = contiguous(src);
  const Tensor out = dst.is_contiguous() ? dst : empty(dst.sizes(), dst.dtype());
  const SoftmaxShape shape = softmax_shape(src, dim);
  launch_softmax(kind_of(src), out.data_ptr(), in.data_ptr(), shape.outer, shape.n, shape.inner, log, stream());
  if (!out.is_same(dst)) copy(dst, out);
}

void CudaBackend::softmax_backward(const Tensor& grad_input, const Tensor& grad_output, const Tensor& output,
                                   int64_t dim, bool log) {
  MINI_ASSERT(grad_input.sizes() == output.sizes() && grad_output.sizes() == output.sizes() &&
                  grad_input.dtype() == output.dtype() && grad_output.dtype() == output.dtype(),
              "cuda softmax_backward: operands differ in shape or dtype");
  MINI_CHECK(is_floating(output.dtype()), "softmax_backward: expected a floating-point tensor, got {}", output.dtype());
  if (output.numel() == 0) return;
  const Tensor go = contiguous(grad_output);
  const Tensor y = contiguous(output);
  const Tensor gi = grad_input.is_contiguous() ? grad_input : empty(grad_input.sizes(), grad_input.dtype());
  const SoftmaxShape shape = softmax_shape(output, dim);
  launch_softmax_backward(kind_of(output), gi.data_ptr(), go.data_ptr(), y.data_ptr(), shape.outer, shape.n,
                          shape.inner, log, stream());
  if (!gi.is_same(grad_input)) copy(grad_input, gi);
}

MINI_CUDA_END_NAMESPACE
