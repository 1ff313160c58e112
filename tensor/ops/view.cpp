#include "tensor/ops/view.h"

#include <algorithm>
#include <numeric>

#include "tensor/ops/copy.h"

namespace mini::ops {
namespace {

Tensor make_view(const Tensor& self, Shape sizes, Shape strides, int64_t offset) {
  return Tensor(self.storage(), self.dtype(), std::move(sizes), std::move(strides), offset);
}

}  // namespace

Tensor as_strided(const Tensor& self, const Shape& sizes, const Shape& strides, int64_t offset) {
  MINI_CHECK(sizes.size() == strides.size(), "as_strided: sizes {} and strides {} differ in rank", shape_str(sizes),
             shape_str(strides));
  int64_t last = offset;  // the largest element offset the view can reach
  for (size_t i = 0; i < sizes.size(); ++i) {
    MINI_CHECK(sizes[i] >= 0 && strides[i] >= 0, "as_strided: negative size or stride in {} / {}",
               shape_str(sizes), shape_str(strides));
    if (sizes[i] == 0) last = -1;
  }
  if (last >= 0) {
    for (size_t i = 0; i < sizes.size(); ++i) last += (sizes[i] - 1) * strides[i];
    const auto capacity = static_cast<int64_t>(self.storage()->nbytes() / self.element_size());
    MINI_CHECK(last < capacity,
               "as_strided: sizes {} strides {} offset {} reach element {} but the storage holds {} elements",
               shape_str(sizes), shape_str(strides), offset, last, capacity);
  }
  return make_view(self, sizes, strides, offset);
}

Shape infer_size(const Shape& sizes, int64_t numel, const char* op) {
  Shape result = sizes;
  int64_t known = 1;
  int64_t infer_dim = -1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      MINI_CHECK(infer_dim < 0, "{}: only one dimension can be -1 in {}", op, shape_str(sizes));
      infer_dim = static_cast<int64_t>(i);
    } else {
      MINI_CHECK(sizes[i] >= 0, "{}: invalid size {} in {}", op, sizes[i], shape_str(sizes));
      known *= sizes[i];
    }
  }
  if (infer_dim >= 0) {
    MINI_CHECK(known != 0 && numel % known == 0, "{}: shape {} is invalid for input of size {}", op,
               shape_str(sizes), numel);
    result[infer_dim] = numel / known;
  } else {
    MINI_CHECK(known == numel, "{}: shape {} is invalid for input of size {}", op, shape_str(sizes), numel);
  }
  return result;
}

