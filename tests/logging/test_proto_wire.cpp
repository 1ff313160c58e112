#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "runtime/logging/proto_wire.h"

namespace mini::runtime::proto {
namespace {

std::vector<int> bytes_of(const std::string& text) {
  std::vector<int> bytes;
  for (unsigned char c : text) bytes.push_back(c);
  return bytes;
}

std::vector<int> varint(uint64_t value) {
  std::string out;
  put_varint(out, value);
  return bytes_of(out);
}

TEST(ProtoWire, VarintsBelow128TakeOneByte) {
  EXPECT_EQ(varint(0), (std::vector<int>{0x00}));
  EXPECT_EQ(varint(1), (std::vector<int>{0x01}));
  EXPECT_EQ(varint(127), (std::vector<int>{0x7F}));
}

TEST(ProtoWire, VarintsPutTheLowSevenBitsFirstWithContinuationBits) {
  EXPECT_EQ(varint(128), (std::vector<int>{0x80, 0x01}));
  EXPECT_EQ(varint(300), (std::vector<int>{0xAC, 0x02}));
  EXPECT_EQ(varint(16383), (std::vector<int>{0xFF, 0x7F}));
  EXPECT_EQ(varint(16384), (std::vector<int>{0x80, 0x80, 0x01}));
}

TEST(ProtoWire, LargestVarintTakesTenBytes) {
  EXPECT_EQ(varint(std::numeric_limits<uint64_t>::max()),
            (std::vector<int>{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
}

TEST(ProtoWire, Int64FieldOfALargeStepKeepsAllBits) {
  std::string out;
  put_int64(out, 2, int64_t{1} << 40);
  // key (2 << 3 | 0) = 0x10; 2^40 = 0b1 followed by 40 zeros: five 7-bit zero groups, then 2^5.
  EXPECT_EQ(bytes_of(out), (std::vector<int>{0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20}));
}

TEST(ProtoWire, NegativeInt64IsTenBytesOfTwosComplement) {
  std::string out;
  put_int64(out, 2, -1);
  EXPECT_EQ(bytes_of(out), (std::vector<int>{0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
}

TEST(ProtoWire, DoubleIsKeyThenEightLittleEndianBytes) {
  std::string out;
  put_double(out, 1, 1.0);
  EXPECT_EQ(bytes_of(out), (std::vector<int>{0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F}));
}

TEST(ProtoWire, FloatIsKeyThenFourLittleEndianBytes) {
  std::string out;
  put_float(out, 2, 0.25f);
  EXPECT_EQ(bytes_of(out), (std::vector<int>{0x15, 0x00, 0x00, 0x80, 0x3E}));
}

TEST(ProtoWire, StringIsKeyLengthAndBytes) {
  std::string out;
  put_string(out, 1, "ab");
  EXPECT_EQ(bytes_of(out), (std::vector<int>{0x0A, 0x02, 0x61, 0x62}));
}

TEST(ProtoWire, FieldNumbersFrom16NeedATwoByteKey) {
  std::string out;
  put_string(out, 16, "");
  EXPECT_EQ(bytes_of(out), (std::vector<int>{0x82, 0x01, 0x00}));
}

TEST(ProtoWire, LongBytesHaveAMultiByteLength) {
  std::string out;
  put_bytes(out, 1, std::string(200, 'x'));
  ASSERT_EQ(out.size(), 1u + 2u + 200u);
  EXPECT_EQ(bytes_of(out.substr(0, 3)), (std::vector<int>{0x0A, 0xC8, 0x01}));
}

}  // namespace
}  // namespace mini::runtime::proto
