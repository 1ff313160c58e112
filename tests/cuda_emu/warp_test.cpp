// Warp shuffles and votes. Warps are 32 consecutive linear thread indices.

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

class Warp : public testing::EveryRunOrder {};

std::vector<int> iota_values(int count) {
  std::vector<int> values(count);
  for (int i = 0; i < count; ++i) values[i] = i * 3 - 50;
  return values;
}

TEST_P(Warp, ShuffleDownReducesEachWarpIntoLaneZero) {
  const std::vector<int> in = iota_values(128);
  DeviceBuffer<int> din(in), dsums(4, 0);
  launch(k::warp_sum_down<int>, dim3(2), dim3(64), 0, nullptr, din.data(), dsums.data());
  const std::vector<int> sums = dsums.to_host();
  for (int w = 0; w < 4; ++w) {
    int expected = 0;
    for (int lane = 0; lane < 32; ++lane) expected += in[w * 32 + lane];
    EXPECT_EQ(sums[w], expected) << "warp " << w;
  }
}

TEST_P(Warp, ShuffleXorGivesEveryLaneTheWarpTotal) {
  std::vector<double> in(64);
  for (int i = 0; i < 64; ++i) in[i] = 0.5 * i;
  DeviceBuffer<double> din(in), dout(64);
  launch(k::warp_sum_xor<double>, dim3(1), dim3(64), 0, nullptr, din.data(), dout.data());
  const std::vector<double> out = dout.to_host();
  for (int i = 0; i < 64; ++i) {
    double expected = 0;
    for (int lane = 0; lane < 32; ++lane) expected += in[i / 32 * 32 + lane];
    ASSERT_EQ(out[i], expected) << "thread " << i;
  }
}

TEST_P(Warp, ShuffleUpScansWithinSegmentsOfTheGivenWidth) {
  const std::vector<int> in = iota_values(64);
  for (int width : {32, 8}) {
    DeviceBuffer<int> din(in), dout(64);
    launch(k::segment_inclusive_scan<int>, dim3(1), dim3(64), 0, nullptr, din.data(), dout.data(), width);
    const std::vector<int> out = dout.to_host();
    for (int i = 0; i < 64; ++i) {
      int expected = 0;
      for (int j = i / width * width; j <= i; ++j) expected += in[j];
      ASSERT_EQ(out[i], expected) << "thread " << i << ", width " << width;
    }
  }
}

TEST_P(Warp, ShuffleReadsTheSourceLaneModuloTheWarpSize) {
  const std::vector<int> in = iota_values(32);
  DeviceBuffer<int> din(in), dout(32);
  launch(k::rotate_warp<int>, dim3(1), dim3(32), 0, nullptr, din.data(), dout.data(), 5);
  const std::vector<int> out = dout.to_host();
  for (int lane = 0; lane < 32; ++lane) EXPECT_EQ(out[lane], in[(lane + 5) % 32]) << "lane " << lane;
}

TEST_P(Warp, BallotAnyAndAllVoteOverTheWarp) {
  std::vector<float> in(96, -1.0f);  // warp 0: mixed, warp 1: none positive, warp 2: all positive
  for (int lane = 0; lane < 32; lane += 3) in[lane] = 1.0f;
  for (int lane = 64; lane < 96; ++lane) in[lane] = 2.0f;
  DeviceBuffer<float> din(in);
  DeviceBuffer<unsigned> dvotes(9, 7u);
  launch(k::warp_votes<float>, dim3(1), dim3(96), 0, nullptr, din.data(), dvotes.data());
  const std::vector<unsigned> votes = dvotes.to_host();
  unsigned mixed = 0;
  for (int lane = 0; lane < 32; lane += 3) mixed |= 1u << lane;
  EXPECT_EQ(votes[0], mixed);
  EXPECT_EQ(votes[1], 1u);
  EXPECT_EQ(votes[2], 0u);
  EXPECT_EQ(votes[3], 0u);
  EXPECT_EQ(votes[4], 0u);
  EXPECT_EQ(votes[5], 0u);
  EXPECT_EQ(votes[6], 0xffffffffu);
  EXPECT_EQ(votes[7], 1u);
  EXPECT_EQ(votes[8], 1u);
}

TEST_P(Warp, VotesInAPartialLastWarpCountOnlyItsExistingLanes) {
  std::vector<float> in(48, 1.0f);  // warp 1 has lanes 0-15 only
  DeviceBuffer<float> din(in);
  DeviceBuffer<unsigned> dvotes(6, 7u);
  launch(k::warp_votes<float>, dim3(1), dim3(48), 0, nullptr, din.data(), dvotes.data());
  const std::vector<unsigned> votes = dvotes.to_host();
  EXPECT_EQ(votes[3], 0x0000ffffu);
  EXPECT_EQ(votes[5], 1u) << "__all_sync over the 16 existing lanes";
}

MINI_INSTANTIATE_FOR_EVERY_RUN_ORDER(Warp);

}  // namespace
}  // namespace mini::cuda
