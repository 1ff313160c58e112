// Reductions: the primitives (sum, prod, amax, amin, all, any, argmax, argmin)
// go to Backend::reduce / arg_reduce; mean, var, std, logsumexp and norm are
// composites of them and elementwise ops.
#include "tensor/ops/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/backend.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"

namespace mini::ops {
namespace {

// The sorted dims to reduce; an empty list means all of them. A 0-d tensor
// accepts dim 0 / -1 (as PyTorch) and has nothing to reduce.
Shape reduction_dims(const Tensor& x, const Shape& dims, const char* op) {
  Shape wrapped = wrap_dims(dims, x.dim(), op);
  if (x.dim() == 0) return {};
  if (dims.empty()) {
    for (int64_t d = 0; d < x.dim(); ++d) wrapped.push_back(d);
  }
  return wrapped;
}

// x's sizes with size 1 in `dims` (the keepdim shape).
Shape keepdim_shape(const Shape& sizes, const Shape& dims) {
  Shape result = sizes;
  for (int64_t d : dims) result[d] = 1;
  return result;
}

Shape squeezed_shape(const Shape& sizes, const Shape& dims) {
  Shape result;
  for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); ++d) {
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) result.push_back(sizes[d]);
  }
  return result;
}

// Elements per output: the product of the reduced sizes.
int64_t reduced_count(const Tensor& x, const Shape& dims) {
  int64_t count = 1;
  for (int64_t d : dims) count *= x.size(d);
  return count;
}

void check_nonempty(const Tensor& x, const Shape& dims, const char* op) {
  for (int64_t d : dims) {
    MINI_CHECK(x.size(d) != 0, "{}: cannot reduce over dim {} of size 0 in a tensor of shape {} (no identity)", op,
               d, shape_str(x.sizes()));
  }
}

Tensor reduce(ReduceOp op, const Tensor& x, const Shape& dims, bool keepdim, DType dtype, const char* name) {
  const Shape wrapped = reduction_dims(x, dims, name);
  if (op == ReduceOp::max || op == ReduceOp::min) check_nonempty(x, wrapped, name);
  const Tensor input = to_dtype(x, dtype);
  Tensor out = empty(keepdim_shape(x.sizes(), wrapped), {.dtype = dtype, .device = x.device()});
  backend_for(x.device()).reduce(op, out, input);
  return keepdim ? out : view(out, squeezed_shape(x.sizes(), wrapped));
}

// Bool and integer sums and products are int64, as in PyTorch.
DType accumulating_dtype(DType dtype) { return is_floating(dtype) ? dtype : DType::i64; }

void check_floating(const Tensor& x, const char* op) {
  MINI_CHECK(is_floating(x.dtype()), "{}: expected a floating-point tensor, got {}", op, x.dtype());
}

// 16-bit inputs of composites are computed in float32 and rounded once at the end.
Tensor widened(const Tensor& x) {
  return x.dtype() == DType::f16 || x.dtype() == DType::bf16 ? to_dtype(x, DType::f32) : x;
}

// (values, indices) of argmax/argmin along `dim` (already wrapped; x non-empty along it).
std::pair<Tensor, Tensor> arg_reduce(ArgReduceOp op, const Tensor& x, int64_t dim, bool keepdim) {
  const Shape dims = x.dim() == 0 ? Shape{} : Shape{dim};
  const Shape shape = keepdim_shape(x.sizes(), dims);
  Tensor values = empty(shape, {.dtype = x.dtype(), .device = x.device()});
  Tensor indices = empty(shape, {.dtype = DType::i64, .device = x.device()});
  backend_for(x.device()).arg_reduce(op, values, indices, x, dim);
  if (keepdim) return {values, indices};
  const Shape squeezed = squeezed_shape(x.sizes(), dims);
  return {view(values, squeezed), view(indices, squeezed)};
}

std::pair<Tensor, Tensor> arg_reduce_along(ArgReduceOp op, const Tensor& x, int64_t dim, bool keepdim,
                                           const char* name) {
  const int64_t wrapped = wrap_dim(dim, x.dim(), name);
  if (x.dim() > 0) check_nonempty(x, Shape{wrapped}, name);
  return arg_reduce(op, x, wrapped, keepdim);
}

Tensor arg_reduce_optional(ArgReduceOp op, const Tensor& x, std::optional<int64_t> dim, bool keepdim,
                           const char* name) {
  if (dim) return arg_reduce_along(op, x, *dim, keepdim, name).second;
  MINI_CHECK(x.numel() > 0, "{}: cannot reduce an empty tensor of shape {} when no dim is given", name,
             shape_str(x.sizes()));
  // Over all elements: the index into the flattened tensor.
  Tensor indices = arg_reduce(op, reshape(x, Shape{x.numel()}), 0, false).second;
  return keepdim ? view(indices, Shape(static_cast<size_t>(x.dim()), 1)) : indices;
}

}  // namespace

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(ReduceOp::sum, x, dims, keepdim, accumulating_dtype(x.dtype()), "sum");
}

