#include "runtime/data/sampler.h"

#include <numeric>
#include <utility>

#include "runtime/data/random_stream.h"
#include "tensor/error.h"

namespace mini::runtime {

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  // Fisher-Yates from the back; step i's draw is the stream's i-th sample
  // slot, so the permutation is fixed by (seed, epoch) alone.
  const uint64_t key = stream_key(seed, epoch, kShuffleStream);
  for (int64_t i = n - 1; i > 0; --i) {
    SampleRandom random(key, i);
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(random.below(i + 1))]);
  }
  return order;
}

SequentialSampler::SequentialSampler(int64_t dataset_size) : size_(dataset_size) {
  MINI_CHECK(dataset_size >= 0, "SequentialSampler: dataset size must be >= 0, got {}", dataset_size);
}

std::vector<int64_t> SequentialSampler::epoch_indices(int64_t) const {
  std::vector<int64_t> order(static_cast<size_t>(size_));
  std::iota(order.begin(), order.end(), int64_t{0});
  return order;
}

std::string SequentialSampler::describe() const { return "SequentialSampler"; }

RandomSampler::RandomSampler(int64_t dataset_size, uint64_t seed) : size_(dataset_size), seed_(seed) {
  MINI_CHECK(dataset_size >= 0, "RandomSampler: dataset size must be >= 0, got {}", dataset_size);
}

std::vector<int64_t> RandomSampler::epoch_indices(int64_t epoch) const {
  return seeded_permutation(size_, seed_, epoch);
}

std::string RandomSampler::describe() const { return fmt::format("RandomSampler(seed={})", seed_); }

DistributedSampler::DistributedSampler(int64_t dataset_size, int64_t rank, int64_t world_size, bool shuffle,
                                       uint64_t seed, bool pad)
    : dataset_size_(dataset_size), rank_(rank), world_size_(world_size), shuffle_(shuffle), seed_(seed), pad_(pad) {
  MINI_CHECK(dataset_size >= 0, "DistributedSampler: dataset size must be >= 0, got {}", dataset_size);
  MINI_CHECK(world_size >= 1, "DistributedSampler: world_size must be >= 1, got {}", world_size);
  MINI_CHECK(rank >= 0 && rank < world_size, "DistributedSampler: rank {} is outside [0, {})", rank, world_size);
  size_ = pad ? (dataset_size + world_size - 1) / world_size : (dataset_size - rank + world_size - 1) / world_size;
}

std::vector<int64_t> DistributedSampler::epoch_indices(int64_t epoch) const {
  std::vector<int64_t> order = shuffle_ ? seeded_permutation(dataset_size_, seed_, epoch)
                                        : SequentialSampler(dataset_size_).epoch_indices(epoch);
  std::vector<int64_t> share;
  share.reserve(static_cast<size_t>(size_));
  for (int64_t i = 0; i < size_; ++i) {
    // Past the end (only with padding) wraps to the head of the order.
    const int64_t position = (rank_ + i * world_size_) % std::max<int64_t>(dataset_size_, 1);
    share.push_back(order[static_cast<size_t>(position)]);
  }
  return share;
}

std::string DistributedSampler::describe() const {
  return fmt::format("DistributedSampler(rank={}, world_size={}, shuffle={}, seed={}, pad={})", rank_, world_size_,
                     shuffle_, seed_, pad_);
}

}  // namespace mini::runtime
