#pragma once
// What the scheduler needs to run one grid: the kernel, already bound to its
// arguments, plus the launch configuration and run order.

#include <cstddef>
#include <cstdint>

#include "cuda/emu/builtins.h"
#include "cuda/emu/run_order.h"

namespace mini::cuda::emu {

// A non-owning callable that runs the kernel body for the current thread. Every
// emulated thread calls it once, so it must be cheap: two pointers, no allocation.
struct KernelBody {
  const void* object;
  void (*call)(const void* object);
  void operator()() const { call(object); }
};

struct GridLaunch {
  dim3 grid;
  dim3 block;
  std::size_t shared_bytes;
  KernelBody body;
  RunOrder order;
  std::uint64_t seed;  // for RunOrder::random
};

}  // namespace mini::cuda::emu
