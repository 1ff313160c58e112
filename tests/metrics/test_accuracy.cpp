#include "metric_testing.h"
#include "runtime/metrics/accuracy.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/view.h"

namespace mini::runtime {
namespace {

using ::testing::AllOf;
using testing::error_of;
using testing::floats;
using ::testing::HasSubstr;
using testing::indices;

TEST(Accuracy, IsThePercentOfSamplesOverUnevenBatchesNotAMeanOfBatches) {
  Accuracy accuracy;
  // Batch 1: 3 samples, all right. Batch 2: 2 samples, both wrong. 3 of 5 = 60%
  // (a mean of per-batch accuracies would say 50%).
  accuracy.process({{"label", indices({0, 1, 2})}}, {{"logits", floats({9, 0, 0, 0, 9, 0, 0, 0, 9}, {3, 3})}});
  accuracy.process({{"label", indices({0, 1})}}, {{"logits", floats({0, 9, 0, 9, 0, 0}, {2, 3})}});
  EXPECT_DOUBLE_EQ(accuracy.compute().at("accuracy/top1"), 60.0);
}

TEST(Accuracy, TopFiveCountsALabelRankedFifth) {
  Accuracy accuracy({.topk = {1, 5}});
  // 6 classes. Sample 0: label 0 ranks 5th (4 scores above it): top5 only.
  // Sample 1: label 5 ranks 6th: neither. Sample 2: label 3 is the max: both.
  accuracy.process({{"label", indices({0, 5, 3})}}, {{"logits", floats({1, 5, 4, 3, 2, 0,  //
                                                                        5, 4, 3, 2, 1, 0,  //
                                                                        0, 1, 2, 9, 3, 4},
                                                                       {3, 6})}});
  const auto results = accuracy.compute();
  EXPECT_DOUBLE_EQ(results.at("accuracy/top1"), 100.0 / 3.0);
  EXPECT_DOUBLE_EQ(results.at("accuracy/top5"), 200.0 / 3.0);
  EXPECT_EQ(results.size(), 2u);
}

TEST(Accuracy, TiesRankLowerClassIndicesFirst) {
  Accuracy accuracy({.topk = {1, 2}});
  // Constant scores: label 0 is top-1, label 1 is top-2, label 2 neither.
  accuracy.process({{"label", indices({0, 1, 2})}}, {{"logits", floats(std::vector<float>(9, 1.0f), {3, 3})}});
  const auto results = accuracy.compute();
  EXPECT_DOUBLE_EQ(results.at("accuracy/top1"), 100.0 / 3.0);
  EXPECT_DOUBLE_EQ(results.at("accuracy/top2"), 200.0 / 3.0);
}

TEST(Accuracy, NanScoreForTheLabelIsNeverCorrect) {
  Accuracy accuracy;
  accuracy.process({{"label", indices({0})}}, {{"logits", floats({std::nanf(""), 0.0f}, {1, 2})}});
  EXPECT_DOUBLE_EQ(accuracy.compute().at("accuracy/top1"), 0.0);
}

TEST(Accuracy, LanguageModelLogitsAreFlattenedPerTokenSkippingIgnoreIndex) {
  Accuracy accuracy({.label_key = "target"});
  // (N=2, T=2, V=3); targets (2, 2) with one padding token (-100): 2 of 3 right.
  const Tensor logits = floats({5, 0, 0, 0, 5, 0,  //
                                0, 0, 5, 1, 2, 3},
                               {2, 2, 3});
  accuracy.process({{"target", indices({0, 2, 2, -100}, {2, 2})}}, {{"logits", logits}});
  EXPECT_DOUBLE_EQ(accuracy.compute().at("accuracy/top1"), 200.0 / 3.0);
}

TEST(Accuracy, ReadsFloat64AndNonContiguousLogits) {
  Accuracy accuracy;
  // (C=2, N=3) transposed to (3, 2): argmax per row is 1, 0, 1.
  const Tensor by_class = ops::to_dtype(floats({0, 5, 0, 1, 0, 1}, {2, 3}), DType::f64);
  const Tensor logits = ops::transpose(by_class, 0, 1);
  ASSERT_FALSE(logits.is_contiguous());
  accuracy.process({{"label", indices({1, 0, 0})}}, {{"logits", logits}});
  EXPECT_DOUBLE_EQ(accuracy.compute().at("accuracy/top1"), 200.0 / 3.0);
}

TEST(Accuracy, TakesLabelsFromOutputsWhenTheBatchLacksThem) {
  Accuracy accuracy;
  accuracy.process({}, {{"logits", floats({0, 1}, {1, 2})}, {"label", indices({1})}});
  EXPECT_DOUBLE_EQ(accuracy.compute().at("accuracy/top1"), 100.0);
}

TEST(Accuracy, ResetForgetsEarlierBatches) {
  Accuracy accuracy;
  accuracy.process({{"label", indices({1})}}, {{"logits", floats({1, 0}, {1, 2})}});
  accuracy.reset();
  accuracy.process({{"label", indices({0})}}, {{"logits", floats({1, 0}, {1, 2})}});
  EXPECT_DOUBLE_EQ(accuracy.compute().at("accuracy/top1"), 100.0);
}

TEST(Accuracy, MissingLogitsNamesTheMetricTheKeyAndWhatIsPresent) {
  Accuracy accuracy;
  const std::string message = error_of([&] {
    accuracy.process({{"input", floats({0}, {1, 1})}, {"label", indices({0})}}, {{"loss", testing::scalar(1)}});
  });
  EXPECT_THAT(message, AllOf(HasSubstr("Accuracy"), HasSubstr("'logits'"), HasSubstr("outputs: loss"),
                             HasSubstr("batch: input, label")));
}

TEST(Accuracy, MissingLabelNamesTheKey) {
  Accuracy accuracy;
  const std::string message = error_of([&] {
    accuracy.process({{"input", floats({0}, {1, 1})}}, {{"logits", floats({0, 1}, {1, 2})}});
  });
  EXPECT_THAT(message, AllOf(HasSubstr("Accuracy"), HasSubstr("'label'"), HasSubstr("batch: input")));
}

TEST(Accuracy, TopkAboveTheClassCountIsAnError) {
  Accuracy accuracy({.topk = {1, 5}});
  const std::string message = error_of([&] {
    accuracy.process({{"label", indices({0})}}, {{"logits", floats({0, 1, 2}, {1, 3})}});
  });
  EXPECT_THAT(message, HasSubstr("topk 5 exceeds the number of classes 3"));
}

TEST(Accuracy, NonPositiveTopkIsAnError) {
  EXPECT_THAT(error_of([] { Accuracy accuracy({.topk = {0}}); }), HasSubstr("topk values must be >= 1, got 0"));
  EXPECT_THAT(error_of([] { Accuracy accuracy({.topk = {}}); }), HasSubstr("topk is empty"));
}

TEST(Accuracy, LabelOutsideTheClassesIsAnErrorAndLeavesTheSumsAlone) {
  Accuracy accuracy;
  accuracy.process({{"label", indices({0})}}, {{"logits", floats({1, 0}, {1, 2})}});
  const std::string message = error_of([&] {
    accuracy.process({{"label", indices({1, 7})}}, {{"logits", floats({0, 1, 0, 1}, {2, 2})}});
  });
  EXPECT_THAT(message, HasSubstr("holds 7 at position 1, outside [0, 2)"));
  EXPECT_DOUBLE_EQ(accuracy.compute().at("accuracy/top1"), 100.0);
}

TEST(Accuracy, FloatLabelsAreAnError) {
  Accuracy accuracy;
  const std::string message = error_of([&] {
    accuracy.process({{"label", floats({0}, {1})}}, {{"logits", floats({1, 0}, {1, 2})}});
  });
  EXPECT_THAT(message, HasSubstr("'label' must hold class indices (an integer dtype), got float32"));
}

TEST(Accuracy, LabelShapeMustMatchTheLeadingLogitDims) {
  Accuracy accuracy;
  const std::string message = error_of([&] {
    accuracy.process({{"label", indices({0, 1})}}, {{"logits", floats({1, 0}, {1, 2})}});
  });
  EXPECT_THAT(message, HasSubstr("expected 'label' to be (1,), got (2,)"));
}

TEST(Accuracy, ComputeWithNothingProcessedIsAnError) {
  Accuracy accuracy;
  EXPECT_THAT(error_of([&] { accuracy.compute(); }), HasSubstr("no labelled samples were processed"));
}

}  // namespace
}  // namespace mini::runtime
