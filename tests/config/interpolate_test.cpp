// resolve_interpolations: ${a.b}, ${env:NAME,default}, $${ escapes.
#include <cstdlib>

#include "config_testing.h"

namespace mini::config {
namespace {

using ::testing::HasSubstr;
using testing::config_error;
using testing::TempDir;

Node resolved(const std::string& yaml) {
  Node root = parse_yaml(yaml, "i.yaml");
  resolve_interpolations(root);
  return root;
}

TEST(ConfigInterpolate, WholeScalarReferenceCopiesAndKeepsTheType) {
  Node cfg = resolved(
      "num_classes: 10\nmilestones: [3, 6]\ndata: {type: Synthetic, size: 5}\n"
      "model: {classes: '${num_classes}', steps: '${milestones}', val_data: '${data}'}\n");
  EXPECT_EQ(cfg.at("model").at("classes").type_name(), "int");
  EXPECT_EQ(cfg.at("model").at("classes").as_int(), 10);
  EXPECT_EQ(cfg.at("model").at("steps"), parse_yaml("[3, 6]"));
  EXPECT_EQ(cfg.at("model").at("val_data"), parse_yaml("{type: Synthetic, size: 5}"));
  EXPECT_EQ(cfg.at("model").at("val_data").at("size").path(), "model.val_data.size");
}

TEST(ConfigInterpolate, UnquotedWholeReferenceWorksToo) {
  Node cfg = resolved("a: 0.5\nb: ${a}\n");
  EXPECT_DOUBLE_EQ(cfg.at("b").as_double(), 0.5);
}

TEST(ConfigInterpolate, ReferenceInsideAStringIsSubstitutedAsText) {
  Node cfg = resolved("name: mlp\nepochs: 5\nwork_dir: runs/${name}_e${epochs}\nn: ~\nt: x${n}\n");
  EXPECT_EQ(cfg.at("work_dir").as_string(), "runs/mlp_e5");
  EXPECT_EQ(cfg.at("work_dir").type_name(), "string");
  EXPECT_EQ(cfg.at("t").as_string(), "xnull");
}

TEST(ConfigInterpolate, MapInsideAStringIsAnError) {
  EXPECT_EQ(config_error([] { resolved("m: {a: 1}\ns: x_${m}\n"); }),
            "i.yaml:2: s: '${m}' is a map and cannot be part of a string; write it alone as the whole "
            "value to copy it");
}

TEST(ConfigInterpolate, ListElementsAreReferencedByIndex) {
  Node cfg = resolved("sizes: [8, 16, 32]\nhidden: ${sizes.1}\nhooks: [{p: 3}]\np: ${hooks.0.p}\n");
  EXPECT_EQ(cfg.at("hidden").as_int(), 16);
  EXPECT_EQ(cfg.at("p").as_int(), 3);
}

TEST(ConfigInterpolate, EnvironmentVariableIsRead) {
  ::setenv("MINI_CONFIG_TEST_VAR", "42", 1);
  Node cfg = resolved("a: ${env:MINI_CONFIG_TEST_VAR}\nb: '${env:MINI_CONFIG_TEST_VAR}'\nc: p_${env:MINI_CONFIG_TEST_VAR}\n");
  ::unsetenv("MINI_CONFIG_TEST_VAR");
  EXPECT_EQ(cfg.at("a").as_int(), 42);
  EXPECT_EQ(cfg.at("b").type_name(), "string");  // quoted: stays a string
  EXPECT_EQ(cfg.at("c").as_string(), "p_42");
}

TEST(ConfigInterpolate, EnvironmentDefaultIsUsedWhenUnset) {
  ::unsetenv("MINI_CONFIG_TEST_UNSET");
  Node cfg = resolved("a: ${env:MINI_CONFIG_TEST_UNSET,7}\nb: ${env:MINI_CONFIG_TEST_UNSET, /data/x}\n");
  EXPECT_EQ(cfg.at("a").as_int(), 7);
  EXPECT_EQ(cfg.at("b").as_string(), "/data/x");
}

TEST(ConfigInterpolate, MissingEnvironmentVariableWithoutDefaultIsAnError) {
  ::unsetenv("MINI_CONFIG_TEST_UNSET");
  EXPECT_EQ(config_error([] { resolved("x: 1\ndata_root: ${env:MINI_CONFIG_TEST_UNSET}\n"); }),
            "i.yaml:2: data_root: environment variable 'MINI_CONFIG_TEST_UNSET' is not set (write "
            "'${env:MINI_CONFIG_TEST_UNSET,default}' to give a default)");
}

TEST(ConfigInterpolate, ReferencedValuesAreResolvedFirst) {
  Node cfg = resolved("a: ${b}\nb: ${c.x}\nc: {x: '${d}'}\nd: 3\ns: v${a}\n");
  EXPECT_EQ(cfg.at("a").as_int(), 3);
  EXPECT_EQ(cfg.at("s").as_string(), "v3");
}

TEST(ConfigInterpolate, ReferenceThroughAnInterpolatedMap) {
  Node cfg = resolved("base: {lr: 0.1}\nopt: ${base}\nlr: ${opt.lr}\n");
  EXPECT_DOUBLE_EQ(cfg.at("lr").as_double(), 0.1);
}

TEST(ConfigInterpolate, CycleIsAnErrorNamingEveryKeyOnIt) {
  EXPECT_THAT(config_error([] { resolved("a: ${b}\nb: ${c}\nc: ${a}\n"); }),
              HasSubstr("i.yaml:3: c: interpolation cycle: a -> b -> c -> a"));
  EXPECT_THAT(config_error([] { resolved("a: ${a}\n"); }), HasSubstr("interpolation cycle: a -> a"));
  EXPECT_THAT(config_error([] { resolved("m: {x: '${m}'}\n"); }), HasSubstr("interpolation cycle: m -> m.x -> m"));
}

TEST(ConfigInterpolate, MissingKeyNamesTheHolderAndSuggests) {
  EXPECT_EQ(config_error([] { resolved("model: {num_classes: 3}\nx: 1\nhead: ${model.num_clases}\n"); }),
            "i.yaml:3: head: '${model.num_clases}': key 'model.num_clases' not found; did you mean 'num_classes'?");
}

TEST(ConfigInterpolate, BadListIndexIsAnError) {
  EXPECT_THAT(config_error([] { resolved("l: [1]\nx: ${l.3}\n"); }),
              HasSubstr("i.yaml:2: x: '${l.3}': '3' is not an index into the list 'l' (1 elements)"));
}

TEST(ConfigInterpolate, DollarDollarEscapesALiteralReference) {
  Node cfg = resolved("a: 1\nliteral: $${a}\nmixed: ${a} costs $${x}\n");
  EXPECT_EQ(cfg.at("literal").as_string(), "${a}");
  EXPECT_EQ(cfg.at("mixed").as_string(), "1 costs ${x}");
}

TEST(ConfigInterpolate, CopiedEscapedLiteralIsNotReinterpreted) {
  Node cfg = resolved("a: $${b}\nc: ${a}\nm: {t: '$${z}'}\nn: ${m}\nu: ${n.t}\n");
  EXPECT_EQ(cfg.at("c").as_string(), "${b}");
  EXPECT_EQ(cfg.at("u").as_string(), "${z}");
}

TEST(ConfigInterpolate, UnterminatedReferenceIsAnError) {
  EXPECT_THAT(config_error([] { resolved("a: x${b\n"); }), HasSubstr("i.yaml:1: a: unterminated '${' in 'x${b'"));
}

TEST(ConfigInterpolate, OverrideReachesEveryInterpolatedCopy) {
  TempDir dir;
  dir.write("base.yaml", "num_classes: 10\n");
  std::string train = dir.write("train.yaml", "_base_: base.yaml\nmodel: {out: '${num_classes}'}\n");
  Node cfg = load_config(train, {"num_classes=4"});
  EXPECT_EQ(cfg.at("model").at("out").as_int(), 4);
}

TEST(ConfigInterpolate, OverrideValueMayInterpolate) {
  TempDir dir;
  std::string train = dir.write("train.yaml", "name: mlp\nwork_dir: runs\n");
  Node cfg = load_config(train, {"work_dir=runs/${name}"});
  EXPECT_EQ(cfg.at("work_dir").as_string(), "runs/mlp");
}

}  // namespace
}  // namespace mini::config
