// The CUDA caching allocator (run over the emulator's device memory) and
// streams: statistics, block reuse and splitting, empty_cache, the
// out-of-memory message, the current-stream guard.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuda/emu/device_memory.h"
#include "cuda/runtime/caching_allocator.h"
#include "cuda/runtime/stream.h"
#include "tests/cuda/cuda_testing.h"

namespace mini::cuda {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr size_t kMiB = size_t{1} << 20;

TEST(CudaAllocator, RoundsSmallRequestsTo512Bytes) {
  EXPECT_EQ(DeviceCachingAllocator::rounded_size(1), 512u);
  EXPECT_EQ(DeviceCachingAllocator::rounded_size(512), 512u);
  EXPECT_EQ(DeviceCachingAllocator::rounded_size(513), 1024u);
}

TEST(CudaAllocator, CountsBytesInUseReservedAndPeak) {
  DeviceCachingAllocator allocator(0);
  void* a = allocator.allocate(1000);
  void* b = allocator.allocate(3 * kMiB);
  AllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.bytes_in_use, static_cast<int64_t>(1024 + 3 * kMiB));
  EXPECT_EQ(stats.bytes_reserved, static_cast<int64_t>(2 * kMiB + 4 * kMiB));  // a small segment, a 4 MiB large one
  EXPECT_EQ(stats.allocation_count, 2);
  EXPECT_EQ(stats.system_allocations, 2);
  allocator.deallocate(b, 3 * kMiB);
  stats = allocator.stats();
  EXPECT_EQ(stats.bytes_in_use, 1024);
  EXPECT_EQ(stats.peak_bytes_in_use, static_cast<int64_t>(1024 + 3 * kMiB));
  allocator.reset_peak();
  EXPECT_EQ(allocator.stats().peak_bytes_in_use, 1024);
  allocator.deallocate(a, 1000);
  EXPECT_EQ(allocator.stats().bytes_in_use, 0);
}

TEST(CudaAllocator, SmallBlocksShareOneSegmentAndAreReused) {
  DeviceCachingAllocator allocator(0);
  void* a = allocator.allocate(4000);
  void* b = allocator.allocate(4000);
  EXPECT_EQ(allocator.stats().system_allocations, 1);  // both carved from one 2 MiB segment
  EXPECT_EQ(static_cast<char*>(b) - static_cast<char*>(a), 4096);
  allocator.deallocate(a, 4000);
  void* c = allocator.allocate(3000);  // best fit: the freed 4 KiB block
  EXPECT_EQ(c, a);
  EXPECT_EQ(allocator.stats().system_allocations, 1);
  allocator.deallocate(b, 4000);
  allocator.deallocate(c, 3000);
}

TEST(CudaAllocator, LargeBlocksSplitAndMergeBack) {
  DeviceCachingAllocator allocator(0);
  void* big = allocator.allocate(8 * kMiB);
  allocator.deallocate(big, 8 * kMiB);
  void* first = allocator.allocate(3 * kMiB);   // split: 3 MiB used, 5 MiB cached
  void* second = allocator.allocate(4 * kMiB);  // from the remainder
  EXPECT_EQ(first, big);
  EXPECT_EQ(static_cast<char*>(second) - static_cast<char*>(first), static_cast<std::ptrdiff_t>(3 * kMiB));
  EXPECT_EQ(allocator.stats().system_allocations, 1);
  allocator.deallocate(first, 3 * kMiB);
  allocator.deallocate(second, 4 * kMiB);
  void* whole = allocator.allocate(8 * kMiB);  // the pieces merged into the 8 MiB segment again
  EXPECT_EQ(whole, big);
  EXPECT_EQ(allocator.stats().system_allocations, 1);
  allocator.deallocate(whole, 8 * kMiB);
}

