#pragma once
// BatchNorm1d (x (N, C) or (N, C, L)) and BatchNorm2d (x (N, C, H, W)).
// Training normalizes with the batch statistics and updates running_mean and
// running_var (unbiased) with `momentum`; without momentum the running
// statistics are the cumulative average over num_batches_tracked batches.
// Eval mode normalizes with the running statistics.
#include <optional>

#include "nn/module.h"
#include "tensor/options.h"

namespace mini::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;
  bool affine = true;
  bool track_running_stats = true;
  TensorOptions tensor{};
};

class BatchNorm : public Module {
 public:
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  const Tensor& running_mean() const { return running_mean_; }
  const Tensor& running_var() const { return running_var_; }
  const Tensor& num_batches_tracked() const { return num_batches_tracked_; }
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 protected:
  // `input_ranks`: the ranks forward accepts (checked with a named error).
  BatchNorm(std::string type_name, int64_t num_features, BatchNormOptions options, std::vector<int64_t> input_ranks);

 private:
  int64_t num_features_;
  BatchNormOptions options_;
  std::vector<int64_t> input_ranks_;
  Tensor weight_, bias_, running_mean_, running_var_, num_batches_tracked_;
};

class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm1d", num_features, options, {2, 3}) {}
};

class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm2d", num_features, options, {4}) {}
};

}  // namespace mini::nn
