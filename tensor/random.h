#pragma once
// Counter-based random numbers. A Generator is (seed, offset): each random
// element consumes one Philox counter, so the stream can jump to any
// position in O(1) and every backend produces the same numbers.
#include <cstdint>
#include <mutex>

#include "tensor/backend.h"

namespace mini {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0x5eed) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void manual_seed(uint64_t seed);
  void set_offset(uint64_t offset);
  // Reserves `count` counters and returns where they start.
  RandomState reserve(uint64_t count);

 private:
  mutable std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide generator used when an op is not given one.
Generator& default_generator();
// Seeds the default generator (torch.manual_seed).
void manual_seed(uint64_t seed);

}  // namespace mini
