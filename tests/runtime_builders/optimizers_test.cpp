// Optimizers and parameter groups built from config (runtime/optim/register.h, paramwise.h).
#include "builders_testing.h"
#include "runtime/optim/paramwise.h"

namespace mini::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class OptimizerBuilders : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime::register_optim_components();
    manual_seed(0);
    net = std::make_shared<TinyNet>();
  }
  std::unique_ptr<nn::optim::Optimizer> build(const std::string& optimizer, const std::string& paramwise = "") {
    const config::Node optimizer_cfg = yaml(optimizer);
    paramwise_cfg = paramwise.empty() ? config::Node() : yaml(paramwise);
    return runtime::build_optimizer(optimizer_cfg, *net, paramwise.empty() ? nullptr : &paramwise_cfg);
  }
  // The group holding the parameter named `name` of `net`.
  const nn::optim::ParamGroup& group_of(const nn::optim::Optimizer& optimizer, const std::string& name) {
    Tensor param;
    for (const auto& [n, p] : net->named_parameters()) {
      if (n == name) param = p;
    }
    for (const nn::optim::ParamGroup& group : optimizer.param_groups()) {
      for (const Tensor& p : group.params) {
        if (p.is_same(param)) return group;
      }
    }
    ADD_FAILURE() << name << " is in no group";
    return optimizer.param_groups().front();
  }
  std::shared_ptr<TinyNet> net;
  config::Node paramwise_cfg;
};

int64_t parameter_count(const nn::optim::Optimizer& optimizer) {
  int64_t count = 0;
  for (const auto& group : optimizer.param_groups()) count += static_cast<int64_t>(group.params.size());
  return count;
}

TEST_F(OptimizerBuilders, RegistersTheSixOptimizers) {
  std::vector<std::string> types;
  for (const config::ComponentInfo* info : runtime::optimizer_registry().components()) types.push_back(info->type);
  EXPECT_THAT(types, ElementsAre("Adagrad", "Adam", "AdamW", "Lion", "RMSprop", "SGD"));
}

TEST_F(OptimizerBuilders, SgdOptionsReachTheParamGroup) {
  auto sgd = build("{type: SGD, lr: 0.1, momentum: 0.9, weight_decay: 1.0e-4, nesterov: true}");
  ASSERT_EQ(sgd->param_groups().size(), 1u);
  EXPECT_EQ(sgd->param_groups()[0].options,
            (nn::optim::GroupOptions{
                {"lr", 0.1}, {"momentum", 0.9}, {"dampening", 0.0}, {"weight_decay", 1e-4}, {"nesterov", 1.0}}));
  EXPECT_EQ(parameter_count(*sgd), 6);
}

TEST_F(OptimizerBuilders, AdamBetasEpsAndAmsgradReachTheParamGroup) {
  auto adam = build("{type: Adam, lr: 0.01, betas: [0.8, 0.95], eps: 1.0e-6, weight_decay: 0.1, amsgrad: true}");
  EXPECT_EQ(
      adam->param_groups()[0].options,
      (nn::optim::GroupOptions{
          {"lr", 0.01}, {"beta1", 0.8}, {"beta2", 0.95}, {"eps", 1e-6}, {"weight_decay", 0.1}, {"amsgrad", 1.0}}));
}

TEST_F(OptimizerBuilders, AdamWDefaultsMatchPyTorch) {
  auto adamw = build("{type: AdamW}");
  EXPECT_EQ(
      adamw->param_groups()[0].options,
      (nn::optim::GroupOptions{
          {"lr", 1e-3}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8}, {"weight_decay", 1e-2}, {"amsgrad", 0.0}}));
}

TEST_F(OptimizerBuilders, RmspropOptionsReachTheParamGroup) {
  auto rmsprop = build("{type: RMSprop, lr: 0.02, alpha: 0.9, eps: 1.0e-7, momentum: 0.5, centered: true}");
  EXPECT_EQ(
      rmsprop->param_groups()[0].options,
      (nn::optim::GroupOptions{
          {"lr", 0.02}, {"alpha", 0.9}, {"eps", 1e-7}, {"weight_decay", 0.0}, {"momentum", 0.5}, {"centered", 1.0}}));
}

