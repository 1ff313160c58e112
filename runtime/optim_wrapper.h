#pragma once
// OptimWrapper: the one place a training step touches the optimizer, as in
// MMEngine. It scales the loss for gradient accumulation, runs backward,
// clips gradients, steps and zeroes the optimizer when an accumulation window
// closes. AmpOptimWrapper (amp_optim_wrapper.h) adds autocast around the
// forward (optim_context) and the loss scaler around backward and step.
//
//   OptimWrapper wrapper(std::move(optimizer), {.accumulative_counts = 4,
//                                               .clip = GradClip{.max_norm = 1.0}});
//   wrapper.initialize_count_status(/*done=*/0, /*total=*/max_micro_steps);
//   Outputs outputs;
//   { const OptimContext context = wrapper.optim_context();  outputs = model.forward_batch(batch); }
//   bool window_closed = wrapper.update_params(outputs.at("loss"));
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "autograd/autocast.h"
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

// The scope a forward pass runs in (MMEngine's optim_wrapper.optim_context(model)):
// autocast for AmpOptimWrapper, nothing for the plain wrapper.
class OptimContext {
 public:
  OptimContext() = default;  // changes nothing
  OptimContext(DeviceType device_type, DType dtype) { autocast_.emplace(device_type, dtype, /*enabled=*/true); }
  OptimContext(const OptimContext&) = delete;
  OptimContext& operator=(const OptimContext&) = delete;

 private:
  std::optional<AutocastGuard> autocast_;
};

class OptimWrapper {
 public:
  OptimWrapper(std::unique_ptr<nn::optim::Optimizer> optimizer, OptimWrapperOptions options);
  virtual ~OptimWrapper() = default;
  OptimWrapper(const OptimWrapper&) = delete;
  OptimWrapper& operator=(const OptimWrapper&) = delete;

  nn::optim::Optimizer& optimizer() { return *optimizer_; }
  const nn::optim::Optimizer& optimizer() const { return *optimizer_; }
  const OptimWrapperOptions& options() const { return options_; }

  // Tells the wrapper how many micro-steps are done and how many the run has
  // in total, so the last window (when total is not a multiple of
  // accumulative_counts) divides the loss by its real length, as MMEngine does.
  void initialize_count_status(int64_t done_micro_steps, int64_t total_micro_steps);

  // loss / window length -> backward -> (when the window closes) clip, step,
  // zero_grad. Returns whether the window closed: the optimizer stepped, or
  // (AMP) the scaler skipped the step because of inf/NaN gradients.
  bool update_params(const Tensor& loss);
  // Does the micro-step about to run (the next update_params) close a window?
  bool next_closes_window() const;

  // The total gradient norm measured by the last clip (before clipping), if
  // clipping by norm ran.
  std::optional<double> last_grad_norm() const { return last_grad_norm_; }
  // The learning rate of each parameter group now.
  std::vector<double> learning_rates() const;

  // Run the model's forward inside this (train, val and test steps).
  virtual OptimContext optim_context() const { return {}; }

  // What resume needs: the optimizer's state (AmpOptimWrapper adds its
  // scaler's under "loss_scaler."). A plain wrapper ignores "loss_scaler."
  // entries, so an AMP run resumes in f32, as in MMEngine.
  virtual nn::StateDict state_dict() const;
  virtual void load_state_dict(const nn::StateDict& state);

 protected:
  // loss.backward(); AmpOptimWrapper scales the loss first.
  virtual void backward(const Tensor& loss);
  // clip_gradients() then optimizer.step(); AmpOptimWrapper unscales before
  // clipping and steps through its scaler.
  virtual void step();
  // Clips by norm or value as options().clip says (recording last_grad_norm()); nothing without clip.
  void clip_gradients();

 private:
  double loss_factor() const;

  std::unique_ptr<nn::optim::Optimizer> optimizer_;
  OptimWrapperOptions options_;
  int64_t inner_count_ = 0;  // micro-steps taken (backward calls)
  int64_t max_counts_ = -1;  // -1: unknown, every window is full length
  std::optional<double> last_grad_norm_;
};

// The prefix of the GradScaler's entries in an optim_wrapper state_dict (MMEngine's 'loss_scaler').
inline constexpr std::string_view kLossScalerPrefix = "loss_scaler.";

// `state` split into the optimizer's entries and the loss scaler's (prefix removed).
struct OptimWrapperState {
  nn::StateDict optimizer;
  nn::StateDict loss_scaler;
};
OptimWrapperState split_optim_wrapper_state(const nn::StateDict& state);

}  // namespace mini::runtime
