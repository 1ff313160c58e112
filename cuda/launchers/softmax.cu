// Launchers for softmax and its backward (cuda/kernels/softmax.cuh).
#include "cuda/kernels/softmax.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

// Which kernel family a (outer, n, inner) shape takes, and its grid.
struct SoftmaxLaunch {
  enum class Kind { warp_rows, block_rows, columns } kind;
  dim3 grid;
  dim3 block;
};

SoftmaxLaunch plan_softmax(int64_t outer, int64_t n, int64_t inner) {
  if (inner > 1) return {SoftmaxLaunch::Kind::columns, grid_for(outer * inner), dim3(kBlockThreads)};
  if (n <= kWarpRowLimit) {
    const int64_t blocks = (outer + kSoftmaxWarpsPerBlock - 1) / kSoftmaxWarpsPerBlock;
    return {SoftmaxLaunch::Kind::warp_rows, dim3(static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks)),
            dim3(32 * kSoftmaxWarpsPerBlock)};
  }
  return {SoftmaxLaunch::Kind::block_rows, dim3(static_cast<unsigned>(outer < kMaxBlocks ? outer : kMaxBlocks)),
          dim3(kBlockThreads)};
}

}  // namespace

void launch_softmax(ScalarKind kind, void* dst, const void* src, int64_t outer, int64_t n, int64_t inner, bool log,
                    StreamHandle stream) {
  const SoftmaxLaunch plan = plan_softmax(outer, n, inner);
  dispatch_floating_kind(kind, "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* y = static_cast<T*>(dst);
    const T* x = static_cast<const T*>(src);
    switch (plan.kind) {
      case SoftmaxLaunch::Kind::warp_rows:
        return launch(softmax_rows_warp_kernel<T>, plan.grid, plan.block, 0, as_stream(stream), x, y, outer, n, log);
      case SoftmaxLaunch::Kind::block_rows:
        return launch(softmax_rows_block_kernel<T>, plan.grid, plan.block, 0, as_stream(stream), x, y, outer, n, log);
      case SoftmaxLaunch::Kind::columns:
        return launch(softmax_columns_kernel<T>, plan.grid, plan.block, 0, as_stream(stream), x, y, outer, n, inner,
                      log);
    }
  });
}

void launch_softmax_backward(ScalarKind kind, void* grad_input, const void* grad_output, const void* output,
                             int64_t outer, int64_t n, int64_t inner, bool log, StreamHandle stream) {
  const SoftmaxLaunch plan = plan_softmax(outer, n, inner);
  dispatch_floating_kind(kind, "softmax_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* gi = static_cast<T*>(grad_input);
    const T* go = static_cast<const T*>(grad_output);
    const T* y = static_cast<const T*>(output);
    switch (plan.kind) {
      case SoftmaxLaunch::Kind::warp_rows:
        return launch(softmax_backward_rows_warp_kernel<T>, plan.grid, plan.block, 0, as_stream(stream), go, y, gi,
                      outer, n, log);
      case SoftmaxLaunch::Kind::block_rows:
        return launch(softmax_backward_rows_block_kernel<T>, plan.grid, plan.block, 0, as_stream(stream), go, y, gi,
                      outer, n, log);
      case SoftmaxLaunch::Kind::columns:
        return launch(softmax_backward_columns_kernel<T>, plan.grid, plan.block, 0, as_stream(stream), go, y, gi, outer,
                      n, inner, log);
    }
  });
}

MINI_CUDA_END_NAMESPACE
