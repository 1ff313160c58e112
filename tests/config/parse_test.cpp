// parse_yaml and Node: YAML 1.2 core-schema scalars, locations, paths, errors.
#include <cmath>

#include "config_testing.h"

namespace mini::config {
namespace {

using ::testing::HasSubstr;
using testing::config_error;

TEST(ConfigParse, PlainScalarsReadByYaml12CoreSchema) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1", "int"},        {"-12", "int"},      {"+3", "int"},        {"0x1F", "int"},
      {"0o17", "int"},     {"1.5", "float"},    {"1e-3", "float"},    {"-2.5E+4", "float"},
      {".5", "float"},     {"5.", "float"},     {".inf", "float"},    {"-.inf", "float"},
      {".nan", "float"},   {"true", "bool"},    {"False", "bool"},    {"TRUE", "bool"},
      {"yes", "string"},   {"on", "string"},    {"abc", "string"},    {"1.2.3", "string"},
      {"0x", "string"},    {"1e", "string"},    {"0o8", "string"},    {"tRue", "string"},
  };
  for (const auto& [text, type] : cases) {
    EXPECT_EQ(parse_yaml("v: " + text).at("v").type_name(), type) << text;
  }
}

TEST(ConfigParse, NullSpellingsAndEmptyValuesAreNullNodes) {
  Node root = parse_yaml("a: null\nb: ~\nc:\nd: Null\ne: NULL\n");
  for (const char* key : {"a", "b", "c", "d", "e"}) {
    EXPECT_TRUE(root.at(key).is_null()) << key;
    EXPECT_EQ(root.at(key).type_name(), "null");
  }
}

TEST(ConfigParse, QuotedScalarsStayStrings) {
  Node root = parse_yaml("a: '1'\nb: \"true\"\nc: 'null'\nd: \"001\"\ne: |\n  5\n");
  for (const char* key : {"a", "b", "c", "d", "e"}) {
    EXPECT_TRUE(root.at(key).is_scalar()) << key;
    EXPECT_EQ(root.at(key).type_name(), "string") << key;
    EXPECT_TRUE(root.at(key).quoted()) << key;
  }
  EXPECT_EQ(root.at("d").as_string(), "001");
  EXPECT_THAT(config_error([&] { root.at("a").as_int(); }), HasSubstr("expected an int, got '1' (string)"));
}

TEST(ConfigParse, IntsReadInDecimalHexAndOctalWithSign) {
  Node root = parse_yaml("a: 42\nb: -7\nc: 0x10\nd: 0o17\ne: -0x10\nf: +5\n");
  EXPECT_EQ(root.at("a").as_int(), 42);
  EXPECT_EQ(root.at("b").as_int(), -7);
  EXPECT_EQ(root.at("c").as_int(), 16);
  EXPECT_EQ(root.at("d").as_int(), 15);
  EXPECT_EQ(root.at("e").as_int(), -16);
  EXPECT_EQ(root.at("f").as_int(), 5);
}

TEST(ConfigParse, Int64ExtremesReadAndOverflowIsAnError) {
  Node root = parse_yaml("min: -9223372036854775808\nmax: 9223372036854775807\nbig: 9223372036854775808\n");
  EXPECT_EQ(root.at("min").as_int(), INT64_MIN);
  EXPECT_EQ(root.at("max").as_int(), INT64_MAX);
  EXPECT_THAT(config_error([&] { root.at("big").as_int(); }), HasSubstr("big: int '9223372036854775808' does not fit"));
}

TEST(ConfigParse, FloatsIncludeExponentsInfinityAndNan) {
  Node root = parse_yaml("a: 1.5\nb: 1e-3\nc: .inf\nd: -.inf\ne: .nan\nf: 3\n");
  EXPECT_DOUBLE_EQ(root.at("a").as_double(), 1.5);
  EXPECT_DOUBLE_EQ(root.at("b").as_double(), 1e-3);
  EXPECT_EQ(root.at("c").as_double(), INFINITY);
  EXPECT_EQ(root.at("d").as_double(), -INFINITY);
  EXPECT_TRUE(std::isnan(root.at("e").as_double()));
  EXPECT_DOUBLE_EQ(root.at("f").as_double(), 3.0);  // as_double accepts ints
}

