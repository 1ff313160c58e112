#include "cuda/emu/scheduler.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "cuda/emu/block_runner.h"
#include "cuda/emu/failure.h"

namespace mini::cuda::emu {
namespace {

unsigned workers_from_environment() {
  if (const char* text = std::getenv("MINI_EMU_WORKERS")) {
    char* end = nullptr;
    const unsigned long value = std::strtoul(text, &end, 10);
    if (end == text || *end != '\0' || value == 0 || value > 256) {
      kernel_failure(concat("MINI_EMU_WORKERS=", text, " is not a number from 1 to 256"));
    }
    return static_cast<unsigned>(value);
  }
  return std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
}

// Each OS thread keeps its runner (and its pool of fiber stacks) across launches.
BlockRunner& this_thread_runner() {
  thread_local BlockRunner runner;
  return runner;
}

class WorkerPool {
 public:
  explicit WorkerPool(unsigned workers) {
    for (unsigned i = 1; i < workers; ++i) helpers_.emplace_back([this] { helper_loop(); });
  }

  ~WorkerPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_ready_.notify_all();
    for (std::thread& helper : helpers_) helper.join();
  }

  unsigned size() const { return static_cast<unsigned>(helpers_.size()) + 1; }

  void run(const GridLaunch& launch) {
    std::lock_guard one_grid_at_a_time(launch_mutex_);
    const std::uint64_t blocks = std::uint64_t{launch.grid.x} * launch.grid.y * launch.grid.z;
    block_order_.resize(blocks);
    std::iota(block_order_.begin(), block_order_.end(), std::uint64_t{0});
    if (launch.order == RunOrder::reverse) std::reverse(block_order_.begin(), block_order_.end());
    if (launch.order == RunOrder::random) {
      std::uint64_t state = launch.seed;
      for (std::size_t i = block_order_.size(); i > 1; --i) {
        std::swap(block_order_[i - 1], block_order_[mix_bits(state) % i]);
      }
    }
    next_block_.store(0, std::memory_order_relaxed);
    // A one-block grid is common (reductions, tests): waking helpers costs more than it saves.
    // NOTE: a forked child (a gtest death test in the default "fast" style) has
    // none of the parent's helper threads, so it must run every block itself.
    const bool use_helpers = blocks > 1 && !helpers_.empty() && ::getpid() == owner_pid_;
    if (use_helpers) {
      std::lock_guard lock(mutex_);
      launch_ = &launch;
      ++generation_;
      busy_helpers_ = static_cast<unsigned>(helpers_.size());
    }
    if (use_helpers) work_ready_.notify_all();
    run_blocks(launch);
    if (use_helpers) {
      std::unique_lock lock(mutex_);
      helpers_done_.wait(lock, [this] { return busy_helpers_ == 0; });
      launch_ = nullptr;
    }
  }

 private:
  void helper_loop() {
    std::uint64_t seen_generation = 0;
    for (;;) {
      const GridLaunch* launch = nullptr;
      {
        std::unique_lock lock(mutex_);
        work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
        if (stopping_) return;
        seen_generation = generation_;
        launch = launch_;
      }
      run_blocks(*launch);
      {
        std::lock_guard lock(mutex_);
        --busy_helpers_;
      }
      helpers_done_.notify_one();
    }
  }

  void run_blocks(const GridLaunch& launch) {
    BlockRunner& runner = this_thread_runner();
    const std::uint64_t blocks = block_order_.size();
    for (;;) {
      const std::uint64_t i = next_block_.fetch_add(1, std::memory_order_relaxed);
      if (i >= blocks) return;
      const std::uint64_t linear = block_order_[i];
      const uint3 index{static_cast<unsigned>(linear % launch.grid.x),
                        static_cast<unsigned>(linear / launch.grid.x % launch.grid.y),
                        static_cast<unsigned>(linear / (std::uint64_t{launch.grid.x} * launch.grid.y))};
      runner.run(launch, index);
    }
  }

  const pid_t owner_pid_ = ::getpid();
  std::mutex launch_mutex_;
  std::vector<std::uint64_t> block_order_;
  std::atomic<std::uint64_t> next_block_{0};

  std::mutex mutex_;  // guards the fields below
  std::condition_variable work_ready_;
  std::condition_variable helpers_done_;
  const GridLaunch* launch_ = nullptr;
  std::uint64_t generation_ = 0;
  unsigned busy_helpers_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> helpers_;
};

WorkerPool& pool() {
  static WorkerPool instance(workers_from_environment());
  return instance;
}

}  // namespace

void run_grid(dim3 grid, dim3 block, std::size_t shared_bytes, KernelBody body) {
  if (BlockRunner::current() != nullptr) {
    kernel_failure("a kernel launched another kernel; dynamic parallelism is not emulated");
  }
  const RunOrder order = run_order();
  const GridLaunch launch{grid, block, shared_bytes, body, order, next_launch_seed()};
  pool().run(launch);
}

unsigned worker_count() { return pool().size(); }

}  // namespace mini::cuda::emu