// NOTE: the same algorithm as PyTorch's computeStride: walk the old dims from
// the right in chunks that are contiguous among themselves; each chunk must
// map onto a run of new dims with the same element count.
bool compute_view_strides(const Shape& old_sizes_in, const Shape& old_strides_in, const Shape& new_sizes,
                          Shape& new_strides) {
  const Shape old_sizes = old_sizes_in.empty() ? Shape{1} : old_sizes_in;
  const Shape old_strides = old_strides_in.empty() ? Shape{1} : old_strides_in;
  new_strides.assign(new_sizes.size(), 0);
  if (numel_of(old_sizes) == 0) {
    new_strides = old_sizes == new_sizes ? old_strides : contiguous_strides(new_sizes);
    return true;
  }
  auto view_d = static_cast<int64_t>(new_sizes.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (auto tensor_d = static_cast<int64_t>(old_sizes.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_sizes[tensor_d];
    if (tensor_d == 0 ||
        (old_sizes[tensor_d - 1] != 1 && old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d] == 1)) {
        new_strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_sizes[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

Tensor view(const Tensor& self, const Shape& sizes) {
  const Shape new_sizes = infer_size(sizes, self.numel(), "view");
  Shape new_strides;
  MINI_CHECK(compute_view_strides(self.sizes(), self.strides(), new_sizes, new_strides),
             "view: cannot view a tensor of shape {} and strides {} as {} without a copy; use reshape",
             shape_str(self.sizes()), shape_str(self.strides()), shape_str(new_sizes));
  return make_view(self, new_sizes, new_strides, self.offset());
}

Tensor reshape(const Tensor& self, const Shape& sizes) {
  const Shape new_sizes = infer_size(sizes, self.numel(), "reshape");
  Shape new_strides;
  if (compute_view_strides(self.sizes(), self.strides(), new_sizes, new_strides)) {
    return make_view(self, new_sizes, new_strides, self.offset());
  }
  return view(clone(self), new_sizes);
}

Tensor permute(const Tensor& self, const Shape& dims) {
  MINI_CHECK(static_cast<int64_t>(dims.size()) == self.dim(), "permute: {} dims given for a tensor of shape {}",
             dims.size(), shape_str(self.sizes()));
  Shape sizes(dims.size()), strides(dims.size());
  SmallVector<bool, 8> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], self.dim(), "permute");
    MINI_CHECK(!seen[d], "permute: dim {} repeats in {}", d, shape_str(dims));
    seen[d] = true;
    sizes[i] = self.sizes()[d];
    strides[i] = self.strides()[d];
  }
  return make_view(self, sizes, strides, self.offset());
}

Tensor transpose(const Tensor& self, int64_t dim0, int64_t dim1) {
  dim0 = wrap_dim(dim0, self.dim(), "transpose");
  dim1 = wrap_dim(dim1, self.dim(), "transpose");
  if (self.dim() == 0) return make_view(self, {}, {}, self.offset());
  Shape sizes = self.sizes(), strides = self.strides();
  std::swap(sizes[dim0], sizes[dim1]);
  std::swap(strides[dim0], strides[dim1]);
  return make_view(self, sizes, strides, self.offset());
}

Tensor t(const Tensor& self) {
  MINI_CHECK(self.dim() <= 2, "t: expected a tensor with at most 2 dims, got shape {}", shape_str(self.sizes()));
  return self.dim() < 2 ? self : transpose(self, 0, 1);
}

Tensor movedim(const Tensor& self, int64_t source, int64_t destination) {
  source = wrap_dim(source, self.dim(), "movedim");
  destination = wrap_dim(destination, self.dim(), "movedim");
  Shape order;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (d != source) order.push_back(d);
  }
  order.insert(static_cast<size_t>(destination), source);
  return permute(self, order);
}

Tensor slice(const Tensor& self, int64_t dim, int64_t start, int64_t end, int64_t step) {
  MINI_CHECK(self.dim() > 0, "slice: cannot slice a 0-d tensor");
  dim = wrap_dim(dim, self.dim(), "slice");
  MINI_CHECK(step > 0, "slice: step must be positive, got {}", step);
  const int64_t size = self.sizes()[dim];
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<int64_t>(start, 0, size);
  end = std::clamp<int64_t>(end, start, size);
  Shape sizes = self.sizes(), strides = self.strides();
  sizes[dim] = (end - start + step - 1) / step;
  strides[dim] *= step;
  return make_view(self, sizes, strides, self.offset() + start * self.strides()[dim]);
}

Tensor narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  MINI_CHECK(self.dim() > 0, "narrow: cannot narrow a 0-d tensor");
  dim = wrap_dim(dim, self.dim(), "narrow");
  const int64_t size = self.sizes()[dim];
  if (start < 0) start += size;
  MINI_CHECK_INDEX(start >= 0 && length >= 0 && start + length <= size,
                   "narrow: start {} and length {} are out of range for dim {} of size {} (shape {})", start,
                   length, dim, size, shape_str(self.sizes()));
  Shape sizes = self.sizes();
  sizes[dim] = length;
  return make_view(self, sizes, self.strides(), self.offset() + start * self.strides()[dim]);
}

Tensor select(const Tensor& self, int64_t dim, int64_t index) {
  MINI_CHECK(self.dim() > 0, "select: cannot select from a 0-d tensor");
  dim = wrap_dim(dim, self.dim(), "select");
  const int64_t size = self.sizes()[dim];
  MINI_CHECK_INDEX(index >= -size && index < size, "select: index {} is out of range for dim {} of size {}", index,
                   dim, size);
  if (index < 0) index += size;
  Shape sizes = self.sizes(), strides = self.strides();
  sizes.erase(static_cast<size_t>(dim));
  strides.erase(static_cast<size_t>(dim));
  return make_view(self, sizes, strides, self.offset() + index * self.strides()[dim]);
}

