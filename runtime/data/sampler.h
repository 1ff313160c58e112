#pragma once
// Samplers: the order in which an epoch visits a dataset. An epoch's indices
// are a pure function of (seed, epoch) (a Fisher-Yates shuffle driven by
// Philox, runtime/data/random_stream.h), so a resumed run can recompute any
// epoch's order without reading data, and the order never depends on the
// thread count.
//
//   RandomSampler sampler(dataset->size(), /*seed=*/42);
//   std::vector<int64_t> order = sampler.epoch_indices(3);   // same on every run
//
//   DistributedSampler shard(dataset->size(), /*rank=*/1, /*world_size=*/4, /*shuffle=*/true, /*seed=*/42);
#include <cstdint>
#include <string>
#include <vector>

namespace mini::runtime {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // Indices per epoch.
  virtual int64_t size() const = 0;
  virtual std::vector<int64_t> epoch_indices(int64_t epoch) const = 0;
  virtual std::string describe() const = 0;
};

// A permutation of [0, n) keyed by (seed, epoch).
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, int64_t epoch);

// 0, 1, ..., n-1 every epoch.
class SequentialSampler : public Sampler {
 public:
  explicit SequentialSampler(int64_t dataset_size);
  int64_t size() const override { return size_; }
  std::vector<int64_t> epoch_indices(int64_t epoch) const override;
  std::string describe() const override;

 private:
  int64_t size_;
};

// seeded_permutation(n, seed, epoch).
class RandomSampler : public Sampler {
 public:
  RandomSampler(int64_t dataset_size, uint64_t seed);
  int64_t size() const override { return size_; }
  std::vector<int64_t> epoch_indices(int64_t epoch) const override;
  std::string describe() const override;
  uint64_t seed() const { return seed_; }

 private:
  int64_t size_;
  uint64_t seed_;
};

// One rank's share of the epoch's order (shuffled with the same (seed, epoch)
// on every rank): rank r takes positions r, r + world_size, ...
// With `pad` (PyTorch's DistributedSampler, MMEngine's round_up) the order is
// first extended by repeating its head until it divides evenly, so every rank
// gets ceil(n / world_size) indices; without it the shares are uneven.
class DistributedSampler : public Sampler {
 public:
  DistributedSampler(int64_t dataset_size, int64_t rank, int64_t world_size, bool shuffle, uint64_t seed,
                     bool pad = true);
  int64_t size() const override { return size_; }
  std::vector<int64_t> epoch_indices(int64_t epoch) const override;
  std::string describe() const override;

 private:
  int64_t dataset_size_, rank_, world_size_;
  bool shuffle_;
  uint64_t seed_;
  bool pad_;
  int64_t size_;
};

}  // namespace mini::runtime
