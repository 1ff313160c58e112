// Philox random numbers: the known-answer vector, the documented per-element
// formula (tensor/cpu/random.cpp), reproducibility (seed, offset, threads,
// strides) and the distributions' statistics.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "support/tensor_testing.h"
#include "tensor/parallel.h"
#include "tensor/philox.h"

namespace mini {
namespace {

using testing::to_doubles;

// Restores the thread count when a test changes it.
class ThreadCountGuard {
 public:
  ThreadCountGuard() : saved_(num_threads()) {}
  ~ThreadCountGuard() { set_num_threads(saved_); }

 private:
  int saved_;
};

struct Moments {
  double mean = 0, variance = 0;
};
Moments moments_of(const std::vector<double>& values) {
  Moments m;
  for (double v : values) m.mean += v;
  m.mean /= static_cast<double>(values.size());
  for (double v : values) m.variance += (v - m.mean) * (v - m.mean);
  m.variance /= static_cast<double>(values.size() - 1);
  return m;
}

constexpr int64_t kSamples = 100'000;

TEST(Philox, MatchesRandom123KnownAnswer) {
  // Random123's kat_vectors: philox4x32_10, counter {0, 0, 0, 0}, key {0, 0}.
  const philox::Block block = philox::generate(0, 0);
  EXPECT_EQ(block.x[0], 0x6627e8d5u);
  EXPECT_EQ(block.x[1], 0xe169c58du);
  EXPECT_EQ(block.x[2], 0xbc57ac4cu);
  EXPECT_EQ(block.x[3], 0x9b00dbd8u);
}

TEST(Random, UniformFollowsTheDocumentedFormula) {
  Generator generator(1234);
  generator.set_offset(77);
  const Tensor f32 = ops::rand({10}, {}, &generator);
  const Tensor f64 = ops::rand({10}, {.dtype = DType::f64}, &generator);
  for (uint64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(f32.data<float>()[i], philox::to_unit_float(philox::generate(1234, 77 + i).x[0]));
    const philox::Block block = philox::generate(1234, 87 + i);
    EXPECT_EQ(f64.data<double>()[i], philox::to_unit_double(block.x[0], block.x[1]));
  }
}

TEST(Random, NormalFollowsTheDocumentedFormula) {
  Generator generator(99);
  const Tensor f32 = ops::normal(1.5, 2.0, {8}, {}, &generator);
  for (uint64_t i = 0; i < 8; ++i) {
    const philox::Block x = philox::generate(99, i);
    const double u1 = static_cast<double>((x.x[0] >> 8) + 1) * 0x1p-24;
    const double u2 = static_cast<double>(x.x[1] >> 8) * 0x1p-24;
    const double z = std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    EXPECT_EQ(f32.data<float>()[i], static_cast<float>(std::fma(2.0, z, 1.5))) << i;
  }
}

TEST(Random, SameSeedGivesSameNumbersAndOtherSeedsDiffer) {
  for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    Generator a(42), b(42), c(43);
    const auto first = to_doubles(ops::randn({257}, {.dtype = dtype}, &a));
    EXPECT_EQ(first, to_doubles(ops::randn({257}, {.dtype = dtype}, &b)));
    EXPECT_NE(first, to_doubles(ops::randn({257}, {.dtype = dtype}, &c)));
  }
}

TEST(Random, ManualSeedResetsTheDefaultGenerator) {
  manual_seed(5);
  const auto first = to_doubles(ops::rand({16}));
  manual_seed(5);
  EXPECT_EQ(first, to_doubles(ops::rand({16})));
}

TEST(Random, AnyOffsetIsReachableDirectly) {
  Generator whole(7), tail(7);
  const auto all = to_doubles(ops::rand({10}, {}, &whole));
  tail.set_offset(4);
  const auto last = to_doubles(ops::rand({6}, {}, &tail));
  EXPECT_EQ(last, std::vector<double>(all.begin() + 4, all.end()));
}

TEST(Random, GeneratorOffsetAdvancesByNumel) {
  Generator generator(3);
  ops::rand({3, 5}, {}, &generator);
  EXPECT_EQ(generator.offset(), 15u);
  ops::randn({2}, {.dtype = DType::f64}, &generator);
  EXPECT_EQ(generator.offset(), 17u);
  ops::rand({0, 4}, {}, &generator);
  EXPECT_EQ(generator.offset(), 17u);
  EXPECT_EQ(generator.seed(), 3u);
}

TEST(Random, ValuesDoNotDependOnTheThreadCount) {
  ThreadCountGuard guard;
  set_num_threads(1);
  Generator one(11);
  const auto uniform_one = to_doubles(ops::rand({kSamples}, {}, &one));
  const auto normal_one = to_doubles(ops::randn({kSamples}, {.dtype = DType::f64}, &one));
  set_num_threads(2);
  Generator two(11);
  EXPECT_EQ(uniform_one, to_doubles(ops::rand({kSamples}, {}, &two)));
  EXPECT_EQ(normal_one, to_doubles(ops::randn({kSamples}, {.dtype = DType::f64}, &two)));
}

TEST(Random, ElementOrderIsRowMajorWhateverTheStrides) {
  for (DType dtype : {DType::f32, DType::f64}) {
    Generator contiguous_generator(21), strided_generator(21);
    const auto expected = to_doubles(ops::randn({37, 41}, {.dtype = dtype}, &contiguous_generator));
    const Tensor storage = ops::empty({41, 37}, {.dtype = dtype});
    const Tensor transposed = ops::transpose(storage, 0, 1);  // (37, 41), column-major
    ops::normal_(transposed, 0, 1, &strided_generator);
    EXPECT_EQ(to_doubles(transposed), expected);
  }
}

TEST(Random, UniformMeanAndVarianceMatchTheDistribution) {
  for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    Generator generator(31);
    const double low = -3, high = 5;
    const Tensor values = ops::empty({kSamples}, {.dtype = dtype});
    ops::uniform_(values, low, high, &generator);
    const auto v = to_doubles(values);
    const double width = high - low;
    const Moments m = moments_of(v);
    // Five standard errors: the mean's is width / sqrt(12 n), the variance's about width^2 / sqrt(180 n).
    EXPECT_NEAR(m.mean, (low + high) / 2, 5 * width / std::sqrt(12.0 * kSamples)) << dtype_name(dtype);
    EXPECT_NEAR(m.variance, width * width / 12, 5 * width * width / std::sqrt(180.0 * kSamples)) << dtype_name(dtype);
    EXPECT_GE(*std::min_element(v.begin(), v.end()), low) << dtype_name(dtype);
    // f16/bf16 round to nearest, so the top of the range itself may appear there.
    const double max = *std::max_element(v.begin(), v.end());
    if (dtype == DType::f32 || dtype == DType::f64) {
      EXPECT_LT(max, high) << dtype_name(dtype);
    } else {
      EXPECT_LE(max, high) << dtype_name(dtype);
    }
  }
}

