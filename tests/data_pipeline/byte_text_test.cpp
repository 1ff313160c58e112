// ByteTextDataset: windows, next-byte targets, strides and short files.
#include "runtime/data/byte_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data_testing.h"

namespace mini::runtime {
namespace {

using testing::error_of;
using ::testing::HasSubstr;
using testing::ScratchDir;
using testing::values_of;

std::vector<double> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

TEST(ByteTextDataset, WindowsAndTargetsShiftedByOne) {
  ScratchDir dir;
  ByteTextDataset data({.path = dir.write_text("t.txt", "abcdefghij"), .block_size = 3});
  // Windows start at 0, 3, 6 (6 + 3 + 1 = 10 bytes needed).
  ASSERT_EQ(data.size(), 3);
  const Sample sample = data.get(1);
  EXPECT_EQ(sample.at("input").dtype(), DType::i64);
  EXPECT_EQ(values_of(sample.at("input")), bytes_of("def"));
  EXPECT_EQ(values_of(sample.at("target")), bytes_of("efg"));
  EXPECT_EQ(values_of(data.get(2).at("target")), bytes_of("hij"));
}

TEST(ByteTextDataset, StrideMakesOverlappingWindows) {
  ScratchDir dir;
  ByteTextDataset data({.path = dir.write_text("t.txt", "abcdef"), .block_size = 4, .stride = 1});
  ASSERT_EQ(data.size(), 2);
  const int64_t rows[] = {1, 0};
  const Batch batch = data.get_batch(rows);
  EXPECT_EQ(batch.at("input").sizes(), Shape({2, 4}));
  EXPECT_EQ(values_of(batch.at("input")), bytes_of("bcdeabcd"));
  EXPECT_EQ(values_of(batch.at("target")), bytes_of("cdefbcde"));
}

TEST(ByteTextDataset, MaxLabelIsTheLargestByte) {
  ScratchDir dir;
  ByteTextDataset data({.path = dir.write_text("t.txt",
                                               "aaz\x7f"
                                               "a"),
                        .block_size = 2});
  EXPECT_EQ(data.max_label(), 127);
  EXPECT_EQ(data.num_classes(), 256);
}

TEST(ByteTextDataset, FileShorterThanBlockPlusOneIsAnError) {
  ScratchDir dir;
  const std::string path = dir.write_text("t.txt", "abcd");
  EXPECT_THAT(error_of([&] { ByteTextDataset({.path = path, .block_size = 4}); }),
              HasSubstr(path + ": the file has 4 bytes; block_size 4 needs at least 5"));
}

}  // namespace
}  // namespace mini::runtime
