#pragma once
// Exponential moving average of parameters (timm's ModelEma, torch_ema's
// ExponentialMovingAverage): a shadow copy updated after each optimizer step
//
//   shadow = decay_t * shadow + (1 - decay_t) * param
//
// with decay_t = decay, or with warmup
//
//   decay_t = min(decay, (1 + t) / (10 + t)),  t = 1, 2, ... the number of this update
//
// (torch_ema's form: the counter is incremented before the decay is computed,
// so the first update uses 2/11 and early shadows follow the weights closely).
//
//   nn::ExponentialMovingAverage ema(*model, {.decay = 0.999, .warmup = true});
//   for (...) { ...; optimizer.step(); ema.update(); }
//   ema.store(); ema.copy_to(); evaluate(*model); ema.restore();
//
// The shadows start as copies of the tracked tensors and keep their dtype and
// device. With update_buffers, floating buffers (BatchNorm running stats) are
// averaged the same way and other buffers (num_batches_tracked) copied;
// without it buffers are not tracked at all.
#include <cstdint>
#include <string>
#include <vector>

#include "nn/module.h"

namespace mini::nn {

struct EmaOptions {
  double decay = 0.9999;
  bool warmup = false;
  bool update_buffers = false;  // only for the Module constructor
};

class ExponentialMovingAverage {
 public:
  // Tracks model.named_parameters() (and named_buffers() with update_buffers).
  ExponentialMovingAverage(const Module& model, EmaOptions options = {});
  // Tracks the given tensors (named "0", "1", ... in the state dict).
  ExponentialMovingAverage(std::vector<Tensor> tensors, EmaOptions options = {});

  // One averaging step from the tracked tensors' current values.
  void update();
  // decay_t for update number t (1-based); see the formula above.
  double decay_at(int64_t t) const;
  int64_t num_updates() const { return num_updates_; }

  // Writes the shadows into the tracked tensors (in place: NOTE [parameter identity]).
  void copy_to() const;
  // Saves the tracked tensors' current values, for restore() after evaluating with copy_to().
  void store();
  // Writes the stored values back and drops them; throws if nothing is stored.
  void restore();

  const std::vector<std::string>& names() const { return names_; }
  const std::vector<Tensor>& shadows() const { return shadows_; }

  // "shadow.<name>" per tracked tensor (the shadows themselves, not copies), plus
  // "num_updates" (0-d int64), "decay" (0-d float64) and "warmup" (0-d bool).
  StateDict state_dict() const;
  // Needs the same names and shapes; copies shadows, counter, decay and warmup
  // (so a resumed average continues exactly). update_buffers is fixed at construction.
  void load_state_dict(const StateDict& state);

 private:
  void init_shadows();

  EmaOptions options_;
  std::vector<std::string> names_;
  std::vector<Tensor> tracked_;
  std::vector<bool> averaged_;  // false: copied (non-floating buffers)
  std::vector<Tensor> shadows_;
  std::vector<Tensor> stored_;
  int64_t num_updates_ = 0;
};

}  // namespace mini::nn
