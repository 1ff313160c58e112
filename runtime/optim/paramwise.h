#pragma once
// Parameter groups from `optim_wrapper.paramwise_cfg`, with the rules of
// MMEngine's DefaultOptimWrapperConstructor (a subset):
//
//   paramwise_cfg:
//     custom_keys:            # pattern -> options; the pattern is a substring of the dotted name
//       backbone: {lr_mult: 0.1}
//       head.fc: {lr_mult: 10, decay_mult: 0, momentum: 0.95}
//     norm_decay_mult: 0.0    # weight and bias of BatchNorm/LayerNorm/GroupNorm/RMSNorm modules
//     bias_decay_mult: 0.0    # parameters named "bias" (module path + ".bias")
//     bias_lr_mult: 2.0       # biases outside norm layers
//     dwconv_decay_mult: 0.0  # depth-wise Conv2d (in_channels == groups)
//     flat_decay_mult: 0.0    # any other 1-d parameter
//     bypass_duplicate: true  # skip a parameter registered under a second name
//
// Rules, in MMEngine's order:
//  - Keys of custom_keys are tried longest first (ties alphabetically); the
//    first that is a substring of the parameter's dotted name wins, and then
//    no other rule applies. Its lr = optimizer lr * lr_mult, weight_decay =
//    optimizer weight_decay * decay_mult; any other key names an optimizer
//    option set outright (lr, weight_decay, momentum, eps, betas: [b1, b2], ...).
//  - Otherwise: a bias outside a norm layer gets lr * bias_lr_mult; the decay
//    multiplier is the first that applies of norm_decay_mult (norm layers),
//    bias_decay_mult (biases), dwconv_decay_mult, flat_decay_mult (1-d).
//  - Frozen parameters (requires_grad false) are left out.
//  - A parameter reachable under two names (a module registered twice) is an
//    error unless bypass_duplicate, which keeps the first name. Without any
//    paramwise_cfg duplicates are dropped silently (as torch's parameters()).
// Departure from MMEngine: decay multipliers scale the optimizer's effective
// weight_decay (AdamW's default 0.01 included), not only one written in the config.
#include <map>
#include <string>
#include <vector>

#include "config/registry.h"
#include "nn/module.h"

namespace mini::runtime {

// A parameter group before the optimizer exists: multipliers of the
// optimizer's lr and weight_decay, plus options set outright.
struct ParamGroupSpec {
  std::vector<Tensor> params;
  std::vector<std::string> names;  // dotted names, parallel to params
  double lr_mult = 1;
  double decay_mult = 1;
  std::map<std::string, double> options;  // "betas" already split into beta1/beta2
};

// Parameters of `model` that require grad, grouped (identical settings share a
// group, in order of first appearance). paramwise_cfg may be null. Throws
// config::ConfigError for unknown keys (with did-you-mean) or bad values.
std::vector<ParamGroupSpec> make_param_groups(nn::Module& model, const config::Node* paramwise_cfg);

// The keys paramwise_cfg accepts, for validation and `mini-engine list`.
const std::vector<config::ArgSpec>& paramwise_cfg_args();

}  // namespace mini::runtime
