// Events and cross-stream frees in the caching allocator (NOTE [ cross-stream
// frees ] in cuda/runtime/caching_allocator.h). The emulator completes all
// work at once, so emu::hold_events keeps recorded events "not ready" to stand
// in for work still queued on another stream.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuda/emu/stream.h"
#include "cuda/runtime/caching_allocator.h"
#include "cuda/runtime/record_stream.h"
#include "cuda/runtime/stream.h"
#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using ::testing::HasSubstr;

// Holds emulated events for a scope, released even when an assertion fails.
class HeldEvents {
 public:
  HeldEvents() { emu::hold_events(true); }
  HeldEvents(const HeldEvents&) = delete;
  HeldEvents& operator=(const HeldEvents&) = delete;
  ~HeldEvents() { emu::hold_events(false); }
};

TEST(CudaEvent, ReportsCompletionAndReleasesOnSynchronize) {
  const Stream side = Stream::create();
  Event done;
  done.record(side.handle());
  EXPECT_TRUE(done.query());
  {
    HeldEvents held;
    done.record(side.handle());
    EXPECT_FALSE(done.query());
    done.block(nullptr);  // the default stream waits: nothing to check here but that it is accepted
    done.synchronize();
    EXPECT_TRUE(done.query());
  }
}

TEST(CudaAllocator, BlockUsedByAnotherStreamWaitsForItsEventBeforeReuse) {
  DeviceCachingAllocator allocator(0);
  const Stream side = Stream::create();
  HeldEvents held;
  void* first = allocator.allocate(4096);
  allocator.record_stream(first, side.handle());
  allocator.deallocate(first, 4096);
  EXPECT_EQ(allocator.pending_frees(), 1u);
  EXPECT_EQ(allocator.stats().bytes_in_use, 0);  // no tensor uses it, but the side stream may

  void* second = allocator.allocate(4096);
  EXPECT_NE(second, first) << "reused while the side stream's work was still queued";
  allocator.deallocate(second, 4096);

  emu::hold_events(false);  // the side stream's work finishes
  void* third = allocator.allocate(4096);
  EXPECT_EQ(allocator.pending_frees(), 0u);
  EXPECT_EQ(third, first);
  allocator.deallocate(third, 4096);
}

TEST(CudaAllocator, RecordingTheAllocatingStreamAddsNoWait) {
  DeviceCachingAllocator allocator(0);
  HeldEvents held;
  void* block = allocator.allocate(4096);
  allocator.record_stream(block, nullptr);  // allocated on the default stream
  allocator.deallocate(block, 4096);
  EXPECT_EQ(allocator.pending_frees(), 0u);
  void* again = allocator.allocate(4096);
  EXPECT_EQ(again, block);
  allocator.deallocate(again, 4096);
}

TEST(CudaAllocator, BlockUsedByTwoStreamsWaitsForBoth) {
  DeviceCachingAllocator allocator(0);
  const Stream a = Stream::create(), b = Stream::create();
  void* block = nullptr;
  {
    HeldEvents held;
    block = allocator.allocate(4096);
    allocator.record_stream(block, a.handle());
    allocator.record_stream(block, b.handle());
    allocator.record_stream(block, b.handle());  // twice: still one event for b
    allocator.deallocate(block, 4096);
    EXPECT_EQ(allocator.pending_frees(), 1u);
  }
  void* again = allocator.allocate(4096);
  EXPECT_EQ(again, block);
  EXPECT_EQ(allocator.pending_frees(), 0u);
  allocator.deallocate(again, 4096);
}

TEST(CudaAllocator, EmptyCacheWaitsForPendingFreesAndReturnsTheirMemory) {
  DeviceCachingAllocator allocator(0);
  const Stream side = Stream::create();
  HeldEvents held;
  void* block = allocator.allocate(3 << 20);
  allocator.record_stream(block, side.handle());
  allocator.deallocate(block, 3 << 20);
  allocator.empty_cache();
  EXPECT_EQ(allocator.pending_frees(), 0u);
  EXPECT_EQ(allocator.stats().bytes_reserved, 0);
}

TEST(CudaAllocator, RecordStreamRejectsAPointerItDidNotAllocate) {
  DeviceCachingAllocator allocator(0);
  void* block = allocator.allocate(4096);
  try {
    allocator.record_stream(static_cast<char*>(block) + 512, nullptr);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("not the start of an allocation"));
  }
  allocator.deallocate(block, 4096);
}

TEST(CudaRecordStream, ProtectsATensorsMemoryInTheBackendsAllocator) {
  // emu::hold_events and this file's allocator type are the emulator's.
  if (testing::real_gpu()) GTEST_SKIP() << "emulator only: a GPU's backend has the device variant's allocator";
  testing::use_cuda_backend();
  auto& allocator = dynamic_cast<DeviceCachingAllocator&>(testing::cuda_backend().allocator());
  const Stream side = Stream::create();
  HeldEvents held;
  void* freed = nullptr;
  {
    const Tensor t = ops::empty({1000}, {.device = Device::cuda()});
    const Tensor view = ops::slice(t, 0, 10, 20);  // a view protects the whole allocation
    record_stream(view, side.handle());
    freed = t.storage()->data();
  }
  EXPECT_EQ(allocator.pending_frees(), 1u);
  const Tensor next = ops::empty({1000}, {.device = Device::cuda()});
  EXPECT_NE(next.storage()->data(), freed);
}

TEST(CudaRecordStream, RejectsCpuTensorsAndIgnoresEmptyOnes) {
  testing::use_cuda_backend();
  const Stream side = Stream::create();
  EXPECT_THROW(record_stream(ops::zeros({3}), side.handle()), Error);
  EXPECT_NO_THROW(record_stream(ops::empty({0}, {.device = Device::cuda()}), side.handle()));
}

}  // namespace
}  // namespace mini::cuda
