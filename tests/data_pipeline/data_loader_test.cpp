// DataLoader: batches in sampler order with any number of workers, drop_last,
// exact resume without reading skipped data, bounded prefetch, errors from
// workers, and clean early shutdown.
#include "runtime/data/data_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "data_testing.h"
#include "runtime/data/tensor_dataset.h"
#include "runtime/data/transforms.h"
#include "tensor/ops/factory.h"

namespace mini::runtime {
namespace {

using testing::batches_equal;
using ::testing::HasSubstr;

// (n, 1, 2, 2) images with value 10 * i + pixel, labels i.
std::shared_ptr<TensorDataset> small_images(int64_t n) {
  std::vector<float> pixels;
  for (int64_t i = 0; i < n; ++i) {
    for (int p = 0; p < 4; ++p) pixels.push_back(static_cast<float>(10 * i + p));
  }
  return std::make_shared<TensorDataset>(
      TensorMap{{"input", ops::from_vector(pixels, {n, 1, 2, 2})}, {"label", ops::arange(n)}});
}

std::vector<Batch> whole_epoch(const DataLoader& loader, int64_t epoch, int64_t start_batch = 0) {
  std::vector<Batch> batches;
  DataLoader::Iterator it = loader.begin_epoch(epoch, start_batch);
  while (std::optional<Batch> batch = it.next()) batches.push_back(std::move(*batch));
  return batches;
}

// Wraps a dataset, records which indices were read, and can fail or sleep.
class ProbeDataset : public Dataset {
 public:
  explicit ProbeDataset(std::shared_ptr<const Dataset> inner, int64_t fail_at = -1,
                        std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : inner_(std::move(inner)), fail_at_(fail_at), delay_(delay) {}
  int64_t size() const override { return inner_->size(); }
  Sample get(int64_t index) const override { return inner_->get(index); }
  Batch get_batch(std::span<const int64_t> indices) const override {
    std::this_thread::sleep_for(delay_);
    {
      std::lock_guard lock(mutex_);
      read_.insert(indices.begin(), indices.end());
      ++batches_loaded_;
    }
    for (int64_t index : indices) MINI_CHECK(index != fail_at_, "corrupt sample {}", index);
    return inner_->get_batch(indices);
  }
  std::string describe() const override { return "Probe"; }
  std::set<int64_t> read() const {
    std::lock_guard lock(mutex_);
    return read_;
  }
  int batches_loaded() const {
    std::lock_guard lock(mutex_);
    return batches_loaded_;
  }

 private:
  std::shared_ptr<const Dataset> inner_;
  int64_t fail_at_;
  std::chrono::milliseconds delay_;
  mutable std::mutex mutex_;
  mutable std::set<int64_t> read_;
  mutable int batches_loaded_ = 0;
};

TEST(DataLoader, SameBatchesWithZeroOneAndThreeWorkers) {
  auto data = small_images(103);
  data->set_pipeline({std::make_shared<RandomHorizontalFlip>(0.5)});
  const DataLoaderOptions base{.batch_size = 8, .shuffle = true, .seed = 17};
  DataLoaderOptions one = base, three = base;
  one.num_workers = 1;
  three.num_workers = 3;
  const std::vector<Batch> reference = whole_epoch(DataLoader(data, base), 2);
  ASSERT_EQ(reference.size(), 13u);
  for (const DataLoaderOptions& options : {one, three}) {
    const std::vector<Batch> batches = whole_epoch(DataLoader(data, options), 2);
    ASSERT_EQ(batches.size(), reference.size());
    for (size_t b = 0; b < batches.size(); ++b) {
      EXPECT_TRUE(batches_equal(batches[b], reference[b])) << options.num_workers << " workers, batch " << b;
    }
  }
}

TEST(DataLoader, BatchesFollowTheSamplerOrder) {
  auto data = small_images(10);
  DataLoader loader(data, {.batch_size = 4, .shuffle = true, .seed = 3});
  const std::vector<int64_t> order = loader.sampler().epoch_indices(1);
  const std::vector<Batch> batches = whole_epoch(loader, 1);
  std::vector<double> labels;
  for (const Batch& batch : batches) {
    for (double label : testing::values_of(batch.at("label"))) labels.push_back(label);
  }
  EXPECT_EQ(labels, std::vector<double>(order.begin(), order.end()));
}

TEST(DataLoader, ShuffledEpochsDiffer) {
  DataLoader loader(small_images(32), {.batch_size = 32, .shuffle = true, .seed = 1});
  EXPECT_FALSE(batches_equal(whole_epoch(loader, 0)[0], whole_epoch(loader, 1)[0]));
}

TEST(DataLoader, LastBatchIsShortUnlessDropLast) {
  auto data = small_images(10);
  DataLoader keep(data, {.batch_size = 4});
  EXPECT_EQ(keep.batches_per_epoch(), 3);
  EXPECT_EQ(keep.samples_per_epoch(), 10);
  const std::vector<Batch> kept = whole_epoch(keep, 0);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[2].at("label").sizes(), Shape({2}));

