#include "runtime/runner_config.h"

#include <fmt/format.h>

#include "config/registry.h"
#include "runtime/data/register.h"
#include "runtime/hooks/hook.h"
#include "runtime/hooks/register.h"
#include "runtime/loops.h"
#include "runtime/metrics/register.h"
#include "runtime/models/register.h"
#include "runtime/optim/register.h"
#include "runtime/optim_wrapper_builder.h"

namespace mini::runtime {

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys = {
      "model",         "train_dataloader", "val_dataloader",  "test_dataloader",
      "optim_wrapper", "param_scheduler",  "train_cfg",       "val_cfg",
      "test_cfg",      "val_evaluator",    "test_evaluator",  "default_hooks",
      "custom_hooks",  "randomness",       "env_cfg",         "work_dir",
      "load_from",     "resume",           "activation_checkpointing", "vars"};
  return keys;
}

const std::vector<DefaultHookEntry>& default_hook_entries() {
  static const std::vector<DefaultHookEntry> entries = {
      {"runtime_info", "RuntimeInfoHook"}, {"timer", "IterTimerHook"},
      {"sampler_seed", "DistSamplerSeedHook"}, {"logger", "LoggerHook"},
      {"param_scheduler", "ParamSchedulerHook"}, {"checkpoint", "CheckpointHook"}};
  return entries;
}

config::Node normalized_train_cfg(const config::Node& train_cfg) {
  if (!train_cfg.is_map()) train_cfg.fail("expected a map such as {type: EpochBasedTrainLoop, max_epochs: 10}");
  config::Node normalized = train_cfg;
  if (normalized.contains("type") || normalized.contains("_target_")) return normalized;
  // MMEngine's shorthand: by_epoch picks the loop (true when absent).
  bool by_epoch = !normalized.contains("max_iters");
  if (const config::Node* flag = normalized.find("by_epoch")) {
    by_epoch = flag->as_bool();
    normalized.erase("by_epoch");
  }
  normalized.set("type", config::Node::from(std::string(by_epoch ? "EpochBasedTrainLoop" : "IterBasedTrainLoop")));
  normalized.set_path(train_cfg.path());
  return normalized;
}

config::Node default_hook_config(const std::string& key, const config::Node& hook_cfg) {
  if (!hook_cfg.is_map()) hook_cfg.fail("expected a hook map such as {type: LoggerHook, interval: 10}");
  if (hook_cfg.contains("type") || hook_cfg.contains("_target_")) return hook_cfg;
  for (const DefaultHookEntry& entry : default_hook_entries()) {
    if (key != entry.key) continue;
    config::Node filled = hook_cfg;
    filled.set("type", config::Node::from(std::string(entry.type)));
    filled.set_path(hook_cfg.path());
    return filled;
  }
  hook_cfg.fail("a hook that is not a default hook needs a `type:`");
}

config::Node hook_config_without_priority(const config::Node& hook_cfg) {
  if (!hook_cfg.is_map()) hook_cfg.fail("expected a hook map such as {type: EMAHook, decay: 0.999}");
  config::Node copy = hook_cfg;
  copy.erase("priority");
  return copy;
}

std::optional<int> hook_priority(const config::Node& hook_cfg) {
  const config::Node* priority = hook_cfg.find("priority");
  if (priority == nullptr || priority->is_null()) return std::nullopt;
  if (priority->is_int()) {
    const int64_t value = priority->as_int();
    if (value < 0 || value > 100) priority->fail(fmt::format("priority must be in [0, 100], got {}", value));
    return static_cast<int>(value);
  }
  if (auto level = priority_from_name(priority->as_string())) return level;
  priority->fail(fmt::format("unknown priority '{}'; use an integer in [0, 100] or one of HIGHEST, VERY_HIGH, HIGH, "
                             "ABOVE_NORMAL, NORMAL, BELOW_NORMAL, LOW, VERY_LOW, LOWEST",
                             priority->as_string()));
}

config::Node model_config_without_runner_keys(const config::Node& model_cfg) {
  config::Node copy = model_cfg;
  copy.erase("frozen");
  return copy;
}