TEST_F(OptimizerBuilders, AdagradOptionsReachTheParamGroup) {
  auto adagrad = build("{type: Adagrad, lr: 0.3, lr_decay: 0.01, initial_accumulator_value: 0.1, eps: 1.0e-9}");
  EXPECT_EQ(
      adagrad->param_groups()[0].options,
      (nn::optim::GroupOptions{
          {"lr", 0.3}, {"lr_decay", 0.01}, {"weight_decay", 0.0}, {"initial_accumulator_value", 0.1}, {"eps", 1e-9}}));
}

TEST_F(OptimizerBuilders, LionOptionsReachTheParamGroup) {
  auto lion = build("{type: Lion, lr: 3.0e-4, betas: [0.95, 0.98], weight_decay: 0.5}");
  EXPECT_EQ(lion->param_groups()[0].options,
            (nn::optim::GroupOptions{{"lr", 3e-4}, {"beta1", 0.95}, {"beta2", 0.98}, {"weight_decay", 0.5}}));
}

TEST_F(OptimizerBuilders, UnknownOptimizerTypeSuggestsTheClosest) {
  EXPECT_THAT(error_of([&] { build("{type: Adamw, lr: 0.1}"); }), HasSubstr("did you mean 'AdamW'"));
  EXPECT_THAT(error_of([&] { build("{type: SDG, lr: 0.1}"); }), HasSubstr("did you mean 'SGD'"));
}

TEST_F(OptimizerBuilders, UnknownOptimizerArgumentSuggestsTheClosest) {
  EXPECT_THAT(error_of([&] { build("{type: SGD, lr: 0.1, momentun: 0.9}"); }), HasSubstr("did you mean 'momentum'"));
}

TEST_F(OptimizerBuilders, BetasMustHaveTwoValues) {
  EXPECT_THAT(error_of([&] { build("{type: Adam, betas: [0.9]}"); }), HasSubstr("expected two numbers [b1, b2]"));
}

TEST_F(OptimizerBuilders, NesterovWithoutMomentumIsAConfigError) {
  const std::string message = error_of([&] { build("{type: SGD, lr: 0.1, nesterov: true}"); });
  EXPECT_THAT(message, HasSubstr("test.yaml:1"));
  EXPECT_THAT(message, HasSubstr("needs momentum > 0"));
}

TEST_F(OptimizerBuilders, FrozenParametersAreLeftOut) {
  net->encoder->requires_grad_(false);
  auto sgd = build("{type: SGD, lr: 0.1}");
  EXPECT_EQ(parameter_count(*sgd), 4);
  for (const Tensor& p : sgd->param_groups()[0].params) EXPECT_TRUE(p.requires_grad());
}

TEST_F(OptimizerBuilders, AFullyFrozenModelIsAnError) {
  net->requires_grad_(false);
  EXPECT_THAT(error_of([&] { build("{type: SGD, lr: 0.1}"); }), HasSubstr("no parameters that require grad"));
}

TEST_F(OptimizerBuilders, BiasAndNormDecayMultipliersScaleWeightDecay) {
  auto sgd = build("{type: SGD, lr: 0.1, weight_decay: 0.01}", "{bias_decay_mult: 0.5, norm_decay_mult: 0.0}");
  EXPECT_DOUBLE_EQ(group_of(*sgd, "encoder.weight").get("weight_decay"), 0.01);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "encoder.bias").get("weight_decay"), 0.005);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "norm.weight").get("weight_decay"), 0.0);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "norm.bias").get("weight_decay"), 0.0);  // norm rule before bias rule
  EXPECT_DOUBLE_EQ(group_of(*sgd, "head.bias").get("weight_decay"), 0.005);
  EXPECT_EQ(sgd->param_groups().size(), 3u);  // weights, biases, norm: identical settings share a group
}

TEST_F(OptimizerBuilders, DecayMultipliersScaleTheOptimizersDefaultWeightDecay) {
  auto adamw = build("{type: AdamW}", "{bias_decay_mult: 0.0}");
  EXPECT_DOUBLE_EQ(group_of(*adamw, "head.weight").get("weight_decay"), 0.01);
  EXPECT_DOUBLE_EQ(group_of(*adamw, "head.bias").get("weight_decay"), 0.0);
}

