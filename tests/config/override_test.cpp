// apply_override: "a.b.c=value" from the command line.
#include "config_testing.h"

namespace mini::config {
namespace {

using ::testing::HasSubstr;
using testing::config_error;

Node sample() {
  return parse_yaml(
      "optim_wrapper:\n  optimizer: {type: SGD, lr: 0.1}\n"
      "param_scheduler: {milestones: [3, 6]}\n"
      "custom_hooks:\n  - {type: EarlyStopping, patience: 3}\n"
      "default_hooks:\n  checkpoint: {type: Checkpoint}\n  logger: {type: Logger}\n",
      "train.yaml");
}

TEST(ConfigOverride, ValuesAreTypedAsYaml) {
  Node cfg = sample();
  apply_overrides(cfg, {"optim_wrapper.optimizer.lr=1e-3", "a=5", "b=true", "name='001'", "plain=abc"});
  EXPECT_EQ(cfg.at("optim_wrapper").at("optimizer").at("lr").type_name(), "float");
  EXPECT_DOUBLE_EQ(cfg.at("optim_wrapper").at("optimizer").at("lr").as_double(), 1e-3);
  EXPECT_EQ(cfg.at("a").as_int(), 5);
  EXPECT_TRUE(cfg.at("b").as_bool());
  EXPECT_EQ(cfg.at("name").type_name(), "string");
  EXPECT_EQ(cfg.at("name").as_string(), "001");
  EXPECT_EQ(cfg.at("plain").as_string(), "abc");
}

TEST(ConfigOverride, FlowListValueBecomesAList) {
  Node cfg = sample();
  apply_override(cfg, "param_scheduler.milestones=[3,6,9]");
  EXPECT_EQ(cfg.at("param_scheduler").at("milestones"), parse_yaml("[3, 6, 9]"));
  EXPECT_EQ(cfg.at("param_scheduler").at("milestones")[2].path(), "param_scheduler.milestones.2");
}

TEST(ConfigOverride, NumericSegmentIndexesAList) {
  Node cfg = sample();
  apply_override(cfg, "custom_hooks.0.patience=5");
  EXPECT_EQ(cfg.at("custom_hooks")[0].at("patience").as_int(), 5);
  apply_override(cfg, "param_scheduler.milestones.1=8");
  EXPECT_EQ(cfg.at("param_scheduler").at("milestones"), parse_yaml("[3, 8]"));
}

TEST(ConfigOverride, MissingIntermediateMapsAreCreated) {
  Node cfg = sample();
  apply_override(cfg, "env_cfg.dist.backend=nccl");
  EXPECT_EQ(cfg.at("env_cfg").at("dist").at("backend").as_string(), "nccl");
  EXPECT_EQ(cfg.at("env_cfg").at("dist").at("backend").path(), "env_cfg.dist.backend");
}

TEST(ConfigOverride, NullValueSetsNull) {
  Node cfg = sample();
  apply_override(cfg, "default_hooks.checkpoint=null");
  EXPECT_TRUE(cfg.at("default_hooks").at("checkpoint").is_null());
  EXPECT_TRUE(cfg.at("default_hooks").at("logger").is_map());
}

TEST(ConfigOverride, EmptyValueIsNull) {
  Node cfg = sample();
  apply_override(cfg, "work_dir=");
  EXPECT_TRUE(cfg.at("work_dir").is_null());
}

TEST(ConfigOverride, OverriddenValuesAreLocatedOnTheCommandLine) {
  Node cfg = sample();
  apply_override(cfg, "optim_wrapper.optimizer.lr=fast");
  const Node& lr = cfg.at("optim_wrapper").at("optimizer").at("lr");
  EXPECT_EQ(lr.location().origin, "command line");
  EXPECT_EQ(config_error([&] { lr.as_double(); }),
            "command line override 'optim_wrapper.optimizer.lr=fast': optim_wrapper.optimizer.lr: "
            "expected a number, got 'fast' (string)");
}

TEST(ConfigOverride, WithoutEqualsIsAnError) {
  Node cfg = sample();
  EXPECT_THAT(config_error([&] { apply_override(cfg, "optim_wrapper.optimizer.lr"); }),
              HasSubstr("command line override 'optim_wrapper.optimizer.lr': expected key=value"));
}

TEST(ConfigOverride, EmptyKeyOrSegmentIsAnError) {
  Node cfg = sample();
  EXPECT_THAT(config_error([&] { apply_override(cfg, "=3"); }), HasSubstr("the key before '=' is empty"));
  EXPECT_THAT(config_error([&] { apply_override(cfg, "a..b=3"); }), HasSubstr("key 'a..b' has an empty segment"));
}

TEST(ConfigOverride, NonNumericSegmentIntoAListIsAnError) {
  Node cfg = sample();
  EXPECT_EQ(config_error([&] { apply_override(cfg, "custom_hooks.first.patience=5"); }),
            "command line override 'custom_hooks.first.patience=5': 'first' is not a list index, and "
            "'custom_hooks' is a list");
}

TEST(ConfigOverride, IndexPastTheEndIsAnError) {
  Node cfg = sample();
  EXPECT_EQ(config_error([&] { apply_override(cfg, "custom_hooks.1.patience=5"); }),
            "command line override 'custom_hooks.1.patience=5': index 1 is past the end of 'custom_hooks' "
            "(1 elements)");
}

TEST(ConfigOverride, KeyInsideAScalarIsAnError) {
  Node cfg = sample();
  EXPECT_THAT(config_error([&] { apply_override(cfg, "optim_wrapper.optimizer.lr.x=5"); }),
              HasSubstr("cannot set 'x' inside 'optim_wrapper.optimizer.lr', which is '0.1' (float)"));
}

TEST(ConfigOverride, InvalidYamlValueIsAnError) {
  Node cfg = sample();
  EXPECT_THAT(config_error([&] { apply_override(cfg, "a=[1,"); }),
              HasSubstr("command line override 'a=[1,': value:1:1: YAML syntax error"));
}

TEST(ConfigOverride, OverridesApplyInOrder) {
  Node cfg = sample();
  apply_overrides(cfg, {"a=1", "a=2"});
  EXPECT_EQ(cfg.at("a").as_int(), 2);
}

}  // namespace
}  // namespace mini::config
