// Half and BFloat16 conversions, checked on all 65,536 bit patterns.
// Reference for float16: the CPU's F16C instructions (vcvtph2ps / vcvtps2ph
// with round-to-nearest-even). Reference for bfloat16, which has no
// instruction on this CPU: widening is exact by definition, and narrowing is
// checked against the nearest-even choice between the two neighbouring
// bfloat16 values computed in double.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>

#include "tensor/half.h"

namespace mini {
namespace {

__attribute__((target("f16c"))) float f16c_to_float(uint16_t bits) { return _cvtsh_ss(bits); }
__attribute__((target("f16c"))) uint16_t f16c_from_float(float value) {
  return static_cast<uint16_t>(_cvtss_sh(value, _MM_FROUND_TO_NEAREST_INT));
}

TEST(Half, WideningMatchesF16cForEveryBitPattern) {
  if (!__builtin_cpu_supports("f16c")) GTEST_SKIP() << "CPU has no F16C";
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float ours = Half::from_bits(static_cast<uint16_t>(bits));
    const float reference = f16c_to_float(static_cast<uint16_t>(bits));
    ASSERT_EQ(std::bit_cast<uint32_t>(ours), std::bit_cast<uint32_t>(reference)) << "half bits 0x" << std::hex << bits;
  }
}

TEST(Half, EveryHalfValueRoundTripsThroughFloat) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const Half h = Half::from_bits(static_cast<uint16_t>(bits));
    const Half back = Half(static_cast<float>(h));
    if (std::isnan(static_cast<float>(h))) {
      EXPECT_TRUE(std::isnan(static_cast<float>(back)));
    } else {
      ASSERT_EQ(back.bits, h.bits) << "half bits 0x" << std::hex << bits;
    }
  }
}

TEST(Half, NarrowingMatchesF16cAtMidpointsAndNeighbours) {
  if (!__builtin_cpu_supports("f16c")) GTEST_SKIP() << "CPU has no F16C";
  // For each half value: the value itself, the exact midpoint to the next
  // value (a tie), and the floats one ulp either side of that midpoint.
  for (uint32_t bits = 0; bits < 0x7c00; ++bits) {
    for (uint32_t sign : {0u, 0x8000u}) {
      const float low = Half::from_bits(static_cast<uint16_t>(bits | sign));
      const float high = Half::from_bits(static_cast<uint16_t>((bits + 1) | sign));
      const float mid = static_cast<float>((static_cast<double>(low) + static_cast<double>(high)) / 2);
      for (float probe : {low, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, high * 2)}) {
        ASSERT_EQ(Half(probe).bits, f16c_from_float(probe)) << "float " << probe;
      }
    }
  }
}

TEST(Half, NarrowingMatchesF16cOnRandomFloatsIncludingSpecials) {
  if (!__builtin_cpu_supports("f16c")) GTEST_SKIP() << "CPU has no F16C";
  std::mt19937 engine(7);
  for (int i = 0; i < 1'000'000; ++i) {
    const float value = std::bit_cast<float>(static_cast<uint32_t>(engine()));
    const uint16_t ours = Half(value).bits, reference = f16c_from_float(value);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(static_cast<float>(Half::from_bits(ours))));
    } else {
      ASSERT_EQ(ours, reference) << "float bits 0x" << std::hex << std::bit_cast<uint32_t>(value);
    }
  }
  EXPECT_EQ(Half(65504.0f).bits, 0x7bffu);                           // largest finite
  EXPECT_EQ(Half(65520.0f).bits, 0x7c00u);                           // ties away to Inf
  EXPECT_EQ(Half(std::ldexp(1.0f, -24)).bits, 0x0001u);              // smallest denormal
  EXPECT_EQ(Half(std::ldexp(1.0f, -25)).bits, 0x0000u);              // tie to even (zero)
  EXPECT_EQ(Half(-INFINITY).bits, 0xfc00u);
}

// Nearest-even bfloat16 for `value`, by comparing with both neighbours in double.
uint16_t reference_bfloat16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t truncated = static_cast<uint16_t>(bits >> 16);
  const uint16_t next = static_cast<uint16_t>(truncated + 1);
  const double low = BFloat16::from_bits(truncated), x = value;
  const float high_float = BFloat16::from_bits(next);
  // Past the largest finite value the next step is 2^128 (IEEE rounds to
  // it, i.e. to infinity, from the midpoint up).
  const double high = std::isinf(high_float) ? std::copysign(std::ldexp(1.0, 128), high_float)
                                             : static_cast<double>(high_float);
  const double to_low = std::abs(x - low), to_high = std::abs(high - x);
  if (to_low < to_high) return truncated;
  if (to_high < to_low) return next;
  return (truncated & 1) ? next : truncated;
}

TEST(BFloat16, WideningIsExactForEveryBitPattern) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float value = BFloat16::from_bits(static_cast<uint16_t>(bits));
    ASSERT_EQ(std::bit_cast<uint32_t>(value), bits << 16);
  }
}

TEST(BFloat16, EveryValueRoundTripsAndMidpointsRoundToEven) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto raw = static_cast<uint16_t>(bits);
    const float value = BFloat16::from_bits(raw);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(value))));
      continue;
    }
    ASSERT_EQ(BFloat16(value).bits, raw);
    if ((raw & 0x7f80u) == 0x7f80u) continue;  // Inf: no finite neighbour above
    // Probes between this value and the next: the tie and either side of it.
    const uint32_t tie = (bits << 16) | 0x8000u;
    for (uint32_t probe_bits : {tie, tie - 1, tie + 1, (bits << 16) | 0x7fffu, (bits << 16) | 0x0001u}) {
      const float probe = std::bit_cast<float>(probe_bits);
      ASSERT_EQ(BFloat16(probe).bits, reference_bfloat16(probe)) << "float bits 0x" << std::hex << probe_bits;
    }
  }
}

TEST(BFloat16, NanStaysNanAndLargeValuesRoundToInfinity) {
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(std::bit_cast<float>(0x7fffffffu)))));
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(std::bit_cast<float>(0x7f800001u)))));
  EXPECT_EQ(BFloat16(std::bit_cast<float>(0x7f7fffffu)).bits, 0x7f80u);  // FLT_MAX rounds up to Inf
  EXPECT_EQ(BFloat16(1.0f).bits, 0x3f80u);
}

}  // namespace
}  // namespace mini
