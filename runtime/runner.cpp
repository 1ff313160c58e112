// Runner: construction from a config (this file), the loops
// (runner_loops.cpp) and checkpoints (runner_checkpoint.cpp).
#include "runtime/runner.h"

#include <fnmatch.h>

#include <fstream>
#include <random>

#include <fmt/format.h>

#include "autograd/autograd.h"
#include "config/load.h"
#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checkpoint_manager.h"
#include "runtime/data/data_loader.h"
#include "runtime/data/register.h"
#include "runtime/hooks/register.h"
#include "runtime/logging/console.h"
#include "runtime/logging/text_log.h"
#include "runtime/loops.h"
#include "runtime/metrics/evaluator.h"
#include "runtime/metrics/register.h"
#include "runtime/models/register.h"
#include "runtime/optim/register.h"
#include "runtime/optim_wrapper_builder.h"
#include "runtime/register.h"
#include "runtime/runner_config.h"
#include "tensor/backend.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

namespace mini::runtime {

void Runner::validate_config(const config::Node& cfg) {
  register_builtin_components();
  validate_runner_config(cfg);
}

std::unique_ptr<Runner> Runner::from_config(const config::Node& cfg, const RunnerOptions& options) {
  validate_config(cfg);
  std::unique_ptr<Runner> runner(new Runner(cfg, options));
  runner->build();
  return runner;
}

Runner::Runner(config::Node cfg, RunnerOptions options) : config_(std::move(cfg)), options_(std::move(options)) {}

Runner::~Runner() = default;

OptimWrapper& Runner::optim_wrapper() {
  MINI_CHECK(optim_wrapper_ != nullptr, "this run has no optim_wrapper (the config has no training section)");
  return *optim_wrapper_;
}

int64_t Runner::iters_per_epoch() const { return train_loader_ ? train_loader_->batches_per_epoch() : 0; }

int64_t Runner::max_iters() const { return by_epoch_ ? max_epochs_ * iters_per_epoch() : max_iters_; }

void Runner::log(const std::string& line) {
  if (console_) {
    console_->print(line);
  } else if (!options_.quiet) {
    fmt::print("{}\n", line);
  }
}

void Runner::set_console_interval(int64_t interval) {
  ConsoleOptions options;
  options.interval = interval;
  options.quiet = options_.quiet;
  options.log = text_log_.get();
  console_ = std::make_unique<ConsoleProgress>(options);
}

ConsoleProgress& Runner::console() {
  if (!console_) set_console_interval(10);
  return *console_;
}

void Runner::request_stop(const std::string& reason) {
  if (stop_reason_.empty()) stop_reason_ = reason;
}

void Runner::register_hook(HookPtr hook) {
  auto position = std::upper_bound(hooks_.begin(), hooks_.end(), hook,
                                   [](const HookPtr& a, const HookPtr& b) { return a->priority() < b->priority(); });
  hooks_.insert(position, std::move(hook));
}

// ---- building ----------------------------------------------------------------

void Runner::setup_work_dir() {
  if (options_.work_dir) {
    work_dir_ = *options_.work_dir;
  } else if (const config::Node* dir = config_.find("work_dir"); dir != nullptr && !dir->is_null()) {
    work_dir_ = dir->as_string();
  } else {
    // MMEngine's default: ./work_dirs/<config file name without extension>.
    const std::string file = config_.location().file;
    work_dir_ = std::filesystem::path("work_dirs") /
                (file.empty() ? std::string("run") : std::filesystem::path(file).stem().string());
  }
  timestamp_ = make_timestamp();
  log_dir_ = work_dir_ / timestamp_;
  std::filesystem::create_directories(log_dir_);
  text_log_ = std::make_unique<TextLog>(TextLog::in_work_dir(work_dir_, timestamp_));
  set_console_interval(10);
  std::ofstream(log_dir_ / "config.yaml") << config::to_yaml(config_);
}

namespace {

bool name_matches(const std::string& pattern, const std::string& name) {
  // A dotted prefix ("backbone.layers.0") or a glob ("*.bias", "encoder.*.attn").
  if (name == pattern || name.rfind(pattern + ".", 0) == 0) return true;
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

uint64_t choose_seed(const config::Node& cfg, const RunnerOptions& options) {
  if (options.seed) return *options.seed;
  if (const config::Node* randomness = cfg.find("randomness")) {
    if (const config::Node* seed = randomness->find("seed"); seed != nullptr && !seed->is_null()) {
      const int64_t value = seed->as_int();
      if (value < 0) seed->fail(fmt::format("expected a non-negative seed, got {}", value));
      return static_cast<uint64_t>(value);
    }
  }
  // No seed given: draw one (and log it, so the run can be repeated).
  return std::random_device{}() & 0x7fffffffu;
}

}  // namespace

void Runner::apply_frozen(const config::Node& patterns) {
  int64_t frozen = 0;
  for (const config::Node& pattern_node : patterns.elements()) {
    const std::string pattern = pattern_node.as_string();
    int64_t matched = 0;
    for (const auto& [name, param] : model_->named_parameters()) {
      if (!name_matches(pattern, name)) continue;
      param.requires_grad_(false);
      ++matched;
    }
    if (matched == 0) pattern_node.fail(fmt::format("model.frozen: '{}' matches no parameter of the model", pattern));
    frozen += matched;
  }
  log(fmt::format("froze {} parameter tensors", frozen));
}

void Runner::apply_activation_checkpointing(const config::Node& patterns) {
  // As MMEngine: every submodule whose dotted name matches a pattern recomputes
  // its activations in backward instead of keeping them (mini::checkpoint).
  std::vector<std::string> wrapped;
  auto inside_wrapped = [&](const std::string& name) {
    for (const std::string& outer : wrapped) {
      if (name.rfind(outer + ".", 0) == 0) return true;
    }
    return false;
  };
  for (const config::Node& pattern_node : patterns.elements()) {
    const std::string pattern = pattern_node.as_string();
    int64_t matched = 0;
    for (const auto& [name, module] : model_->named_modules()) {
      const bool matches = name == pattern || fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
      if (name.empty() || !matches) continue;
      ++matched;
      // Only the outermost match is wrapped: its submodules recompute with it.
      if (module->has_forward_wrapper() || inside_wrapped(name)) continue;
      module->set_forward_wrapper([](const nn::Module::ForwardFunction& forward, const Tensor& input) {
        return mini::checkpoint(forward, input);
      });
      wrapped.push_back(name);
    }
    if (matched == 0) {
      pattern_node.fail(fmt::format("activation_checkpointing: '{}' matches no submodule of the model", pattern));
    }
  }
  log(fmt::format("activation checkpointing wraps {} submodule(s)", wrapped.size()));
}

void Runner::build() {
  setup_work_dir();
  resume_path_ = find_resume_checkpoint();
  seed_ = choose_seed(config_, options_);
  if (resume_path_) resume_checkpoint_ = read_checkpoint(*resume_path_);
  if (resume_checkpoint_ && !options_.seed) {
    // The data order depends on the seed: a resumed run keeps the one it started with.
    const nlohmann::json& state = resume_checkpoint_->state;
    if (state.contains("seed") && state.at("seed").is_number_unsigned()) seed_ = state.at("seed").get<uint64_t>();
  }
  manual_seed(seed_);
  if (const config::Node* env = config_.find("env_cfg")) {
    if (const config::Node* device = env->find("device"); device != nullptr && !device->is_null()) {
      try {
        device_ = Device::parse(device->as_string());
      } catch (const Error& error) {
        device->fail(error.what());
      }
      if (!device_.is_cpu() && !has_backend(device_.type)) {
        device->fail(fmt::format("device '{}' is not available: this build has no backend for it, or no GPU was "
                                 "found", device->as_string()));
      }
    }
    if (const config::Node* threads = env->find("num_threads"); threads != nullptr && !threads->is_null()) {
      const int64_t count = threads->as_int();
      if (count < 1) threads->fail(fmt::format("expected a positive thread count, got {}", count));
      set_num_threads(static_cast<int>(count));
    }
  }
  log(fmt::format("mini-engine run {}: seed {}, {} threads, work_dir {}", timestamp_, seed_, num_threads(),
                  work_dir_.string()));

  // Model.
  const config::Node& model_cfg = config_.at("model");
  model_ = model_registry().build(model_config_without_runner_keys(model_cfg));
  if (const config::Node* frozen = model_cfg.find("frozen"); frozen != nullptr && !frozen->is_null()) {
    apply_frozen(*frozen);
  }
  if (const config::Node* patterns = config_.find("activation_checkpointing");
      patterns != nullptr && !patterns->is_null()) {
    apply_activation_checkpointing(*patterns);
  }
  if (!device_.is_cpu()) model_->to(device_);  // before the optimizer, so its state is created there
  log(fmt::format("model: {} with {} parameters on {}", model_->type_name(), model_->num_parameters(),
                  device_.str()));

  // Training pieces: all or nothing.
  if (const config::Node* train_cfg = config_.find("train_cfg"); train_cfg != nullptr && !train_cfg->is_null()) {
    const LoopSettings loop = loop_registry().build(normalized_train_cfg(*train_cfg));
    by_epoch_ = loop.by_epoch;
    max_epochs_ = loop.max_epochs;
    max_iters_ = loop.max_iters;
    val_interval_ = loop.val_interval;
    val_begin_ = loop.val_begin;
    train_loader_ = build_dataloader(config_.at("train_dataloader"), seed_);
    check_labels_fit_model(*train_loader_, "train_dataloader");
    optim_wrapper_ = optim_wrapper_registry().build(config_.at("optim_wrapper"), *model_);
    if (const config::Node* schedulers = config_.find("param_scheduler");
        schedulers != nullptr && !schedulers->is_null()) {
      BuiltSchedulers built = build_schedulers(*schedulers, optim_wrapper_->optimizer(), iters_per_epoch());
      schedulers_ = std::move(built.list);
      scheduler_monitors_ = std::move(built.monitor);
    }
  }
  if (const config::Node* val_loader = config_.find("val_dataloader"); val_loader != nullptr && !val_loader->is_null()) {
    val_loader_ = build_dataloader(*val_loader, seed_);
    check_labels_fit_model(*val_loader_, "val_dataloader");
    val_evaluator_ = build_evaluator(config_.at("val_evaluator"));
  }
  if (const config::Node* test_loader = config_.find("test_dataloader");
      test_loader != nullptr && !test_loader->is_null()) {
    test_loader_ = build_dataloader(*test_loader, seed_);
    check_labels_fit_model(*test_loader_, "test_dataloader");
    const config::Node* evaluator = config_.find("test_evaluator");
    test_evaluator_ = build_evaluator(evaluator != nullptr ? *evaluator : config_.at("val_evaluator"));
  }
  build_hooks();

  if (const config::Node* load_from = config_.find("load_from"); load_from != nullptr && !load_from->is_null()) {
    load_checkpoint(load_from->as_string(), /*weights_only=*/true);
  }
}

void Runner::check_labels_fit_model(DataLoader& loader, const char* section) {
  const int64_t classes = model_->num_classes();
  const int64_t max_label = loader.dataset().max_label();
  if (classes <= 0 || max_label < 0) return;
  if (max_label >= classes) {
    config_.at(section).at("dataset").fail(
        fmt::format("{} has labels up to {}, but the model has {} classes (labels must be in [0, {}))",
                    loader.dataset().describe(), max_label, classes, classes));
  }
}

void Runner::build_hooks() {
  auto add = [&](const config::Node& hook_cfg) {
    HookPtr hook = hook_registry().build(hook_config_without_priority(hook_cfg));
    if (auto priority = hook_priority(hook_cfg)) hook->set_priority(*priority);
    register_hook(std::move(hook));
  };
  // Default hooks, overridable by key; `null` removes one.
  const config::Node* user_defaults = config_.find("default_hooks");
  for (const DefaultHookEntry& entry : default_hook_entries()) {
    const config::Node* user = user_defaults != nullptr ? user_defaults->find(entry.key) : nullptr;
    if (user != nullptr && user->is_null()) continue;
    add(default_hook_config(entry.key, user != nullptr ? *user : config::Node::map()));
  }
  if (user_defaults != nullptr) {
    // Extra named entries (MMEngine allows any name in default_hooks).
    for (const auto& [key, hook_cfg] : user_defaults->items()) {
      bool known = false;
      for (const DefaultHookEntry& entry : default_hook_entries()) known = known || key == entry.key;
      if (!known && !hook_cfg.is_null()) add(default_hook_config(key, hook_cfg));
    }
  }
  if (const config::Node* custom = config_.find("custom_hooks"); custom != nullptr && !custom->is_null()) {
    for (const config::Node& hook_cfg : custom->elements()) add(hook_cfg);
  }
}

void Runner::print_hook_order() {
  std::string text = "hooks (in call order):";
  for (const HookPtr& hook : hooks_) text += fmt::format("\n  ({:<12}) {}", priority_name(hook->priority()), hook->name());
  log(text);
}

}  // namespace mini::runtime
