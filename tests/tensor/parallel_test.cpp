#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tensor/error.h"
#include "tensor/parallel.h"

namespace mini {
namespace {

TEST(ParallelFor, CoversTheRangeExactlyOnce) {
  std::vector<std::atomic<int>> hits(100'003);
  parallel_for(0, static_cast<int64_t>(hits.size()), 1000, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
  });
  for (const auto& hit : hits) ASSERT_EQ(hit.load(), 1);
}

TEST(ParallelFor, SmallRangesRunOnTheCallingThread) {
  const auto caller = std::this_thread::get_id();
  bool same_thread = true;
  parallel_for(0, 10, 1000, [&](int64_t, int64_t) { same_thread = std::this_thread::get_id() == caller; });
  EXPECT_TRUE(same_thread);
}

TEST(ParallelFor, NestedCallsRunSeriallyInsideTheOuterChunk) {
  std::atomic<int64_t> total{0};
  parallel_for(0, 4, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      parallel_for(0, 1000, 1, [&](int64_t b, int64_t e) { total.fetch_add(e - b); });
    }
  });
  EXPECT_EQ(total.load(), 4000);
}

TEST(ParallelFor, ExceptionsReachTheCaller) {
  EXPECT_THROW(parallel_for(0, 1 << 20, 1, [](int64_t begin, int64_t) {
                 if (begin > 0) throw std::runtime_error("worker failed");
               }),
               std::runtime_error);
  // The pool still works afterwards.
  std::atomic<int64_t> count{0};
  parallel_for(0, 1 << 20, 1, [&](int64_t b, int64_t e) { count.fetch_add(e - b); });
  EXPECT_EQ(count.load(), 1 << 20);
}

TEST(ParallelFor, ConcurrentCallersFromSeveralThreadsAllComplete) {
  std::atomic<int64_t> total{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int rep = 0; rep < 50; ++rep) {
        parallel_for(0, 10000, 100, [&](int64_t b, int64_t e) { total.fetch_add(e - b); });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(total.load(), 4 * 50 * 10000);
}

TEST(ParallelFor, ThreadCountCanBeChanged) {
  const int original = num_threads();
  set_num_threads(3);
  EXPECT_EQ(num_threads(), 3);
  std::atomic<int64_t> count{0};
  parallel_for(0, 1 << 16, 1, [&](int64_t b, int64_t e) { count.fetch_add(e - b); });
  EXPECT_EQ(count.load(), 1 << 16);
  set_num_threads(original);
  EXPECT_THROW(set_num_threads(0), ValueError);
}

}  // namespace
}  // namespace mini
