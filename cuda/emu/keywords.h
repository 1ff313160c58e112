#pragma once
// CUDA declaration keywords for kernel sources compiled by g++ (the SIMT emulator).
//
// NOTE [ keyword macros ]: nothing from the CUDA toolkit is included in the
// emulated build. If cuda_fp16.h / cuda_bf16.h are ever needed here, they must be
// included BEFORE this header: they use these keywords themselves and break once
// the keywords are macros.

#if defined(__CUDACC__)
#error "cuda/emu/keywords.h is for g++ builds; nvcc provides these keywords"
#endif

// Kernels and device functions are ordinary functions on the CPU. Kernels in
// headers must be templates or `static` (a plain `__global__` function defined in
// a header included by two translation units would be a duplicate definition).
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)
// Constant memory is plain global memory here: there is no separate cache to model.
#define __constant__

// NOTE [ __shared__ is thread_local ]: the threads of one block all run as fibers
// on one OS thread, and a worker runs one block at a time, so a thread_local
// variable is exactly one instance per running block. Block-scope thread_local is
// implicitly static; writing `static thread_local` would break
// `extern __shared__` declarations, which is why the macro has no `static`.
// Dynamic shared memory does not use this macro: see MINI_DYNAMIC_SHARED.
#define __shared__ thread_local
