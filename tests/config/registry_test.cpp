// Registry: validation against declared arguments, Args, and building.
#include <memory>

#include "config/registry.h"
#include "config_testing.h"

namespace mini::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::config_error;

// Test-only kinds, so these registries never meet the runtime's real ones.
struct Model {
  std::string type;
  int64_t num_classes = 0;
  double dropout = 0;
};

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest() {
    models.add({.type = "MLP",
                .doc = "a multi-layer perceptron",
                .args = {required("num_classes", ArgType::Int, "outputs"),
                         optional("hidden", ArgType::IntList, parse_yaml("[64]"), "hidden sizes"),
                         optional("dropout", ArgType::Float, Node::from(0.0), "dropout probability"),
                         optional("act", ArgType::String, Node::from("relu"), "activation"),
                         optional("head", ArgType::Map, Node(), "optional head settings"),
                         component("init", "test_init", "weight init", /*is_required=*/false)}},
               [](const Args& args) {
                 return Model{args.type(), args.get_int("num_classes"), args.get_double("dropout")};
               });
    models.add({.type = "ResNet", .doc = "", .args = {}}, [](const Args& args) { return Model{args.type()}; });
    optimizers.add({.type = "AdamW",
                    .doc = "",
                    .args = {optional("lr", ArgType::Float, Node::from(1e-3), "learning rate"),
                             optional("betas", ArgType::FloatList, parse_yaml("[0.9, 0.999]"), ""),
                             optional("amsgrad", ArgType::Bool, Node::from(false), "")}},
                   [](const Args&) { return 0; });
    ArgSpec mode = optional("mode", ArgType::String, Node::from("min"), "");
    mode.choices = {"min", "max"};
    hooks.add({.type = "EarlyStopping",
               .doc = "",
               .args = {required("patience", ArgType::Int, ""), mode,
                        optional("monitor", ArgType::String, Node(), "metric name, none for loss")}},
              [](const Args&) { return 0; });
    wrappers.add({.type = "OptimWrapper",
                  .doc = "",
                  .args = {component("optimizer", "test_optimizer", "the optimizer"),
                           component_list("hooks", "test_hook", "hooks"),
                           component("scheduler", "test_no_such_kind", "", false)}},
                 [](const Args&) { return 0; });
    wrappers.add({.type = "Passthrough", .doc = "", .args = {}, .allow_extra_args = true},
                 [](const Args&) { return 0; });
  }

  Registry<Model> models{"test_model"};
  Registry<int> optimizers{"test_optimizer"};
  Registry<int> hooks{"test_hook"};
  Registry<int> wrappers{"test_wrapper"};
};

TEST_F(RegistryTest, BuildValidatesThenBuildsWithDefaults) {
  Model model = models.build(parse_yaml("type: MLP\nnum_classes: 3\n"));
  EXPECT_EQ(model.type, "MLP");
  EXPECT_EQ(model.num_classes, 3);
  EXPECT_EQ(model.dropout, 0.0);
  EXPECT_THAT(config_error([&] { models.build(parse_yaml("type: MLP\nnum_classes: x\n")); }),
              HasSubstr("expects int"));
}

TEST_F(RegistryTest, TargetIsAnAliasForType) {
  EXPECT_EQ(models.build(parse_yaml("_target_: ResNet\n")).type, "ResNet");
  EXPECT_THAT(config_error([&] { models.validate(parse_yaml("type: ResNet\n_target_: ResNet\n")); }),
              HasSubstr("give either 'type' or '_target_', not both"));
}

TEST_F(RegistryTest, MissingTypeIsAnError) {
  EXPECT_EQ(config_error([&] { models.validate(parse_yaml("model:\n  num_classes: 3\n", "t.yaml").at("model")); }),
            "t.yaml:1: model: missing 'type' (the name of the component to build)");
}

