#pragma once
// OptimWrapper: the one place a training step touches the optimizer, as in
// MMEngine. It scales the loss for gradient accumulation, runs backward,
// clips gradients, steps and zeroes the optimizer when an accumulation window
// closes. The AMP loss scaler will sit here too (scale before backward,
// unscale before clipping, skip the step on overflow).
//
//   OptimWrapper wrapper(std::move(optimizer), {.accumulative_counts = 4,
//                                               .clip = GradClip{.max_norm = 1.0}});
//   wrapper.initialize_count_status(/*done=*/0, /*total=*/max_micro_steps);
//   bool stepped = wrapper.update_params(loss);
#include <cstdint>
#include <memory>
#include <optional>

#include "nn/optim/optimizer.h"

namespace mini::runtime {

struct GradClip {
  enum class Kind { Norm, Value };
  Kind kind = Kind::Norm;
  double max_norm = 0;     // Norm
  double norm_type = 2.0;  // Norm
  double clip_value = 0;   // Value
};

struct OptimWrapperOptions {
  int64_t accumulative_counts = 1;
  std::optional<GradClip> clip;
};

class OptimWrapper {
 public:
  OptimWrapper(std::unique_ptr<nn::optim::Optimizer> optimizer, OptimWrapperOptions options);

  nn::optim::Optimizer& optimizer() { return *optimizer_; }
  const nn::optim::Optimizer& optimizer() const { return *optimizer_; }
  const OptimWrapperOptions& options() const { return options_; }

  // Tells the wrapper how many micro-steps are done and how many the run has
  // in total, so the last window (when total is not a multiple of
  // accumulative_counts) divides the loss by its real length, as MMEngine does.
  void initialize_count_status(int64_t done_micro_steps, int64_t total_micro_steps);

  // loss / window length -> backward -> (when the window closes) clip, step,
  // zero_grad. Returns whether the optimizer stepped.
  bool update_params(const Tensor& loss);
  // Does the micro-step about to run (the next update_params) close a window?
  bool next_closes_window() const;

  // The total gradient norm measured by the last clip (before clipping), if
  // clipping by norm ran.
  std::optional<double> last_grad_norm() const { return last_grad_norm_; }
  // The learning rate of each parameter group now.
  std::vector<double> learning_rates() const;

 private:
  double loss_factor() const;

  std::unique_ptr<nn::optim::Optimizer> optimizer_;
  OptimWrapperOptions options_;
  int64_t inner_count_ = 0;  // micro-steps taken (backward calls)
  int64_t max_counts_ = -1;  // -1: unknown, every window is full length
  std::optional<double> last_grad_norm_;
};

}  // namespace mini::runtime
