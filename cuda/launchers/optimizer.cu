// Launchers for the fused optimizer steps (cuda/kernels/optimizer.cuh).
#if !defined(__CUDACC__)
// NOTE: g++ contracts a * b + c into an fma by default (even in ISO C++
// mode); the kernels must round every product as the unfused ops do. nvcc's
// device code uses the _rn intrinsics instead. This pragma reaches only this
// translation unit (the emulated build compiles each launcher on its own).
#pragma GCC optimize("fp-contract=off")
#endif

#include "cuda/kernels/optimizer.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
void launch_sgd_step(ScalarKind kind, const SgdArgs& args, const Strided<3>& g, bool flat, void* param,
                     const void* grad, void* momentum_buffer, StreamHandle stream) {
  dispatch_floating_kind(kind, "optimizer_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto* const kernel = flat ? sgd_step_kernel<T, true> : sgd_step_kernel<T, false>;
    launch(kernel, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), args, g, static_cast<T*>(param),
           static_cast<const T*>(grad), static_cast<T*>(momentum_buffer));
  });
}

void launch_adam_step(ScalarKind kind, const AdamArgs& args, const Strided<5>& g, bool flat, void* param,
                      const void* grad, void* exp_avg, void* exp_avg_sq, void* max_exp_avg_sq, StreamHandle stream) {
  dispatch_floating_kind(kind, "optimizer_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto* const kernel = flat ? adam_step_kernel<T, true> : adam_step_kernel<T, false>;
    launch(kernel, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), args, g, static_cast<T*>(param),
           static_cast<const T*>(grad), static_cast<T*>(exp_avg), static_cast<T*>(exp_avg_sq),
           static_cast<T*>(max_exp_avg_sq));
  });
}

MINI_CUDA_END_NAMESPACE
