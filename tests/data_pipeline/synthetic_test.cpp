// Synthetic datasets: same seed, same data; different seed, different data;
// shapes, balanced labels and the linear relation of the regression data.
#include "runtime/data/synthetic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "data_testing.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using ::testing::HasSubstr;
using testing::values_of;

TEST(SyntheticClassification, SameSeedGivesIdenticalData) {
  SyntheticClassification a({.num_samples = 64, .num_features = 5, .num_classes = 3, .seed = 7});
  SyntheticClassification b({.num_samples = 64, .num_features = 5, .num_classes = 3, .seed = 7});
  EXPECT_TRUE(testing::batches_equal(a.fields(), b.fields()));
}

TEST(SyntheticClassification, DifferentSeedGivesDifferentInputs) {
  SyntheticClassification a({.num_samples = 16, .num_features = 3, .seed = 1});
  SyntheticClassification b({.num_samples = 16, .num_features = 3, .seed = 2});
  EXPECT_NE(values_of(a.fields().at("input")), values_of(b.fields().at("input")));
}

TEST(SyntheticClassification, ShapesAndBalancedLabels) {
  SyntheticClassification data({.num_samples = 10, .num_features = 4, .num_classes = 3});
  EXPECT_EQ(data.fields().at("input").sizes(), Shape({10, 4}));
  EXPECT_EQ(values_of(data.fields().at("label")), (std::vector<double>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}));
  EXPECT_EQ(data.num_classes(), 3);
  EXPECT_EQ(data.max_label(), 2);
}

TEST(SyntheticClassification, ZeroNoisePutsEverySampleOnItsClassCentre) {
  SyntheticClassification data({.num_samples = 6, .num_features = 2, .num_classes = 2, .noise = 0});
  const std::vector<double> input = values_of(data.fields().at("input"));
  for (size_t i = 2; i < 6; ++i) {
    EXPECT_EQ(input[2 * i], input[2 * (i % 2)]);
    EXPECT_EQ(input[2 * i + 1], input[2 * (i % 2) + 1]);
  }
}

TEST(SyntheticClassification, NonPositiveSizesAreErrors) {
  EXPECT_THAT(error_of([] { SyntheticClassification({.num_classes = 0}); }),
              HasSubstr("num_classes must be positive, got 0"));
}

TEST(SyntheticRegression, ZeroNoiseTargetsAreAnAffineFunctionOfInputs) {
  SyntheticRegression data({.num_samples = 8, .num_features = 1, .num_targets = 1, .noise = 0, .seed = 3});
  const std::vector<double> x = values_of(data.fields().at("input"));
  const std::vector<double> y = values_of(data.fields().at("target"));
  const double slope = (y[1] - y[0]) / (x[1] - x[0]);
  for (size_t i = 2; i < 8; ++i) EXPECT_NEAR(y[i], y[0] + slope * (x[i] - x[0]), 1e-4) << i;
}

TEST(SyntheticRegression, SameSeedSameDataAndTargetShape) {
  SyntheticRegression a({.num_samples = 20, .num_features = 3, .num_targets = 2, .seed = 5});
  SyntheticRegression b({.num_samples = 20, .num_features = 3, .num_targets = 2, .seed = 5});
  EXPECT_TRUE(testing::batches_equal(a.fields(), b.fields()));
  EXPECT_EQ(a.get(0).at("target").sizes(), Shape({2}));
  EXPECT_EQ(a.max_label(), -1);
}

}  // namespace
}  // namespace mini::runtime
