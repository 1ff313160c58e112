#include "runtime/metrics/evaluator.h"

#include "tensor/error.h"

namespace mini::runtime {

Evaluator::Evaluator(std::vector<std::shared_ptr<Metric>> metrics) {
  for (auto& metric : metrics) add(std::move(metric));
}

void Evaluator::add(std::shared_ptr<Metric> metric) {
  MINI_CHECK(metric != nullptr, "Evaluator: cannot add a null metric");
  metrics_.push_back(std::move(metric));
}

void Evaluator::reset() {
  for (const auto& metric : metrics_) metric->reset();
}

void Evaluator::process(const Batch& batch, const Outputs& outputs) {
  for (const auto& metric : metrics_) metric->process(batch, outputs);
}

std::map<std::string, double> Evaluator::compute() const {
  std::map<std::string, double> results;
  std::map<std::string, std::string> producer;
  for (const auto& metric : metrics_) {
    for (const auto& [key, value] : metric->compute()) {
      auto [it, inserted] = producer.emplace(key, metric->name());
      MINI_CHECK(inserted, "Evaluator: metrics {} and {} both produce '{}'; give one of them another output_key",
                 it->second, metric->name(), key);
      results[key] = value;
    }
  }
  return results;
}

}  // namespace mini::runtime
