#pragma once
// Differentiable reductions (an empty dims list means all dims).
#include <optional>
#include <utility>

#include "tensor/ops/reduce.h"
#include "tensor/tensor.h"

namespace mini {

Tensor sum(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor var(const Tensor& x, const Shape& dims = {}, bool unbiased = true, bool keepdim = false);
Tensor std(const Tensor& x, const Shape& dims = {}, bool unbiased = true, bool keepdim = false);
// NOTE: the gradient is prod / x, so it is not defined where x has zeros.
Tensor prod(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
// Ties share the gradient evenly, as PyTorch's amax/amin.
Tensor amax(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor norm(const Tensor& x, double p = 2.0, const Shape& dims = {}, bool keepdim = false);
// (values, indices); the gradient goes to the selected element.
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);

using ops::all;
using ops::any;
using ops::argmax;
using ops::argmin;

}  // namespace mini
