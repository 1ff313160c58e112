// LoRA: identity at init, only adapters train, merge/unmerge, remove,
// gradients, forward-wrapper chaining, target selection (glob, suffix, regex,
// errors) and adapter checkpoints.
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

// Layers held through typed members, as most models do (NOTE [adapters ride on the target]).
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

Tensor weight_A(const std::shared_ptr<lora::Adapter>& adapter) {
  return adapter->lora_A()->named_parameters().front().second;
}
Tensor weight_B(const std::shared_ptr<lora::Adapter>& adapter) {
  return adapter->lora_B()->named_parameters().front().second;
}

// Gives every lora_B random values so the adapters change the output.
void randomize_adapters(Module& model, uint64_t seed) {
  NoGradGuard no_grad;
  for (const auto& [name, adapter] : lora::adapters(model)) {
    ops::copy_(weight_B(adapter), random_tensor(weight_B(adapter).sizes(), DType::f64, seed++));
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
  lora::inject(*net, {.targets = {"*_proj"}, .rank = 2, .alpha = 4});
  // B = 0: the low-rank term is exactly zero.
  EXPECT_TRUE(ops::equal(forward_detached(*net, x), before));
}

TEST(Lora, AddsNamedAdapterLayersAndFreezesTheBase) {
  auto net = make_net(1);
  const auto adapted = lora::inject(*net, {.targets = {"*.q_proj", "*.v_proj"}, .rank = 3, .alpha = 6});
  EXPECT_THAT(adapted, ElementsAre("layers.0.q_proj", "layers.0.v_proj", "layers.1.q_proj", "layers.1.v_proj"));
  std::vector<std::string> trainable;
  for (const auto& [name, p] : net->named_parameters()) {
    if (p.requires_grad()) trainable.push_back(name);
  }
  EXPECT_THAT(trainable, ElementsAre("layers.0.q_proj.lora_A.weight", "layers.0.q_proj.lora_B.weight",
                                     "layers.0.v_proj.lora_A.weight", "layers.0.v_proj.lora_B.weight",
                                     "layers.1.q_proj.lora_A.weight", "layers.1.q_proj.lora_B.weight",
                                     "layers.1.v_proj.lora_A.weight", "layers.1.v_proj.lora_B.weight"));
  const auto adapters = lora::adapters(*net);
  ASSERT_EQ(adapters.size(), 4u);
  EXPECT_EQ(adapters[0].first, "layers.0.q_proj");
  EXPECT_EQ(adapters[0].second->lora_A()->type_name(), "Linear");
  EXPECT_EQ(weight_A(adapters[0].second).sizes(), (Shape{3, 5}));
  EXPECT_EQ(weight_B(adapters[0].second).sizes(), (Shape{5, 3}));
  EXPECT_EQ(weight_A(adapters[0].second).dtype(), DType::f64);
  EXPECT_DOUBLE_EQ(adapters[0].second->scale(), 2.0);
  EXPECT_EQ(lora::parameters(*net).size(), 8u);
  EXPECT_TRUE(ops::equal(weight_B(adapters[0].second), ops::zeros({5, 3}, {.dtype = DType::f64})));
  EXPECT_TRUE(net->layers->get_submodule("0.q_proj")->has_forward_wrapper());
  EXPECT_FALSE(net->layers->get_submodule("0.k_proj")->has_forward_wrapper());
}

TEST(Lora, AInitIsKaimingUniformWithASqrt5) {
  auto net = make_net(1);
  lora::inject(*net, {.targets = {"head"}, .rank = 4});
  // kaiming_uniform_(a = sqrt(5)) over fan_in = 3: U(-1/sqrt(3), 1/sqrt(3)).
  const double bound = 1 / std::sqrt(3.0);
  for (double v : testing::to_doubles(weight_A(lora::adapters(*net)[0].second))) EXPECT_LE(std::abs(v), bound);
}

TEST(Lora, GradientsReachOnlyTheAdapters) {
  auto net = make_net(2);
  lora::inject(*net, {.targets = {"*_proj", "head"}, .rank = 2, .alpha = 2});
  randomize_adapters(*net, 50);
  net->forward(input()).pow(2).sum().backward();
  int adapter_grads = 0;
  for (const auto& [name, p] : net->named_parameters()) {
    const bool adapter = name.ends_with("lora_A.weight") || name.ends_with("lora_B.weight");
    EXPECT_EQ(p.grad().defined(), adapter) << name;
    adapter_grads += adapter ? 1 : 0;
  }
  EXPECT_EQ(adapter_grads, 2 * 9);
}

TEST(Lora, WithoutFreezeBaseTheBaseKeepsTraining) {
  auto net = make_net(2);
  lora::inject(*net, {.targets = {"head"}, .freeze_base = false});
  net->forward(input()).sum().backward();
  EXPECT_TRUE(net->head->weight().grad().defined());
  EXPECT_TRUE(net->layers->get_submodule("0.q_proj")->named_parameters().front().second.grad().defined());
}

TEST(Lora, OptimizerStepsChangeOnlyTheAdapters) {
  auto net = make_net(2);
  lora::inject(*net, {.targets = {"*_proj", "head"}, .rank = 2, .alpha = 2});
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
    const bool adapter = name.ends_with("lora_A.weight") || name.ends_with("lora_B.weight");
    if (adapter) {
      EXPECT_FALSE(same) << name;
      changed += same ? 0 : 1;
    } else {
      EXPECT_TRUE(same) << name;
    }
  }
  EXPECT_EQ(changed, 2 * 9);
}

