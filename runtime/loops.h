#pragma once
// Loop settings from train_cfg / val_cfg / test_cfg. The loops themselves
// are Runner::train(), val() and test(); these say how long and how often.
//   EpochBasedTrainLoop  max_epochs, val_interval (epochs), val_begin
//   IterBasedTrainLoop   max_iters (micro-steps), val_interval (micro-steps), val_begin
//   ValLoop, TestLoop    no settings
#include <cstdint>
#include <string>

#include "config/registry.h"

namespace mini::runtime {

struct LoopSettings {
  std::string type;
  bool by_epoch = true;
  int64_t max_epochs = 0;
  int64_t max_iters = 0;
  int64_t val_interval = 1;
  int64_t val_begin = 1;
};

// Kind "loop".
config::Registry<LoopSettings>& loop_registry();
void register_loop_components();

}  // namespace mini::runtime
