#pragma once
// Differentiable elementwise math (mini::exp, mini::add, operators, ...).
// Each wraps the mini::ops kernel of the same name and records its backward
// when grad mode is on and an input requires grad. Non-differentiable
// relatives (comparisons, logical ops) are re-exported from mini::ops.
#include <optional>

#include "tensor/ops/elementwise.h"
#include "tensor/tensor.h"

namespace mini {

// ---- unary -------------------------------------------------------------
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);  // gradient 0
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);  // NOTE: gradient 0 at x == 0, as PyTorch
Tensor silu(const Tensor& x);
Tensor floor(const Tensor& x);  // gradient 0
Tensor ceil(const Tensor& x);   // gradient 0
Tensor round(const Tensor& x);  // gradient 0
Tensor reciprocal(const Tensor& x);
Tensor square(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor gelu(const Tensor& x, bool tanh_approximation = false);
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// Gradient 1 inside [min, max] (bounds included), 0 outside.
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
Tensor pow(const Tensor& x, Scalar exponent);
Tensor pow(const Tensor& x, const Tensor& exponent);

// ---- binary (broadcasting; gradients are summed back to each input's shape) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, Scalar b);
Tensor add(Scalar a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, Scalar b);
Tensor sub(Scalar a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, Scalar b);
Tensor mul(Scalar a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, Scalar b);
Tensor div(Scalar a, const Tensor& b);
// Ties split the gradient evenly between a and b, as PyTorch.
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, Scalar b);
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, Scalar b);
Tensor where(const Tensor& condition, Scalar a, const Tensor& b);

Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator+(Scalar a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator-(Scalar a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator*(Scalar a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, Scalar b);
Tensor operator/(Scalar a, const Tensor& b);

// ---- copies and conversions ---------------------------------------------
Tensor clone(const Tensor& x);
Tensor contiguous(const Tensor& x);
// Gradient is cast back to x's dtype; non-floating targets cut the graph.
Tensor to_dtype(const Tensor& x, DType dtype);

// Sums `grad` over the dims where `sizes` was broadcast, so it has `sizes`.
Tensor sum_to(const Tensor& grad, const Shape& sizes);

// ---- in place (see NOTE [in-place ops and autograd] in inplace.cpp) -------
const Tensor& add_(const Tensor& self, const Tensor& other);
const Tensor& add_(const Tensor& self, Scalar other);
const Tensor& sub_(const Tensor& self, const Tensor& other);
const Tensor& sub_(const Tensor& self, Scalar other);
const Tensor& mul_(const Tensor& self, const Tensor& other);
const Tensor& mul_(const Tensor& self, Scalar other);
const Tensor& div_(const Tensor& self, const Tensor& other);
const Tensor& div_(const Tensor& self, Scalar other);
const Tensor& zero_(const Tensor& self);
const Tensor& fill_(const Tensor& self, Scalar value);
const Tensor& copy_(const Tensor& self, const Tensor& source);

// ---- not differentiable: re-exported -------------------------------------
using ops::allclose;
using ops::eq;
using ops::equal;
using ops::ge;
using ops::gt;
using ops::le;
using ops::logical_and;
using ops::logical_not;
using ops::logical_or;
using ops::logical_xor;
using ops::lt;
using ops::ne;
using ops::result_type;

}  // namespace mini
