#include "runtime/loops.h"

#include <mutex>

#include <fmt/format.h>

namespace mini::runtime {

using config::ArgType;
using config::Node;

config::Registry<LoopSettings>& loop_registry() {
  static config::Registry<LoopSettings> registry("loop");
  return registry;
}

namespace {

LoopSettings train_loop(const config::Args& args, bool by_epoch) {
  LoopSettings settings{.type = args.type(), .by_epoch = by_epoch};
  const char* length_key = by_epoch ? "max_epochs" : "max_iters";
  const int64_t length = args.get_int(length_key);
  if (length <= 0) args.fail(length_key, fmt::format("must be a positive count, got {}", length));
  (by_epoch ? settings.max_epochs : settings.max_iters) = length;
  settings.val_interval = args.get_int("val_interval");
  if (settings.val_interval <= 0) {
    args.fail("val_interval", fmt::format("must be positive, got {}", settings.val_interval));
  }
  settings.val_begin = args.get_int("val_begin");
  return settings;
}

}  // namespace

void register_loop_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& registry = loop_registry();
    registry.add({.type = "EpochBasedTrainLoop",
                  .doc = "trains for max_epochs passes over train_dataloader, validating every val_interval epochs",
                  .args = {config::required("max_epochs", ArgType::Int, "epochs to train"),
                           config::optional("val_interval", ArgType::Int, Node::from(1), "validate every N epochs"),
                           config::optional("val_begin", ArgType::Int, Node::from(1),
                                            "first epoch after which validation may run")}},
                 [](const config::Args& args) { return train_loop(args, true); });
    registry.add({.type = "IterBasedTrainLoop",
                  .doc = "trains for max_iters batches (micro-steps), cycling through the data, validating every "
                         "val_interval micro-steps",
                  .args = {config::required("max_iters", ArgType::Int, "micro-steps (batches) to train"),
                           config::optional("val_interval", ArgType::Int, Node::from(1000),
                                            "validate every N micro-steps"),
                           config::optional("val_begin", ArgType::Int, Node::from(1),
                                            "first micro-step after which validation may run")}},
                 [](const config::Args& args) { return train_loop(args, false); });
    registry.add({.type = "ValLoop", .doc = "one pass over val_dataloader scored by val_evaluator", .args = {}},
                 [](const config::Args& args) { return LoopSettings{.type = args.type()}; });
    registry.add({.type = "TestLoop", .doc = "one pass over test_dataloader scored by test_evaluator", .args = {}},
                 [](const config::Args& args) { return LoopSettings{.type = args.type()}; });
  });
}

}  // namespace mini::runtime
