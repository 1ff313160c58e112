#pragma once
// Cross-entropy over rows with class-index targets, loss and logit gradient
// in one pass (Backend::cross_entropy). These compute values only;
// autograd/functions/cross_entropy.h pairs them with the backward and
// nn::cross_entropy applies the reduction.
#include <cstdint>

#include "tensor/options.h"
#include "tensor/tensor.h"

namespace mini {

struct CrossEntropyRows {
  Tensor loss;         // (N): each row's loss, PyTorch's reduction='none'
  Tensor grad_logits;  // (N, C): d loss[n] / d logits[n]; undefined unless asked for
};

}  // namespace mini

namespace mini::ops {

using mini::CrossEntropyRows;

// logits (N, C) floating, target (N) integer class indices, weight (C) or
// undefined; loss and gradient follow Backend::cross_entropy. The gradient is
// computed only when `with_grad`.
CrossEntropyRows cross_entropy_rows(const Tensor& logits, const Tensor& target, const Tensor& weight,
                                    int64_t ignore_index, double label_smoothing, bool with_grad);

// a (N, C) = (1 - s) w_t one_hot(t) + (s / C) w for each row (zeros where t
// is ignore_index): the mass each class gets, so that loss = -sum(a * log p)
// and grad_logits = softmax(logits) * sum(a) - a. target (N) holds valid
// indices (checked by the caller); weight (C) or undefined.
Tensor cross_entropy_target_mass(const Tensor& target, const Tensor& weight, int64_t classes, int64_t ignore_index,
                                 double label_smoothing, const TensorOptions& options);

// The error every backend raises for a target outside [0, classes) that is not ignore_index.
[[noreturn]] void throw_target_out_of_range(int64_t target, int64_t classes, int64_t ignore_index);

}  // namespace mini::ops
