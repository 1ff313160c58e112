#include "runtime/metrics/perplexity.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/metrics/metric_inputs.h"
#include "tensor/error.h"

namespace mini::runtime {
namespace {

// -log softmax(row)[target] = logsumexp(row) - row[target], with the row max
// subtracted so exp() cannot overflow.
template <typename T>
double token_cross_entropy(const T* row, int64_t classes, int64_t target) {
  double max = -std::numeric_limits<double>::infinity();
  for (int64_t c = 0; c < classes; ++c) max = std::max(max, static_cast<double>(row[c]));
  double sum = 0;
  for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(row[c]) - max);
  return max + std::log(sum) - static_cast<double>(row[target]);
}

}  // namespace

Perplexity::Perplexity(PerplexityOptions options)
    : options_(std::move(options)),
      output_key_(options_.output_key.value_or(options_.source == PerplexitySource::Loss ? "loss" : "logits")) {}

void Perplexity::reset() {
  nll_sum_ = 0;
  tokens_ = 0;
}

void Perplexity::process(const Batch& batch, const Outputs& outputs) {
  const Tensor& targets = metric_target(name(), batch, outputs, options_.target_key);
  const std::vector<int64_t> target_values = host_indices(name(), targets, options_.target_key);
  if (options_.source == PerplexitySource::Loss) {
    const Tensor& loss = metric_output(name(), batch, outputs, output_key_);
    MINI_CHECK(loss.numel() == 1, "Perplexity: '{}' must be one value (the mean token cross-entropy), got shape {}",
               output_key_, shape_str(loss.sizes()));
    const int64_t tokens = std::count_if(target_values.begin(), target_values.end(),
                                         [&](int64_t t) { return t != options_.ignore_index; });
    nll_sum_ += host_doubles(loss)[0] * static_cast<double>(tokens);
    tokens_ += tokens;
    return;
  }
  const Tensor& logits = metric_output(name(), batch, outputs, output_key_);
  const int64_t classes = metric_num_classes(name(), logits, output_key_, targets, options_.target_key);
  const Tensor host = host_floating(logits);
  double nll = 0;
  int64_t tokens = 0;
  auto accumulate = [&]<typename T>(const T* rows) {
    for (size_t i = 0; i < target_values.size(); ++i) {
      const int64_t target = target_values[i];
      if (target == options_.ignore_index) continue;
      MINI_CHECK(target >= 0 && target < classes, "Perplexity: '{}' holds {} at position {}, outside [0, {})",
                 options_.target_key, target, i, classes);
      nll += token_cross_entropy(rows + static_cast<int64_t>(i) * classes, classes, target);
      ++tokens;
    }
  };
  if (host.dtype() == DType::f64)
    accumulate(host.data<double>());
  else
    accumulate(host.data<float>());
  nll_sum_ += nll;
  tokens_ += tokens;
}

std::map<std::string, double> Perplexity::compute() const {
  MINI_CHECK(tokens_ > 0,
             "Perplexity: no target tokens were processed (empty dataloader, or every target is "
             "ignore_index {})",
             options_.ignore_index);
  return {{"perplexity", std::exp(nll_sum_ / static_cast<double>(tokens_))}};
}

}  // namespace mini::runtime
