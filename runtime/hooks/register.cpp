#include "runtime/hooks/register.h"

#include <mutex>

#include <fmt/format.h>

#include "runtime/hooks/basic_hooks.h"
#include "runtime/hooks/checkpoint_hook.h"
#include "runtime/hooks/early_stopping_hook.h"
#include "runtime/hooks/ema_hook.h"
#include "runtime/hooks/logger_hook.h"
#include "runtime/hooks/nan_guard_hook.h"
#include "runtime/hooks/profiler_hook.h"

namespace mini::runtime {

using config::ArgType;
using config::Node;

config::Registry<HookPtr>& hook_registry() {
  static config::Registry<HookPtr> registry("hook");
  return registry;
}

namespace {

std::optional<double> optional_double(const config::Args& args, const char* name) {
  return args.is_null(name) ? std::nullopt : std::optional<double>(args.get_double(name));
}

void register_default_hooks(config::Registry<HookPtr>& registry) {
  registry.add({.type = "RuntimeInfoHook", .doc = "puts lr, counters and the model's scalar outputs in the message hub", .args = {}},
               [](const config::Args&) -> HookPtr { return std::make_shared<RuntimeInfoHook>(); });
  registry.add({.type = "IterTimerHook", .doc = "measures time and data_time per iteration", .args = {}},
               [](const config::Args&) -> HookPtr { return std::make_shared<IterTimerHook>(); });
  registry.add({.type = "DistSamplerSeedHook", .doc = "seeds the sampler with the epoch so every epoch has its own order", .args = {}},
               [](const config::Args&) -> HookPtr { return std::make_shared<DistSamplerSeedHook>(); });
  registry.add({.type = "ParamSchedulerHook", .doc = "steps the parameter schedulers (per iteration or per epoch)", .args = {}},
               [](const config::Args&) -> HookPtr { return std::make_shared<ParamSchedulerHook>(); });
  registry.add(
      {.type = "LoggerHook",
       .doc = "console progress, text log, scalars.jsonl and TensorBoard events",
       .args = {config::optional("interval", ArgType::Int, Node::from(10), "micro-steps between logged lines"),
                config::optional("window", ArgType::Int, Node::from(0), "smoothing window (0: the interval)"),
                config::optional("jsonl", ArgType::Bool, Node::from(true), "write scalars.jsonl"),
                config::optional("tensorboard", ArgType::Bool, Node::from(true), "write TensorBoard event files")}},
      [](const config::Args& args) -> HookPtr {
        return std::make_shared<LoggerHook>(LoggerHookOptions{.interval = args.get_int("interval"),
                                                              .window = args.get_int("window"),
                                                              .jsonl = args.get_bool("jsonl"),
                                                              .tensorboard = args.get_bool("tensorboard")});
      });
  config::ArgSpec unit = config::optional("unit", ArgType::String, Node::null(),
                                          "what interval counts: epoch | iter | optimizer_step (default: by_epoch)");
  unit.choices = {"epoch", "iter", "micro_step", "optimizer_step"};
  unit.nullable = true;
  config::ArgSpec save_best = config::optional("save_best", ArgType::String, Node::null(),
                                               "keep the best checkpoint by this metric ('auto': the first)");
  save_best.nullable = true;
  config::ArgSpec rule = config::optional("rule", ArgType::String, Node::from("auto"), "greater | less | auto");
  rule.choices = {"greater", "less", "auto"};
  registry.add(
      {.type = "CheckpointHook",
       .doc = "saves checkpoints atomically every interval; keeps the newest max_keep_ckpts and the best",
       .args = {config::optional("interval", ArgType::Int, Node::from(1), "save every N units"),
                config::optional("by_epoch", ArgType::Bool, Node::null(),
                                 "count epochs (true) or micro-steps (false); default: the loop's"),
                unit,
                config::optional("max_keep_ckpts", ArgType::Int, Node::from(-1), "regular checkpoints kept (-1: all)"),
                save_best,
                rule,
                config::optional("save_last", ArgType::Bool, Node::from(true), "save at the end of training"),
                config::optional("save_begin", ArgType::Int, Node::from(0), "first count at which to save")}},
      [](const config::Args& args) -> HookPtr {
        CheckpointHookOptions options;
        options.interval = args.get_int("interval");
        options.max_keep_ckpts = static_cast<int>(args.get_int("max_keep_ckpts"));
        options.rule = args.get_string("rule");
        options.save_last = args.get_bool("save_last");
        options.save_begin = args.get_int("save_begin");
        if (!args.is_null("unit")) {
          options.unit = parse_count_unit(args.get_string("unit"));
        } else if (!args.is_null("by_epoch")) {
          options.unit = args.get_bool("by_epoch") ? CountUnit::Epoch : CountUnit::MicroStep;
        }
        if (!args.is_null("save_best")) options.save_best = args.get_string("save_best");
        return std::make_shared<CheckpointHook>(options);
      });
}

void register_custom_hooks(config::Registry<HookPtr>& registry) {
  config::ArgSpec rule = config::optional("rule", ArgType::String, Node::from("auto"), "greater | less | auto");
  rule.choices = {"greater", "less", "auto"};
  config::ArgSpec threshold = config::optional("stopping_threshold", ArgType::Float, Node::null(),
                                               "stop at once when the metric reaches this value");
  threshold.nullable = true;
  registry.add(
      {.type = "EarlyStoppingHook",
       .doc = "stops training when a validation metric stops improving",
       .args = {config::optional("monitor", ArgType::String, Node::from("accuracy/top1"), "validation metric to watch"),
                rule,
                config::optional("min_delta", ArgType::Float, Node::from(0.1), "smallest change that counts"),
                config::optional("patience", ArgType::Int, Node::from(5), "validations without improvement"),
                config::optional("strict", ArgType::Bool, Node::from(false), "a missing metric is an error"),
                threshold}},
      [](const config::Args& args) -> HookPtr {
        return std::make_shared<EarlyStoppingHook>(
            EarlyStoppingOptions{.monitor = args.get_string("monitor"),
                                 .rule = args.get_string("rule"),
                                 .min_delta = args.get_double("min_delta"),
                                 .patience = args.get_int("patience"),
                                 .strict = args.get_bool("strict"),
                                 .stopping_threshold = optional_double(args, "stopping_threshold")});
      });
  registry.add(
      {.type = "EMAHook",
       .doc = "exponential moving average of the weights, used for validation and saved in checkpoints",
       .args = {config::optional("decay", ArgType::Float, Node::from(0.9999), "averaging decay per optimizer step"),
                config::optional("warmup", ArgType::Bool, Node::from(false), "decay_t = min(decay, (1+t)/(10+t))"),
                config::optional("update_buffers", ArgType::Bool, Node::from(false), "average floating buffers too"),
                config::optional("begin_iter", ArgType::Int, Node::from(0), "optimizer steps before averaging starts")}},
      [](const config::Args& args) -> HookPtr {
        return std::make_shared<EMAHook>(EmaHookOptions{.decay = args.get_double("decay"),
                                                        .warmup = args.get_bool("warmup"),
                                                        .update_buffers = args.get_bool("update_buffers"),
                                                        .begin_iter = args.get_int("begin_iter")});
      });
  registry.add(
      {.type = "NaNGuardHook",
       .doc = "stops with the step and parameter name when a weight becomes NaN or inf",
       .args = {config::optional("check_interval", ArgType::Int, Node::from(1), "optimizer steps between checks")}},
      [](const config::Args& args) -> HookPtr {
        const int64_t interval = args.get_int("check_interval");
        if (interval < 1) args.fail("check_interval", fmt::format("must be >= 1, got {}", interval));
        return std::make_shared<NaNGuardHook>(interval);
      });
  registry.add({.type = "ProfilerHook", .doc = "reports wall time per stage (data, train, val) at the end", .args = {}},
               [](const config::Args&) -> HookPtr { return std::make_shared<ProfilerHook>(); });
}

}  // namespace

void register_hook_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_default_hooks(hook_registry());
    register_custom_hooks(hook_registry());
  });
}

}  // namespace mini::runtime
