// Samplers: every epoch is a permutation fixed by (seed, epoch); distributed
// shards partition the (padded) order.
#include "runtime/data/sampler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "data_testing.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using ::testing::HasSubstr;

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> values(static_cast<size_t>(n));
  std::iota(values.begin(), values.end(), int64_t{0});
  return values;
}

TEST(SequentialSampler, VisitsInOrder) { EXPECT_EQ(SequentialSampler(5).epoch_indices(3), iota(5)); }

TEST(RandomSampler, EveryEpochIsAPermutation) {
  RandomSampler sampler(1000, 11);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<int64_t> order = sampler.epoch_indices(epoch);
    EXPECT_NE(order, iota(1000));
    std::sort(order.begin(), order.end());
    EXPECT_EQ(order, iota(1000)) << "epoch " << epoch;
  }
}

TEST(RandomSampler, OrderDependsOnlyOnSeedAndEpoch) {
  EXPECT_EQ(RandomSampler(100, 5).epoch_indices(2), RandomSampler(100, 5).epoch_indices(2));
  EXPECT_NE(RandomSampler(100, 5).epoch_indices(2), RandomSampler(100, 5).epoch_indices(3));
  EXPECT_NE(RandomSampler(100, 5).epoch_indices(2), RandomSampler(100, 6).epoch_indices(2));
}

TEST(RandomSampler, FirstPositionIsRoughlyUniform) {
  // 2000 epochs of a 4-element shuffle: each element leads ~500 times.
  std::vector<int> leads(4, 0);
  for (int64_t epoch = 0; epoch < 2000; ++epoch) ++leads[static_cast<size_t>(seeded_permutation(4, 9, epoch)[0])];
  for (int count : leads) EXPECT_NEAR(count, 500, 100);
}

TEST(RandomSampler, EmptyAndSingleElement) {
  EXPECT_TRUE(RandomSampler(0, 1).epoch_indices(0).empty());
  EXPECT_EQ(RandomSampler(1, 1).epoch_indices(4), iota(1));
}

TEST(DistributedSampler, ShardsPartitionTheEpochWhenDivisible) {
  const int64_t world = 4;
  std::vector<int64_t> all;
  for (int64_t rank = 0; rank < world; ++rank) {
    DistributedSampler shard(20, rank, world, true, 3);
    EXPECT_EQ(shard.size(), 5);
    const std::vector<int64_t> mine = shard.epoch_indices(1);
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, iota(20));
}

TEST(DistributedSampler, PaddingRepeatsTheHeadOfTheOrder) {
  // 10 samples on 4 ranks: 12 slots, the last two repeat order[0] and order[1].
  const std::vector<int64_t> order = seeded_permutation(10, 8, 0);
  std::vector<int64_t> slots(12);
  for (int64_t rank = 0; rank < 4; ++rank) {
    DistributedSampler shard(10, rank, 4, true, 8);
    ASSERT_EQ(shard.size(), 3);
    const std::vector<int64_t> mine = shard.epoch_indices(0);
    for (int64_t i = 0; i < 3; ++i) slots[static_cast<size_t>(rank + 4 * i)] = mine[static_cast<size_t>(i)];
  }
  std::vector<int64_t> expected = order;
  expected.push_back(order[0]);
  expected.push_back(order[1]);
  EXPECT_EQ(slots, expected);
}

TEST(DistributedSampler, WithoutPaddingSharesAreUneven) {
  EXPECT_EQ(DistributedSampler(10, 1, 4, false, 0, /*pad=*/false).epoch_indices(0), (std::vector<int64_t>{1, 5, 9}));
  EXPECT_EQ(DistributedSampler(10, 3, 4, false, 0, /*pad=*/false).epoch_indices(0), (std::vector<int64_t>{3, 7}));
}

TEST(DistributedSampler, OneRankEqualsRandomSampler) {
  EXPECT_EQ(DistributedSampler(50, 0, 1, true, 4).epoch_indices(6), RandomSampler(50, 4).epoch_indices(6));
}

TEST(DistributedSampler, RankOutsideTheWorldIsAnError) {
  EXPECT_THAT(error_of([] { DistributedSampler(10, 4, 4, true, 0); }), HasSubstr("rank 4 is outside [0, 4)"));
}

}  // namespace
}  // namespace mini::runtime
