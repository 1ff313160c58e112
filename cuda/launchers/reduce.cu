// Launchers for reductions and arg reductions (cuda/kernels/reduce.cuh).
#include <algorithm>

#include "cuda/kernels/reduce.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

// Reduced elements one block handles before a reduction is split across blocks.
constexpr int64_t kElementsPerBlock = 16384;
// Blocks wanted in flight for a split reduction.
constexpr int64_t kSplitTargetBlocks = 512;

template <typename Fn>
void dispatch_reduce_code(ReduceCode op, Fn&& fn) {
  switch (op) {
    case ReduceCode::sum:
      return fn(std::integral_constant<ReduceCode, ReduceCode::sum>{});
    case ReduceCode::prod:
      return fn(std::integral_constant<ReduceCode, ReduceCode::prod>{});
    case ReduceCode::max:
      return fn(std::integral_constant<ReduceCode, ReduceCode::max>{});
    case ReduceCode::min:
      return fn(std::integral_constant<ReduceCode, ReduceCode::min>{});
    case ReduceCode::all:
      return fn(std::integral_constant<ReduceCode, ReduceCode::all>{});
    case ReduceCode::any:
      return fn(std::integral_constant<ReduceCode, ReduceCode::any>{});
  }
}

// all/any exist for bool only; other ops for every dtype.
template <ReduceCode Op, typename T>
constexpr bool kSupported = (Op != ReduceCode::all && Op != ReduceCode::any) || std::is_same_v<T, bool>;

}  // namespace

ReducePlan plan_reduce(ScalarKind kind, ReduceCode op, const ReduceGeometry& g) {
  ReducePlan plan{false, 1, 0};
  const int64_t outputs = g.kept.numel, n = g.reduced.numel;
  // Kept dims innermost: a thread per output reads coalesced across threads.
  const bool kept_inner = g.kept.rank > 0 && g.kept.strides[0][g.kept.rank - 1] == 1;
  if ((kept_inner && outputs >= 1024) || n <= 32) {
    plan.thread_per_output = true;
    return plan;
  }
  if (outputs < kSplitTargetBlocks && n > kElementsPerBlock) {
    const int64_t by_size = (n + kElementsPerBlock - 1) / kElementsPerBlock;
    const int64_t by_blocks = (kSplitTargetBlocks + outputs - 1) / outputs;
    plan.splits = by_size < by_blocks ? by_size : by_blocks;
  }
  if (plan.splits > 1) {
    dispatch_kind(kind, [&](auto tag) {
      using T = typename decltype(tag)::type;
      dispatch_reduce_code(op, [&](auto code) {
        using Acc = typename Reducer<decltype(code)::value, T>::Acc;
        plan.workspace_bytes = static_cast<size_t>(outputs * plan.splits) * sizeof(Acc);
      });
    });
  }
  return plan;
}

void launch_reduce(ScalarKind kind, ReduceCode op, const ReduceGeometry& g, const ReducePlan& plan, void* dst,
                   const void* src, void* workspace, StreamHandle stream) {
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatch_reduce_code(op, [&](auto code) {
      constexpr ReduceCode Op = decltype(code)::value;
      if constexpr (!kSupported<Op, T>) {
        emu::throw_host_error("cuda reduce: all/any take bool, other reductions numbers");
      } else {
        using Acc = typename Reducer<Op, T>::Acc;
        T* out = static_cast<T*>(dst);
        const T* in = static_cast<const T*>(src);
        if (plan.thread_per_output) {
          launch(reduce_thread_kernel<T, Op>, grid_for(g.kept.numel), dim3(kBlockThreads), 0, as_stream(stream), g, out,
                 in);
          return;
        }
        const int64_t units = g.kept.numel * plan.splits;
        // Short reductions take fewer threads (whole warps) so none idles.
        const int64_t per_unit = (g.reduced.numel + plan.splits - 1) / plan.splits;
        const int64_t threads = std::min<int64_t>(kBlockThreads, (per_unit + 31) / 32 * 32);
        launch(reduce_block_kernel<T, Op>, dim3(static_cast<unsigned>(units < kMaxBlocks ? units : kMaxBlocks)),
               dim3(static_cast<unsigned>(threads)), 0, as_stream(stream), g, plan.splits, out, in,
               static_cast<Acc*>(workspace));
        if (plan.splits > 1) {
          launch(reduce_partials_kernel<T, Op>, grid_for(g.kept.numel), dim3(kBlockThreads), 0, as_stream(stream),
                 g.kept, plan.splits, out, static_cast<const Acc*>(workspace));
        }
      }
    });
  });
}

void launch_arg_reduce(ScalarKind kind, bool argmax, const Strided<3>& kept, int64_t length, int64_t step, void* values,
                       int64_t* indices, const void* src, StreamHandle stream) {
  // Short rows take a one-warp block: no thread idles through a long stride loop.
  const unsigned threads = length <= 64 ? 32 : length <= 1024 ? 128 : kBlockThreads;
  const dim3 grid(static_cast<unsigned>(kept.numel < kMaxBlocks ? kept.numel : kMaxBlocks));
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto kernel = argmax ? arg_reduce_kernel<T, true> : arg_reduce_kernel<T, false>;
    launch(kernel, grid, dim3(threads), 0, as_stream(stream), kept, length, step, static_cast<T*>(values), indices,
           static_cast<const T*>(src));
  });
}

MINI_CUDA_END_NAMESPACE
