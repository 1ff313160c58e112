#include <cmath>

#include "metric_testing.h"
#include "runtime/metrics/best_tracker.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using ::testing::HasSubstr;

TEST(BestTracker, AutoRuleReadsAccuracyLikeNamesAsGreater) {
  for (const char* name : {"accuracy/top1", "accuracy/top5", "val/acc", "mAP", "f1_score", "mIoU"}) {
    EXPECT_EQ(BestTracker::infer_rule(name), BestTracker::Greater) << name;
  }
}

TEST(BestTracker, AutoRuleReadsLossLikeNamesAsLess) {
  for (const char* name : {"loss", "val/loss", "mse", "mae", "perplexity", "top1_error"}) {
    EXPECT_EQ(BestTracker::infer_rule(name), BestTracker::Less) << name;
  }
}

TEST(BestTracker, UnknownNameNeedsAnExplicitRule) {
  EXPECT_THAT(error_of([] { BestTracker::make("bleu"); }), HasSubstr("set rule: greater or rule: less"));
  EXPECT_EQ(BestTracker::make("bleu", "greater").rule, BestTracker::Greater);
}

TEST(BestTracker, UnknownRuleIsAnError) {
  EXPECT_THAT(error_of([] { BestTracker::make("loss", "smaller"); }),
              HasSubstr("unknown rule 'smaller' for metric 'loss' (expected greater, less or auto)"));
}

TEST(BestTracker, GreaterKeepsTheMaximum) {
  BestTracker best = BestTracker::make("accuracy/top1");
  EXPECT_TRUE(best.update(50));
  EXPECT_FALSE(best.update(40));
  EXPECT_FALSE(best.update(50));  // equal is not better
  EXPECT_TRUE(best.update(60));
  EXPECT_EQ(best.best, 60);
}

TEST(BestTracker, LessKeepsTheMinimum) {
  BestTracker best{"val/loss", BestTracker::Less, std::nullopt};
  EXPECT_TRUE(best.update(1.0));
  EXPECT_TRUE(best.update(0.5));
  EXPECT_FALSE(best.update(0.7));
  EXPECT_EQ(best.best, 0.5);
}

TEST(BestTracker, NanNeverCountsAsBetter) {
  BestTracker best = BestTracker::make("loss");
  EXPECT_FALSE(best.update(std::nan("")));
  EXPECT_FALSE(best.best.has_value());
  EXPECT_TRUE(best.update(2.0));
  EXPECT_FALSE(best.update(std::nan("")));
  EXPECT_EQ(best.best, 2.0);
}

}  // namespace
}  // namespace mini::runtime
