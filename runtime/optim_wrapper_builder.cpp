#include "runtime/optim_wrapper_builder.h"

#include <cmath>
#include <mutex>

#include <fmt/format.h>

#include "nn/amp/autocast.h"
#include "runtime/amp_optim_wrapper.h"
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

nn::amp::GradScalerOptions parse_loss_scale(const config::Node& loss_scale, DType dtype) {
  const std::string expected =
      "loss_scale must be 'dynamic', a positive number (a static scale) or a map of GradScaler arguments "
      "{init_scale, growth_factor, backoff_factor, growth_interval, enabled}";
  nn::amp::GradScalerOptions options;
  if (loss_scale.is_null()) {
    options.enabled = dtype == DType::f16;  // bf16 has f32's range: nothing underflows that scaling would save
    return options;
  }
  if (loss_scale.is_number()) {
    options.init_scale = loss_scale.as_double();
    options.dynamic = false;
    if (!(options.init_scale > 0) || !std::isfinite(options.init_scale)) loss_scale.fail(expected);
    return options;
  }
  if (loss_scale.is_scalar()) {
    if (loss_scale.as_string() != "dynamic") {
      loss_scale.fail(fmt::format("{}, got '{}'", expected, loss_scale.as_string()));
    }
    return options;
  }
  if (!loss_scale.is_map()) loss_scale.fail(expected);
  const std::vector<std::string> keys = {"init_scale", "growth_factor", "backoff_factor", "growth_interval", "enabled"};
  for (const auto& [key, value] : loss_scale.items()) {
    if (key == "init_scale") {
      options.init_scale = value.as_double();
    } else if (key == "growth_factor") {
      options.growth_factor = value.as_double();
    } else if (key == "backoff_factor") {
      options.backoff_factor = value.as_double();
    } else if (key == "growth_interval") {
      options.growth_interval = value.as_int();
    } else if (key == "enabled") {
      options.enabled = value.as_bool();
    } else {
      value.fail(fmt::format("unknown loss_scale key '{}'{} (GradScaler arguments: {})", key,
                             config::did_you_mean(key, keys), fmt::join(keys, ", ")));
    }
  }
  try {
    nn::amp::GradScaler check(options);  // its range checks, reported at the config location
  } catch (const ValueError& error) {
    loss_scale.fail(error.what());
  }
  return options;
}

void validate_optim_wrapper_config(const config::Node& optim_wrapper) {
  optim_wrapper_registry().validate(optim_wrapper);
  if (const Node* clip_grad = optim_wrapper.find("clip_grad")) parse_clip_grad(*clip_grad);
  if (const Node* loss_scale = optim_wrapper.find("loss_scale")) parse_loss_scale(*loss_scale, DType::f16);
}

namespace {

// The arguments every optim_wrapper type takes (MMEngine's OptimWrapper).
std::vector<config::ArgSpec> common_args() {
  config::ArgSpec clip = config::optional("clip_grad", ArgType::Map, Node::null(),
                                          "{max_norm, norm_type} or {type: value, clip_value}; null: no clipping");
  clip.nullable = true;
  config::ArgSpec paramwise = config::optional("paramwise_cfg", ArgType::Map, Node::null(),
                                               "per-parameter options: custom_keys, norm_decay_mult, bias_decay_mult");
  paramwise.nullable = true;
  return {config::component("optimizer", "optimizer", "the optimizer, e.g. {type: SGD, lr: 0.1}"),
          config::optional("accumulative_counts", ArgType::Int, Node::from(1),
                           "micro-steps whose gradients add up to one optimizer step"),
          clip, paramwise};
}

std::unique_ptr<nn::optim::Optimizer> optimizer_from(const config::Args& args, nn::Module& model) {
  const Node& paramwise_cfg = args.node("paramwise_cfg");
  return build_optimizer(args.node("optimizer"), model, paramwise_cfg.is_null() ? nullptr : &paramwise_cfg);
}

OptimWrapperOptions wrapper_options_from(const config::Args& args) {
  const int64_t counts = args.get_int("accumulative_counts");
  if (counts < 1) args.fail("accumulative_counts", fmt::format("must be >= 1, got {}", counts));
  return {.accumulative_counts = counts, .clip = parse_clip_grad(args.node("clip_grad"))};
}

// Where the model's parameters live (the Runner moves the model before building the wrapper).
DeviceType model_device_type(nn::Module& model) {
  for (const auto& [name, param] : model.named_parameters()) return param.device().type;
  return DeviceType::cpu;
}

}  // namespace

void register_optim_wrapper_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    optim_wrapper_registry().add(
        {.type = "OptimWrapper",
         .doc = "backward, gradient accumulation and clipping, optimizer step",
         .args = common_args()},
        [](const config::Args& args, nn::Module& model) {
          return std::make_unique<OptimWrapper>(optimizer_from(args, model), wrapper_options_from(args));
        });

    std::vector<config::ArgSpec> amp_args = common_args();
    config::ArgSpec dtype = config::optional("dtype", ArgType::String, Node::null(),
                                             "autocast dtype; null: bfloat16 on cpu, float16 on cuda (torch.autocast's "
                                             "default)");
    dtype.choices = {"float16", "bfloat16"};
    amp_args.push_back(dtype);
    amp_args.push_back(config::optional("loss_scale", ArgType::Any, Node::null(),
                                        "'dynamic' | a number (static scale) | {init_scale, growth_factor, "
                                        "backoff_factor, growth_interval, enabled}; null: dynamic for float16, none "
                                        "for bfloat16"));
    optim_wrapper_registry().add(
        {.type = "AmpOptimWrapper",
         .doc = "OptimWrapper with mixed precision: forward under autocast, loss scaling, steps skipped on inf/NaN",
         .args = std::move(amp_args)},
        [](const config::Args& args, nn::Module& model) -> std::unique_ptr<OptimWrapper> {
          AmpOptions amp;
          amp.device_type = model_device_type(model);
          amp.dtype = args.is_null("dtype") ? nn::amp::default_autocast_dtype(amp.device_type)
                                            : nn::amp::autocast_dtype_from_name(args.get_string("dtype"));
          amp.loss_scale = parse_loss_scale(args.node("loss_scale"), amp.dtype);
          return std::make_unique<AmpOptimWrapper>(optimizer_from(args, model), wrapper_options_from(args), amp);
        });
  });
}

}  // namespace mini::runtime
