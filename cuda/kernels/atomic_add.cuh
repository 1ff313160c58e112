#pragma once
// atomic_add for every dtype: the hardware atomicAdd where one exists (f32,
// f64, i32, i64 as unsigned 64-bit, which wraps like two's complement), else
// a compare-and-swap loop on the aligned 32-bit word holding the element
// (f16, bf16, u8, bool), adding in compute_t as the CPU backend does.
#include <stdint.h>

#include "cuda/kernels/scalar.cuh"

MINI_CUDA_BEGIN_NAMESPACE

template <typename T>
MINI_DEVICE_INLINE void atomic_add(T* address, compute_t<T> value) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int32_t>) {
    atomicAdd(address, value);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(address), static_cast<unsigned long long>(value));
  } else {
    static_assert(sizeof(T) <= 2, "atomic_add: no path for this element size");
    const uintptr_t byte_address = reinterpret_cast<uintptr_t>(address);
    unsigned* word = reinterpret_cast<unsigned*>(byte_address & ~uintptr_t(3));
    const unsigned shift = static_cast<unsigned>(byte_address & 3u) * 8u;
    const unsigned mask = (sizeof(T) == 2 ? 0xffffu : 0xffu) << shift;
    unsigned old = *word, assumed;
    do {
      assumed = old;
      T element;
      const auto element_bits =
          static_cast<std::conditional_t<sizeof(T) == 2, uint16_t, uint8_t>>((assumed & mask) >> shift);
      memcpy(&element, &element_bits, sizeof(T));
      const T sum = convert<T>(static_cast<compute_t<T>>(load(element) + value));
      std::conditional_t<sizeof(T) == 2, uint16_t, uint8_t> sum_bits;
      memcpy(&sum_bits, &sum, sizeof(T));
      const unsigned updated = (assumed & ~mask) | (static_cast<unsigned>(sum_bits) << shift);
      old = atomicCAS(word, assumed, updated);
    } while (old != assumed);
  }
}

MINI_CUDA_END_NAMESPACE
