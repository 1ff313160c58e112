// LoRA: identity at init, only adapters train, merge/unmerge, gradients,
// target selection (glob, suffix, regex, errors) and adapter checkpoints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "nn_testing.h"

namespace mini::nn {
namespace {

using ::testing::ElementsAre;
using testing::expect_tensors_near;
using ::testing::HasSubstr;
using testing::random_tensor;

// Layers held through typed members, as most models do (NOTE [in-place adapters]).
class Attn : public Module {
 public:
  explicit Attn(int64_t d) : Module("Attn") {
    q_proj = register_module("q_proj", std::make_shared<Linear>(d, d));
    k_proj = register_module("k_proj", std::make_shared<Linear>(d, d, /*bias=*/false));
    v_proj = register_module("v_proj", std::make_shared<Linear>(d, d));
    o_proj = register_module("o_proj", std::make_shared<Linear>(d, 3));
  }
  Tensor forward(const Tensor& x) override {
    return (*o_proj)(mini::add((*q_proj)(x), mini::mul((*k_proj)(x), mini::tanh((*v_proj)(x)))));
  }
  std::shared_ptr<Linear> q_proj, k_proj, v_proj, o_proj;
};

class Net : public Module {
 public:
  Net() : Module("Net") {
    layers = register_module("layers", std::make_shared<ModuleList>());
    layers->push_back(std::make_shared<Attn>(5));
    layers->push_back(std::make_shared<Attn>(5));
    head = register_module("head", std::make_shared<Linear>(3, 2));
  }
  Tensor forward(const Tensor& x) override {
    Tensor a = (*(*layers)[0])(x);
    Tensor b = (*(*layers)[1])(x);
    return (*head)(mini::add(a, b));
  }
  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<Linear> head;
};

std::shared_ptr<Net> make_net(uint64_t seed) {
  mini::manual_seed(seed);
  auto net = std::make_shared<Net>();
  net->to(DType::f64);
  return net;
}

Tensor input(uint64_t seed = 7) { return random_tensor({4, 5}, DType::f64, seed); }

Tensor forward_detached(Module& model, const Tensor& x) {
  NoGradGuard no_grad;
  return model(x);
}

// Gives every lora_B random values so the adapters change the output.
void randomize_adapters(Module& model, uint64_t seed) {
  NoGradGuard no_grad;
  for (const auto& [name, adapter] : lora_modules(model)) {
    ops::copy_(adapter->lora_B(), random_tensor(adapter->lora_B().sizes(), DType::f64, seed++));
  }
}

std::vector<std::string> names_of(const StateDict& state) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : state) names.push_back(name);
  return names;
}

constexpr double kF64Tol = 1e-12;  // a few roundings of O(1) values in float64

TEST(Lora, OutputEqualsTheBaseAtInit) {
  auto net = make_net(1);
  const Tensor x = input();
  const Tensor before = forward_detached(*net, x);
  apply_lora(*net, {.rank = 2, .alpha = 4, .target_modules = {"*_proj"}});
  // B = 0: the low-rank term is exactly zero.
  EXPECT_TRUE(ops::equal(forward_detached(*net, x), before));
}

TEST(Lora, AddsNamedAdaptersAndFreezesTheBase) {
  auto net = make_net(1);
  const auto adapted = apply_lora(*net, {.rank = 3, .alpha = 6, .target_modules = {"*.q_proj", "*.v_proj"}});
  EXPECT_THAT(adapted, ElementsAre("layers.0.q_proj", "layers.0.v_proj", "layers.1.q_proj", "layers.1.v_proj"));
  std::vector<std::string> trainable;
  for (const auto& [name, p] : net->named_parameters()) {
    if (p.requires_grad()) trainable.push_back(name);
  }
  EXPECT_THAT(trainable, ElementsAre("layers.0.q_proj.lora_A", "layers.0.q_proj.lora_B", "layers.0.v_proj.lora_A",
                                     "layers.0.v_proj.lora_B", "layers.1.q_proj.lora_A", "layers.1.q_proj.lora_B",
                                     "layers.1.v_proj.lora_A", "layers.1.v_proj.lora_B"));
  const auto adapters = lora_modules(*net);
  ASSERT_EQ(adapters.size(), 4u);
  EXPECT_EQ(adapters[0].first, "layers.0.q_proj");
  EXPECT_EQ(adapters[0].second->lora_A().sizes(), (Shape{3, 5}));
  EXPECT_EQ(adapters[0].second->lora_B().sizes(), (Shape{5, 3}));
  EXPECT_EQ(adapters[0].second->lora_A().dtype(), DType::f64);
  EXPECT_DOUBLE_EQ(adapters[0].second->scale(), 2.0);
  EXPECT_EQ(lora_parameters(*net).size(), 8u);
  EXPECT_TRUE(ops::equal(adapters[0].second->lora_B(), ops::zeros({5, 3}, {.dtype = DType::f64})));
}

