#pragma once
// Options for factories: zeros({2, 3}, {.dtype = DType::f64, .device = Device::cuda()}).
#include "tensor/device.h"
#include "tensor/dtype.h"

namespace mini {

struct TensorOptions {
  DType dtype = DType::f32;
  Device device = Device::cpu();
};

}  // namespace mini
