#include "runtime/optim_wrapper_builder.h"

#include <mutex>

#include <fmt/format.h>

#include "runtime/optim/register.h"

namespace mini::runtime {

using config::ArgType;
using config::Node;

config::Registry<std::unique_ptr<OptimWrapper>, nn::Module&>& optim_wrapper_registry() {
  static config::Registry<std::unique_ptr<OptimWrapper>, nn::Module&> registry("optim_wrapper");
  return registry;
}

std::optional<GradClip> parse_clip_grad(const config::Node& clip_grad) {
  if (clip_grad.is_null()) return std::nullopt;
  if (!clip_grad.is_map()) clip_grad.fail("expected {max_norm: 1.0, norm_type: 2} or {type: value, clip_value: 0.5}");
  std::string type = "norm";
  if (const Node* type_node = clip_grad.find("type")) type = type_node->as_string();
  const std::vector<std::string> allowed = type == "value" ? std::vector<std::string>{"type", "clip_value"}
                                                           : std::vector<std::string>{"type", "max_norm", "norm_type"};
  if (type != "value" && type != "norm") {
    clip_grad.at("type").fail(fmt::format("clip_grad type must be 'norm' or 'value', got '{}'", type));
  }
  for (const auto& [key, value] : clip_grad.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      value.fail(fmt::format("unknown clip_grad key '{}' for type {}{}", key, type, config::did_you_mean(key, allowed)));
    }
  }
  GradClip clip;
  if (type == "value") {
    clip.kind = GradClip::Kind::Value;
    clip.clip_value = clip_grad.at("clip_value").as_double();
    if (clip.clip_value <= 0) clip_grad.at("clip_value").fail("clip_value must be > 0");
  } else {
    clip.kind = GradClip::Kind::Norm;
    clip.max_norm = clip_grad.at("max_norm").as_double();
    if (clip.max_norm <= 0) clip_grad.at("max_norm").fail("max_norm must be > 0");
    if (const Node* norm_type = clip_grad.find("norm_type")) clip.norm_type = norm_type->as_double();
  }
  return clip;
}

void register_optim_wrapper_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    config::ArgSpec clip = config::optional("clip_grad", ArgType::Map, Node::null(),
                                            "{max_norm, norm_type} or {type: value, clip_value}; null: no clipping");
    clip.nullable = true;
    config::ArgSpec paramwise = config::optional("paramwise_cfg", ArgType::Map, Node::null(),
                                                 "per-parameter options: custom_keys, norm_decay_mult, bias_decay_mult");
    paramwise.nullable = true;
    optim_wrapper_registry().add(
        {.type = "OptimWrapper",
         .doc = "backward, gradient accumulation and clipping, optimizer step",
         .args = {config::component("optimizer", "optimizer", "the optimizer, e.g. {type: SGD, lr: 0.1}"),
                  config::optional("accumulative_counts", ArgType::Int, Node::from(1),
                                   "micro-steps whose gradients add up to one optimizer step"),
                  clip, paramwise}},
        [](const config::Args& args, nn::Module& model) {
          const int64_t counts = args.get_int("accumulative_counts");
          if (counts < 1) args.fail("accumulative_counts", fmt::format("must be >= 1, got {}", counts));
          const Node& paramwise_cfg = args.node("paramwise_cfg");
          auto optimizer = build_optimizer(args.node("optimizer"), model,
                                           paramwise_cfg.is_null() ? nullptr : &paramwise_cfg);
          return std::make_unique<OptimWrapper>(
              std::move(optimizer),
              OptimWrapperOptions{.accumulative_counts = counts, .clip = parse_clip_grad(args.node("clip_grad"))});
        });
  });
}

}  // namespace mini::runtime
