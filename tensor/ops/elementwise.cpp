// The elementwise frontend: type promotion, broadcasting, output allocation
// and dtype rules per op; the backend's unary/binary/where kernels compute.
//
// NOTE [ Elementwise dtype rules ]
// - Operands are promoted with result_type (PyTorch's rules) and cast to the
//   compute dtype before the backend sees them (one dtype per kernel call).
// - Math that has no integer meaning (exp, log, sqrt, sin, tanh, sigmoid,
//   reciprocal, erf, ...) promotes integer and bool inputs to float32, as
//   torch.exp(int tensor) does. Activations (gelu, silu, softplus,
//   leaky_relu) reject them, as PyTorch's kernels do.
// - div always true-divides: integer / integer gives float32, as torch.div.
// - Comparisons and logical ops write bool.
// - bool supports only add (or), mul (and), maximum, minimum, comparisons,
//   logical ops and where; other arithmetic on bool is an error.
// - _out and in-place forms write into an existing tensor, which must have the
//   broadcast shape; the result may be cast to its dtype only within a
//   category order (no float into an integer, nothing but bool into bool).
//   They bump the written tensor's version counter.
#include "tensor/ops/elementwise.h"

#include <cmath>
#include <string>

#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"

namespace mini::ops {
namespace {

const char* op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::neg:
      return "neg";
    case UnaryOp::abs:
      return "abs";
    case UnaryOp::sign:
      return "sign";
    case UnaryOp::exp:
      return "exp";
    case UnaryOp::log:
      return "log";
    case UnaryOp::log1p:
      return "log1p";
    case UnaryOp::expm1:
      return "expm1";
    case UnaryOp::sqrt:
      return "sqrt";
    case UnaryOp::rsqrt:
      return "rsqrt";
    case UnaryOp::sin:
      return "sin";
    case UnaryOp::cos:
      return "cos";
    case UnaryOp::tanh:
      return "tanh";
    case UnaryOp::sigmoid:
      return "sigmoid";
    case UnaryOp::relu:
      return "relu";
    case UnaryOp::gelu_tanh:
      return "gelu";
    case UnaryOp::gelu_erf:
      return "gelu";
    case UnaryOp::silu:
      return "silu";
    case UnaryOp::softplus:
      return "softplus";
    case UnaryOp::floor:
      return "floor";
    case UnaryOp::ceil:
      return "ceil";
    case UnaryOp::round:
      return "round";
    case UnaryOp::reciprocal:
      return "reciprocal";
    case UnaryOp::square:
      return "square";
    case UnaryOp::erf:
      return "erf";
    case UnaryOp::logical_not:
      return "logical_not";
    case UnaryOp::clamp:
      return "clamp";
    case UnaryOp::pow_scalar:
      return "pow";
    case UnaryOp::leaky_relu:
      return "leaky_relu";
  }
  return "unary";
}

const char* op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::add:
      return "add";
    case BinaryOp::sub:
      return "sub";
    case BinaryOp::mul:
      return "mul";
    case BinaryOp::div:
      return "div";
    case BinaryOp::pow:
      return "pow";
    case BinaryOp::maximum:
      return "maximum";
    case BinaryOp::minimum:
      return "minimum";
    case BinaryOp::remainder:
      return "remainder";
    case BinaryOp::eq:
      return "eq";
    case BinaryOp::ne:
      return "ne";
    case BinaryOp::lt:
      return "lt";
    case BinaryOp::le:
      return "le";
    case BinaryOp::gt:
      return "gt";
    case BinaryOp::ge:
      return "ge";
    case BinaryOp::logical_and:
      return "logical_and";
    case BinaryOp::logical_or:
      return "logical_or";
    case BinaryOp::logical_xor:
      return "logical_xor";
    case BinaryOp::relu_backward:
      return "relu_backward";
    case BinaryOp::sigmoid_backward:
      return "sigmoid_backward";
    case BinaryOp::tanh_backward:
      return "tanh_backward";
    case BinaryOp::gelu_tanh_backward:
      return "gelu_backward";
    case BinaryOp::gelu_erf_backward:
      return "gelu_backward";
    case BinaryOp::silu_backward:
      return "silu_backward";
  }
  return "binary";
}

