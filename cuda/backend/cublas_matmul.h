#pragma once
// The cuBLAS path of CudaBackend::matmul (device variant only).
#include "cuda/kernels/params.h"
#include "cuda/runtime/device_api.h"

MINI_CUDA_BEGIN_NAMESPACE

#if defined(MINI_CUDA_EMULATED)
// The emulator has no cuBLAS: matmul always takes the GEMM kernel.
inline bool cublas_matmul(int, ScalarKind, const MatmulGeometry&, void*, const void*, const void*, StreamHandle) {
  return false;
}
#else
// Runs c = a @ b through cuBLAS when the dtype is f32/f64/f16/bf16 (16-bit
// types accumulate in f32), each matrix has a unit stride in one of its two
// dims, c is row-major, and the batch dims collapse to one stride per operand.
// Returns false (doing nothing) otherwise, or when MINI_CUDA_CUBLAS=0. f32
// uses TF32 tensor cores only with MINI_CUDA_TF32=1 (cuda/backend/library_switches.h).
bool cublas_matmul(int device, ScalarKind kind, const MatmulGeometry& g, void* c, const void* a, const void* b,
                   StreamHandle stream);
#endif

MINI_CUDA_END_NAMESPACE