TEST(Lora, AInitIsKaimingUniformWithASqrt5) {
  auto net = make_net(1);
  apply_lora(*net, {.rank = 4, .target_modules = {"head"}});
  // kaiming_uniform_(a = sqrt(5)) over fan_in = 3: U(-1/sqrt(3), 1/sqrt(3)).
  const double bound = 1 / std::sqrt(3.0);
  for (double v : testing::to_doubles(lora_modules(*net)[0].second->lora_A())) {
    EXPECT_LE(std::abs(v), bound);
  }
}

TEST(Lora, OptimizerStepsChangeOnlyTheAdapters) {
  auto net = make_net(2);
  apply_lora(*net, {.rank = 2, .alpha = 2, .target_modules = {"*_proj", "head"}});
  StateDict before;
  for (const auto& [name, tensor] : net->state_dict()) before.insert(name, tensor.clone());
  optim::SGD optimizer(net->parameters(), {.lr = 0.1});
  for (int step = 0; step < 3; ++step) {
    optimizer.zero_grad();
    net->forward(input(10 + step)).pow(2).sum().backward();
    optimizer.step();
  }
  int changed = 0;
  for (const auto& [name, tensor] : net->state_dict()) {
    const bool same = ops::equal(tensor, before.at(name));
    const bool adapter = name.ends_with("lora_A") || name.ends_with("lora_B");
    if (adapter) {
      EXPECT_FALSE(same) << name;
      changed += same ? 0 : 1;
    } else {
      EXPECT_TRUE(same) << name;
    }
  }
  EXPECT_EQ(changed, 2 * 9);
}

TEST(Lora, MergedOutputEqualsUnmergedAndUsesOnlyTheBase) {
  auto net = make_net(3);
  const Tensor x = input();
  const Tensor base = forward_detached(*net, x);
  apply_lora(*net, {.rank = 2, .alpha = 3, .target_modules = {"*"}});
  randomize_adapters(*net, 100);
  unmerge_lora(*net);  // a no-op: not merged
  const Tensor unmerged = forward_detached(*net, x);
  EXPECT_FALSE(ops::allclose(unmerged, base));
  merge_lora(*net);
  EXPECT_TRUE(lora_modules(*net)[0].second->merged());
  expect_tensors_near(forward_detached(*net, x), unmerged, kF64Tol, kF64Tol, "merged");
  // Merged: the adapters no longer take part in forward.
  {
    NoGradGuard no_grad;
    for (const Tensor& p : lora_parameters(*net)) p.fill_(1e3);
  }
  expect_tensors_near(forward_detached(*net, x), unmerged, kF64Tol, kF64Tol, "merged, adapters overwritten");
}

TEST(Lora, UnmergeRestoresTheBaseWeights) {
  auto net = make_net(4);
  apply_lora(*net, {.rank = 3, .alpha = 5, .target_modules = {"*.o_proj", "*.k_proj"}});
  randomize_adapters(*net, 200);
  std::vector<Tensor> weights, saved;
  for (const auto& [name, adapter] : lora_modules(*net)) {
    weights.push_back(adapter->base_weight());
    saved.push_back(adapter->base_weight().clone());
  }
  const Tensor x = input();
  const Tensor unmerged = forward_detached(*net, x);
  merge_lora(*net);
  merge_lora(*net);  // idempotent
  EXPECT_FALSE(ops::allclose(weights[0], saved[0]));
  unmerge_lora(*net);
  for (size_t i = 0; i < weights.size(); ++i) expect_tensors_near(weights[i], saved[i], kF64Tol, kF64Tol, "weight");
  expect_tensors_near(forward_detached(*net, x), unmerged, kF64Tol, kF64Tol, "unmerged again");
}

