#pragma once
// TensorDataset: samples held in memory as named tensors with one row per
// sample along dim 0. The base of the CSV and synthetic datasets, and handy
// in tests.
//
//   TensorDataset data({{"input", features /* (N, F) f32 */}, {"label", labels /* (N,) i64 */}});
//   data.get(3);                  // {"input": (F,), "label": ()}
#include <string>

#include "runtime/data/dataset.h"

namespace mini::runtime {

class TensorDataset : public Dataset {
 public:
  // Every field must be a CPU tensor with the same size along dim 0. `name`
  // starts describe()'s text.
  explicit TensorDataset(TensorMap fields, std::string name = "TensorDataset");

  int64_t size() const override { return size_; }
  Sample get(int64_t index) const override;
  // A row gather (memcpy per row and field).
  Batch get_batch(std::span<const int64_t> indices) const override;
  // "TensorDataset(100 samples: input (4,) float32, label () int64)"
  std::string describe() const override;
  // The largest value of an int64 "label" (else "target") field, or -1.
  int64_t max_label() const override { return max_label_; }

  const TensorMap& fields() const { return fields_; }

 protected:
  // Subclasses name their settings here: "SyntheticClassification(seed=0, ...".
  std::string fields_summary() const;

 private:
  TensorMap fields_;
  std::string name_;
  int64_t size_ = 0;
  int64_t max_label_ = -1;
};

}  // namespace mini::runtime