TEST_F(RegistryTest, UnknownTypeSuggestsTheClosest) {
  Node cfg = parse_yaml("model:\n  type: MLPP\n", "t.yaml");
  EXPECT_EQ(config_error([&] { models.validate(cfg.at("model")); }),
            "t.yaml:2: model.type: unknown test_model type 'MLPP'; did you mean 'MLP'?");
}

TEST_F(RegistryTest, UnknownTypeWithNothingCloseListsTheKnownOnes) {
  EXPECT_THAT(config_error([&] { models.validate(parse_yaml("type: Transformer\n")); }),
              HasSubstr("unknown test_model type 'Transformer' (known: MLP, ResNet)"));
}

TEST_F(RegistryTest, UnknownArgumentSuggestsTheClosest) {
  Node cfg = parse_yaml(
      "optim_wrapper:\n  type: OptimWrapper\n  optimizer:\n    type: AdamW\n    lr_rate: 0.1\n", "train.yaml");
  EXPECT_EQ(config_error([&] { wrappers.validate(cfg.at("optim_wrapper")); }),
            "train.yaml:5: optim_wrapper.optimizer: unknown argument 'lr_rate' for AdamW; did you mean 'lr'?");
}

TEST_F(RegistryTest, UnknownArgumentWithNothingCloseListsTheArguments) {
  EXPECT_THAT(config_error([&] { optimizers.validate(parse_yaml("type: AdamW\nfoo: 1\n")); }),
              HasSubstr("unknown argument 'foo' for AdamW (arguments: lr, betas, amsgrad)"));
}

TEST_F(RegistryTest, AllowExtraArgsPassesUnknownKeys) {
  EXPECT_NO_THROW(wrappers.validate(parse_yaml("type: Passthrough\nanything: 1\n")));
}

TEST_F(RegistryTest, MissingRequiredArgumentIsAnError) {
  Node cfg = parse_yaml("seed: 1\nmodel:\n  type: MLP\n", "m.yaml");
  EXPECT_EQ(config_error([&] { models.validate(cfg.at("model")); }),
            "m.yaml:2: model: missing required argument 'num_classes' for MLP");
}

TEST_F(RegistryTest, WrongTypeNamesExpectedAndGot) {
  Node cfg = parse_yaml("model:\n  type: MLP\n  num_classes: 2.5\n", "m.yaml");
  EXPECT_EQ(config_error([&] { models.validate(cfg.at("model")); }),
            "m.yaml:3: model.num_classes: MLP argument 'num_classes' expects int, got '2.5' (float)");
  EXPECT_THAT(config_error([&] { models.validate(parse_yaml("type: MLP\nnum_classes: 2\nhead: [1]\n")); }),
              HasSubstr("MLP argument 'head' expects map, got a list"));
  EXPECT_THAT(config_error([&] { optimizers.validate(parse_yaml("type: AdamW\namsgrad: 1\n")); }),
              HasSubstr("AdamW argument 'amsgrad' expects bool, got '1' (int)"));
}

TEST_F(RegistryTest, FloatArgumentAcceptsAnInt) {
  EXPECT_NO_THROW(optimizers.validate(parse_yaml("type: AdamW\nlr: 1\nbetas: [1, 0.9]\n")));
}

TEST_F(RegistryTest, ListArgumentsCheckEveryElement) {
  Node cfg = parse_yaml("type: MLP\nnum_classes: 2\nhidden: [64, 32.5, 8]\n", "m.yaml");
  EXPECT_EQ(config_error([&] { models.validate(cfg); }),
            "m.yaml:3: hidden.1: MLP argument 'hidden' expects list[int], got '32.5' (float)");
}

TEST_F(RegistryTest, StringWithChoicesListsThem) {
  Node cfg = parse_yaml("type: EarlyStopping\npatience: 3\nmode: mx\n", "h.yaml");
  EXPECT_EQ(config_error([&] { hooks.validate(cfg); }),
            "h.yaml:3: mode: EarlyStopping argument 'mode' must be one of 'min', 'max', got 'mx'; did you mean 'max'?");
}

