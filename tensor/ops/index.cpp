// Indexing frontend: shape and index checks, dtype handling and output
// allocation around the backend's index_select / index_add / gather /
// scatter / nonzero / where primitives, and the composites built on them
// (masked_select, one_hot, embedding); then joining (cat, stack) and padding,
// which are copies into slices of a new tensor.
#include "tensor/ops/index.h"

#include <algorithm>
#include <limits>

#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"

namespace mini::ops {
namespace {

// The index as int64 (the backends' index type). Other integer types are converted.
Tensor as_int64_index(const Tensor& index, const Tensor& self, const char* op) {
  MINI_CHECK(index.defined(), "{}: index is undefined", op);
  MINI_CHECK(index.dtype() == DType::i64 || index.dtype() == DType::i32,
             "{}: expected an int64 or int32 index tensor, got {}", op, index.dtype());
  MINI_CHECK(index.device() == self.device(), "{}: index is on {} but the tensor is on {}", op, index.device(),
             self.device());
  return to_dtype(index, DType::i64);
}

// index_select after the index is checked: self (..., n, ...) -> (..., index.numel(), ...).
Tensor select_checked(const Tensor& self, int64_t dim, const Tensor& index64) {
  Shape sizes = self.sizes();
  sizes[dim] = index64.numel();
  Tensor result = empty(sizes, {.dtype = self.dtype(), .device = self.device()});
  if (result.numel() > 0) backend_for(self.device()).index_select(result, self, dim, reshape(index64, {-1}));
  return result;
}

// Every entry of `index` (int64) lies in [0, size); otherwise an IndexError
// naming the value, the dim and its size.
void check_index_range(const Tensor& index, int64_t size, int64_t dim, const char* op) {
  if (index.numel() == 0) return;
  // NOTE: checked on the host: a device index is copied once, which keeps
  // every backend's kernels free of error paths.
  const Tensor host = contiguous(to_device(index, Device::cpu()));
  const int64_t* values = host.data<int64_t>();
  const auto [low, high] = std::minmax_element(values, values + host.numel());
  const int64_t bad = *low < 0 ? *low : *high;
  MINI_CHECK_INDEX(*low >= 0 && *high < size, "{}: index {} is out of range for dim {} with size {}", op, bad, dim,
                   size);
}

// Size of `tensor` at `dim`, treating a 0-d tensor as one element.
int64_t size_at(const Tensor& tensor, int64_t dim) { return tensor.dim() == 0 ? 1 : tensor.sizes()[dim]; }

// gather/scatter: index has self's rank and fits inside `other` (src for
// scatter, self for gather) in every dim and inside self except along dim.
void check_gather_scatter_shapes(const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src,
                                 const char* op) {
  MINI_CHECK(index.dim() == self.dim() || (index.dim() <= 1 && self.dim() <= 1),
             "{}: index {} must have the same number of dims as the tensor {}", op, shape_str(index.sizes()),
             shape_str(self.sizes()));
  for (int64_t d = 0; d < index.dim(); ++d) {
    if (d != dim) {
      MINI_CHECK(index.sizes()[d] <= size_at(self, d),
                 "{}: index {} is larger than the tensor {} at dim {} (only dim {} may differ)", op,
                 shape_str(index.sizes()), shape_str(self.sizes()), d, dim);
    }
    if (src != nullptr) {
      MINI_CHECK(src->dim() == index.dim(), "{}: src {} and index {} must have the same number of dims", op,
                 shape_str(src->sizes()), shape_str(index.sizes()));
      MINI_CHECK(index.sizes()[d] <= src->sizes()[d], "{}: index {} is larger than src {} at dim {}", op,
                 shape_str(index.sizes()), shape_str(src->sizes()), d);
    }
  }
}

// The index's shape-matching geometry for a 0-d/1-d mix: a 0-d index for a
// 1-D tensor (or the reverse) is viewed with the tensor's rank.
Tensor match_rank(const Tensor& index, const Tensor& self) {
  if (index.dim() == self.dim()) return index;
  return reshape(index, self.dim() == 0 ? Shape{} : Shape{index.numel()});
}

void scatter_impl(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterMode mode,
                  const char* op) {
  dim = wrap_dim(dim, self.dim(), op);
  Tensor index64 = as_int64_index(index, self, op);
  MINI_CHECK(src.device() == self.device(), "{}: src is on {} but the tensor is on {}", op, src.device(),
             self.device());
  check_gather_scatter_shapes(self, dim, index64, &src, op);
  if (index64.numel() == 0) return;
  index64 = match_rank(index64, self);
  check_index_range(index64, size_at(self, dim), dim, op);
  backend_for(self.device()).scatter(self, dim, index64, to_dtype(match_rank(src, self), self.dtype()), mode);
  self.bump_version();
}

}  // namespace

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, self.dim(), "index_select");
  Tensor index64 = as_int64_index(index, self, "index_select");
  MINI_CHECK(index64.dim() <= 1, "index_select: index must be 0-d or 1-D, got shape {}", shape_str(index.sizes()));
  check_index_range(index64, size_at(self, dim), dim, "index_select");
  if (self.dim() == 0) {
    // A 0-d tensor behaves as one element along dim 0, as in PyTorch.
    Tensor picked = index_select(reshape(self, {1}), 0, index64);
    return index64.dim() == 0 ? reshape(picked, {}) : picked;
  }
  return select_checked(self, dim, index64);
}

