#pragma once
// The built-in variables kernel code reads (threadIdx, blockIdx, blockDim,
// gridDim, warpSize) and the dim3/uint3 types, as in CUDA's vector_types.h.
//
// The index variables are thread_local: the block runner stores the running
// fiber's values into them before every resume (see block_runner.cpp), and a
// block never leaves its OS thread, so a TLS address stays valid across yields.

struct uint3 {
  unsigned int x, y, z;
};

struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

// initial-exec TLS: a direct %fs-relative load instead of a __tls_get_addr call in
// position-independent code; these four variables are 48 bytes of static TLS.
#define MINI_EMU_BUILTIN_TLS inline thread_local __attribute__((tls_model("initial-exec")))
MINI_EMU_BUILTIN_TLS uint3 threadIdx{0, 0, 0};
MINI_EMU_BUILTIN_TLS uint3 blockIdx{0, 0, 0};
MINI_EMU_BUILTIN_TLS dim3 blockDim{1, 1, 1};
MINI_EMU_BUILTIN_TLS dim3 gridDim{1, 1, 1};
#undef MINI_EMU_BUILTIN_TLS

inline constexpr int warpSize = 32;
