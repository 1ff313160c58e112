#pragma once
// Perplexity of a language model: exp of the mean per-token cross-entropy
// over the whole evaluation (not the mean of per-batch perplexities, which
// would overweight short batches). Result key: "perplexity".
//
//   runtime::Perplexity ppl;                           // from outputs["loss"] and batch["target"]
//   runtime::Perplexity exact({.source = runtime::PerplexitySource::Logits});
//
// PerplexitySource::Loss (the default, free): outputs["loss"] is taken to be the mean
// cross-entropy over the batch's counted tokens (as cross_entropy with
// ignore_index computes it) and is weighted by that token count, the
// targets not equal to ignore_index.
// PerplexitySource::Logits: the cross-entropy is computed here, in double, from logits
// (..., V) and targets (...), for models whose loss is something else.
#include <cstdint>
#include <optional>
#include <string>

#include "runtime/metrics/metric.h"

namespace mini::runtime {

enum class PerplexitySource { Loss, Logits };

struct PerplexityOptions {
  PerplexitySource source = PerplexitySource::Loss;
  std::optional<std::string> output_key{};  // default: "loss" or "logits" by source
  std::string target_key = "target";
  int64_t ignore_index = -100;
};

class Perplexity : public Metric {
 public:
  explicit Perplexity(PerplexityOptions options = {});
  void reset() override;
  void process(const Batch& batch, const Outputs& outputs) override;
  std::map<std::string, double> compute() const override;
  std::string name() const override { return "Perplexity"; }

 private:
  PerplexityOptions options_;
  std::string output_key_;
  double nll_sum_ = 0;  // summed cross-entropy, nats
  int64_t tokens_ = 0;
};

}  // namespace mini::runtime
