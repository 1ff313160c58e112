#include "autograd/autocast.h"

#include "autograd/functions/elementwise.h"
#include "tensor/error.h"

namespace mini {

namespace {
thread_local AutocastState state;
}  // namespace

bool autocast_enabled(DeviceType device_type) { return state[device_type].enabled; }
DType autocast_dtype(DeviceType device_type) { return state[device_type].dtype; }
AutocastState autocast_state() { return state; }

AutocastGuard::AutocastGuard(DeviceType device_type, DType dtype, bool enabled) : previous_(state) {
  MINI_CHECK(dtype == DType::f16 || dtype == DType::bf16,
             "autocast: dtype must be float16 or bfloat16, got {} (autocast runs matmul and conv in 16 bits)", dtype);
  state[device_type] = {.enabled = enabled, .dtype = dtype};
}

AutocastGuard::AutocastGuard(DeviceType device_type, bool enabled) : previous_(state) {
  state[device_type].enabled = enabled;
}

AutocastGuard::~AutocastGuard() { state = previous_; }

AutocastStateGuard::AutocastStateGuard(const AutocastState& new_state) : previous_(state) { state = new_state; }

AutocastStateGuard::~AutocastStateGuard() { state = previous_; }

Tensor autocast_input(AutocastOp op, const Tensor& x) {
  if (!state.cpu.enabled && !state.cuda.enabled) return x;  // the common case: one branch
  if (!x.defined()) return x;
  const AutocastSetting& setting = state[x.device().type];
  const DType from = x.dtype();
  if (!setting.enabled || !is_floating(from) || from == DType::f64) return x;
  const DType to = autocast_policy(op) == AutocastPolicy::lower_precision ? setting.dtype : DType::f32;
  return from == to ? x : to_dtype(x, to);
}

}  // namespace mini
