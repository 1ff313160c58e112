#include "nn/ema.h"

#include <algorithm>

#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::nn {

namespace {

void check_decay(double decay) {
  MINI_CHECK(decay >= 0 && decay <= 1, "ExponentialMovingAverage: decay must be in [0, 1], got {}", decay);
}

}  // namespace

ExponentialMovingAverage::ExponentialMovingAverage(const Module& model, EmaOptions options) : options_(options) {
  check_decay(options.decay);
  for (const auto& [name, tensor] : model.named_parameters()) {
    names_.push_back(name);
    tracked_.push_back(tensor);
    averaged_.push_back(is_floating(tensor.dtype()));
  }
  if (options.update_buffers) {
    for (const auto& [name, tensor] : model.named_buffers()) {
      names_.push_back(name);
      tracked_.push_back(tensor);
      averaged_.push_back(is_floating(tensor.dtype()));
    }
  }
  init_shadows();
}

ExponentialMovingAverage::ExponentialMovingAverage(std::vector<Tensor> tensors, EmaOptions options)
    : options_(options), tracked_(std::move(tensors)) {
  check_decay(options.decay);
  for (size_t i = 0; i < tracked_.size(); ++i) {
    MINI_CHECK(tracked_[i].defined(), "ExponentialMovingAverage: tensor {} is undefined", i);
    names_.push_back(std::to_string(i));
    averaged_.push_back(is_floating(tracked_[i].dtype()));
  }
  init_shadows();
}

void ExponentialMovingAverage::init_shadows() {
  for (const Tensor& t : tracked_) shadows_.push_back(ops::clone(t.detach()));
}

double ExponentialMovingAverage::decay_at(int64_t t) const {
  if (!options_.warmup) return options_.decay;
  const auto step = static_cast<double>(t);
  return std::min(options_.decay, (1 + step) / (10 + step));
}

void ExponentialMovingAverage::update() {
  ++num_updates_;
  const double decay = decay_at(num_updates_);
  NoGradGuard no_grad;
  for (size_t i = 0; i < tracked_.size(); ++i) {
    const Tensor current = tracked_[i].detach();
    if (!averaged_[i]) {
      ops::copy_(shadows_[i], current);
      continue;
    }
    // shadow -= (1 - decay) (shadow - param): the same value, one fewer full-size temporary.
    ops::sub_(shadows_[i], ops::mul(ops::sub(shadows_[i], current), 1 - decay));
  }
}

void ExponentialMovingAverage::copy_to() const {
  NoGradGuard no_grad;
  for (size_t i = 0; i < tracked_.size(); ++i) ops::copy_(tracked_[i].detach(), shadows_[i]);
}

void ExponentialMovingAverage::store() {
  stored_.clear();
  for (const Tensor& t : tracked_) stored_.push_back(ops::clone(t.detach()));
}

void ExponentialMovingAverage::restore() {
  MINI_CHECK(!stored_.empty() || tracked_.empty(),
             "ExponentialMovingAverage::restore: nothing stored (call store() first)");
  NoGradGuard no_grad;
  for (size_t i = 0; i < stored_.size(); ++i) ops::copy_(tracked_[i].detach(), stored_[i]);
  stored_.clear();
}

StateDict ExponentialMovingAverage::state_dict() const {
  StateDict state;
  for (size_t i = 0; i < shadows_.size(); ++i) state.insert("shadow." + names_[i], shadows_[i]);
  state.insert("num_updates", ops::full({}, num_updates_, {.dtype = DType::i64}));
  state.insert("decay", ops::full({}, options_.decay, {.dtype = DType::f64}));
  state.insert("warmup", ops::full({}, options_.warmup, {.dtype = DType::b8}));
  return state;
}

void ExponentialMovingAverage::load_state_dict(const StateDict& state) {
  MINI_CHECK(state.size() == shadows_.size() + 3,
             "ExponentialMovingAverage::load_state_dict: expected {} shadows, the state has {} entries",
             shadows_.size(), state.size());
  for (size_t i = 0; i < shadows_.size(); ++i) {
    const std::string key = "shadow." + names_[i];
    const Tensor& source = state.at(key);
    MINI_CHECK(source.sizes() == shadows_[i].sizes(),
               "ExponentialMovingAverage::load_state_dict: '{}' has shape ({}), expected ({})", key,
               fmt::join(source.sizes(), ", "), fmt::join(shadows_[i].sizes(), ", "));
  }
  NoGradGuard no_grad;
  for (size_t i = 0; i < shadows_.size(); ++i) ops::copy_(shadows_[i], state.at("shadow." + names_[i]));
  num_updates_ = ops::to_dtype(state.at("num_updates"), DType::i64).item<int64_t>();
  options_.decay = ops::to_dtype(state.at("decay"), DType::f64).item<double>();
  options_.warmup = ops::to_dtype(state.at("warmup"), DType::i64).item<int64_t>() != 0;
  check_decay(options_.decay);
}

}  // namespace mini::nn