TEST(Random, NormalMeanAndStdMatchTheDistribution) {
  for (DType dtype : {DType::f32, DType::f64, DType::bf16}) {
    Generator generator(41);
    const double mean = 2, std = 3;
    const auto v = to_doubles(ops::normal(mean, std, {kSamples}, {.dtype = dtype}, &generator));
    const Moments m = moments_of(v);
    // Five standard errors: std / sqrt(n) for the mean, about std / sqrt(2 n) for the std.
    EXPECT_NEAR(m.mean, mean, 5 * std / std::sqrt(double(kSamples))) << dtype_name(dtype);
    EXPECT_NEAR(std::sqrt(m.variance), std, 5 * std / std::sqrt(2.0 * kSamples)) << dtype_name(dtype);
    for (double x : v) ASSERT_TRUE(std::isfinite(x)) << dtype_name(dtype);
  }
}

TEST(Random, RandintStaysInRangeAndHitsEveryValue) {
  Generator generator(51);
  const Tensor values = ops::randint(-3, 4, {10'000}, {.dtype = DType::i64}, &generator);
  EXPECT_EQ(values.dtype(), DType::i64);
  std::vector<int> counts(7, 0);
  for (double v : to_doubles(values)) {
    ASSERT_GE(v, -3);
    ASSERT_LT(v, 4);
    ++counts[static_cast<size_t>(v + 3)];
  }
  for (int count : counts) EXPECT_GT(count, 1200);  // expected 1429 each
  EXPECT_THROW(ops::randint(2, 2, {1}), ValueError);
}

TEST(Random, BernoulliRateMatchesP) {
  Generator generator(61);
  const auto v = to_doubles(ops::bernoulli({kSamples}, 0.3, {}, &generator));
  const Moments m = moments_of(v);
  EXPECT_NEAR(m.mean, 0.3, 5 * std::sqrt(0.3 * 0.7 / kSamples));
  for (double x : v) ASSERT_TRUE(x == 0 || x == 1);
  EXPECT_THROW(ops::bernoulli({1}, 1.5), ValueError);
}

TEST(Random, RandpermIsAPermutation) {
  Generator generator(71);
  auto v = to_doubles(ops::randperm(1000, &generator));
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], static_cast<double>(i));
  EXPECT_FALSE(std::is_sorted(v.begin(), v.end()));
  EXPECT_EQ(ops::randperm(0, &generator).numel(), 0);
}

TEST(Random, RejectsNonFloatingTensorsAndBadParameters) {
  EXPECT_THROW(ops::uniform_(ops::zeros({2}, {.dtype = DType::i32})), ValueError);
  EXPECT_THROW(ops::uniform_(ops::zeros({2}), 1, 0), ValueError);
  EXPECT_THROW(ops::normal_(ops::zeros({2}), 0, -1), ValueError);
}

}  // namespace
}  // namespace mini
