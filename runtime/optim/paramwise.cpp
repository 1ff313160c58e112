#include "runtime/optim/paramwise.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "nn/layers/batch_norm.h"
#include "nn/layers/conv.h"
#include "nn/layers/normalization.h"

namespace mini::runtime {

using config::ArgSpec;
using config::ArgType;
using config::Node;

const std::vector<ArgSpec>& paramwise_cfg_args() {
  static const std::vector<ArgSpec> args = [] {
    auto multiplier = [](const char* name, const char* doc) {
      ArgSpec spec = config::optional(name, ArgType::Float, Node(), doc);
      spec.nullable = true;
      return spec;
    };
    return std::vector<ArgSpec>{
        config::optional("custom_keys", ArgType::Map, Node::map(),
                         "name substring -> {lr_mult, decay_mult, or optimizer options}; longest key wins"),
        multiplier("norm_decay_mult", "weight_decay multiplier for BatchNorm/LayerNorm/GroupNorm/RMSNorm parameters"),
        multiplier("bias_decay_mult", "weight_decay multiplier for parameters named 'bias'"),
        multiplier("bias_lr_mult", "lr multiplier for biases outside norm layers"),
        multiplier("dwconv_decay_mult", "weight_decay multiplier for depth-wise Conv2d parameters"),
        multiplier("flat_decay_mult", "weight_decay multiplier for other 1-d parameters"),
        config::optional("bypass_duplicate", ArgType::Bool, Node::from(false),
                         "skip parameters reachable under a second name instead of failing"),
    };
  }();
  return args;
}

namespace {

struct Rules {
  // custom_keys in matching order: longest first, ties alphabetically (MMEngine's sort).
  std::vector<std::pair<std::string, const Node*>> custom_keys;
  std::optional<double> norm_decay_mult, bias_decay_mult, bias_lr_mult, dwconv_decay_mult, flat_decay_mult;
  bool bypass_duplicate = false;
};

std::optional<double> optional_double(const Node& cfg, std::string_view key) {
  const Node* value = cfg.find(key);
  if (value == nullptr || value->is_null()) return std::nullopt;
  return value->as_double();
}

Rules parse_rules(const Node& cfg) {
  Rules rules;
  if (cfg.is_null()) return rules;
  if (!cfg.is_map()) cfg.fail(fmt::format("paramwise_cfg must be a map, got {}", cfg.type_name()));
  const auto& specs = paramwise_cfg_args();
  std::vector<std::string> known;
  for (const ArgSpec& spec : specs) known.push_back(spec.name);
  for (const auto& [key, value] : cfg.items()) {
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const ArgSpec& s) { return s.name == key; });
    if (spec == specs.end()) {
      value.fail(fmt::format("unknown paramwise_cfg key '{}'{}", key, config::did_you_mean(key, known)));
    }
    config::validate_arg(*spec, value, "paramwise_cfg");
  }
  rules.norm_decay_mult = optional_double(cfg, "norm_decay_mult");
  rules.bias_decay_mult = optional_double(cfg, "bias_decay_mult");
  rules.bias_lr_mult = optional_double(cfg, "bias_lr_mult");
  rules.dwconv_decay_mult = optional_double(cfg, "dwconv_decay_mult");
  rules.flat_decay_mult = optional_double(cfg, "flat_decay_mult");
  if (const Node* bypass = cfg.find("bypass_duplicate"); bypass != nullptr && !bypass->is_null()) {
    rules.bypass_duplicate = bypass->as_bool();
  }
  if (const Node* custom = cfg.find("custom_keys"); custom != nullptr && !custom->is_null()) {
    for (const auto& [pattern, options] : custom->items()) {
      if (!options.is_map()) {
        options.fail(fmt::format("custom_keys entry '{}' must be a map like {{lr_mult: 0.1, decay_mult: 0}}, got {}",
                                 pattern, options.type_name()));
      }
      rules.custom_keys.emplace_back(pattern, &options);
    }
    std::sort(rules.custom_keys.begin(), rules.custom_keys.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::stable_sort(rules.custom_keys.begin(), rules.custom_keys.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }
  return rules;
}

// Applies one custom_keys entry ({lr_mult, decay_mult, <option>: value, betas: [b1, b2]}).
void apply_custom(const Node& entry, ParamGroupSpec& group) {
  for (const auto& [key, value] : entry.items()) {
    if (key == "lr_mult") {
      group.lr_mult = value.as_double();
    } else if (key == "decay_mult") {
      group.decay_mult = value.as_double();
    } else if (key == "betas") {
      if (!value.is_sequence() || value.size() != 2) value.fail("betas must be a list of two numbers [b1, b2]");
      group.options["beta1"] = value[0].as_double();
      group.options["beta2"] = value[1].as_double();
    } else {
      // Checked against the optimizer's option names once it exists (build_optimizer).
      group.options[key] = value.as_double();
    }
  }
}

bool is_norm_layer(const nn::Module& module) {
  return dynamic_cast<const nn::BatchNorm*>(&module) != nullptr ||
         dynamic_cast<const nn::LayerNorm*>(&module) != nullptr ||
         dynamic_cast<const nn::GroupNorm*>(&module) != nullptr || dynamic_cast<const nn::RMSNorm*>(&module) != nullptr;
}

// Depth-wise: in_channels == groups, i.e. one input channel per group.
bool is_depthwise_conv(const nn::Module& module) {
  const auto* conv = dynamic_cast<const nn::Conv2d*>(&module);
  return conv != nullptr && conv->weight().size(1) == 1;
}

bool same_settings(const ParamGroupSpec& a, const ParamGroupSpec& b) {
  return a.lr_mult == b.lr_mult && a.decay_mult == b.decay_mult && a.options == b.options;
}

}  // namespace

std::vector<ParamGroupSpec> make_param_groups(nn::Module& model, const config::Node* paramwise_cfg) {
  const bool has_rules = paramwise_cfg != nullptr && !paramwise_cfg->is_null();
  const Rules rules = has_rules ? parse_rules(*paramwise_cfg) : Rules{};
  std::vector<ParamGroupSpec> groups;
  std::unordered_map<const TensorImpl*, std::string> seen;  // parameter -> the name it was first met under
  for (const auto& [prefix, module] : model.named_modules()) {
    const bool is_norm = is_norm_layer(*module);
    const bool is_dwconv = is_depthwise_conv(*module);
    for (const auto& [name, param] : module->named_parameters(/*recurse=*/false)) {
      const std::string full_name = prefix.empty() ? name : prefix + "." + name;
      auto [first, inserted] = seen.emplace(param.impl(), full_name);
      if (!inserted) {
        if (has_rules && !rules.bypass_duplicate) {
          paramwise_cfg->fail(fmt::format(
              "parameter '{}' is the same tensor as '{}' (a shared module?); set bypass_duplicate: true to keep "
              "only the first name",
              full_name, first->second));
        }
        continue;
      }
      if (!param.requires_grad()) continue;

      ParamGroupSpec setting;
      auto custom = std::find_if(rules.custom_keys.begin(), rules.custom_keys.end(),
                                 [&](const auto& entry) { return full_name.find(entry.first) != std::string::npos; });
      if (custom != rules.custom_keys.end()) {
        apply_custom(*custom->second, setting);
      } else {
        const bool is_bias = name == "bias";
        if (is_bias && !is_norm && rules.bias_lr_mult) setting.lr_mult = *rules.bias_lr_mult;
        if (is_norm && rules.norm_decay_mult) {
          setting.decay_mult = *rules.norm_decay_mult;
        } else if (is_bias && rules.bias_decay_mult) {
          setting.decay_mult = *rules.bias_decay_mult;
        } else if (is_dwconv && rules.dwconv_decay_mult) {
          setting.decay_mult = *rules.dwconv_decay_mult;
        } else if (param.dim() == 1 && rules.flat_decay_mult) {
          setting.decay_mult = *rules.flat_decay_mult;
        }
      }
      auto group = std::find_if(groups.begin(), groups.end(),
                                [&](const ParamGroupSpec& g) { return same_settings(g, setting); });
      if (group == groups.end()) group = groups.insert(groups.end(), std::move(setting));
      group->params.push_back(param);
      group->names.push_back(full_name);
    }
  }
  return groups;
}

}  // namespace mini::runtime