TEST(Lora, GradcheckOfAnAdaptedLinear) {
  mini::manual_seed(5);
  auto layer = std::make_shared<Linear>(4, 3);
  layer->to(DType::f64);
  apply_lora(*layer, {.rank = 2, .alpha = 3, .target_modules = {"*"}});
  randomize_adapters(*layer, 300);
  const auto adapter = lora_modules(*layer)[0].second;
  layer->weight().requires_grad_(true);
  const Tensor x = testing::leaf({2, 3, 4}, 6);
  // gradcheck perturbs its inputs in place, so passing the layer's own tensors checks them.
  EXPECT_GRADCHECK(testing::one_output([&](const std::vector<Tensor>& in) { return (*layer)(in[0]); }),
                   {x, adapter->lora_A(), adapter->lora_B(), layer->weight()});
}

TEST(Lora, GradcheckOfTheFunctionalForm) {
  const Tensor x = testing::leaf({3, 4}, 1), w = testing::leaf({2, 4}, 2), b = testing::leaf({2}, 3);
  const Tensor a = testing::leaf({3, 4}, 4), bb = testing::leaf({2, 3}, 5);
  EXPECT_GRADCHECK(testing::one_output([](const std::vector<Tensor>& in) {
                     return lora_linear(in[0], in[1], in[2], in[3], in[4], 0.7);
                   }),
                   {x, w, b, a, bb});
}

TEST(Lora, AdapterMatchesTheFunctionalForm) {
  mini::manual_seed(6);
  auto layer = std::make_shared<Linear>(4, 3);
  layer->to(DType::f64);
  apply_lora(*layer, {.rank = 2, .alpha = 5, .target_modules = {"*"}});
  randomize_adapters(*layer, 400);
  const auto adapter = lora_modules(*layer)[0].second;
  const Tensor x = random_tensor({4, 4}, DType::f64, 7);
  expect_tensors_near(forward_detached(*layer, x),
                      lora_linear(x, layer->weight(), layer->bias(), adapter->lora_A(), adapter->lora_B(), 2.5),
                      kF64Tol, kF64Tol);
}

std::shared_ptr<Sequential> make_conv_net(uint64_t seed) {
  mini::manual_seed(seed);
  auto net = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Conv2d>(2, 4, std::pair<int64_t, int64_t>{3, 2},
                               Conv2dOptions{.stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}}),
      std::make_shared<Conv2d>(4, 3, std::pair<int64_t, int64_t>{1, 1})});
  net->to(DType::f64);
  return net;
}

TEST(LoraConv2d, IdentityAtInitThenMergeAndUnmergeAreExact) {
  auto net = make_conv_net(9);
  const Tensor x = random_tensor({2, 2, 7, 6}, DType::f64, 9);
  const Tensor base = forward_detached(*net, x);
  EXPECT_THAT(apply_lora(*net, {.rank = 2, .alpha = 3, .target_modules = {"0"}}), ElementsAre("0"));
  const auto adapter = lora_modules(*net)[0].second;
  EXPECT_EQ(adapter->type_name(), "LoraConv2d");
  EXPECT_EQ(adapter->lora_A().sizes(), (Shape{2, 2 * 3 * 2}));
  EXPECT_EQ(adapter->lora_B().sizes(), (Shape{4, 2}));
  EXPECT_TRUE(ops::equal(forward_detached(*net, x), base));

  randomize_adapters(*net, 700);
  const Tensor unmerged = forward_detached(*net, x);
  EXPECT_FALSE(ops::allclose(unmerged, base));
  const Tensor weight = adapter->base_weight().clone();
  merge_lora(*net);
  expect_tensors_near(forward_detached(*net, x), unmerged, kF64Tol, kF64Tol, "merged");
  unmerge_lora(*net);
  expect_tensors_near(adapter->base_weight(), weight, kF64Tol, kF64Tol, "unmerged weight");
}

