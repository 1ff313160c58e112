#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "event_file_reader.h"
#include "runtime/logging/console.h"
#include "tensor/error.h"

namespace mini::runtime {
namespace {

using ::testing::HasSubstr;
using testing::read_file_bytes;
using testing::TempDir;
using Clock = ConsoleProgress::Clock;

TrainProgress at_iter(int64_t iter, int64_t max_iters = 20) {
  TrainProgress progress;
  progress.epoch = 1;
  progress.max_epochs = 1;
  progress.iter = iter;
  progress.max_iters = max_iters;
  progress.scalars = {{"loss", 1.0 / static_cast<double>(iter)}};
  return progress;
}

size_t count(const std::string& text, const std::string& piece) {
  size_t n = 0;
  for (size_t at = text.find(piece); at != std::string::npos; at = text.find(piece, at + piece.size())) ++n;
  return n;
}

TEST(ConsoleProgress, WithoutATerminalPrintsALineEveryInterval) {
  std::ostringstream out;
  ConsoleProgress console({.interval = 5, .tty = false, .out = &out});
  for (int64_t iter = 1; iter <= 12; ++iter) console.update(at_iter(iter, 12));
  // Iterations 5 and 10, then the last one.
  EXPECT_EQ(count(out.str(), "\n"), 3u);
  EXPECT_THAT(out.str(), HasSubstr("Epoch(train) [1][ 5/12]  loss: 0.2000\n"));
  EXPECT_THAT(out.str(), HasSubstr("Epoch(train) [1][12/12]"));
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
}

TEST(ConsoleProgress, OnATerminalRedrawsAtMostOncePerInterval) {
  std::ostringstream out;
  ConsoleProgress console({.interval = 100, .tty = true, .min_redraw_seconds = 0.1, .out = &out});
  const Clock::time_point start{};
  // 10 updates 20 ms apart span 180 ms: drawn at 0 ms and 100 ms (or later) only.
  for (int64_t iter = 1; iter <= 10; ++iter) {
    console.update(at_iter(iter, 100), start + std::chrono::milliseconds(20 * (iter - 1)));
  }
  EXPECT_EQ(count(out.str(), "\r"), 2u);
  EXPECT_EQ(out.str().find('\n'), std::string::npos);
  EXPECT_THAT(out.str(), HasSubstr("\rEpoch 1/1 ["));
}

TEST(ConsoleProgress, OnATerminalAlwaysDrawsAndClosesTheLastIteration) {
  std::ostringstream out;
  ConsoleProgress console({.tty = true, .min_redraw_seconds = 10, .out = &out});
  const Clock::time_point start{};
  console.update(at_iter(1, 3), start);
  console.update(at_iter(2, 3), start);
  console.update(at_iter(3, 3), start);
  EXPECT_EQ(count(out.str(), "\r"), 2u);
  EXPECT_THAT(out.str(), HasSubstr(" 3/3  loss 0.3333\033[K\n"));
}

TEST(ConsoleProgress, UnknownLengthKeepsOneLiveLine) {
  std::ostringstream out;
  ConsoleProgress console({.tty = true, .min_redraw_seconds = 0, .out = &out});
  for (int64_t iter = 1; iter <= 3; ++iter) console.update(at_iter(iter, 0), Clock::time_point{});
  EXPECT_EQ(count(out.str(), "\r"), 3u);
  EXPECT_EQ(out.str().find('\n'), std::string::npos);
}

TEST(ConsoleProgress, PrintEndsTheLiveLineFirst) {
  std::ostringstream out;
  ConsoleProgress console({.tty = true, .out = &out});
  console.update(at_iter(1, 10), Clock::time_point{});
  console.print("Epoch(val) [1][5/5]  accuracy/top1: 90.0000");
  EXPECT_THAT(out.str(), HasSubstr("\033[K\nEpoch(val) [1][5/5]  accuracy/top1: 90.0000\n"));
}

TEST(ConsoleProgress, TextLogGetsThePlainLinesEvenOnATerminal) {
  TempDir dir("console");
  TextLog log(dir.path() / "run.log", /*time_prefix=*/false);
  std::ostringstream out;
  ConsoleProgress console({.interval = 2, .tty = true, .out = &out, .log = &log});
  for (int64_t iter = 1; iter <= 4; ++iter) console.update(at_iter(iter, 4), Clock::time_point{});
  console.print("done");
  EXPECT_EQ(read_file_bytes(log.path()),
            "Epoch(train) [1][2/4]  loss: 0.5000\nEpoch(train) [1][4/4]  loss: 0.2500\ndone\n");
}

TEST(ConsoleProgress, QuietPrintsNothingButStillLogs) {
  TempDir dir("console");
  TextLog log(dir.path() / "run.log", false);
  ConsoleProgress console({.interval = 1, .tty = false, .quiet = true, .log = &log});
  console.update(at_iter(1, 1));
  EXPECT_EQ(read_file_bytes(log.path()), "Epoch(train) [1][1/1]  loss: 1.0000\n");
}

TEST(ConsoleProgress, NonPositiveIntervalIsAnError) {
  try {
    ConsoleOptions options;
    options.interval = 0;
    ConsoleProgress console(options);
    FAIL() << "expected an error";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("interval must be positive, got 0"));
  }
}

}  // namespace
}  // namespace mini::runtime
