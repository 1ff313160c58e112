#pragma once
// Views: new geometry over the same Storage, no data copied. Writes through a
// view are visible in its base, and they share the version counter.
#include <vector>

#include "tensor/tensor.h"

namespace mini::ops {

Tensor as_strided(const Tensor& self, const Shape& sizes, const Shape& strides, int64_t offset);
// Same data, new sizes; one size may be -1. Fails when the strides make it impossible (use reshape).
Tensor view(const Tensor& self, const Shape& sizes);
// view() when possible, else a contiguous copy.
Tensor reshape(const Tensor& self, const Shape& sizes);
Tensor permute(const Tensor& self, const Shape& dims);
Tensor transpose(const Tensor& self, int64_t dim0, int64_t dim1);
// transpose(0, 1) of a tensor with at most 2 dims.
Tensor t(const Tensor& self);
// Moves dim `source` to position `destination`.
Tensor movedim(const Tensor& self, int64_t source, int64_t destination);
Tensor narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length);
// Python's self[start:end:step] along dim; start/end are clamped like Python slices.
Tensor slice(const Tensor& self, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
// Removes dim by picking one index (negative counts from the end).
Tensor select(const Tensor& self, int64_t dim, int64_t index);
// Size-1 dims stretch to `sizes` (stride 0); -1 keeps a size; new leading dims are allowed.
Tensor expand(const Tensor& self, const Shape& sizes);
Tensor expand_as(const Tensor& self, const Tensor& other);
Tensor squeeze(const Tensor& self);
Tensor squeeze(const Tensor& self, int64_t dim);
Tensor unsqueeze(const Tensor& self, int64_t dim);
Tensor flatten(const Tensor& self, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unflatten(const Tensor& self, int64_t dim, const Shape& sizes);
// Windows of `size` every `step` along dim, as a new last dim (torch.Tensor.unfold).
Tensor unfold(const Tensor& self, int64_t dim, int64_t size, int64_t step);
Tensor diagonal(const Tensor& self, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
// Pieces of `split_size` along dim (the last may be smaller).
std::vector<Tensor> split(const Tensor& self, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split_with_sizes(const Tensor& self, const Shape& sizes, int64_t dim = 0);
// `chunks` pieces of equal size (rounded up), as torch.chunk.
std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim = 0);
std::vector<Tensor> unbind(const Tensor& self, int64_t dim = 0);

// The sizes with one -1 filled in so numel matches; throws naming both shapes.
Shape infer_size(const Shape& sizes, int64_t numel, const char* op);
// Strides for viewing (sizes, strides) as new_sizes without a copy, or an empty
// optional-like result (ok = false) when that is impossible.
bool compute_view_strides(const Shape& sizes, const Shape& strides, const Shape& new_sizes, Shape& new_strides);

}  // namespace mini::ops
