#include "nn/amp/grad_scaler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/autograd.h"
#include "tensor/error.h"

namespace mini::nn::amp {

namespace {

// The tensor sums of one device's gradients, reduced together so each device costs one host read.
struct DeviceSums {
  Device device;
  std::vector<Tensor> sums;
};

}  // namespace

GradScaler::GradScaler(GradScalerOptions options) : options_(options), scale_(static_cast<float>(options.init_scale)) {
  MINI_CHECK(std::isfinite(scale_) && scale_ > 0, "GradScaler: init_scale must be a positive finite float32, got {}",
             options_.init_scale);
  MINI_CHECK(options_.growth_factor > 1.0, "GradScaler: growth_factor must be > 1, got {}", options_.growth_factor);
  MINI_CHECK(options_.backoff_factor > 0.0 && options_.backoff_factor < 1.0,
             "GradScaler: backoff_factor must be in (0, 1), got {}", options_.backoff_factor);
  MINI_CHECK(options_.growth_interval >= 1, "GradScaler: growth_interval must be >= 1, got {}",
             options_.growth_interval);
}

Tensor GradScaler::scale(const Tensor& loss) const {
  if (!options_.enabled) return loss;
  MINI_CHECK(loss.defined() && is_floating(loss.dtype()), "GradScaler.scale: expected a floating loss, got {}",
             loss.defined() ? std::string(dtype_name(loss.dtype())) : std::string("an undefined tensor"));
  const bool narrow = loss.dtype() == DType::f16 || loss.dtype() == DType::bf16;
  return (narrow ? mini::to_dtype(loss, DType::f32) : loss) * static_cast<double>(scale_);
}

GradScaler::OptimizerRecord& GradScaler::record_for(const optim::Optimizer& optimizer) {
  for (OptimizerRecord& record : records_) {
    if (record.optimizer == &optimizer) return record;
  }
  records_.push_back({.optimizer = &optimizer, .stage = Stage::ready, .found_inf = false});
  return records_.back();
}

void GradScaler::unscale_(optim::Optimizer& optimizer) {
  if (!options_.enabled) return;
  OptimizerRecord& record = record_for(optimizer);
  MINI_CHECK(record.stage != Stage::unscaled,
             "GradScaler.unscale_: already called on this optimizer since the last update()");
  MINI_CHECK(record.stage != Stage::stepped, "GradScaler.unscale_: called after step(); call update() first");

  NoGradGuard no_grad;
  // NOTE: 1 / S is exact for the powers of two dynamic scaling produces.
  const double inverse_scale = 1.0 / static_cast<double>(scale_);
  std::vector<DeviceSums> per_device;
  for (const optim::ParamGroup& group : optimizer.param_groups()) {
    for (const Tensor& param : group.params) {
      const Tensor grad = param.grad();
      if (!grad.defined()) continue;
      MINI_CHECK(grad.dtype() != DType::f16,
                 "GradScaler.unscale_: a parameter of shape {} has float16 gradients; keep parameters in float32 "
                 "(autocast casts them per op) so the unscaled gradients do not underflow",
                 shape_str(param.sizes()));
      ops::mul_(grad, inverse_scale);
      // NOTE: one reduction per tensor finds inf and NaN: both survive a sum
      // (inf - inf is NaN). A finite gradient whose sum overflows float counts
      // as an overflow too; a step with gradients that large would be ruinous anyway.
      Tensor sum = ops::to_dtype(ops::sum(grad), DType::f64);
      auto it = std::find_if(per_device.begin(), per_device.end(),
                             [&](const DeviceSums& entry) { return entry.device == grad.device(); });
      if (it == per_device.end()) it = per_device.insert(per_device.end(), DeviceSums{grad.device(), {}});
      it->sums.push_back(std::move(sum));
    }
  }
  bool found_inf = false;
  for (const DeviceSums& entry : per_device) {
    found_inf = found_inf || !std::isfinite(ops::sum(ops::stack(entry.sums)).item<double>());
  }
  record.found_inf = found_inf;
  record.stage = Stage::unscaled;
}

bool GradScaler::step(optim::Optimizer& optimizer) {
  if (!options_.enabled) {
    optimizer.step();
    return true;
  }
  OptimizerRecord& record = record_for(optimizer);
  MINI_CHECK(record.stage != Stage::stepped,
             "GradScaler.step: already called on this optimizer since the last update()");
  // unscale_ finds this same record (records_ does not grow), so `record` stays valid.
  if (record.stage == Stage::ready) unscale_(optimizer);
  record.stage = Stage::stepped;
  if (record.found_inf) return false;
  optimizer.step();
  return true;
}

bool GradScaler::found_inf() const {
  for (const OptimizerRecord& record : records_) {
    if (record.found_inf) return true;
  }
  return false;
}

void GradScaler::update() {
  if (!options_.enabled) return;
  MINI_CHECK(!records_.empty(),
             "GradScaler.update: no inf/NaN checks were recorded since the last update(); call step() (or "
             "unscale_()) first");
  const bool skipped = found_inf();
  records_.clear();
  if (!options_.dynamic) return;
  if (skipped) {
    scale_ = static_cast<float>(scale_ * options_.backoff_factor);
    growth_tracker_ = 0;
    return;
  }
  if (++growth_tracker_ < options_.growth_interval) return;
  growth_tracker_ = 0;
  // Growth stops short of float's range rather than making the scale inf.
  const auto grown = static_cast<float>(scale_ * options_.growth_factor);
  if (std::isfinite(grown)) scale_ = grown;
}

StateDict GradScaler::state_dict() const {
  StateDict state;
  if (!options_.enabled) return state;
  const TensorOptions f64{.dtype = DType::f64}, i64{.dtype = DType::i64};
  state.insert("scale", ops::scalar_tensor(static_cast<double>(scale_), f64));
  state.insert("growth_factor", ops::scalar_tensor(options_.growth_factor, f64));
  state.insert("backoff_factor", ops::scalar_tensor(options_.backoff_factor, f64));
  state.insert("growth_interval", ops::scalar_tensor(options_.growth_interval, i64));
  state.insert("_growth_tracker", ops::scalar_tensor(growth_tracker_, i64));
  return state;
}

void GradScaler::load_state_dict(const StateDict& state) {
  MINI_CHECK(options_.enabled, "GradScaler.load_state_dict: this scaler is disabled");
  MINI_CHECK(!state.empty(),
             "GradScaler.load_state_dict: the state is empty, possibly because it was saved from a disabled scaler");
  static const std::vector<std::string> keys = {"scale", "growth_factor", "backoff_factor", "growth_interval",
                                                "_growth_tracker"};
  for (const auto& [key, tensor] : state) {
    MINI_CHECK(std::find(keys.begin(), keys.end(), key) != keys.end(),
               "GradScaler.load_state_dict: unexpected key '{}'", key);
    MINI_CHECK(tensor.numel() == 1, "GradScaler.load_state_dict: '{}' must hold one value, got shape {}", key,
               shape_str(tensor.sizes()));
  }
  GradScalerOptions options = options_;
  options.init_scale = state.at("scale").item<double>();
  options.growth_factor = state.at("growth_factor").item<double>();
  options.backoff_factor = state.at("backoff_factor").item<double>();
  options.growth_interval = state.at("growth_interval").item<int64_t>();
  const int64_t growth_tracker = state.at("_growth_tracker").item<int64_t>();
  GradScaler loaded(options);  // validates the values before anything changes
  options_ = loaded.options_;
  scale_ = loaded.scale_;
  growth_tracker_ = growth_tracker;
  records_.clear();
}

}  // namespace mini::nn::amp
