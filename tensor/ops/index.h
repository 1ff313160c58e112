#pragma once
// Indexing, joining and padding.
#include <vector>

#include "tensor/backend.h"
#include "tensor/tensor.h"

namespace mini::ops {

// index: 1-D integer tensor; out-of-range entries raise an IndexError naming the value.
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
// self.index_add_(dim, index, source).
void index_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
// Copies of self with src's values written (or added) at index along dim.
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
void scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
void scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor masked_fill(const Tensor& self, const Tensor& mask, Scalar value);
void masked_fill_(const Tensor& self, const Tensor& mask, Scalar value);
// 1-D tensor of the elements where mask (broadcast with self) is true.
Tensor masked_select(const Tensor& self, const Tensor& mask);
// (count, dim) int64 positions of non-zero elements.
Tensor nonzero(const Tensor& self);
// int64 (..., num_classes); num_classes < 0 means max(index) + 1.
Tensor one_hot(const Tensor& index, int64_t num_classes = -1);
// weight (num_embeddings, dim) rows picked by integer `indices` -> (*indices.shape, dim).
Tensor embedding(const Tensor& weight, const Tensor& indices);

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
// Constant padding; `pad` lists (before, after) pairs starting from the last dim,
// as torch.nn.functional.pad. Negative pads crop.
Tensor pad(const Tensor& self, const Shape& pad, Scalar value = 0);

}  // namespace mini::ops
