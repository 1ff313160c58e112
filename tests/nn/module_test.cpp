// Module: registration order and dotted names, modes, conversion, state dicts
// (in memory and through safetensors), strict-key errors, hooks, summary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "nn_testing.h"

namespace mini::nn {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class Block : public Module {
 public:
  Block() : Module("Block") {
    proj = register_module("proj", std::make_shared<Linear>(3, 4));
    norm = register_module("norm", std::make_shared<BatchNorm1d>(4));
  }
  Tensor forward(const Tensor& x) override { return (*norm)((*proj)(x)); }
  std::shared_ptr<Linear> proj;
  std::shared_ptr<BatchNorm1d> norm;
};

class Net : public Module {
 public:
  Net() : Module("Net") {
    scale = register_parameter("scale", ops::ones({1}));
    layers = register_module("layers", std::make_shared<ModuleList>());
    layers->push_back(std::make_shared<Block>());
    layers->push_back(std::make_shared<Block>());
    head = register_module("head", std::make_shared<Linear>(4, 2, /*bias=*/false));
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (int64_t i = 0; i < layers->size(); ++i) {
      y = (*(*layers)[i])(i == 0 ? y : mini::narrow(y, 1, 0, 3));
    }
    return (*head)(y)*scale;
  }
  Tensor scale;
  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<Linear> head;
};

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : named) names.push_back(name);
  return names;
}

TEST(Module, NamedParametersAreDottedInRegistrationOrder) {
  auto net = std::make_shared<Net>();
  EXPECT_THAT(names_of(net->named_parameters()),
              ElementsAre("scale", "layers.0.proj.weight", "layers.0.proj.bias", "layers.0.norm.weight",
                          "layers.0.norm.bias", "layers.1.proj.weight", "layers.1.proj.bias", "layers.1.norm.weight",
                          "layers.1.norm.bias", "head.weight"));
  EXPECT_EQ(net->num_parameters(), 1 + 2 * (12 + 4 + 4 + 4) + 8);
  for (const Tensor& p : net->parameters()) EXPECT_TRUE(p.requires_grad());
}

TEST(Module, NamedBuffersAndModules) {
  auto net = std::make_shared<Net>();
  EXPECT_THAT(
      names_of(net->named_buffers()),
      ElementsAre("layers.0.norm.running_mean", "layers.0.norm.running_var", "layers.0.norm.num_batches_tracked",
                  "layers.1.norm.running_mean", "layers.1.norm.running_var", "layers.1.norm.num_batches_tracked"));
  std::vector<std::string> modules;
  for (const auto& [name, module] : net->named_modules()) modules.push_back(name + ":" + module->type_name());
  EXPECT_THAT(modules, ElementsAre(":Net", "layers:ModuleList", "layers.0:Block", "layers.0.proj:Linear",
                                   "layers.0.norm:BatchNorm1d", "layers.1:Block", "layers.1.proj:Linear",
                                   "layers.1.norm:BatchNorm1d", "head:Linear"));
  EXPECT_EQ(net->get_submodule("layers.1.proj").get(), net->layers->named_children()[1].second->children()[0].get());
  EXPECT_EQ(net->children().size(), 2u);
  EXPECT_THROW(net->get_submodule("layers.7"), ValueError);
}

TEST(Module, StateDictHoldsParametersThenBuffersPerModule) {
  auto block = std::make_shared<Block>();
  std::vector<std::string> keys;
  for (const auto& [name, tensor] : block->state_dict()) keys.push_back(name);
  EXPECT_THAT(keys, ElementsAre("proj.weight", "proj.bias", "norm.weight", "norm.bias", "norm.running_mean",
                                "norm.running_var", "norm.num_batches_tracked"));
}

TEST(Module, DuplicateOrDottedNamesAreRejected) {
  Module m("Custom");
  m.register_parameter("w", ops::zeros({2}));
  EXPECT_THROW(m.register_buffer("w", ops::zeros({2})), ValueError);
  EXPECT_THROW(m.register_parameter("a.b", ops::zeros({2})), ValueError);
  EXPECT_THROW(m(ops::zeros({2})), ValueError);  // no forward
}