void index_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  dim = wrap_dim(dim, self.dim(), "index_add_");
  Tensor index64 = as_int64_index(index, self, "index_add_");
  MINI_CHECK(index64.dim() <= 1, "index_add_: index must be 0-d or 1-D, got shape {}", shape_str(index.sizes()));
  MINI_CHECK(source.device() == self.device(), "index_add_: source is on {} but the tensor is on {}", source.device(),
             self.device());
  // source: self's shape with index.numel() at dim (0-d self takes a 0-d or 1-element source).
  Shape expected = self.sizes();
  if (self.dim() > 0) expected[dim] = index64.numel();
  const bool scalar_case = self.dim() == 0 && source.numel() == 1 && index64.numel() == 1;
  MINI_CHECK(source.sizes() == expected || scalar_case,
             "index_add_: source {} must have shape {} (the tensor {} with the index's length {} at dim {})",
             shape_str(source.sizes()), shape_str(expected), shape_str(self.sizes()), index64.numel(), dim);
  check_index_range(index64, size_at(self, dim), dim, "index_add_");
  if (source.numel() == 0) return;
  const Tensor target = self.dim() == 0 ? reshape(self, {1}) : self;
  const Tensor values = to_dtype(self.dim() == 0 ? reshape(source, {1}) : source, self.dtype());
  backend_for(self.device()).index_add(target, dim, reshape(index64, {-1}), values);
  self.bump_version();
}

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, self.dim(), "gather");
  Tensor index64 = as_int64_index(index, self, "gather");
  check_gather_scatter_shapes(self, dim, index64, nullptr, "gather");
  Tensor result = empty(index64.sizes(), {.dtype = self.dtype(), .device = self.device()});
  if (result.numel() == 0) return result;
  check_index_range(index64, size_at(self, dim), dim, "gather");
  backend_for(self.device()).gather(match_rank(result, self), self, dim, match_rank(index64, self));
  return result;
}

void scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  scatter_impl(self, dim, index, src, ScatterMode::assign, "scatter_");
}

void scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  scatter_impl(self, dim, index, src, ScatterMode::add, "scatter_add_");
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor result = clone(self);
  scatter_impl(result, dim, index, src, ScatterMode::assign, "scatter");
  return result;
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor result = clone(self);
  scatter_impl(result, dim, index, src, ScatterMode::add, "scatter_add");
  return result;
}

