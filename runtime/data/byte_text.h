#pragma once
// ByteTextDataset: a text file as bytes for next-byte prediction (vocabulary
// 256). Sample i is the window starting at i * stride:
//   "input"  (T,) int64 = bytes [i*stride, i*stride + T)
//   "target" (T,) int64 = bytes [i*stride + 1, i*stride + T + 1)
//
//   ByteTextDataset text({.path = "tiny_shakespeare.txt", .block_size = 64});
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/data/dataset.h"

namespace mini::runtime {

struct ByteTextOptions {
  std::string path = "";
  int64_t block_size = 64;  // T
  int64_t stride = -1;      // -1: block_size (windows do not overlap)
};

class ByteTextDataset : public Dataset {
 public:
  explicit ByteTextDataset(ByteTextOptions options);

  int64_t size() const override { return size_; }
  Sample get(int64_t index) const override;
  Batch get_batch(std::span<const int64_t> indices) const override;
  std::string describe() const override;
  int64_t num_classes() const override { return 256; }
  int64_t max_label() const override { return max_byte_; }

 private:
  ByteTextOptions options_;
  std::vector<uint8_t> bytes_;
  int64_t size_ = 0;
  int64_t max_byte_ = -1;
};

}  // namespace mini::runtime