// ---- remove, merge, unmerge ----

TEST(Lora, RemoveRestoresTheOriginalModulesExactly) {
  auto net = make_net(3);
  net->head->weight().requires_grad_(false);  // a flag that remove() must give back as it was
  const Tensor x = input();
  const Tensor before = forward_detached(*net, x);
  const auto named_before = net->named_parameters();
  std::vector<bool> flags_before;
  for (const auto& [name, p] : named_before) flags_before.push_back(p.requires_grad());

  lora::inject(*net, {.targets = {"*_proj", "head"}, .rank = 2, .alpha = 3});
  randomize_adapters(*net, 60);
  EXPECT_FALSE(ops::allclose(forward_detached(*net, x), before));
  EXPECT_THAT(lora::remove(*net), ::testing::SizeIs(9));

  EXPECT_TRUE(ops::equal(forward_detached(*net, x), before)) << "bit-identical outputs";
  const auto named_after = net->named_parameters();
  ASSERT_EQ(named_after.size(), named_before.size());
  for (size_t i = 0; i < named_after.size(); ++i) {
    EXPECT_EQ(named_after[i].first, named_before[i].first);
    EXPECT_EQ(named_after[i].second.impl(), named_before[i].second.impl()) << "same handle: " << named_after[i].first;
    // The targets' own flags come back; freeze_base froze nothing else here (every Linear was a target).
    EXPECT_EQ(named_after[i].second.requires_grad(), flags_before[i]) << named_after[i].first;
  }
  for (const auto& [name, module] : net->named_modules()) {
    if (dynamic_cast<Linear*>(module.get()) == nullptr) continue;
    EXPECT_TRUE(module->named_children().empty()) << name;
    EXPECT_FALSE(module->has_forward_wrapper()) << name;
  }
  EXPECT_TRUE(lora::adapters(*net).empty());
  EXPECT_TRUE(lora::remove(*net).empty()) << "a second remove finds nothing";
}

TEST(Lora, RemovedModelTakesAFreshInjection) {
  auto net = make_net(3);
  lora::inject(*net, {.targets = {"head"}, .rank = 2});
  lora::remove(*net);
  EXPECT_THAT(lora::inject(*net, {.targets = {"head"}, .rank = 3}), ElementsAre("head"));
  EXPECT_EQ(weight_A(lora::adapters(*net)[0].second).sizes(), (Shape{3, 3}));
}