// ---- type promotion (PyTorch's ResultTypeState) ---------------------------
// Operands fall in three priority groups: dimensioned tensors, 0-d tensors and
// scalars. Each group is promoted on its own; a lower group then changes the
// result only when its category (bool < integer < floating) is higher.
struct PromotionState {
  std::optional<DType> dimensioned, zero_dim, scalar;

  static void merge(std::optional<DType>& group, DType dtype) { group = group ? promote_types(*group, dtype) : dtype; }
  void add(const Tensor& tensor) { merge(tensor.dim() == 0 ? zero_dim : dimensioned, tensor.dtype()); }
  void add(Scalar value) { merge(scalar, value.default_dtype()); }

  // PyTorch's combine_categories(higher, lower).
  static std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
    if (!higher) return lower;
    if (!lower || is_floating(*higher)) return higher;
    if (*higher == DType::b8 || is_floating(*lower)) return promote_types(*higher, *lower);
    return higher;
  }
  DType result() const {
    const std::optional<DType> combined = combine(dimensioned, combine(zero_dim, scalar));
    MINI_ASSERT(combined.has_value(), "result_type: no operands");
    return *combined;
  }
};

int category(DType dtype) { return dtype == DType::b8 ? 0 : is_floating(dtype) ? 2 : 1; }

// PyTorch's canCast: no floating result into an integer tensor, no non-bool into bool.
void check_can_cast(DType result, DType out, const char* op) {
  MINI_CHECK(category(result) <= category(out), "{}: result type {} can't be cast to the desired output type {}", op,
             result, out);
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  MINI_CHECK(a.device() == b.device(), "{}: expected all tensors on one device, got {} and {}", op, a.device().str(),
             b.device().str());
}

// True when writing `out` could change `input` before it is read: they share
// storage but are not the very same view (the in-place case is safe).
bool overlaps_partially(const Tensor& out, const Tensor& input) {
  if (out.storage().get() != input.storage().get()) return false;
  return !(out.offset() == input.offset() && out.strides() == input.strides() && out.dtype() == input.dtype());
}

// A 0-d tensor holding `value`, in `dtype`, on `device`.
Tensor scalar_operand(Scalar value, DType dtype, Device device) {
  return full(Shape{}, value, {.dtype = dtype, .device = device});
}

// ---- unary ------------------------------------------------------------
enum class UnaryKind { arithmetic, float_math, activation, logical };

UnaryKind unary_kind(UnaryOp op) {
  switch (op) {
    case UnaryOp::exp:
    case UnaryOp::log:
    case UnaryOp::log1p:
    case UnaryOp::expm1:
    case UnaryOp::sqrt:
    case UnaryOp::rsqrt:
    case UnaryOp::sin:
    case UnaryOp::cos:
    case UnaryOp::tanh:
    case UnaryOp::sigmoid:
    case UnaryOp::reciprocal:
    case UnaryOp::erf:
      return UnaryKind::float_math;
    case UnaryOp::gelu_tanh:
    case UnaryOp::gelu_erf:
    case UnaryOp::silu:
    case UnaryOp::softplus:
    case UnaryOp::leaky_relu:
      return UnaryKind::activation;
    case UnaryOp::logical_not:
      return UnaryKind::logical;
    default:
      return UnaryKind::arithmetic;
  }
}

// The dtype the kernel computes in for `op` on an input of `dtype`.
DType unary_compute_dtype(UnaryOp op, DType dtype) {
  switch (unary_kind(op)) {
    case UnaryKind::float_math:
      return is_floating(dtype) ? dtype : DType::f32;
    case UnaryKind::activation:
      MINI_CHECK(is_floating(dtype), "{}: expected a floating-point tensor, got {}", op_name(op), dtype);
      return dtype;
    case UnaryKind::logical:
      return dtype;
    case UnaryKind::arithmetic:
      MINI_CHECK(dtype != DType::b8, "{}: not supported for bool tensors{}", op_name(op),
                 op == UnaryOp::neg ? " (use logical_not)" : "");
      return dtype;
  }
  return dtype;
}

void check_unary_params(UnaryOp op, DType compute, UnaryParams params) {
  if (op == UnaryOp::pow_scalar && !is_floating(compute)) {
    MINI_CHECK(params.a == std::floor(params.a), "pow: an integer tensor needs an integer exponent, got {}", params.a);
    MINI_CHECK(params.a >= 0, "pow: integers to negative integer powers are not allowed (exponent {})", params.a);
  }
  if (op == UnaryOp::clamp) {
    MINI_CHECK(!std::isnan(params.a) && !std::isnan(params.b), "clamp: bounds must not be NaN, got min {} max {}",
               params.a, params.b);
  }
}

