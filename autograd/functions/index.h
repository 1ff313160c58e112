#pragma once
// Differentiable indexing, joining and padding. Index tensors never get
// gradients; gradients flow to the values (self, src, source, weight).
#include <vector>

#include "tensor/ops/index.h"
#include "tensor/tensor.h"

namespace mini {

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// A copy of x with `source` added at `index` along dim (x.index_add(dim, index, source)).
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// NOTE: with repeated indices scatter's result (and so its gradient) picks one writer.
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value);
Tensor masked_select(const Tensor& x, const Tensor& mask);
Tensor embedding(const Tensor& weight, const Tensor& indices);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor pad(const Tensor& x, const Shape& pad, Scalar value = 0);

using ops::nonzero;
using ops::one_hot;

}  // namespace mini
