#pragma once
// Tensor: a shared handle to a strided view (sizes, strides, element offset,
// dtype) of a Storage. Copying a Tensor copies the handle, not the data.
//
// This header holds metadata and data access only. The math lives in
// tensor/ops/*.h as free functions (mini::ops::add, ...), which compute
// without recording gradients; autograd/ builds the differentiable API on top.
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "tensor/device.h"
#include "tensor/dtype.h"
#include "tensor/scalar.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace mini {

struct AutogradMeta;  // defined by autograd/; tensor/ only carries the slot
class Node;          // autograd/node.h: one recorded op of the backward graph
class HookHandle;    // autograd/hooks.h: removes a registered hook

struct TensorImpl {
  Storage storage;
  int64_t offset = 0;  // in elements
  Shape sizes;
  Shape strides;  // in elements
  DType dtype = DType::f32;
  std::shared_ptr<AutogradMeta> autograd;
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor: defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  // A view of `storage` with the given geometry (no copy).
  Tensor(Storage storage, DType dtype, Shape sizes, Shape strides, int64_t offset);

  bool defined() const { return impl_ != nullptr; }
  const Shape& sizes() const { return impl_->sizes; }
  const Shape& strides() const { return impl_->strides; }
  // Size/stride of one dim; negative dims count from the end.
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t dim() const { return static_cast<int64_t>(impl_->sizes.size()); }
  int64_t numel() const { return numel_of(impl_->sizes); }
  DType dtype() const { return impl_->dtype; }
  size_t element_size() const { return mini::element_size(impl_->dtype); }
  Device device() const { return impl_->storage->device(); }
  int64_t offset() const { return impl_->offset; }
  const Storage& storage() const { return impl_->storage; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  // Row-major with no gaps (size-1 dims may have any stride).
  bool is_contiguous() const;
  // Same handle (not merely equal values).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // Address of element 0 of this view.
  void* data_ptr() const;
  // Typed pointer; throws if T does not match dtype().
  template <typename T>
  T* data() const {
    MINI_CHECK(dtype_of<T>() == dtype(), "data<{}>(): tensor has dtype {}", dtype_of<T>(), dtype());
    return static_cast<T*>(data_ptr());
  }

  uint64_t version() const { return impl_->storage->version(); }
  void bump_version() const { impl_->storage->bump_version(); }

  // The value of a one-element tensor (copies from the device if needed).
  Scalar item() const;
  template <typename T>
  T item() const {
    return item().to<T>();
  }

  // PyTorch-style text: tensor([[1.0000, 2.0000], ...], dtype=float64)
  std::string str() const;

  AutogradMeta* autograd_meta() const { return impl_->autograd.get(); }
  void set_autograd_meta(std::shared_ptr<AutogradMeta> meta) const { impl_->autograd = std::move(meta); }

  // ---- autograd (defined in autograd/variable.cpp; include autograd/autograd.h) ----
  bool requires_grad() const;
  // Marks a leaf as a parameter to differentiate (floating dtypes only).
  const Tensor& requires_grad_(bool requires_grad = true) const;
  Tensor grad() const;  // undefined until a backward reaches this tensor
  void set_grad(const Tensor& grad) const;
  void zero_grad(bool set_to_none = true) const;
  bool is_leaf() const;  // no grad_fn: created by the user, not by a recorded op
  std::shared_ptr<Node> grad_fn() const;
  // Backpropagates from this tensor; `gradient` may be omitted for one-element tensors.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false, bool create_graph = false) const;
  // Same data, no history (shares the version counter).
  Tensor detach() const;
  // Keep .grad for this non-leaf after backward.
  void retain_grad() const;
  bool retains_grad() const;
  // `hook(grad)` runs when the gradient for this tensor is computed; a defined result replaces it.
  HookHandle register_hook(std::function<Tensor(const Tensor&)> hook) const;
  // Leaves only: `hook(tensor)` runs after the gradient was accumulated into .grad.
  HookHandle register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) const;

  // Differentiable conveniences (forward to the mini:: functions of autograd/).
  Tensor sum() const;
  Tensor mean() const;
  Tensor matmul(const Tensor& other) const;
  Tensor relu() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor pow(Scalar exponent) const;
  Tensor reshape(const Shape& sizes) const;
  Tensor view(const Shape& sizes) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor permute(const Shape& dims) const;
  Tensor t() const;
  Tensor to(DType dtype) const;
  Tensor contiguous() const;
  Tensor clone() const;
  // In place, recorded by autograd (see autograd/functions/inplace.cpp for the rules).
  const Tensor& add_(const Tensor& other) const;
  const Tensor& add_(Scalar other) const;
  const Tensor& sub_(const Tensor& other) const;
  const Tensor& mul_(const Tensor& other) const;
  const Tensor& mul_(Scalar other) const;
  const Tensor& div_(Scalar other) const;
  const Tensor& zero_() const;
  const Tensor& fill_(Scalar value) const;
  const Tensor& copy_(const Tensor& source) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

}  // namespace mini
