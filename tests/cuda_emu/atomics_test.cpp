// Atomics from many blocks at once (blocks run on several worker threads).

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "cuda/launch.h"
#include "cuda_emu/device_buffer.h"
#include "cuda_emu/run_order_fixture.h"
#include "cuda_emu/test_kernels.cuh"

namespace mini::cuda {
namespace {

using testing::DeviceBuffer;
namespace k = test_kernels;

class Atomics : public testing::EveryRunOrder {};

TEST_P(Atomics, HistogramCountsIntsAndSumsFloatWeights) {
  constexpr int bins = 10;
  const int n = 5000;
  std::mt19937 rng(42);
  std::vector<int> bin_of(n);
  std::vector<float> weights(n);
  std::vector<int> expected_counts(bins, 0);
  std::vector<double> expected_weights(bins, 0.0);
  for (int i = 0; i < n; ++i) {
    bin_of[i] = static_cast<int>(rng() % bins);
    weights[i] = 0.25f * static_cast<float>(rng() % 8);  // exact in float, so any order of adds agrees
    ++expected_counts[bin_of[i]];
    expected_weights[bin_of[i]] += weights[i];
  }
  DeviceBuffer<int> dbins(bin_of), dcounts(bins, 0);
  DeviceBuffer<float> dweights(weights), dsums(bins, 0.0f);
  launch(k::histogram<bins>, dim3(8), dim3(128), 0, nullptr, dbins.data(), dweights.data(), n, dcounts.data(),
         dsums.data());
  const std::vector<int> counts = dcounts.to_host();
  const std::vector<float> sums = dsums.to_host();
  for (int b = 0; b < bins; ++b) {
    EXPECT_EQ(counts[b], expected_counts[b]) << "bin " << b;
    EXPECT_EQ(sums[b], static_cast<float>(expected_weights[b])) << "bin " << b;
  }
}

TEST_P(Atomics, MaxMinAddAndExchangeSeeEveryThread) {
  const int n = 777;
  std::vector<int> in(n);
  for (int i = 0; i < n; ++i) in[i] = (i * 37) % 1001 - 500;
  DeviceBuffer<int> din(in), dmax(1, -1000000), dmin(1, 1000000), dlast(1, -1);
  DeviceBuffer<unsigned long long> dcount(1, 0ull);
  DeviceBuffer<double> dtotal(1, 0.0);
  launch(k::atomic_statistics<int>, dim3(7), dim3(128), 0, nullptr, din.data(), n, dmax.data(), dmin.data(),
         dcount.data(), dlast.data(), dtotal.data());
  long long total = 0;
  int max_value = in[0], min_value = in[0];
  for (int v : in) {
    total += v;
    max_value = std::max(max_value, v);
    min_value = std::min(min_value, v);
  }
  EXPECT_EQ(dmax.to_host()[0], max_value);
  EXPECT_EQ(dmin.to_host()[0], min_value);
  EXPECT_EQ(dcount.to_host()[0], static_cast<unsigned long long>(n));
  EXPECT_EQ(dtotal.to_host()[0], static_cast<double>(total));
  const int last = dlast.to_host()[0];
  EXPECT_GE(last, 0);
  EXPECT_LT(last, n);
}

TEST_P(Atomics, CompareAndSwapLoopsNeverLoseAnIncrement) {
  DeviceBuffer<unsigned> dcounter(1, 0u);
  launch(k::cas_increment<unsigned>, dim3(16), dim3(64), 0, nullptr, dcounter.data());
  EXPECT_EQ(dcounter.to_host()[0], 16u * 64u);
}

MINI_INSTANTIATE_FOR_EVERY_RUN_ORDER(Atomics);

}  // namespace
}  // namespace mini::cuda
