#pragma once
// The one header a kernel source (.cuh) includes, for both compilers.
//
// Under nvcc it only adds MINI_DYNAMIC_SHARED; the CUDA keywords and intrinsics
// are built in. Under g++ it turns the same source into code for the SIMT
// emulator: keywords become macros, built-in variables become thread_locals,
// and barriers, warp intrinsics and atomics call the emulator runtime.
//
//   #include "cuda/emu/simt.h"
//   template <typename T>
//   __global__ void scale(T* x, T factor, int n) {
//     const int i = blockIdx.x * blockDim.x + threadIdx.x;
//     if (i < n) x[i] *= factor;
//   }
//
// Not emulated: see cuda/README.md.

#if defined(__CUDACC__)

// One byte array for every kernel: nvcc rejects extern __shared__ arrays of
// different element types under the same name, so each use reinterprets it.
#define MINI_DYNAMIC_SHARED(T, name)                                          \
  extern __shared__ __align__(16) unsigned char mini_dynamic_shared_bytes_[]; \
  T* name = reinterpret_cast<T*>(mini_dynamic_shared_bytes_)

#else

#include "cuda/emu/atomics.h"
#include "cuda/emu/builtins.h"
#include "cuda/emu/intrinsics.h"
#include "cuda/emu/keywords.h"
#include "cuda/emu/sync.h"

// NOTE: `extern __shared__ T name[];` does not work under the emulator (it would
// be an extern thread_local with no definition, and g++ 12 crashes on it inside
// function templates). This macro hands out a buffer of exactly the launch's
// shared-memory size instead, so ASan can see overruns.
#define MINI_DYNAMIC_SHARED(T, name) T* name = static_cast<T*>(::mini::cuda::emu::dynamic_shared_memory())

#endif