TEST(Lora, MergeFoldsTheUpdateInAndRemovesTheAdapters) {
  auto net = make_net(3);
  const Tensor x = input();
  lora::inject(*net, {.targets = {"*"}, .rank = 2, .alpha = 3});
  randomize_adapters(*net, 100);
  const Tensor adapted = forward_detached(*net, x);
  const Tensor head_weight = net->head->weight().clone();
  lora::merge(*net);
  EXPECT_TRUE(lora::adapters(*net).empty());
  EXPECT_FALSE(net->head->has_forward_wrapper());
  EXPECT_TRUE(net->head->named_children().empty());
  EXPECT_FALSE(ops::allclose(net->head->weight(), head_weight));
  expect_tensors_near(forward_detached(*net, x), adapted, kF64Tol, kF64Tol, "merged");
}

TEST(Lora, MergeKeepingAdaptersMatchesAndUsesOnlyTheBase) {
  auto net = make_net(3);
  const Tensor x = input();
  const Tensor base = forward_detached(*net, x);
  lora::inject(*net, {.targets = {"*"}, .rank = 2, .alpha = 3});
  randomize_adapters(*net, 100);
  lora::unmerge(*net);  // a no-op: not merged
  const Tensor unmerged = forward_detached(*net, x);
  EXPECT_FALSE(ops::allclose(unmerged, base));
  lora::merge(*net, {.keep_adapters = true});
  EXPECT_TRUE(lora::adapters(*net)[0].second->merged());
  expect_tensors_near(forward_detached(*net, x), unmerged, kF64Tol, kF64Tol, "merged");
  // Merged: the adapters no longer take part in forward.
  {
    NoGradGuard no_grad;
    for (const Tensor& p : lora::parameters(*net)) p.fill_(1e3);
  }
  expect_tensors_near(forward_detached(*net, x), unmerged, kF64Tol, kF64Tol, "merged, adapters overwritten");
}

TEST(Lora, UnmergeRestoresTheBaseWeights) {
  auto net = make_net(4);
  lora::inject(*net, {.targets = {"*.o_proj", "*.k_proj"}, .rank = 3, .alpha = 5});
  randomize_adapters(*net, 200);
  std::vector<Tensor> weights, saved;
  for (const auto& [name, adapter] : lora::adapters(*net)) {
    weights.push_back(adapter->base_weight());
    saved.push_back(adapter->base_weight().clone());
  }
  const Tensor x = input();
  const Tensor unmerged = forward_detached(*net, x);
  lora::merge(*net, {.keep_adapters = true});
  lora::merge(*net, {.keep_adapters = true});  // idempotent
  EXPECT_FALSE(ops::allclose(weights[0], saved[0]));
  lora::unmerge(*net);
  for (size_t i = 0; i < weights.size(); ++i) expect_tensors_near(weights[i], saved[i], kF64Tol, kF64Tol, "weight");
  expect_tensors_near(forward_detached(*net, x), unmerged, kF64Tol, kF64Tol, "unmerged again");
}

TEST(Lora, RemoveOfAMergedAdapterUnmergesFirst) {
  auto net = make_net(4);
  const Tensor x = input();
  const Tensor base = forward_detached(*net, x);
  lora::inject(*net, {.targets = {"head"}, .rank = 2, .alpha = 5});
  randomize_adapters(*net, 250);
  lora::merge(*net, {.keep_adapters = true});
  lora::remove(*net);
  expect_tensors_near(forward_detached(*net, x), base, kF64Tol, kF64Tol, "base again");
}

// ---- gradients and the functional form ----

TEST(Lora, GradcheckOfAnAdaptedLinear) {
  mini::manual_seed(5);
  auto layer = std::make_shared<Linear>(4, 3);
  layer->to(DType::f64);
  lora::inject(*layer, {.targets = {"*"}, .rank = 2, .alpha = 3});
  randomize_adapters(*layer, 300);
  const auto adapter = lora::adapters(*layer)[0].second;
  layer->weight().requires_grad_(true);
  const Tensor x = testing::leaf({2, 3, 4}, 6);
  // gradcheck perturbs its inputs in place, so passing the layer's own tensors checks them.
  EXPECT_GRADCHECK(testing::one_output([&](const std::vector<Tensor>& in) { return (*layer)(in[0]); }),
                   {x, weight_A(adapter), weight_B(adapter), layer->weight()});
}

