#include <cmath>

#include "metric_testing.h"
#include "runtime/metrics/perplexity.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using testing::floats;
using ::testing::HasSubstr;
using testing::indices;
using testing::scalar;

TEST(Perplexity, FromLossWeightsEachBatchByItsCountedTokens) {
  Perplexity perplexity;
  // 3 tokens at mean loss 2, then 1 counted token (the other is padding) at 1: mean 7/4.
  perplexity.process({{"target", indices({1, 2, 3}, {1, 3})}}, {{"loss", scalar(2.0f)}});
  perplexity.process({{"target", indices({4, -100}, {1, 2})}}, {{"loss", scalar(1.0f)}});
  EXPECT_DOUBLE_EQ(perplexity.compute().at("perplexity"), std::exp(1.75));
}

TEST(Perplexity, FromUniformLogitsIsTheVocabularySize) {
  Perplexity perplexity({.source = PerplexitySource::Logits});
  perplexity.process({{"target", indices({0, 3, 1, 2, 2, 0}, {2, 3})}},
                     {{"logits", floats(std::vector<float>(24, 0.0f), {2, 3, 4})}});
  EXPECT_NEAR(perplexity.compute().at("perplexity"), 4.0, 1e-12);
}

TEST(Perplexity, FromLogitsIsExpOfTheMeanTokenCrossEntropy) {
  Perplexity perplexity({.source = PerplexitySource::Logits});
  // Token 1: p = 1/2. Token 2: p = 3/4. Token 3 is padding.
  // exp(-(ln 1/2 + ln 3/4) / 2) = sqrt(8/3).
  const float ln3 = static_cast<float>(std::log(3.0));
  perplexity.process({{"target", indices({0}, {1, 1})}}, {{"logits", floats({0, 0}, {1, 1, 2})}});
  perplexity.process({{"target", indices({1, -100}, {1, 2})}}, {{"logits", floats({0, ln3, 7, 7}, {1, 2, 2})}});
  EXPECT_NEAR(perplexity.compute().at("perplexity"), std::sqrt(8.0 / 3.0), 1e-6);
}

TEST(Perplexity, LargeLogitsDoNotOverflow) {
  Perplexity perplexity({.source = PerplexitySource::Logits});
  perplexity.process({{"target", indices({0}, {1})}}, {{"logits", floats({1000, 1000}, {1, 2})}});
  EXPECT_NEAR(perplexity.compute().at("perplexity"), 2.0, 1e-9);
}

TEST(Perplexity, TargetOutsideTheVocabularyIsAnError) {
  Perplexity perplexity({.source = PerplexitySource::Logits});
  EXPECT_THAT(error_of([&] {
                perplexity.process({{"target", indices({5}, {1})}}, {{"logits", floats({0, 0}, {1, 2})}});
              }),
              HasSubstr("'target' holds 5 at position 0, outside [0, 2)"));
}

TEST(Perplexity, OnlyPaddingIsAnErrorAtCompute) {
  Perplexity perplexity;
  perplexity.process({{"target", indices({-100}, {1})}}, {{"loss", scalar(1.0f)}});
  EXPECT_THAT(error_of([&] { perplexity.compute(); }), HasSubstr("no target tokens were processed"));
}

TEST(Perplexity, MissingTargetNamesTheKey) {
  Perplexity perplexity;
  EXPECT_THAT(error_of([&] {
                perplexity.process({{"input", indices({1})}}, {{"loss", scalar(1.0f)}});
              }),
              HasSubstr("Perplexity: neither the batch nor the model outputs have 'target'"));
}

}  // namespace
}  // namespace mini::runtime
