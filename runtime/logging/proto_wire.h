#pragma once
// The few pieces of the protobuf wire format that TensorBoard's Event needs,
// written by hand so mini-engine does not depend on protobuf.
//
//   std::string value;
//   proto::put_string(value, 1, "loss");     // Value.tag
//   proto::put_float(value, 2, 0.25f);       // Value.simple_value
//   std::string summary;
//   proto::put_bytes(summary, 1, value);     // Summary.value (a nested message)
//
// Wire format: each field is a key varint (field_number << 3 | wire_type)
// followed by the payload. Varints hold 7 bits per byte, least significant
// group first, with the high bit set on every byte but the last.
#include <cstdint>
#include <string>
#include <string_view>

namespace mini::runtime::proto {

enum class WireType : uint32_t { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 };

void put_varint(std::string& out, uint64_t value);
// NOTE: int64 fields are encoded as their two's-complement uint64, so a
// negative value always takes 10 bytes (protobuf's rule for int64, not sint64).
void put_int64(std::string& out, uint32_t field, int64_t value);
void put_double(std::string& out, uint32_t field, double value);
void put_float(std::string& out, uint32_t field, float value);
// Strings, bytes and nested messages are all length-delimited.
void put_bytes(std::string& out, uint32_t field, std::string_view bytes);
inline void put_string(std::string& out, uint32_t field, std::string_view text) { put_bytes(out, field, text); }

// Little-endian fixed-width integers (also used by the TFRecord framing).
void put_fixed32(std::string& out, uint32_t value);
void put_fixed64(std::string& out, uint64_t value);

}  // namespace mini::runtime::proto