TEST(ConfigParse, BoolsReadInThreeCasings) {
  Node root = parse_yaml("a: true\nb: True\nc: FALSE\n");
  EXPECT_TRUE(root.at("a").as_bool());
  EXPECT_TRUE(root.at("b").as_bool());
  EXPECT_FALSE(root.at("c").as_bool());
}

TEST(ConfigParse, AsIntOnFloatNamesFileLinePathAndType) {
  Node root = parse_yaml("optim_wrapper:\n  optimizer:\n    lr: 1.5\n    name: abc\n", "train.yaml");
  const Node& lr = root.at("optim_wrapper").at("optimizer").at("lr");
  EXPECT_EQ(config_error([&] { lr.as_int(); }),
            "train.yaml:3: optim_wrapper.optimizer.lr: expected an int, got '1.5' (float)");
  const Node& name = root.at("optim_wrapper").at("optimizer").at("name");
  EXPECT_EQ(config_error([&] { name.as_double(); }),
            "train.yaml:4: optim_wrapper.optimizer.name: expected a number, got 'abc' (string)");
  EXPECT_THAT(config_error([&] { name.as_bool(); }), HasSubstr("expected a bool"));
  EXPECT_THAT(config_error([&] { root.at("optim_wrapper").as_string(); }),
              HasSubstr("optim_wrapper: expected a string, got a map"));
}

TEST(ConfigParse, LocationsAreOneBasedLineAndColumn) {
  Node root = parse_yaml("a: 1\nlist:\n  - x\n  - [1, 2]\n", "f.yaml");
  EXPECT_EQ(root.at("a").location().file, "f.yaml");
  EXPECT_EQ(root.at("a").location().line, 1);
  EXPECT_EQ(root.at("a").location().column, 4);
  EXPECT_EQ(root.at("list")[0].location().line, 3);
  EXPECT_EQ(root.at("list")[0].location().column, 5);
  EXPECT_EQ(root.at("list")[1][1].location().line, 4);
  EXPECT_EQ(root.at("list")[1][1].location().column, 9);
  EXPECT_EQ(root.at("a").location().str(), "f.yaml:1");
}

TEST(ConfigParse, BlockValuesAndNullsAreLocatedAtTheirKey) {
  Node root = parse_yaml("model:\n  type: MLP\nhook:\nnext: 1\n", "f.yaml");
  EXPECT_EQ(root.at("model").location().line, 1);
  EXPECT_EQ(root.at("hook").location().line, 3);
}

TEST(ConfigParse, SyntaxErrorNamesFileLineAndColumn) {
  EXPECT_THAT(config_error([] { parse_yaml("a: [1,\nb: 2", "bad.yaml"); }),
              HasSubstr("bad.yaml:2:1: YAML syntax error: end of sequence flow not found"));
  EXPECT_THAT(config_error([] { parse_yaml("a: 1\n b: 2", "bad.yaml"); }), HasSubstr("bad.yaml:2:3: YAML syntax error"));
}

TEST(ConfigParse, DuplicateKeyNamesBothLines) {
  EXPECT_EQ(config_error([] { parse_yaml("a: 1\nb: 2\na: 3\n", "dup.yaml"); }),
            "dup.yaml:3:1: duplicate key 'a' (first set at line 1)");
}

TEST(ConfigParse, UnsupportedTagIsAnError) {
  EXPECT_THAT(config_error([] { parse_yaml("a: !python/object 3\n", "t.yaml"); }),
              HasSubstr("t.yaml:1:4: YAML tag '!python/object' is not supported"));
  EXPECT_EQ(parse_yaml("a: !!str 5\n").at("a").type_name(), "string");
}

TEST(ConfigParse, EmptyDocumentIsNull) {
  EXPECT_TRUE(parse_yaml("").is_null());
  EXPECT_TRUE(parse_yaml("# only a comment\n").is_null());
}

TEST(ConfigParse, AliasesAreExpandedIntoCopies) {
  Node root = parse_yaml("a: &shared [1, 2]\nb: *shared\n");
  EXPECT_EQ(root.at("a"), root.at("b"));
  EXPECT_EQ(root.at("b").path(), "b");
}

TEST(ConfigNode, MapsKeepInsertionOrder) {
  Node root = parse_yaml("z: 1\na: 2\nm: 3\n");
  EXPECT_EQ(root.keys(), (std::vector<std::string>{"z", "a", "m"}));
}