TEST(Lora, GradcheckOfTheFunctionalForm) {
  const Tensor x = testing::leaf({3, 4}, 1), w = testing::leaf({2, 4}, 2), b = testing::leaf({2}, 3);
  const Tensor a = testing::leaf({3, 4}, 4), bb = testing::leaf({2, 3}, 5);
  EXPECT_GRADCHECK(testing::one_output([](const std::vector<Tensor>& in) {
                     return lora::linear(in[0], in[1], in[2], in[3], in[4], 0.7);
                   }),
                   {x, w, b, a, bb});
}

TEST(Lora, AdapterMatchesTheFunctionalForm) {
  mini::manual_seed(6);
  auto layer = std::make_shared<Linear>(4, 3);
  layer->to(DType::f64);
  lora::inject(*layer, {.targets = {"*"}, .rank = 2, .alpha = 5});
  randomize_adapters(*layer, 400);
  const auto adapter = lora::adapters(*layer)[0].second;
  const Tensor x = random_tensor({4, 4}, DType::f64, 7);
  expect_tensors_near(forward_detached(*layer, x),
                      lora::linear(x, layer->weight(), layer->bias(), weight_A(adapter), weight_B(adapter), 2.5),
                      kF64Tol, kF64Tol);
}

TEST(Lora, AdaptersFollowTheModelsDtype) {
  mini::manual_seed(6);
  auto layer = std::make_shared<Linear>(4, 3);
  lora::inject(*layer, {.targets = {"*"}, .rank = 2});
  layer->to(DType::f64);
  const auto adapter = lora::adapters(*layer)[0].second;
  EXPECT_EQ(weight_A(adapter).dtype(), DType::f64);
  EXPECT_EQ(adapter->base_weight().impl(), layer->weight().impl());
  EXPECT_EQ((*layer)(random_tensor({2, 4}, DType::f64, 8)).dtype(), DType::f64);
}

// ---- forward wrappers (NOTE [one forward wrapper]) ----

TEST(Lora, ChainsAWrapperSetBeforeInjectAndRemoveGivesItBack) {
  auto run = [](bool checkpointed, int* calls) {
    auto net = make_net(7);
    if (checkpointed) {
      net->head->set_forward_wrapper([calls](const Module::ForwardFunction& forward, const Tensor& x) {
        ++*calls;
        return mini::checkpoint(forward, x);
      });
    }
    lora::inject(*net, {.targets = {"head"}, .rank = 2, .alpha = 3});
    randomize_adapters(*net, 900);
    const Tensor x = testing::leaf({4, 5}, 9);
    (*net)(x).pow(2).sum().backward();
    return std::pair{net, weight_B(lora::adapters(*net)[0].second).grad()};
  };
  int calls = 0;
  const auto [plain_net, plain_grad] = run(false, &calls);
  const auto [net, grad] = run(true, &calls);
  EXPECT_EQ(calls, 1);
  // The checkpoint recomputed the adapted head, adapter included, in backward.
  expect_tensors_near(grad, plain_grad, kF64Tol, kF64Tol, "lora_B grad through the checkpoint");
  lora::remove(*net);
  EXPECT_TRUE(net->head->has_forward_wrapper());
  forward_detached(*net, input());
  EXPECT_EQ(calls, 2) << "the checkpointing wrapper is back in place";
}

TEST(Lora, WrapperReplacedAfterInjectFailsClearly) {
  auto net = make_net(7);
  lora::inject(*net, {.targets = {"head"}});
  net->head->set_forward_wrapper(
      [](const Module::ForwardFunction& forward, const Tensor& x) { return mini::checkpoint(forward, x); });
  EXPECT_THAT(
      [&] { lora::adapters(*net); },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("'head' has LoRA modules but its forward wrapper was replaced")));
  EXPECT_THROW(lora::merge(*net), ValueError);
}

// ---- Conv2d ----

std::shared_ptr<Sequential> make_conv_net(uint64_t seed) {
  mini::manual_seed(seed);
  auto net = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Conv2d>(2, 4, std::pair<int64_t, int64_t>{3, 2},
                               Conv2dOptions{.stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}}),
      std::make_shared<Conv2d>(4, 3, std::pair<int64_t, int64_t>{1, 1})});
  net->to(DType::f64);
  return net;
}

