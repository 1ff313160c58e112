// Differentiable indexing, joining and padding. Most backwards are the
// "adjoint" indexing op: gather <-> scatter_add, index_select <-> index_add,
// cat <-> narrow, pad <-> pad with negated widths.
#include "autograd/functions/index.h"

#include "autograd/functions/elementwise.h"
#include "autograd/functions/view.h"
#include "autograd/record.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"

namespace mini {

namespace {
Tensor zeros_for(const Shape& sizes, const Tensor& like) {
  return ops::zeros(sizes, {.dtype = like.dtype(), .device = like.device()});
}
}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor y = ops::index_select(x, dim, index);
  if (!should_record(x)) return y;
  return record("index_select", {x}, y, [sizes = x.sizes(), dim, index](const GradList& g) -> GradList {
    return {index_add(zeros_for(sizes, g[0]), dim, index, g[0])};
  });
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source) {
  Tensor y = ops::clone(x);
  ops::index_add_(y, dim, index, source);
  if (!should_record(x, source)) return y;
  return record("index_add", {x, source}, y,
                [x_needed = tensor_requires_grad(x), source_needed = tensor_requires_grad(source), dim,
                 index](const GradList& g) -> GradList {
                  return {x_needed ? g[0] : Tensor(), source_needed ? index_select(g[0], dim, index) : Tensor()};
                });
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor y = ops::gather(x, dim, index);
  if (!should_record(x)) return y;
  return record("gather", {x}, y, [sizes = x.sizes(), dim, index](const GradList& g) -> GradList {
    return {scatter_add(zeros_for(sizes, g[0]), dim, index, g[0])};
  });
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor y = ops::scatter_add(x, dim, index, src);
  if (!should_record(x, src)) return y;
  return record("scatter_add", {x, src}, y,
                [x_needed = tensor_requires_grad(x), src_needed = tensor_requires_grad(src), dim,
                 index](const GradList& g) -> GradList {
                  return {x_needed ? g[0] : Tensor(), src_needed ? gather(g[0], dim, index) : Tensor()};
                });
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor y = ops::scatter(x, dim, index, src);
  if (!should_record(x, src)) return y;
  return record("scatter", {x, src}, y,
                [x_needed = tensor_requires_grad(x), src_needed = tensor_requires_grad(src), dim, index,
                 src_sizes = src.sizes()](const GradList& g) -> GradList {
                  // Overwritten positions of x get no gradient.
                  Tensor grad_x = x_needed ? scatter(g[0], dim, index, zeros_for(src_sizes, g[0])) : Tensor();
                  return {grad_x, src_needed ? gather(g[0], dim, index) : Tensor()};
                });
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value) {
  Tensor y = ops::masked_fill(x, mask, value);
  if (!should_record(x)) return y;
  return record("masked_fill", {x}, y, [sizes = x.sizes(), mask](const GradList& g) -> GradList {
    return {sum_to(masked_fill(g[0], mask, 0), sizes)};
  });
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  Tensor y = ops::masked_select(x, mask);
  if (!should_record(x)) return y;
  return record("masked_select", {x}, y, [sizes = x.sizes(), mask](const GradList& g) -> GradList {
    // Put g back at the mask's positions of the broadcast (x, mask) shape.
    const Shape shape = broadcast_shapes(sizes, mask.sizes(), "masked_select");
    const Tensor positions = ops::reshape(ops::nonzero(ops::reshape(ops::expand(mask, shape), {-1})), {-1});
    const Tensor flat = index_add(zeros_for({numel_of(shape)}, g[0]), 0, positions, g[0]);
    return {sum_to(reshape(flat, shape), sizes)};
  });
}

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  Tensor y = ops::embedding(weight, indices);
  if (!should_record(weight)) return y;
  return record("embedding", {weight}, y, [sizes = weight.sizes(), indices](const GradList& g) -> GradList {
    // Rows looked up more than once get the sum of their gradients.
    const Tensor flat_indices = ops::reshape(indices, {-1});
    return {index_add(zeros_for(sizes, g[0]), 0, flat_indices, reshape(g[0], {-1, sizes[1]}))};
  });
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor y = ops::cat(tensors, dim);
  if (!should_record_list(tensors)) return y;
  struct Piece {
    int64_t length;  // -1: a skipped empty (0,) tensor
    DType dtype;
    bool needed;
  };
  std::vector<Piece> pieces;
  pieces.reserve(tensors.size());
  int64_t wrapped = 0;
  for (const Tensor& t : tensors) {
    const bool skipped = t.dim() == 1 && t.size(0) == 0;
    if (!skipped) wrapped = wrap_dim(dim, t.dim(), "cat");
    pieces.push_back({skipped ? -1 : 0, t.dtype(), tensor_requires_grad(t)});
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (pieces[i].length == 0) pieces[i].length = tensors[i].size(wrapped);
  }
  return record("cat", tensors, y, [pieces = std::move(pieces), wrapped](const GradList& g) -> GradList {
    GradList grads;
    grads.reserve(pieces.size());
    int64_t offset = 0;
    for (const Piece& piece : pieces) {
      if (piece.length < 0) {
        grads.emplace_back();
        continue;
      }
      grads.push_back(piece.needed ? to_dtype(narrow(g[0], wrapped, offset, piece.length), piece.dtype) : Tensor());
      offset += piece.length;
    }
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  if (!should_record_list(tensors)) return ops::stack(tensors, dim);
  MINI_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    MINI_CHECK(tensors[i].defined() && tensors[i].sizes() == tensors[0].sizes(),
               "stack: expected tensors of one shape, but tensor 0 has shape {} and tensor {} has shape {}",
               shape_str(tensors[0].sizes()), i, tensors[i].defined() ? shape_str(tensors[i].sizes()) : "undefined");
  }
  const int64_t wrapped = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> unsqueezed;
  unsqueezed.reserve(tensors.size());
  for (const Tensor& t : tensors) unsqueezed.push_back(unsqueeze(t, wrapped));
  return cat(unsqueezed, wrapped);
}

Tensor pad(const Tensor& x, const Shape& pad_widths, Scalar value) {
  Tensor y = ops::pad(x, pad_widths, value);
  if (!should_record(x)) return y;
  Shape negated = pad_widths;
  for (int64_t& width : negated) width = -width;
  // Padding and cropping are adjoint: the gradient crops what was padded and zero-pads what was cropped.
  return record("pad", {x}, y, [negated](const GradList& g) -> GradList { return {pad(g[0], negated, 0)}; });
}

}  // namespace mini