  DataLoader drop(data, {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(drop.batches_per_epoch(), 2);
  EXPECT_EQ(drop.samples_per_epoch(), 8);
  EXPECT_EQ(whole_epoch(drop, 0).size(), 2u);
}

TEST(DataLoader, ResumeAtBatchGivesTheTailOfTheEpoch) {
  auto data = small_images(50);
  DataLoader loader(data, {.batch_size = 6, .num_workers = 2, .shuffle = true, .seed = 5});
  const std::vector<Batch> full = whole_epoch(loader, 4);
  const std::vector<Batch> tail = whole_epoch(loader, 4, 3);
  ASSERT_EQ(tail.size(), full.size() - 3);
  for (size_t b = 0; b < tail.size(); ++b) EXPECT_TRUE(batches_equal(tail[b], full[b + 3])) << b;
}

TEST(DataLoader, ResumeDoesNotReadSkippedBatches) {
  auto probe = std::make_shared<ProbeDataset>(small_images(40));
  DataLoader loader(probe, {.batch_size = 5, .shuffle = true, .seed = 2});
  DataLoader::Iterator it = loader.begin_epoch(0, 6);
  EXPECT_EQ(it.batch_index(), 6);
  ASSERT_TRUE(it.next().has_value());
  const std::vector<int64_t> order = loader.sampler().epoch_indices(0);
  EXPECT_EQ(probe->read(), std::set<int64_t>(order.begin() + 30, order.begin() + 35));
}

TEST(DataLoader, StartAtTheEndIsEmptyAndPastTheEndIsAnError) {
  DataLoader loader(small_images(10), {.batch_size = 5});
  EXPECT_FALSE(loader.begin_epoch(0, 2).next().has_value());
  EXPECT_THAT(testing::error_of([&] { loader.begin_epoch(0, 3); }), HasSubstr("start batch 3 is outside [0, 2]"));
}

TEST(DataLoader, WorkersPrefetchUpToTheQueueBound) {
  auto probe = std::make_shared<ProbeDataset>(small_images(100));
  DataLoader loader(probe, {.batch_size = 2, .num_workers = 2, .prefetch_factor = 2});
  DataLoader::Iterator it = loader.begin_epoch(0);
  ASSERT_TRUE(it.next().has_value());
  // After one batch is consumed, workers may hold batches 1..4 (2 workers x 2).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (probe->batches_loaded() < 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(probe->batches_loaded(), 5);
}

TEST(DataLoader, WorkerErrorIsRethrownAtItsBatch) {
  for (int64_t workers : {0, 2}) {
    auto probe = std::make_shared<ProbeDataset>(small_images(20), /*fail_at=*/13);
    DataLoader loader(probe, {.batch_size = 4, .num_workers = workers});
    DataLoader::Iterator it = loader.begin_epoch(0);
    for (int b = 0; b < 3; ++b) ASSERT_TRUE(it.next().has_value()) << workers << " workers, batch " << b;
    try {
      it.next();
      ADD_FAILURE() << "no error with " << workers << " workers";
    } catch (const ValueError& e) {
      EXPECT_THAT(e.what(), HasSubstr("DataLoader: epoch 0, batch 3: corrupt sample 13")) << workers;
    }
    EXPECT_FALSE(it.next().has_value());
  }
}

TEST(DataLoader, DestroyingAnIteratorMidEpochStopsItsWorkers) {
  auto probe = std::make_shared<ProbeDataset>(small_images(400), -1, std::chrono::milliseconds(2));
  DataLoader loader(probe, {.batch_size = 2, .num_workers = 3, .prefetch_factor = 2});
  { DataLoader::Iterator untouched = loader.begin_epoch(0); }
  {
    DataLoader::Iterator it = loader.begin_epoch(1);
    ASSERT_TRUE(it.next().has_value());
  }
  // Joined: nothing loads after the iterators are gone.
  const int loaded = probe->batches_loaded();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(probe->batches_loaded(), loaded);
  EXPECT_LT(loaded, 20);
}

TEST(DataLoader, IteratorOutlivesItsLoaderAndCanBeMoved) {
  std::optional<DataLoader::Iterator> it;
  {
    DataLoader loader(small_images(9), {.batch_size = 3, .num_workers = 1});
    it.emplace(loader.begin_epoch(0));
  }
  DataLoader::Iterator moved = std::move(*it);
  int batches = 0;
  while (moved.next()) ++batches;
  EXPECT_EQ(batches, 3);
}

TEST(DataLoader, BadOptionsAreErrors) {
  EXPECT_THAT(testing::error_of([] { DataLoader(small_images(4), {.batch_size = 0}); }),
              HasSubstr("batch_size must be positive, got 0"));
  EXPECT_THAT(testing::error_of([] { DataLoader(small_images(4), {.num_workers = -1}); }),
              HasSubstr("num_workers must be >= 0"));
}

}  // namespace
}  // namespace mini::runtime
