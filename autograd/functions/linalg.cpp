// Differentiable matmul and linear.
#include "autograd/functions/linalg.h"

#include "autograd/autocast.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/view.h"
#include "autograd/record.h"

namespace mini {

namespace {

// The gradients of matmul written with matmul itself. 1-D operands are
// treated as (1, k) / (k, 1) matrices, batch dims are summed back to each
// operand's shape by sum_to.
//   a: (..., n, k), b: (..., k, m), g: (..., n, m)
//   grad_a = g @ b^T, grad_b = a^T @ g
GradList matmul_backward(const Tensor& g, const Tensor& a, const Tensor& b, bool a_needed, bool b_needed) {
  if (a.dim() == 1 && b.dim() == 1) {  // dot product: g is 0-d
    return {a_needed ? g * b : Tensor(), b_needed ? g * a : Tensor()};
  }
  const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
  const Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
  Tensor g2 = g;
  if (a.dim() == 1) g2 = unsqueeze(g2, -2);
  if (b.dim() == 1) g2 = unsqueeze(g2, -1);
  Tensor grad_a, grad_b;
  if (a_needed) grad_a = reshape(sum_to(matmul(g2, transpose(b2, -1, -2)), a2.sizes()), a.sizes());
  if (b_needed) grad_b = reshape(sum_to(matmul(transpose(a2, -1, -2), g2), b2.sizes()), b.sizes());
  return {grad_a, grad_b};
}

}  // namespace

Tensor matmul(const Tensor& a_arg, const Tensor& b_arg) {
  const Tensor a = autocast_input(AutocastOp::matmul, a_arg), b = autocast_input(AutocastOp::matmul, b_arg);
  Tensor y = ops::matmul(a, b);
  if (!should_record(a, b)) return y;
  const bool a_needed = tensor_requires_grad(a), b_needed = tensor_requires_grad(b);
  return record("matmul", {a, b}, y,
                [a_needed, b_needed, a = save(a), b = save(b)](const GradList& g) -> GradList {
                  return matmul_backward(g[0], a.unpack(), b.unpack(), a_needed, b_needed);
                });
}

Tensor linear(const Tensor& x_arg, const Tensor& weight_arg, const Tensor& bias_arg) {
  const Tensor x = autocast_input(AutocastOp::linear, x_arg);
  const Tensor weight = autocast_input(AutocastOp::linear, weight_arg);
  const Tensor bias = autocast_input(AutocastOp::linear, bias_arg);
  Tensor y = ops::linear(x, weight, bias);
  if (!should_record(x, weight, bias)) return y;
  const bool x_needed = tensor_requires_grad(x), weight_needed = tensor_requires_grad(weight);
  const bool bias_needed = tensor_requires_grad(bias);
  return record("linear", {x, weight, bias}, y,
                [x_needed, weight_needed, bias_needed, x = weight_needed ? save(x) : SavedTensor(),
                 weight = x_needed ? save(weight) : SavedTensor()](const GradList& g) -> GradList {
                  // g: (..., out); x: (..., in); weight: (out, in)
                  Tensor grad_x, grad_weight, grad_bias;
                  if (x_needed) grad_x = matmul(g[0], weight.unpack());
                  if (weight_needed || bias_needed) {
                    const Tensor g2 = g[0].dim() == 1 ? unsqueeze(g[0], 0) : flatten(g[0], 0, -2);
                    if (weight_needed) {
                      const Tensor x_value = x.unpack();
                      const Tensor x2 = x_value.dim() == 1 ? unsqueeze(x_value, 0) : flatten(x_value, 0, -2);
                      grad_weight = matmul(t(g2), x2);  // (out, rows) @ (rows, in)
                    }
                    if (bias_needed) grad_bias = sum(g2, {0});
                  }
                  return {grad_x, grad_weight, grad_bias};
                });
}

}  // namespace mini
