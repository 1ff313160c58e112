#pragma once
// LossMetric (registered as "Loss"): the mean of the model's loss over an
// evaluation, each batch's loss weighted by its number of samples, so an
// uneven last batch counts for what it holds. Result key: "loss".
//
//   runtime::LossMetric loss;                        // reads outputs["loss"], a one-element tensor
//   runtime::LossMetric aux({.output_key = "aux_loss"});  // result key "aux_loss"
#include <cstdint>
#include <string>

#include "runtime/metrics/metric.h"

namespace mini::runtime {

struct LossMetricOptions {
  std::string output_key = "loss";  // also the result key
};

class LossMetric : public Metric {
 public:
  explicit LossMetric(LossMetricOptions options = {});
  void reset() override;
  void process(const Batch& batch, const Outputs& outputs) override;
  std::map<std::string, double> compute() const override;
  std::string name() const override { return "Loss"; }

 private:
  LossMetricOptions options_;
  double weighted_sum_ = 0;
  int64_t samples_ = 0;
};

}  // namespace mini::runtime
