#include "metric_testing.h"
#include "runtime/metrics/loss_metric.h"
#include "runtime/metrics/regression.h"

namespace mini::runtime {
namespace {

using ::testing::AllOf;
using testing::error_of;
using testing::floats;
using ::testing::HasSubstr;
using testing::indices;
using testing::scalar;

TEST(LossMetric, WeightsEachBatchLossByItsSampleCount) {
  LossMetric loss;
  // 3 samples at 1.0 and 1 sample at 4.0: (3 + 4) / 4, not (1 + 4) / 2.
  loss.process({{"input", floats({0, 0, 0}, {3, 1})}, {"label", indices({0, 0, 0})}}, {{"loss", scalar(1.0f)}});
  loss.process({{"input", floats({0}, {1, 1})}, {"label", indices({0})}}, {{"loss", scalar(4.0f)}});
  EXPECT_DOUBLE_EQ(loss.compute().at("loss"), 1.75);
}

TEST(LossMetric, OutputKeyIsAlsoTheResultKey) {
  LossMetric loss({.output_key = "aux_loss"});
  loss.process({{"input", floats({0, 0}, {2})}}, {{"aux_loss", scalar(0.5f)}});
  EXPECT_EQ(loss.compute(), (std::map<std::string, double>{{"aux_loss", 0.5}}));
}

TEST(LossMetric, NonScalarLossIsAnError) {
  LossMetric loss;
  EXPECT_THAT(error_of([&] {
                loss.process({{"input", floats({0, 0}, {2})}}, {{"loss", floats({1, 2}, {2})}});
              }),
              HasSubstr("'loss' must be one value (the batch mean), got shape (2,)"));
}

TEST(LossMetric, BatchFieldsWithDifferentLeadingSizesAreAnError) {
  LossMetric loss;
  const std::string message = error_of([&] {
    loss.process({{"input", floats({0, 0, 0}, {3, 1})}, {"label", indices({0, 0})}}, {{"loss", scalar(1)}});
  });
  EXPECT_THAT(message, HasSubstr("'input' has 3 rows, 'label' has 2"));
}

TEST(LossMetric, MissingLossNamesThePresentOutputs) {
  LossMetric loss;
  EXPECT_THAT(error_of([&] {
                loss.process({{"input", floats({0}, {1})}}, {{"logits", floats({0}, {1, 1})}});
              }),
              AllOf(HasSubstr("Loss: the model outputs have no 'loss'"), HasSubstr("outputs: logits")));
}

TEST(LossMetric, ComputeWithNothingProcessedIsAnError) {
  LossMetric loss;
  EXPECT_THAT(error_of([&] { loss.compute(); }), HasSubstr("Loss: no samples were processed"));
}

TEST(RegressionMetrics, AverageOverEveryElementOfUnevenBatches) {
  MeanSquaredError mse;
  MeanAbsoluteError mae;
  // Errors 0, 1, 2 then 2: squared 0 + 1 + 4 + 4 = 9, absolute 0 + 1 + 2 + 2 = 5, over 4 elements.
  const Batch first = {{"target", floats({1, 1, 1}, {3})}};
  const Outputs first_out = {{"pred", floats({1, 2, 3}, {3, 1})}};
  const Batch second = {{"target", floats({2}, {1})}};
  const Outputs second_out = {{"pred", floats({0}, {1, 1})}};
  for (Metric* metric : std::initializer_list<Metric*>{&mse, &mae}) {
    metric->process(first, first_out);
    metric->process(second, second_out);
  }
  EXPECT_DOUBLE_EQ(mse.compute().at("mse"), 2.25);
  EXPECT_DOUBLE_EQ(mae.compute().at("mae"), 1.25);
}

TEST(RegressionMetrics, MultiOutputTargetsCountEveryElement) {
  MeanSquaredError mse({.output_key = "y_hat", .target_key = "y"});
  mse.process({{"y", floats({0, 0, 0, 0}, {2, 2})}}, {{"y_hat", floats({1, 1, 1, 3}, {2, 2})}});
  EXPECT_DOUBLE_EQ(mse.compute().at("mse"), 3.0);
}

TEST(RegressionMetrics, ShapesThatDifferBeyondSizeOneDimsAreAnError) {
  MeanAbsoluteError mae;
  const std::string message = error_of([&] {
    mae.process({{"target", floats({0, 0, 0, 0}, {2, 2})}}, {{"pred", floats({0, 0, 0, 0}, {4})}});
  });
  EXPECT_THAT(message, HasSubstr("MAE: 'pred' (4,) and 'target' (2, 2) must have the same shape"));
}

TEST(RegressionMetrics, MissingTargetNamesTheMetricAndKey) {
  MeanSquaredError mse;
  EXPECT_THAT(
      error_of([&] {
        mse.process({{"label", floats({0}, {1})}}, {{"pred", floats({0}, {1})}});
      }),
      AllOf(HasSubstr("MSE: neither the batch nor the model outputs have 'target'"), HasSubstr("batch: label")));
}

}  // namespace
}  // namespace mini::runtime
