#pragma once
// The order in which the emulator resumes a block's threads (and picks blocks).
//
// Between two barriers each emulated thread runs without interruption, one after
// another, so a kernel that forgets a __syncthreads() still works when the
// writer happens to run before the reader. Running the same kernel forward,
// reverse and in a random order makes such a bug show up under at least one of
// them. The default comes from MINI_EMU_ORDER=forward|reverse|random (forward
// when unset); random orders derive from MINI_EMU_SEED, so a failure reproduces.

#include <cstdint>
#include <string_view>

namespace mini::cuda::emu {

enum class RunOrder : std::uint8_t { forward, reverse, random };

RunOrder run_order();
void set_run_order(RunOrder order);
std::string_view to_string(RunOrder order);

// A fresh seed for each launch, from the MINI_EMU_SEED base and a launch counter.
std::uint64_t next_launch_seed();

// Sets the order for a scope (a test), restoring the previous one after.
class ScopedRunOrder {
 public:
  explicit ScopedRunOrder(RunOrder order) : previous_(run_order()) { set_run_order(order); }
  ScopedRunOrder(const ScopedRunOrder&) = delete;
  ScopedRunOrder& operator=(const ScopedRunOrder&) = delete;
  ~ScopedRunOrder() { set_run_order(previous_); }

 private:
  RunOrder previous_;
};

// splitmix64: a small, good-enough generator for shuffling thread orders.
inline std::uint64_t mix_bits(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace mini::cuda::emu
