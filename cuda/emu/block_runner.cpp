#include "cuda/emu/block_runner.h"

#include <algorithm>
#include <boost/context/preallocated.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <numeric>
#include <utility>

#include "cuda/emu/failure.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace mini::cuda::emu {
namespace {

thread_local BlockRunner* tls_current_runner = nullptr;

// AddressSanitizer tracks one stack per OS thread; without these annotations it
// reports false positives (and misses real errors) once code runs on a fiber stack.
void asan_start_switch(void** fake_stack, const void* bottom, std::size_t size) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#else
  (void)fake_stack, (void)bottom, (void)size;
#endif
}

void asan_finish_switch(void* fake_stack, const void** bottom, std::size_t* size) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(fake_stack, bottom, size);
#else
  (void)fake_stack, (void)bottom, (void)size;
#endif
}

std::string format_site(std::source_location site) {
  return concat(site.file_name(), ":", std::to_string(site.line()), ":", std::to_string(site.column()));
}

bool same_site(std::source_location a, std::source_location b) {
  return a.line() == b.line() && a.column() == b.column() && std::strcmp(a.file_name(), b.file_name()) == 0;
}

std::string format_dims(unsigned x, unsigned y, unsigned z) {
  return concat("(", std::to_string(x), ", ", std::to_string(y), ", ", std::to_string(z), ")");
}

std::string format_mask(unsigned mask) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", mask);
  return text;
}

const char* op_name(WarpOp op) {
  switch (op) {
    case WarpOp::syncwarp:
      return "__syncwarp";
    case WarpOp::shfl:
      return "__shfl_sync";
    case WarpOp::shfl_up:
      return "__shfl_up_sync";
    case WarpOp::shfl_down:
      return "__shfl_down_sync";
    case WarpOp::shfl_xor:
      return "__shfl_xor_sync";
    case WarpOp::ballot:
      return "__ballot_sync";
    case WarpOp::any:
      return "__any_sync";
    case WarpOp::all:
      return "__all_sync";
  }
  return "warp intrinsic";
}

BlockRunner& running_kernel(const char* what) {
  BlockRunner* runner = BlockRunner::current();
  if (runner == nullptr) {
    kernel_failure(concat(what, " was called outside a kernel launched through mini::cuda::launch"));
  }
  return *runner;
}

}  // namespace

// ---- the device-side hooks declared in sync.h ------------------------------

void block_barrier(std::source_location site) { running_kernel("__syncthreads()").barrier(site); }

WarpExchange warp_exchange(WarpOp op, unsigned mask, std::uint64_t value, std::source_location site) {
  return running_kernel(op_name(op)).warp_exchange(op, mask, value, site);
}

unsigned lane_id() { return running_kernel("a lane query").lane_id(); }
unsigned active_lanes() { return running_kernel("__activemask()").active_lanes(); }
void* dynamic_shared_memory() { return running_kernel("MINI_DYNAMIC_SHARED").dynamic_shared_memory(); }

void invalid_warp_width(int width, std::source_location site) {
  kernel_failure(concat("warp shuffle at ", format_site(site), " has width ", std::to_string(width),
                        "; it must be a power of two from 1 to 32"));
}

// ---- BlockRunner -------------------------------------------------------------

BlockRunner::BlockRunner() : stacks_(fiber_stack_bytes()) {}

BlockRunner::~BlockRunner() = default;

BlockRunner* BlockRunner::current() { return tls_current_runner; }

void BlockRunner::run(const GridLaunch& launch, uint3 block_index) {
  launch_ = &launch;
  block_index_ = block_index;
  blockIdx = block_index;
  blockDim = launch.block;
  gridDim = launch.grid;

  const unsigned count = launch.block.x * launch.block.y * launch.block.z;
  live_ = count;
  exited_ = 0;
  arrived_ = 0;
  barrier_generation_ = 0;
  barrier_first_ = nullptr;
  warps_.assign((count + 31) / 32, Warp{});
  for (unsigned w = 0; w < warps_.size(); ++w) {
    const unsigned lanes = count - w * 32;
    warps_[w].lanes = lanes >= 32 ? 0xffffffffu : (1u << lanes) - 1;
  }
  // Fill with all-ones bits (NaN, -1) so that reading shared memory before
  // writing it gives visibly wrong results instead of a previous block's data.
  shared_memory_.reset(new std::byte[launch.shared_bytes]);
  std::memset(shared_memory_.get(), 0xff, launch.shared_bytes);

  threads_.resize(count);
  start_threads();

  order_.resize(count);
  std::iota(order_.begin(), order_.end(), 0u);
  if (launch.order == RunOrder::reverse) std::reverse(order_.begin(), order_.end());
  std::uint64_t block_linear = block_index.x + launch.grid.x * (block_index.y + launch.grid.y * block_index.z);
  random_state_ = launch.seed ^ mix_bits(block_linear);

  while (live_ > 0) {
    if (launch.order == RunOrder::random) shuffle_order();
    bool progressed = false;
    for (unsigned i : order_) {
      Thread& thread = threads_[i];
      if (thread.finished || blocked(thread)) continue;
      resume(thread);
      progressed = true;
    }
    if (!progressed) report_deadlock();
  }
  shared_memory_.reset();
  launch_ = nullptr;
}

