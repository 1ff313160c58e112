// to_yaml: readable block YAML that parses back to the same tree.
#include "config_testing.h"

namespace mini::config {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

TEST(ConfigEmit, MapsAndListsPrintInBlockStyle) {
  Node cfg = parse_yaml(
      "model:\n  type: MLP\n  hidden: [64, 64]\ncustom_hooks:\n  - type: EMA\n    momentum: 0.001\n"
      "  - type: EarlyStopping\nempty_map: {}\nempty_list: []\nnothing: ~\n");
  EXPECT_EQ(to_yaml(cfg),
            "model:\n"
            "  type: MLP\n"
            "  hidden: [64, 64]\n"
            "custom_hooks:\n"
            "  - type: EMA\n"
            "    momentum: 0.001\n"
            "  - type: EarlyStopping\n"
            "empty_map: {}\n"
            "empty_list: []\n"
            "nothing: null\n");
}

TEST(ConfigEmit, LongOrNestedListsPrintOneElementPerLine) {
  Node cfg = parse_yaml("nested: [[1, 2], [3]]\nlong: [aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb, cccccccccccccccccccc]\n");
  EXPECT_EQ(to_yaml(cfg),
            "nested:\n"
            "  - [1, 2]\n"
            "  - [3]\n"
            "long:\n"
            "  - aaaaaaaaaaaaaaaaaaaa\n"
            "  - bbbbbbbbbbbbbbbbbbbb\n"
            "  - cccccccccccccccccccc\n");
}

TEST(ConfigEmit, StringsAreQuotedOnlyWhenTheirPlainFormReadsDifferently) {
  Node cfg = parse_yaml(
      "a: '001'\nb: 'true'\nc: ''\nd: 'key: value'\ne: plain text\nf: 'null'\ng: '1e-3'\nh: -5\n"
      "i: '-x'\nj: 'a #b'\nk: \"line\\nbreak\"\nl: 'say \"hi\"'\nm: '\"hi\" first'\n");
  EXPECT_EQ(to_yaml(cfg),
            "a: \"001\"\nb: \"true\"\nc: \"\"\nd: \"key: value\"\ne: plain text\nf: \"null\"\ng: \"1e-3\"\n"
            "h: -5\ni: \"-x\"\nj: \"a #b\"\nk: \"line\\nbreak\"\nl: say \"hi\"\nm: \"\\\"hi\\\" first\"\n");
}

TEST(ConfigEmit, FlowListsQuoteCommasAndBrackets) {
  Node cfg = parse_yaml("l: ['a,b', '[x]', plain]\n");
  EXPECT_EQ(to_yaml(cfg), "l: [\"a,b\", \"[x]\", plain]\n");
}

TEST(ConfigEmit, RoundTripReproducesTheTree) {
  Node cfg = parse_yaml(
      "model:\n  type: MLP\n  layers: [{in: 4, out: 8}, {in: 8, out: 2}]\n  act: null\n"
      "data: {root: '/data/x', 'odd key': 1, '001': zero, 'true': yes}\n"
      "strings: ['001', 'true', '', 'a: b', '- dash', '#hash', ' pad ', \"tab\\there\", 'ünïcode', '...']\n"
      "numbers: [1, -2, 0x10, 1.5e-3, .inf, -.inf, .nan, 1.0]\n"
      "deep: [[[1]], [{a: [1, {b: c}]}]]\nempty: {m: {}, l: []}\n");
  Node again = parse_yaml(to_yaml(cfg));
  EXPECT_EQ(again, cfg) << to_yaml(cfg);
}

TEST(ConfigEmit, RoundTripOfCodeMadeValues) {
  Node cfg = Node::map();
  cfg.set("lr", Node::from(0.1));
  cfg.set("steps", Node::from(int64_t{1000}));
  cfg.set("flag", Node::from(false));
  cfg.set("name", Node::from("1.5"));
  cfg.set("ratio", Node::from(2.0));
  EXPECT_EQ(parse_yaml(to_yaml(cfg)), cfg);
  EXPECT_THAT(to_yaml(cfg), HasSubstr("ratio: 2.0\n"));
  EXPECT_THAT(to_yaml(cfg), HasSubstr("name: \"1.5\"\n"));
}

TEST(ConfigEmit, ScalarRootPrintsAlone) {
  EXPECT_EQ(to_yaml(Node::from(int64_t{3})), "3\n");
  EXPECT_EQ(to_yaml(Node()), "null\n");
  EXPECT_EQ(to_yaml(Node::map()), "{}\n");
}

TEST(ConfigEmit, WithSourcesEndsScalarLinesWithTheirOrigin) {
  TempDir dir;
  dir.write("base.yaml", "lr: 0.1\n");
  std::string train = dir.write("train.yaml", "_base_: base.yaml\nmodel:\n  type: MLP\n");
  Node cfg = load_config(train, {"epochs=3"});
  std::string text = to_yaml(cfg, /*with_sources=*/true);
  EXPECT_THAT(text, HasSubstr("lr: 0.1  # " + dir.path("base.yaml") + ":1\n"));
  EXPECT_THAT(text, HasSubstr("model:\n  type: MLP  # " + train + ":3\n"));
  EXPECT_THAT(text, HasSubstr("epochs: 3  # command line\n"));
  EXPECT_EQ(parse_yaml(text), cfg);  // the comments do not change the tree
}

}  // namespace
}  // namespace mini::config
