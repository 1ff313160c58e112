#include "nn/optim/scheduler.h"

#include <cstdio>

#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::nn::optim {
namespace {

Tensor f64_vector(const std::vector<double>& values) {
  return ops::from_vector(values);  // float64
}

std::vector<double> read_vector(const StateDict& state, const std::string& key, size_t count, const std::string& who) {
  const Tensor& t = state.at(key);
  MINI_CHECK(t.dim() == 1 && static_cast<size_t>(t.numel()) == count,
             "{}.load_state_dict: '{}' must hold {} values (one per group), got shape ({})", who, key, count,
             fmt::join(t.sizes(), ", "));
  const Tensor values = ops::contiguous(ops::to_dtype(ops::to_device(t, Device::cpu()), DType::f64));
  const double* data = values.data<double>();
  return std::vector<double>(data, data + count);
}

}  // namespace

ParamScheduler::ParamScheduler(std::string name, Optimizer& optimizer, SchedulerWindow window)
    : optimizer_(optimizer), window_(std::move(window)), name_(std::move(name)) {
  MINI_CHECK(window_.end > window_.begin, "{}: end ({}) must be larger than begin ({})", name_, window_.end,
             window_.begin);
  MINI_CHECK(window_.last_step >= -1, "{}: last_step {} must be >= -1", name_, window_.last_step);
  const std::string initial_key = "initial_" + window_.param_name;
  auto& groups = optimizer_.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    MINI_CHECK(groups[g].options.contains(window_.param_name), "{}: parameter group {} has no option '{}'", name_, g,
               window_.param_name);
    double base = groups[g].get(window_.param_name);
    // A group without parameters has no state slot to share; its current value stands in.
    if (!groups[g].params.empty()) {
      auto& slot = optimizer_.state(g, 0);
      auto it = slot.find(initial_key);
      if (it == slot.end()) {
        MINI_CHECK(window_.last_step == -1,
                   "{}: resuming at last_step {} needs '{}' in the optimizer state of group {}; load the optimizer's "
                   "state_dict first",
                   name_, window_.last_step, initial_key, g);
        it = slot.emplace(initial_key, ops::scalar_tensor(base, {.dtype = DType::f64})).first;
      }
      base = it->second.item<double>();
    }
    base_values_.push_back(base);
  }
  last_step_ = window_.last_step;
}

void ParamScheduler::set_initial_value(size_t group, double value) {
  base_values_.at(group) = value;
  if (!optimizer_.param_groups()[group].params.empty()) {
    optimizer_.state(group, 0)["initial_" + window_.param_name] = ops::scalar_tensor(value, {.dtype = DType::f64});
  }
}

void ParamScheduler::start() { step(); }

std::vector<double> ParamScheduler::current_values() const {
  std::vector<double> values;
  for (const ParamGroup& group : optimizer_.param_groups()) values.push_back(group.get(window_.param_name));
  return values;
}

void ParamScheduler::set_values(const std::vector<double>& values) {
  auto& groups = optimizer_.param_groups();
  MINI_ASSERT(values.size() == groups.size(), "one value per group");
  for (size_t g = 0; g < groups.size(); ++g) groups[g].options[window_.param_name] = values[g];
}

void ParamScheduler::step() {
  ++global_step_;
  if (window_.begin <= global_step_ && global_step_ < window_.end) {
    ++last_step_;
    set_values(get_values());
  }
  last_values_ = current_values();
}

StateDict ParamScheduler::state_dict() const {
  StateDict out;
  out.insert("last_step", ops::scalar_tensor(last_step_, {.dtype = DType::i64}));
  out.insert("global_step", ops::scalar_tensor(global_step_, {.dtype = DType::i64}));
  out.insert("base_values", f64_vector(base_values_));
  out.insert("last_values", f64_vector(last_values_));
  save_extra(out);
  return out;
}

void ParamScheduler::load_state_dict(const StateDict& state) {
  const size_t groups = optimizer_.param_groups().size();
  const auto last_step = state.at("last_step").item<int64_t>();
  const auto global_step = state.at("global_step").item<int64_t>();
  std::vector<double> base_values = read_vector(state, "base_values", groups, name_);
  std::vector<double> last_values = read_vector(state, "last_values", groups, name_);
  load_extra(state);
  last_step_ = last_step;
  global_step_ = global_step;
  base_values_ = std::move(base_values);
  last_values_ = std::move(last_values);
}

ParamSchedulerList& ParamSchedulerList::add(std::unique_ptr<ParamScheduler> scheduler) {
  MINI_CHECK(scheduler != nullptr, "ParamSchedulerList: cannot add a null scheduler");
  schedulers_.push_back(std::move(scheduler));
  return *this;
}

void ParamSchedulerList::step() {
  for (auto& scheduler : schedulers_) scheduler->step();
}

StateDict ParamSchedulerList::state_dict() const {
  StateDict out;
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    for (const auto& [key, tensor] : schedulers_[i]->state_dict()) out.insert(fmt::format("{}.{}", i, key), tensor);
  }
  return out;
}

void ParamSchedulerList::load_state_dict(const StateDict& state) {
  std::vector<StateDict> parts(schedulers_.size());
  for (const auto& [key, tensor] : state) {
    size_t index = 0;
    char rest[128] = {0};
    MINI_CHECK(std::sscanf(key.c_str(), "%zu.%127s", &index, rest) == 2 && index < schedulers_.size(),
               "ParamSchedulerList.load_state_dict: unexpected key '{}' ({} schedulers)", key, schedulers_.size());
    parts[index].insert(rest, tensor);
  }
  for (size_t i = 0; i < schedulers_.size(); ++i) schedulers_[i]->load_state_dict(parts[i]);
}

}  // namespace mini::nn::optim
