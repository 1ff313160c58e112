#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <regex>

#include "event_file_reader.h"
#include "runtime/logging/text_log.h"

namespace mini::runtime {
namespace {

using testing::read_file_bytes;
using testing::TempDir;

std::chrono::system_clock::time_point local_time_point(int year, int month, int day, int hour, int minute, int second) {
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  parts.tm_isdst = -1;
  return std::chrono::system_clock::from_time_t(std::mktime(&parts));
}

TEST(TextLog, TimestampIsDateUnderscoreTimeInLocalTime) {
  EXPECT_EQ(make_timestamp(local_time_point(2024, 1, 31, 23, 59, 58)), "20240131_235958");
}

TEST(TextLog, LogTimeIsSlashedDateAndClock) {
  EXPECT_EQ(format_log_time(local_time_point(2024, 3, 5, 7, 8, 9)), "2024/03/05 07:08:09");
}

TEST(TextLog, StripsAnsiSequencesAndCarriageReturns) {
  EXPECT_EQ(strip_terminal_codes("\rEpoch 1/2 [==>  ]\033[K"), "Epoch 1/2 [==>  ]");
  EXPECT_EQ(strip_terminal_codes("\033[1;31mred\033[0m text"), "red text");
  EXPECT_EQ(strip_terminal_codes("a\tb\x07"), "a\tb");
}

TEST(TextLog, LivesInWorkDirTimestampFolder) {
  TempDir dir("textlog");
  TextLog log = TextLog::in_work_dir(dir.path(), "20240101_000000");
  EXPECT_EQ(log.path(), dir.path() / "20240101_000000" / "20240101_000000.log");
  log.write_line("hello");
  EXPECT_TRUE(std::filesystem::exists(log.path()));
}

TEST(TextLog, PrefixesEachLineWithItsTimeAndFlushesIt) {
  TempDir dir("textlog");
  TextLog log(dir.path() / "run.log");
  log.write_line("Epoch(train) [1][10/10]  loss: 0.5000");
  const std::string text = read_file_bytes(log.path());
  EXPECT_TRUE(std::regex_match(
      text, std::regex(R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d - Epoch\(train\) \[1\]\[10/10\]  loss: 0\.5000\n)")))
      << text;
}

TEST(TextLog, SplitsMultiLineTextAndDropsControlCodes) {
  TempDir dir("textlog");
  TextLog log(dir.path() / "run.log", /*time_prefix=*/false);
  log.write_line("first\n\033[32msecond\033[0m\n");
  EXPECT_EQ(read_file_bytes(log.path()), "first\nsecond\n");
}

TEST(TextLog, MovedLogKeepsWriting) {
  TempDir dir("textlog");
  TextLog first(dir.path() / "run.log", false);
  TextLog moved = std::move(first);
  moved.write_line("still here");
  EXPECT_EQ(read_file_bytes(moved.path()), "still here\n");
}

}  // namespace
}  // namespace mini::runtime