Tensor expand(const Tensor& self, const Shape& sizes) {
  MINI_CHECK(sizes.size() >= static_cast<size_t>(self.dim()),
             "expand: the target shape {} has fewer dims than the tensor's shape {}", shape_str(sizes),
             shape_str(self.sizes()));
  const size_t lead = sizes.size() - static_cast<size_t>(self.dim());
  Shape new_sizes(sizes.size()), new_strides(sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i < lead) {
      MINI_CHECK(sizes[i] >= 0, "expand: new leading dim {} cannot be {} in {}", i, sizes[i], shape_str(sizes));
      new_sizes[i] = sizes[i];
      new_strides[i] = 0;
      continue;
    }
    const int64_t old_size = self.sizes()[i - lead];
    const int64_t target = sizes[i] == -1 ? old_size : sizes[i];
    MINI_CHECK(old_size == target || old_size == 1,
               "expand: the size {} at dim {} of shape {} cannot be expanded to {} (target {})", old_size, i - lead,
               shape_str(self.sizes()), target, shape_str(sizes));
    new_sizes[i] = target;
    new_strides[i] = old_size == target ? self.strides()[i - lead] : 0;
  }
  return make_view(self, new_sizes, new_strides, self.offset());
}

Tensor expand_as(const Tensor& self, const Tensor& other) { return expand(self, other.sizes()); }

Tensor squeeze(const Tensor& self) {
  Shape sizes, strides;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (self.sizes()[d] != 1) {
      sizes.push_back(self.sizes()[d]);
      strides.push_back(self.strides()[d]);
    }
  }
  return make_view(self, sizes, strides, self.offset());
}

Tensor squeeze(const Tensor& self, int64_t dim) {
  if (self.dim() == 0) return self;
  dim = wrap_dim(dim, self.dim(), "squeeze");
  if (self.sizes()[dim] != 1) return make_view(self, self.sizes(), self.strides(), self.offset());
  Shape sizes = self.sizes(), strides = self.strides();
  sizes.erase(static_cast<size_t>(dim));
  strides.erase(static_cast<size_t>(dim));
  return make_view(self, sizes, strides, self.offset());
}

Tensor unsqueeze(const Tensor& self, int64_t dim) {
  dim = wrap_dim(dim, self.dim() + 1, "unsqueeze");
  Shape sizes = self.sizes(), strides = self.strides();
  const int64_t stride = dim < self.dim() ? self.sizes()[dim] * self.strides()[dim] : 1;
  sizes.insert(static_cast<size_t>(dim), 1);
  strides.insert(static_cast<size_t>(dim), stride);
  return make_view(self, sizes, strides, self.offset());
}

Tensor flatten(const Tensor& self, int64_t start_dim, int64_t end_dim) {
  if (self.dim() == 0) return reshape(self, {1});
  start_dim = wrap_dim(start_dim, self.dim(), "flatten");
  end_dim = wrap_dim(end_dim, self.dim(), "flatten");
  MINI_CHECK(start_dim <= end_dim, "flatten: start_dim {} comes after end_dim {}", start_dim, end_dim);
  Shape sizes;
  for (int64_t d = 0; d < start_dim; ++d) sizes.push_back(self.sizes()[d]);
  int64_t merged = 1;
  for (int64_t d = start_dim; d <= end_dim; ++d) merged *= self.sizes()[d];
  sizes.push_back(merged);
  for (int64_t d = end_dim + 1; d < self.dim(); ++d) sizes.push_back(self.sizes()[d]);
  return reshape(self, sizes);
}

Tensor unflatten(const Tensor& self, int64_t dim, const Shape& sizes) {
  dim = wrap_dim(dim, self.dim(), "unflatten");
  const Shape inner = infer_size(sizes, self.sizes()[dim], "unflatten");
  Shape new_sizes;
  for (int64_t d = 0; d < dim; ++d) new_sizes.push_back(self.sizes()[d]);
  for (int64_t size : inner) new_sizes.push_back(size);
  for (int64_t d = dim + 1; d < self.dim(); ++d) new_sizes.push_back(self.sizes()[d]);
  return view(self, new_sizes);
}

