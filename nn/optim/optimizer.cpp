#include "nn/optim/optimizer.h"

#include <cmath>
#include <limits>

#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::nn::optim {

double ParamGroup::get(const std::string& name) const {
  auto it = options.find(name);
  MINI_CHECK(it != options.end(), "optimizer: parameter group has no option '{}'", name);
  return it->second;
}

void Optimizer::add_param_group(std::vector<Tensor> params, const GroupOptions& overrides) {
  for (const Tensor& p : params) {
    MINI_CHECK(p.defined() && is_floating(p.dtype()), "{}: parameters must be defined floating tensors", name_);
  }
  ParamGroup group{std::move(params), defaults_};
  for (const auto& [key, value] : overrides) {
    MINI_CHECK(defaults_.contains(key), "{}: unknown option '{}' in a parameter group", name_, key);
    group.options[key] = value;
  }
  state_.emplace_back(group.params.size());
  groups_.push_back(std::move(group));
}

void Optimizer::zero_grad(bool set_to_none) {
  for (const ParamGroup& group : groups_) {
    for (const Tensor& p : group.params) p.zero_grad(set_to_none);
  }
}

void Optimizer::step() {
  NoGradGuard no_grad;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const Tensor& param = groups_[g].params[i];
      const Tensor grad = param.grad();
      if (grad.defined()) update(param, grad, groups_[g], state_[g][i]);
    }
  }
}

std::map<std::string, Tensor>& Optimizer::state(size_t group, size_t index) {
  MINI_CHECK_INDEX(group < state_.size() && index < state_[group].size(), "{}: no parameter {} in group {}", name_,
                   index, group);
  return state_[group][index];
}

StateDict Optimizer::state_dict() const {
  StateDict out;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (const auto& [key, value] : groups_[g].options) {
      out.insert(fmt::format("param_groups.{}.{}", g, key), ops::scalar_tensor(value, {.dtype = DType::f64}));
    }
  }
  size_t flat = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i, ++flat) {
      for (const auto& [key, tensor] : state_[g][i]) out.insert(fmt::format("state.{}.{}", flat, key), tensor);
    }
  }
  return out;
}

void Optimizer::load_state_dict(const StateDict& state) {
  // Check everything first so a failed load leaves the optimizer unchanged.
  std::vector<std::vector<std::map<std::string, Tensor>>> new_state(groups_.size());
  std::vector<GroupOptions> new_options(groups_.size());
  size_t flat_count = 0;
  for (const ParamGroup& group : groups_) flat_count += group.params.size();
  std::vector<std::pair<size_t, size_t>> position;  // flat -> (group, index)
  for (size_t g = 0; g < groups_.size(); ++g) {
    new_state[g].resize(groups_[g].params.size());
    new_options[g] = groups_[g].options;
    for (size_t i = 0; i < groups_[g].params.size(); ++i) position.emplace_back(g, i);
  }
  for (const auto& [key, tensor] : state) {
    size_t index = 0;
    char name[128] = {0};
    if (std::sscanf(key.c_str(), "param_groups.%zu.%127s", &index, name) == 2) {
      MINI_CHECK(index < groups_.size(), "{}.load_state_dict: '{}' names group {} but there are {} groups", name_, key,
                 index, groups_.size());
      MINI_CHECK(defaults_.contains(name), "{}.load_state_dict: unknown option in '{}'", name_, key);
      new_options[index][name] = tensor.item<double>();
    } else if (std::sscanf(key.c_str(), "state.%zu.%127s", &index, name) == 2) {
      MINI_CHECK(index < flat_count, "{}.load_state_dict: '{}' names parameter {} but there are {}", name_, key, index,
                 flat_count);
      auto [g, i] = position[index];
      const Tensor& param = groups_[g].params[i];
      const bool scalar_state = tensor.dim() == 0;
      MINI_CHECK(scalar_state || tensor.sizes() == param.sizes(),
                 "{}.load_state_dict: '{}' has shape ({}) but the parameter has ({})", name_, key,
                 fmt::join(tensor.sizes(), ", "), fmt::join(param.sizes(), ", "));
      // Step counters stay on the CPU; moments follow the parameter.
      new_state[g][i][name] = scalar_state ? ops::clone(tensor) : ops::clone(ops::to_device(tensor, param.device()));
    } else {
      MINI_CHECK(false, "{}.load_state_dict: unexpected key '{}'", name_, key);
    }
  }
  for (size_t g = 0; g < groups_.size(); ++g) groups_[g].options = new_options[g];
  state_ = std::move(new_state);
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  NoGradGuard no_grad;
  std::vector<Tensor> norms;
  for (const Tensor& p : params) {
    Tensor grad = p.grad();
    if (grad.defined()) norms.push_back(ops::to_dtype(ops::norm(grad, norm_type), DType::f64));
  }
  if (norms.empty()) return 0.0;
  const double total = ops::norm(ops::stack(norms), norm_type).item<double>();
  MINI_CHECK(!error_if_nonfinite || std::isfinite(total),
             "clip_grad_norm_: the total norm of the gradients is {} (non-finite); "
             "pass error_if_nonfinite=false to clip anyway",
             total);
  const double coefficient = max_norm / (total + 1e-6);
  // NaN compares false, so a NaN total still scales (as PyTorch's clamp does).
  if (!(coefficient >= 1.0)) {
    for (const Tensor& p : params) {
      if (Tensor grad = p.grad(); grad.defined()) ops::mul_(grad, coefficient);
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  NoGradGuard no_grad;
  for (const Tensor& p : params) {
    if (Tensor grad = p.grad(); grad.defined()) ops::clamp_(grad, -clip_value, clip_value);
  }
}

}  // namespace mini::nn::optim
