#pragma once
// Accuracy: the percentage of samples whose label is among the k highest
// scores, for each k in `topk` (MMPretrain's Accuracy; values in percent,
// 0 to 100, as MMEngine users read them).
//
//   runtime::Accuracy accuracy({.topk = {1, 5}});  // -> "accuracy/top1", "accuracy/top5"
//   runtime::Accuracy lm({.label_key = "target"}); // LM logits (N, T, V), targets (N, T): per token
//
// Inputs: outputs[output_key] scores (..., C), batch[label_key] class indices
// (...), so (N, C) with (N,) and (N, T, V) with (N, T) both work (every
// position counts as one sample). Labels equal to ignore_index (padding) are
// skipped. Ties: a class scored the same as the label counts as ranking above
// it when its index is lower (argmax's "first max wins"), so a constant
// prediction is not counted as correct for every class.
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/metrics/metric.h"

namespace mini::runtime {

struct AccuracyOptions {
  std::vector<int64_t> topk = {1};
  std::string output_key = "logits";
  std::string label_key = "label";
  int64_t ignore_index = -100;
};

class Accuracy : public Metric {
 public:
  // Throws mini::ValueError for an empty topk or k < 1.
  explicit Accuracy(AccuracyOptions options = {});
  void reset() override;
  void process(const Batch& batch, const Outputs& outputs) override;
  std::map<std::string, double> compute() const override;
  std::string name() const override { return "Accuracy"; }

 private:
  AccuracyOptions options_;
  std::vector<int64_t> correct_;  // per entry of topk
  int64_t total_ = 0;
};

}  // namespace mini::runtime
