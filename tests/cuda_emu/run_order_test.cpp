// The run order option has teeth: a kernel missing a __syncthreads() passes
// under one order and fails under another, while the fixed kernel passes under all.

#include <gtest/gtest.h>

#include <vector>

#include "cuda/launch.h"
#include "cuda_emu/device_buffer.h"
#include "cuda_emu/test_kernels.cuh"

namespace mini::cuda {
namespace {

using testing::DeviceBuffer;
namespace k = test_kernels;

constexpr int block = 64;

template <bool WithBarrier>
bool shift_is_correct(emu::RunOrder order) {
  emu::ScopedRunOrder scoped(order);
  std::vector<int> in(2 * block);
  for (int i = 0; i < 2 * block; ++i) in[i] = 10 + i;
  DeviceBuffer<int> din(in), dout(in.size(), 0);
  launch(k::shift_right_in_block<int, WithBarrier>, dim3(2), dim3(block), block * sizeof(int), nullptr, din.data(),
         dout.data());
  const std::vector<int> out = dout.to_host();
  for (int i = 0; i < 2 * block; ++i) {
    const int expected = i % block == 0 ? 0 : in[i - 1];
    if (out[i] != expected) return false;
  }
  return true;
}

TEST(RunOrder, KernelWithItsBarrierIsCorrectUnderEveryOrder) {
  EXPECT_TRUE(shift_is_correct<true>(emu::RunOrder::forward));
  EXPECT_TRUE(shift_is_correct<true>(emu::RunOrder::reverse));
  EXPECT_TRUE(shift_is_correct<true>(emu::RunOrder::random));
}

// Forward order runs each writer before its reader and so hides the bug: this
// is why tests run more than one order.
TEST(RunOrder, MissingBarrierHidesUnderForwardOrderAndShowsUnderReverseAndRandom) {
  EXPECT_TRUE(shift_is_correct<false>(emu::RunOrder::forward));
  EXPECT_FALSE(shift_is_correct<false>(emu::RunOrder::reverse));
  EXPECT_FALSE(shift_is_correct<false>(emu::RunOrder::random));
}

TEST(RunOrder, ScopedRunOrderRestoresThePreviousOrder) {
  const emu::RunOrder before = emu::run_order();
  {
    emu::ScopedRunOrder scoped(emu::RunOrder::random);
    EXPECT_EQ(emu::run_order(), emu::RunOrder::random);
  }
  EXPECT_EQ(emu::run_order(), before);
}

}  // namespace
}  // namespace mini::cuda
