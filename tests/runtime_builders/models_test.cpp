// Models, backbones and losses built from config (runtime/models/register.h).
#include "builders_testing.h"
#include "runtime/models/backbones.h"
#include "runtime/models/classifier.h"
#include "runtime/models/language_model.h"

namespace mini::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ModelBuilders : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime::register_model_components();
    manual_seed(0);
  }
  static std::shared_ptr<runtime::Model> model(const std::string& text) {
    return runtime::model_registry().build(yaml(text));
  }
  static nn::ModulePtr backbone(const std::string& text) { return runtime::backbone_registry().build(yaml(text)); }
  static std::shared_ptr<nn::Loss> loss(const std::string& text) { return runtime::loss_registry().build(yaml(text)); }
};

std::vector<std::string> types_of(const config::RegistryBase& registry) {
  std::vector<std::string> types;
  for (const config::ComponentInfo* info : registry.components()) types.push_back(info->type);
  return types;
}

TEST_F(ModelBuilders, RegistersTheBuiltInTypesUnderTheirKinds) {
  EXPECT_THAT(types_of(runtime::model_registry()), ElementsAre("Classifier", "LanguageModel"));
  EXPECT_THAT(types_of(runtime::backbone_registry()), ElementsAre("GPT", "LeNet", "MLP"));
  EXPECT_THAT(types_of(runtime::loss_registry()),
              ElementsAre("BCEWithLogitsLoss", "CrossEntropyLoss", "L1Loss", "MSELoss", "SmoothL1Loss"));
  EXPECT_EQ(config::find_registry("backbone"), &runtime::backbone_registry());
}

TEST_F(ModelBuilders, RegistrationIsIdempotent) {
  runtime::register_model_components();
  EXPECT_EQ(runtime::model_registry().components().size(), 2u);
}

TEST_F(ModelBuilders, EveryArgumentHasADoc) {
  for (const config::RegistryBase* registry : {static_cast<const config::RegistryBase*>(&runtime::model_registry()),
                                               static_cast<const config::RegistryBase*>(&runtime::backbone_registry()),
                                               static_cast<const config::RegistryBase*>(&runtime::loss_registry())}) {
    for (const config::ComponentInfo* info : registry->components()) {
      EXPECT_FALSE(info->doc.empty()) << info->type;
      for (const config::ArgSpec& arg : info->args) EXPECT_FALSE(arg.doc.empty()) << info->type << "." << arg.name;
    }
  }
}

TEST_F(ModelBuilders, MlpFlattensTheInputAndStacksLinearLayers) {
  auto mlp = backbone("{type: MLP, in_features: 12, hidden: [8, 6], num_classes: 5}");
  EXPECT_EQ((*mlp)(ops::randn({2, 3, 4})).sizes(), Shape({2, 5}));
  std::vector<std::string> names;
  for (const auto& [name, param] : mlp->named_parameters()) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                                 "layers.4.weight", "layers.4.bias"));
  EXPECT_EQ(std::dynamic_pointer_cast<runtime::Backbone>(mlp)->num_classes(), 5);
}

TEST_F(ModelBuilders, MlpHiddenDropoutAndActivationBecomeLayers) {
  auto mlp = std::dynamic_pointer_cast<runtime::MLP>(
      backbone("{type: MLP, in_features: 4, hidden: [8], num_classes: 2, activation: gelu, dropout: 0.5}"));
  ASSERT_EQ(mlp->layers->size(), 4);
  EXPECT_EQ((*mlp->layers)[1]->type_name(), "GELU");
  EXPECT_EQ((*mlp->layers)[2]->type_name(), "Dropout");
}

TEST_F(ModelBuilders, MlpKeepsPyTorchDefaultInitialisation) {
  auto mlp = std::dynamic_pointer_cast<runtime::MLP>(backbone("{type: MLP, in_features: 100, num_classes: 50}"));
  const Tensor weight = mlp->named_parameters()[0].second;
  const double bound = 1.0 / std::sqrt(100.0);
  const double largest = ops::amax(ops::abs(weight)).item<double>();
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.9 * bound);  // uniform over the whole range, not re-initialised smaller
}

TEST_F(ModelBuilders, MlpNamesTheFeatureCountOnAMismatchedInput) {
  auto mlp = backbone("{type: MLP, in_features: 12, num_classes: 5}");
  EXPECT_THAT(error_of([&] {
                (*mlp)(ops::randn({2, 10}));
              }),
              HasSubstr("MLP: input (2, 10) has 10 features per sample, but in_features is 12"));
}

