// Differentiable views. Each records with is_view = true so in-place ops can
// refuse to write through them (see inplace.cpp).
#include "autograd/functions/view.h"

#include "autograd/functions/elementwise.h"
#include "autograd/record.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/factory.h"

namespace mini {

namespace {

// A view whose gradient is g reshaped back to the input's sizes.
Tensor reshaping_view(const char* name, const Tensor& x, Tensor y) {
  if (!should_record(x)) return y;
  const bool is_view = y.storage() == x.storage();
  return record(
      name, {x}, std::move(y), [sizes = x.sizes()](const GradList& g) -> GradList { return {reshape(g[0], sizes)}; },
      is_view);
}

// Gradient of a view that picks some elements of x once each (narrow, slice,
// select, diagonal): zeros of x's shape with g written where the view looks.
// `view_of` re-creates the view; it is differentiable, which gives this
// op's own backward (double backward).
template <typename ViewOf>
Tensor scatter_into_view(const Tensor& g, const Shape& sizes, const ViewOf& view_of) {
  Tensor out = ops::zeros(sizes, {.dtype = g.dtype(), .device = g.device()});
  ops::copy_(view_of(out), g);
  if (!should_record(g)) return out;
  return record("view_backward", {g}, out, [view_of](const GradList& gg) -> GradList { return {view_of(gg[0])}; });
}

template <typename ViewOf>
Tensor picking_view(const char* name, const Tensor& x, Tensor y, ViewOf view_of) {
  if (!should_record(x)) return y;
  return record(
      name, {x}, std::move(y),
      [sizes = x.sizes(), view_of](const GradList& g) -> GradList {
        return {scatter_into_view(g[0], sizes, view_of)};
      },
      /*is_view=*/true);
}

}  // namespace

Tensor view(const Tensor& x, const Shape& sizes) { return reshaping_view("view", x, ops::view(x, sizes)); }
Tensor reshape(const Tensor& x, const Shape& sizes) { return reshaping_view("reshape", x, ops::reshape(x, sizes)); }
Tensor squeeze(const Tensor& x) { return reshaping_view("squeeze", x, ops::squeeze(x)); }
Tensor squeeze(const Tensor& x, int64_t dim) { return reshaping_view("squeeze", x, ops::squeeze(x, dim)); }
Tensor unsqueeze(const Tensor& x, int64_t dim) { return reshaping_view("unsqueeze", x, ops::unsqueeze(x, dim)); }
Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  return reshaping_view("flatten", x, ops::flatten(x, start_dim, end_dim));
}
Tensor unflatten(const Tensor& x, int64_t dim, const Shape& sizes) {
  return reshaping_view("unflatten", x, ops::unflatten(x, dim, sizes));
}

Tensor permute(const Tensor& x, const Shape& dims) {
  Tensor y = ops::permute(x, dims);
  if (!should_record(x)) return y;
  Shape inverse(dims.size(), 0);
  for (size_t i = 0; i < dims.size(); ++i) inverse[wrap_dim(dims[i], x.dim(), "permute")] = static_cast<int64_t>(i);
  return record(
      "permute", {x}, y, [inverse](const GradList& g) -> GradList { return {permute(g[0], inverse)}; }, true);
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  Tensor y = ops::transpose(x, dim0, dim1);
  if (!should_record(x)) return y;
  return record(
      "transpose", {x}, y, [dim0, dim1](const GradList& g) -> GradList { return {transpose(g[0], dim0, dim1)}; },
      true);
}

Tensor t(const Tensor& x) {
  Tensor y = ops::t(x);
  if (!should_record(x)) return y;
  return record("t", {x}, y, [](const GradList& g) -> GradList { return {t(g[0])}; }, true);
}

Tensor movedim(const Tensor& x, int64_t source, int64_t destination) {
  Tensor y = ops::movedim(x, source, destination);
  if (!should_record(x)) return y;
  const int64_t from = wrap_dim(source, x.dim(), "movedim"), to = wrap_dim(destination, x.dim(), "movedim");
  return record(
      "movedim", {x}, y, [from, to](const GradList& g) -> GradList { return {movedim(g[0], to, from)}; }, true);
}

Tensor expand(const Tensor& x, const Shape& sizes) {
  Tensor y = ops::expand(x, sizes);
  if (!should_record(x)) return y;
  return record(
      "expand", {x}, y, [sizes = x.sizes()](const GradList& g) -> GradList { return {sum_to(g[0], sizes)}; }, true);
}

Tensor expand_as(const Tensor& x, const Tensor& other) { return expand(x, other.sizes()); }

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  return picking_view("narrow", x, ops::narrow(x, dim, start, length),
                      [dim, start, length](const Tensor& t) { return narrow(t, dim, start, length); });
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return picking_view("slice", x, ops::slice(x, dim, start, end, step),
                      [dim, start, end, step](const Tensor& t) { return slice(t, dim, start, end, step); });
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  return picking_view("select", x, ops::select(x, dim, index),
                      [dim, index](const Tensor& t) { return select(t, dim, index); });
}

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  return picking_view("diagonal", x, ops::diagonal(x, offset, dim1, dim2),
                      [offset, dim1, dim2](const Tensor& t) { return diagonal(t, offset, dim1, dim2); });
}

std::vector<Tensor> split_with_sizes(const Tensor& x, const Shape& sizes, int64_t dim) {
  // One narrow per piece: each piece is its own node, which keeps the backward trivial.
  int64_t total = 0;
  for (int64_t size : sizes) total += size;
  const int64_t wrapped = wrap_dim(dim, x.dim(), "split_with_sizes");
  MINI_CHECK(total == x.size(wrapped), "split_with_sizes: sizes {} sum to {}, but dim {} of {} has size {}",
             shape_str(sizes), total, dim, shape_str(x.sizes()), x.size(wrapped));
  std::vector<Tensor> pieces;
  int64_t start = 0;
  for (int64_t size : sizes) {
    pieces.push_back(narrow(x, wrapped, start, size));
    start += size;
  }
  return pieces;
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  if (!should_record(x)) return ops::split(x, split_size, dim);
  Shape sizes;
  for (const Tensor& piece : ops::split(x, split_size, dim)) sizes.push_back(piece.size(dim));
  return split_with_sizes(x, sizes, dim);
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  if (!should_record(x)) return ops::chunk(x, chunks, dim);
  Shape sizes;
  for (const Tensor& piece : ops::chunk(x, chunks, dim)) sizes.push_back(piece.size(dim));
  return split_with_sizes(x, sizes, dim);
}

std::vector<Tensor> unbind(const Tensor& x, int64_t dim) {
  if (!should_record(x)) return ops::unbind(x, dim);
  std::vector<Tensor> pieces;
  for (int64_t i = 0; i < x.size(dim); ++i) pieces.push_back(select(x, dim, i));
  return pieces;
}

}  // namespace mini
