#pragma once
// Philox random fills, the recipe of NOTE [ Random number formula ] in
// tensor/cpu/random.cpp, line for line, so a seed gives the same tensor on
// every backend: element i (row-major over dst's shape) uses
// philox::generate(seed, offset + i). The fma calls are explicit on both sides
// (nvcc would otherwise contract a * b + c, g++ in ISO mode would not).
#include "cuda/kernels/geometry.cuh"
#include "cuda/kernels/math.cuh"
#include "tensor/philox.h"

MINI_CUDA_BEGIN_NAMESPACE

// double 2 pi, as std::numbers::pi * 2 on the CPU.
inline constexpr double kTwoPi = 6.283185307179586;

MINI_KERNEL_INLINE uint64_t bits53(uint32_t hi, uint32_t lo) { return (static_cast<uint64_t>(hi) << 32 | lo) >> 11; }

template <typename T>
__global__ void random_uniform_kernel(Strided<1> g, T* dst, uint64_t seed, uint64_t offset, double low, double high) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const philox::Block x = philox::generate(seed, offset + static_cast<uint64_t>(i));
    T value;
    if constexpr (std::is_same_v<T, double>) {
      value = fma(philox::to_unit_double(x.x[0], x.x[1]), high - low, low);
    } else {
      const float low_f = static_cast<float>(low);
      const float range = static_cast<float>(high) - low_f;
      value = convert<T>(fmaf(philox::to_unit_float(x.x[0]), range, low_f));
    }
    dst[offsets_of(g, i).at[0]] = value;
  }
}

template <typename T>
__global__ void random_normal_kernel(Strided<1> g, T* dst, uint64_t seed, uint64_t offset, double mean, double std) {
  for (int64_t i = global_thread_index(); i < g.numel; i += grid_thread_count()) {
    const philox::Block x = philox::generate(seed, offset + static_cast<uint64_t>(i));
    double u1, u2;
    if constexpr (std::is_same_v<T, double>) {
      u1 = static_cast<double>(bits53(x.x[0], x.x[1]) + 1) * 0x1p-53;
      u2 = static_cast<double>(bits53(x.x[2], x.x[3])) * 0x1p-53;
    } else {
      u1 = static_cast<double>((x.x[0] >> 8) + 1) * 0x1p-24;
      u2 = static_cast<double>(x.x[1] >> 8) * 0x1p-24;
    }
    const double z = m_sqrt(-2 * m_log(u1)) * m_cos(kTwoPi * u2);
    dst[offsets_of(g, i).at[0]] = convert<T>(fma(std, z, mean));
  }
}

MINI_CUDA_END_NAMESPACE
