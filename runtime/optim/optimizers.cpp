// The optimizer registry (PyTorch's argument names) and build_optimizer.
#include <algorithm>
#include <mutex>

#include "nn/optim/adagrad.h"
#include "nn/optim/adam.h"
#include "nn/optim/lion.h"
#include "nn/optim/rmsprop.h"
#include "nn/optim/sgd.h"
#include "runtime/optim/paramwise.h"
#include "runtime/optim/register.h"

namespace mini::runtime {

using config::Args;
using config::ArgSpec;
using config::ArgType;
using config::Node;
using nn::optim::Optimizer;

namespace detail {
void register_schedulers();  // schedulers.cpp
}  // namespace detail

OptimizerRegistry& optimizer_registry() {
  static OptimizerRegistry registry("optimizer");
  return registry;
}

namespace {

ArgSpec lr_arg(double default_lr) {
  return config::optional("lr", ArgType::Float, Node::from(default_lr), "learning rate");
}
ArgSpec weight_decay_arg(double default_decay, const char* doc) {
  return config::optional("weight_decay", ArgType::Float, Node::from(default_decay), doc);
}
ArgSpec betas_arg(double beta1, double beta2, const char* doc) {
  Node betas = Node::sequence();
  betas.push_back(Node::from(beta1));
  betas.push_back(Node::from(beta2));
  return config::optional("betas", ArgType::FloatList, betas, doc);
}

// betas: [b1, b2], each in [0, 1).
std::pair<double, double> read_betas(const Args& args) {
  const std::vector<double> betas = args.get_double_list("betas");
  if (betas.size() != 2) args.fail("betas", fmt::format("expected two numbers [b1, b2], got {}", betas.size()));
  for (double beta : betas) {
    if (beta < 0 || beta >= 1) args.fail("betas", fmt::format("{} is outside [0, 1)", beta));
  }
  return {betas[0], betas[1]};
}

// The checks every optimizer shares, reported at the config line.
void check_non_negative(const Args& args, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (args.get_double(name) < 0) args.fail(name, "must be non-negative");
  }
}

void register_optimizers() {
  auto& optimizers = optimizer_registry();
  optimizers.add(
      {.type = "SGD",
       .doc = "stochastic gradient descent with optional (Nesterov) momentum",
       .args = {lr_arg(1e-3), config::optional("momentum", ArgType::Float, Node::from(0.0), "momentum factor"),
                config::optional("dampening", ArgType::Float, Node::from(0.0),
                                 "scales the gradient added to the momentum buffer by 1 - dampening"),
                weight_decay_arg(0.0, "L2 penalty added to the gradient"),
                config::optional("nesterov", ArgType::Bool, Node::from(false),
                                 "Nesterov momentum (needs momentum > 0 and dampening 0)")}},
      [](const Args& args, std::vector<Tensor> params) -> std::unique_ptr<Optimizer> {
        check_non_negative(args, {"lr", "momentum", "weight_decay"});
        const nn::optim::SGDOptions options{.lr = args.get_double("lr"),
                                            .momentum = args.get_double("momentum"),
                                            .dampening = args.get_double("dampening"),
                                            .weight_decay = args.get_double("weight_decay"),
                                            .nesterov = args.get_bool("nesterov")};
        if (options.nesterov && (options.momentum <= 0 || options.dampening != 0)) {
          args.fail("nesterov", "needs momentum > 0 and dampening 0");
        }
        return std::make_unique<nn::optim::SGD>(std::move(params), options);
      });
  optimizers.add({.type = "Adam",
                  .doc = "Adam: per-parameter steps from running averages of the gradient and its square",
                  .args = {lr_arg(1e-3), betas_arg(0.9, 0.999, "decay rates of the gradient and squared averages"),
                           config::optional("eps", ArgType::Float, Node::from(1e-8), "added to the denominator"),
                           weight_decay_arg(0.0, "L2 penalty added to the gradient"),
                           config::optional("amsgrad", ArgType::Bool, Node::from(false),
                                            "use the running maximum of the squared average")}},
                 [](const Args& args, std::vector<Tensor> params) -> std::unique_ptr<Optimizer> {
                   check_non_negative(args, {"lr", "eps", "weight_decay"});
                   const auto [beta1, beta2] = read_betas(args);
                   return std::make_unique<nn::optim::Adam>(
                       std::move(params), nn::optim::AdamOptions{.lr = args.get_double("lr"),
                                                                 .beta1 = beta1,
                                                                 .beta2 = beta2,
                                                                 .eps = args.get_double("eps"),
                                                                 .weight_decay = args.get_double("weight_decay"),
                                                                 .amsgrad = args.get_bool("amsgrad")});
                 });
  optimizers.add({.type = "AdamW",
                  .doc = "Adam with decoupled weight decay (the parameter shrinks by lr * weight_decay per step)",
                  .args = {lr_arg(1e-3), betas_arg(0.9, 0.999, "decay rates of the gradient and squared averages"),
                           config::optional("eps", ArgType::Float, Node::from(1e-8), "added to the denominator"),
                           weight_decay_arg(1e-2, "decoupled weight decay coefficient"),
                           config::optional("amsgrad", ArgType::Bool, Node::from(false),
                                            "use the running maximum of the squared average")}},
                 [](const Args& args, std::vector<Tensor> params) -> std::unique_ptr<Optimizer> {
                   check_non_negative(args, {"lr", "eps", "weight_decay"});
                   const auto [beta1, beta2] = read_betas(args);
                   return std::make_unique<nn::optim::AdamW>(
                       std::move(params), nn::optim::AdamWOptions{.lr = args.get_double("lr"),
                                                                  .beta1 = beta1,
                                                                  .beta2 = beta2,
                                                                  .eps = args.get_double("eps"),
                                                                  .weight_decay = args.get_double("weight_decay"),
                                                                  .amsgrad = args.get_bool("amsgrad")});
                 });
  optimizers.add({.type = "RMSprop",
                  .doc = "RMSprop: divides the gradient by a running root mean square",
                  .args = {lr_arg(1e-2),
                           config::optional("alpha", ArgType::Float, Node::from(0.99),
                                            "decay rate of the squared-gradient average"),
                           config::optional("eps", ArgType::Float, Node::from(1e-8), "added to the denominator"),
                           weight_decay_arg(0.0, "L2 penalty added to the gradient"),
                           config::optional("momentum", ArgType::Float, Node::from(0.0), "momentum factor"),
                           config::optional("centered", ArgType::Bool, Node::from(false),
                                            "normalise by the variance estimate instead of the raw second moment")}},
                 [](const Args& args, std::vector<Tensor> params) -> std::unique_ptr<Optimizer> {
                   check_non_negative(args, {"lr", "alpha", "eps", "weight_decay", "momentum"});
                   return std::make_unique<nn::optim::RMSprop>(
                       std::move(params), nn::optim::RMSpropOptions{.lr = args.get_double("lr"),
                                                                    .alpha = args.get_double("alpha"),
                                                                    .eps = args.get_double("eps"),
                                                                    .weight_decay = args.get_double("weight_decay"),
                                                                    .momentum = args.get_double("momentum"),
                                                                    .centered = args.get_bool("centered")});
                 });
  optimizers.add(
      {.type = "Adagrad",
       .doc = "Adagrad: divides the gradient by the root of the summed squared gradients",
       .args = {lr_arg(1e-2),
                config::optional("lr_decay", ArgType::Float, Node::from(0.0), "lr / (1 + (step - 1) * lr_decay)"),
                weight_decay_arg(0.0, "L2 penalty added to the gradient"),
                config::optional("initial_accumulator_value", ArgType::Float, Node::from(0.0),
                                 "starting value of the squared-gradient sum"),
                config::optional("eps", ArgType::Float, Node::from(1e-10), "added to the denominator")}},
      [](const Args& args, std::vector<Tensor> params) -> std::unique_ptr<Optimizer> {
        check_non_negative(args, {"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"});
        return std::make_unique<nn::optim::Adagrad>(
            std::move(params),
            nn::optim::AdagradOptions{.lr = args.get_double("lr"),
                                      .lr_decay = args.get_double("lr_decay"),
                                      .weight_decay = args.get_double("weight_decay"),
                                      .initial_accumulator_value = args.get_double("initial_accumulator_value"),
                                      .eps = args.get_double("eps")});
      });
  optimizers.add({.type = "Lion",
                  .doc = "Lion: steps by the sign of an interpolated momentum (use a ~10x smaller lr than AdamW)",
                  .args = {lr_arg(1e-4), betas_arg(0.9, 0.99, "interpolation and momentum decay rates"),
                           weight_decay_arg(0.0, "decoupled weight decay coefficient")}},
                 [](const Args& args, std::vector<Tensor> params) -> std::unique_ptr<Optimizer> {
                   check_non_negative(args, {"lr", "weight_decay"});
                   const auto [beta1, beta2] = read_betas(args);
                   return std::make_unique<nn::optim::Lion>(
                       std::move(params), nn::optim::LionOptions{.lr = args.get_double("lr"),
                                                                 .beta1 = beta1,
                                                                 .beta2 = beta2,
                                                                 .weight_decay = args.get_double("weight_decay")});
                 });
}

// Every custom_keys option must be one the optimizer has (or a multiplier).
void check_custom_key_options(const Node* paramwise_cfg, const Optimizer& optimizer, const std::string& type) {
  if (paramwise_cfg == nullptr || !paramwise_cfg->is_map()) return;
  const Node* custom = paramwise_cfg->find("custom_keys");
  if (custom == nullptr || !custom->is_map()) return;
  std::vector<std::string> known = {"lr_mult", "decay_mult"};
  for (const auto& [option, value] : optimizer.defaults()) known.push_back(option);
  if (optimizer.defaults().contains("beta1")) known.push_back("betas");
  for (const auto& [pattern, entry] : custom->items()) {
    for (const auto& [key, value] : entry.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        value.fail(fmt::format("'{}' is neither lr_mult, decay_mult nor an option of {}{}", key, type,
                               config::did_you_mean(key, known)));
      }
    }
  }
}

}  // namespace

