#include "tensor/ops/copy.h"

#include "tensor/backend.h"
#include "tensor/ops/factory.h"
#include "tensor/ops/view.h"

namespace mini::ops {

void copy_(const Tensor& dst, const Tensor& src) {
  const Tensor source = src.sizes() == dst.sizes() ? src : expand(src, dst.sizes());
  if (dst.device() == source.device()) {
    backend_for(dst.device()).copy(dst, source);
  } else if (source.device().is_cpu()) {
    // Host -> device: stage a contiguous host copy in dst's dtype, then one transfer.
    Tensor staged = empty(dst.sizes(), {.dtype = dst.dtype()});
    backend_for(Device::cpu()).copy(staged, source);
    if (dst.is_contiguous()) {
      backend_for(dst.device()).copy_from_cpu(dst, staged);
    } else {
      Tensor on_device = empty(dst.sizes(), {.dtype = dst.dtype(), .device = dst.device()});
      backend_for(dst.device()).copy_from_cpu(on_device, staged);
      backend_for(dst.device()).copy(dst, on_device);
    }
  } else if (dst.device().is_cpu()) {
    Tensor compact = contiguous(source);
    Tensor staged = empty(compact.sizes(), {.dtype = compact.dtype()});
    backend_for(source.device()).copy_to_cpu(staged, compact);
    backend_for(Device::cpu()).copy(dst, staged);
  } else {
    copy_(dst, to_device(source, Device::cpu()));  // between two accelerators: through the host
  }
  dst.bump_version();
}

Tensor clone(const Tensor& self) {
  Tensor result = empty(self.sizes(), {.dtype = self.dtype(), .device = self.device()});
  backend_for(self.device()).copy(result, self);
  return result;
}

Tensor contiguous(const Tensor& self) { return self.is_contiguous() ? self : clone(self); }

Tensor to_dtype(const Tensor& self, DType dtype) {
  if (self.dtype() == dtype) return self;
  Tensor result = empty(self.sizes(), {.dtype = dtype, .device = self.device()});
  backend_for(self.device()).copy(result, self);
  return result;
}

Tensor to_device(const Tensor& self, Device device) {
  if (self.device() == device) return self;
  Tensor result = empty(self.sizes(), {.dtype = self.dtype(), .device = device});
  copy_(result, self);
  return result;
}

}  // namespace mini::ops
