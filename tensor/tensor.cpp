#include "tensor/tensor.h"

#include "tensor/ops/copy.h"

namespace mini {

Tensor::Tensor(Storage storage, DType dtype, Shape sizes, Shape strides, int64_t offset)
    : impl_(std::make_shared<TensorImpl>()) {
  MINI_ASSERT(sizes.size() == strides.size(), "sizes {} and strides {} differ in rank", shape_str(sizes),
              shape_str(strides));
  impl_->storage = std::move(storage);
  impl_->dtype = dtype;
  impl_->sizes = std::move(sizes);
  impl_->strides = std::move(strides);
  impl_->offset = offset;
}

int64_t Tensor::size(int64_t dim) const { return impl_->sizes[wrap_dim(dim, this->dim(), "size")]; }
int64_t Tensor::stride(int64_t dim) const { return impl_->strides[wrap_dim(dim, this->dim(), "stride")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    const int64_t size = impl_->sizes[i];
    if (size == 0) return true;
    if (size == 1) continue;
    if (impl_->strides[i] != expected) return false;
    expected *= size;
  }
  return true;
}

void* Tensor::data_ptr() const {
  auto* base = static_cast<char*>(impl_->storage->data());
  return base == nullptr ? nullptr : base + impl_->offset * static_cast<int64_t>(element_size());
}

Scalar Tensor::item() const {
  MINI_CHECK(numel() == 1, "item(): expected a tensor with one element, got shape {}", shape_str(sizes()));
  const Tensor host = device().is_cpu() ? *this : ops::to_device(*this, Device::cpu());
  return dispatch(dtype(), [&]<typename T>() -> Scalar { return Scalar(*static_cast<const T*>(host.data_ptr())); });
}

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) { return out << tensor.str(); }

}  // namespace mini
