#pragma once
// Autocast (torch.autocast): a thread-local mixed-precision mode, one setting
// per device type. While it is on for a device type, the differentiable ops
// of autocast_policy.h cast their floating inputs on that device: matmul,
// linear, conv and attention to the autocast dtype (f16 or bf16); softmax,
// norms, losses, sum/mean, exp/log up to f32. The casts go through the
// differentiable to_dtype, so f32 parameters get f32 gradients.
//
//   {
//     AutocastGuard autocast(DeviceType::cpu, DType::bf16);  // enabled = true
//     Tensor logits = (*model)(x);                  // Linear runs in bf16 -> bf16 logits
//     loss = nn::cross_entropy(logits, labels);     // computed in f32 -> f32 loss
//   }
//   loss.backward();  // each op's backward runs in its forward dtypes; weight grads are f32
//
// Guards nest and restore what was there before; AutocastGuard(type, dtype,
// false) turns autocast off for a scope (torch.autocast(enabled=False)).
// NOTE: the backward engine runs with autocast off whatever the caller's state
// (backward ops must follow the dtypes of their forward ops), and checkpoint
// replays the forward's autocast state when it recomputes.
#include "autograd/autocast_policy.h"
#include "tensor/device.h"
#include "tensor/dtype.h"
#include "tensor/tensor.h"

namespace mini {

// One device type's setting. The dtypes default as in PyTorch: bf16 on the
// CPU (no fast f16 there), f16 on CUDA.
struct AutocastSetting {
  bool enabled = false;
  DType dtype = DType::bf16;
};

// Both device types' settings: what the guards save and restore.
struct AutocastState {
  AutocastSetting cpu{.enabled = false, .dtype = DType::bf16};
  AutocastSetting cuda{.enabled = false, .dtype = DType::f16};

  AutocastSetting& operator[](DeviceType type) { return type == DeviceType::cpu ? cpu : cuda; }
  const AutocastSetting& operator[](DeviceType type) const { return type == DeviceType::cpu ? cpu : cuda; }
};

// This thread's state (torch.is_autocast_enabled / get_autocast_dtype).
bool autocast_enabled(DeviceType device_type);
DType autocast_dtype(DeviceType device_type);
AutocastState autocast_state();

// Turns autocast on (or off) for one device type for the current scope.
class AutocastGuard {
 public:
  // dtype: float16 or bfloat16 (anything else is a mini::ValueError).
  AutocastGuard(DeviceType device_type, DType dtype, bool enabled = true);
  // Keeps the device type's current dtype (bf16 on cpu, f16 on cuda unless a guard changed it).
  explicit AutocastGuard(DeviceType device_type, bool enabled = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  AutocastState previous_;
};

// Sets the whole state for a scope: AutocastStateGuard(AutocastState{}) turns
// autocast off everywhere (the backward engine); checkpoint replays a saved one.
class AutocastStateGuard {
 public:
  explicit AutocastStateGuard(const AutocastState& state);
  ~AutocastStateGuard();
  AutocastStateGuard(const AutocastStateGuard&) = delete;
  AutocastStateGuard& operator=(const AutocastStateGuard&) = delete;

 private:
  AutocastState previous_;
};

// `x` as input of an `op` family under this thread's autocast state: cast
// (differentiably) to the dtype the policy asks for when autocast is on for
// x's device type and x is f32/f16/bf16; x itself otherwise (also when undefined).
Tensor autocast_input(AutocastOp op, const Tensor& x);

}  // namespace mini
