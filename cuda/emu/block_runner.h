#pragma once
// Runs one thread block: each CUDA thread is a fiber, all on the calling OS
// thread. Between synchronisation points a thread runs uninterrupted; at a
// barrier or warp intrinsic it yields, and the runner resumes the others in the
// launch's run order until the barrier is complete.
//
// NOTE [ barrier rules ]: stricter than a GPU, which hangs or silently gives
// wrong results where this aborts with both call sites named:
//   - all threads of a block must reach the same __syncthreads() (same source
//     line and column), and no thread may return from the kernel while the
//     block still has a barrier to pass (nor reach one after another returned);
//   - a warp intrinsic waits for every lane in its mask that exists in the block
//     (a partial last warp has fewer); those lanes must call the same intrinsic
//     with the same mask, and none of them may have returned. One group per warp
//     at a time: two disjoint masks in flight in one warp are reported as a mismatch.

#include <boost/context/fiber.hpp>
#include <cstdint>
#include <memory>
#include <source_location>
#include <string>
#include <vector>

#include "cuda/emu/fiber_stack.h"
#include "cuda/emu/grid_launch.h"
#include "cuda/emu/sync.h"

namespace mini::cuda::emu {

class BlockRunner {
 public:
  BlockRunner();
  BlockRunner(const BlockRunner&) = delete;
  BlockRunner& operator=(const BlockRunner&) = delete;
  ~BlockRunner();

  void run(const GridLaunch& launch, uint3 block_index);

  // The runner executing a kernel on this OS thread, or nullptr outside kernels.
  static BlockRunner* current();

  // Entry points for the device-side hooks in sync.h.
  void barrier(std::source_location site);
  WarpExchange warp_exchange(WarpOp op, unsigned mask, std::uint64_t value, std::source_location site);
  unsigned lane_id() const;
  unsigned active_lanes() const;
  void* dynamic_shared_memory() const { return shared_memory_.get(); }

 private:
  enum class Wait : std::uint8_t { none, block_barrier, warp_op };

  struct Thread {
    boost::context::fiber fiber;      // the suspended kernel thread
    boost::context::fiber scheduler;  // the runner, while this thread runs
    uint3 index{0, 0, 0};
    unsigned linear = 0;
    Wait wait = Wait::none;
    std::uint64_t wait_generation = 0;
    std::source_location wait_site;
    bool finished = false;
    const void* stack_bottom = nullptr;
    std::size_t stack_size = 0;
    void* asan_fake_stack = nullptr;
  };

  struct Warp {
    unsigned lanes = 0;    // lanes that exist in the block
    unsigned exited = 0;   // lanes that returned from the kernel
    unsigned arrived = 0;  // lanes waiting in the current exchange
    WarpOp op = WarpOp::syncwarp;
    unsigned mask = 0;
    std::source_location site;
    unsigned first_lane = 0;
    std::uint64_t generation = 0;
    // Double-buffered by generation parity: a lane released from exchange g may
    // read its slot after faster lanes already published for exchange g+1.
    std::uint64_t values[2][32] = {};
  };

  void start_threads();
  void resume(Thread& thread);
  void yield(Thread& thread);
  boost::context::fiber thread_main(Thread& thread, boost::context::fiber&& scheduler);
  void on_thread_exit(Thread& thread);
  bool blocked(const Thread& thread) const;
  void shuffle_order();
  [[noreturn]] void report_deadlock() const;
  [[noreturn]] void fail(const std::string& message) const;
  std::string describe(const Thread& thread) const;

  FiberStackPool stacks_;
  const GridLaunch* launch_ = nullptr;
  uint3 block_index_{0, 0, 0};
  std::vector<Thread> threads_;
  std::vector<Warp> warps_;
  std::vector<unsigned> order_;
  std::uint64_t random_state_ = 0;
  std::unique_ptr<std::byte[]> shared_memory_;
  Thread* running_ = nullptr;

  unsigned live_ = 0;     // threads not yet returned
  unsigned exited_ = 0;   // threads returned
  unsigned arrived_ = 0;  // threads waiting at the current __syncthreads
  std::uint64_t barrier_generation_ = 0;
  std::source_location barrier_site_;
  const Thread* barrier_first_ = nullptr;

  // The OS thread's own stack, which AddressSanitizer must be told about on each switch.
  const void* asan_runner_stack_bottom_ = nullptr;
  std::size_t asan_runner_stack_size_ = 0;
};

}  // namespace mini::cuda::emu
