#pragma once
// optim_wrapper from config (kind "optim_wrapper"), MMEngine's shape:
//   optim_wrapper:
//     type: OptimWrapper
//     optimizer: {type: SGD, lr: 0.05, momentum: 0.9}
//     accumulative_counts: 1
//     clip_grad: {max_norm: 1.0, norm_type: 2}     # or {type: value, clip_value: 0.5}
//     paramwise_cfg: {norm_decay_mult: 0, bias_decay_mult: 0, custom_keys: {head: {lr_mult: 10}}}
// or `type: AmpOptimWrapper` with the same keys plus dtype and loss_scale
// (runtime/amp_optim_wrapper.h).
#include <memory>

#include "config/registry.h"
#include "nn/amp/grad_scaler.h"
#include "nn/module.h"
#include "runtime/optim_wrapper.h"

namespace mini::runtime {

config::Registry<std::unique_ptr<OptimWrapper>, nn::Module&>& optim_wrapper_registry();
void register_optim_wrapper_components();

// Reads a clip_grad map ({max_norm, norm_type} or {type: value, clip_value});
// null gives no clipping. Errors name the config location.
std::optional<GradClip> parse_clip_grad(const config::Node& clip_grad);

// Reads AmpOptimWrapper's loss_scale: 'dynamic', a positive number (a static
// scale) or a map of GradScaler arguments (init_scale, growth_factor,
// backoff_factor, growth_interval, enabled). null: dynamic for float16, no
// scaling for bfloat16. Errors name the config location.
nn::amp::GradScalerOptions parse_loss_scale(const config::Node& loss_scale, DType dtype);

// The registry's checks plus the values they cannot see (clip_grad's keys,
// loss_scale), so `mini-engine config check` catches them before a run.
void validate_optim_wrapper_config(const config::Node& optim_wrapper);

}  // namespace mini::runtime
