#include "config/load.h"
#include "metric_testing.h"
#include "runtime/metrics/accuracy.h"
#include "runtime/metrics/register.h"

namespace mini::runtime {
namespace {

using ::testing::AllOf;
using testing::floats;
using ::testing::HasSubstr;
using testing::indices;
using testing::scalar;

std::string config_error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a config::ConfigError";
  return "";
}

std::map<std::string, double> evaluate(Evaluator& evaluator, const Batch& batch, const Outputs& outputs) {
  evaluator.reset();
  evaluator.process(batch, outputs);
  return evaluator.compute();
}

TEST(MetricRegistry, RegistersEveryBuiltInWithDocsAndArgs) {
  register_metric_components();
  register_metric_components();  // idempotent
  for (const char* type : {"Accuracy", "Loss", "MSE", "MAE", "Perplexity"}) {
    const config::ComponentInfo* info = metric_registry().find(type);
    ASSERT_NE(info, nullptr) << type;
    EXPECT_FALSE(info->doc.empty()) << type;
    EXPECT_FALSE(info->args.empty()) << type;
  }
  EXPECT_EQ(config::find_registry("metric"), &metric_registry());
}

TEST(BuildEvaluator, AcceptsOneMetricMap) {
  auto evaluator = build_evaluator(config::parse_yaml("{type: Accuracy, topk: [1, 2]}"));
  ASSERT_EQ(evaluator->metrics().size(), 1u);
  const auto results = evaluate(*evaluator, {{"label", indices({1})}}, {{"logits", floats({2, 1, 0}, {1, 3})}});
  EXPECT_EQ(results, (std::map<std::string, double>{{"accuracy/top1", 0.0}, {"accuracy/top2", 100.0}}));
}

TEST(BuildEvaluator, AcceptsAListOfMetrics) {
  auto evaluator = build_evaluator(config::parse_yaml("[{type: Accuracy}, {type: Loss}]"));
  ASSERT_EQ(evaluator->metrics().size(), 2u);
  const auto results = evaluate(*evaluator, {{"label", indices({0, 0})}},
                                {{"logits", floats({1, 0, 0, 1}, {2, 2})}, {"loss", scalar(0.25f)}});
  EXPECT_EQ(results, (std::map<std::string, double>{{"accuracy/top1", 50.0}, {"loss", 0.25}}));
}

TEST(BuildEvaluator, AcceptsAnEvaluatorWrapperWithMetrics) {
  auto evaluator = build_evaluator(config::parse_yaml("{type: Evaluator, metrics: [{type: MSE}, {type: MAE}]}"));
  const auto results = evaluate(*evaluator, {{"target", floats({0, 0}, {2})}}, {{"pred", floats({1, 3}, {2})}});
  EXPECT_EQ(results, (std::map<std::string, double>{{"mae", 2.0}, {"mse", 5.0}}));
}

TEST(BuildEvaluator, TopkMayBeASingleInt) {
  auto evaluator = build_evaluator(config::parse_yaml("{type: Accuracy, topk: 2}"));
  const auto results = evaluate(*evaluator, {{"label", indices({1})}}, {{"logits", floats({2, 1, 0}, {1, 3})}});
  EXPECT_EQ(results, (std::map<std::string, double>{{"accuracy/top2", 100.0}}));
}

TEST(BuildEvaluator, PassesKeysAndOptionsThrough) {
  auto evaluator =
      build_evaluator(config::parse_yaml("[{type: Accuracy, label_key: target, ignore_index: -1},"
                                         " {type: Perplexity, source: logits, target_key: target, ignore_index: -1}]"));
  const auto results =
      evaluate(*evaluator, {{"target", indices({0, -1}, {1, 2})}}, {{"logits", floats({0, 0, 0, 0}, {1, 2, 2})}});
  EXPECT_DOUBLE_EQ(results.at("accuracy/top1"), 100.0);
  EXPECT_NEAR(results.at("perplexity"), 2.0, 1e-12);
}

TEST(BuildEvaluator, UnknownMetricTypeSuggestsTheClosestName) {
  EXPECT_THAT(config_error_of([] { build_evaluator(config::parse_yaml("{type: Acuracy}", "val.yaml")); }),
              AllOf(HasSubstr("val.yaml:1"), HasSubstr("did you mean 'Accuracy'")));
}

TEST(BuildEvaluator, UnknownArgumentIsAConfigError) {
  EXPECT_THAT(config_error_of([] { build_evaluator(config::parse_yaml("{type: Loss, outptu_key: loss}")); }),
              HasSubstr("outptu_key"));
}

TEST(BuildEvaluator, BadTopkIsAConfigErrorAtTheArgument) {
  EXPECT_THAT(config_error_of([] { build_evaluator(config::parse_yaml("{type: Accuracy, topk: [1, five]}")); }),
              HasSubstr("expected a list of ints"));
  EXPECT_THAT(config_error_of([] { build_evaluator(config::parse_yaml("{type: Accuracy, topk: 0}")); }),
              HasSubstr("values must be >= 1, got 0"));
}

TEST(BuildEvaluator, BadPerplexitySourceIsRejectedByTheChoices) {
  EXPECT_THAT(config_error_of([] { build_evaluator(config::parse_yaml("{type: Perplexity, source: probs}")); }),
              HasSubstr("probs"));
}

TEST(BuildEvaluator, EmptyListOrAScalarIsAConfigError) {
  EXPECT_THAT(config_error_of([] { build_evaluator(config::parse_yaml("[]")); }),
              HasSubstr("the list of metrics is empty"));
  EXPECT_THAT(config_error_of([] { build_evaluator(config::parse_yaml("Accuracy")); }),
              HasSubstr("expected a metric ({type: Accuracy, ...}) or a list of metrics"));
}

TEST(BuildEvaluator, ValidateChecksWithoutBuilding) {
  EXPECT_NO_THROW(validate_evaluator_config(config::parse_yaml("[{type: Accuracy, topk: [1, 5]}, {type: Loss}]")));
  EXPECT_THAT(config_error_of([] { validate_evaluator_config(config::parse_yaml("[{type: Los}]")); }),
              HasSubstr("did you mean 'Loss'"));
}

}  // namespace
}  // namespace mini::runtime
