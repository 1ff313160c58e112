// The Runner's checkpoints: what goes into one, and resuming from one.
//
// NOTE [exact resume]: a checkpoint holds everything the next step depends
// on: weights, optimizer state (with the AMP loss scale and its growth
// tracker), scheduler state, counters (including the data cursor
// batch_in_epoch), the seed and sampler epoch (the data order is a function
// of them), the global RNG state (dropout), hook states (EMA, best score,
// patience) and, when saved inside a gradient-accumulation window, the
// gradients accumulated so far (with AMP still multiplied by the loss scale,
// which only changes when a window closes). Resuming restores all of it and
// the loader starts at the cursor without reading the skipped batches, so the
// resumed run computes bit-identical parameters on the same machine and
// thread count.
#include <fmt/format.h>

#include "autograd/autograd.h"
#include "config/load.h"
#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checkpoint_manager.h"
#include "runtime/checkpoint/rng_state.h"
#include "runtime/data/data_loader.h"
#include "runtime/runner.h"

namespace mini::runtime {

CheckpointManager& Runner::checkpoints() {
  if (!checkpoint_manager_ || checkpoint_manager_->max_keep() != max_keep_checkpoints_) {
    checkpoint_manager_ = std::make_unique<CheckpointManager>(work_dir_ / "checkpoints", max_keep_checkpoints_);
  }
  return *checkpoint_manager_;
}

std::filesystem::path Runner::save_checkpoint(const std::string& name, bool is_best, const std::string& best_metric) {
  CheckpointState checkpoint;
  checkpoint.tensors["model"] = model_->state_dict();
  if (optim_wrapper_) {
    checkpoint.tensors["optimizer"] = optim_wrapper_->state_dict();  // with the AMP loss scaler's state
    if (schedulers_.size() > 0) checkpoint.tensors["scheduler"] = schedulers_.state_dict();
    // Inside an accumulation window the gradients so far are part of the state.
    nn::StateDict grads;
    for (const auto& [param_name, param] : model_->named_parameters()) {
      if (param.grad().defined()) grads.insert(param_name, param.grad());
    }
    if (!grads.empty()) checkpoint.tensors["grads"] = std::move(grads);
  }
  nlohmann::json& state = checkpoint.state;
  state["counters"] = counters_.to_json();
  state["seed"] = seed_;
  state["sampler_epoch"] = sampler_epoch_;
  state["train_batches_per_epoch"] = iters_per_epoch();
  state["rng"] = capture_rng_state();
  state["config"] = config::to_yaml(config_);
  state["hooks"] = nlohmann::json::object();
  call_hooks([&](Hook& hook) { hook.before_save_checkpoint(*this, checkpoint); });
  return checkpoints().save(name, checkpoint, is_best, best_metric);
}

std::optional<std::filesystem::path> Runner::find_resume_checkpoint() const {
  std::optional<std::string> request = options_.resume;
  if (!request) {
    if (const config::Node* resume = config_.find("resume"); resume != nullptr && !resume->is_null()) {
      if (resume->is_bool()) {
        if (resume->as_bool()) request = "auto";
      } else {
        request = resume->as_string();
      }
    }
  }
  if (!request) return std::nullopt;
  if (*request == "auto") {
    CheckpointManager manager(work_dir_ / "checkpoints");
    return manager.latest();
  }
  MINI_CHECK(std::filesystem::exists(*request), "resume: checkpoint '{}' does not exist", *request);
  return std::filesystem::path(*request);
}

void Runner::resume_if_requested() {
  if (!resume_checkpoint_) {  // none found, or already restored by an earlier train()
    if (!resume_path_ && options_.resume.value_or("") == "auto") {
      log(fmt::format("resume auto: no checkpoint in {}; starting from scratch", (work_dir_ / "checkpoints").string()));
    }
    return;
  }
  restore_checkpoint(*resume_checkpoint_, *resume_path_);
  resume_checkpoint_.reset();
}

void Runner::load_checkpoint(const std::filesystem::path& path, bool weights_only) {
  if (weights_only) {
    load_model_state(*model_, read_model_weights(path), path.string(), /*strict=*/true);
    log(fmt::format("loaded model weights from {}", path.string()));
    return;
  }
  restore_checkpoint(read_checkpoint(path), path);
}

void Runner::restore_checkpoint(const CheckpointState& checkpoint, const std::filesystem::path& path) {
  const nlohmann::json& state = checkpoint.state;
  auto tensors = [&](const char* file) -> const nn::StateDict& {
    auto it = checkpoint.tensors.find(file);
    MINI_CHECK(it != checkpoint.tensors.end(), "resume: checkpoint {} has no {}.safetensors", path.string(), file);
    return it->second;
  };
  const int64_t saved_batches = state.value("train_batches_per_epoch", int64_t{-1});
  const Counters counters = Counters::from_json(state.at("counters"));
  MINI_CHECK(counters.batch_in_epoch == 0 || saved_batches == iters_per_epoch(),
             "resume: checkpoint {} was saved mid-epoch with {} batches per epoch, but this config gives {} (batch "
             "size or dataset changed); the data position cannot be restored exactly",
             path.string(), saved_batches, iters_per_epoch());

  load_model_state(*model_, tensors("model"), path.string(), /*strict=*/true);
  optim_wrapper().load_state_dict(tensors("optimizer"));
  if (schedulers_.size() > 0) schedulers_.load_state_dict(tensors("scheduler"));
  if (auto grads = checkpoint.tensors.find("grads"); grads != checkpoint.tensors.end()) {
    NoGradGuard no_grad;
    for (const auto& [param_name, param] : model_->named_parameters()) {
      if (const Tensor* grad = grads->second.find(param_name)) param.set_grad(ops::clone(*grad));
    }
  }
  counters_ = counters;
  sampler_epoch_ = state.value("sampler_epoch", counters_.epoch);
  restore_rng_state(state.at("rng"));
  call_hooks([&](Hook& hook) { hook.after_load_checkpoint(*this, checkpoint); });
  log(fmt::format("resumed from {}: epoch {}, batch {} of the epoch, micro-step {}, optimizer step {}", path.string(),
                  counters_.epoch + (counters_.batch_in_epoch > 0 ? 1 : 0), counters_.batch_in_epoch,
                  counters_.micro_step, counters_.optimizer_step));
}

}  // namespace mini::runtime
