#include <gtest/gtest.h>

#include <string>

#include "runtime/logging/crc32c.h"

namespace mini::runtime {
namespace {

TEST(Crc32c, MatchesTheCheckValueOfTheCastagnoliPolynomial) { EXPECT_EQ(crc32c("123456789"), 0xE3069283u); }

// RFC 3720 (iSCSI), appendix B.4 test vectors.
TEST(Crc32c, MatchesRfc3720VectorsForZerosOnesAndARamp) {
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ramp;
  for (int i = 0; i < 32; ++i) ramp.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(ramp), 0x46DD794Eu);
}

TEST(Crc32c, OfNothingIsZero) { EXPECT_EQ(crc32c(""), 0u); }

TEST(Crc32c, ContinuesAcrossPieces) { EXPECT_EQ(crc32c("6789", crc32c("12345")), crc32c("123456789")); }

TEST(Crc32c, MaskRotatesRightBy15AndAddsTheTfRecordConstant) {
  EXPECT_EQ(mask_crc32c(0), 0xa282ead8u);
  // 0x00008000 rotated right by 15 is 1.
  EXPECT_EQ(mask_crc32c(0x00008000u), 0xa282ead9u);
  // The addition wraps modulo 2^32.
  EXPECT_EQ(mask_crc32c(0xFFFFFFFFu), 0xa282ead7u);
  EXPECT_EQ(masked_crc32c("123456789"), mask_crc32c(0xE3069283u));
}

}  // namespace
}  // namespace mini::runtime