TEST(LoraConv2d, Gradcheck) {
  auto net = make_conv_net(10);
  apply_lora(*net, {.rank = 2, .alpha = 3, .target_modules = {"*"}});
  randomize_adapters(*net, 800);
  const auto adapters = lora_modules(*net);
  ASSERT_EQ(adapters.size(), 2u);
  const Tensor x = testing::leaf({1, 2, 5, 5}, 11);
  EXPECT_GRADCHECK(testing::one_output([&](const std::vector<Tensor>& in) { return (*net)(in[0]); }),
                   {x, adapters[0].second->lora_A(), adapters[0].second->lora_B(), adapters[1].second->lora_A(),
                    adapters[1].second->lora_B()});
}

TEST(LoraConv2d, GroupedConvolutionIsRejected) {
  auto conv = std::make_shared<Conv2d>(4, 4, std::pair<int64_t, int64_t>{3, 3}, Conv2dOptions{.groups = 2});
  EXPECT_THAT([&] { apply_lora(*conv, {.target_modules = {"*"}}); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("groups=2")));
  EXPECT_TRUE(conv->weight().requires_grad()) << "a rejected call changes nothing";
  EXPECT_EQ(conv->named_parameters().size(), 2u);
}

std::vector<std::string> selected(const LoraConfig& config) {
  auto net = make_net(1);
  return apply_lora(*net, config);
}

TEST(LoraTargets, GlobMatchesTheWholeDottedName) {
  EXPECT_THAT(selected({.target_modules = {"*.q_proj"}}), ElementsAre("layers.0.q_proj", "layers.1.q_proj"));
  EXPECT_THAT(selected({.target_modules = {"layers.1.?_proj"}}),
              ElementsAre("layers.1.q_proj", "layers.1.k_proj", "layers.1.v_proj", "layers.1.o_proj"));
  EXPECT_THAT(selected({.target_modules = {"*0*v*", "h*"}}), ElementsAre("layers.0.v_proj", "head"));
  // `*` never selects containers: only Linear modules are considered.
  EXPECT_EQ(selected({.target_modules = {"*"}}).size(), 9u);
}

TEST(LoraTargets, PlainNameMatchesAsADottedSuffix) {
  EXPECT_THAT(selected({.target_modules = {"k_proj"}}), ElementsAre("layers.0.k_proj", "layers.1.k_proj"));
  EXPECT_THAT(selected({.target_modules = {"1.k_proj"}}), ElementsAre("layers.1.k_proj"));
  EXPECT_THROW(selected({.target_modules = {"proj"}}), ValueError);  // not a whole name component
}

TEST(LoraTargets, RegexMustMatchTheWholeName) {
  EXPECT_THAT(selected({.target_modules = {R"(layers\.0\.(q|v)_proj)"}, .regex = true}),
              ElementsAre("layers.0.q_proj", "layers.0.v_proj"));
  EXPECT_THAT(selected({.target_modules = {R"(.*o_proj)", "head"}, .regex = true}),
              ElementsAre("layers.0.o_proj", "layers.1.o_proj", "head"));
  EXPECT_THROW(selected({.target_modules = {"q_proj"}, .regex = true}), ValueError);  // fullmatch, no suffix rule
}

TEST(LoraTargets, NoMatchErrorNamesThePatternAndAvailableModules) {
  try {
    selected({.target_modules = {"*.query"}});
    ADD_FAILURE() << "expected a ValueError";
  } catch (const ValueError& error) {
    EXPECT_THAT(error.what(), HasSubstr("apply_lora"));
    EXPECT_THAT(error.what(), HasSubstr("*.query"));
    EXPECT_THAT(error.what(), HasSubstr("layers.0.q_proj"));
    EXPECT_THAT(error.what(), HasSubstr("(9)"));
  }
}