TEST_F(RegistryTest, NullableArgumentAcceptsNullOthersDoNot) {
  EXPECT_NO_THROW(hooks.validate(parse_yaml("type: EarlyStopping\npatience: 3\nmonitor: null\n")));
  EXPECT_THAT(config_error([&] { hooks.validate(parse_yaml("type: EarlyStopping\npatience: null\n")); }),
              HasSubstr("patience: EarlyStopping argument 'patience' expects int, got null"));
}

TEST_F(RegistryTest, NestedComponentErrorLocatesTheNestedKey) {
  Node cfg = parse_yaml(
      "optim_wrapper:\n  type: OptimWrapper\n  optimizer:\n    type: AdamW\n    betas: [0.9, high]\n", "train.yaml");
  EXPECT_EQ(config_error([&] { wrappers.validate(cfg.at("optim_wrapper")); }),
            "train.yaml:5: optim_wrapper.optimizer.betas.1: AdamW argument 'betas' expects list[float], got "
            "'high' (string)");
}

TEST_F(RegistryTest, NestedComponentMustBeAMapWithAType) {
  Node cfg = parse_yaml("type: OptimWrapper\noptimizer: AdamW\n", "w.yaml");
  EXPECT_EQ(config_error([&] { wrappers.validate(cfg); }),
            "w.yaml:2: optimizer: expected a component (a map with 'type: ...'), got 'AdamW' (string)");
}

TEST_F(RegistryTest, ComponentListValidatesEachElement) {
  Node cfg = parse_yaml(
      "type: OptimWrapper\noptimizer: {type: AdamW}\nhooks:\n  - {type: EarlyStopping, patience: 2}\n"
      "  - {type: EarlyStopping}\n",
      "w.yaml");
  EXPECT_EQ(config_error([&] { wrappers.validate(cfg); }),
            "w.yaml:5: hooks.1: missing required argument 'patience' for EarlyStopping");
}

TEST_F(RegistryTest, ComponentOfAKindWithoutRegistryOnlyNeedsAType) {
  EXPECT_NO_THROW(wrappers.validate(parse_yaml("type: OptimWrapper\noptimizer: {type: AdamW}\nscheduler: {type: X, a: 1}\n")));
  EXPECT_THAT(config_error([&] { wrappers.validate(parse_yaml("type: OptimWrapper\noptimizer: {type: AdamW}\nscheduler: {a: 1}\n")); }),
              HasSubstr("scheduler: missing 'type'"));
}

TEST_F(RegistryTest, RequiredComponentMustBeGiven) {
  EXPECT_THAT(config_error([&] { wrappers.validate(parse_yaml("type: OptimWrapper\n")); }),
              HasSubstr("missing required argument 'optimizer' for OptimWrapper"));
}

TEST_F(RegistryTest, ArgsReturnValuesOrDefaults) {
  Node cfg = parse_yaml("model:\n  type: MLP\n  num_classes: 3\n  dropout: 1\n", "m.yaml");
  const Node& model = cfg.at("model");
  Args args(model, *models.find("MLP"));
  EXPECT_EQ(args.type(), "MLP");
  EXPECT_TRUE(args.has("num_classes"));
  EXPECT_FALSE(args.has("hidden"));
  EXPECT_EQ(args.get_int_list("hidden"), std::vector<int64_t>{64});
  EXPECT_EQ(args.get_double("dropout"), 1.0);  // an int read as a double
  EXPECT_EQ(args.get_string("act"), "relu");
  EXPECT_TRUE(args.is_null("head"));
  EXPECT_TRUE(args.is_null("init"));
  EXPECT_EQ(args.node("hidden").location().origin, "default");
  EXPECT_EQ(args.node("hidden").path(), "model.hidden");
}