TEST_F(OptimizerBuilders, BiasLrMultiplierSkipsNormLayers) {
  auto sgd = build("{type: SGD, lr: 0.1}", "{bias_lr_mult: 2.0}");
  EXPECT_DOUBLE_EQ(group_of(*sgd, "encoder.bias").get("lr"), 0.2);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "norm.bias").get("lr"), 0.1);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "encoder.weight").get("lr"), 0.1);
}

TEST_F(OptimizerBuilders, FlatDecayMultiplierCoversOtherOneDimensionalParameters) {
  auto sgd = build("{type: SGD, lr: 0.1, weight_decay: 0.1}", "{flat_decay_mult: 0.0, norm_decay_mult: 0.5}");
  EXPECT_DOUBLE_EQ(group_of(*sgd, "encoder.bias").get("weight_decay"), 0.0);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "norm.weight").get("weight_decay"), 0.05);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "encoder.weight").get("weight_decay"), 0.1);
}

TEST_F(OptimizerBuilders, DepthwiseConvDecayMultiplierMatchesGroupsEqualToChannels) {
  auto convs = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(4, 4, std::pair<int64_t, int64_t>{3, 3}, nn::Conv2dOptions{.groups = 4}),
      std::make_shared<nn::Conv2d>(4, 8, std::pair<int64_t, int64_t>{1, 1})});
  const config::Node optimizer_cfg = yaml("{type: SGD, lr: 0.1, weight_decay: 0.1}");
  const config::Node paramwise = yaml("{dwconv_decay_mult: 0.0}");
  auto sgd = runtime::build_optimizer(optimizer_cfg, *convs, &paramwise);
  ASSERT_EQ(sgd->param_groups().size(), 2u);
  EXPECT_DOUBLE_EQ(sgd->param_groups()[0].get("weight_decay"), 0.0);
  EXPECT_EQ(sgd->param_groups()[0].params.size(), 2u);  // the depth-wise conv's weight and bias
  EXPECT_DOUBLE_EQ(sgd->param_groups()[1].get("weight_decay"), 0.1);
}

TEST_F(OptimizerBuilders, CustomKeyLrMultMatchesASubstringOfTheName) {
  auto sgd = build("{type: SGD, lr: 0.1, weight_decay: 0.01}", "{custom_keys: {head: {lr_mult: 0.1, decay_mult: 2}}}");
  EXPECT_DOUBLE_EQ(group_of(*sgd, "head.weight").get("lr"), 0.01);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "head.bias").get("weight_decay"), 0.02);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "encoder.weight").get("lr"), 0.1);
  EXPECT_EQ(sgd->param_groups().size(), 2u);
}

TEST_F(OptimizerBuilders, TheLongestMatchingCustomKeyWins) {
  auto sgd = build("{type: SGD, lr: 1.0}", "{custom_keys: {enc: {lr_mult: 0.5}, encoder.bias: {lr_mult: 0.25}}}");
  EXPECT_DOUBLE_EQ(group_of(*sgd, "encoder.bias").get("lr"), 0.25);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "encoder.weight").get("lr"), 0.5);
}

TEST_F(OptimizerBuilders, EqualLengthCustomKeysAreTriedAlphabetically) {
  auto sgd = build("{type: SGD, lr: 1.0}", "{custom_keys: {enc: {lr_mult: 0.5}, cod: {lr_mult: 0.25}}}");
  EXPECT_DOUBLE_EQ(group_of(*sgd, "encoder.weight").get("lr"), 0.25);  // "cod" < "enc"
}

TEST_F(OptimizerBuilders, ACustomKeyMatchOverridesTheBiasAndNormRules) {
  auto sgd = build("{type: SGD, lr: 0.1, weight_decay: 0.01}",
                   "{bias_decay_mult: 0.0, norm_decay_mult: 0.0, custom_keys: {norm: {lr_mult: 1.0}}}");
  EXPECT_DOUBLE_EQ(group_of(*sgd, "norm.weight").get("weight_decay"), 0.01);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "norm.bias").get("weight_decay"), 0.01);
  EXPECT_DOUBLE_EQ(group_of(*sgd, "head.bias").get("weight_decay"), 0.0);
}