TEST_F(ModelBuilders, MlpRejectsAnUnknownActivationWithTheChoices) {
  EXPECT_THAT(error_of([&] { backbone("{type: MLP, in_features: 4, num_classes: 2, activation: swish}"); }),
              HasSubstr("swish"));
}

TEST_F(ModelBuilders, MlpRejectsNonPositiveSizesAtTheConfigLine) {
  EXPECT_THAT(error_of([&] { backbone("{type: MLP, in_features: 4, hidden: [0], num_classes: 2}"); }),
              HasSubstr("test.yaml:1"));
}

TEST_F(ModelBuilders, LeNetMapsMnistImagesToTenLogits) {
  auto lenet = backbone("{type: LeNet}");
  EXPECT_EQ((*lenet)(ops::randn({2, 1, 28, 28})).sizes(), Shape({2, 10}));
  EXPECT_EQ((*lenet)(ops::randn({3, 28, 28})).sizes(), Shape({3, 10}));  // channel dim added
  EXPECT_EQ(lenet->num_parameters(), 61706);                             // the classic LeNet-5 count
}

TEST_F(ModelBuilders, LeNetTakesChannelsAndClassesFromConfig) {
  auto lenet = backbone("{type: LeNet, in_channels: 3, num_classes: 4}");
  EXPECT_EQ((*lenet)(ops::randn({1, 3, 28, 28})).sizes(), Shape({1, 4}));
}

TEST_F(ModelBuilders, LeNetNamesTheExpectedImageShape) {
  auto lenet = backbone("{type: LeNet}");
  EXPECT_THAT(error_of([&] {
                (*lenet)(ops::randn({2, 1, 32, 32}));
              }),
              HasSubstr("LeNet: expected images (N, 1, 28, 28), got (2, 1, 32, 32)"));
}

TEST_F(ModelBuilders, GptBackboneMapsTokensToVocabularyLogits) {
  auto gpt = backbone("{type: GPT, vocab_size: 11, block_size: 8, n_layer: 1, n_head: 2, n_embd: 8}");
  const Tensor tokens = ops::randint(0, 11, {2, 5});
  EXPECT_EQ((*gpt)(tokens).sizes(), Shape({2, 5, 11}));
  EXPECT_EQ(std::dynamic_pointer_cast<nn::GPT>(gpt)->config().n_embd, 8);
}

TEST_F(ModelBuilders, GptRejectsAHeadCountThatDoesNotDivideTheWidth) {
  EXPECT_THAT(error_of([&] { backbone("{type: GPT, n_head: 3, n_embd: 8}"); }),
              HasSubstr("3 does not divide n_embd 8"));
}

TEST_F(ModelBuilders, UnknownBackboneTypeSuggestsTheClosest) {
  EXPECT_THAT(error_of([&] { model("{type: Classifier, backbone: {type: MPL, in_features: 4, num_classes: 2}}"); }),
              HasSubstr("did you mean 'MLP'"));
}

TEST_F(ModelBuilders, ClassifierReturnsLogitsAndTheConfiguredLoss) {
  auto classifier = model(R"(
type: Classifier
backbone: {type: MLP, in_features: 4, hidden: [6], num_classes: 3}
loss: {type: CrossEntropyLoss, label_smoothing: 0.2}
)");
  const Tensor input = ops::randn({5, 4});
  const Tensor label = ops::from_vector(std::vector<int64_t>{0, 2, 1, 1, 0});
  runtime::Outputs out = classifier->forward_batch({{"input", input}, {"label", label}});
  ASSERT_EQ(out.at("logits").sizes(), Shape({5, 3}));
  EXPECT_EQ(out.at("loss").dim(), 0);
  expect_close(out.at("loss"), nn::cross_entropy(out.at("logits"), label, {.label_smoothing = 0.2}));
  EXPECT_EQ(classifier->num_classes(), 3);
}

TEST_F(ModelBuilders, ClassifierLossDefaultsToCrossEntropy) {
  auto classifier = model("{type: Classifier, backbone: {type: MLP, in_features: 4, num_classes: 3}}");
  const Tensor label = ops::from_vector(std::vector<int64_t>{2, 0});
  runtime::Outputs out = classifier->forward_batch({{"input", ops::randn({2, 4})}, {"label", label}});
  expect_close(out.at("loss"), nn::cross_entropy(out.at("logits"), label));
}

