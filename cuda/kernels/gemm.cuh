#pragma once
// Batched GEMM with shared-memory tiles: c (M, N) = a (M, K) @ b (K, N) per
// batch entry, every operand addressed by (row, column) strides, so
// transposed and broadcast (stride 0) operands need no copies.
//
// A block computes a 64x64 tile of c with 256 threads, each owning a 4x4
// micro-tile spread 16 rows/columns apart; a and b are staged through shared
// memory 16 deep along K. Per K step a thread does 16 loads from shared
// memory for 16 multiply-adds; the +1 column of padding keeps the transposed
// writes of the a tile off a single bank. Values are widened to Acc when
// staged (float for f32/f16/bf16, double for f64, wrapping uint64 for integers).
// Napkin math: about 8 FLOP per shared-memory load, so this version is
// shared-memory bound at well under cuBLAS's speed; on a GPU, f32/f64/f16/bf16
// go to cuBLAS (cuda/backend/cublas_matmul.cpp) and this kernel is the
// fallback (and the emulator's GEMM).
#include "cuda/kernels/geometry.cuh"

MINI_CUDA_BEGIN_NAMESPACE

inline constexpr int kGemmTile = 64;
inline constexpr int kGemmDepth = 16;
inline constexpr int kGemmThreads = 256;

template <typename T, typename Acc>
__global__ void __launch_bounds__(kGemmThreads) gemm_kernel(MatmulGeometry g, T* c, const T* a, const T* b) {
  __shared__ Acc a_tile[kGemmDepth][kGemmTile + 1];  // a_tile[kk][row]
  __shared__ Acc b_tile[kGemmDepth][kGemmTile + 1];  // b_tile[kk][column]
  const int tx = static_cast<int>(threadIdx.x % 16), ty = static_cast<int>(threadIdx.x / 16);
  const int64_t row0 = static_cast<int64_t>(blockIdx.y) * kGemmTile;
  const int64_t col0 = static_cast<int64_t>(blockIdx.x) * kGemmTile;
  for (int64_t entry = blockIdx.z; entry < g.batch.numel; entry += gridDim.z) {
    const Offsets<3> base = offsets_of(g.batch, entry);
    const T* a_base = a + base.at[1];
    const T* b_base = b + base.at[2];
    Acc acc[4][4];
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) acc[i][j] = Acc(0);
    }
    for (int64_t k0 = 0; k0 < g.k; k0 += kGemmDepth) {
      for (int e = static_cast<int>(threadIdx.x); e < kGemmTile * kGemmDepth; e += kGemmThreads) {
        const int r = e / kGemmDepth, kk = e % kGemmDepth;
        const int64_t row = row0 + r, depth = k0 + kk;
        a_tile[kk][r] =
            row < g.m && depth < g.k ? static_cast<Acc>(load(a_base[row * g.a_row + depth * g.a_col])) : Acc(0);
      }
      for (int e = static_cast<int>(threadIdx.x); e < kGemmTile * kGemmDepth; e += kGemmThreads) {
        const int kk = e / kGemmTile, col = e % kGemmTile;
        const int64_t depth = k0 + kk, column = col0 + col;
        b_tile[kk][col] =
            depth < g.k && column < g.n ? static_cast<Acc>(load(b_base[depth * g.b_row + column * g.b_col])) : Acc(0);
      }
      __syncthreads();
      for (int kk = 0; kk < kGemmDepth; ++kk) {
        Acc a_values[4], b_values[4];
        for (int i = 0; i < 4; ++i) a_values[i] = a_tile[kk][ty + 16 * i];
        for (int j = 0; j < 4; ++j) b_values[j] = b_tile[kk][tx + 16 * j];
        for (int i = 0; i < 4; ++i) {
          for (int j = 0; j < 4; ++j) acc[i][j] += a_values[i] * b_values[j];
        }
      }
      __syncthreads();  // the next step overwrites the tiles
    }
    T* c_base = c + base.at[0];
    for (int i = 0; i < 4; ++i) {
      const int64_t row = row0 + ty + 16 * i;
      if (row >= g.m) continue;
      for (int j = 0; j < 4; ++j) {
        const int64_t column = col0 + tx + 16 * j;
        if (column < g.n) c_base[row * g.c_row + column * g.c_col] = convert<T>(acc[i][j]);
      }
    }
  }
}

MINI_CUDA_END_NAMESPACE
