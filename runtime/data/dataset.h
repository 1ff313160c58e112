#pragma once
// Dataset: indexed samples of named tensors (runtime/batch.h). The DataLoader
// reads it from worker threads, so every const member must be thread-safe;
// built-in datasets load everything at construction and only read afterwards.
//
//   auto train = std::make_shared<MnistDataset>("FashionMNIST", MnistOptions{.limit = 1000});
//   Sample one = train->get(0);                 // {"input": (1, 28, 28) f32, "label": () i64}
//   std::vector<int64_t> rows = {4, 2, 7};
//   Batch batch = train->get_batch(rows);       // {"input": (3, 1, 28, 28), "label": (3,)}
//
// A dataset may carry a pipeline of transforms (MMEngine's `pipeline:`), which
// load_batch() applies after get_batch(). get() and get_batch() return the
// untransformed data.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/batch.h"

namespace mini::runtime {

class Transform;  // runtime/data/transforms.h

class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  // One sample without the pipeline. An index outside [0, size()) is an IndexError.
  virtual Sample get(int64_t index) const = 0;
  // The samples at `indices`, collated (each field stacked along a new dim 0).
  // The default calls get() per index and collate(); built-ins gather straight
  // into the batch tensors, which is what keeps loading far cheaper than compute.
  virtual Batch get_batch(std::span<const int64_t> indices) const;
  // One line for logs: "FashionMNIST(split=train, 60000 samples, input (1, 28, 28))".
  virtual std::string describe() const = 0;
  // The number of classes the data declares (MNIST: 10), or -1.
  virtual int64_t num_classes() const { return -1; }
  // The largest value of the integer target field ("label" for classification,
  // "target" for next-byte prediction), or -1 without one. The runner checks it
  // against the model's number of classes before training.
  virtual int64_t max_label() const { return -1; }

  // Set once, before the dataset is shared with a DataLoader.
  void set_pipeline(std::vector<std::shared_ptr<const Transform>> pipeline);
  const std::vector<std::shared_ptr<const Transform>>& pipeline() const { return pipeline_; }
  // What the DataLoader calls: get_batch(indices), then every transform in
  // order. A transform's random draws are keyed by (seed, epoch, its position,
  // sample index), so a sample is transformed the same way whichever batch or
  // worker loads it.
  Batch load_batch(std::span<const int64_t> indices, uint64_t seed, int64_t epoch) const;

 protected:
  // Throws IndexError "<describe()>: index 70000 out of range for 60000 samples".
  void check_index(int64_t index) const;

 private:
  std::vector<std::shared_ptr<const Transform>> pipeline_;
};

// Stacks each field of `samples` along a new dim 0. All samples must have the
// same fields, shapes and dtypes; a mismatch names the field, both samples and
// both shapes. Copies with memcpy rather than ops::stack so that worker
// threads never take the compute thread pool from the training step.
Batch collate(const std::vector<Sample>& samples);

}  // namespace mini::runtime
