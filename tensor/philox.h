#pragma once
// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
// 3", SC'11): a keyed bijection of a 128-bit counter. Header-only and free
// of library calls so CUDA kernels and the CPU share this exact code.
#include <cstdint>

#if defined(__CUDACC__)
#define MINI_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define MINI_HOST_DEVICE inline
#endif

namespace mini::philox {

struct Block {
  uint32_t x[4];
};

MINI_HOST_DEVICE uint32_t mulhi(uint32_t a, uint32_t b) {
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
}

// The four 32-bit outputs for counter `counter` under key `seed`.
MINI_HOST_DEVICE Block generate(uint64_t seed, uint64_t counter) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint32_t lo0 = kMul0 * c0, hi0 = mulhi(kMul0, c0);
    const uint32_t lo1 = kMul1 * c2, hi1 = mulhi(kMul1, c2);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return Block{{c0, c1, c2, c3}};
}

// A uniform float in [0, 1) from 24 random bits (every value exactly representable).
MINI_HOST_DEVICE float to_unit_float(uint32_t bits) { return static_cast<float>(bits >> 8) * 0x1p-24f; }
// A uniform double in [0, 1) from 53 random bits.
MINI_HOST_DEVICE double to_unit_double(uint32_t hi, uint32_t lo) {
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32 | lo) >> 11)) * 0x1p-53;
}

}  // namespace mini::philox
