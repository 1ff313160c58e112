#include "metric_testing.h"
#include "runtime/metrics/accuracy.h"
#include "runtime/metrics/evaluator.h"
#include "runtime/metrics/loss_metric.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using testing::floats;
using ::testing::HasSubstr;
using testing::indices;
using testing::scalar;

TEST(Evaluator, MergesTheResultsOfEveryMetric) {
  Evaluator evaluator({std::make_shared<Accuracy>(AccuracyOptions{.topk = {1, 2}}), std::make_shared<LossMetric>()});
  evaluator.reset();
  evaluator.process({{"label", indices({2, 0})}},
                    {{"logits", floats({0, 1, 2, 1, 2, 0}, {2, 3})}, {"loss", scalar(0.5f)}});
  EXPECT_EQ(evaluator.compute(),
            (std::map<std::string, double>{{"accuracy/top1", 50.0}, {"accuracy/top2", 100.0}, {"loss", 0.5}}));
}

TEST(Evaluator, ResetResetsEveryMetric) {
  Evaluator evaluator;
  evaluator.add(std::make_shared<LossMetric>());
  evaluator.process({{"label", indices({0})}}, {{"loss", scalar(9.0f)}});
  evaluator.reset();
  evaluator.process({{"label", indices({0})}}, {{"loss", scalar(1.0f)}});
  EXPECT_DOUBLE_EQ(evaluator.compute().at("loss"), 1.0);
}

TEST(Evaluator, TwoMetricsWithTheSameKeyAreAnError) {
  Evaluator evaluator({std::make_shared<LossMetric>(), std::make_shared<LossMetric>()});
  evaluator.process({{"label", indices({0})}}, {{"loss", scalar(1.0f)}});
  EXPECT_THAT(error_of([&] { evaluator.compute(); }), HasSubstr("metrics Loss and Loss both produce 'loss'"));
}

TEST(Evaluator, NullMetricIsAnError) {
  Evaluator evaluator;
  EXPECT_THAT(error_of([&] { evaluator.add(nullptr); }), HasSubstr("cannot add a null metric"));
}

}  // namespace
}  // namespace mini::runtime
