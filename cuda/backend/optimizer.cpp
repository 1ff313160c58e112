// CUDA optimizer_step: SGD and Adam/AdamW as one kernel launch per parameter
// (cuda/kernels/optimizer.cuh) instead of the default's 4-10 elementwise ops
// with temporaries, bit-identical to them for every floating dtype.
//
// Non-contiguous operands take the kernel's strided path (coalesced geometry
// over all of them, as the elementwise kernels): no temporaries and no copies
// back, and state tensors may have other strides than the parameter.
#include <cmath>

#include "cuda/backend/cuda_backend.h"
#include "cuda/backend/geometry.h"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

// Every operand's coalesced strides are 1 (or there is one element): flat offsets.
template <int N>
bool is_flat(const Strided<N>& g) {
  if (g.rank != 1) return false;
  for (int j = 0; j < N; ++j) {
    if (g.numel > 1 && g.strides[j][0] != 1) return false;
  }
  return true;
}

}  // namespace

void CudaBackend::optimizer_step(const OptimizerStep& step, const Tensor& param, const Tensor& grad,
                                 const std::vector<Tensor>& state) {
  check_optimizer_step_operands(step, param, grad, state);
  if (param.numel() == 0) return;
  // Absent state tensors take the param's place in the geometry (their pointer is null).
  if (step.kind == OptimizerKind::sgd) {
    const bool momentum = step.momentum != 0;
    const Tensor& buffer = momentum ? state[0] : param;
    const SgdArgs args{.weight_decay = step.weight_decay,
                       .momentum = step.momentum,
                       .one_minus_dampening = 1.0 - step.dampening,
                       .lr = step.lr,
                       .dampen = step.dampening != 0,
                       .nesterov = step.nesterov,
                       .first_step = step.first_step};
    const Strided<3> g = make_strided<3>({&param, &grad, &buffer});
    launch_sgd_step(kind_of(param), args, g, is_flat(g), param.data_ptr(), grad.data_ptr(),
                    momentum ? buffer.data_ptr() : nullptr, stream());
    return;
  }
  const AdamDecay decay = step.weight_decay == 0        ? AdamDecay::none
                          : step.decoupled_weight_decay ? AdamDecay::decoupled
                                                        : AdamDecay::coupled;
  const AdamArgs args{.decay = decay,
                      .amsgrad = step.amsgrad,
                      .weight_decay = step.weight_decay,
                      .decay_factor = 1.0 - step.lr * step.weight_decay,
                      .beta1 = step.beta1,
                      .one_minus_beta1 = 1.0 - step.beta1,
                      .beta2 = step.beta2,
                      .one_minus_beta2 = 1.0 - step.beta2,
                      .sqrt_bias_correction2 = std::sqrt(step.bias_correction2),
                      .eps = step.eps,
                      .step_size = step.lr / step.bias_correction1};
  const Tensor& max_exp_avg_sq = step.amsgrad ? state[2] : param;
  const Strided<5> g = make_strided<5>({&param, &grad, &state[0], &state[1], &max_exp_avg_sq});
  launch_adam_step(kind_of(param), args, g, is_flat(g), param.data_ptr(), grad.data_ptr(), state[0].data_ptr(),
                   state[1].data_ptr(), step.amsgrad ? max_exp_avg_sq.data_ptr() : nullptr, stream());
}

MINI_CUDA_END_NAMESPACE
