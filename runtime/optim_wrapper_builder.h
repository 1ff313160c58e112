#pragma once
// optim_wrapper from config (kind "optim_wrapper"), MMEngine's shape:
//   optim_wrapper:
//     type: OptimWrapper
//     optimizer: {type: SGD, lr: 0.05, momentum: 0.9}
//     accumulative_counts: 1
//     clip_grad: {max_norm: 1.0, norm_type: 2}     # or {type: value, clip_value: 0.5}
//     paramwise_cfg: {norm_decay_mult: 0, bias_decay_mult: 0, custom_keys: {head: {lr_mult: 10}}}
#include <memory>

#include "config/registry.h"
#include "nn/module.h"
#include "runtime/optim_wrapper.h"

namespace mini::runtime {

config::Registry<std::unique_ptr<OptimWrapper>, nn::Module&>& optim_wrapper_registry();
void register_optim_wrapper_components();

// Reads a clip_grad map ({max_norm, norm_type} or {type: value, clip_value});
// null gives no clipping. Errors name the config location.
std::optional<GradClip> parse_clip_grad(const config::Node& clip_grad);

}  // namespace mini::runtime
