#include "runtime/data/data_loader.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "tensor/error.h"
#include "tensor/parallel.h"

namespace mini::runtime {
namespace {

// A loaded batch, or what went wrong loading it.
struct Loaded {
  std::optional<Batch> batch;
  std::exception_ptr error;
};

// Rethrows `error` as the same kind of mini::Error with `context` in front.
[[noreturn]] void rethrow_with_context(const std::exception_ptr& error, const std::string& context) {
  try {
    std::rethrow_exception(error);
  } catch (const IndexError& e) {
    throw IndexError(context + e.what());
  } catch (const InternalError& e) {
    throw InternalError(context + e.what());
  } catch (const ValueError& e) {
    throw ValueError(context + e.what());
  } catch (const std::exception& e) {
    throw Error(context + e.what());
  }
}

}  // namespace

// NOTE [worker protocol]: workers claim batch numbers in order (next_claim)
// but finish in any order; finished batches wait in `done` until the consumer
// reaches them (the reorder buffer). A worker may claim batch b only while
// b < next_yield + capacity, which bounds the batches loaded or in flight to
// `capacity` and makes workers sleep when the consumer is slow.
struct DataLoader::Iterator::State {
  std::shared_ptr<const Dataset> dataset;
  DataLoaderOptions options;
  int64_t epoch = 0;
  std::vector<int64_t> indices;  // the epoch's order, as far as batches reach
  int64_t end_batch = 0;
  int64_t capacity = 0;
  bool finished = false;  // after an error

  std::mutex mutex;
  std::condition_variable work_ready;   // workers: a slot freed, or stop
  std::condition_variable batch_ready;  // consumer: a batch finished
  int64_t next_yield = 0;
  int64_t next_claim = 0;
  bool stopping = false;
  std::map<int64_t, Loaded> done;
  std::vector<std::thread> workers;

  ~State() { stop(); }

  Loaded load(int64_t batch) const {
    const int64_t begin = batch * options.batch_size;
    const int64_t end = std::min<int64_t>(begin + options.batch_size, static_cast<int64_t>(indices.size()));
    Loaded loaded;
    try {
      loaded.batch =
          dataset->load_batch(std::span(indices).subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin)),
                              options.seed, epoch);
    } catch (...) {
      loaded.error = std::current_exception();
    }
    return loaded;
  }

  void worker_loop() {
    // Loading never takes the compute thread pool (see SerialThreadGuard).
    SerialThreadGuard serial;
    std::unique_lock lock(mutex);
    while (true) {
      work_ready.wait(lock, [&] { return stopping || next_claim >= end_batch || next_claim < next_yield + capacity; });
      if (stopping || next_claim >= end_batch) return;
      const int64_t batch = next_claim++;
      lock.unlock();
      Loaded loaded = load(batch);
      lock.lock();
      done.emplace(batch, std::move(loaded));
      batch_ready.notify_one();
    }
  }

  void stop() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    work_ready.notify_all();
    for (std::thread& worker : workers) worker.join();
    workers.clear();
  }

  std::optional<Batch> next() {
    if (finished || next_yield >= end_batch) return std::nullopt;
    const int64_t batch = next_yield;
    Loaded loaded;
    if (workers.empty()) {
      loaded = load(batch);
      ++next_yield;
    } else {
      std::unique_lock lock(mutex);
      batch_ready.wait(lock, [&] { return done.contains(batch); });
      loaded = std::move(done.extract(batch).mapped());
      ++next_yield;
      lock.unlock();
      work_ready.notify_all();
    }
    if (loaded.error) {
      finished = true;
      stop();
      rethrow_with_context(loaded.error, fmt::format("DataLoader: epoch {}, batch {}: ", epoch, batch));
    }
    return std::move(loaded.batch);
  }
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options,
                       std::shared_ptr<const Sampler> sampler)
    : dataset_(std::move(dataset)), options_(options), sampler_(std::move(sampler)) {
  MINI_CHECK(dataset_ != nullptr, "DataLoader: no dataset");
  MINI_CHECK(options_.batch_size > 0, "DataLoader: batch_size must be positive, got {}", options_.batch_size);
  MINI_CHECK(options_.num_workers >= 0, "DataLoader: num_workers must be >= 0, got {}", options_.num_workers);
  MINI_CHECK(options_.prefetch_factor >= 1, "DataLoader: prefetch_factor must be >= 1, got {}",
             options_.prefetch_factor);
  if (!sampler_) {
    if (options_.shuffle) {
      sampler_ = std::make_shared<RandomSampler>(dataset_->size(), options_.seed);
    } else {
      sampler_ = std::make_shared<SequentialSampler>(dataset_->size());
    }
  }
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t samples = sampler_->size();
  return options_.drop_last ? samples / options_.batch_size : (samples + options_.batch_size - 1) / options_.batch_size;
}

int64_t DataLoader::samples_per_epoch() const {
  return options_.drop_last ? batches_per_epoch() * options_.batch_size : sampler_->size();
}

DataLoader::Iterator DataLoader::begin_epoch(int64_t epoch, int64_t start_batch) const {
  const int64_t batches = batches_per_epoch();
  MINI_CHECK(start_batch >= 0 && start_batch <= batches, "DataLoader: start batch {} is outside [0, {}] for epoch {}",
             start_batch, batches, epoch);
  auto state = std::make_unique<Iterator::State>();
  state->dataset = dataset_;
  state->options = options_;
  state->epoch = epoch;
  state->end_batch = batches;
  state->next_yield = state->next_claim = start_batch;
  if (start_batch < batches) {
    state->indices = sampler_->epoch_indices(epoch);
    MINI_ASSERT(static_cast<int64_t>(state->indices.size()) == sampler_->size(),
                "{} returned {} indices for epoch {}, its size() is {}", sampler_->describe(), state->indices.size(),
                epoch, sampler_->size());
    state->indices.resize(static_cast<size_t>(samples_per_epoch()));
  }
  state->capacity = options_.num_workers * options_.prefetch_factor;
  const int64_t worker_count = std::min(options_.num_workers, batches - start_batch);
  for (int64_t i = 0; i < worker_count; ++i) {
    state->workers.emplace_back([raw = state.get()] { raw->worker_loop(); });
  }
  return Iterator(std::move(state));
}

std::string DataLoader::describe() const {
  return fmt::format("DataLoader(batch_size={}, {} batches, drop_last={}, num_workers={}, {}, {})", options_.batch_size,
                     batches_per_epoch(), options_.drop_last, options_.num_workers, sampler_->describe(),
                     dataset_->describe());
}

DataLoader::Iterator::Iterator(std::unique_ptr<State> state) : state_(std::move(state)) {}
DataLoader::Iterator::Iterator(Iterator&&) noexcept = default;
DataLoader::Iterator& DataLoader::Iterator::operator=(Iterator&&) noexcept = default;
DataLoader::Iterator::~Iterator() = default;

std::optional<Batch> DataLoader::Iterator::next() { return state_ ? state_->next() : std::nullopt; }

int64_t DataLoader::Iterator::batch_index() const { return state_ ? state_->next_yield : 0; }

int64_t DataLoader::Iterator::epoch() const { return state_ ? state_->epoch : 0; }

}  // namespace mini::runtime
