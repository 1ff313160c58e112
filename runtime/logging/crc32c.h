#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
// TFRecord files, and TFRecord's "masked" form of it.
//
//   uint32_t crc = runtime::crc32c("123456789");   // 0xE3069283
//   uint32_t stored = runtime::masked_crc32c(data); // what a TFRecord holds
#include <cstdint>
#include <string_view>

namespace mini::runtime {

// `crc` continues a checksum over more bytes: crc32c(b, crc32c(a)) == crc32c(a + b).
uint32_t crc32c(std::string_view bytes, uint32_t crc = 0);

// NOTE: TFRecord stores a rotated-and-offset CRC because a CRC computed over
// data that itself contains CRCs is weak; readers apply the same mask.
inline uint32_t mask_crc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t masked_crc32c(std::string_view bytes) { return mask_crc32c(crc32c(bytes)); }

}  // namespace mini::runtime
