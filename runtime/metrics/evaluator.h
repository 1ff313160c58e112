#pragma once
// Evaluator: the metrics of one evaluation (MMEngine's val_evaluator /
// test_evaluator). It feeds every batch to every metric and merges their
// results into one map.
//
//   runtime::Evaluator evaluator;
//   evaluator.add(std::make_shared<runtime::Accuracy>(runtime::AccuracyOptions{.topk = {1, 5}}));
//   evaluator.add(std::make_shared<runtime::LossMetric>());
//   evaluator.reset();
//   for (...) evaluator.process(batch, outputs);
//   auto results = evaluator.compute();  // {"accuracy/top1": ..., "accuracy/top5": ..., "loss": ...}
//
// Build one from a config with build_evaluator (runtime/metrics/register.h).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/metrics/metric.h"

namespace mini::runtime {

class Evaluator {
 public:
  Evaluator() = default;
  explicit Evaluator(std::vector<std::shared_ptr<Metric>> metrics);

  void add(std::shared_ptr<Metric> metric);
  void reset();
  void process(const Batch& batch, const Outputs& outputs);
  // Every metric's results; two metrics producing the same key is an error
  // naming both (give one of them another output_key).
  std::map<std::string, double> compute() const;

  const std::vector<std::shared_ptr<Metric>>& metrics() const { return metrics_; }
  bool empty() const { return metrics_.empty(); }

 private:
  std::vector<std::shared_ptr<Metric>> metrics_;
};

}  // namespace mini::runtime
