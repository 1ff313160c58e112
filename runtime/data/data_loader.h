#pragma once
// DataLoader: batches of a Dataset in the order of a Sampler, loaded by worker
// threads that run ahead of the consumer (up to num_workers * prefetch_factor
// batches), so loading overlaps the training step.
//
//   DataLoader loader(dataset, {.batch_size = 128, .num_workers = 2, .shuffle = true, .seed = 42});
//   for (int64_t epoch = 0; epoch < epochs; ++epoch) {
//     DataLoader::Iterator it = loader.begin_epoch(epoch, /*start_batch=*/0);
//     while (std::optional<Batch> batch = it.next()) train_step(*batch);
//   }
//
// - Batches come out in sampler order whatever the number of workers.
// - begin_epoch(e, b) starts at batch b of epoch e by index arithmetic alone:
//   the skipped batches are never read (exact mid-epoch resume).
// - An exception thrown while loading a batch is rethrown by next() when that
//   batch's turn comes, with the batch and epoch added to the message.
// - Destroying an Iterator mid-epoch stops and joins its workers.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runtime/batch.h"
#include "runtime/data/dataset.h"
#include "runtime/data/sampler.h"

namespace mini::runtime {

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool drop_last = false;       // drop the last batch when it is smaller than batch_size
  int64_t num_workers = 0;      // 0: load in the thread that calls next()
  int64_t prefetch_factor = 2;  // batches queued per worker
  // Used when no sampler is given: RandomSampler(seed) if shuffle, else SequentialSampler.
  bool shuffle = false;
  // Also keys the random draws of the dataset's transforms.
  uint64_t seed = 0;
};

class DataLoader {
 public:
  class Iterator;

  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options,
             std::shared_ptr<const Sampler> sampler = nullptr);

  int64_t batches_per_epoch() const;
  // Samples in those batches (sampler size, less what drop_last drops).
  int64_t samples_per_epoch() const;
  // Iterates epoch `epoch` from batch `start_batch` (0 <= start_batch <= batches_per_epoch()).
  Iterator begin_epoch(int64_t epoch, int64_t start_batch = 0) const;

  const Dataset& dataset() const { return *dataset_; }
  std::shared_ptr<const Dataset> dataset_ptr() const { return dataset_; }
  const Sampler& sampler() const { return *sampler_; }
  const DataLoaderOptions& options() const { return options_; }
  // "DataLoader(batch_size=128, 469 batches, num_workers=2, RandomSampler(seed=0), FashionMNIST(...))"
  std::string describe() const;

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  std::shared_ptr<const Sampler> sampler_;
};

class DataLoader::Iterator {
 public:
  Iterator(Iterator&&) noexcept;
  Iterator& operator=(Iterator&&) noexcept;
  ~Iterator();

  // The next batch, or nullopt at the end of the epoch.
  std::optional<Batch> next();
  // The index within the epoch of the batch the next call to next() returns.
  int64_t batch_index() const;
  int64_t epoch() const;

 private:
  friend class DataLoader;
  struct State;
  explicit Iterator(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mini::runtime