namespace {

void validate_dataloader_section(const config::Node& section) {
  if (section.is_null()) return;
  if (!section.is_map()) section.fail("expected a dataloader map with batch_size and dataset");
  const config::Node& dataset = section.at("dataset");
  dataset_registry().validate(dataset);
  if (const config::Node* sampler = section.find("sampler"); sampler != nullptr && !sampler->is_null()) {
    sampler_registry().validate(*sampler);
  }
}

void validate_hooks(const config::Node& cfg) {
  if (const config::Node* defaults = cfg.find("default_hooks"); defaults != nullptr && !defaults->is_null()) {
    if (!defaults->is_map()) defaults->fail("expected a map of hook name -> hook config (or null to remove it)");
    for (const auto& [key, hook_cfg] : defaults->items()) {
      if (hook_cfg.is_null()) continue;
      const config::Node copy = hook_config_without_priority(default_hook_config(key, hook_cfg));
      hook_registry().validate(copy);
      hook_priority(hook_cfg);
    }
  }
  if (const config::Node* custom = cfg.find("custom_hooks"); custom != nullptr && !custom->is_null()) {
    if (!custom->is_sequence()) custom->fail("expected a list of hook configs");
    for (const config::Node& hook_cfg : custom->elements()) {
      hook_registry().validate(hook_config_without_priority(hook_cfg));
      hook_priority(hook_cfg);
    }
  }
}

void validate_evaluator_section(const config::Node& cfg, const char* key) {
  if (const config::Node* evaluator = cfg.find(key); evaluator != nullptr && !evaluator->is_null()) {
    validate_evaluator_config(*evaluator);
  }
}

void validate_schedulers(const config::Node& schedulers) {
  if (schedulers.is_null()) return;
  if (schedulers.is_map()) {
    scheduler_registry().validate(schedulers);
    return;
  }
  if (!schedulers.is_sequence()) schedulers.fail("expected a scheduler map or a list of them");
  for (const config::Node& scheduler : schedulers.elements()) scheduler_registry().validate(scheduler);
}

}  // namespace

void validate_runner_config(const config::Node& cfg) {
  if (!cfg.is_map()) cfg.fail("a config must be a map at the top level");
  for (const auto& [key, value] : cfg.items()) {
    const auto& keys = top_level_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      value.fail(fmt::format("unknown top-level key '{}'{} (put your own values for ${{...}} under `vars:`)", key,
                             config::did_you_mean(key, keys)));
    }
  }
  const config::Node& model = cfg.at("model");
  if (const config::Node* frozen = model.find("frozen"); frozen != nullptr && !frozen->is_null()) {
    config::validate_arg(config::optional("frozen", config::ArgType::StringList, config::Node::null(), ""), *frozen,
                         "model");
  }
  model_registry().validate(model_config_without_runner_keys(model));

  const config::Node* train_cfg = cfg.find("train_cfg");
  const bool trains = train_cfg != nullptr && !train_cfg->is_null();
  if (trains) {
    loop_registry().validate(normalized_train_cfg(*train_cfg));
    validate_dataloader_section(cfg.at("train_dataloader"));
    validate_optim_wrapper_config(cfg.at("optim_wrapper"));
    if (const config::Node* schedulers = cfg.find("param_scheduler")) validate_schedulers(*schedulers);
  }
  if (const config::Node* val = cfg.find("val_dataloader"); val != nullptr && !val->is_null()) {
    validate_dataloader_section(*val);
    if (!cfg.contains("val_evaluator")) val->fail("val_dataloader needs a val_evaluator (e.g. {type: Accuracy})");
  }
  if (const config::Node* test = cfg.find("test_dataloader"); test != nullptr && !test->is_null()) {
    validate_dataloader_section(*test);
    if (!cfg.contains("test_evaluator") && !cfg.contains("val_evaluator")) {
      test->fail("test_dataloader needs a test_evaluator (or a val_evaluator to reuse)");
    }
  }
  for (const char* key : {"val_cfg", "test_cfg"}) {
    const config::Node* loop = cfg.find(key);
    if (loop == nullptr || loop->is_null()) continue;
    if (!loop->is_map()) loop->fail("expected a map such as {type: ValLoop} (or {})");
    if (loop->size() > 0) loop_registry().validate(*loop);
  }
  validate_evaluator_section(cfg, "val_evaluator");
  validate_evaluator_section(cfg, "test_evaluator");
  validate_hooks(cfg);
  for (const char* key : {"activation_checkpointing"}) {
    if (const config::Node* value = cfg.find(key); value != nullptr && !value->is_null()) {
      config::validate_arg(config::optional(key, config::ArgType::StringList, config::Node::null(), ""), *value, "");
    }
  }
  if (const config::Node* randomness = cfg.find("randomness"); randomness != nullptr && !randomness->is_null()) {
    if (!randomness->is_map()) randomness->fail("expected a map such as {seed: 0}");
    for (const auto& [key, value] : randomness->items()) {
      if (key != "seed" && key != "deterministic" && key != "diff_rank_seed") {
        value.fail(fmt::format("unknown randomness key '{}'{}", key,
                               config::did_you_mean(key, {"seed", "deterministic", "diff_rank_seed"})));
      }
    }
  }
  if (const config::Node* env = cfg.find("env_cfg"); env != nullptr && !env->is_null()) {
    if (!env->is_map()) env->fail("expected a map such as {num_threads: 2, device: cpu}");
    for (const auto& [key, value] : env->items()) {
      if (key != "num_threads" && key != "device") {
        value.fail(fmt::format("unknown env_cfg key '{}'{}", key,
                               config::did_you_mean(key, {"num_threads", "device"})));
      }
    }
  }
}

}  // namespace mini::runtime