void masked_fill_(const Tensor& self, const Tensor& mask, Scalar value) {
  MINI_CHECK(mask.dtype() == DType::b8, "masked_fill_: expected a bool mask, got {}", mask.dtype());
  MINI_CHECK(mask.device() == self.device(), "masked_fill_: mask is on {} but the tensor is on {}", mask.device(),
             self.device());
  const Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_fill_");
  MINI_CHECK(shape == self.sizes(), "masked_fill_: the mask {} broadcasts the tensor {} to {}; in-place needs {}",
             shape_str(mask.sizes()), shape_str(self.sizes()), shape_str(shape), shape_str(self.sizes()));
  if (self.numel() == 0) return;
  // where(mask, value, self) into self: the value is a 0-d tensor expanded with stride 0.
  const Tensor filler = expand(scalar_tensor(value, {.dtype = self.dtype(), .device = self.device()}), shape);
  backend_for(self.device()).where(self, expand(mask, shape), filler, self);
  self.bump_version();
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, Scalar value) {
  const Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_fill");
  Tensor result = empty(shape, {.dtype = self.dtype(), .device = self.device()});
  copy_(result, self);
  masked_fill_(result, mask, value);
  return result;
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  MINI_CHECK(mask.dtype() == DType::b8, "masked_select: expected a bool mask, got {}", mask.dtype());
  MINI_CHECK(mask.device() == self.device(), "masked_select: mask is on {} but the tensor is on {}", mask.device(),
             self.device());
  const Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_select");
  const Tensor flat_values = reshape(expand(self, shape), {-1});
  const Tensor flat_mask = reshape(expand(mask, shape), {-1});
  Tensor positions = backend_for(self.device()).nonzero(flat_mask);  // (count, 1)
  return select_checked(flat_values, 0, positions);
}

Tensor nonzero(const Tensor& self) { return backend_for(self.device()).nonzero(to_dtype(self, DType::b8)); }

Tensor one_hot(const Tensor& index, int64_t num_classes) {
  MINI_CHECK(is_integral(index.dtype(), false), "one_hot: expected an integer index tensor, got {}", index.dtype());
  const Tensor index64 = to_dtype(index, DType::i64);
  const Tensor host = contiguous(to_device(index64, Device::cpu()));
  const int64_t* values = host.data<int64_t>();
  const auto [low, high] = std::minmax_element(values, values + host.numel());
  if (num_classes < 0) {
    MINI_CHECK(host.numel() > 0, "one_hot: cannot infer num_classes from an empty index {}; pass num_classes",
               shape_str(index.sizes()));
    num_classes = *high + 1;
  }
  if (host.numel() > 0) {
    MINI_CHECK_INDEX(*low >= 0, "one_hot: class {} is negative", *low);
    MINI_CHECK_INDEX(*high < num_classes, "one_hot: class {} is out of range for num_classes {}", *high, num_classes);
  }
  Shape sizes = index.sizes();
  sizes.push_back(num_classes);
  Tensor result = zeros(sizes, {.dtype = DType::i64, .device = index.device()});
  if (result.numel() == 0) return result;
  // result[..., index[...]] = 1: a scatter along the new last dim.
  const Tensor positions = unsqueeze(index64, -1);
  const Tensor ones_src = expand(scalar_tensor(1, {.dtype = DType::i64, .device = index.device()}), positions.sizes());
  backend_for(index.device()).scatter(result, result.dim() - 1, positions, ones_src, ScatterMode::assign);
  return result;
}

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  MINI_CHECK(weight.dim() == 2, "embedding: weight must be 2-D (num_embeddings, dim), got shape {}",
             shape_str(weight.sizes()));
  MINI_CHECK(is_integral(indices.dtype(), false), "embedding: expected integer indices, got {}", indices.dtype());
  Tensor flat = reshape(to_dtype(indices, DType::i64), {-1});
  MINI_CHECK(flat.device() == weight.device(), "embedding: indices are on {} but the weight is on {}", flat.device(),
             weight.device());
  check_index_range(flat, weight.sizes()[0], 0, "embedding");
  // (numel(indices), dim) -> (*indices.shape, dim)
  Tensor rows = select_checked(weight, 0, flat);
  Shape sizes = indices.sizes();
  sizes.push_back(weight.sizes()[1]);
  return view(rows, sizes);
}

