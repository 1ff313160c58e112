// Differentiable elementwise math: each forward calls the mini::ops kernel and
// its backward sits right below it, written with differentiable mini:: ops.
#include "autograd/functions/elementwise.h"

#include <cmath>
#include <numbers>

#include "autograd/autocast.h"
#include "autograd/functions/grad_target.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/view.h"
#include "autograd/record.h"
#include "tensor/ops/factory.h"

namespace mini {

namespace {

// A constant (no history) of g's dtype from a bool mask.
Tensor mask_as(const Tensor& mask, const Tensor& like) { return ops::to_dtype(mask, like.dtype()); }

// ---- fused backward kernels, differentiable themselves (double backward) ----

// g * (1 - y^2), y = tanh(x)
Tensor tanh_backward(const Tensor& g, const Tensor& y) {
  Tensor out = ops::binary(BinaryOp::tanh_backward, g, y);
  if (!should_record(g, y)) return out;
  return record("tanh_backward", {g, y}, out, [g = save(g), y = save(y)](const GradList& gg) -> GradList {
    const Tensor y_value = y.unpack();
    return {tanh_backward(gg[0], y_value), gg[0] * g.unpack() * y_value * -2.0};
  });
}

// g * y * (1 - y), y = sigmoid(x)
Tensor sigmoid_backward(const Tensor& g, const Tensor& y) {
  Tensor out = ops::binary(BinaryOp::sigmoid_backward, g, y);
  if (!should_record(g, y)) return out;
  return record("sigmoid_backward", {g, y}, out, [g = save(g), y = save(y)](const GradList& gg) -> GradList {
    const Tensor y_value = y.unpack();
    return {sigmoid_backward(gg[0], y_value), gg[0] * g.unpack() * (1.0 - y_value * 2.0)};
  });
}

// g * (y > 0): the mask has zero derivative, so only g gets a gradient.
Tensor relu_backward(const Tensor& g, const Tensor& y) {
  Tensor out = ops::binary(BinaryOp::relu_backward, g, y);
  if (!should_record(g)) return out;
  return record("relu_backward", {g}, out, [y = save(y)](const GradList& gg) -> GradList {
    return {relu_backward(gg[0], y.unpack())};
  });
}

// Second derivatives for the activations whose first derivative is a fused kernel.
Tensor silu_second_derivative(const Tensor& x) {
  const Tensor s = sigmoid(x);  // silu'' = s (1 - s) (2 + x (1 - 2 s))
  return s * (1.0 - s) * (2.0 + x * (1.0 - s * 2.0));
}
Tensor gelu_erf_second_derivative(const Tensor& x) {
  const double inv_sqrt_2pi = 1.0 / std::sqrt(2.0 * std::numbers::pi);  // gelu'' = phi(x) (2 - x^2)
  return exp(square(x) * -0.5) * inv_sqrt_2pi * (2.0 - square(x));
}
Tensor gelu_tanh_second_derivative(const Tensor& x) {
  // u = k (x + c x^3), gelu = x (1 + tanh u) / 2, gelu'' = (1 - t^2) (u' - x t u'^2 + x u'' / 2)
  const double k = std::sqrt(2.0 / std::numbers::pi), c = 0.044715;
  const Tensor x2 = square(x);
  const Tensor t = tanh((x + x2 * x * c) * k);
  const Tensor du = (x2 * (3.0 * c) + 1.0) * k;
  const Tensor d2u = x * (6.0 * k * c);
  return (1.0 - square(t)) * (du - x * t * square(du) + x * d2u * 0.5);
}

// g * f'(x) for f in {silu, gelu_erf, gelu_tanh}, with f'' for double backward.
Tensor activation_backward(BinaryOp op, const Tensor& g, const Tensor& x) {
  Tensor out = ops::binary(op, g, x);
  if (!should_record(g, x)) return out;
  return record("activation_backward", {g, x}, out, [op, g = save(g), x = save(x)](const GradList& gg) -> GradList {
    const Tensor x_value = x.unpack();
    const Tensor second = op == BinaryOp::silu_backward       ? silu_second_derivative(x_value)
                          : op == BinaryOp::gelu_erf_backward ? gelu_erf_second_derivative(x_value)
                                                              : gelu_tanh_second_derivative(x_value);
    return {activation_backward(op, gg[0], x_value), gg[0] * g.unpack() * second};
  });
}

}  // namespace

// ---- unary -------------------------------------------------------------

Tensor neg(const Tensor& x) {
  Tensor y = ops::neg(x);
  if (!should_record(x)) return y;
  return record("neg", {x}, y, [](const GradList& g) -> GradList { return {neg(g[0])}; });
}

Tensor abs(const Tensor& x) {
  Tensor y = ops::abs(x);
  if (!should_record(x)) return y;
  // sign(x) is piecewise constant: a constant factor even for double backward.
  return record("abs", {x}, y, [x = save(x)](const GradList& g) -> GradList {
    return {g[0] * ops::sign(x.unpack())};
  });
}

namespace {
// Ops with zero gradient almost everywhere (floor, ceil, round, sign).
Tensor zero_gradient_op(const char* name, Tensor y, const Tensor& x) {
  if (!should_record(x)) return y;
  return record(name, {x}, y, [](const GradList& g) -> GradList { return {ops::zeros_like(g[0])}; });
}
}  // namespace

Tensor sign(const Tensor& x) { return zero_gradient_op("sign", ops::sign(x), x); }
Tensor floor(const Tensor& x) { return zero_gradient_op("floor", ops::floor(x), x); }
Tensor ceil(const Tensor& x) { return zero_gradient_op("ceil", ops::ceil(x), x); }
Tensor round(const Tensor& x) { return zero_gradient_op("round", ops::round(x), x); }

Tensor exp(const Tensor& x_arg) {
  const Tensor x = autocast_input(AutocastOp::pointwise_math, x_arg);
  Tensor y = ops::exp(x);
  if (!should_record(x)) return y;
  return record("exp", {x}, y, [y = save_output(y)](const GradList& g) -> GradList { return {g[0] * y.unpack()}; });
}

Tensor log(const Tensor& x_arg) {
  const Tensor x = autocast_input(AutocastOp::pointwise_math, x_arg);
  Tensor y = ops::log(x);
  if (!should_record(x)) return y;
  return record("log", {x}, y, [x = save(x)](const GradList& g) -> GradList { return {g[0] / x.unpack()}; });
}

Tensor log1p(const Tensor& x_arg) {
  const Tensor x = autocast_input(AutocastOp::pointwise_math, x_arg);
  Tensor y = ops::log1p(x);
  if (!should_record(x)) return y;
  return record("log1p", {x}, y, [x = save(x)](const GradList& g) -> GradList { return {g[0] / (x.unpack() + 1.0)}; });
}

Tensor expm1(const Tensor& x_arg) {
  const Tensor x = autocast_input(AutocastOp::pointwise_math, x_arg);
  Tensor y = ops::expm1(x);
  if (!should_record(x)) return y;
  return record("expm1", {x}, y, [y = save_output(y)](const GradList& g) -> GradList {
    return {g[0] * (y.unpack() + 1.0)};
  });
}

Tensor sqrt(const Tensor& x) {
  Tensor y = ops::sqrt(x);
  if (!should_record(x)) return y;
  return record("sqrt", {x}, y, [y = save_output(y)](const GradList& g) -> GradList {
    return {g[0] / (y.unpack() * 2.0)};
  });
}

Tensor rsqrt(const Tensor& x_arg) {
  const Tensor x = autocast_input(AutocastOp::pointwise_math, x_arg);
  Tensor y = ops::rsqrt(x);
  if (!should_record(x)) return y;
  return record("rsqrt", {x}, y, [y = save_output(y)](const GradList& g) -> GradList {
    const Tensor y_value = y.unpack();  // d/dx x^(-1/2) = -y^3 / 2
    return {g[0] * (y_value * y_value * y_value) * -0.5};
  });
}

Tensor sin(const Tensor& x) {
  Tensor y = ops::sin(x);
  if (!should_record(x)) return y;
  return record("sin", {x}, y, [x = save(x)](const GradList& g) -> GradList { return {g[0] * cos(x.unpack())}; });
}

Tensor cos(const Tensor& x) {
  Tensor y = ops::cos(x);
  if (!should_record(x)) return y;
  return record("cos", {x}, y, [x = save(x)](const GradList& g) -> GradList { return {-(g[0] * sin(x.unpack()))}; });
}

Tensor tanh(const Tensor& x) {
  Tensor y = ops::tanh(x);
  if (!should_record(x)) return y;
  return record("tanh", {x}, y, [y = save_output(y)](const GradList& g) -> GradList {
    return {tanh_backward(g[0], y.unpack())};
  });
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = ops::sigmoid(x);
  if (!should_record(x)) return y;
  return record("sigmoid", {x}, y, [y = save_output(y)](const GradList& g) -> GradList {
    return {sigmoid_backward(g[0], y.unpack())};
  });
}

Tensor relu(const Tensor& x) {
  Tensor y = ops::relu(x);
  if (!should_record(x)) return y;
  return record("relu", {x}, y, [y = save_output(y)](const GradList& g) -> GradList {
    return {relu_backward(g[0], y.unpack())};
  });
}

Tensor silu(const Tensor& x) {
  Tensor y = ops::silu(x);
  if (!should_record(x)) return y;
  return record("silu", {x}, y, [x = save(x)](const GradList& g) -> GradList {
    return {activation_backward(BinaryOp::silu_backward, g[0], x.unpack())};
  });
}

Tensor gelu(const Tensor& x, bool tanh_approximation) {
  Tensor y = ops::gelu(x, tanh_approximation);
  if (!should_record(x)) return y;
  const BinaryOp op = tanh_approximation ? BinaryOp::gelu_tanh_backward : BinaryOp::gelu_erf_backward;
  return record("gelu", {x}, y, [op, x = save(x)](const GradList& g) -> GradList {
    return {activation_backward(op, g[0], x.unpack())};
  });
}

Tensor softplus(const Tensor& x_arg, double beta, double threshold) {
  const Tensor x = autocast_input(AutocastOp::pointwise_math, x_arg);
  Tensor y = ops::softplus(x, beta, threshold);
  if (!should_record(x)) return y;
  return record("softplus", {x}, y, [x = save(x), beta, threshold](const GradList& g) -> GradList {
    // Above the threshold softplus is the identity (as the forward).
    const Tensor x_value = x.unpack();
    const Tensor linear = ops::gt(ops::mul(x_value, beta), threshold);
    return {where(linear, g[0], g[0] * sigmoid(x_value * beta))};
  });
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  Tensor y = ops::leaky_relu(x, negative_slope);
  if (!should_record(x)) return y;
  return record("leaky_relu", {x}, y, [x = save(x), negative_slope](const GradList& g) -> GradList {
    return {where(ops::gt(x.unpack(), 0), g[0], g[0] * negative_slope)};
  });
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  Tensor y = ops::clamp(x, min, max);
  if (!should_record(x)) return y;
  return record("clamp", {x}, y, [x = save(x), min, max](const GradList& g) -> GradList {
    const Tensor x_value = x.unpack();
    Tensor inside = ops::ones_like(x_value);
    if (min) inside = ops::mul(inside, mask_as(ops::ge(x_value, *min), x_value));
    if (max) inside = ops::mul(inside, mask_as(ops::le(x_value, *max), x_value));
    return {g[0] * inside};
  });
}

Tensor pow(const Tensor& x_arg, Scalar exponent) {
  const Tensor x = autocast_input(AutocastOp::pointwise_math, x_arg);
  Tensor y = ops::pow(x, exponent);
  if (!should_record(x)) return y;
  return record("pow", {x}, y, [x = save(x), exponent](const GradList& g) -> GradList {
    const double e = exponent.to_double();
    if (e == 0) return {ops::zeros_like(g[0])};
    return {g[0] * pow(x.unpack(), e - 1.0) * e};
  });
}

Tensor pow(const Tensor& x_arg, const Tensor& exponent) {
  const Tensor x = autocast_input(AutocastOp::pointwise_math, x_arg);
  Tensor y = ops::pow(x, exponent);
  if (!should_record(x, exponent)) return y;
  GradTarget tx(x), te(exponent);
  return record("pow", {x, exponent}, y,
                [tx, te, x = save(x), e = save(exponent), y = save_output(y)](const GradList& g) -> GradList {
                  const Tensor x_value = x.unpack(), e_value = e.unpack();
                  Tensor grad_x, grad_e;
                  if (tx.needed) grad_x = tx.reduce(g[0] * e_value * pow(x_value, e_value - 1.0));
                  if (te.needed) {
                    // NOTE: 0^e is flat in e for e >= 0; log(0) would give nan there.
                    const Tensor zero_base = ops::logical_and(ops::eq(x_value, 0), ops::ge(e_value, 0));
                    grad_e = te.reduce(where(zero_base, 0.0, g[0] * y.unpack() * log(x_value)));
                  }
                  return {grad_x, grad_e};
                });
}

Tensor square(const Tensor& x) {
  Tensor y = ops::square(x);
  if (!should_record(x)) return y;
  return record("square", {x}, y, [x = save(x)](const GradList& g) -> GradList { return {g[0] * x.unpack() * 2.0}; });
}

Tensor reciprocal(const Tensor& x_arg) {
  const Tensor x = autocast_input(AutocastOp::pointwise_math, x_arg);
  Tensor y = ops::reciprocal(x);
  if (!should_record(x)) return y;
  return record("reciprocal", {x}, y, [y = save_output(y)](const GradList& g) -> GradList {
    const Tensor y_value = y.unpack();
    return {-(g[0] * y_value * y_value)};
  });
}

Tensor erf(const Tensor& x) {
  Tensor y = ops::erf(x);
  if (!should_record(x)) return y;
  return record("erf", {x}, y, [x = save(x)](const GradList& g) -> GradList {
    const double two_over_sqrt_pi = 2.0 / std::sqrt(std::numbers::pi);
    return {g[0] * exp(square(x.unpack()) * -1.0) * two_over_sqrt_pi};
  });
}

// ---- binary --------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = ops::add(a, b);
  if (!should_record(a, b)) return y;
  return record("add", {a, b}, y, [ta = GradTarget(a), tb = GradTarget(b)](const GradList& g) -> GradList {
    return {ta.reduce(g[0]), tb.reduce(g[0])};
  });
}
Tensor add(const Tensor& a, Scalar b) {
  Tensor y = ops::add(a, b);
  if (!should_record(a)) return y;
  return record("add", {a}, y, [](const GradList& g) -> GradList { return {g[0]}; });
}
Tensor add(Scalar a, const Tensor& b) { return add(b, a); }

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = ops::sub(a, b);
  if (!should_record(a, b)) return y;
  return record("sub", {a, b}, y, [ta = GradTarget(a), tb = GradTarget(b)](const GradList& g) -> GradList {
    return {ta.reduce(g[0]), tb.needed ? tb.reduce(-g[0]) : Tensor()};
  });
}
Tensor sub(const Tensor& a, Scalar b) {
  Tensor y = ops::sub(a, b);
  if (!should_record(a)) return y;
  return record("sub", {a}, y, [](const GradList& g) -> GradList { return {g[0]}; });
}
Tensor sub(Scalar a, const Tensor& b) {
  Tensor y = ops::sub(a, b);
  if (!should_record(b)) return y;
  return record("sub", {b}, y, [](const GradList& g) -> GradList { return {-g[0]}; });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = ops::mul(a, b);
  if (!should_record(a, b)) return y;
  GradTarget ta(a), tb(b);
  // Each input is saved only if the other one needs a gradient.
  return record("mul", {a, b}, y,
                [ta, tb, a = tb.needed ? save(a) : SavedTensor(), b = ta.needed ? save(b) : SavedTensor()](
                    const GradList& g) -> GradList {
                  return {ta.needed ? ta.reduce(g[0] * b.unpack()) : Tensor(),
                          tb.needed ? tb.reduce(g[0] * a.unpack()) : Tensor()};
                });
}
Tensor mul(const Tensor& a, Scalar b) {
  Tensor y = ops::mul(a, b);
  if (!should_record(a)) return y;
  return record("mul", {a}, y, [b](const GradList& g) -> GradList { return {g[0] * b}; });
}
Tensor mul(Scalar a, const Tensor& b) { return mul(b, a); }

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = ops::div(a, b);
  if (!should_record(a, b)) return y;
  GradTarget ta(a), tb(b);
  return record("div", {a, b}, y,
                [ta, tb, a = tb.needed ? save(a) : SavedTensor(), b = save(b)](const GradList& g) -> GradList {
                  const Tensor b_value = b.unpack();
                  return {ta.needed ? ta.reduce(g[0] / b_value) : Tensor(),
                          tb.needed ? tb.reduce(-(g[0] * a.unpack()) / (b_value * b_value)) : Tensor()};
                });
}
Tensor div(const Tensor& a, Scalar b) {
  Tensor y = ops::div(a, b);
  if (!should_record(a)) return y;
  return record("div", {a}, y, [b](const GradList& g) -> GradList { return {g[0] / b}; });
}
Tensor div(Scalar a, const Tensor& b) {
  Tensor y = ops::div(a, b);
  if (!should_record(b)) return y;
  return record("div", {b}, y, [a, b = save(b)](const GradList& g) -> GradList {
    const Tensor b_value = b.unpack();  // d/db a/b = -a / b^2
    return {g[0] * a.to_double() * -1.0 / (b_value * b_value)};
  });
}

