// Synchronisation bugs abort the process with a message naming the call sites
// (see NOTE [ barrier rules ] in cuda/emu/block_runner.h). They abort rather
// than throw because the block's other threads are suspended mid-kernel and
// cannot be resumed consistently; a GPU would hang or trap. Hence death tests,
// in the "threadsafe" style because the emulator's worker threads exist.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "cuda/launch.h"
#include "cuda_emu/device_buffer.h"
#include "cuda_emu/test_kernels.cuh"

namespace mini::cuda {
namespace {

using testing::DeviceBuffer;
namespace k = test_kernels;

class SyncErrorsDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(SyncErrorsDeathTest, ThreadsAtDifferentBarriersNameBothCallSites) {
  DeviceBuffer<int> out(32);
  EXPECT_DEATH(launch(k::divergent_barrier<int>, dim3(1), dim3(32), 0, nullptr, out.data()),
               "divergent __syncthreads\\(\\): thread \\([0-9]+, 0, 0\\) of block \\(0, 0, 0\\) is at "
               ".*test_kernels.cuh:[0-9]+:[0-9]+ but thread .* waits at .*test_kernels.cuh:[0-9]+");
}

TEST_F(SyncErrorsDeathTest, ReturningWhileOthersWaitAtABarrierIsReportedUnderEveryOrder) {
  DeviceBuffer<int> in(32, 1), out(32);
  for (emu::RunOrder order : {emu::RunOrder::forward, emu::RunOrder::reverse, emu::RunOrder::random}) {
    emu::ScopedRunOrder scoped(order);
    EXPECT_DEATH(launch(k::early_return_before_barrier<int>, dim3(1), dim3(32), 0, nullptr, in.data(), out.data(), 20),
                 "returned from the kernel")
        << emu::to_string(order);
  }
}

TEST_F(SyncErrorsDeathTest, LanesInDifferentWarpIntrinsicsAreReported) {
  DeviceBuffer<int> out(32);
  EXPECT_DEATH(launch(k::divergent_shuffles<int>, dim3(1), dim3(32), 0, nullptr, out.data()),
               "divergent warp intrinsics in warp 0 .* __shfl_(down|xor)_sync with mask 0xffffffff");
}

TEST_F(SyncErrorsDeathTest, BarrierAndShuffleWaitingOnEachOtherIsADeadlock) {
  DeviceBuffer<int> out(32);
  EXPECT_DEATH(launch(k::barrier_shuffle_deadlock<int>, dim3(1), dim3(32), 0, nullptr, out.data()),
               "deadlock in block \\(0, 0, 0\\): 1 of 32 live threads wait at __syncthreads\\(\\).* warp 0 lanes "
               "0xfffffffe wait in __shfl_sync .* for lanes 0x00000001");
}

// gtest's default "fast" death tests fork without the emulator's worker
// threads; the child must still be able to run multi-block grids.
TEST(ForkedChildDeathTest, ChildOfAForkRunsMultiBlockGridsWithoutTheParentsWorkers) {
  GTEST_FLAG_SET(death_test_style, "fast");
  DeviceBuffer<int> a(1024, 1), out(1024, 0);
  launch(k::vector_add<int>, dim3(4), dim3(256), 0, nullptr, a.data(), a.data(), out.data(), 1024);  // starts the pool
  EXPECT_DEATH(
      {
        launch(k::vector_add<int>, dim3(4), dim3(256), 0, nullptr, a.data(), a.data(), out.data(), 1024);
        std::fprintf(stderr, "grid finished in the child\n");
        std::abort();
      },
      "grid finished in the child");
}

TEST_F(SyncErrorsDeathTest, BarrierOutsideAKernelIsReported) {
  EXPECT_DEATH(__syncthreads(), "__syncthreads\\(\\) was called outside a kernel");
}

}  // namespace
}  // namespace mini::cuda