// ---- binary -----------------------------------------------------------
// The dtype `op` computes in when its operands promote to `common`.
DType binary_compute_dtype(BinaryOp op, DType common) {
  const char* name = op_name(op);
  switch (op) {
    case BinaryOp::div:
      return is_floating(common) ? common : DType::f32;
    case BinaryOp::relu_backward:
    case BinaryOp::sigmoid_backward:
    case BinaryOp::tanh_backward:
    case BinaryOp::gelu_tanh_backward:
    case BinaryOp::gelu_erf_backward:
    case BinaryOp::silu_backward:
      MINI_CHECK(is_floating(common), "{}: expected floating-point tensors, got {}", name, common);
      return common;
    case BinaryOp::sub:
      MINI_CHECK(common != DType::b8, "sub: subtracting bool tensors is not supported (use logical_xor)");
      return common;
    case BinaryOp::pow:
    case BinaryOp::remainder:
      MINI_CHECK(common != DType::b8, "{}: not supported for bool tensors", name);
      return common;
    default:
      return common;
  }
}

DType binary_result_dtype(BinaryOp op, DType compute) { return binary_op_writes_bool(op) ? DType::b8 : compute; }

// The operand as the backend wants it: in `dtype`, expanded to `shape`.
Tensor prepare(const Tensor& operand, DType dtype, const Shape& shape) {
  Tensor cast = to_dtype(operand, dtype);
  return cast.sizes() == shape ? cast : expand(cast, shape);
}

// out = a op b for operands already promoted to `common`; `out` is undefined
// for the functional form.
Tensor binary_into(BinaryOp op, Tensor out, const Tensor& a, const Tensor& b, DType common, const char* form) {
  const char* name = op_name(op);
  check_same_device(a, b, name);
  const Shape shape = broadcast_shapes(a.sizes(), b.sizes(), name);
  const DType compute = binary_compute_dtype(op, common);
  const DType result = binary_result_dtype(op, compute);
  const Tensor lhs = prepare(a, compute, shape);
  const Tensor rhs = prepare(b, compute, shape);
  Backend& backend = backend_for(a.device());
  if (!out.defined()) {
    out = empty(shape, {.dtype = result, .device = a.device()});
    backend.binary(op, out, lhs, rhs);
    return out;
  }
  MINI_CHECK(out.sizes() == shape, "{}{}: out has shape {} but {} and {} broadcast to {}", name, form,
             shape_str(out.sizes()), shape_str(a.sizes()), shape_str(b.sizes()), shape_str(shape));
  check_same_device(out, a, name);
  check_can_cast(result, out.dtype(), name);
  if (out.dtype() == result && !overlaps_partially(out, lhs) && !overlaps_partially(out, rhs)) {
    backend.binary(op, out, lhs, rhs);
  } else {
    Tensor staged = empty(shape, {.dtype = result, .device = a.device()});
    backend.binary(op, staged, lhs, rhs);
    backend.copy(out, staged);
  }
  out.bump_version();
  return out;
}

// pow(integer tensor, negative integer scalar) has no integer result.
void check_integer_pow_exponent(DType compute, Scalar exponent) {
  if (is_floating(compute)) return;
  MINI_CHECK(!(exponent.to_double() < 0), "pow: integers to negative integer powers are not allowed (exponent {})",
             exponent.to_double());
}

}  // namespace

// ---- type promotion -------------------------------------------------------
DType result_type(const Tensor& a, const Tensor& b) {
  PromotionState state;
  state.add(a);
  state.add(b);
  return state.result();
}

DType result_type(const Tensor& a, Scalar b) {
  PromotionState state;
  state.add(a);
  state.add(b);
  return state.result();
}

// ---- generic entry points -------------------------------------------------
Tensor unary(UnaryOp op, const Tensor& x, UnaryParams params) {
  const DType compute = unary_compute_dtype(op, x.dtype());
  check_unary_params(op, compute, params);
  const DType result = op == UnaryOp::logical_not ? DType::b8 : compute;
  Tensor out = empty(x.sizes(), {.dtype = result, .device = x.device()});
  backend_for(x.device()).unary(op, out, to_dtype(x, compute), params);
  return out;
}