TEST(ConfigNode, PathsAreDottedWithListIndices) {
  Node root = parse_yaml("custom_hooks:\n  - type: EMA\n    momentum: 0.1\n");
  EXPECT_EQ(root.path(), "");
  EXPECT_EQ(root.at("custom_hooks")[0].at("momentum").path(), "custom_hooks.0.momentum");
}

TEST(ConfigNode, SetAndPushBackKeepPathsCurrent) {
  Node root = Node::map();
  Node hooks = Node::sequence();
  hooks.push_back(Node::map());
  hooks[0].set("type", Node::from("EMA"));
  root.set("hooks", hooks);
  EXPECT_EQ(root.at("hooks")[0].at("type").path(), "hooks.0.type");
  root["new"]["deep"] = Node::from(3);
  EXPECT_EQ(root.at("new").path(), "new");
  EXPECT_EQ(root.at("new").at("deep").as_int(), 3);
}

TEST(ConfigNode, MissingKeySuggestsTheClosestOne) {
  Node root = parse_yaml("model:\n  num_classes: 10\n", "m.yaml");
  EXPECT_EQ(config_error([&] { root.at("model").at("num_clases"); }),
            "m.yaml:1: model: missing key 'num_clases'; did you mean 'num_classes'?");
}

TEST(ConfigNode, IndexPastTheEndIsAnError) {
  Node root = parse_yaml("l: [1, 2]\n", "l.yaml");
  EXPECT_EQ(config_error([&] { root.at("l")[2]; }), "l.yaml:1: l: index 2 is out of range for a list of 2 elements");
}

TEST(ConfigNode, EraseRemovesAKey) {
  Node root = parse_yaml("a: 1\nb: 2\n");
  EXPECT_TRUE(root.erase("a"));
  EXPECT_FALSE(root.erase("a"));
  EXPECT_EQ(root.keys(), std::vector<std::string>{"b"});
}

TEST(ConfigNode, FromValuesKeepTheirTypes) {
  EXPECT_EQ(Node::from(1.0).type_name(), "float");
  EXPECT_EQ(Node::from(1.0).text(), "1.0");
  EXPECT_DOUBLE_EQ(Node::from(1e-5).as_double(), 1e-5);
  EXPECT_EQ(Node::from(-INFINITY).text(), "-.inf");
  EXPECT_EQ(Node::from(int64_t{7}).as_int(), 7);
  EXPECT_EQ(Node::from(true).type_name(), "bool");
  EXPECT_EQ(Node::from("true").type_name(), "string");
}

TEST(ConfigNode, PlainNullTextMakesANullNode) {
  EXPECT_TRUE(Node::scalar("~").is_null());
  EXPECT_TRUE(Node::scalar("").is_null());
  EXPECT_TRUE(Node::scalar("null", {}, /*quoted=*/true).is_scalar());
}

TEST(ConfigNode, EqualityComparesTypesAndIgnoresLocationsAndKeyOrder) {
  EXPECT_EQ(parse_yaml("a: 1\nb: 'x'\n", "one.yaml"), parse_yaml("b: x\na: 1\n", "two.yaml"));
  EXPECT_NE(parse_yaml("a: 1\n"), parse_yaml("a: '1'\n"));
  EXPECT_NE(parse_yaml("a: 1\n"), parse_yaml("a: 1.0\n"));
  EXPECT_NE(parse_yaml("a: [1, 2]\n"), parse_yaml("a: [1]\n"));
  EXPECT_EQ(parse_yaml("a: ~\n"), parse_yaml("a: null\n"));
}

TEST(ConfigNode, LocationStrDescribesEveryOrigin) {
  SourceLocation location;
  EXPECT_EQ(location.str(), "<unknown>");
  location.origin = "command line";
  EXPECT_EQ(location.str(), "command line");
  location.override_text = "a.b=1";
  EXPECT_EQ(location.str(), "command line override 'a.b=1'");
  SourceLocation from_base;
  from_base.file = "base.yaml";
  from_base.line = 3;
  from_base.included_by = {"mid.yaml", "train.yaml"};
  EXPECT_EQ(from_base.str(), "base.yaml:3");
  EXPECT_EQ(from_base.chain(), " (included from mid.yaml <- train.yaml)");
}

}  // namespace
}  // namespace mini::config
