#pragma once
// Mixed-precision training, the nn entry point: autocast (torch.autocast) and
// GradScaler (nn/amp/grad_scaler.h).
//
//   nn::amp::AutocastGuard autocast(DeviceType::cpu, DType::bf16);
//   Tensor loss = nn::cross_entropy((*model)(x), labels);  // Linear in bf16, the loss in f32
//
// The thread-local state and the policy table live in autograd/
// (autograd/autocast.h, autograd/autocast_policy.h) because the
// differentiable ops read them and autograd must not depend on nn; this
// header re-exports them and adds what configs need (dtype names, defaults).
#include <string_view>

#include "autograd/autocast.h"

namespace mini::nn::amp {

using mini::autocast_dtype;
using mini::autocast_enabled;
using mini::autocast_state;
using mini::AutocastGuard;
using mini::AutocastPolicy;
using mini::AutocastState;
using mini::AutocastStateGuard;

// The dtype autocast uses on a device type unless told otherwise, as
// PyTorch: bf16 on the CPU (it has no fast f16 arithmetic and bf16 needs no
// loss scaling), f16 on CUDA.
DType default_autocast_dtype(DeviceType device_type);

// MMEngine's dtype strings: "float16" / "half" / "fp16" / "f16" and
// "bfloat16" / "bf16". Anything else is a mini::ValueError listing them.
DType autocast_dtype_from_name(std::string_view name);

}  // namespace mini::nn::amp
