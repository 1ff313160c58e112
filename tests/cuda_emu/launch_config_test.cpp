// launch() rejects configurations a GPU would reject, before running anything,
// with CUDA's wording and the offending dims.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "cuda/launch.h"
#include "cuda_emu/device_buffer.h"
#include "cuda_emu/test_kernels.cuh"
#include "tensor/error.h"

namespace mini::cuda {
namespace {

using testing::DeviceBuffer;
namespace k = test_kernels;

// The message of the error launch() throws for this configuration, or "" if none.
std::string launch_error(dim3 grid, dim3 block, std::size_t shared_bytes) {
  DeviceBuffer<float> data(4, 0.0f);
  try {
    launch(k::vector_add<float>, grid, block, shared_bytes, nullptr, data.data(), data.data(), data.data(), 0);
  } catch (const std::exception& error) {
    return error.what();
  }
  return "";
}

using ::testing::HasSubstr;

TEST(LaunchConfig, MoreThan1024ThreadsPerBlockIsRejectedWithTheDims) {
  const std::string message = launch_error(dim3(2), dim3(32, 8, 5), 0);
  EXPECT_THAT(message, HasSubstr("invalid configuration argument"));
  EXPECT_THAT(message, HasSubstr("block (32, 8, 5)"));
  EXPECT_THAT(message, HasSubstr("grid (2, 1, 1)"));
  EXPECT_THAT(message, HasSubstr("1280 threads"));
}

TEST(LaunchConfig, InvalidConfigurationsThrowMiniError) {
  DeviceBuffer<float> data(4, 0.0f);
  EXPECT_THROW(launch(k::vector_add<float>, dim3(1), dim3(2048), 0, nullptr, data.data(), data.data(), data.data(), 0),
               mini::Error);
}

TEST(LaunchConfig, BlockZAbove64IsRejected) {
  EXPECT_THAT(launch_error(dim3(1), dim3(1, 1, 65), 0), HasSubstr("block (1, 1, 65)"));
}

TEST(LaunchConfig, GridYAbove65535IsRejected) {
  EXPECT_THAT(launch_error(dim3(1, 65536), dim3(32), 0), HasSubstr("grid (1, 65536, 1)"));
}

TEST(LaunchConfig, ZeroSizedGridIsRejected) {
  EXPECT_THAT(launch_error(dim3(0), dim3(32), 0), HasSubstr("at least 1"));
}

TEST(LaunchConfig, DynamicSharedMemoryAbove48KiBNeedsAnOptIn) {
  EXPECT_THAT(launch_error(dim3(1), dim3(32), 48 * 1024 + 4), HasSubstr("49156 bytes of dynamic shared memory"));
  EXPECT_EQ(launch_error(dim3(1), dim3(32), 48 * 1024), "");
}

TEST(LaunchConfig, OptInRaisesTheSharedMemoryLimitUpTo227KiB) {
  DeviceBuffer<double> in(64, 1.0), out(64);
  set_max_dynamic_shared_memory(k::reverse_each_block<double>, 100 * 1024);
  EXPECT_NO_THROW(launch(k::reverse_each_block<double>, dim3(1), dim3(64), 100 * 1024, nullptr, in.data(), out.data()));
  EXPECT_THROW(set_max_dynamic_shared_memory(k::reverse_each_block<double>, 228 * 1024), std::runtime_error);
}

TEST(LaunchConfig, LargestValidBlocksRun) {
  EXPECT_EQ(launch_error(dim3(1), dim3(1024), 0), "");
  EXPECT_EQ(launch_error(dim3(1), dim3(16, 1, 64), 0), "");
}

}  // namespace
}  // namespace mini::cuda
