#include "nn/layers/reshape.h"

#include "autograd/autograd.h"

namespace mini::nn {

Tensor Flatten::forward(const Tensor& x) { return mini::flatten(x, start_dim_, end_dim_); }

std::string Flatten::extra_repr() const { return fmt::format("start_dim={}, end_dim={}", start_dim_, end_dim_); }

}  // namespace mini::nn
