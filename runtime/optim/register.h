#pragma once
// Optimizers and parameter schedulers from config, with MMEngine's names.
//
//   runtime::register_optim_components();   // once (idempotent)
//   // optim_wrapper: {optimizer: {type: AdamW, lr: 1e-3, weight_decay: 0.05},
//   //                 paramwise_cfg: {norm_decay_mult: 0, bias_decay_mult: 0,
//   //                                 custom_keys: {backbone: {lr_mult: 0.1}}}}
//   auto optimizer = runtime::build_optimizer(wrapper.at("optimizer"), *model, wrapper.find("paramwise_cfg"));
//   // param_scheduler: [{type: LinearLR, start_factor: 0.1, end: 5, by_epoch: false},
//   //                   {type: CosineAnnealingLR, begin: 1, T_max: 9, convert_to_iter_based: true}]
//   runtime::BuiltSchedulers schedulers = runtime::build_schedulers(cfg.at("param_scheduler"), *optimizer,
//                                                                   iters_per_epoch);
//
// Optimizer types: SGD, Adam, AdamW, RMSprop, Adagrad, Lion (PyTorch's
// argument names; Adam-style `betas: [b1, b2]`).
//
// Schedulers: Constant, Step, MultiStep, Exponential, Linear, CosineAnnealing,
// CosineRestart, Poly, OneCycle and ReduceOnPlateau, each as
//   <Name>LR              (schedules "lr"),
//   <Name>Momentum        ("momentum", or "beta1" for Adam-style optimizers; not OneCycle),
//   <Name>ParamScheduler  (the group option named by `param_name:`).
// Common arguments: begin, end (null: never), by_epoch, convert_to_iter_based
// (multiplies begin, end and the epoch-counted arguments — T_max, milestones,
// step_size, periods, total_steps — by iters_per_epoch and sets by_epoch false).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/registry.h"
#include "nn/module.h"
#include "nn/optim/optimizer.h"
#include "nn/optim/scheduler.h"

namespace mini::runtime {

// Builders get the config and the parameters of the first parameter group
// (build_optimizer adds the other groups afterwards).
using OptimizerRegistry = config::Registry<std::unique_ptr<nn::optim::Optimizer>, std::vector<Tensor>>;
// Builders get the optimizer to schedule and the iterations per epoch (for convert_to_iter_based).
using SchedulerRegistry = config::Registry<std::unique_ptr<nn::optim::ParamScheduler>, nn::optim::Optimizer&, int64_t>;

OptimizerRegistry& optimizer_registry();  // kind "optimizer"
SchedulerRegistry& scheduler_registry();  // kind "param_scheduler"

// Registers the built-in optimizers and schedulers (safe to call many times).
void register_optim_components();

// The optimizer over `model`'s parameters that require grad (frozen ones are
// left out), grouped by paramwise_cfg (may be null; see paramwise.h for the
// rules). Parameters with identical options share one group, in the order
// they first appear. Throws config::ConfigError naming the config location.
std::unique_ptr<nn::optim::Optimizer> build_optimizer(const config::Node& optimizer_cfg, nn::Module& model,
                                                      const config::Node* paramwise_cfg = nullptr);

struct BuiltSchedulers {
  nn::optim::ParamSchedulerList list;
  // Per scheduler, in order: stepped after every epoch (true) or every iteration.
  std::vector<bool> by_epoch;
  // Per scheduler: the metric a ReduceOnPlateau* scheduler reads (MMEngine's
  // `monitor`; call its step(metric) after validation), "" for the others.
  std::vector<std::string> monitor;
};

// `param_scheduler_cfg`: one scheduler (a map), a list of them, or null (none).
// Everything is validated before anything is built. iters_per_epoch is only
// read by schedulers with convert_to_iter_based (it must then be positive).
BuiltSchedulers build_schedulers(const config::Node& param_scheduler_cfg, nn::optim::Optimizer& optimizer,
                                 int64_t iters_per_epoch);

}  // namespace mini::runtime
