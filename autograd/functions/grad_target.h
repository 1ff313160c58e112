#pragma once
// GradTarget: what a broadcasting op's backward needs to know about one input
// without keeping the input alive: does it need a gradient, and which shape
// and dtype must that gradient have.
#include "autograd/functions/elementwise.h"
#include "autograd/record.h"
#include "tensor/ops/copy.h"

namespace mini {

struct GradTarget {
  explicit GradTarget(const Tensor& input)
      : needed(tensor_requires_grad(input)), sizes(needed ? input.sizes() : Shape()), dtype(input.dtype()) {}

  // `grad` (the output's shape) summed back to the input's shape and dtype.
  Tensor reduce(const Tensor& grad) const {
    if (!needed || !grad.defined()) return {};
    Tensor summed = sum_to(grad, sizes);
    return summed.dtype() == dtype ? summed : to_dtype(summed, dtype);
  }

  bool needed;
  Shape sizes;
  DType dtype;
};

}  // namespace mini
