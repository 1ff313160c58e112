// Launchers for the Philox random fills (cuda/kernels/random.cuh).
#include "cuda/kernels/random.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
void launch_random_uniform(ScalarKind kind, const Strided<1>& g, void* dst, uint64_t seed, uint64_t offset, double low,
                           double high, StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_floating_v<T>) {
      launch(random_uniform_kernel<T>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g,
             static_cast<T*>(dst), seed, offset, low, high);
    } else {
      emu::throw_host_error("random_uniform: expected a floating-point tensor");
    }
  });
}

void launch_random_normal(ScalarKind kind, const Strided<1>& g, void* dst, uint64_t seed, uint64_t offset, double mean,
                          double std, StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_floating_v<T>) {
      launch(random_normal_kernel<T>, grid_for(g.numel), dim3(kBlockThreads), 0, as_stream(stream), g,
             static_cast<T*>(dst), seed, offset, mean, std);
    } else {
      emu::throw_host_error("random_normal: expected a floating-point tensor");
    }
  });
}

MINI_CUDA_END_NAMESPACE