TEST_F(ModelBuilders, ClassifierLossBackpropagatesIntoTheBackbone) {
  auto classifier = model("{type: Classifier, backbone: {type: MLP, in_features: 4, num_classes: 3}}");
  runtime::Outputs out = classifier->forward_batch(
      {{"input", ops::randn({2, 4})}, {"label", ops::from_vector(std::vector<int64_t>{2, 0})}});
  out.at("loss").backward();
  for (const auto& [name, param] : classifier->named_parameters()) EXPECT_TRUE(param.grad().defined()) << name;
}

TEST_F(ModelBuilders, ClassifierInEvalModeStillReturnsTheLossWhenLabelled) {
  auto classifier = model("{type: Classifier, backbone: {type: MLP, in_features: 4, num_classes: 3}}");
  classifier->eval();
  EXPECT_TRUE(
      classifier
          ->forward_batch({{"input", ops::randn({2, 4})}, {"label", ops::from_vector(std::vector<int64_t>{1, 0})}})
          .contains("loss"));
  runtime::Outputs unlabelled = classifier->forward_batch({{"input", ops::randn({2, 4})}});
  EXPECT_TRUE(unlabelled.contains("logits"));
  EXPECT_FALSE(unlabelled.contains("loss"));
}

TEST_F(ModelBuilders, ClassifierTrainingWithoutLabelIsAnError) {
  auto classifier = model("{type: Classifier, backbone: {type: MLP, in_features: 4, num_classes: 3}}");
  EXPECT_THAT(error_of([&] {
                classifier->forward_batch({{"input", ops::randn({2, 4})}});
              }),
              HasSubstr("training needs a 'label' field"));
}

TEST_F(ModelBuilders, ClassifierMissingInputNamesTheFieldsPresent) {
  auto classifier = model("{type: Classifier, backbone: {type: MLP, in_features: 4, num_classes: 3}}");
  EXPECT_THAT(error_of([&] {
                classifier->forward_batch({{"image", ops::randn({2, 4})}});
              }),
              HasSubstr("the batch has no 'input' field (it has: image)"));
}

TEST_F(ModelBuilders, ClassifierNamesALabelAboveTheClassCount) {
  auto classifier = model("{type: Classifier, backbone: {type: MLP, in_features: 4, num_classes: 5}}");
  const Tensor label = ops::from_vector(std::vector<int64_t>{1, 7, 2});
  EXPECT_THAT(error_of([&] {
                classifier->forward_batch({{"input", ops::randn({3, 4})}, {"label", label}});
              }),
              HasSubstr("Classifier: label 7 is outside [0, 5): the model has 5 classes"));
}

TEST_F(ModelBuilders, ClassifierNamesANegativeLabel) {
  auto classifier = model("{type: Classifier, backbone: {type: MLP, in_features: 4, num_classes: 5}}");
  const Tensor label = ops::from_vector(std::vector<int64_t>{-3, 1});
  EXPECT_THAT(error_of([&] {
                classifier->forward_batch({{"input", ops::randn({2, 4})}, {"label", label}});
              }),
              HasSubstr("label -3 is outside [0, 5)"));
}

TEST_F(ModelBuilders, ClassifierLetsTheLossIgnoreIndexThrough) {
  auto classifier = model(R"(
type: Classifier
backbone: {type: MLP, in_features: 4, num_classes: 3}
loss: {type: CrossEntropyLoss, ignore_index: -1}
)");
  const Tensor label = ops::from_vector(std::vector<int64_t>{-1, 2});
  runtime::Outputs out = classifier->forward_batch({{"input", ops::randn({2, 4})}, {"label", label}});
  expect_close(out.at("loss"), nn::cross_entropy(out.at("logits"), label, {.ignore_index = -1}));
}

TEST_F(ModelBuilders, ClassifierWithMseLossRegressesFloatTargets) {
  auto classifier = model(R"(
type: Classifier
backbone: {type: MLP, in_features: 4, num_classes: 2}
loss: {type: MSELoss, reduction: sum}
)");
  const Tensor target = ops::randn({3, 2});
  runtime::Outputs out = classifier->forward_batch({{"input", ops::randn({3, 4})}, {"label", target}});
  expect_close(out.at("loss"), nn::mse_loss(out.at("logits"), target, nn::Reduction::sum));
}

