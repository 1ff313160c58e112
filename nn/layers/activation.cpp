#include "nn/layers/activation.h"

#include "autograd/autograd.h"

namespace mini::nn {

Tensor ReLU::forward(const Tensor& x) { return mini::relu(x); }

Tensor LeakyReLU::forward(const Tensor& x) { return mini::leaky_relu(x, negative_slope_); }
std::string LeakyReLU::extra_repr() const { return fmt::format("negative_slope={}", negative_slope_); }

Tensor GELU::forward(const Tensor& x) { return mini::gelu(x, tanh_approximation_); }
std::string GELU::extra_repr() const { return tanh_approximation_ ? "approximate=tanh" : ""; }

Tensor SiLU::forward(const Tensor& x) { return mini::silu(x); }
Tensor Tanh::forward(const Tensor& x) { return mini::tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return mini::sigmoid(x); }

Tensor Softmax::forward(const Tensor& x) { return mini::softmax(x, dim_); }
std::string Softmax::extra_repr() const { return fmt::format("dim={}", dim_); }

}  // namespace mini::nn
