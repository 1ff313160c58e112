// Differentiable reductions. A reduction's backward broadcasts the output
// gradient back over the reduced dims (restore_reduced_dims + expand).
#include "autograd/functions/reduce.h"

#include <cmath>
#include <limits>

#include "autograd/autocast.h"
#include "autograd/functions/elementwise.h"
#include "autograd/functions/index.h"
#include "autograd/functions/view.h"
#include "autograd/record.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"

namespace mini {

namespace {

// What the backward of a reduction over `dims` of x needs (no data of x).
struct Reduction {
  Reduction(const Tensor& x, const Shape& dims, bool keepdim, const char* op)
      : input_sizes(x.sizes()), dims(wrap_dims(dims, x.dim(), op)), keepdim(keepdim) {}

  // g with the reduced dims put back as size 1 (a no-op with keepdim).
  Tensor unsqueeze_grad(const Tensor& g) const {
    if (keepdim || input_sizes.empty()) return g;
    Shape sizes = input_sizes;
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (reduced(static_cast<int64_t>(d))) sizes[d] = 1;
    }
    return reshape(g, sizes);
  }
  // g broadcast back to the input's shape.
  Tensor expand_grad(const Tensor& g) const { return expand(unsqueeze_grad(g), input_sizes); }
  // A reduced output (values or indices) reshaped to broadcast against x.
  Tensor unsqueeze_constant(const Tensor& t) const {
    if (keepdim || input_sizes.empty()) return t;
    Shape sizes = input_sizes;
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (reduced(static_cast<int64_t>(d))) sizes[d] = 1;
    }
    return ops::reshape(t, sizes);
  }
  bool reduced(int64_t d) const {
    if (dims.empty()) return true;
    for (int64_t r : dims) {
      if (r == d) return true;
    }
    return false;
  }
  int64_t count() const {
    int64_t n = 1;
    for (size_t d = 0; d < input_sizes.size(); ++d) {
      if (reduced(static_cast<int64_t>(d))) n *= input_sizes[d];
    }
    return n;
  }

  Shape input_sizes;
  Shape dims;  // wrapped; empty = all
  bool keepdim;
};

}  // namespace

Tensor sum(const Tensor& x_arg, const Shape& dims, bool keepdim) {
  const Tensor x = autocast_input(AutocastOp::reduction, x_arg);
  Tensor y = ops::sum(x, dims, keepdim);
  if (!should_record(x)) return y;
  return record("sum", {x}, y, [r = Reduction(x, dims, keepdim, "sum")](const GradList& g) -> GradList {
    return {r.expand_grad(g[0])};
  });
}

Tensor mean(const Tensor& x_arg, const Shape& dims, bool keepdim) {
  const Tensor x = autocast_input(AutocastOp::reduction, x_arg);
  Tensor y = ops::mean(x, dims, keepdim);
  if (!should_record(x)) return y;
  return record("mean", {x}, y, [r = Reduction(x, dims, keepdim, "mean")](const GradList& g) -> GradList {
    return {r.expand_grad(g[0] / static_cast<double>(r.count()))};
  });
}

Tensor var(const Tensor& x, const Shape& dims, bool unbiased, bool keepdim) {
  Tensor y = ops::var(x, dims, unbiased, keepdim);
  if (!should_record(x)) return y;
  return record("var", {x}, y,
                [r = Reduction(x, dims, keepdim, "var"), x = save(x), unbiased](const GradList& g) -> GradList {
                  // d var / dx = 2 (x - mean) / (n - correction)
                  const Tensor x_value = x.unpack();
                  const Tensor centered = x_value - mean(x_value, r.dims, /*keepdim=*/true);
                  const double denominator = static_cast<double>(r.count() - (unbiased ? 1 : 0));
                  return {r.expand_grad(g[0]) * centered * (2.0 / denominator)};
                });
}

Tensor std(const Tensor& x, const Shape& dims, bool unbiased, bool keepdim) {
  Tensor y = ops::std(x, dims, unbiased, keepdim);
  if (!should_record(x)) return y;
  return record("std", {x}, y,
                [r = Reduction(x, dims, keepdim, "std"), x = save(x), y = save_output(y),
                 unbiased](const GradList& g) -> GradList {
                  // d std / dx = (x - mean) / ((n - correction) std)
                  const Tensor x_value = x.unpack();
                  const Tensor centered = x_value - mean(x_value, r.dims, /*keepdim=*/true);
                  const double denominator = static_cast<double>(r.count() - (unbiased ? 1 : 0));
                  return {r.expand_grad(g[0] / y.unpack()) * centered / denominator};
                });
}