// ---- joining and padding ------------------------------------------------

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  MINI_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
  // NOTE: PyTorch's legacy rule: a 1-D empty tensor (shape (0,)) is skipped
  // whatever the other shapes, so a loop can start from an empty accumulator.
  auto skipped = [](const Tensor& t) { return t.dim() == 1 && t.sizes()[0] == 0; };
  DType dtype = tensors[0].dtype();
  const Device device = tensors[0].device();
  int64_t reference = -1;  // the first tensor that is not skipped: it fixes the shape
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    MINI_CHECK(t.defined(), "cat: tensor {} is undefined", i);
    MINI_CHECK(t.device() == device, "cat: tensor {} is on {} but tensor 0 is on {}", i, t.device(), device);
    MINI_CHECK(t.dim() > 0, "cat: tensor {} is 0-d and cannot be concatenated", i);
    dtype = promote_types(dtype, t.dtype());
    if (reference < 0 && !skipped(t)) reference = static_cast<int64_t>(i);
  }
  if (reference < 0) return empty({0}, {.dtype = dtype, .device = device});
  const Tensor& first = tensors[static_cast<size_t>(reference)];
  dim = wrap_dim(dim, first.dim(), "cat");
  Shape sizes = first.sizes();
  sizes[dim] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped(t)) continue;
    MINI_CHECK(t.dim() == first.dim(), "cat: tensor {} has shape {} but tensor {} has shape {}: ranks differ",
               reference, shape_str(first.sizes()), i, shape_str(t.sizes()));
    for (int64_t d = 0; d < t.dim(); ++d) {
      MINI_CHECK(d == dim || t.sizes()[d] == first.sizes()[d],
                 "cat: sizes must match except in dim {}: tensor {} has shape {} but tensor {} has shape {} "
                 "(mismatch at dim {})",
                 dim, reference, shape_str(first.sizes()), i, shape_str(t.sizes()), d);
    }
    sizes[dim] += t.sizes()[dim];
  }
  Tensor result = empty(sizes, {.dtype = dtype, .device = device});
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    if (skipped(t)) continue;
    const int64_t length = t.sizes()[dim];
    if (t.numel() > 0) backend_for(device).copy(narrow(result, dim, offset, length), t);
    offset += length;
  }
  return result;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  MINI_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    MINI_CHECK(tensors[i].defined(), "stack: tensor {} is undefined", i);
    MINI_CHECK(tensors[i].sizes() == tensors[0].sizes(),
               "stack: expected tensors of one shape, but tensor 0 has shape {} and tensor {} has shape {}",
               shape_str(tensors[0].sizes()), i, shape_str(tensors[i].sizes()));
  }
  dim = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> unsqueezed;
  unsqueezed.reserve(tensors.size());
  for (const Tensor& t : tensors) unsqueezed.push_back(unsqueeze(t, dim));
  return cat(unsqueezed, dim);
}

Tensor pad(const Tensor& self, const Shape& pad, Scalar value) {
  MINI_CHECK(pad.size() % 2 == 0, "pad: padding {} must list (before, after) pairs", shape_str(pad));
  const auto padded_dims = static_cast<int64_t>(pad.size() / 2);
  MINI_CHECK(padded_dims <= self.dim(), "pad: padding {} covers {} dims but the tensor {} has {}", shape_str(pad),
             padded_dims, shape_str(self.sizes()), self.dim());
  Shape sizes = self.sizes();
  for (int64_t i = 0; i < padded_dims; ++i) {
    const int64_t d = self.dim() - 1 - i;
    sizes[d] += pad[2 * i] + pad[2 * i + 1];
    MINI_CHECK(sizes[d] >= 0, "pad: padding ({}, {}) of dim {} of the tensor {} gives a negative size {}", pad[2 * i],
               pad[2 * i + 1], d, shape_str(self.sizes()), sizes[d]);
  }
  Tensor result = full(sizes, value, {.dtype = self.dtype(), .device = self.device()});
  // Copy the part of self that survives cropping to where it lands.
  Tensor source = self, destination = result;
  for (int64_t i = 0; i < padded_dims; ++i) {
    const int64_t d = self.dim() - 1 - i, before = pad[2 * i], after = pad[2 * i + 1];
    const int64_t crop_before = std::max<int64_t>(0, -before), crop_after = std::max<int64_t>(0, -after);
    const int64_t kept = self.sizes()[d] - crop_before - crop_after;
    if (kept <= 0) return result;
    source = narrow(source, d, crop_before, kept);
    destination = narrow(destination, d, std::max<int64_t>(0, before), kept);
  }
  if (source.numel() > 0) backend_for(self.device()).copy(destination, source);
  return result;
}

}  // namespace mini::ops
