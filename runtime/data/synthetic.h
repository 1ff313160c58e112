#pragma once
// Synthetic datasets, generated at construction from a seed (Philox via
// mini::Generator), so the same arguments give the same data on any machine.
//
//   SyntheticClassification blobs({.num_samples = 512, .num_features = 8, .num_classes = 3, .seed = 1});
//   blobs.get(0);   // {"input": (8,) f32, "label": () i64}
#include <cstdint>

#include "runtime/data/tensor_dataset.h"

namespace mini::runtime {

struct SyntheticClassificationOptions {
  int64_t num_samples = 1000;
  int64_t num_features = 2;
  int64_t num_classes = 2;
  uint64_t seed = 0;
  double noise = 0.5;  // std of the Gaussian around each class centre
};

// Gaussian blobs: class centres ~ N(0, I), sample i has label i % num_classes
// (balanced) and input = centre[label] + noise * N(0, I).
class SyntheticClassification : public TensorDataset {
 public:
  explicit SyntheticClassification(SyntheticClassificationOptions options);
  std::string describe() const override;
  int64_t num_classes() const override { return options_.num_classes; }

 private:
  SyntheticClassificationOptions options_;
};

struct SyntheticRegressionOptions {
  int64_t num_samples = 1000;
  int64_t num_features = 2;
  int64_t num_targets = 1;
  double noise = 0.1;  // std of the Gaussian added to the targets
  uint64_t seed = 0;
};

// A noisy linear map: input ~ N(0, I) (F,), target = input @ W + b + noise * N(0, I)
// (T,), with W (F, T) and b (T,) ~ N(0, 1) drawn from the seed.
class SyntheticRegression : public TensorDataset {
 public:
  explicit SyntheticRegression(SyntheticRegressionOptions options);
  std::string describe() const override;

 private:
  SyntheticRegressionOptions options_;
};

}  // namespace mini::runtime