Tensor prod(const Tensor& x_arg, const Shape& dims, bool keepdim) {
  const Tensor x = autocast_input(AutocastOp::reduction, x_arg);
  Tensor y = ops::prod(x, dims, keepdim);
  if (!should_record(x)) return y;
  return record(
      "prod", {x}, y,
      [r = Reduction(x, dims, keepdim, "prod"), x = save(x), y = save_output(y)](const GradList& g) -> GradList {
        const Tensor x_value = x.unpack();
        const Tensor is_zero = ops::eq(x_value, 0);
        if (!ops::any(is_zero).item<bool>()) return {r.expand_grad(g[0] * y.unpack()) / x_value};
        // y / x is 0/0 at a zero. There the gradient is the product of the others: that of the
        // non-zero elements if it is its slice's only zero, else 0. Elsewhere y / x still holds
        // (y is 0 when another element is), computed with the zeros replaced by 1 to avoid the NaN.
        // NOTE: in a slice with two or more zeros the zeros' gradient is a constant 0, so its
        // derivative (double backward) is 0 where PyTorch gives the product of the rest.
        const Tensor nonzero_x = where(is_zero, 1.0, x_value);
        const Tensor zero_count = ops::sum(ops::to_dtype(is_zero, x_value.dtype()), r.dims, /*keepdim=*/true);
        const Tensor at_zero = where(ops::eq(zero_count, 1), prod(nonzero_x, r.dims, /*keepdim=*/true), 0.0);
        return {r.expand_grad(g[0]) * where(is_zero, at_zero, r.unsqueeze_grad(y.unpack()) / nonzero_x)};
      });
}

namespace {
Tensor extremum(const char* name, bool maximum, const Tensor& x, const Shape& dims, bool keepdim) {
  Tensor y = maximum ? ops::amax(x, dims, keepdim) : ops::amin(x, dims, keepdim);
  if (!should_record(x)) return y;
  return record(name, {x}, y,
                [r = Reduction(x, dims, keepdim, name), x = save(x), y = save_output(y)](const GradList& g) -> GradList {
                  const Tensor x_value = x.unpack();
                  const Tensor hits = ops::to_dtype(ops::eq(x_value, r.unsqueeze_constant(y.unpack())), x_value.dtype());
                  const Tensor share = ops::div(hits, ops::sum(hits, r.dims, /*keepdim=*/true));
                  return {r.expand_grad(g[0]) * share};
                });
}
}  // namespace

Tensor amax(const Tensor& x, const Shape& dims, bool keepdim) { return extremum("amax", true, x, dims, keepdim); }
Tensor amin(const Tensor& x, const Shape& dims, bool keepdim) { return extremum("amin", false, x, dims, keepdim); }

Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim) {
  Tensor y = ops::logsumexp(x, dims, keepdim);
  if (!should_record(x)) return y;
  return record("logsumexp", {x}, y,
                [r = Reduction(x, dims, keepdim, "logsumexp"), x = save(x), y = save_output(y)](const GradList& g) -> GradList {
                  // d/dx log sum exp x = softmax(x) = exp(x - y)
                  return {r.expand_grad(g[0]) * exp(x.unpack() - r.unsqueeze_grad(y.unpack()))};
                });
}

Tensor norm(const Tensor& x_arg, double p, const Shape& dims, bool keepdim) {
  const Tensor x = autocast_input(AutocastOp::reduction, x_arg);
  if (std::isinf(p)) return p > 0 ? amax(abs(x), dims, keepdim) : amin(abs(x), dims, keepdim);
  Tensor y = ops::norm(x, p, dims, keepdim);
  if (!should_record(x)) return y;
  return record("norm", {x}, y,
                [r = Reduction(x, dims, keepdim, "norm"), x = save(x), y = save_output(y), p](const GradList& g) -> GradList {
                  // d/dx ||x||_p = x |x|^(p-2) / ||x||^(p-1); 0 where the norm is 0.
                  const Tensor x_value = x.unpack();
                  const Tensor norm_value = r.unsqueeze_grad(y.unpack());
                  const Tensor safe_norm = where(ops::eq(norm_value, 0), 1.0, norm_value);
                  const Tensor scaled = r.expand_grad(g[0]) / pow(safe_norm, p - 1.0);
                  const Tensor direction = p == 2.0 ? x_value : x_value * pow(abs(x_value), p - 2.0);
                  return {where(ops::eq(norm_value, 0), 0.0, scaled * direction)};
                });
}

namespace {
std::pair<Tensor, Tensor> extremum_along(const char* name, bool maximum, const Tensor& x, int64_t dim, bool keepdim) {
  auto [values, indices] = maximum ? ops::max(x, dim, keepdim) : ops::min(x, dim, keepdim);
  if (!should_record(x)) return {values, indices};
  const int64_t wrapped = wrap_dim(dim, x.dim(), name);
  Tensor recorded = record(name, {x}, values,
                           [sizes = x.sizes(), wrapped, keepdim, indices](const GradList& g) -> GradList {
                             const Tensor index = keepdim || sizes.empty() ? indices : ops::unsqueeze(indices, wrapped);
                             const Tensor grad = keepdim || sizes.empty() ? g[0] : unsqueeze(g[0], wrapped);
                             const Tensor zeros = ops::zeros(sizes, {.dtype = g[0].dtype()});
                             return {sizes.empty() ? grad : scatter_add(zeros, wrapped, index, grad)};
                           });
  return {recorded, indices};
}
}  // namespace

std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return extremum_along("max", true, x, dim, keepdim);
}
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return extremum_along("min", false, x, dim, keepdim);
}

}  // namespace mini
