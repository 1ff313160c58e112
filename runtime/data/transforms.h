#pragma once
// Transforms of a dataset's pipeline. They work on whole batches (one pass
// per field instead of one call per sample) but decide per sample: row r of
// every field is sample indices[r], and its random draws come from
// SampleRandom(key, indices[r]) (runtime/data/random_stream.h), so the result
// depends on (seed, epoch, sample) only, never on batching or worker count.
//
//   dataset->set_pipeline({std::make_shared<RandomCrop>(28, 28, /*padding=*/4),
//                          std::make_shared<RandomHorizontalFlip>(0.5),
//                          std::make_shared<Normalize>({0.2860}, {0.3530})});
//
// NOTE: transforms are plain loops, not tensor ops: they run in DataLoader
// workers, and a worker that entered parallel_for would hold the compute pool
// and make the training step's kernels run single-threaded meanwhile.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "runtime/batch.h"

namespace mini::runtime {

class Transform {
 public:
  virtual ~Transform() = default;
  // Rewrites `batch` (fields may be replaced); `key` keys this transform's
  // random stream for the epoch.
  virtual void apply(Batch& batch, std::span<const int64_t> indices, uint64_t key) const = 0;
  virtual std::string describe() const = 0;
};

// (x - mean[c]) / std[c] over dim 1 of a float32 field: channels of
// (N, C, H, W) images, features of (N, F) rows. One value applies to all.
class Normalize : public Transform {
 public:
  Normalize(std::vector<double> mean, std::vector<double> std, std::string field = "input");
  void apply(Batch& batch, std::span<const int64_t> indices, uint64_t key) const override;
  std::string describe() const override;

 private:
  std::vector<double> mean_, std_;
  std::string field_;
};

// Mirrors the last dim (width) of (N, [C,] H, W) images with probability p.
class RandomHorizontalFlip : public Transform {
 public:
  explicit RandomHorizontalFlip(double p = 0.5, std::string field = "input");
  void apply(Batch& batch, std::span<const int64_t> indices, uint64_t key) const override;
  std::string describe() const override;

 private:
  double p_;
  std::string field_;
};

// Pads (N, [C,] H, W) images by `padding` on every side with `fill`, then
// cuts a (height, width) window at a random offset per sample.
class RandomCrop : public Transform {
 public:
  RandomCrop(int64_t height, int64_t width, int64_t padding = 0, double fill = 0, std::string field = "input");
  void apply(Batch& batch, std::span<const int64_t> indices, uint64_t key) const override;
  std::string describe() const override;

 private:
  int64_t height_, width_, padding_;
  double fill_;
  std::string field_;
};

}  // namespace mini::runtime