TEST_F(OptimizerBuilders, CustomKeysSetOptimizerOptionsOutright) {
  auto adam = build("{type: Adam, lr: 0.1}", "{custom_keys: {head: {betas: [0.5, 0.6], eps: 0.001}}}");
  const auto& head = group_of(*adam, "head.weight");
  EXPECT_DOUBLE_EQ(head.get("beta1"), 0.5);
  EXPECT_DOUBLE_EQ(head.get("beta2"), 0.6);
  EXPECT_DOUBLE_EQ(head.get("eps"), 0.001);
  EXPECT_DOUBLE_EQ(group_of(*adam, "encoder.weight").get("eps"), 1e-8);
}

TEST_F(OptimizerBuilders, AnUnknownCustomKeyOptionSuggestsTheClosest) {
  EXPECT_THAT(error_of([&] { build("{type: SGD, lr: 0.1}", "{custom_keys: {head: {momentun: 0.5}}}"); }),
              HasSubstr("did you mean 'momentum'"));
}

TEST_F(OptimizerBuilders, AnUnknownParamwiseKeySuggestsTheClosest) {
  EXPECT_THAT(error_of([&] { build("{type: SGD, lr: 0.1}", "{bias_decay_mul: 0.0}"); }),
              HasSubstr("did you mean 'bias_decay_mult'"));
}

TEST_F(OptimizerBuilders, ASharedModuleIsAnErrorUnlessBypassDuplicate) {
  net->register_module("encoder_again", net->encoder);
  EXPECT_THAT(error_of([&] { build("{type: SGD, lr: 0.1}", "{bias_decay_mult: 0.0}"); }),
              HasSubstr("'encoder_again.weight' is the same tensor as 'encoder.weight'"));
  auto sgd = build("{type: SGD, lr: 0.1}", "{bias_decay_mult: 0.0, bypass_duplicate: true}");
  EXPECT_EQ(parameter_count(*sgd), 6);
}

TEST_F(OptimizerBuilders, WithoutParamwiseCfgSharedParametersAppearOnce) {
  net->register_module("encoder_again", net->encoder);
  EXPECT_EQ(parameter_count(*build("{type: SGD, lr: 0.1}")), 6);
}

TEST_F(OptimizerBuilders, ParamGroupSpecsListTheDottedNames) {
  const config::Node paramwise = yaml("{custom_keys: {head: {lr_mult: 0.1}}}");
  const auto groups = runtime::make_param_groups(*net, &paramwise);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_THAT(groups[0].names, ElementsAre("encoder.weight", "encoder.bias", "norm.weight", "norm.bias"));
  EXPECT_THAT(groups[1].names, ElementsAre("head.weight", "head.bias"));
  EXPECT_DOUBLE_EQ(groups[1].lr_mult, 0.1);
}

TEST_F(OptimizerBuilders, EachGroupStepsWithItsOwnLearningRate) {
  auto sgd = build("{type: SGD, lr: 1.0}", "{custom_keys: {head: {lr_mult: 0.0}}}");
  const Tensor head_before = ops::clone(net->head->weight());
  const Tensor encoder_before = ops::clone(net->encoder->weight());
  (*net)(ops::randn({2, 4})).sum().backward();
  sgd->step();
  expect_close(net->head->weight(), head_before);
  expect_close(net->encoder->weight(), ops::sub(encoder_before, net->encoder->weight().grad()));
}

TEST_F(OptimizerBuilders, ParamwiseArgsAllHaveDocs) {
  std::vector<std::string> names;
  for (const config::ArgSpec& arg : runtime::paramwise_cfg_args()) {
    EXPECT_FALSE(arg.doc.empty()) << arg.name;
    names.push_back(arg.name);
  }
  EXPECT_THAT(names, UnorderedElementsAre("custom_keys", "norm_decay_mult", "bias_decay_mult", "bias_lr_mult",
                                          "dwconv_decay_mult", "flat_decay_mult", "bypass_duplicate"));
}

}  // namespace
}  // namespace mini::testing
