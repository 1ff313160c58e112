// The emulator's host API: device memory, pointer checks on kernel arguments,
// streams and events.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "cuda/emu/stream.h"
#include "cuda/launch.h"
#include "cuda_emu/device_buffer.h"
#include "cuda_emu/test_kernels.cuh"

namespace mini::cuda {
namespace {

using testing::DeviceBuffer;
namespace k = test_kernels;
using ::testing::HasSubstr;

TEST(DeviceMemory, AllocationsAreAlignedAndCounted) {
  const std::size_t before = emu::allocated_bytes();
  void* pointer = emu::malloc(1000);
  ASSERT_NE(pointer, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(pointer) % emu::device_alignment, 0u);
  EXPECT_EQ(emu::allocated_bytes(), before + 1000);
  emu::free(pointer);
  EXPECT_EQ(emu::allocated_bytes(), before);
}

TEST(DeviceMemory, RequestsBeyondTheCapacityReturnNull) {
  const emu::MemoryInfo info = emu::memory_info();
  emu::set_memory_capacity(emu::allocated_bytes() + 4096);
  void* fits = emu::malloc(4096);
  EXPECT_NE(fits, nullptr);
  EXPECT_EQ(emu::malloc(1), nullptr);
  emu::free(fits);
  emu::set_memory_capacity(info.total_bytes);
}

TEST(DeviceMemory, FreeingAPointerTwiceThrows) {
  void* pointer = emu::malloc(16);
  emu::free(pointer);
  EXPECT_THROW(emu::free(pointer), std::runtime_error);
}

TEST(DeviceMemory, MemcpyPastTheEndOfAnAllocationThrows) {
  DeviceBuffer<float> device(8);
  std::vector<float> host(9, 1.0f);
  try {
    emu::memcpy(device.data(), host.data(), 9 * sizeof(float), emu::MemcpyKind::host_to_device);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("memcpy destination"));
  }
}

TEST(DeviceMemory, MemsetFillsDeviceBytes) {
  DeviceBuffer<std::uint8_t> device(10);
  emu::memset(device.data(), 0xab, 10);
  EXPECT_EQ(device.to_host(), std::vector<std::uint8_t>(10, 0xab));
}

TEST(KernelArguments, AHostPointerArgumentIsRejectedBeforeTheKernelRuns) {
  std::vector<float> host(4, 1.0f);
  DeviceBuffer<float> device(4, 0.0f);
  try {
    launch(k::vector_add<float>, dim3(1), dim3(4), 0, nullptr, device.data(), host.data(), device.data(), 4);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("kernel argument 1"));
  }
}

TEST(KernelArguments, PointersIntoAndOnePastAnAllocationAreAccepted) {
  DeviceBuffer<float> device(8, 1.0f);
  EXPECT_NO_THROW(launch(k::vector_add<float>, dim3(1), dim3(4), 0, nullptr, device.data() + 4, device.data() + 4,
                         device.data() + 4, 4));
  EXPECT_NO_THROW(launch(k::vector_add<float>, dim3(1), dim3(4), 0, nullptr, device.data() + 8, device.data() + 8,
                         device.data() + 8, 0));
  EXPECT_EQ(device.to_host(), (std::vector<float>{1, 1, 1, 1, 2, 2, 2, 2}));
}

TEST(Streams, LaunchesOnAStreamCompleteInOrderAndEventsTimeThem) {
  emu::Stream stream = emu::stream_create();
  emu::Event start = emu::event_create(), stop = emu::event_create();
  DeviceBuffer<int> a(256, 1), out(256, 0);
  emu::event_record(start, stream);
  launch(k::vector_add<int>, dim3(1), dim3(256), 0, stream, a.data(), a.data(), out.data(), 256);
  launch(k::vector_add<int>, dim3(1), dim3(256), 0, stream, out.data(), out.data(), out.data(), 256);
  emu::event_record(stop, stream);
  emu::stream_synchronize(stream);
  EXPECT_EQ(out.to_host(), std::vector<int>(256, 4));
  EXPECT_GE(emu::event_elapsed_ms(start, stop), 0.0f);
  emu::event_destroy(start);
  emu::event_destroy(stop);
  emu::stream_destroy(stream);
}

TEST(Streams, ElapsedTimeOfAnUnrecordedEventThrows) {
  emu::Event start = emu::event_create(), stop = emu::event_create();
  EXPECT_THROW(emu::event_elapsed_ms(start, stop), std::runtime_error);
  emu::event_destroy(start);
  emu::event_destroy(stop);
}

}  // namespace
}  // namespace mini::cuda