void BlockRunner::start_threads() {
  const dim3 block = launch_->block;
  for (unsigned i = 0; i < threads_.size(); ++i) {
    Thread& thread = threads_[i];
    thread.index = uint3{i % block.x, i / block.x % block.y, i / (block.x * block.y)};
    thread.linear = i;
    thread.wait = Wait::none;
    thread.finished = false;
    thread.asan_fake_stack = nullptr;
    boost::context::stack_context stack = stacks_.take();
    thread.stack_bottom = static_cast<char*>(stack.sp) - stack.size;
    thread.stack_size = stack.size;
    thread.fiber = boost::context::fiber(
        std::allocator_arg, boost::context::preallocated(stack.sp, stack.size, stack), PooledFiberStack(stacks_),
        [this, &thread](boost::context::fiber&& scheduler) { return thread_main(thread, std::move(scheduler)); });
  }
}

void BlockRunner::resume(Thread& thread) {
  running_ = &thread;
  threadIdx = thread.index;
  tls_current_runner = this;
  void* fake_stack = nullptr;
  asan_start_switch(&fake_stack, thread.stack_bottom, thread.stack_size);
  thread.fiber = std::move(thread.fiber).resume();
  asan_finish_switch(fake_stack, nullptr, nullptr);
  tls_current_runner = nullptr;
  running_ = nullptr;
}

void BlockRunner::yield(Thread& thread) {
  asan_start_switch(&thread.asan_fake_stack, asan_runner_stack_bottom_, asan_runner_stack_size_);
  thread.scheduler = std::move(thread.scheduler).resume();
  asan_finish_switch(thread.asan_fake_stack, &asan_runner_stack_bottom_, &asan_runner_stack_size_);
}

boost::context::fiber BlockRunner::thread_main(Thread& thread, boost::context::fiber&& scheduler) {
  thread.scheduler = std::move(scheduler);
  asan_finish_switch(nullptr, &asan_runner_stack_bottom_, &asan_runner_stack_size_);
  try {
    launch_->body();
  } catch (const boost::context::detail::forced_unwind&) {
    throw;  // Boost.Context unwinding a fiber's stack: must pass through
  } catch (const std::exception& error) {
    fail(concat(describe(thread), " let an exception escape the kernel: ", error.what()));
  } catch (...) {
    fail(concat(describe(thread), " let a non-std::exception escape the kernel"));
  }
  on_thread_exit(thread);
  // A null fake-stack pointer tells ASan this fiber's stack is going away.
  asan_start_switch(nullptr, asan_runner_stack_bottom_, asan_runner_stack_size_);
  return std::move(thread.scheduler);
}

void BlockRunner::on_thread_exit(Thread& thread) {
  thread.finished = true;
  --live_;
  ++exited_;
  if (arrived_ > 0) {
    fail(concat(describe(thread), " returned from the kernel while ", std::to_string(arrived_),
                " thread(s) of its block wait at __syncthreads() at ", format_site(barrier_site_),
                " (every thread of a block must reach every barrier)"));
  }
  Warp& warp = warps_[thread.linear / 32];
  const unsigned lane_bit = 1u << (thread.linear % 32);
  warp.exited |= lane_bit;
  if (warp.arrived != 0 && (warp.mask & lane_bit)) {
    fail(concat(describe(thread), " returned from the kernel while lanes ", format_mask(warp.arrived),
                " wait for it in ", op_name(warp.op), " at ", format_site(warp.site), " with mask ",
                format_mask(warp.mask)));
  }
}

bool BlockRunner::blocked(const Thread& thread) const {
  switch (thread.wait) {
    case Wait::none:
      return false;
    case Wait::block_barrier:
      return thread.wait_generation == barrier_generation_;
    case Wait::warp_op:
      return thread.wait_generation == warps_[thread.linear / 32].generation;
  }
  return false;
}

void BlockRunner::shuffle_order() {
  for (std::size_t i = order_.size(); i > 1; --i) {
    std::swap(order_[i - 1], order_[mix_bits(random_state_) % i]);
  }
}