TEST(LoraConv2d, AdapterIsAConvThenA1x1Conv) {
  auto net = make_conv_net(9);
  EXPECT_THAT(lora::inject(*net, {.targets = {"0"}, .rank = 2, .alpha = 3}), ElementsAre("0"));
  const auto adapter = lora::adapters(*net)[0].second;
  EXPECT_EQ(adapter->lora_A()->type_name(), "Conv2d");
  EXPECT_EQ(adapter->lora_A()->extra_repr(),
            "2, 2, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=1, bias=false");
  EXPECT_EQ(adapter->lora_B()->extra_repr(),
            "2, 4, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=false");
  const StateDict state = lora::state_dict(*net);
  EXPECT_THAT(names_of(state), ElementsAre("0.lora_A.weight", "0.lora_B.weight"));
  EXPECT_EQ(state.at("0.lora_A.weight").sizes(), (Shape{2, 2, 3, 2}));
  EXPECT_EQ(state.at("0.lora_B.weight").sizes(), (Shape{4, 2, 1, 1}));
}

TEST(LoraConv2d, IdentityAtInitThenMergeAndUnmergeAreExact) {
  auto net = make_conv_net(9);
  const Tensor x = random_tensor({2, 2, 7, 6}, DType::f64, 9);
  const Tensor base = forward_detached(*net, x);
  lora::inject(*net, {.targets = {"0"}, .rank = 2, .alpha = 3});
  const auto adapter = lora::adapters(*net)[0].second;
  EXPECT_TRUE(ops::equal(forward_detached(*net, x), base));

  randomize_adapters(*net, 700);
  const Tensor unmerged = forward_detached(*net, x);
  EXPECT_FALSE(ops::allclose(unmerged, base));
  const Tensor weight = adapter->base_weight().clone();
  lora::merge(*net, {.keep_adapters = true});
  expect_tensors_near(forward_detached(*net, x), unmerged, kF64Tol, kF64Tol, "merged");
  lora::unmerge(*net);
  expect_tensors_near(adapter->base_weight(), weight, kF64Tol, kF64Tol, "unmerged weight");
  lora::remove(*net);
  // Not bit-identical: merge then unmerge rounds the weight.
  expect_tensors_near(forward_detached(*net, x), base, kF64Tol, kF64Tol, "removed");
}

TEST(LoraConv2d, Gradcheck) {
  auto net = make_conv_net(10);
  lora::inject(*net, {.targets = {"*"}, .rank = 2, .alpha = 3});
  randomize_adapters(*net, 800);
  const auto adapters = lora::adapters(*net);
  ASSERT_EQ(adapters.size(), 2u);
  const Tensor x = testing::leaf({1, 2, 5, 5}, 11);
  EXPECT_GRADCHECK(testing::one_output([&](const std::vector<Tensor>& in) { return (*net)(in[0]); }),
                   {x, weight_A(adapters[0].second), weight_B(adapters[0].second), weight_A(adapters[1].second),
                    weight_B(adapters[1].second)});
}

TEST(LoraConv2d, GroupedConvolutionIsRejected) {
  auto conv = std::make_shared<Conv2d>(4, 4, std::pair<int64_t, int64_t>{3, 3}, Conv2dOptions{.groups = 2});
  EXPECT_THAT([&] { lora::inject(*conv, {.targets = {"*"}}); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("groups=2")));
  EXPECT_TRUE(conv->weight().requires_grad()) << "a rejected call changes nothing";
  EXPECT_EQ(conv->named_parameters().size(), 2u);
  EXPECT_FALSE(conv->has_forward_wrapper());
}

// ---- targets ----

std::vector<std::string> selected(const lora::Config& config) {
  auto net = make_net(1);
  return lora::inject(*net, config);
}

TEST(LoraTargets, GlobMatchesTheWholeDottedName) {
  EXPECT_THAT(selected({.targets = {"*.q_proj"}}), ElementsAre("layers.0.q_proj", "layers.1.q_proj"));
  EXPECT_THAT(selected({.targets = {"layers.1.?_proj"}}),
              ElementsAre("layers.1.q_proj", "layers.1.k_proj", "layers.1.v_proj", "layers.1.o_proj"));
  EXPECT_THAT(selected({.targets = {"*0*v*", "h*"}}), ElementsAre("layers.0.v_proj", "head"));
  // `*` never selects containers: only Linear modules are considered.
  EXPECT_EQ(selected({.targets = {"*"}}).size(), 9u);
}