TEST(CudaAllocator, EmptyCacheReturnsFreeSegmentsToTheDevice) {
  DeviceCachingAllocator allocator(0);
  const size_t device_before = emu::allocated_bytes();
  void* kept = allocator.allocate(100);
  void* freed = allocator.allocate(5 * kMiB);
  allocator.deallocate(freed, 5 * kMiB);
  allocator.empty_cache();
  EXPECT_EQ(allocator.stats().bytes_reserved, static_cast<int64_t>(2 * kMiB));  // the segment still in use stays
  EXPECT_EQ(emu::allocated_bytes(), device_before + 2 * kMiB);
  allocator.deallocate(kept, 100);
  allocator.empty_cache();
  EXPECT_EQ(allocator.stats().bytes_reserved, 0);
  EXPECT_EQ(emu::allocated_bytes(), device_before);
}

TEST(CudaAllocator, BlocksAreReusedOnlyByTheirStream) {
  DeviceCachingAllocator allocator(0);
  void* on_default = allocator.allocate(2048);
  allocator.deallocate(on_default, 2048);
  const Stream side = Stream::create();
  {
    StreamGuard guard(0, side.handle());
    void* on_side = allocator.allocate(2048);
    EXPECT_NE(on_side, on_default);
    allocator.deallocate(on_side, 2048);
  }
  void* again = allocator.allocate(2048);
  EXPECT_EQ(again, on_default);
  allocator.deallocate(again, 2048);
}

TEST(CudaAllocator, OutOfMemoryNamesRequestedInUseAndReservedBytes) {
  DeviceCachingAllocator allocator(0);
  const emu::MemoryInfo info = emu::memory_info();
  emu::set_memory_capacity(emu::allocated_bytes() + 8 * kMiB);
  void* held = allocator.allocate(6 * kMiB);
  void* cached = allocator.allocate(1000);
  allocator.deallocate(cached, 1000);  // a cached 2 MiB segment: freed before the failure is reported
  try {
    allocator.allocate(3 * kMiB);
    ADD_FAILURE() << "expected an out-of-memory error";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), AllOf(HasSubstr("CUDA out of memory"), HasSubstr("3145728 bytes"),
                                    HasSubstr("6291456 bytes in use"), HasSubstr("6291456 bytes reserved")));
  }
  emu::set_memory_capacity(info.total_bytes);
  allocator.deallocate(held, 6 * kMiB);
}

TEST(CudaAllocator, TensorsOnTheDeviceUseTheBackendsAllocator) {
  Allocator& allocator = testing::cuda_backend().allocator();
  const int64_t before = allocator.stats().bytes_in_use;
  {
    const Tensor t = ops::empty({1000}, {.device = Device::cuda()});
    EXPECT_EQ(allocator.stats().bytes_in_use, before + 4096);
  }
  EXPECT_EQ(allocator.stats().bytes_in_use, before);
}

TEST(CudaStream, GuardSwitchesAndRestoresTheCurrentStream) {
  const StreamHandle before = current_stream(0);
  const Stream side = Stream::create();
  {
    StreamGuard guard(0, side.handle());
    EXPECT_EQ(current_stream(0), side.handle());
  }
  EXPECT_EQ(current_stream(0), before);
}

TEST(CudaStream, WorkOnASideStreamIsVisibleAfterSynchronize) {
  // This file's StreamGuard is the emulated variant's; a GPU's backend reads the device variant's.
  if (testing::real_gpu()) GTEST_SKIP() << "emulator only: the device variant's streams are checked by real_gpu_test";
  testing::use_cuda_backend();
  const Stream side = Stream::create();
  const Tensor t = ops::empty({64}, {.device = Device::cuda()});
  {
    StreamGuard guard(0, side.handle());
    testing::cuda_backend().fill(t, 3.0);
    testing::cuda_backend().synchronize();
  }
  EXPECT_EQ(mini::testing::to_doubles(t), std::vector<double>(64, 3.0));
}

}  // namespace
}  // namespace mini::cuda
