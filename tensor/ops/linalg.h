#pragma once
// Matrix products with torch.matmul's semantics.
#include "tensor/tensor.h"

namespace mini::ops {

// 1-D @ 1-D: dot product; 2-D @ 2-D: matrix product; 1-D operands get a
// temporary dim of size 1; N-D: batched with broadcast batch dims.
// Transposed operands are used without copies.
Tensor matmul(const Tensor& a, const Tensor& b);
// Writes into `out` (which must have the result's shape).
void matmul_out(const Tensor& out, const Tensor& a, const Tensor& b);
// x (..., in) @ weight (out, in)^T + bias (out): torch.nn.functional.linear.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace mini::ops