TEST(LoraTargets, PlainNameMatchesAsADottedSuffix) {
  EXPECT_THAT(selected({.targets = {"k_proj"}}), ElementsAre("layers.0.k_proj", "layers.1.k_proj"));
  EXPECT_THAT(selected({.targets = {"1.k_proj"}}), ElementsAre("layers.1.k_proj"));
  EXPECT_THROW(selected({.targets = {"proj"}}), ValueError);  // not a whole name component
}

TEST(LoraTargets, RegexMustMatchTheWholeName) {
  EXPECT_THAT(selected({.targets = {R"(layers\.0\.(q|v)_proj)"}, .regex = true}),
              ElementsAre("layers.0.q_proj", "layers.0.v_proj"));
  EXPECT_THAT(selected({.targets = {R"(.*o_proj)", "head"}, .regex = true}),
              ElementsAre("layers.0.o_proj", "layers.1.o_proj", "head"));
  EXPECT_THROW(selected({.targets = {"q_proj"}, .regex = true}), ValueError);  // fullmatch, no suffix rule
}

TEST(LoraTargets, NoMatchErrorNamesThePatternAndAvailableModules) {
  try {
    selected({.targets = {"*.query"}});
    ADD_FAILURE() << "expected a ValueError";
  } catch (const ValueError& error) {
    EXPECT_THAT(error.what(), HasSubstr("lora::inject"));
    EXPECT_THAT(error.what(), HasSubstr("*.query"));
    EXPECT_THAT(error.what(), HasSubstr("layers.0.q_proj"));
    EXPECT_THAT(error.what(), HasSubstr("(9)"));
  }
}

TEST(LoraTargets, BadConfigsAndSecondInjectionThrow) {
  EXPECT_THROW(selected({.targets = {"*"}, .rank = 0}), ValueError);
  EXPECT_THROW(selected({.targets = {"*"}, .dropout = 1.0}), ValueError);
  EXPECT_THROW(selected({.targets = {}}), ValueError);
  EXPECT_THROW(selected({.targets = {"(unclosed"}, .regex = true}), ValueError);
  auto net = make_net(1);
  lora::inject(*net, {.targets = {"head"}});
  EXPECT_THAT([&] { lora::inject(*net, {.targets = {"head"}}); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("'head' already has a LoRA adapter")));
}

TEST(LoraTargets, AdapterLayersAreNeverTargetsThemselves) {
  auto net = make_net(1);
  lora::inject(*net, {.targets = {"head"}});
  // `*` now sees the 8 plain projections and head (already adapted), not head.lora_A / head.lora_B.
  EXPECT_THAT([&] { lora::inject(*net, {.targets = {"*"}}); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("'head' already has")));
  EXPECT_THAT(lora::inject(*net, {.targets = {"*_proj"}}), ::testing::SizeIs(8));
  EXPECT_EQ(lora::adapters(*net).size(), 9u);
}

TEST(Lora, DropoutOnlyActsInTraining) {
  auto net = make_net(8);
  lora::inject(*net, {.targets = {"head"}, .rank = 2, .dropout = 0.5});
  randomize_adapters(*net, 500);
  auto plain = make_net(8);
  lora::inject(*plain, {.targets = {"head"}, .rank = 2});
  randomize_adapters(*plain, 500);
  const Tensor x = input();
  net->eval();
  expect_tensors_near(forward_detached(*net, x), forward_detached(*plain, x), kF64Tol, kF64Tol, "eval");
  net->train();
  EXPECT_FALSE(ops::allclose(forward_detached(*net, x), forward_detached(*plain, x)));
}

// ---- state dicts and files ----

