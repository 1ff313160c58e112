#include "tensor/random.h"

namespace mini {

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard lock(mutex_);
  seed_ = seed;
  offset_ = 0;
}

void Generator::set_offset(uint64_t offset) {
  std::lock_guard lock(mutex_);
  offset_ = offset;
}

RandomState Generator::reserve(uint64_t count) {
  std::lock_guard lock(mutex_);
  const RandomState state{seed_, offset_};
  offset_ += count;
  return state;
}

Generator& default_generator() {
  static Generator generator;
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace mini
