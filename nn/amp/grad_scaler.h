#pragma once
// GradScaler (torch.amp.GradScaler): loss scaling for float16 training.
// Small f16 gradients underflow to zero; multiplying the loss by a large
// scale S shifts every gradient into range. Before the optimizer step the
// gradients are divided by S again; a step whose gradients overflowed
// (inf/NaN) is skipped and S backs off; after growth_interval clean steps in
// a row S grows.
//
//   nn::amp::GradScaler scaler;                   // S = 2^16, dynamic
//   scaler.scale(loss).backward();
//   scaler.unscale_(optimizer);                   // optional: only to clip real gradients
//   nn::optim::clip_grad_norm_(params, 1.0);
//   bool stepped = scaler.step(optimizer);        // false: inf/NaN found, step skipped
//   scaler.update();                              // S *= 0.5 after a skip, *= 2 after 2000 clean steps
//
// bf16 has f32's exponent range, so bf16 autocast does not need a scaler.
// Parameters (the master weights) stay f32: unscale_ refuses f16 gradients, as PyTorch does.
#include <cstdint>
#include <vector>

#include "nn/module.h"
#include "nn/optim/optimizer.h"

namespace mini::nn::amp {

struct GradScalerOptions {
  double init_scale = 65536.0;  // 2^16
  double growth_factor = 2.0;   // > 1
  double backoff_factor = 0.5;  // in (0, 1)
  int64_t growth_interval = 2000;
  // Disabled: scale() returns the loss, step() just steps (one code path for f32 and AMP runs).
  bool enabled = true;
  // Static: the scale stays at init_scale (MMEngine's `loss_scale: 512`);
  // steps with inf/NaN gradients are still skipped.
  bool dynamic = true;
};

class GradScaler {
 public:
  // Throws mini::ValueError for out-of-range options.
  explicit GradScaler(GradScalerOptions options = {});

  bool is_enabled() const { return options_.enabled; }
  const GradScalerOptions& options() const { return options_; }
  // The current scale; 1 when disabled (as PyTorch).
  double get_scale() const { return options_.enabled ? static_cast<double>(scale_) : 1.0; }
  // Clean steps since the last growth or backoff.
  int64_t growth_tracker() const { return growth_tracker_; }

  // loss * S, differentiable, in f32 at least (a 16-bit loss times 2^16 would overflow f16).
  Tensor scale(const Tensor& loss) const;
  // Divides the gradients of `optimizer`'s parameters by S in place and
  // records whether any is inf/NaN. Once per optimizer between update()s.
  void unscale_(optim::Optimizer& optimizer);
  // Unscales first unless unscale_ already ran, then runs optimizer.step()
  // unless an inf/NaN was found. Returns whether the optimizer stepped.
  bool step(optim::Optimizer& optimizer);
  // Adapts S from the inf/NaN checks since the last update() (dynamic
  // scaling) and forgets them. Needs at least one unscale_ or step before.
  void update();
  // Whether an inf/NaN was found since the last update().
  bool found_inf() const;

  // scale, growth_factor, backoff_factor (0-d f64), growth_interval and
  // _growth_tracker (0-d i64): PyTorch's keys. Empty when disabled.
  StateDict state_dict() const;
  // Restores what state_dict() wrote; errors on a disabled scaler, an empty
  // state (saved from a disabled one) and missing or unknown keys.
  void load_state_dict(const StateDict& state);

 private:
  // Where one optimizer is between two update()s.
  enum class Stage { ready, unscaled, stepped };
  struct OptimizerRecord {
    const optim::Optimizer* optimizer;
    Stage stage;
    bool found_inf;
  };
  OptimizerRecord& record_for(const optim::Optimizer& optimizer);

  GradScalerOptions options_;
  // NOTE: float, as PyTorch's scale tensor, so growth and backoff round the same way.
  float scale_;
  int64_t growth_tracker_ = 0;
  std::vector<OptimizerRecord> records_;
};

}  // namespace mini::nn::amp