TEST_F(RegistryTest, ArgsFailPointsAtTheArgumentOrTheComponent) {
  Node cfg = parse_yaml("model:\n  type: MLP\n  num_classes: 3\n", "m.yaml");
  Args args(cfg.at("model"), *models.find("MLP"));
  EXPECT_EQ(config_error([&] { args.fail("num_classes", "must be even"); }), "m.yaml:3: model.num_classes: must be even");
  EXPECT_EQ(config_error([&] { args.fail("dropout", "too big"); }), "m.yaml:1: model: argument 'dropout': too big");
}

TEST_F(RegistryTest, ArgsReadingAnUndeclaredArgumentIsABug) {
  Node cfg = parse_yaml("type: MLP\nnum_classes: 3\n");
  Args args(cfg, *models.find("MLP"));
  EXPECT_THROW(args.get_int("layers"), InternalError);
}

TEST_F(RegistryTest, ComponentsAreSortedByType) {
  std::vector<std::string> types;
  for (const ComponentInfo* info : wrappers.components()) types.push_back(info->type);
  EXPECT_EQ(types, (std::vector<std::string>{"OptimWrapper", "Passthrough"}));
}

TEST_F(RegistryTest, RegistriesAreFoundByKindWhileAlive) {
  EXPECT_EQ(find_registry("test_model"), &models);
  {
    Registry<int> shadow("test_model");
    EXPECT_EQ(find_registry("test_model"), &shadow);
  }
  EXPECT_EQ(find_registry("test_model"), &models);
  EXPECT_EQ(find_registry("test_nothing"), nullptr);
}

TEST_F(RegistryTest, SecondRegistrationReplacesTheFirst) {
  models.add({.type = "ResNet", .doc = "replaced", .args = {}}, [](const Args&) { return Model{"replaced"}; });
  EXPECT_EQ(models.build(parse_yaml("type: ResNet\n")).type, "replaced");
  EXPECT_EQ(models.find("ResNet")->doc, "replaced");
}

TEST(RegistryArgTypes, NamesReadWellInListings) {
  EXPECT_EQ(arg_type_name(ArgType::Float), "float");
  EXPECT_EQ(arg_type_name(ArgType::IntList), "list[int]");
  EXPECT_EQ(arg_type_name(ArgType::Component, "model"), "model");
  EXPECT_EQ(arg_type_name(ArgType::ComponentList, "hook"), "list[hook]");
  EXPECT_EQ(component_list("custom_hooks", "hook", "").default_value->size(), 0u);
  EXPECT_FALSE(component("model", "model", "").default_value.has_value());
}

TEST(Suggest, PicksTheClosestCandidateIgnoringCase) {
  EXPECT_EQ(closest_match("MNSIT", {"CSV", "MNIST", "FashionMNIST"}), "MNIST");
  EXPECT_EQ(closest_match("adamw", {"SGD", "AdamW"}), "AdamW");
  EXPECT_EQ(closest_match("lr_rate", {"lr", "betas"}), "lr");  // the word extends a candidate
}

TEST(Suggest, RejectsCandidatesTooFarAway) {
  EXPECT_EQ(closest_match("xyz", {"lr", "momentum"}), "");
  EXPECT_EQ(closest_match("momentom", {"momentum"}), "momentum");  // 1 edit in 8 letters
  EXPECT_EQ(closest_match("abcdefgh", {"abcxyzgh"}), "");          // 3 edits in 8 letters
  EXPECT_EQ(closest_match("x", {"lr"}), "");
}

TEST(Suggest, TiesGoToTheFirstCandidate) {
  EXPECT_EQ(closest_match("bat", {"cat", "hat"}), "cat");
  EXPECT_EQ(closest_match("bat", {"hat", "cat"}), "hat");
}

TEST(Suggest, DidYouMeanFormatsTheSuggestion) {
  EXPECT_EQ(did_you_mean("lrr", {"lr"}), "; did you mean 'lr'?");
  EXPECT_EQ(did_you_mean("zzz", {"lr"}), "");
}

}  // namespace
}  // namespace mini::config