Tensor unfold(const Tensor& self, int64_t dim, int64_t size, int64_t step) {
  dim = wrap_dim(dim, self.dim(), "unfold");
  const int64_t dim_size = self.dim() == 0 ? 1 : self.sizes()[dim];
  MINI_CHECK(size >= 0 && size <= dim_size, "unfold: window size {} exceeds dim {} of size {}", size, dim, dim_size);
  MINI_CHECK(step > 0, "unfold: step must be positive, got {}", step);
  Shape sizes = self.sizes(), strides = self.strides();
  if (self.dim() == 0) {
    return make_view(self, {size}, {1}, self.offset());
  }
  sizes[dim] = (dim_size - size) / step + 1;
  strides[dim] = self.strides()[dim] * step;
  sizes.push_back(size);
  strides.push_back(self.strides()[dim]);
  return make_view(self, sizes, strides, self.offset());
}

Tensor diagonal(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2) {
  dim1 = wrap_dim(dim1, self.dim(), "diagonal");
  dim2 = wrap_dim(dim2, self.dim(), "diagonal");
  MINI_CHECK(dim1 != dim2, "diagonal: dim1 and dim2 must differ, both are {}", dim1);
  int64_t length = 0;
  int64_t start = self.offset();
  if (offset >= 0) {
    length = std::max<int64_t>(std::min(self.sizes()[dim1], self.sizes()[dim2] - offset), 0);
    if (length > 0) start += offset * self.strides()[dim2];
  } else {
    length = std::max<int64_t>(std::min(self.sizes()[dim1] + offset, self.sizes()[dim2]), 0);
    if (length > 0) start -= offset * self.strides()[dim1];
  }
  Shape sizes, strides;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (d == dim1 || d == dim2) continue;
    sizes.push_back(self.sizes()[d]);
    strides.push_back(self.strides()[d]);
  }
  sizes.push_back(length);
  strides.push_back(self.strides()[dim1] + self.strides()[dim2]);
  return make_view(self, sizes, strides, start);
}

std::vector<Tensor> split_with_sizes(const Tensor& self, const Shape& sizes, int64_t dim) {
  dim = wrap_dim(dim, self.dim(), "split_with_sizes");
  int64_t total = 0;
  for (int64_t size : sizes) {
    MINI_CHECK(size >= 0, "split_with_sizes: negative size in {}", shape_str(sizes));
    total += size;
  }
  MINI_CHECK(total == self.sizes()[dim], "split_with_sizes: sizes {} sum to {} but dim {} has size {}",
             shape_str(sizes), total, dim, self.sizes()[dim]);
  std::vector<Tensor> pieces;
  int64_t start = 0;
  for (int64_t size : sizes) {
    pieces.push_back(narrow(self, dim, start, size));
    start += size;
  }
  return pieces;
}

std::vector<Tensor> split(const Tensor& self, int64_t split_size, int64_t dim) {
  dim = wrap_dim(dim, self.dim(), "split");
  MINI_CHECK(split_size > 0 || self.sizes()[dim] == 0, "split: split_size must be positive, got {}", split_size);
  const int64_t size = self.sizes()[dim];
  Shape sizes;
  for (int64_t start = 0; start < size; start += split_size) sizes.push_back(std::min(split_size, size - start));
  if (sizes.empty()) sizes.push_back(0);
  return split_with_sizes(self, sizes, dim);
}

std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim) {
  MINI_CHECK(chunks > 0, "chunk: number of chunks must be positive, got {}", chunks);
  dim = wrap_dim(dim, self.dim(), "chunk");
  const int64_t size = self.sizes()[dim];
  return split(self, std::max<int64_t>((size + chunks - 1) / chunks, 1), dim);
}

std::vector<Tensor> unbind(const Tensor& self, int64_t dim) {
  dim = wrap_dim(dim, self.dim(), "unbind");
  std::vector<Tensor> slices;
  for (int64_t i = 0; i < self.sizes()[dim]; ++i) slices.push_back(select(self, dim, i));
  return slices;
}

}  // namespace mini::ops
