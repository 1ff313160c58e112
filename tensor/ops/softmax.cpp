// softmax / log_softmax and their backward along one dim (Backend::softmax).
#include "tensor/backend.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/nn.h"

namespace mini::ops {
namespace {

Tensor softmax_forward(const Tensor& x, int64_t dim, bool log, const char* op) {
  MINI_CHECK(is_floating(x.dtype()), "{}: expected a floating-point tensor, got {} (shape {})", op, x.dtype(),
             shape_str(x.sizes()));
  const int64_t wrapped = wrap_dim(dim, x.dim(), op);
  Tensor out = empty(x.sizes(), {.dtype = x.dtype(), .device = x.device()});
  backend_for(x.device()).softmax(out, x, wrapped, log);
  return out;
}

Tensor softmax_grad(const Tensor& grad_output, const Tensor& output, int64_t dim, bool log, const char* op) {
  MINI_CHECK(is_floating(output.dtype()), "{}: expected a floating-point output, got {}", op, output.dtype());
  MINI_CHECK(grad_output.sizes() == output.sizes(), "{}: grad_output {} and output {} differ in shape", op,
             shape_str(grad_output.sizes()), shape_str(output.sizes()));
  MINI_CHECK(grad_output.device() == output.device(), "{}: grad_output and output are on different devices", op);
  const int64_t wrapped = wrap_dim(dim, output.dim(), op);
  Tensor grad_input = empty(output.sizes(), {.dtype = output.dtype(), .device = output.device()});
  backend_for(output.device()).softmax_backward(grad_input, to_dtype(grad_output, output.dtype()), output, wrapped, log);
  return grad_input;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_forward(x, dim, false, "softmax"); }

Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_forward(x, dim, true, "log_softmax"); }

Tensor softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim) {
  return softmax_grad(grad_output, output, dim, false, "softmax_backward");
}

Tensor log_softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim) {
  return softmax_grad(grad_output, output, dim, true, "log_softmax_backward");
}

}  // namespace mini::ops
