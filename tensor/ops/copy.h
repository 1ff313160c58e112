#pragma once
// Copies and conversions between strides, dtypes and devices.
#include "tensor/tensor.h"

namespace mini::ops {

// dst = src (src broadcast to dst's shape; casts; any device pair). Bumps dst's version.
void copy_(const Tensor& dst, const Tensor& src);
// A new contiguous tensor with the same values.
Tensor clone(const Tensor& self);
// self if already contiguous, else a contiguous copy.
Tensor contiguous(const Tensor& self);
// self if it already has `dtype`, else a converted copy.
Tensor to_dtype(const Tensor& self, DType dtype);
// self if already on `device`, else a copy there.
Tensor to_device(const Tensor& self, Device device);

}  // namespace mini::ops
