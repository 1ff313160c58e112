#include "nn/lora.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <regex>

#include "autograd/autograd.h"
#include "nn/init.h"
#include "nn/layers/conv.h"
#include "nn/layers/linear.h"
#include "nn/serialization.h"
#include "tensor/error.h"

namespace mini::nn {

namespace {

bool is_adapter_key(std::string_view name) {
  for (std::string_view leaf : {std::string_view("lora_A"), std::string_view("lora_B")}) {
    if (name == leaf) return true;
    if (name.size() > leaf.size() && name.ends_with(leaf) && name[name.size() - leaf.size() - 1] == '.') return true;
  }
  return false;
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

bool is_target_type(const Module& module) {
  return dynamic_cast<const Linear*>(&module) != nullptr || dynamic_cast<const Conv2d*>(&module) != nullptr;
}

bool name_matches(const std::string& pattern, const std::string& name) {
  if (pattern.find_first_of("*?") == std::string::npos) {
    return name == pattern ||
           (name.size() > pattern.size() && name.ends_with(pattern) && name[name.size() - pattern.size() - 1] == '.');
  }
  return glob_match(pattern, name);
}

}  // namespace

// ---- LoraLinear ---------------------------------------------------------------

LoraLinear::LoraLinear(Module& target, const LoraConfig& config)
    : Module(dynamic_cast<Conv2d*>(&target) != nullptr ? "LoraConv2d" : "LoraLinear"),
      rank_(config.rank),
      scale_(config.alpha / static_cast<double>(config.rank)),
      dropout_(config.dropout) {
  if (auto* conv = dynamic_cast<Conv2d*>(&target)) {
    const Conv2dOptions& options = conv->options();
    MINI_CHECK(options.groups == 1, "LoraConv2d: only groups=1 convolutions are supported, got groups={}",
               options.groups);
    conv_ = true;
    conv_options_ = {.stride = options.stride, .padding = options.padding, .dilation = options.dilation};
    weight_ = conv->weight();
  } else {
    auto* linear = dynamic_cast<Linear*>(&target);
    MINI_CHECK(linear != nullptr, "LoraLinear: the target must be a Linear or Conv2d, got {}", target.type_name());
    weight_ = linear->weight();
  }
  // A conv kernel (K, C, kh, kw) is a (K, C kh kw) matrix to the adapter.
  const int64_t out_features = weight_.size(0), in_features = weight_.numel() / std::max<int64_t>(out_features, 1);
  const TensorOptions options{.dtype = weight_.dtype(), .device = weight_.device()};
  // peft's init: A like a default Linear weight, B zero so the adapted model starts as the base.
  lora_A_ = ops::empty({rank_, in_features}, options);
  init::kaiming_uniform_(lora_A_, std::sqrt(5.0));
  lora_B_ = ops::zeros({out_features, rank_}, options);
  target.register_parameter("lora_A", lora_A_);
  target.register_parameter("lora_B", lora_B_);
}

std::string LoraLinear::extra_repr() const {
  return fmt::format("rank={}, scale={}, dropout={}, merged={}", rank_, scale_, dropout_, merged_);
}

Tensor LoraLinear::delta(const Tensor& x) {
  const Tensor input = dropout_ > 0 ? mini::dropout(x, dropout_, is_training()) : x;
  if (conv_) {
    // (N, C, H, W) -> (N, rank, H', W') -> (N, K, H', W').
    const Shape& w = weight_.sizes();
    const Tensor a = mini::reshape(lora_A_, {rank_, w[1], w[2], w[3]});
    const Tensor b = mini::reshape(lora_B_, {w[0], rank_, 1, 1});
    return mini::mul(mini::conv2d(mini::conv2d(input, a, Tensor(), conv_options_), b), scale_);
  }
  // x (..., in) -> (..., rank) -> (..., out): never forms the (out, in) product.
  return mini::mul(mini::linear(mini::linear(input, lora_A_), lora_B_), scale_);
}

void LoraLinear::merge() {
  if (merged_) return;
  NoGradGuard no_grad;
  ops::add_(weight_, ops::mul(ops::reshape(ops::matmul(lora_B_, lora_A_), weight_.sizes()), scale_));
  merged_ = true;
}

void LoraLinear::unmerge() {
  if (!merged_) return;
  NoGradGuard no_grad;
  ops::sub_(weight_, ops::mul(ops::reshape(ops::matmul(lora_B_, lora_A_), weight_.sizes()), scale_));
  merged_ = false;
}

Tensor lora_linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& lora_A,
                   const Tensor& lora_B, double scale) {
  return mini::add(mini::linear(x, weight, bias), mini::mul(mini::linear(mini::linear(x, lora_A), lora_B), scale));
}

// ---- model-level -----------------------------------------------------------------

std::vector<std::string> apply_lora(Module& model, const LoraConfig& config) {
  MINI_CHECK(config.rank > 0, "apply_lora: rank must be positive, got {}", config.rank);
  MINI_CHECK(config.dropout >= 0 && config.dropout < 1, "apply_lora: dropout must be in [0, 1), got {}",
             config.dropout);
  MINI_CHECK(!config.target_modules.empty(), "apply_lora: target_modules is empty");
  std::vector<std::regex> regexes;
  if (config.regex) {
    for (const std::string& pattern : config.target_modules) {
      try {
        regexes.emplace_back(pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& error) {
        MINI_CHECK(false, "apply_lora: bad regex '{}': {}", pattern, error.what());
      }
    }
  }
  auto matches = [&](const std::string& name) {
    for (size_t i = 0; i < config.target_modules.size(); ++i) {
      if (config.regex ? std::regex_match(name, regexes[i]) : name_matches(config.target_modules[i], name)) {
        return true;
      }
    }
    return false;
  };

  std::vector<std::pair<std::string, ModulePtr>> targets;
  std::vector<std::string> available;
  for (const auto& [name, module] : model.named_modules()) {
    if (!is_target_type(*module)) continue;
    available.push_back(name.empty() ? "<root>" : name);
    if (matches(name)) targets.emplace_back(name, module);
  }
  if (targets.empty()) {
    const size_t shown = std::min<size_t>(available.size(), 8);
    std::vector<std::string> few(available.begin(), available.begin() + static_cast<std::ptrdiff_t>(shown));
    MINI_CHECK(false, "apply_lora: no Linear/Conv2d module matches the {} pattern(s) [{}]; available ({}): [{}{}]",
               config.regex ? "regex" : "glob", fmt::join(config.target_modules, ", "), available.size(),
               fmt::join(few, ", "), shown < available.size() ? ", ..." : "");
  }
  // Every check before the first change, so a bad call leaves the model as it was.
  for (const auto& [name, module] : targets) {
    for (const auto& [child_name, child] : module->named_children()) {
      MINI_CHECK(child_name != "lora", "apply_lora: '{}' already has a LoRA adapter", name);
    }
    if (const auto* conv = dynamic_cast<const Conv2d*>(module.get())) {
      MINI_CHECK(conv->options().groups == 1, "apply_lora: '{}' is a Conv2d with groups={}; only groups=1 is supported",
                 name, conv->options().groups);
    }
  }

  if (config.freeze_base) {
    for (const Tensor& p : model.parameters()) p.requires_grad_(false);
  }
  std::vector<std::string> names;
  for (const auto& [name, module] : targets) {
    auto adapter = module->register_module("lora", std::make_shared<LoraLinear>(*module, config));
    adapter->train(module->is_training());
    // The hook holds the adapter weakly: the target owns both the adapter and the hook.
    std::weak_ptr<LoraLinear> weak = adapter;
    module->register_forward_hook([weak](Module&, const Tensor& input, const Tensor& output) -> std::optional<Tensor> {
      std::shared_ptr<LoraLinear> lora = weak.lock();
      if (!lora || lora->merged()) return std::nullopt;
      return mini::add(output, lora->delta(input));
    });
    names.push_back(name);
  }
  return names;
}

std::vector<std::pair<std::string, std::shared_ptr<LoraLinear>>> lora_modules(Module& model) {
  std::vector<std::pair<std::string, std::shared_ptr<LoraLinear>>> out;
  for (const auto& [name, module] : model.named_modules()) {
    if (auto adapter = std::dynamic_pointer_cast<LoraLinear>(module)) {
      // The adapter is the target's child `lora`: report the target's name.
      const std::string target = name == "lora" ? "" : name.substr(0, name.size() - std::string(".lora").size());
      out.emplace_back(target, adapter);
    }
  }
  return out;
}

std::vector<Tensor> lora_parameters(Module& model) {
  std::vector<Tensor> out;
  for (const auto& [name, adapter] : lora_modules(model)) {
    out.push_back(adapter->lora_A());
    out.push_back(adapter->lora_B());
  }
  return out;
}

void merge_lora(Module& model) {
  for (const auto& [name, adapter] : lora_modules(model)) adapter->merge();
}

void unmerge_lora(Module& model) {
  for (const auto& [name, adapter] : lora_modules(model)) adapter->unmerge();
}

StateDict lora_state_dict(const Module& model) {
  StateDict out;
  for (const auto& [name, tensor] : model.state_dict()) {
    if (is_adapter_key(name)) out.insert(name, tensor);
  }
  return out;
}

void load_lora_state_dict(Module& model, const StateDict& state) {
  for (const auto& [name, adapter] : lora_modules(model)) {
    MINI_CHECK(!adapter->merged(), "load_lora_state_dict: the adapter of '{}' is merged; unmerge_lora first", name);
  }
  const StateDict own = lora_state_dict(model);
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
  MINI_CHECK(problems.empty(), "load_lora_state_dict: the adapters do not match the model: {}",
             fmt::join(problems, "; "));
  NoGradGuard no_grad;
  for (const auto& [name, tensor] : own) ops::copy_(tensor, state.at(name));
}

void save_lora(const Module& model, const std::string& path, const std::map<std::string, std::string>& metadata) {
  const StateDict state = lora_state_dict(model);
  MINI_CHECK(!state.empty(), "save_lora: the model has no LoRA adapters (call apply_lora first)");
  save_state_dict(state, path, metadata);
}

void load_lora(Module& model, const std::string& path) { load_lora_state_dict(model, load_state_dict_file(path)); }

}  // namespace mini::nn
