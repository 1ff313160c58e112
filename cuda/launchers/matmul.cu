// Launcher for the tiled GEMM kernel (cuda/kernels/gemm.cuh).
#include "cuda/kernels/gemm.cuh"
#include "cuda/launchers/dispatch.cuh"
#include "cuda/launchers/launchers.h"

MINI_CUDA_BEGIN_NAMESPACE

void launch_matmul(ScalarKind kind, const MatmulGeometry& g, void* c, const void* a, const void* b,
                   StreamHandle stream) {
  const int64_t row_tiles = (g.m + kGemmTile - 1) / kGemmTile, col_tiles = (g.n + kGemmTile - 1) / kGemmTile;
  if (row_tiles > max_grid_yz) {
    emu::throw_host_error("cuda matmul: " + std::to_string(g.m) + " rows is more than the GEMM kernel's grid allows");
  }
  const int64_t batch = g.batch.numel < max_grid_yz ? g.batch.numel : max_grid_yz;
  const dim3 grid(static_cast<unsigned>(col_tiles), static_cast<unsigned>(row_tiles), static_cast<unsigned>(batch));
  dispatch_kind(kind, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      emu::throw_host_error("cuda matmul: not supported for bool");
    } else {
      // Integers accumulate in wrapping uint64: the low bits equal T's wrapped sum.
      using Acc =
          std::conditional_t<std::is_same_v<T, double>, double, std::conditional_t<is_floating_v<T>, float, uint64_t>>;
      launch(gemm_kernel<T, Acc>, grid, dim3(kGemmThreads), 0, as_stream(stream), g, static_cast<T*>(c),
             static_cast<const T*>(a), static_cast<const T*>(b));
    }
  });
}

MINI_CUDA_END_NAMESPACE