void unary_out(UnaryOp op, const Tensor& out, const Tensor& x, UnaryParams params) {
  const char* name = op_name(op);
  const DType compute = unary_compute_dtype(op, x.dtype());
  check_unary_params(op, compute, params);
  const DType result = op == UnaryOp::logical_not ? DType::b8 : compute;
  MINI_CHECK(out.sizes() == x.sizes(), "{}_out: out has shape {} but the input has shape {}", name,
             shape_str(out.sizes()), shape_str(x.sizes()));
  check_same_device(out, x, name);
  check_can_cast(result, out.dtype(), name);
  const Tensor input = to_dtype(x, compute);
  Backend& backend = backend_for(x.device());
  if (out.dtype() == result && !overlaps_partially(out, input)) {
    backend.unary(op, out, input, params);
  } else {
    Tensor staged = empty(x.sizes(), {.dtype = result, .device = x.device()});
    backend.unary(op, staged, input, params);
    backend.copy(out, staged);
  }
  out.bump_version();
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  return binary_into(op, Tensor(), a, b, result_type(a, b), "");
}

// NOTE: like PyTorch, a float16/bfloat16 tensor with a scalar computes in
// float: rounding the scalar to 16 bits first would turn x / 70001 into
// x / inf. The float path costs a widening copy, so it is taken only when the
// scalar is not exactly representable in the tensor's 16-bit type.
static DType scalar_compute_dtype(DType common, Scalar value) {
  if (common != DType::f16 && common != DType::bf16) return common;
  const double v = value.to_double();
  const double rounded = common == DType::f16 ? static_cast<float>(Half(static_cast<float>(v)))
                                              : static_cast<float>(BFloat16(static_cast<float>(v)));
  return rounded == v || std::isnan(v) ? common : DType::f32;
}

// The functional form with a scalar operand on either side.
static Tensor binary_with_scalar(BinaryOp op, const Tensor& tensor, Scalar value, bool scalar_first) {
  const DType common = result_type(tensor, value);
  const DType compute = scalar_compute_dtype(common, value);
  const Tensor scalar = scalar_operand(value, compute, tensor.device());
  Tensor result = scalar_first ? binary_into(op, Tensor(), scalar, tensor, compute, "")
                               : binary_into(op, Tensor(), tensor, scalar, compute, "");
  return result.dtype() == DType::f32 && compute != common ? to_dtype(result, common) : result;
}

Tensor binary(BinaryOp op, const Tensor& a, Scalar b) {
  if (op == BinaryOp::pow) return pow(a, b);
  return binary_with_scalar(op, a, b, false);
}

Tensor binary(BinaryOp op, Scalar a, const Tensor& b) { return binary_with_scalar(op, b, a, true); }

void binary_out(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  binary_into(op, out, a, b, result_type(a, b), "_out");
}

void binary_(BinaryOp op, const Tensor& self, const Tensor& other) {
  const Shape shape = broadcast_shapes(self.sizes(), other.sizes(), op_name(op));
  MINI_CHECK(shape == self.sizes(), "{}_: other of shape {} cannot be broadcast to self's shape {}", op_name(op),
             shape_str(other.sizes()), shape_str(self.sizes()));
  binary_into(op, self, self, other, result_type(self, other), "_");
}

void binary_(BinaryOp op, const Tensor& self, Scalar other) {
  const DType common = result_type(self, other);
  if (op == BinaryOp::pow) check_integer_pow_exponent(common, other);
  const DType compute = scalar_compute_dtype(common, other);
  binary_into(op, self, self, scalar_operand(other, compute, self.device()), compute, "_");
}

// ---- unary wrappers with parameters -----------------------------------------
Tensor gelu(const Tensor& x, bool tanh_approximation) {
  return unary(tanh_approximation ? UnaryOp::gelu_tanh : UnaryOp::gelu_erf, x);
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  MINI_CHECK(beta != 0, "softplus: beta must be non-zero");
  return unary(UnaryOp::softplus, x, {.a = beta, .b = threshold});
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return unary(UnaryOp::leaky_relu, x, {.a = negative_slope});
}

