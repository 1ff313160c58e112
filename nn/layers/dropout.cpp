#include "nn/layers/dropout.h"

#include "autograd/autograd.h"

namespace mini::nn {

Dropout::Dropout(double p) : Module("Dropout"), p_(p) {
  MINI_CHECK(p >= 0 && p <= 1, "Dropout: probability must be in [0, 1], got {}", p);
}

Tensor Dropout::forward(const Tensor& x) { return mini::dropout(x, p_, is_training()); }

std::string Dropout::extra_repr() const { return fmt::format("p={}", p_); }

}  // namespace mini::nn
