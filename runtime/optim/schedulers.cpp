// The parameter-scheduler registry (MMEngine's names and arguments) and build_schedulers.
//
// Each scheduler family is described once (its own arguments and how to build
// it) and registered in up to three variants that differ only in the option
// they schedule: <Stem>LR, <Stem>Momentum and <Stem>ParamScheduler.
#include "nn/optim/schedulers.h"

#include <functional>

#include "runtime/optim/register.h"

namespace mini::runtime {

using config::Args;
using config::ArgSpec;
using config::ArgType;
using config::Node;
using nn::optim::kInfiniteStep;
using nn::optim::Optimizer;
using nn::optim::ParamScheduler;
using nn::optim::SchedulerWindow;

SchedulerRegistry& scheduler_registry() {
  static SchedulerRegistry registry("param_scheduler");
  return registry;
}

namespace {

// The window and the factor that turns epoch counts into iteration counts.
struct Window {
  SchedulerWindow window;
  int64_t epoch_scale = 1;  // iters_per_epoch under convert_to_iter_based, else 1
};

using Make = std::function<std::unique_ptr<ParamScheduler>(const Args&, Optimizer&, const Window&)>;

struct Family {
  std::string stem;  // "Linear" -> LinearLR, LinearMomentum, LinearParamScheduler
  std::string doc;
  std::vector<ArgSpec> args;
  bool has_momentum_variant = true;
  bool convertible = true;  // supports convert_to_iter_based
  Make make;
};

enum class Variant { LR, Momentum, ParamScheduler };

ArgSpec with_choices(ArgSpec spec, std::vector<std::string> choices) {
  spec.choices = std::move(choices);
  return spec;
}

ArgSpec nullable(ArgSpec spec) {
  spec.nullable = true;
  return spec;
}

std::vector<ArgSpec> window_args() {
  return {
      config::optional("begin", ArgType::Int, Node::from(0),
                       "first step (epoch or iteration, see by_epoch) at which the scheduler acts"),
      nullable(config::optional("end", ArgType::Int, Node(), "first step at which it no longer acts (null: never)")),
      config::optional("by_epoch", ArgType::Bool, Node::from(true),
                       "steps count epochs (stepped after each epoch) rather than iterations"),
      config::optional("convert_to_iter_based", ArgType::Bool, Node::from(false),
                       "write counts in epochs but step every iteration (counts x iterations per epoch)")};
}

Window read_window(const Args& args, std::string param_name, int64_t iters_per_epoch, bool convertible) {
  Window w;
  w.window.param_name = std::move(param_name);
  w.window.begin = args.get_int("begin");
  w.window.end = args.is_null("end") ? kInfiniteStep : args.get_int("end");
  w.window.by_epoch = args.get_bool("by_epoch");
  if (w.window.begin < 0) args.fail("begin", "must be non-negative");
  if (w.window.end <= w.window.begin) {
    args.fail("end", fmt::format("end ({}) must be larger than begin ({})", w.window.end, w.window.begin));
  }
  if (args.get_bool("convert_to_iter_based")) {
    if (!convertible) args.fail("convert_to_iter_based", "is not supported by this scheduler");
    if (!w.window.by_epoch) {
      args.fail("convert_to_iter_based", "needs by_epoch: true (only epoch-based schedules convert to iterations)");
    }
    if (iters_per_epoch <= 0) {
      args.fail("convert_to_iter_based",
                fmt::format("needs the number of iterations per epoch, got {}", iters_per_epoch));
    }
    w.epoch_scale = iters_per_epoch;
    w.window.begin *= iters_per_epoch;
    if (w.window.end != kInfiniteStep) w.window.end *= iters_per_epoch;
    w.window.by_epoch = false;
  }
  return w;
}

// The option a *Momentum scheduler drives: SGD/RMSprop's momentum, or Adam/Lion's beta1.
std::string momentum_option(const Args& args, const Optimizer& optimizer) {
  if (optimizer.defaults().contains("momentum")) return "momentum";
  if (optimizer.defaults().contains("beta1")) return "beta1";
  args.config().fail(fmt::format("{} needs an optimizer with momentum or betas", args.type()));
}

std::string scheduled_option(const Args& args, const Optimizer& optimizer, Variant variant) {
  switch (variant) {
    case Variant::LR:
      return "lr";
    case Variant::Momentum:
      return momentum_option(args, optimizer);
    case Variant::ParamScheduler:
      break;
  }
  const std::string name = args.get_string("param_name");
  if (!optimizer.defaults().contains(name)) {
    std::vector<std::string> options;
    for (const auto& [option, value] : optimizer.defaults()) options.push_back(option);
    args.fail("param_name", fmt::format("the optimizer has no option '{}' (it has: {}){}", name,
                                        fmt::join(options, ", "), config::did_you_mean(name, options)));
  }
  return name;
}

std::vector<int64_t> scaled(std::vector<int64_t> counts, int64_t scale) {
  for (int64_t& count : counts) count *= scale;
  return counts;
}

std::vector<Family> families() {
  std::vector<Family> out;
  out.push_back({"Constant",
                 "multiplies the value by factor until end, then restores it",
                 {config::optional("factor", ArgType::Float, Node::from(1.0 / 3), "the multiplier, in (0, 1]")},
                 /*has_momentum_variant=*/true,
                 /*convertible=*/true,
                 [](const Args& args, Optimizer& optimizer, const Window& w) {
                   return std::make_unique<nn::optim::ConstantLR>(
                       optimizer, nn::optim::ConstantLROptions{.factor = args.get_double("factor")}, w.window);
                 }});
  out.push_back({"Step",
                 "multiplies the value by gamma every step_size steps",
                 {config::required("step_size", ArgType::Int, "period of the decay, in steps"),
                  config::optional("gamma", ArgType::Float, Node::from(0.1), "multiplier per period")},
                 /*has_momentum_variant=*/true,
                 /*convertible=*/true,
                 [](const Args& args, Optimizer& optimizer, const Window& w) {
                   return std::make_unique<nn::optim::StepLR>(
                       optimizer,
                       nn::optim::StepLROptions{.step_size = args.get_int("step_size") * w.epoch_scale,
                                                .gamma = args.get_double("gamma")},
                       w.window);
                 }});
  out.push_back(
      {"MultiStep",
       "multiplies the value by gamma at each milestone (steps counted from begin)",
       {config::required("milestones", ArgType::IntList, "increasing steps at which to decay"),
        config::optional("gamma", ArgType::Float, Node::from(0.1), "multiplier per milestone")},
       /*has_momentum_variant=*/true,
       /*convertible=*/true,
       [](const Args& args, Optimizer& optimizer, const Window& w) {
         return std::make_unique<nn::optim::MultiStepLR>(
             optimizer,
             nn::optim::MultiStepLROptions{.milestones = scaled(args.get_int_list("milestones"), w.epoch_scale),
                                           .gamma = args.get_double("gamma")},
             w.window);
       }});
  out.push_back({"Exponential",
                 "multiplies the value by gamma every step",
                 {config::required("gamma", ArgType::Float, "multiplier per step")},
                 /*has_momentum_variant=*/true,
                 /*convertible=*/true,
                 [](const Args& args, Optimizer& optimizer, const Window& w) {
                   return std::make_unique<nn::optim::ExponentialLR>(
                       optimizer, nn::optim::ExponentialLROptions{.gamma = args.get_double("gamma")}, w.window);
                 }});
  out.push_back(
      {"Linear",
       "scales the value linearly from start_factor to end_factor over [begin, end) (warm-up)",
       {config::optional("start_factor", ArgType::Float, Node::from(1.0 / 3), "multiplier at begin, in (0, 1]"),
        config::optional("end_factor", ArgType::Float, Node::from(1.0), "multiplier reached at end - 1, in [0, 1]")},
       /*has_momentum_variant=*/true,
       /*convertible=*/true,
       [](const Args& args, Optimizer& optimizer, const Window& w) {
         return std::make_unique<nn::optim::LinearLR>(
             optimizer,
             nn::optim::LinearLROptions{.start_factor = args.get_double("start_factor"),
                                        .end_factor = args.get_double("end_factor")},
             w.window);
       }});
  out.push_back(
      {"CosineAnnealing",
       "cosine curve from the value down to eta_min over T_max steps",
       {nullable(config::optional("T_max", ArgType::Int, Node(), "steps of the half cosine (null: end - begin)")),
        config::optional("eta_min", ArgType::Float, Node::from(0.0), "the value at the bottom")},
       /*has_momentum_variant=*/true,
       /*convertible=*/true,
       [](const Args& args, Optimizer& optimizer, const Window& w) {
         nn::optim::CosineAnnealingLROptions options{.T_max = std::nullopt, .eta_min = args.get_double("eta_min")};
         if (!args.is_null("T_max")) {
           options.T_max = args.get_int("T_max") * w.epoch_scale;
         } else if (w.window.end == kInfiniteStep) {
           args.fail("T_max", "give T_max or a finite end");
         }
         return std::make_unique<nn::optim::CosineAnnealingLR>(optimizer, options, w.window);
       }});
  out.push_back({"CosineRestart",
                 "cosine annealing restarted at each period's start (SGDR)",
                 {config::required("periods", ArgType::IntList, "length of each cosine cycle, in steps"),
                  config::optional(
                      "restart_weights", ArgType::FloatList,
                      [] {
                        Node weights = Node::sequence();
                        weights.push_back(Node::from(1.0));
                        return weights;
                      }(),
                      "value multiplier at each restart, one per period"),
                  config::optional("eta_min", ArgType::Float, Node::from(0.0), "the value at the bottom")},
                 /*has_momentum_variant=*/true,
                 /*convertible=*/true,
                 [](const Args& args, Optimizer& optimizer, const Window& w) {
                   const auto periods = args.get_int_list("periods");
                   const auto weights = args.get_double_list("restart_weights");
                   if (periods.size() != weights.size()) {
                     args.fail("restart_weights", fmt::format("has {} weights for {} periods (one per period)",
                                                              weights.size(), periods.size()));
                   }
                   return std::make_unique<nn::optim::CosineRestartLR>(
                       optimizer,
                       nn::optim::CosineRestartLROptions{.periods = scaled(periods, w.epoch_scale),
                                                         .restart_weights = weights,
                                                         .eta_min = args.get_double("eta_min")},
                       w.window);
                 }});
  out.push_back(
      {"Poly",
       "polynomial decay from the value to eta_min at end - 1",
       {config::optional("eta_min", ArgType::Float, Node::from(0.0), "the final value"),
        config::optional("power", ArgType::Float, Node::from(1.0), "exponent of the polynomial")},
       /*has_momentum_variant=*/true,
       /*convertible=*/true,
       [](const Args& args, Optimizer& optimizer, const Window& w) {
         if (w.window.end == kInfiniteStep) args.fail("end", "PolyLR needs a finite end");
         return std::make_unique<nn::optim::PolyLR>(
             optimizer,
             nn::optim::PolyLROptions{.power = args.get_double("power"), .eta_min = args.get_double("eta_min")},
             w.window);
       }});
  out.push_back(
      {"OneCycle",
       "1cycle: up from eta_max / div_factor to eta_max, then down far below (sets the value outright)",
       {config::required("eta_max", ArgType::Any, "the peak value: a number, or a list with one per parameter group"),
        nullable(config::optional("total_steps", ArgType::Int, Node(), "steps in the cycle (null: end - begin)")),
        config::optional("pct_start", ArgType::Float, Node::from(0.3), "fraction of the cycle spent increasing"),
        with_choices(config::optional("anneal_strategy", ArgType::String, Node::from("cos"),
                                      "curve between phases: cos or linear"),
                     {"cos", "linear"}),
        config::optional("div_factor", ArgType::Float, Node::from(25.0), "starting value = eta_max / div_factor"),
        config::optional("final_div_factor", ArgType::Float, Node::from(1e4),
                         "final value = starting value / final_div_factor"),
        config::optional("three_phase", ArgType::Bool, Node::from(false),
                         "the paper's three phases instead of fastai's two")},
       /*has_momentum_variant=*/false,
       /*convertible=*/true,
       [](const Args& args, Optimizer& optimizer, const Window& w) {
         nn::optim::OneCycleLROptions options{.max_value = {},
                                              .total_steps = 0,
                                              .pct_start = args.get_double("pct_start"),
                                              .anneal_strategy = args.get_string("anneal_strategy"),
                                              .div_factor = args.get_double("div_factor"),
                                              .final_div_factor = args.get_double("final_div_factor"),
                                              .three_phase = args.get_bool("three_phase")};
         const Node& eta_max = args.node("eta_max");
         if (eta_max.is_sequence()) {
           for (const Node& value : eta_max.elements()) options.max_value.push_back(value.as_double());
         } else {
           options.max_value.push_back(eta_max.as_double());
         }
         if (!args.is_null("total_steps")) {
           options.total_steps = args.get_int("total_steps") * w.epoch_scale;
         } else if (w.window.end == kInfiniteStep) {
           args.fail("total_steps", "give total_steps or a finite end");
         } else {
           options.total_steps = w.window.end - w.window.begin;
         }
         return std::make_unique<nn::optim::OneCycleLR>(optimizer, options, w.window);
       }});
  out.push_back(
      {"ReduceOnPlateau",
       "multiplies the value by factor when the monitored metric stops improving",
       {config::optional("monitor", ArgType::String, Node::from("loss"), "the validation metric to watch"),
        with_choices(config::optional("rule", ArgType::String, Node::from("less"),
                                      "less: lower is better; greater: higher is better"),
                     {"less", "greater"}),
        config::optional("factor", ArgType::Float, Node::from(0.1), "multiplier on a plateau, in [0, 1)"),
        config::optional("patience", ArgType::Int, Node::from(10), "steps without improvement tolerated"),
        config::optional("threshold", ArgType::Float, Node::from(1e-4), "smallest change that counts as improvement"),
        with_choices(config::optional("threshold_rule", ArgType::String, Node::from("rel"),
                                      "threshold is relative (rel) or absolute (abs)"),
                     {"rel", "abs"}),
        config::optional("cooldown", ArgType::Int, Node::from(0), "steps to wait after a reduction"),
        config::optional("min_value", ArgType::Float, Node::from(0.0), "the value never goes below this"),
        config::optional("eps", ArgType::Float, Node::from(1e-8), "reductions smaller than this are skipped")},
       /*has_momentum_variant=*/true,
       /*convertible=*/false,
       [](const Args& args, Optimizer& optimizer, const Window& w) {
         return std::make_unique<nn::optim::ReduceOnPlateauLR>(
             optimizer,
             nn::optim::ReduceOnPlateauLROptions{.mode = args.get_string("rule") == "less" ? "min" : "max",
                                                 .factor = args.get_double("factor"),
                                                 .patience = args.get_int("patience"),
                                                 .threshold = args.get_double("threshold"),
                                                 .threshold_mode = args.get_string("threshold_rule"),
                                                 .cooldown = args.get_int("cooldown"),
                                                 .min_value = args.get_double("min_value"),
                                                 .eps = args.get_double("eps")},
             w.window);
       }});
  return out;
}

void register_family(const Family& family, Variant variant) {
  static const char* const suffixes[] = {"LR", "Momentum", "ParamScheduler"};
  static const char* const subjects[] = {"lr", "momentum, or beta1 for Adam-style optimizers", "param_name"};
  const auto v = static_cast<size_t>(variant);
  config::ComponentInfo info{
      .type = family.stem + suffixes[v], .doc = fmt::format("{} (schedules {})", family.doc, subjects[v]), .args = {}};
  if (variant == Variant::ParamScheduler) {
    info.args.push_back(config::required("param_name", ArgType::String,
                                         "the optimizer option to schedule (lr, momentum, weight_decay, beta1, ...)"));
  }
  info.args.insert(info.args.end(), family.args.begin(), family.args.end());
  for (ArgSpec& spec : window_args()) info.args.push_back(std::move(spec));
  scheduler_registry().add(std::move(info), [family, variant](const Args& args, Optimizer& optimizer,
                                                              int64_t iters_per_epoch) {
    const Window w = read_window(args, scheduled_option(args, optimizer, variant), iters_per_epoch, family.convertible);
    try {
      return family.make(args, optimizer, w);
    } catch (const config::ConfigError&) {
      throw;
    } catch (const ValueError& e) {
      // The scheduler's own range checks, pointed at the config entry.
      args.config().fail(e.what());
    }
  });
}

}  // namespace

namespace detail {
void register_schedulers() {
  for (const Family& family : families()) {
    register_family(family, Variant::LR);
    if (family.has_momentum_variant) register_family(family, Variant::Momentum);
    register_family(family, Variant::ParamScheduler);
  }
}
}  // namespace detail

BuiltSchedulers build_schedulers(const Node& param_scheduler_cfg, Optimizer& optimizer, int64_t iters_per_epoch) {
  register_optim_components();
  BuiltSchedulers built;
  std::vector<const Node*> entries;
  if (param_scheduler_cfg.is_map()) {
    entries.push_back(&param_scheduler_cfg);
  } else if (param_scheduler_cfg.is_sequence()) {
    for (const Node& entry : param_scheduler_cfg.elements()) entries.push_back(&entry);
  } else if (!param_scheduler_cfg.is_null()) {
    param_scheduler_cfg.fail(fmt::format("param_scheduler must be a scheduler (a map), a list of them or null; got {}",
                                         param_scheduler_cfg.type_name()));
  }
  // Validate all before building any: each constructor already steps the optimizer's options.
  for (const Node* entry : entries) scheduler_registry().validate(*entry);
  for (const Node* entry : entries) {
    std::unique_ptr<ParamScheduler> scheduler = scheduler_registry().build(*entry, optimizer, iters_per_epoch);
    built.by_epoch.push_back(scheduler->by_epoch());
    std::string monitor;
    if (dynamic_cast<nn::optim::ReduceOnPlateauLR*>(scheduler.get()) != nullptr) {
      const Node* monitor_node = entry->find("monitor");
      monitor = monitor_node != nullptr ? monitor_node->as_string() : "loss";
    }
    built.monitor.push_back(std::move(monitor));
    built.list.add(std::move(scheduler));
  }
  return built;
}

}  // namespace mini::runtime