Tensor prod(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(ReduceOp::prod, x, dims, keepdim, accumulating_dtype(x.dtype()), "prod");
}

Tensor amax(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(ReduceOp::max, x, dims, keepdim, x.dtype(), "amax");
}

Tensor amin(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(ReduceOp::min, x, dims, keepdim, x.dtype(), "amin");
}

Tensor all(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(ReduceOp::all, x, dims, keepdim, DType::b8, "all");
}

Tensor any(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(ReduceOp::any, x, dims, keepdim, DType::b8, "any");
}

Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  // PyTorch's wording: integer means need an explicit cast.
  MINI_CHECK(is_floating(x.dtype()),
             "mean(): could not infer output dtype. Input dtype must be a floating point dtype, got {} (shape {})",
             x.dtype(), shape_str(x.sizes()));
  const int64_t count = reduced_count(x, reduction_dims(x, dims, "mean"));
  // 16-bit inputs are summed into float32: their sum may overflow where the mean does not.
  Tensor total = sum(widened(x), dims, keepdim);
  div_(total, static_cast<double>(count));  // 0 / 0 = NaN for an empty reduction, as in PyTorch
  return to_dtype(total, x.dtype());
}

Tensor var(const Tensor& x, const Shape& dims, bool unbiased, bool keepdim) {
  check_floating(x, "var");
  const Tensor input = widened(x);
  const int64_t count = reduced_count(x, reduction_dims(x, dims, "var"));
  // Two passes (sum of squared deviations from the mean) rather than
  // E[x^2] - E[x]^2, which cancels catastrophically when |mean| >> std.
  const Tensor centered = sub(input, mean(input, dims, true));
  Tensor result = sum(mul(centered, centered), dims, keepdim);
  const int64_t degrees = std::max<int64_t>(count - (unbiased ? 1 : 0), 0);
  div_(result, static_cast<double>(degrees));  // no degrees of freedom: NaN (or inf), as in PyTorch
  return to_dtype(result, x.dtype());
}

Tensor std(const Tensor& x, const Shape& dims, bool unbiased, bool keepdim) {
  check_floating(x, "std");
  return to_dtype(sqrt(var(widened(x), dims, unbiased, keepdim)), x.dtype());
}

Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim) {
  // Integer inputs give float32, as in PyTorch.
  const Tensor input = is_floating(x.dtype()) ? widened(x) : to_dtype(x, DType::f32);
  const DType out_dtype = is_floating(x.dtype()) ? x.dtype() : DType::f32;
  const Shape wrapped = reduction_dims(x, dims, "logsumexp");
  if (reduced_count(x, wrapped) == 0) {  // log(0)
    const Shape shape = keepdim ? keepdim_shape(x.sizes(), wrapped) : squeezed_shape(x.sizes(), wrapped);
    return full(shape, -std::numeric_limits<double>::infinity(), {.dtype = out_dtype, .device = x.device()});
  }
  // Subtract the max so exp() cannot overflow; an infinite max is replaced by
  // 0 because inf - inf would be NaN (the result is then +-inf, correctly).
  Tensor shift = amax(input, dims, true);
  shift = where(eq(abs(shift), std::numeric_limits<double>::infinity()), 0.0, shift);
  Tensor result = add(log(sum(exp(sub(input, shift)), dims, true)), shift);
  if (!keepdim) result = view(result, squeezed_shape(x.sizes(), wrapped));
  return to_dtype(result, out_dtype);
}

Tensor norm(const Tensor& x, double p, const Shape& dims, bool keepdim) {
  check_floating(x, "norm");
  const Tensor input = widened(x);
  Tensor result;
  if (p == 2) {
    result = sqrt(sum(mul(input, input), dims, keepdim));
  } else if (p == 1) {
    result = sum(abs(input), dims, keepdim);
  } else if (std::isinf(p)) {
    check_nonempty(x, reduction_dims(x, dims, "norm"), "norm");
    result = p > 0 ? amax(abs(input), dims, keepdim) : amin(abs(input), dims, keepdim);
  } else if (p == 0) {  // the number of nonzero elements
    result = to_dtype(sum(ne(input, 0.0), dims, keepdim), input.dtype());
  } else {
    result = pow(sum(pow(abs(input), p), dims, keepdim), 1.0 / p);
  }
  return to_dtype(result, x.dtype());
}

Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_reduce_optional(ArgReduceOp::argmax, x, dim, keepdim, "argmax");
}

Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_reduce_optional(ArgReduceOp::argmin, x, dim, keepdim, "argmin");
}

std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_reduce_along(ArgReduceOp::argmax, x, dim, keepdim, "max");
}

std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_reduce_along(ArgReduceOp::argmin, x, dim, keepdim, "min");
}

}  // namespace mini::ops