TEST_F(ModelBuilders, ClassifierClassCountIsUnknownForAPlainModuleBackbone) {
  runtime::backbone_registry().add(
      {.type = "TestLinear", .doc = "a bare Linear 4 -> 3", .args = {}},
      [](const config::Args&) -> nn::ModulePtr { return std::make_shared<nn::Linear>(4, 3); });
  auto classifier = model("{type: Classifier, backbone: {type: TestLinear}}");
  EXPECT_EQ(classifier->num_classes(), -1);
}

TEST_F(ModelBuilders, LanguageModelAveragesCrossEntropyOverEveryPosition) {
  auto lm = model(R"(
type: LanguageModel
backbone: {type: GPT, vocab_size: 7, block_size: 6, n_layer: 1, n_head: 1, n_embd: 4}
)");
  const Tensor tokens = ops::randint(0, 7, {2, 6});
  const Tensor target = ops::randint(0, 7, {2, 6});
  runtime::Outputs out = lm->forward_batch({{"input", tokens}, {"target", target}});
  ASSERT_EQ(out.at("logits").sizes(), Shape({2, 6, 7}));
  expect_close(out.at("loss"), nn::cross_entropy(ops::reshape(out.at("logits"), {12, 7}), ops::reshape(target, {12})));
  EXPECT_EQ(lm->num_classes(), -1);
}

TEST_F(ModelBuilders, LanguageModelNamesATargetOutsideTheVocabulary) {
  auto lm = model("{type: LanguageModel, backbone: {type: GPT, vocab_size: 7, n_layer: 1, n_head: 1, n_embd: 4}}");
  const Tensor target = ops::from_vector(std::vector<int64_t>{1, 2, 9}, {1, 3});
  EXPECT_THAT(error_of([&] {
                lm->forward_batch({{"input", ops::randint(0, 7, {1, 3})}, {"target", target}});
              }),
              HasSubstr("LanguageModel: target 9 is outside [0, 7)"));
}

TEST_F(ModelBuilders, CrossEntropyLossTakesClassWeights) {
  auto ce = loss("{type: CrossEntropyLoss, weight: [1.0, 2.0, 0.5], reduction: sum}");
  const Tensor logits = ops::randn({4, 3});
  const Tensor target = ops::from_vector(std::vector<int64_t>{0, 1, 2, 1});
  const Tensor weight = ops::from_vector(std::vector<float>{1.0f, 2.0f, 0.5f});
  expect_close((*ce)(logits, target),
               nn::cross_entropy(logits, target, {.weight = weight, .reduction = nn::Reduction::sum}));
}

TEST_F(ModelBuilders, RegressionLossesMatchTheirFunctions) {
  const Tensor input = ops::randn({3, 2});
  const Tensor target = ops::randn({3, 2});
  expect_close((*loss("{type: L1Loss}"))(input, target), nn::l1_loss(input, target));
  expect_close((*loss("{type: SmoothL1Loss, beta: 0.5}"))(input, target),
               nn::smooth_l1_loss(input, target, nn::Reduction::mean, 0.5));
}

TEST_F(ModelBuilders, BceWithLogitsLossTakesPositiveWeights) {
  const Tensor logits = ops::randn({3, 2});
  const Tensor target = ops::rand({3, 2});
  const Tensor pos_weight = ops::from_vector(std::vector<float>{3.0f, 0.5f});
  expect_close((*loss("{type: BCEWithLogitsLoss, pos_weight: [3.0, 0.5]}"))(logits, target),
               nn::binary_cross_entropy_with_logits(logits, target, {.pos_weight = pos_weight}));
}

TEST_F(ModelBuilders, LossReductionNoneIsRejectedBecauseTheLossMustBeAScalar) {
  EXPECT_THAT(error_of([&] { loss("{type: MSELoss, reduction: none}"); }), HasSubstr("none"));
}

TEST_F(ModelBuilders, LabelSmoothingOutsideTheUnitIntervalIsAConfigError) {
  EXPECT_THAT(error_of([&] { loss("{type: CrossEntropyLoss, label_smoothing: 1.5}"); }), HasSubstr("label_smoothing"));
}

}  // namespace
}  // namespace mini::testing
