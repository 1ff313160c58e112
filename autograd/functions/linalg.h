#pragma once
// Differentiable matrix products (torch.matmul semantics, batch broadcasting).
#include "tensor/ops/linalg.h"
#include "tensor/tensor.h"

namespace mini {

Tensor matmul(const Tensor& a, const Tensor& b);
// x (..., in) @ weight (out, in)^T + bias (out).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace mini
