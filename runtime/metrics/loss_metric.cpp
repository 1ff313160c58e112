#include "runtime/metrics/loss_metric.h"

#include "runtime/metrics/metric_inputs.h"
#include "tensor/error.h"

namespace mini::runtime {

LossMetric::LossMetric(LossMetricOptions options) : options_(std::move(options)) {}

void LossMetric::reset() {
  weighted_sum_ = 0;
  samples_ = 0;
}

void LossMetric::process(const Batch& batch, const Outputs& outputs) {
  const Tensor& loss = metric_output(name(), batch, outputs, options_.output_key);
  MINI_CHECK(loss.numel() == 1, "Loss: '{}' must be one value (the batch mean), got shape {}", options_.output_key,
             shape_str(loss.sizes()));
  const int64_t samples = metric_batch_size(name(), batch);
  weighted_sum_ += host_doubles(loss)[0] * static_cast<double>(samples);
  samples_ += samples;
}

std::map<std::string, double> LossMetric::compute() const {
  MINI_CHECK(samples_ > 0, "Loss: no samples were processed (is the dataloader empty?)");
  return {{options_.output_key, weighted_sum_ / static_cast<double>(samples_)}};
}

}  // namespace mini::runtime
