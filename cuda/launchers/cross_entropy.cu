// Launcher for fused cross-entropy (cuda/kernels/cross_entropy.cuh): a warp
// per row up to kWarpRowLimit classes, a block per row above.
#include "cuda/kernels/cross_entropy.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE

void launch_cross_entropy(ScalarKind kind, const void* logits, const int64_t* target, const void* weight, void* loss,
                          void* grad_logits, int64_t rows, int64_t classes, int64_t ignore_index,
                          double label_smoothing, int64_t* bad_target, StreamHandle stream) {
  const bool warp_rows = classes <= kWarpRowLimit;
  const int64_t blocks = warp_rows ? (rows + kSoftmaxWarpsPerBlock - 1) / kSoftmaxWarpsPerBlock : rows;
  const dim3 grid(static_cast<unsigned>(blocks < 1 ? 1 : blocks < kMaxBlocks ? blocks : kMaxBlocks));
  const dim3 block(warp_rows ? 32 * kSoftmaxWarpsPerBlock : kBlockThreads);
  // NOTE: atomicCAS has a 64-bit overload only for unsigned long long.
  auto* bad = reinterpret_cast<unsigned long long*>(bad_target);
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (is_floating_v<T>) {
      const auto* x = static_cast<const T*>(logits);
      const auto* w = static_cast<const T*>(weight);
      auto* out = static_cast<T*>(loss);
      auto* grad = static_cast<T*>(grad_logits);
      if (warp_rows) {
        launch(cross_entropy_warp_kernel<T>, grid, block, 0, as_stream(stream), x, target, w, out, grad, rows, classes,
               ignore_index, label_smoothing, bad);
      } else {
        launch(cross_entropy_block_kernel<T>, grid, block, 0, as_stream(stream), x, target, w, out, grad, rows, classes,
               ignore_index, label_smoothing, bad);
      }
    } else {
      emu::throw_host_error("cross_entropy: expected floating-point logits");
    }
  });
}

MINI_CUDA_END_NAMESPACE
