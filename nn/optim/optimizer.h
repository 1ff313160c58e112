#pragma once
// Optimizer base: parameter groups, each with its own options (a name ->
// number map: "lr", "weight_decay", "momentum", "beta1", ...; flags as 0/1),
// and per-parameter state in tensors ("step", "exp_avg", ...), so state
// checkpoints through state_dict() and moves with the parameters.
//
//   nn::optim::AdamW optimizer(model->parameters(), {.lr = 1e-3});
//   optimizer.zero_grad();  loss.backward();  optimizer.step();
//
// step() runs under NoGradGuard and updates parameters in place; parameters
// whose .grad is undefined are skipped.
#include <map>
#include <string>
#include <vector>

#include "nn/module.h"

namespace mini::nn::optim {

using GroupOptions = std::map<std::string, double>;

struct ParamGroup {
  std::vector<Tensor> params;
  GroupOptions options;
  // Throws mini::ValueError naming the missing option.
  double get(const std::string& name) const;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // A group's options override the optimizer's defaults; unknown names are errors.
  void add_param_group(std::vector<Tensor> params, const GroupOptions& overrides = {});
  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  const GroupOptions& defaults() const { return defaults_; }

  void zero_grad(bool set_to_none = true);
  void step();

  // The state of parameter `index` of group `group` (created empty on first use).
  std::map<std::string, Tensor>& state(size_t group, size_t index);

  // "param_groups.<g>.<option>" (0-d float64) and "state.<n>.<name>" with n
  // counting parameters across groups in order.
  StateDict state_dict() const;
  // Needs the same group and parameter counts; copies options and state (to the parameter's device).
  void load_state_dict(const StateDict& state);

 protected:
  Optimizer(std::string name, GroupOptions defaults) : name_(std::move(name)), defaults_(std::move(defaults)) {}
  // One parameter's update; `grad` is defined, grad mode is off.
  virtual void update(const Tensor& param, const Tensor& grad, const ParamGroup& group,
                      std::map<std::string, Tensor>& state) = 0;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  GroupOptions defaults_;
  std::vector<ParamGroup> groups_;
  std::vector<std::vector<std::map<std::string, Tensor>>> state_;  // [group][param]
};

// Scales all gradients so their total `norm_type` norm is at most max_norm;
// returns the total norm before clipping. A non-finite total raises
// mini::ValueError if error_if_nonfinite, else (as PyTorch) the gradients are
// scaled by max_norm / total anyway (so an inf total zeroes finite gradients
// and NaN spreads).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
// Clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace mini::nn::optim
