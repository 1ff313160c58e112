#pragma once
// Elementwise math with broadcasting and PyTorch's type promotion.
// Each op has a functional form (add), an out form (add_out: writes into an
// existing tensor of the broadcast shape) and, where it makes sense, an
// in-place form (add_: self op= other; bumps the version counter).
#include <limits>
#include <optional>

#include "tensor/backend.h"
#include "tensor/tensor.h"

namespace mini::ops {

// PyTorch's result_type: dimensioned tensors decide unless a 0-d operand is
// of a higher category (bool < integer < floating).
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, Scalar b);

// ---- generic entry points (every named op below is one of these) -------
Tensor unary(UnaryOp op, const Tensor& x, UnaryParams params = {});
void unary_out(UnaryOp op, const Tensor& out, const Tensor& x, UnaryParams params = {});
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor binary(BinaryOp op, const Tensor& a, Scalar b);
Tensor binary(BinaryOp op, Scalar a, const Tensor& b);
void binary_out(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
// self = self op other (other broadcast to self; the result cast to self's dtype).
void binary_(BinaryOp op, const Tensor& self, const Tensor& other);
void binary_(BinaryOp op, const Tensor& self, Scalar other);

// ---- unary ---------------------------------------------------------------
#define MINI_UNARY_OP(name)                                                             \
  inline Tensor name(const Tensor& x) { return unary(UnaryOp::name, x); }               \
  inline void name##_out(const Tensor& out, const Tensor& x) { unary_out(UnaryOp::name, out, x); } \
  inline void name##_(const Tensor& x) { unary_out(UnaryOp::name, x, x); }
MINI_UNARY_OP(neg)
MINI_UNARY_OP(abs)
MINI_UNARY_OP(sign)
MINI_UNARY_OP(exp)
MINI_UNARY_OP(log)
MINI_UNARY_OP(log1p)
MINI_UNARY_OP(expm1)
MINI_UNARY_OP(sqrt)
MINI_UNARY_OP(rsqrt)
MINI_UNARY_OP(sin)
MINI_UNARY_OP(cos)
MINI_UNARY_OP(tanh)
MINI_UNARY_OP(sigmoid)
MINI_UNARY_OP(relu)
MINI_UNARY_OP(silu)
MINI_UNARY_OP(floor)
MINI_UNARY_OP(ceil)
MINI_UNARY_OP(round)
MINI_UNARY_OP(reciprocal)
MINI_UNARY_OP(square)
MINI_UNARY_OP(erf)
#undef MINI_UNARY_OP

// GELU: approximate = "none" (erf) or "tanh", as torch.nn.functional.gelu.
Tensor gelu(const Tensor& x, bool tanh_approximation = false);
// log(1 + exp(beta x)) / beta, linear above `threshold` (torch's softplus).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// Missing bounds are unbounded; min > max gives max everywhere, as in PyTorch.
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
void clamp_(const Tensor& x, std::optional<double> min, std::optional<double> max);
Tensor pow(const Tensor& x, Scalar exponent);
Tensor pow(const Tensor& x, const Tensor& exponent);
Tensor logical_not(const Tensor& x);

// ---- binary --------------------------------------------------------------
#define MINI_BINARY_OP(name)                                                                     \
  inline Tensor name(const Tensor& a, const Tensor& b) { return binary(BinaryOp::name, a, b); }  \
  inline Tensor name(const Tensor& a, Scalar b) { return binary(BinaryOp::name, a, b); }         \
  inline Tensor name(Scalar a, const Tensor& b) { return binary(BinaryOp::name, a, b); }         \
  inline void name##_out(const Tensor& out, const Tensor& a, const Tensor& b) {                  \
    binary_out(BinaryOp::name, out, a, b);                                                       \
  }
MINI_BINARY_OP(add)
MINI_BINARY_OP(sub)
MINI_BINARY_OP(mul)
MINI_BINARY_OP(div)
MINI_BINARY_OP(maximum)
MINI_BINARY_OP(minimum)
MINI_BINARY_OP(remainder)
MINI_BINARY_OP(eq)
MINI_BINARY_OP(ne)
MINI_BINARY_OP(lt)
MINI_BINARY_OP(le)
MINI_BINARY_OP(gt)
MINI_BINARY_OP(ge)
MINI_BINARY_OP(logical_and)
MINI_BINARY_OP(logical_or)
MINI_BINARY_OP(logical_xor)
#undef MINI_BINARY_OP

#define MINI_INPLACE_BINARY_OP(name)                                                          \
  inline void name##_(const Tensor& self, const Tensor& other) { binary_(BinaryOp::name, self, other); } \
  inline void name##_(const Tensor& self, Scalar other) { binary_(BinaryOp::name, self, other); }
MINI_INPLACE_BINARY_OP(add)
MINI_INPLACE_BINARY_OP(sub)
MINI_INPLACE_BINARY_OP(mul)
MINI_INPLACE_BINARY_OP(div)
#undef MINI_INPLACE_BINARY_OP

// cond ? a : b, all three broadcast together; cond must be bool.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, Scalar b);
Tensor where(const Tensor& cond, Scalar a, const Tensor& b);

// True where |a - b| <= atol + rtol * |b| (NaNs equal when equal_nan).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
// Same shape and exactly equal values.
bool equal(const Tensor& a, const Tensor& b);

}  // namespace mini::ops
