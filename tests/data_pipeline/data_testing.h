#pragma once
// Helpers for the data pipeline tests: a scratch directory per test and
// writers for small IDX (gzip or raw), CSV and text files.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/batch.h"
#include "tensor/tensor.h"

namespace mini::runtime::testing {

// A fresh directory removed when the object dies.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("mini_data_" + std::to_string(::getpid()) + "_" + std::string(test->test_suite_name()) + "_" +
             std::string(test->name()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

  std::string write_text(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

inline void append_u32_big_endian(std::vector<uint8_t>& bytes, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(value >> shift));
}

// The bytes of an IDX file of unsigned bytes: magic 0x0000080D, dims, data.
inline std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data,
                                      uint32_t magic = 0) {
  std::vector<uint8_t> bytes;
  append_u32_big_endian(bytes, magic != 0 ? magic : 0x0800u | static_cast<uint32_t>(dims.size()));
  for (uint32_t dim : dims) append_u32_big_endian(bytes, dim);
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

inline void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(file);
}

inline void write_raw(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A tiny MNIST-format split under `dir`: `count` images of height x width
// whose pixel p of image i is (i * 7 + p) % 256, and labels i % 10.
inline void write_tiny_mnist(const ScratchDir& dir, const std::string& prefix, uint32_t count, uint32_t height = 4,
                             uint32_t width = 3, bool gzip = true) {
  std::vector<uint8_t> pixels, labels;
  for (uint32_t i = 0; i < count; ++i) {
    for (uint32_t p = 0; p < height * width; ++p) pixels.push_back(static_cast<uint8_t>((i * 7 + p) % 256));
    labels.push_back(static_cast<uint8_t>(i % 10));
  }
  const std::string suffix = gzip ? ".gz" : "";
  auto write = gzip ? write_gzip : write_raw;
  write(dir.file(prefix + "-images-idx3-ubyte" + suffix), idx_bytes({count, height, width}, pixels));
  write(dir.file(prefix + "-labels-idx1-ubyte" + suffix), idx_bytes({count}, labels));
}

// The values of a tensor as doubles (any dtype, contiguous or not).
std::vector<double> values_of(const Tensor& tensor);

// Whether two batches have the same fields, shapes, dtypes and values.
::testing::AssertionResult batches_equal(const Batch& a, const Batch& b);

// Thrown message of `fn`, or "" when it does not throw.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace mini::runtime::testing
