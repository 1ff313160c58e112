#pragma once
// Dropout: in training, zeroes each element with probability p and scales the
// rest by 1 / (1 - p) (default generator, so checkpoint can replay it); the
// identity in eval mode.
#include "nn/module.h"

namespace mini::nn {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  double p_;
};

}  // namespace mini::nn