TEST(LoraState, ModelStateHasTheAdapterKeysAndABaseCheckpointStillLoads) {
  auto base = make_net(1);
  const StateDict base_state = base->state_dict();
  auto net = make_net(2);
  lora::inject(*net, {.targets = {"head"}, .rank = 2});
  EXPECT_TRUE(net->state_dict().contains("head.lora_A.weight"));
  EXPECT_TRUE(net->state_dict().contains("head.lora_B.weight"));
  const LoadStateResult result = net->load_state_dict(base_state, /*strict=*/false);
  EXPECT_THAT(result.missing_keys, ElementsAre("head.lora_A.weight", "head.lora_B.weight"));
  EXPECT_TRUE(result.unexpected_keys.empty());
  EXPECT_TRUE(ops::equal(forward_detached(*net, input()), forward_detached(*base, input())));
}

class LoraFiles : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }
  const std::string path_ =
      (std::filesystem::temp_directory_path() / ("lora_test_" + std::to_string(::getpid()) + ".safetensors")).string();
};

TEST_F(LoraFiles, SaveLoadRoundTripHoldsOnlyAdapters) {
  const lora::Config config{.targets = {"*.q_proj", "head"}, .rank = 2, .alpha = 4};
  auto source = make_net(1);
  lora::inject(*source, config);
  randomize_adapters(*source, 600);
  lora::save(*source, path_);
  const std::vector<std::string> keys{"layers.0.q_proj.lora_A.weight",
                                      "layers.0.q_proj.lora_B.weight",
                                      "layers.1.q_proj.lora_A.weight",
                                      "layers.1.q_proj.lora_B.weight",
                                      "head.lora_A.weight",
                                      "head.lora_B.weight"};
  EXPECT_EQ(names_of(load_state_dict_file(path_)), keys);
  EXPECT_EQ(names_of(lora::state_dict(*source)), keys);

  auto target = make_net(1);  // same base, fresh adapters
  lora::inject(*target, config);
  const Tensor x = input();
  EXPECT_FALSE(ops::allclose(forward_detached(*target, x), forward_detached(*source, x)));
  lora::load(*target, path_);
  for (const auto& [name, tensor] : lora::state_dict(*source)) {
    EXPECT_TRUE(ops::equal(lora::state_dict(*target).at(name), tensor)) << name;
  }
  EXPECT_TRUE(ops::equal(forward_detached(*target, x), forward_detached(*source, x)));
}

TEST_F(LoraFiles, LoadRejectsMismatchedOrMergedAdapters) {
  auto source = make_net(1);
  lora::inject(*source, {.targets = {"head"}, .rank = 2});
  lora::save(*source, path_);

  auto other_rank = make_net(1);
  lora::inject(*other_rank, {.targets = {"head"}, .rank = 3});
  EXPECT_THAT(
      [&] { lora::load(*other_rank, path_); },
      ::testing::ThrowsMessage<ValueError>(HasSubstr("'head.lora_A.weight' has shape (2, 3), expected (3, 3)")));

  auto other_target = make_net(1);
  lora::inject(*other_target, {.targets = {"*.o_proj"}, .rank = 2});
  EXPECT_THAT([&] { lora::load(*other_target, path_); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("unexpected 'head.lora_A.weight'")));

  auto merged = make_net(1);
  lora::inject(*merged, {.targets = {"head"}, .rank = 2});
  lora::merge(*merged, {.keep_adapters = true});
  EXPECT_THAT([&] { lora::load(*merged, path_); }, ::testing::ThrowsMessage<ValueError>(HasSubstr("merged")));

  auto bare = make_net(1);
  EXPECT_THROW(lora::save(*bare, path_), ValueError);
}

// Module::remove_module, which remove() relies on (nn/module.h).
TEST(ModuleRemoveModule, UnregistersTheChildAndNamesAMissingOne) {
  auto net = make_net(1);
  const ModulePtr head = net->remove_module("head");
  EXPECT_EQ(head.get(), net->head.get());
  EXPECT_EQ(net->named_children().size(), 1u);
  EXPECT_FALSE(net->state_dict().contains("head.weight"));
  EXPECT_THAT([&] { net->remove_module("head"); },
              ::testing::ThrowsMessage<ValueError>(HasSubstr("Net: no submodule 'head' to remove")));
}

}  // namespace
}  // namespace mini::nn