TEST(Module, TrainAndEvalAreRecursive) {
  auto net = std::make_shared<Net>();
  EXPECT_TRUE(net->is_training());
  net->eval();
  for (const auto& [name, module] : net->named_modules()) EXPECT_FALSE(module->is_training()) << name;
  net->train();
  for (const auto& [name, module] : net->named_modules()) EXPECT_TRUE(module->is_training()) << name;
}

TEST(Module, ToDtypeConvertsFloatingTensorsAndKeepsHandles) {
  auto net = std::make_shared<Net>();
  Tensor head_weight = net->head->weight();
  net->to(DType::f64);
  EXPECT_EQ(head_weight.dtype(), DType::f64);  // same handle, converted in place
  EXPECT_TRUE(head_weight.requires_grad());
  EXPECT_EQ(net->layers->named_children()[0].second->named_buffers()[2].second.dtype(), DType::i64);
  Tensor y = (*net)(testing::random_tensor({5, 3}, DType::f64, 1));
  EXPECT_EQ(y.dtype(), DType::f64);
  EXPECT_THROW(net->to(DType::i32), ValueError);
}

TEST(Module, ZeroGradAndFreezing) {
  auto lin = std::make_shared<Linear>(3, 2);
  (*lin)(ops::ones({4, 3})).sum().backward();
  ASSERT_TRUE(lin->weight().grad().defined());
  lin->zero_grad(/*set_to_none=*/false);
  EXPECT_TRUE(ops::equal(lin->weight().grad(), ops::zeros({2, 3})));
  lin->zero_grad();
  EXPECT_FALSE(lin->weight().grad().defined());
  lin->requires_grad_(false);
  EXPECT_FALSE(lin->weight().requires_grad());
  EXPECT_FALSE((*lin)(ops::ones({4, 3})).requires_grad());
}

TEST(Module, LoadStateDictCopiesValuesIntoExistingTensors) {
  manual_seed(1);
  auto a = std::make_shared<Net>();
  auto b = std::make_shared<Net>();
  ASSERT_FALSE(ops::equal(a->head->weight(), b->head->weight()));
  Tensor b_weight = b->head->weight();
  b->load_state_dict(a->state_dict());
  EXPECT_TRUE(ops::equal(b_weight, a->head->weight()));
  for (const auto& [name, tensor] : a->state_dict()) EXPECT_TRUE(ops::equal(tensor, b->state_dict().at(name))) << name;
}

TEST(Module, StrictLoadListsEveryMissingUnexpectedAndMisShapedKey) {
  auto net = std::make_shared<Net>();
  StateDict state;
  for (const auto& [name, tensor] : net->state_dict()) {
    if (name == "head.weight" || name == "layers.1.proj.bias") continue;
    state.insert(name, name == "layers.0.proj.weight" ? ops::zeros({4, 5}) : tensor);
  }
  state.insert("layers.2.proj.weight", ops::zeros({1}));
  state.insert("extra", ops::zeros({1}));
  try {
    net->load_state_dict(state);
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    const std::string message = e.what();
    EXPECT_THAT(message, HasSubstr("missing keys: layers.1.proj.bias, head.weight"));
    EXPECT_THAT(message, HasSubstr("unexpected keys: layers.2.proj.weight, extra"));
    EXPECT_THAT(message, HasSubstr("layers.0.proj.weight: expected (4, 3), got (4, 5)"));
  }
}

