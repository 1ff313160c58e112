// The kernels' 16-bit float conversions (cuda/kernels/scalar.cuh) are copies
// of tensor/half.h's, callable from device code: they must agree on every bit pattern.
#include "tensor/half.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>

#include "cuda/kernels/scalar.cuh"

namespace mini::cuda {
namespace {

TEST(CudaHalfBits, ToFloatAgreesWithTensorHalfOnEveryPattern) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto raw = static_cast<uint16_t>(bits);
    ASSERT_EQ(std::bit_cast<uint32_t>(half_bits_to_float(raw)),
              std::bit_cast<uint32_t>(mini::detail::half_bits_to_float(raw)))
        << bits;
    ASSERT_EQ(std::bit_cast<uint32_t>(bfloat16_bits_to_float(raw)),
              std::bit_cast<uint32_t>(mini::detail::bfloat16_bits_to_float(raw)))
        << bits;
  }
}

TEST(CudaHalfBits, FromFloatAgreesWithTensorHalfAcrossTheRange) {
  // Every 16-bit pattern's float, and its neighbours, cover every rounding case (ties, subnormals, overflow).
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float center = mini::detail::half_bits_to_float(static_cast<uint16_t>(bits));
    const uint32_t center_bits = std::bit_cast<uint32_t>(center);
    for (uint32_t offset : {0u, 1u, 0xfffu, 0x1000u, 0x1001u}) {
      const float value = std::bit_cast<float>(center_bits + offset);
      ASSERT_EQ(float_to_half_bits(value), mini::detail::float_to_half_bits(value)) << value;
      ASSERT_EQ(float_to_bfloat16_bits(value), mini::detail::float_to_bfloat16_bits(value)) << value;
    }
  }
}

}  // namespace
}  // namespace mini::cuda
