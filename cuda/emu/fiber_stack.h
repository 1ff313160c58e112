#pragma once
// Stacks for the emulator's fibers, one per emulated CUDA thread.
//
// A block of 1024 threads needs 1024 stacks, and a grid runs thousands of
// blocks, so stacks are mmap'ed once per worker and reused. Each has a guard page
// below it: a kernel with large local arrays overflows into the guard page and
// crashes at once instead of corrupting a neighbouring thread's stack.

#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <vector>

namespace mini::cuda::emu {

// 16 KB holds kernel code with modest local arrays; AddressSanitizer's redzones
// need more. MINI_EMU_STACK_KB overrides it for kernels that need deeper stacks.
std::size_t fiber_stack_bytes();

class FiberStackPool {
 public:
  explicit FiberStackPool(std::size_t usable_bytes);
  FiberStackPool(const FiberStackPool&) = delete;
  FiberStackPool& operator=(const FiberStackPool&) = delete;
  ~FiberStackPool();

  boost::context::stack_context take();
  void give_back(const boost::context::stack_context& stack);
  std::size_t usable_bytes() const { return usable_bytes_; }

 private:
  std::size_t usable_bytes_;
  std::size_t mapping_bytes_;  // usable bytes plus the guard page
  std::vector<void*> free_;    // lowest address of each idle mapping
  std::vector<void*> mappings_;
};

// The StackAllocator that boost::context::fiber expects, drawing from a pool.
class PooledFiberStack {
 public:
  explicit PooledFiberStack(FiberStackPool& pool) : pool_(&pool) {}
  boost::context::stack_context allocate() { return pool_->take(); }
  void deallocate(boost::context::stack_context& stack) noexcept { pool_->give_back(stack); }

 private:
  FiberStackPool* pool_;
};

}  // namespace mini::cuda::emu
