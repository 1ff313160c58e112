// merge_into and load_file: `_base_` inheritance with MMEngine semantics.
#include "config_testing.h"

namespace mini::config {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::config_error;
using testing::TempDir;

TEST(ConfigMerge, MapsMergeKeyByKeyAtEveryDepth) {
  Node base = parse_yaml("model:\n  type: MLP\n  hidden: 32\n  act: {type: ReLU}\nseed: 1\n");
  merge_into(base, parse_yaml("model:\n  hidden: 64\n  act: {inplace: true}\n"));
  EXPECT_EQ(base, parse_yaml("model:\n  type: MLP\n  hidden: 64\n  act: {type: ReLU, inplace: true}\nseed: 1\n"));
  EXPECT_EQ(base.at("model").at("act").at("inplace").path(), "model.act.inplace");
}

TEST(ConfigMerge, ListsReplaceInsteadOfMerging) {
  Node base = parse_yaml("milestones: [3, 6, 9]\n");
  merge_into(base, parse_yaml("milestones: [5]\n"));
  EXPECT_EQ(base, parse_yaml("milestones: [5]\n"));
}

TEST(ConfigMerge, ScalarsAndTypeChangesReplace) {
  Node base = parse_yaml("a: {x: 1}\nb: 2\n");
  merge_into(base, parse_yaml("a: 5\nb: {y: 1}\n"));
  EXPECT_EQ(base, parse_yaml("a: 5\nb: {y: 1}\n"));
}

TEST(ConfigMerge, DeleteTrueReplacesTheInheritedMap) {
  Node base = parse_yaml("optimizer:\n  type: SGD\n  lr: 0.1\n  momentum: 0.9\n");
  merge_into(base, parse_yaml("optimizer:\n  _delete_: true\n  type: AdamW\n  lr: 0.001\n"));
  EXPECT_EQ(base, parse_yaml("optimizer:\n  type: AdamW\n  lr: 0.001\n"));
  EXPECT_FALSE(base.at("optimizer").contains("_delete_"));
}

TEST(ConfigMerge, DeleteFalseMergesAndIsRemoved) {
  Node base = parse_yaml("o: {a: 1}\n");
  merge_into(base, parse_yaml("o: {_delete_: false, b: 2}\n"));
  EXPECT_EQ(base, parse_yaml("o: {a: 1, b: 2}\n"));
}

TEST(ConfigMerge, DeleteMustBeABool) {
  Node base = parse_yaml("o: {a: 1}\n");
  EXPECT_THAT(config_error([&] { merge_into(base, parse_yaml("o: {_delete_: yes}\n", "t.yaml")); }),
              HasSubstr("t.yaml:1: o._delete_: expected true or false, got 'yes' (string)"));
}

TEST(ConfigLoad, BaseKeyIsRemovedAndBaseValuesInherited) {
  TempDir dir;
  dir.write("base.yaml", "a: 1\nb: {x: 1, y: 2}\n");
  Node cfg = load_file(dir.write("train.yaml", "_base_: base.yaml\nb: {y: 3}\nc: 4\n"));
  EXPECT_EQ(cfg, parse_yaml("a: 1\nb: {x: 1, y: 3}\nc: 4\n"));
  EXPECT_FALSE(cfg.contains("_base_"));
}

TEST(ConfigLoad, BasesMergeLeftToRightThenTheFileOnTop) {
  TempDir dir;
  dir.write("one.yaml", "a: 1\nb: 1\nc: 1\n");
  dir.write("two.yaml", "b: 2\nc: 2\n");
  Node cfg = load_file(dir.write("train.yaml", "_base_: [one.yaml, two.yaml]\nc: 3\n"));
  EXPECT_EQ(cfg, parse_yaml("a: 1\nb: 2\nc: 3\n"));
}

TEST(ConfigLoad, NestedBasesResolveRelativeToTheIncludingFile) {
  TempDir dir;
  dir.write("configs/_base_/schedules/sgd.yaml", "optimizer: {type: SGD, lr: 0.1}\nepochs: 10\n");
  dir.write("configs/_base_/default.yaml", "_base_: schedules/sgd.yaml\nseed: 0\n");
  dir.write("configs/_base_/models/mlp.yaml", "model: {type: MLP}\n");
  Node cfg = load_file(dir.write("configs/exp/train.yaml",
                                 "_base_: [../_base_/default.yaml, ../_base_/models/mlp.yaml]\nepochs: 20\n"));
  EXPECT_EQ(cfg, parse_yaml("optimizer: {type: SGD, lr: 0.1}\nepochs: 20\nseed: 0\nmodel: {type: MLP}\n"));
}

TEST(ConfigLoad, NodesFromBasesRecordTheIncludeChain) {
  TempDir dir;
  dir.write("sgd.yaml", "lr: fast\n");
  dir.write("default.yaml", "_base_: sgd.yaml\n");
  const std::string train = dir.write("train.yaml", "_base_: default.yaml\nown: 1\n");
  Node cfg = load_file(train);
  const SourceLocation& lr = cfg.at("lr").location();
  EXPECT_THAT(lr.file, EndsWith("sgd.yaml"));
  EXPECT_EQ(lr.line, 1);
  ASSERT_EQ(lr.included_by.size(), 2u);
  EXPECT_THAT(lr.included_by[0], EndsWith("default.yaml"));
  EXPECT_EQ(lr.included_by[1], train);
  EXPECT_TRUE(cfg.at("own").location().included_by.empty());
  EXPECT_THAT(config_error([&] { cfg.at("lr").as_double(); }),
              HasSubstr("sgd.yaml:1: lr: expected a number, got 'fast' (string) (included from "));
  EXPECT_THAT(config_error([&] { cfg.at("lr").as_double(); }), HasSubstr("default.yaml <- " + train + ")"));
}

TEST(ConfigLoad, MissingBaseNamesTheIncludingFileAndTheResolvedPath) {
  TempDir dir;
  std::string train = dir.write("train.yaml", "_base_: schedules/sgd.yaml\n");
  EXPECT_EQ(config_error([&] { load_file(train); }),
            train + ":1: _base_: file 'schedules/sgd.yaml' not found (resolved to " +
                dir.path("schedules/sgd.yaml") + ")");
}

TEST(ConfigLoad, MissingBaseInAListNamesItsLine) {
  TempDir dir;
  dir.write("a.yaml", "x: 1\n");
  std::string train = dir.write("train.yaml", "_base_:\n  - a.yaml\n  - b.yaml\n");
  EXPECT_THAT(config_error([&] { load_file(train); }), StartsWith(train + ":3: _base_: file 'b.yaml' not found"));
}

TEST(ConfigLoad, BaseCycleListsTheFilesAroundIt) {
  TempDir dir;
  std::string a = dir.write("a.yaml", "_base_: b.yaml\n");
  std::string b = dir.write("b.yaml", "_base_: a.yaml\n");
  EXPECT_THAT(config_error([&] { load_file(a); }), HasSubstr("_base_ cycle: " + a + " -> " + b + " -> " + a));
}

TEST(ConfigLoad, FileIncludingItselfIsACycle) {
  TempDir dir;
  std::string a = dir.write("a.yaml", "_base_: ./a.yaml\n");
  EXPECT_THAT(config_error([&] { load_file(a); }), HasSubstr("_base_ cycle: " + a + " -> " + a));
}

TEST(ConfigLoad, SameBaseTwiceIsNotACycle) {
  TempDir dir;
  dir.write("common.yaml", "seed: 1\n");
  dir.write("x.yaml", "_base_: common.yaml\nx: 1\n");
  dir.write("y.yaml", "_base_: common.yaml\ny: 1\n");
  Node cfg = load_file(dir.write("train.yaml", "_base_: [x.yaml, y.yaml]\n"));
  EXPECT_EQ(cfg, parse_yaml("seed: 1\nx: 1\ny: 1\n"));
}

TEST(ConfigLoad, DeleteInTheFileReplacesTheBaseMap) {
  TempDir dir;
  dir.write("base.yaml", "default_hooks:\n  logger: {type: Logger}\n  checkpoint: {type: Checkpoint}\n");
  Node cfg = load_file(dir.write("train.yaml", "_base_: base.yaml\ndefault_hooks:\n  _delete_: true\n  logger: {type: Logger}\n"));
  EXPECT_EQ(cfg, parse_yaml("default_hooks:\n  logger: {type: Logger}\n"));
}

TEST(ConfigLoad, DeleteKeysWithoutABaseAreRemoved) {
  TempDir dir;
  Node cfg = load_file(dir.write("train.yaml", "a: {_delete_: true, b: {_delete_: true, c: 1}}\n"));
  EXPECT_EQ(cfg, parse_yaml("a: {b: {c: 1}}\n"));
}

TEST(ConfigLoad, MissingFileIsAnError) {
  TempDir dir;
  EXPECT_THAT(config_error([&] { load_file(dir.path("nope.yaml")); }),
              HasSubstr("config file '" + dir.path("nope.yaml") + "' not found"));
}

TEST(ConfigLoad, TopLevelMustBeAMap) {
  TempDir dir;
  std::string path = dir.write("list.yaml", "- 1\n- 2\n");
  EXPECT_THAT(config_error([&] { load_file(path); }), HasSubstr("the top level of a config file must be a map"));
}

TEST(ConfigLoad, EmptyFileIsAnEmptyMap) {
  TempDir dir;
  Node cfg = load_file(dir.write("empty.yaml", ""));
  EXPECT_TRUE(cfg.is_map());
  EXPECT_EQ(cfg.size(), 0u);
}

}  // namespace
}  // namespace mini::config