TEST(Module, NonStrictLoadReportsSkippedKeys) {
  auto net = std::make_shared<Linear>(3, 2);
  StateDict state;
  state.insert("weight", ops::ones({2, 3}));
  state.insert("other", ops::ones({2}));
  LoadStateResult result = net->load_state_dict(state, /*strict=*/false);
  EXPECT_THAT(result.missing_keys, ElementsAre("bias"));
  EXPECT_THAT(result.unexpected_keys, ElementsAre("other"));
  EXPECT_TRUE(ops::equal(net->weight(), ops::ones({2, 3})));
  StateDict bad_shape;
  bad_shape.insert("weight", ops::ones({3, 2}));
  EXPECT_THROW(net->load_state_dict(bad_shape, /*strict=*/false), ValueError);
}

TEST(Module, StateDictRoundTripsThroughSafetensors) {
  manual_seed(7);
  auto a = std::make_shared<Net>();
  (*a)(testing::random_tensor({6, 3}, DType::f32, 2));  // moves the BatchNorm running stats
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("nn_module_test_{}.safetensors", ::getpid())).string();
  save(*a, path);
  manual_seed(8);
  auto b = std::make_shared<Net>();
  load(*b, path);
  std::remove(path.c_str());
  const StateDict loaded_state = b->state_dict();
  for (const auto& [name, tensor] : a->state_dict()) {
    const Tensor& loaded = loaded_state.at(name);
    EXPECT_EQ(loaded.dtype(), tensor.dtype()) << name;
    EXPECT_TRUE(ops::equal(loaded, tensor)) << name;
  }
  EXPECT_EQ(b->layers->named_children()[0].second->named_buffers()[2].second.item<int64_t>(), 1);
}

TEST(Module, ForwardHooksSeeAndReplaceValues) {
  auto seq = std::make_shared<Sequential>(
      std::initializer_list<ModulePtr>{std::make_shared<ReLU>(), std::make_shared<Identity>()});
  std::vector<std::string> calls;
  const uint64_t pre = (*seq)[0]->register_forward_pre_hook([&](Module& m, const Tensor& x) -> std::optional<Tensor> {
    calls.push_back("pre " + m.type_name());
    return x - 1.0;  // replaces the input
  });
  (*seq)[1]->register_forward_hook([&](Module& m, const Tensor&, const Tensor& y) -> std::optional<Tensor> {
    calls.push_back("post " + m.type_name());
    return y * 10.0;
  });
  Tensor y = (*seq)(ops::from_vector<float>({0.5f, 3.0f}));
  EXPECT_THAT(calls, ElementsAre("pre ReLU", "post Identity"));
  EXPECT_THAT(testing::to_doubles(y), ElementsAre(0.0, 20.0));
  EXPECT_TRUE((*seq)[0]->remove_hook(pre));
  EXPECT_FALSE((*seq)[0]->remove_hook(pre));
  EXPECT_THAT(testing::to_doubles((*seq)(ops::from_vector<float>({0.5f}))), ElementsAre(5.0));
}

TEST(Module, SummaryShowsTheTreeWithParameterCounts) {
  auto net = std::make_shared<Net>();
  net->head->requires_grad_(false);
  const std::string text = net->summary();
  EXPECT_THAT(text, HasSubstr("Net()  [57 params]\n"));
  EXPECT_THAT(text, HasSubstr("    (0): Block()  [24 params]\n"));
  EXPECT_THAT(text, HasSubstr("      (proj): Linear(in_features=3, out_features=4, bias=true)  [16 params]"));
  EXPECT_THAT(text, HasSubstr("Total parameters: 57 (49 trainable)"));
}

TEST(Sequential, RunsModulesInOrderAndIndexes) {
  auto seq = std::make_shared<Sequential>();
  seq->push_back(std::make_shared<Linear>(2, 3));
  seq->push_back(std::make_shared<Tanh>());
  EXPECT_EQ(seq->size(), 2);
  EXPECT_EQ((*seq)[-1]->type_name(), "Tanh");
  EXPECT_THROW((*seq)[2], IndexError);
  EXPECT_THAT(names_of(seq->named_parameters()), ElementsAre("0.weight", "0.bias"));
  EXPECT_EQ((*seq)(ops::ones({5, 2})).sizes(), (Shape{5, 3}));
}

}  // namespace
}  // namespace mini::nn