namespace {

// NOTE: bounds arrive as doubles, so they carry no int/float kind. An integer
// tensor clamped to whole-number bounds stays integer; a fractional bound
// promotes it to float32 (PyTorch promotes for any Python float bound).
DType clamp_dtype(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  MINI_CHECK(min.has_value() || max.has_value(), "clamp: at least one of min and max must be given");
  const auto fractional = [](std::optional<double> bound) {
    return bound.has_value() && std::isfinite(*bound) && *bound != std::floor(*bound);
  };
  MINI_CHECK(x.dtype() != DType::b8, "clamp: not supported for bool tensors");
  if (!is_floating(x.dtype()) && (fractional(min) || fractional(max))) return DType::f32;
  return x.dtype();
}

UnaryParams clamp_params(std::optional<double> min, std::optional<double> max) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  return {.a = min.value_or(-kInf), .b = max.value_or(kInf)};
}

}  // namespace

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  return unary(UnaryOp::clamp, to_dtype(x, clamp_dtype(x, min, max)), clamp_params(min, max));
}

void clamp_(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  check_can_cast(clamp_dtype(x, min, max), x.dtype(), "clamp_");
  unary_out(UnaryOp::clamp, x, x, clamp_params(min, max));
}

Tensor pow(const Tensor& x, Scalar exponent) {
  const DType common = result_type(x, exponent);
  check_integer_pow_exponent(common, exponent);
  MINI_CHECK(common != DType::b8, "pow: not supported for bool tensors");
  return unary(UnaryOp::pow_scalar, to_dtype(x, common), {.a = exponent.to_double()});
}

Tensor pow(const Tensor& x, const Tensor& exponent) { return binary(BinaryOp::pow, x, exponent); }

Tensor logical_not(const Tensor& x) { return unary(UnaryOp::logical_not, x); }

// ---- where ----------------------------------------------------------------
namespace {

Tensor where_impl(const Tensor& cond, const Tensor& a, const Tensor& b, DType dtype) {
  MINI_CHECK(cond.dtype() == DType::b8, "where: condition must be a bool tensor, got {}", cond.dtype());
  check_same_device(cond, a, "where");
  check_same_device(a, b, "where");
  const Shape values_shape = broadcast_shapes(a.sizes(), b.sizes(), "where");
  // The error names the condition's shape and the values' broadcast shape.
  const Shape shape = broadcast_shapes(cond.sizes(), values_shape, "where");
  Tensor out = empty(shape, {.dtype = dtype, .device = a.device()});
  backend_for(a.device())
      .where(out, prepare(cond, DType::b8, shape), prepare(a, dtype, shape), prepare(b, dtype, shape));
  return out;
}

}  // namespace

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) { return where_impl(cond, a, b, result_type(a, b)); }

Tensor where(const Tensor& cond, const Tensor& a, Scalar b) {
  const DType dtype = result_type(a, b);
  return where_impl(cond, a, scalar_operand(b, dtype, a.device()), dtype);
}

Tensor where(const Tensor& cond, Scalar a, const Tensor& b) {
  const DType dtype = result_type(b, a);
  return where_impl(cond, scalar_operand(a, dtype, b.device()), b, dtype);
}

// ---- whole-tensor comparisons -----------------------------------------------
namespace {

// True when every element of a bool tensor is true (read on the host).
bool all_true(const Tensor& mask) {
  const Tensor host = contiguous(to_device(mask, Device::cpu()));
  const bool* data = host.data<bool>();
  for (int64_t i = 0; i < host.numel(); ++i) {
    if (!data[i]) return false;
  }
  return true;
}

}  // namespace

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  MINI_CHECK(rtol >= 0 && atol >= 0, "allclose: rtol and atol must be non-negative, got {} and {}", rtol, atol);
  const Tensor x = to_dtype(a, DType::f64);
  const Tensor y = to_dtype(b, DType::f64);
  // |x - y| <= atol + rtol |y| for finite values (with y = inf the bound is
  // inf too, so an infinite difference must not count); equal values,
  // infinities included, are always close.
  const Tensor difference = abs(sub(x, y));
  Tensor close = logical_and(le(difference, add(mul(abs(y), rtol), atol)),
                             lt(difference, std::numeric_limits<double>::infinity()));
  close = logical_or(close, eq(x, y));
  if (equal_nan) close = logical_or(close, logical_and(ne(x, x), ne(y, y)));
  return all_true(close);
}

bool equal(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes()) return false;
  return all_true(eq(a, b));
}

}  // namespace mini::ops
