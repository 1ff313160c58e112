#pragma once
// Normalization functions built from the differentiable mini:: ops (so their
// gradients, including gradcheck in float64, come from autograd). The layers
// in nn/layers/ call these; the golden tests call them directly.
#include <optional>

#include "tensor/tensor.h"

namespace mini::nn::functional {

// x: (N, C, *) normalized per channel over (N, *). Training: batch statistics
// (biased variance) and, if running_mean/running_var are defined, an update in
// place: running = (1 - momentum) * running + momentum * batch_stat, with the
// unbiased batch variance. Eval: the running statistics.
// weight, bias: (C) or undefined.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5);

// x: (N, C, *) split into `num_groups` groups of channels, each normalized
// over its channels and * (biased variance); then weight, bias: (C) per channel.
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  double eps = 1e-5);

// x / sqrt(mean(x^2 over the trailing `normalized_shape` dims) + eps) * weight.
// eps defaults to the machine epsilon of x's dtype, as torch.nn.RMSNorm.
Tensor rms_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                std::optional<double> eps = std::nullopt);

// Rows of weight (num, dim) at `indices` (any shape, integer) -> (*indices, dim).
// Rows at padding_idx get no gradient.
Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx = std::nullopt);

}  // namespace mini::nn::functional