void register_optim_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_optimizers();
    detail::register_schedulers();
  });
}

std::unique_ptr<Optimizer> build_optimizer(const Node& optimizer_cfg, nn::Module& model, const Node* paramwise_cfg) {
  register_optim_components();
  optimizer_registry().validate(optimizer_cfg);
  std::vector<ParamGroupSpec> groups = make_param_groups(model, paramwise_cfg);
  if (groups.empty()) {
    optimizer_cfg.fail(
        fmt::format("the model ({}) has no parameters that require grad: nothing to optimize", model.type_name()));
  }
  std::unique_ptr<Optimizer> optimizer;
  try {
    optimizer = optimizer_registry().build(optimizer_cfg, groups[0].params);
  } catch (const config::ConfigError&) {
    throw;
  } catch (const ValueError& e) {
    optimizer_cfg.fail(e.what());  // the optimizer's own checks, pointed at the config entry
  }
  const std::string type = config::RegistryBase::type_node(optimizer_cfg).as_string();
  check_custom_key_options(paramwise_cfg, *optimizer, type);

  const double base_lr = optimizer->defaults().at("lr");
  const double base_weight_decay = optimizer->defaults().at("weight_decay");
  for (size_t g = 0; g < groups.size(); ++g) {
    nn::optim::GroupOptions options{{"lr", base_lr * groups[g].lr_mult},
                                    {"weight_decay", base_weight_decay * groups[g].decay_mult}};
    for (const auto& [name, value] : groups[g].options) options[name] = value;
    if (g == 0) {
      for (const auto& [name, value] : options) optimizer->param_groups()[0].options[name] = value;
    } else {
      optimizer->add_param_group(std::move(groups[g].params), options);
    }
  }
  return optimizer;
}

}  // namespace mini::runtime
