#pragma once
// Metric: a quantity accumulated over the batches of a validation or test
// run. process() folds one batch into sums kept in double (counts in int64),
// and compute() turns the sums into results, so a mean over batches of uneven
// size is exact: it is weighted by what each batch held, not by batches.
//
//   runtime::Accuracy accuracy({.topk = {1, 5}});
//   accuracy.reset();
//   for (const Batch& batch : loader) accuracy.process(batch, model.forward_batch(batch));
//   auto results = accuracy.compute();  // {"accuracy/top1": 91.25, "accuracy/top5": 99.5}
//
// Result keys follow MMEngine ("accuracy/top1", "loss", "mse", ...). Metrics
// read model outputs from `outputs` and targets from `batch` (then from
// `outputs`, for models that pass targets through). A missing field is an
// error naming the metric, the key and the keys that are present.
#include <map>
#include <string>

#include "runtime/batch.h"

namespace mini::runtime {

class Metric {
 public:
  virtual ~Metric() = default;
  // Forgets everything processed so far (called before each evaluation).
  virtual void reset() = 0;
  virtual void process(const Batch& batch, const Outputs& outputs) = 0;
  // Throws mini::ValueError when nothing was processed.
  virtual std::map<std::string, double> compute() const = 0;
  // The type name ("Accuracy"), used in error messages.
  virtual std::string name() const = 0;
};

}  // namespace mini::runtime
