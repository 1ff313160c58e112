#include "runtime/metrics/regression.h"

#include <cmath>

#include "runtime/metrics/metric_inputs.h"
#include "tensor/error.h"

namespace mini::runtime {
namespace {

Shape without_ones(const Shape& sizes) {
  Shape kept;
  for (int64_t size : sizes) {
    if (size != 1) kept.push_back(size);
  }
  return kept;
}

}  // namespace

ElementwiseErrorMetric::ElementwiseErrorMetric(RegressionMetricOptions options, bool absolute, std::string result_key)
    : options_(std::move(options)), absolute_(absolute), result_key_(std::move(result_key)) {}

void ElementwiseErrorMetric::reset() {
  error_sum_ = 0;
  elements_ = 0;
}

void ElementwiseErrorMetric::process(const Batch& batch, const Outputs& outputs) {
  const Tensor& pred = metric_output(name(), batch, outputs, options_.output_key);
  const Tensor& target = metric_target(name(), batch, outputs, options_.target_key);
  MINI_CHECK(without_ones(pred.sizes()) == without_ones(target.sizes()),
             "{}: '{}' {} and '{}' {} must have the same shape (size-1 dims aside)", name(), options_.output_key,
             shape_str(pred.sizes()), options_.target_key, shape_str(target.sizes()));
  const std::vector<double> pred_values = host_doubles(pred);
  const std::vector<double> target_values = host_doubles(target);
  double sum = 0;
  for (size_t i = 0; i < pred_values.size(); ++i) {
    const double error = pred_values[i] - target_values[i];
    sum += absolute_ ? std::fabs(error) : error * error;
  }
  error_sum_ += sum;
  elements_ += static_cast<int64_t>(pred_values.size());
}

std::map<std::string, double> ElementwiseErrorMetric::compute() const {
  MINI_CHECK(elements_ > 0, "{}: no elements were processed (is the dataloader empty?)", name());
  return {{result_key_, error_sum_ / static_cast<double>(elements_)}};
}

}  // namespace mini::runtime
