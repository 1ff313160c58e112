#pragma once
// Convolutions (cross-correlation, as PyTorch) with zero padding.
//   Conv2d: x (N, C, H, W), weight (K, C/groups, kh, kw) -> (N, K, H', W')
//   Conv1d: x (N, C, L),    weight (K, C/groups, k)      -> (N, K, L')
#include <utility>

#include "nn/module.h"
#include "tensor/options.h"

namespace mini::nn {

struct Conv2dOptions {
  std::pair<int64_t, int64_t> stride{1, 1};
  std::pair<int64_t, int64_t> padding{0, 0};
  std::pair<int64_t, int64_t> dilation{1, 1};
  int64_t groups = 1;
  bool bias = true;
  TensorOptions tensor{};
};

class Conv2d : public Module {
 public:
  // Conv2d(3, 16, {3, 3}, {.padding = {1, 1}})
  Conv2d(int64_t in_channels, int64_t out_channels, std::pair<int64_t, int64_t> kernel_size,
         Conv2dOptions options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  const Conv2dOptions& options() const { return options_; }

 private:
  int64_t in_channels_, out_channels_;
  std::pair<int64_t, int64_t> kernel_size_;
  Conv2dOptions options_;
  Tensor weight_, bias_;
};

struct Conv1dOptions {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  TensorOptions tensor{};
};

class Conv1d : public Module {
 public:
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Conv1dOptions options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 private:
  int64_t in_channels_, out_channels_, kernel_size_;
  Conv1dOptions options_;
  Tensor weight_, bias_;
};

}  // namespace mini::nn
