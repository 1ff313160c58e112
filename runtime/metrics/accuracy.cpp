#include "runtime/metrics/accuracy.h"

#include <fmt/format.h>

#include <cmath>

#include "runtime/metrics/metric_inputs.h"
#include "tensor/error.h"

namespace mini::runtime {
namespace {

// Where the label's score ranks in a row of `classes` scores: 0 for the best.
// A NaN label score ranks last.
template <typename T>
int64_t label_rank(const T* row, int64_t classes, int64_t label) {
  const T label_score = row[label];
  if (std::isnan(label_score)) return classes;
  int64_t rank = 0;
  for (int64_t c = 0; c < classes; ++c) rank += row[c] > label_score || (row[c] == label_score && c < label);
  return rank;
}

}  // namespace

Accuracy::Accuracy(AccuracyOptions options) : options_(std::move(options)) {
  MINI_CHECK(!options_.topk.empty(), "Accuracy: topk is empty; give at least one k (topk: [1])");
  for (int64_t k : options_.topk) MINI_CHECK(k >= 1, "Accuracy: topk values must be >= 1, got {}", k);
  reset();
}

void Accuracy::reset() {
  correct_.assign(options_.topk.size(), 0);
  total_ = 0;
}

void Accuracy::process(const Batch& batch, const Outputs& outputs) {
  const Tensor& scores = metric_output(name(), batch, outputs, options_.output_key);
  const Tensor& labels = metric_target(name(), batch, outputs, options_.label_key);
  const int64_t classes = metric_num_classes(name(), scores, options_.output_key, labels, options_.label_key);
  for (int64_t k : options_.topk) {
    MINI_CHECK(k <= classes, "Accuracy: topk {} exceeds the number of classes {} in '{}' {}", k, classes,
               options_.output_key, shape_str(scores.sizes()));
  }
  const std::vector<int64_t> label_values = host_indices(name(), labels, options_.label_key);
  const Tensor host = host_floating(scores);
  // Counted apart and added at the end, so a batch that fails half-way leaves the sums untouched.
  std::vector<int64_t> correct(options_.topk.size(), 0);
  int64_t total = 0;
  auto count = [&]<typename T>(const T* rows) {
    for (size_t i = 0; i < label_values.size(); ++i) {
      const int64_t label = label_values[i];
      if (label == options_.ignore_index) continue;
      MINI_CHECK(label >= 0 && label < classes, "Accuracy: '{}' holds {} at position {}, outside [0, {}) classes",
                 options_.label_key, label, i, classes);
      const int64_t rank = label_rank(rows + static_cast<int64_t>(i) * classes, classes, label);
      for (size_t j = 0; j < options_.topk.size(); ++j) correct[j] += rank < options_.topk[j];
      ++total;
    }
  };
  if (host.dtype() == DType::f64)
    count(host.data<double>());
  else
    count(host.data<float>());
  for (size_t j = 0; j < correct.size(); ++j) correct_[j] += correct[j];
  total_ += total;
}

std::map<std::string, double> Accuracy::compute() const {
  MINI_CHECK(total_ > 0,
             "Accuracy: no labelled samples were processed (empty dataloader, or every label is "
             "ignore_index {})",
             options_.ignore_index);
  std::map<std::string, double> results;
  for (size_t j = 0; j < options_.topk.size(); ++j) {
    results[fmt::format("accuracy/top{}", options_.topk[j])] =
        100.0 * static_cast<double>(correct_[j]) / static_cast<double>(total_);
  }
  return results;
}

}  // namespace mini::runtime