void BlockRunner::barrier(std::source_location site) {
  Thread& self = *running_;
  if (exited_ > 0) {
    fail(concat(describe(self), " reached __syncthreads() at ", format_site(site), " after ", std::to_string(exited_),
                " thread(s) of its block returned from the kernel (every thread of a block must reach every barrier)"));
  }
  if (arrived_ == 0) {
    barrier_site_ = site;
    barrier_first_ = &self;
  } else if (!same_site(site, barrier_site_)) {
    fail(concat("divergent __syncthreads(): ", describe(self), " is at ", format_site(site), " but ",
                describe(*barrier_first_), " waits at ", format_site(barrier_site_)));
  }
  self.wait = Wait::block_barrier;
  self.wait_generation = barrier_generation_;
  self.wait_site = site;
  if (++arrived_ == live_) {
    arrived_ = 0;
    ++barrier_generation_;
  }
  yield(self);
  self.wait = Wait::none;
}

WarpExchange BlockRunner::warp_exchange(WarpOp op, unsigned mask, std::uint64_t value, std::source_location site) {
  Thread& self = *running_;
  const unsigned lane = self.linear % 32;
  Warp& warp = warps_[self.linear / 32];
  if ((mask >> lane & 1u) == 0) {
    fail(concat(describe(self), " (lane ", std::to_string(lane), ") called ", op_name(op), " at ", format_site(site),
                " with mask ", format_mask(mask), ", which does not include its own lane"));
  }
  const unsigned participants = mask & warp.lanes;
  if (participants & warp.exited) {
    fail(concat(describe(self), " called ", op_name(op), " at ", format_site(site), " with mask ", format_mask(mask),
                " but lanes ", format_mask(participants & warp.exited),
                " of that mask already returned from the kernel"));
  }
  if (warp.arrived == 0) {
    warp.op = op;
    warp.mask = mask;
    warp.site = site;
    warp.first_lane = lane;
  } else if (warp.op != op || warp.mask != mask) {
    fail(concat("divergent warp intrinsics in warp ", std::to_string(self.linear / 32), " of block ",
                format_dims(block_index_.x, block_index_.y, block_index_.z), ": lane ", std::to_string(lane),
                " called ", op_name(op), " with mask ", format_mask(mask), " at ", format_site(site), " while lane ",
                std::to_string(warp.first_lane), " waits in ", op_name(warp.op), " with mask ", format_mask(warp.mask),
                " at ", format_site(warp.site)));
  }
  const std::uint64_t generation = warp.generation;
  std::uint64_t* values = warp.values[generation & 1];
  values[lane] = value;
  warp.arrived |= 1u << lane;
  self.wait = Wait::warp_op;
  self.wait_generation = generation;
  self.wait_site = site;
  if (warp.arrived == participants) {
    for (unsigned other = 0; other < 32; ++other) {
      if ((participants >> other & 1u) == 0) values[other] = ~std::uint64_t{0};
    }
    warp.arrived = 0;
    ++warp.generation;
  }
  yield(self);
  self.wait = Wait::none;
  return WarpExchange{values, participants};
}

unsigned BlockRunner::lane_id() const { return running_->linear % 32; }

unsigned BlockRunner::active_lanes() const {
  const Warp& warp = warps_[running_->linear / 32];
  return warp.lanes & ~warp.exited;
}

void BlockRunner::report_deadlock() const {
  std::string message = concat("deadlock in block ", format_dims(block_index_.x, block_index_.y, block_index_.z), ":");
  if (arrived_ > 0) {
    message += concat(" ", std::to_string(arrived_), " of ", std::to_string(live_),
                      " live threads wait at __syncthreads() at ", format_site(barrier_site_), ";");
  }
  for (unsigned w = 0; w < warps_.size(); ++w) {
    const Warp& warp = warps_[w];
    if (warp.arrived == 0) continue;
    message +=
        concat(" warp ", std::to_string(w), " lanes ", format_mask(warp.arrived), " wait in ", op_name(warp.op), " at ",
               format_site(warp.site), " for lanes ", format_mask(warp.mask & warp.lanes & ~warp.arrived), ";");
  }
  fail(concat(message, " no thread can make progress"));
}

void BlockRunner::fail(const std::string& message) const {
  std::string context = concat(" [grid ", format_dims(launch_->grid.x, launch_->grid.y, launch_->grid.z), ", block ",
                               format_dims(launch_->block.x, launch_->block.y, launch_->block.z), ", run order ",
                               to_string(launch_->order));
  if (launch_->order == RunOrder::random) context += concat(", launch seed ", std::to_string(launch_->seed));
  kernel_failure(concat(message, context, "]"));
}

std::string BlockRunner::describe(const Thread& thread) const {
  return concat("thread ", format_dims(thread.index.x, thread.index.y, thread.index.z), " of block ",
                format_dims(block_index_.x, block_index_.y, block_index_.z));
}

}  // namespace mini::cuda::emu
