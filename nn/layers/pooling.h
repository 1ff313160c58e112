#pragma once
// 2-D pooling over x (N, C, H, W) -> (N, C, H', W').
#include <utility>

#include "nn/module.h"
#include "tensor/ops/nn.h"

namespace mini::nn {

// options.kernel is the window; stride 0 means "equal to the kernel" (PyTorch's default).
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(ops::Pool2dOptions options) : Module("MaxPool2d"), options_(options) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  ops::Pool2dOptions options_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(ops::Pool2dOptions options) : Module("AvgPool2d"), options_(options) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  ops::Pool2dOptions options_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(std::pair<int64_t, int64_t> output_size)
      : Module("AdaptiveAvgPool2d"), output_size_(output_size) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  std::pair<int64_t, int64_t> output_size_;
};

}  // namespace mini::nn
