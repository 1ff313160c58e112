#include "runtime/data/byte_text.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "tensor/error.h"
#include "tensor/ops/factory.h"

namespace mini::runtime {

ByteTextDataset::ByteTextDataset(ByteTextOptions options) : options_(std::move(options)) {
  if (options_.stride < 0) options_.stride = options_.block_size;
  MINI_CHECK(options_.block_size > 0, "ByteTextDataset: block_size must be positive, got {}", options_.block_size);
  MINI_CHECK(options_.stride > 0, "ByteTextDataset: stride must be positive, got {}", options_.stride);
  std::ifstream file(options_.path, std::ios::binary);
  MINI_CHECK(file.good(), "ByteTextDataset: {}: cannot open (no such file, or not readable)", options_.path);
  bytes_.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  MINI_CHECK(!file.bad(), "ByteTextDataset: {}: read error", options_.path);
  const int64_t length = static_cast<int64_t>(bytes_.size());
  MINI_CHECK(length >= options_.block_size + 1,
             "ByteTextDataset: {}: the file has {} bytes; block_size {} needs at least {} (a window and its next "
             "byte)",
             options_.path, length, options_.block_size, options_.block_size + 1);
  // Windows start at 0, stride, ... while start + T + 1 <= length.
  size_ = (length - options_.block_size - 1) / options_.stride + 1;
  max_byte_ = *std::max_element(bytes_.begin(), bytes_.end());
}

Sample ByteTextDataset::get(int64_t index) const {
  check_index(index);
  const int64_t one[] = {index};
  Batch batch = get_batch(one);
  const int64_t block = options_.block_size;
  return {{"input", Tensor(batch.at("input").storage(), DType::i64, {block}, {1}, 0)},
          {"target", Tensor(batch.at("target").storage(), DType::i64, {block}, {1}, 0)}};
}

Batch ByteTextDataset::get_batch(std::span<const int64_t> indices) const {
  for (int64_t index : indices) check_index(index);
  const int64_t count = static_cast<int64_t>(indices.size()), block = options_.block_size;
  Tensor input = ops::empty({count, block}, {.dtype = DType::i64});
  Tensor target = ops::empty({count, block}, {.dtype = DType::i64});
  int64_t* in = input.data<int64_t>();
  int64_t* out = target.data<int64_t>();
  for (int64_t row = 0; row < count; ++row) {
    const uint8_t* window = bytes_.data() + indices[static_cast<size_t>(row)] * options_.stride;
    std::copy(window, window + block, in + row * block);
    std::copy(window + 1, window + block + 1, out + row * block);
  }
  return {{"input", input}, {"target", target}};
}

std::string ByteTextDataset::describe() const {
  return fmt::format("ByteTextDataset({}, {} bytes, block_size={}, stride={}, {} samples)", options_.path,
                     bytes_.size(), options_.block_size, options_.stride, size_);
}

}  // namespace mini::runtime