namespace {
// maximum/minimum: the share of the gradient for `a` (1 where a wins, 1/2 on ties).
Tensor winner_share(const Tensor& a, const Tensor& b, bool maximum, DType dtype) {
  const Tensor wins = maximum ? ops::gt(a, b) : ops::lt(a, b);
  return ops::add(ops::to_dtype(wins, dtype), ops::mul(ops::to_dtype(ops::eq(a, b), dtype), 0.5));
}
Tensor extremum(const char* name, bool maximum, const Tensor& a, const Tensor& b) {
  Tensor y = maximum ? ops::maximum(a, b) : ops::minimum(a, b);
  if (!should_record(a, b)) return y;
  return record(name, {a, b}, y,
                [maximum, ta = GradTarget(a), tb = GradTarget(b), a = save(a), b = save(b)](const GradList& g) -> GradList {
                  const Tensor share_a = winner_share(a.unpack(), b.unpack(), maximum, g[0].dtype());
                  return {ta.needed ? ta.reduce(g[0] * share_a) : Tensor(),
                          tb.needed ? tb.reduce(g[0] * ops::sub(1.0, share_a)) : Tensor()};
                });
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return extremum("maximum", true, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum("minimum", false, a, b); }

Tensor remainder(const Tensor& a, const Tensor& b) {
  Tensor y = ops::remainder(a, b);
  if (!should_record(a, b)) return y;
  GradTarget ta(a), tb(b);
  return record("remainder", {a, b}, y,
                [ta, tb, a = tb.needed ? save(a) : SavedTensor(), b = tb.needed ? save(b) : SavedTensor()](
                    const GradList& g) -> GradList {
                  // a - b * floor(a / b): d/db = -floor(a / b), a constant.
                  return {ta.reduce(g[0]),
                          tb.needed ? tb.reduce(-(g[0] * ops::floor(ops::div(a.unpack(), b.unpack())))) : Tensor()};
                });
}
Tensor remainder(const Tensor& a, Scalar b) {
  Tensor y = ops::remainder(a, b);
  if (!should_record(a)) return y;
  return record("remainder", {a}, y, [](const GradList& g) -> GradList { return {g[0]}; });
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  Tensor y = ops::where(condition, a, b);
  if (!should_record(a, b)) return y;
  GradTarget ta(a), tb(b);
  return record("where", {a, b}, y, [ta, tb, condition](const GradList& g) -> GradList {
    return {ta.needed ? ta.reduce(where(condition, g[0], 0.0)) : Tensor(),
            tb.needed ? tb.reduce(where(condition, 0.0, g[0])) : Tensor()};
  });
}
Tensor where(const Tensor& condition, const Tensor& a, Scalar b) {
  Tensor y = ops::where(condition, a, b);
  if (!should_record(a)) return y;
  return record("where", {a}, y, [ta = GradTarget(a), condition](const GradList& g) -> GradList {
    return {ta.reduce(where(condition, g[0], 0.0))};
  });
}
Tensor where(const Tensor& condition, Scalar a, const Tensor& b) {
  Tensor y = ops::where(condition, a, b);
  if (!should_record(b)) return y;
  return record("where", {b}, y, [tb = GradTarget(b), condition](const GradList& g) -> GradList {
    return {tb.reduce(where(condition, 0.0, g[0]))};
  });
}

Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator+(const Tensor& a, Scalar b) { return add(a, b); }
Tensor operator+(Scalar a, const Tensor& b) { return add(b, a); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator-(const Tensor& a, Scalar b) { return sub(a, b); }
Tensor operator-(Scalar a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator*(const Tensor& a, Scalar b) { return mul(a, b); }
Tensor operator*(Scalar a, const Tensor& b) { return mul(b, a); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator/(const Tensor& a, Scalar b) { return div(a, b); }
Tensor operator/(Scalar a, const Tensor& b) { return div(a, b); }

// ---- copies and conversions ---------------------------------------------

Tensor clone(const Tensor& x) {
  Tensor y = ops::clone(x);
  if (!should_record(x)) return y;
  return record("clone", {x}, y, [](const GradList& g) -> GradList { return {g[0]}; });
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor y = ops::contiguous(x);
  if (!should_record(x)) return y;
  return record("contiguous", {x}, y, [](const GradList& g) -> GradList { return {g[0]}; });
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor y = ops::to_dtype(x, dtype);
  if (!is_floating(dtype) || !should_record(x)) return y;
  return record("to_dtype", {x}, y, [from = x.dtype()](const GradList& g) -> GradList { return {to_dtype(g[0], from)}; });
}

Tensor sum_to(const Tensor& grad, const Shape& sizes) {
  if (grad.sizes() == sizes) return grad;
  const int64_t leading = grad.dim() - static_cast<int64_t>(sizes.size());
  MINI_ASSERT(leading >= 0, "sum_to: gradient {} has fewer dims than {}", shape_str(grad.sizes()), shape_str(sizes));
  Shape dims;
  for (int64_t d = 0; d < leading; ++d) dims.push_back(d);
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == 1 && grad.size(leading + static_cast<int64_t>(i)) != 1) dims.push_back(leading + static_cast<int64_t>(i));
  }
  const Tensor summed = dims.empty() ? grad : sum(grad, dims, /*keepdim=*/true);
  return reshape(summed, sizes);
}

}  // namespace mini