TEST(LoraTargets, BadConfigsAndSecondApplicationThrow) {
  EXPECT_THROW(selected({.rank = 0, .target_modules = {"*"}}), ValueError);
  EXPECT_THROW(selected({.dropout = 1.0, .target_modules = {"*"}}), ValueError);
  EXPECT_THROW(selected({.target_modules = {}}), ValueError);
  EXPECT_THROW(selected({.target_modules = {"(unclosed"}, .regex = true}), ValueError);
  auto net = make_net(1);
  apply_lora(*net, {.target_modules = {"head"}});
  EXPECT_THAT([&] { apply_lora(*net, {.target_modules = {"head"}}); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("already has a LoRA adapter")));
}

TEST(Lora, DropoutOnlyActsInTraining) {
  auto net = make_net(8);
  apply_lora(*net, {.rank = 2, .dropout = 0.5, .target_modules = {"head"}});
  randomize_adapters(*net, 500);
  auto plain = make_net(8);
  apply_lora(*plain, {.rank = 2, .target_modules = {"head"}});
  randomize_adapters(*plain, 500);
  const Tensor x = input();
  net->eval();
  expect_tensors_near(forward_detached(*net, x), forward_detached(*plain, x), kF64Tol, kF64Tol, "eval");
  net->train();
  EXPECT_FALSE(ops::allclose(forward_detached(*net, x), forward_detached(*plain, x)));
}

class LoraFiles : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }
  const std::string path_ =
      (std::filesystem::temp_directory_path() / ("lora_test_" + std::to_string(::getpid()) + ".safetensors")).string();
};

TEST_F(LoraFiles, SaveLoadRoundTripHoldsOnlyAdapters) {
  const LoraConfig config{.rank = 2, .alpha = 4, .target_modules = {"*.q_proj", "head"}};
  auto source = make_net(1);
  apply_lora(*source, config);
  randomize_adapters(*source, 600);
  save_lora(*source, path_);
  EXPECT_THAT(names_of(load_state_dict_file(path_)),
              ElementsAre("layers.0.q_proj.lora_A", "layers.0.q_proj.lora_B", "layers.1.q_proj.lora_A",
                          "layers.1.q_proj.lora_B", "head.lora_A", "head.lora_B"));
  EXPECT_THAT(names_of(lora_state_dict(*source)),
              ElementsAre("layers.0.q_proj.lora_A", "layers.0.q_proj.lora_B", "layers.1.q_proj.lora_A",
                          "layers.1.q_proj.lora_B", "head.lora_A", "head.lora_B"));

  auto target = make_net(1);  // same base, fresh adapters
  apply_lora(*target, config);
  const Tensor x = input();
  EXPECT_FALSE(ops::allclose(forward_detached(*target, x), forward_detached(*source, x)));
  load_lora(*target, path_);
  for (const auto& [name, tensor] : lora_state_dict(*source)) {
    EXPECT_TRUE(ops::equal(lora_state_dict(*target).at(name), tensor)) << name;
  }
  EXPECT_TRUE(ops::equal(forward_detached(*target, x), forward_detached(*source, x)));
}

TEST_F(LoraFiles, LoadRejectsMismatchedOrMergedAdapters) {
  auto source = make_net(1);
  apply_lora(*source, {.rank = 2, .target_modules = {"head"}});
  save_lora(*source, path_);

  auto other_rank = make_net(1);
  apply_lora(*other_rank, {.rank = 3, .target_modules = {"head"}});
  EXPECT_THAT([&] { load_lora(*other_rank, path_); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("head.lora_A' has shape (2, 3), expected (3, 3)")));

  auto other_target = make_net(1);
  apply_lora(*other_target, {.rank = 2, .target_modules = {"*.o_proj"}});
  EXPECT_THAT([&] { load_lora(*other_target, path_); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("unexpected 'head.lora_A'")));

  auto merged = make_net(1);
  apply_lora(*merged, {.rank = 2, .target_modules = {"head"}});
  merge_lora(*merged);
  EXPECT_THAT([&] { load_lora(*merged, path_); }, ::testing::ThrowsMessage<ValueError>(HasSubstr("merged")));

  auto bare = make_net(1);
  EXPECT_THROW(save_lora(*bare, path_), ValueError);
}

}  // namespace
}  // namespace mini::nn
