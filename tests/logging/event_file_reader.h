#pragma once
// An independent reader of TensorBoard event files for the tests: TFRecord
// framing with both CRCs checked by a bit-by-bit CRC-32C (not the table the
// writer uses), and a generic protobuf wire-format decoder for Event.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace mini::testing {

inline uint32_t bitwise_crc32c(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

inline uint64_t read_le(const std::string& bytes, size_t at, int width) {
  if (at + width > bytes.size()) throw std::runtime_error("truncated fixed-width field");
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) value |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return value;
}

// The data of every record; throws on a bad CRC or a truncated record.
inline std::vector<std::string> read_tfrecords(const std::string& file_bytes) {
  std::vector<std::string> records;
  size_t at = 0;
  while (at < file_bytes.size()) {
    const std::string length_bytes = file_bytes.substr(at, 8);
    const uint64_t length = read_le(file_bytes, at, 8);
    if (read_le(file_bytes, at + 8, 4) != masked(bitwise_crc32c(length_bytes))) throw std::runtime_error("length CRC");
    if (at + 12 + length + 4 > file_bytes.size()) throw std::runtime_error("truncated record");
    std::string data = file_bytes.substr(at + 12, length);
    if (read_le(file_bytes, at + 12 + length, 4) != masked(bitwise_crc32c(data))) throw std::runtime_error("data CRC");
    records.push_back(std::move(data));
    at += 12 + length + 4;
  }
  return records;
}

inline std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct WireField {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t varint = 0;  // Varint, Fixed64 and Fixed32 payloads
  std::string bytes;    // length-delimited payloads
};

inline uint64_t decode_varint(const std::string& bytes, size_t& at) {
  uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (at >= bytes.size()) throw std::runtime_error("truncated varint");
    const unsigned char byte = static_cast<unsigned char>(bytes[at++]);
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  throw std::runtime_error("varint longer than 10 bytes");
}

inline std::vector<WireField> decode_message(const std::string& bytes) {
  std::vector<WireField> fields;
  size_t at = 0;
  while (at < bytes.size()) {
    const uint64_t key = decode_varint(bytes, at);
    WireField field;
    field.number = static_cast<uint32_t>(key >> 3);
    field.wire_type = static_cast<uint32_t>(key & 7);
    switch (field.wire_type) {
      case 0:
        field.varint = decode_varint(bytes, at);
        break;
      case 1:
        field.varint = read_le(bytes, at, 8);
        at += 8;
        break;
      case 5:
        field.varint = read_le(bytes, at, 4);
        at += 4;
        break;
      case 2: {
        const uint64_t length = decode_varint(bytes, at);
        if (at + length > bytes.size()) throw std::runtime_error("truncated bytes field");
        field.bytes = bytes.substr(at, length);
        at += length;
        break;
      }
      default:
        throw std::runtime_error("unexpected wire type " + std::to_string(field.wire_type));
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

struct DecodedValue {
  std::string tag;
  float simple_value = 0;
};
struct DecodedEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;
  std::vector<DecodedValue> values;
};

inline DecodedEvent decode_event(const std::string& bytes) {
  DecodedEvent event;
  for (const WireField& field : decode_message(bytes)) {
    if (field.number == 1 && field.wire_type == 1)
      event.wall_time = std::bit_cast<double>(field.varint);
    else if (field.number == 2 && field.wire_type == 0)
      event.step = static_cast<int64_t>(field.varint);
    else if (field.number == 3 && field.wire_type == 2)
      event.file_version = field.bytes;
    else if (field.number == 5 && field.wire_type == 2) {
      for (const WireField& value_field : decode_message(field.bytes)) {
        if (value_field.number != 1 || value_field.wire_type != 2) throw std::runtime_error("bad Summary field");
        DecodedValue value;
        for (const WireField& part : decode_message(value_field.bytes)) {
          if (part.number == 1 && part.wire_type == 2)
            value.tag = part.bytes;
          else if (part.number == 2 && part.wire_type == 5)
            value.simple_value = std::bit_cast<float>(static_cast<uint32_t>(part.varint));
          else
            throw std::runtime_error("bad Value field");
        }
        event.values.push_back(value);
      }
    } else {
      throw std::runtime_error("unexpected Event field " + std::to_string(field.number));
    }
  }
  return event;
}

// A fresh, empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("mini_" + name + "_" + std::string(info ? info->name() : "x") + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace mini::testing
