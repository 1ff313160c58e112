#pragma once
// The float32 GEMM behind gemm.h: an AVX-512 register-tiled kernel where the
// machine has AVX-512 (x86-64 builds with -march supporting it), Eigen
// otherwise. Internal to tensor/cpu; kernels call gemm()/gemm_parallel().
//
//   sgemm(a, b, c, /*accumulate=*/false, /*parallel=*/true);  // c = a @ b
#include "tensor/cpu/gemm.h"

namespace mini::cpu {

// True when sgemm runs the hand-written kernel (else gemm.cpp uses Eigen).
bool sgemm_available();

// c (m, n) = a (m, k) @ b (k, n), or c += a @ b when `accumulate`. c must be
// row-major or column-major with m, n, k > 0; a and b may have any strides.
// Overwriting never reads c (no zeroing needed). `parallel` splits the
// product over the thread pool (by columns or rows of c, whichever balances
// better); small products stay on the calling thread.
void sgemm(MatrixRef<const float> a, MatrixRef<const float> b, MatrixRef<float> c, bool accumulate, bool parallel);

}  // namespace mini::cpu
