#pragma once
// Counter-based random numbers for the data pipeline. Every random choice
// (the epoch's shuffle, a sample's crop offset) is a pure function of
// (seed, epoch, stream, sample index, draw number), so results do not depend
// on the number of workers, the batch a sample lands in, or where a resumed
// run starts.
//
//   SampleRandom random(stream_key(seed, epoch, kTransformStream + position), sample_index);
//   if (random.uniform() < p) flip(...);
#include <cstdint>

#include "tensor/philox.h"

namespace mini::runtime {

// Stream ids keep the shuffle and the transforms from sharing numbers.
inline constexpr uint64_t kShuffleStream = 1;
inline constexpr uint64_t kTransformStream = 1000;  // + the transform's position in the pipeline

// SplitMix64's finaliser: a bijection that spreads every input bit.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The Philox key of one (seed, epoch, stream).
inline uint64_t stream_key(uint64_t seed, int64_t epoch, uint64_t stream) {
  return mix64(mix64(mix64(seed) ^ static_cast<uint64_t>(epoch)) ^ stream);
}

// The draws of one sample: counter = (index << 16) + block, four 32-bit
// words per block, so a sample has 2^18 draws and indices up to 2^48.
class SampleRandom {
 public:
  SampleRandom(uint64_t key, int64_t index) : key_(key), base_(static_cast<uint64_t>(index) << 16) {}

  uint32_t next_u32() {
    if (word_ == 4) {
      block_ = philox::generate(key_, base_ + counter_++);
      word_ = 0;
    }
    return block_.x[word_++];
  }
  // Uniform in [0, 1).
  float uniform() { return philox::to_unit_float(next_u32()); }
  // Uniform integer in [0, bound); bound > 0. 64 random bits, so the bias of
  // the multiply-shift reduction is below 2^-32 for any bound used here.
  int64_t below(int64_t bound) {
    const uint64_t bits = static_cast<uint64_t>(next_u32()) << 32 | next_u32();
    return static_cast<int64_t>((static_cast<unsigned __int128>(bits) * static_cast<uint64_t>(bound)) >> 64);
  }

 private:
  uint64_t key_;
  uint64_t base_;
  uint64_t counter_ = 0;
  philox::Block block_{};
  int word_ = 4;
};

}  // namespace mini::runtime
