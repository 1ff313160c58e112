#pragma once
// Regression errors, averaged over every element of every batch:
//   MeanSquaredError  -> "mse" = mean((pred - target)^2)
//   MeanAbsoluteError -> "mae" = mean(|pred - target|)
//
//   runtime::MeanSquaredError mse;                                 // outputs["pred"], batch["target"]
//   runtime::MeanAbsoluteError mae({.output_key = "y_hat", .target_key = "y"});
//
// pred and target must have the same shape up to size-1 dims ((N, 1) and (N,)
// are accepted; (N, 2) and (2, N) are not).
#include <cstdint>
#include <string>

#include "runtime/metrics/metric.h"

namespace mini::runtime {

struct RegressionMetricOptions {
  std::string output_key = "pred";
  std::string target_key = "target";
};

// The shared accumulation; `absolute` picks |e| over e^2.
class ElementwiseErrorMetric : public Metric {
 public:
  void reset() override;
  void process(const Batch& batch, const Outputs& outputs) override;
  std::map<std::string, double> compute() const override;

 protected:
  ElementwiseErrorMetric(RegressionMetricOptions options, bool absolute, std::string result_key);

 private:
  RegressionMetricOptions options_;
  bool absolute_;
  std::string result_key_;
  double error_sum_ = 0;
  int64_t elements_ = 0;
};

class MeanSquaredError : public ElementwiseErrorMetric {
 public:
  explicit MeanSquaredError(RegressionMetricOptions options = {})
      : ElementwiseErrorMetric(std::move(options), /*absolute=*/false, "mse") {}
  std::string name() const override { return "MSE"; }
};

class MeanAbsoluteError : public ElementwiseErrorMetric {
 public:
  explicit MeanAbsoluteError(RegressionMetricOptions options = {})
      : ElementwiseErrorMetric(std::move(options), /*absolute=*/true, "mae") {}
  std::string name() const override { return "MAE"; }
};

}  // namespace mini::runtime
