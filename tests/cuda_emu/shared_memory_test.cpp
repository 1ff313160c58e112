// Static __shared__ arrays with __syncthreads, and dynamic shared memory.

#include <gtest/gtest.h>

#include <vector>

#include "cuda/launch.h"
#include "cuda_emu/device_buffer.h"
#include "cuda_emu/run_order_fixture.h"
#include "cuda_emu/test_kernels.cuh"

namespace mini::cuda {
namespace {

using testing::DeviceBuffer;
namespace k = test_kernels;

class SharedMemory : public testing::EveryRunOrder {};

TEST_P(SharedMemory, BlockReductionInStaticSharedMemorySumsEachBlock) {
  const int n = 1000, blocks = 4;  // the last block is partly padding
  std::vector<long long> in(n);
  for (int i = 0; i < n; ++i) in[i] = i * 7 % 101;
  DeviceBuffer<long long> din(in), dsums(blocks, -1);
  launch(k::block_sum<long long, 256>, dim3(blocks), dim3(256), 0, nullptr, din.data(), dsums.data(), n);
  const std::vector<long long> sums = dsums.to_host();
  for (int b = 0; b < blocks; ++b) {
    long long expected = 0;
    for (int i = b * 256; i < n && i < (b + 1) * 256; ++i) expected += in[i];
    EXPECT_EQ(sums[b], expected) << "block " << b;
  }
}

TEST_P(SharedMemory, DynamicSharedMemoryHoldsOneTilePerBlock) {
  const int block = 96, blocks = 3;
  std::vector<double> in(block * blocks);
  for (int i = 0; i < block * blocks; ++i) in[i] = 0.25 * i;
  DeviceBuffer<double> din(in), dout(in.size());
  launch(k::reverse_each_block<double>, dim3(blocks), dim3(block), block * sizeof(double), nullptr, din.data(),
         dout.data());
  const std::vector<double> out = dout.to_host();
  for (int b = 0; b < blocks; ++b) {
    for (int t = 0; t < block; ++t) ASSERT_EQ(out[b * block + t], in[b * block + block - 1 - t]);
  }
}

MINI_INSTANTIATE_FOR_EVERY_RUN_ORDER(SharedMemory);

// The dynamic buffer has exactly the launch's size, so AddressSanitizer sees a
// kernel indexing one element past it; without ASan the overrun goes unnoticed.
TEST(SharedMemoryDeathTest, OverrunningDynamicSharedMemoryIsCaughtByAddressSanitizer) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  DeviceBuffer<int> dout(32);
  EXPECT_DEATH(launch(k::overrun_dynamic_shared<int>, dim3(1), dim3(32), 32 * sizeof(int), nullptr, dout.data()),
               "heap-buffer-overflow");
#else
  GTEST_SKIP() << "needs a build with -DMINI_SANITIZE=address";
#endif
}

}  // namespace
}  // namespace mini::cuda
