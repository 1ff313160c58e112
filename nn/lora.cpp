#include "nn/lora.h"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <unordered_set>

#include "autograd/autograd.h"
#include "nn/init.h"
#include "nn/layers/conv.h"
#include "nn/layers/linear.h"
#include "nn/serialization.h"
#include "tensor/error.h"

namespace mini::nn::lora {

// What lora.cpp needs of Adapter's private side.
struct AdapterAccess {
  static void attach(Adapter& adapter, Module& target) { adapter.attach(target); }
  static void detach(Adapter& adapter, Module& target) { adapter.detach(target); }

  // The adapted computation, inside whatever wrapper was there before (NOTE [one forward wrapper]).
  static Tensor run(const std::shared_ptr<Adapter>& adapter, const Module::ForwardFunction& forward, const Tensor& x) {
    const Module::ForwardWrapper& chained = adapter->chained_wrapper_;
    if (adapter->merged()) return chained ? chained(forward, x) : forward(x);
    // By value: a checkpointing wrapper keeps this function to re-run it in backward.
    const Module::ForwardFunction adapted = [adapter, forward](const Tensor& in) {
      return mini::add(forward(in), adapter->delta(in));
    };
    return chained ? chained(adapted, x) : adapted(x);
  }
};

namespace {

// The target's forward wrapper. A named type, so adapter_of() can find the
// adapter again through std::function::target.
struct AdapterWrapper {
  std::shared_ptr<Adapter> adapter;
  Tensor operator()(const Module::ForwardFunction& forward, const Tensor& x) const {
    return AdapterAccess::run(adapter, forward, x);
  }
};

std::shared_ptr<Adapter> adapter_of(const Module& module) {
  const auto* wrapper = module.forward_wrapper().target<AdapterWrapper>();
  return wrapper != nullptr ? wrapper->adapter : nullptr;
}

bool has_child(const Module& module, std::string_view name) {
  return std::ranges::any_of(module.named_children(), [name](const auto& child) { return child.first == name; });
}

std::string display_name(const std::string& name) { return name.empty() ? "<root>" : name; }

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// `*` matches any run (dots included), `?` one character; iterative with backtracking to the last star.
bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p, ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool name_matches(const std::string& pattern, const std::string& name) {
  if (pattern.find_first_of("*?") == std::string::npos) {
    return name == pattern ||
           (name.size() > pattern.size() && name.ends_with(pattern) && name[name.size() - pattern.size() - 1] == '.');
  }
  return glob_match(pattern, name);
}

bool is_target_type(const Module& module) {
  return dynamic_cast<const Linear*>(&module) != nullptr || dynamic_cast<const Conv2d*>(&module) != nullptr;
}

// lora_A/lora_B hold one parameter each: their weight.
Tensor weight_of(const ModulePtr& module) { return module->named_parameters(false).front().second; }

std::vector<std::regex> compile_patterns(const Config& config) {
  std::vector<std::regex> regexes;
  if (!config.regex) return regexes;
  for (const std::string& pattern : config.targets) {
    try {
      regexes.emplace_back(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
      MINI_CHECK(false, "lora::inject: bad regex '{}': {}", pattern, error.what());
    }
  }
  return regexes;
}

}  // namespace

// ---- Adapter -----------------------------------------------------------------

Adapter::Adapter(Module& target, const Config& config)
    : rank_(config.rank), scale_(config.alpha / static_cast<double>(config.rank)), dropout_(config.dropout) {
  MINI_CHECK(config.rank > 0, "lora: rank must be positive, got {}", config.rank);
  if (auto* conv = dynamic_cast<Conv2d*>(&target)) {
    const Conv2dOptions& conv_options = conv->options();
    MINI_CHECK(conv_options.groups == 1, "lora: only groups=1 convolutions take adapters, got groups={}",
               conv_options.groups);
    weight_ = conv->weight();
    const TensorOptions options{.dtype = weight_.dtype(), .device = weight_.device()};
    const Shape& w = weight_.sizes();  // (K, C, kh, kw)
    lora_A_ = std::make_shared<Conv2d>(w[1], rank_, std::pair{w[2], w[3]},
                                       Conv2dOptions{.stride = conv_options.stride,
                                                     .padding = conv_options.padding,
                                                     .dilation = conv_options.dilation,
                                                     .bias = false,
                                                     .tensor = options});
    lora_B_ = std::make_shared<Conv2d>(rank_, w[0], std::pair<int64_t, int64_t>{1, 1},
                                       Conv2dOptions{.bias = false, .tensor = options});
  } else {
    auto* linear = dynamic_cast<Linear*>(&target);
    MINI_CHECK(linear != nullptr, "lora: the target must be a Linear or Conv2d, got {}", target.type_name());
    weight_ = linear->weight();
    const TensorOptions options{.dtype = weight_.dtype(), .device = weight_.device()};
    lora_A_ = std::make_shared<Linear>(weight_.size(1), rank_, /*bias=*/false, options);
    lora_B_ = std::make_shared<Linear>(rank_, weight_.size(0), /*bias=*/false, options);
  }
  // A keeps its layer's default init, kaiming_uniform_(a = sqrt(5)) (peft's); B = 0 so the
  // adapted model starts as the base.
  init::zeros_(weight_of(lora_B_));
}

Tensor Adapter::delta(const Tensor& x) const {
  const Tensor input = dropout_ > 0 ? mini::dropout(x, dropout_, lora_A_->is_training()) : x;
  // Through the rank-r bottleneck: never forms the (out, in) product.
  return mini::mul((*lora_B_)((*lora_A_)(input)), scale_);
}

namespace {

// (B A).view(weight) * scale: a conv kernel (K, C, kh, kw) is a (K, C kh kw) matrix to the adapter.
Tensor merged_update(const Tensor& weight, const Tensor& a, const Tensor& b, int64_t rank, double scale) {
  const Tensor product = ops::matmul(ops::reshape(b, {b.size(0), rank}), ops::reshape(a, {rank, a.numel() / rank}));
  return ops::mul(ops::reshape(product, weight.sizes()), scale);
}

}  // namespace

void Adapter::merge() {
  if (merged_) return;
  NoGradGuard no_grad;
  ops::add_(weight_, merged_update(weight_, weight_of(lora_A_), weight_of(lora_B_), rank_, scale_));
  merged_ = true;
}

void Adapter::unmerge() {
  if (!merged_) return;
  NoGradGuard no_grad;
  ops::sub_(weight_, merged_update(weight_, weight_of(lora_A_), weight_of(lora_B_), rank_, scale_));
  merged_ = false;
}

void Adapter::attach(Module& target) {
  target_requires_grad_.clear();
  for (const Tensor& p : target.parameters(/*recurse=*/false)) target_requires_grad_.emplace_back(p, p.requires_grad());
  target.register_module("lora_A", lora_A_);
  target.register_module("lora_B", lora_B_);
  lora_A_->train(target.is_training());
  lora_B_->train(target.is_training());
  chained_wrapper_ = target.forward_wrapper();
  target.set_forward_wrapper(AdapterWrapper{shared_from_this()});
}

void Adapter::detach(Module& target) {
  target.set_forward_wrapper(chained_wrapper_);
  chained_wrapper_ = nullptr;
  target.remove_module("lora_A");
  target.remove_module("lora_B");
  for (const auto& [p, requires_grad] : target_requires_grad_) p.requires_grad_(requires_grad);
  target_requires_grad_.clear();
}

// ---- model-level ---------------------------------------------------------------

std::vector<std::pair<std::string, std::shared_ptr<Adapter>>> adapters(Module& model) {
  std::vector<std::pair<std::string, std::shared_ptr<Adapter>>> out;
  for (const auto& [name, module] : model.named_modules()) {
    if (auto adapter = adapter_of(*module)) {
      out.emplace_back(name, std::move(adapter));
    } else if (is_target_type(*module) && has_child(*module, "lora_A") && has_child(*module, "lora_B")) {
      MINI_CHECK(false,
                 "lora: '{}' has LoRA modules but its forward wrapper was replaced after lora::inject, so the "
                 "adapter no longer runs; set other forward wrappers (activation checkpointing) before inject",
                 display_name(name));
    }
  }
  return out;
}

std::vector<Tensor> parameters(Module& model) {
  std::vector<Tensor> out;
  for (const auto& [name, adapter] : adapters(model)) {
    out.push_back(weight_of(adapter->lora_A()));
    out.push_back(weight_of(adapter->lora_B()));
  }
  return out;
}

std::vector<std::string> inject(Module& model, const Config& config) {
  MINI_CHECK(config.rank > 0, "lora::inject: rank must be positive, got {}", config.rank);
  MINI_CHECK(config.dropout >= 0 && config.dropout < 1, "lora::inject: dropout must be in [0, 1), got {}",
             config.dropout);
  MINI_CHECK(!config.targets.empty(), "lora::inject: targets is empty");
  const std::vector<std::regex> regexes = compile_patterns(config);
  auto matches = [&](const std::string& name) {
    for (size_t i = 0; i < config.targets.size(); ++i) {
      if (config.regex ? std::regex_match(name, regexes[i]) : name_matches(config.targets[i], name)) return true;
    }
    return false;
  };

  // Earlier adapters' own lora_A/lora_B layers are never targets.
  std::unordered_set<const Module*> adapter_layers;
  for (const auto& [name, adapter] : adapters(model)) {
    adapter_layers.insert(adapter->lora_A().get());
    adapter_layers.insert(adapter->lora_B().get());
  }
  std::vector<std::pair<std::string, ModulePtr>> targets;
  std::vector<std::string> available;
  for (const auto& [name, module] : model.named_modules()) {
    if (!is_target_type(*module) || adapter_layers.contains(module.get())) continue;
    available.push_back(display_name(name));
    if (matches(name)) targets.emplace_back(name, module);
  }
  if (targets.empty()) {
    const size_t shown = std::min<size_t>(available.size(), 8);
    std::vector<std::string> few(available.begin(), available.begin() + static_cast<std::ptrdiff_t>(shown));
    MINI_CHECK(false, "lora::inject: no Linear/Conv2d module matches the {} pattern(s) [{}]; available ({}): [{}{}]",
               config.regex ? "regex" : "glob", fmt::join(config.targets, ", "), available.size(), fmt::join(few, ", "),
               shown < available.size() ? ", ..." : "");
  }
  // Every check and construction before the first change, so a bad call leaves the model as it was.
  std::vector<std::shared_ptr<Adapter>> built;
  for (const auto& [name, module] : targets) {
    MINI_CHECK(adapter_of(*module) == nullptr, "lora::inject: '{}' already has a LoRA adapter", display_name(name));
    if (const auto* conv = dynamic_cast<const Conv2d*>(module.get())) {
      MINI_CHECK(conv->options().groups == 1,
                 "lora::inject: '{}' is a Conv2d with groups={}; only groups=1 is supported", display_name(name),
                 conv->options().groups);
    }
    built.push_back(std::make_shared<Adapter>(*module, config));
  }

  std::vector<std::string> names;
  for (size_t i = 0; i < targets.size(); ++i) {
    AdapterAccess::attach(*built[i], *targets[i].second);
    names.push_back(targets[i].first);
  }
  if (config.freeze_base) {
    std::unordered_set<const TensorImpl*> trainable;
    for (const Tensor& p : parameters(model)) trainable.insert(p.impl());
    for (const Tensor& p : model.parameters()) {
      if (!trainable.contains(p.impl())) p.requires_grad_(false);
    }
  }
  return names;
}

std::vector<std::string> remove(Module& model) {
  std::vector<std::string> names;
  for (const auto& [name, adapter] : adapters(model)) {
    adapter->unmerge();
    AdapterAccess::detach(*adapter, *model.get_submodule(name));
    names.push_back(name);
  }
  return names;
}

void merge(Module& model, MergeOptions options) {
  for (const auto& [name, adapter] : adapters(model)) {
    adapter->merge();
    if (!options.keep_adapters) AdapterAccess::detach(*adapter, *model.get_submodule(name));
  }
}

void unmerge(Module& model) {
  for (const auto& [name, adapter] : adapters(model)) adapter->unmerge();
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& lora_A, const Tensor& lora_B,
              double scale) {
  return mini::add(mini::linear(x, weight, bias), mini::mul(mini::linear(mini::linear(x, lora_A), lora_B), scale));
}

// ---- adapter-only state ------------------------------------------------------------

StateDict state_dict(Module& model) {
  StateDict out;
  for (const auto& [name, adapter] : adapters(model)) {
    for (const auto& [part, layer] : {std::pair{"lora_A", adapter->lora_A()}, std::pair{"lora_B", adapter->lora_B()}}) {
      for (const auto& [key, tensor] : layer->state_dict()) out.insert(join(join(name, part), key), tensor);
    }
  }
  return out;
}

void load_state_dict(Module& model, const StateDict& state) {
  for (const auto& [name, adapter] : adapters(model)) {
    MINI_CHECK(!adapter->merged(), "lora::load_state_dict: the adapter of '{}' is merged; lora::unmerge first",
               display_name(name));
  }
  const StateDict own = state_dict(model);
  std::vector<std::string> problems;
  for (const auto& [name, tensor] : own) {
    const Tensor* source = state.find(name);
    if (source == nullptr) {
      problems.push_back(fmt::format("missing '{}'", name));
    } else if (source->sizes() != tensor.sizes()) {
      problems.push_back(fmt::format("'{}' has shape ({}), expected ({})", name, fmt::join(source->sizes(), ", "),
                                     fmt::join(tensor.sizes(), ", ")));
    }
  }
  for (const auto& [name, tensor] : state) {
    if (!own.contains(name)) problems.push_back(fmt::format("unexpected '{}'", name));
  }
  MINI_CHECK(problems.empty(), "lora::load_state_dict: the adapters do not match the model: {}",
             fmt::join(problems, "; "));
  NoGradGuard no_grad;
  for (const auto& [name, tensor] : own) ops::copy_(tensor, state.at(name));
}

void save(Module& model, const std::string& path, const std::map<std::string, std::string>& metadata) {
  const StateDict state = state_dict(model);
  MINI_CHECK(!state.empty(), "lora::save: the model has no LoRA adapters (call lora::inject first)");
  save_state_dict(state, path, metadata);
}

void load(Module& model, const std::string& path) { load_state_dict(model, load_state_dict_file(path)); }

}  // namespace mini::nn::lora
