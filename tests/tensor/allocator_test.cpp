#include <gtest/gtest.h>

#include <cstdint>

#include "tensor/allocator.h"
#include "tensor/ops/factory.h"

namespace mini {
namespace {

TEST(CpuAllocator, ReturnsSixtyFourByteAlignedMemory) {
  for (size_t size : {1u, 3u, 64u, 1000u, 1u << 20}) {
    void* ptr = cpu_allocator().allocate(size);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(ptr) % 64, 0u) << size;
    cpu_allocator().deallocate(ptr, size);
  }
}

TEST(CpuAllocator, TracksBytesInUseAndPeak) {
  Allocator& allocator = cpu_allocator();
  const AllocatorStats before = allocator.stats();
  allocator.reset_peak();
  {
    Tensor a = ops::empty({1000}, {.dtype = DType::f32});  // 4000 bytes, rounded to 4032
    EXPECT_EQ(allocator.stats().bytes_in_use - before.bytes_in_use, 4032);
    Tensor b = ops::empty({16}, {.dtype = DType::f64});  // 128 bytes
    EXPECT_EQ(allocator.stats().bytes_in_use - before.bytes_in_use, 4032 + 128);
  }
  const AllocatorStats after = allocator.stats();
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
  EXPECT_EQ(after.peak_bytes_in_use - before.bytes_in_use, 4032 + 128);
  EXPECT_EQ(after.allocation_count - before.allocation_count, 2);
}

TEST(CpuAllocator, ReusesFreedBlocksWithoutSystemAllocations) {
  Allocator& allocator = cpu_allocator();
  { Tensor warm = ops::empty({12345}); }
  const int64_t system_before = allocator.stats().system_allocations;
  for (int i = 0; i < 100; ++i) {
    Tensor t = ops::empty({12345});
  }
  EXPECT_EQ(allocator.stats().system_allocations, system_before);
}

TEST(CpuAllocator, EmptyCacheReleasesReservedBytes) {
  Allocator& allocator = cpu_allocator();
  { Tensor t = ops::empty({1 << 16}); }
  EXPECT_GT(allocator.stats().bytes_reserved, allocator.stats().bytes_in_use);
  allocator.empty_cache();
  EXPECT_EQ(allocator.stats().bytes_reserved, allocator.stats().bytes_in_use);
}

TEST(CpuAllocator, ZeroBytesNeedNoMemory) {
  Tensor empty = ops::empty({0, 5});
  EXPECT_EQ(empty.numel(), 0);
  EXPECT_EQ(empty.data_ptr(), nullptr);
}

}  // namespace
}  // namespace mini
