// The Runner's loops: training (epoch- or iteration-based), validation, test.
//
// Hooks see counters that already include the step or epoch just finished:
// in after_train_iter, micro_step counts this batch; in after_train_epoch,
// epoch counts this epoch.
#include <csignal>
#include <cmath>

#include <fmt/format.h>

#include "autograd/autograd.h"
#include "runtime/data/data_loader.h"
#include "runtime/metrics/evaluator.h"
#include "runtime/runner.h"
#include "runtime/signals.h"
#include "tensor/ops/copy.h"

namespace mini::runtime {
namespace {

int64_t batch_size_of(const Batch& batch) {
  for (const auto& [name, tensor] : batch) {
    if (tensor.defined() && tensor.dim() > 0) return tensor.size(0);
  }
  return 0;
}

// Named tensors moved to `device` (a no-op for tensors already there).
TensorMap to_device(const TensorMap& tensors, Device device) {
  TensorMap moved;
  for (const auto& [name, tensor] : tensors) {
    moved.emplace(name, tensor.defined() && tensor.device() != device ? ops::to_device(tensor, device) : tensor);
  }
  return moved;
}

std::string output_names(const Outputs& outputs) {
  std::string names;
  for (const auto& [name, value] : outputs) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names.empty() ? "none" : names;
}

}  // namespace

OptimContext Runner::forward_context() const {
  if (!optim_wrapper_) return {};
  // NOTE: val and test run under the training autocast too (MMEngine asks for
  // val_cfg.fp16 for that), so validation measures the numerics the model trains with.
  return optim_wrapper_->optim_context();
}

void Runner::train_step(const Batch& host_batch) {
  const Batch batch = device_.is_cpu() ? host_batch : to_device(host_batch, device_);
  call_hooks([&](Hook& hook) { hook.before_train_iter(*this, batch); });
  Outputs outputs;
  {
    const OptimContext context = forward_context();
    outputs = model_->forward_batch(batch);
  }
  auto loss_it = outputs.find("loss");
  MINI_CHECK(loss_it != outputs.end() && loss_it->second.defined() && loss_it->second.numel() == 1,
             "model {} must return a scalar 'loss' in training; it returned: {}", model_->type_name(),
             output_names(outputs));
  const double loss = loss_it->second.item<double>();
  if (!std::isfinite(loss)) {
    // Stop before backward so the weights (and every checkpoint) stay finite.
    std::string last = last_finite_loss_step_ < 0
                           ? std::string("no finite loss was seen before")
                           : fmt::format("the last finite loss was {:.6g} at micro-step {}", last_finite_loss_,
                                         last_finite_loss_step_);
    MINI_CHECK(false,
               "loss is {} at micro-step {} (epoch {}, batch {} of the epoch); {}. Training stopped before the "
               "update; no checkpoint was written from this step. Lower the learning rate, enable "
               "optim_wrapper.clip_grad, or check the data.",
               loss, counters_.micro_step + 1, counters_.epoch + 1, counters_.batch_in_epoch + 1, last);
  }
  last_finite_loss_ = loss;
  last_finite_loss_step_ = counters_.micro_step + 1;

  const bool stepped = optim_wrapper_->update_params(loss_it->second);
  counters_.micro_step += 1;
  counters_.batch_in_epoch += 1;
  counters_.samples_seen += batch_size_of(batch);
  if (stepped) counters_.optimizer_step += 1;
  call_hooks([&](Hook& hook) { hook.after_train_iter(*this, batch, outputs); });
}

void Runner::poll_stop_signal() {
  if (stop_signal_ == nullptr || !stop_signal_->requested()) return;
  request_stop(fmt::format("interrupted by {}", stop_signal_->signal_number() == SIGTERM ? "SIGTERM" : "SIGINT"));
  interrupted_ = true;
}

bool Runner::should_validate() const {
  if (!val_loader_) return false;
  const int64_t count = by_epoch_ ? counters_.epoch : counters_.micro_step;
  const int64_t last = by_epoch_ ? max_epochs_ : max_iters_;
  return count >= val_begin_ && (count % val_interval_ == 0 || count == last);
}

void Runner::train_epoch_based() {
  const int64_t batches = iters_per_epoch();
  while (counters_.epoch < max_epochs_ && !stop_requested()) {
    call_hooks([&](Hook& hook) { hook.before_train_epoch(*this); });
    model_->train();
    {
      DataLoader::Iterator it = train_loader_->begin_epoch(sampler_epoch_, counters_.batch_in_epoch);
      while (std::optional<Batch> batch = it.next()) {
        train_step(*batch);
        poll_stop_signal();
        if (stop_requested()) break;
      }
    }
    if (counters_.batch_in_epoch < batches) break;  // stopped mid-epoch
    counters_.epoch += 1;
    counters_.batch_in_epoch = 0;
    call_hooks([&](Hook& hook) { hook.after_train_epoch(*this); });
    if (!interrupted_ && should_validate()) val();
  }
}

void Runner::train_iter_based() {
  while (counters_.micro_step < max_iters_ && !stop_requested()) {
    call_hooks([&](Hook& hook) { hook.before_train_epoch(*this); });
    model_->train();
    {
      DataLoader::Iterator it = train_loader_->begin_epoch(sampler_epoch_, counters_.batch_in_epoch);
      while (counters_.micro_step < max_iters_) {
        std::optional<Batch> batch = it.next();
        if (!batch) break;
        train_step(*batch);
        poll_stop_signal();
        if (!interrupted_ && should_validate()) {
          val();
          model_->train();
        }
        if (stop_requested()) break;
      }
    }
    if (counters_.batch_in_epoch == iters_per_epoch()) {
      // A full pass over the data: the next one starts a new sampler epoch.
      counters_.epoch += 1;
      counters_.batch_in_epoch = 0;
      call_hooks([&](Hook& hook) { hook.after_train_epoch(*this); });
    }
  }
}

void Runner::train() {
  MINI_CHECK(train_loader_ != nullptr && optim_wrapper_ != nullptr,
             "train: the config needs train_cfg, train_dataloader and optim_wrapper");
  StopSignal stop_signal;
  stop_signal_ = &stop_signal;
  struct Reset {
    Runner* runner;
    ~Reset() { runner->stop_signal_ = nullptr; }
  } reset{this};

  print_hook_order();
  call_hooks([&](Hook& hook) { hook.before_run(*this); });
  resume_if_requested();
  optim_wrapper_->initialize_count_status(counters_.micro_step, max_iters());
  log(by_epoch_ ? fmt::format("training for {} epochs of {} batches", max_epochs_, iters_per_epoch())
                : fmt::format("training for {} micro-steps ({} batches per data pass)", max_iters_, iters_per_epoch()));
  call_hooks([&](Hook& hook) { hook.before_train(*this); });
  if (by_epoch_) {
    train_epoch_based();
  } else {
    train_iter_based();
  }
  if (interrupted_) {
    const auto path = save_checkpoint(fmt::format("iter_{}", counters_.micro_step));
    log(fmt::format("{}: saved {} after micro-step {}; continue with `--resume auto`", stop_reason_, path.string(),
                    counters_.micro_step));
  } else if (stop_requested()) {
    log(stop_reason_);
  }
  call_hooks([&](Hook& hook) { hook.after_train(*this); });
  call_hooks([&](Hook& hook) { hook.after_run(*this); });
}

Metrics Runner::evaluate(DataLoader& loader, Evaluator& evaluator, bool test) {
  const bool was_training = model_->is_training();
  model_->eval();
  NoGradGuard no_grad;
  evaluator.reset();
  call_hooks([&](Hook& hook) { test ? hook.before_test_epoch(*this) : hook.before_val_epoch(*this); });
  DataLoader::Iterator it = loader.begin_epoch(0, 0);
  while (std::optional<Batch> host_batch = it.next()) {
    const std::optional<Batch> batch = device_.is_cpu() ? host_batch : to_device(*host_batch, device_);
    call_hooks([&](Hook& hook) { test ? hook.before_test_iter(*this, *batch) : hook.before_val_iter(*this, *batch); });
    Outputs outputs;
    {
      const OptimContext context = forward_context();
      outputs = model_->forward_batch(*batch);
    }
    // Metrics accumulate on the host.
    if (device_.is_cpu()) {
      evaluator.process(*batch, outputs);
    } else {
      evaluator.process(*host_batch, to_device(outputs, Device::cpu()));
    }
    call_hooks([&](Hook& hook) {
      test ? hook.after_test_iter(*this, *batch, outputs) : hook.after_val_iter(*this, *batch, outputs);
    });
  }
  const Metrics metrics = evaluator.compute();
  call_hooks([&](Hook& hook) { test ? hook.after_test_epoch(*this, metrics) : hook.after_val_epoch(*this, metrics); });
  model_->train(was_training);
  return metrics;
}

Metrics Runner::val() {
  MINI_CHECK(val_loader_ != nullptr && val_evaluator_ != nullptr,
             "val: the config needs val_dataloader and val_evaluator");
  call_hooks([&](Hook& hook) { hook.before_val(*this); });
  const Metrics metrics = evaluate(*val_loader_, *val_evaluator_, /*test=*/false);
  call_hooks([&](Hook& hook) { hook.after_val(*this); });
  return metrics;
}

Metrics Runner::test() {
  MINI_CHECK(test_loader_ != nullptr && test_evaluator_ != nullptr,
             "test: the config needs test_dataloader and test_evaluator (or val_evaluator)");
  call_hooks([&](Hook& hook) { hook.before_test(*this); });
  const Metrics metrics = evaluate(*test_loader_, *test_evaluator_, /*test=*/true);
  call_hooks([&](Hook& hook) { hook.after_test(*this); });
  return metrics;
}

}  // namespace mini::runtime
