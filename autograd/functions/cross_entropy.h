#pragma once
// Differentiable cross-entropy over rows with class-index targets, the fused
// op nn::cross_entropy builds on (ops::cross_entropy_rows, Backend::cross_entropy).
#include <cstdint>

#include "tensor/ops/cross_entropy.h"
#include "tensor/tensor.h"

namespace mini {

// logits (N, C), target (N) integer class indices, weight (C) or undefined
// (it gets no gradient) -> loss (N), PyTorch's cross_entropy with
// reduction='none' (0 where the target is ignore_index). The forward computes
// the logit gradient too, so the backward is one multiply; differentiating the
// gradient again (create_graph) goes through softmax.
Tensor cross_entropy_rows(const Tensor& logits, const Tensor& target, const Tensor& weight = Tensor(),
                          int64_t ignore_index = -100, double label_smoothing = 0.0);

}  // namespace mini
