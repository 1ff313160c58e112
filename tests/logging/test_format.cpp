#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "runtime/logging/format.h"

namespace mini::runtime {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(FormatEta, PrintsHoursMinutesSecondsLikePythonTimedelta) {
  EXPECT_EQ(format_eta(0), "0:00:00");
  EXPECT_EQ(format_eta(3), "0:00:03");
  EXPECT_EQ(format_eta(3725), "1:02:05");
  EXPECT_EQ(format_eta(86399), "23:59:59");
}

TEST(FormatEta, DropsFractionsOfASecond) { EXPECT_EQ(format_eta(59.99), "0:00:59"); }

TEST(FormatEta, PrefixesDaysPastTwentyFourHours) {
  EXPECT_EQ(format_eta(86400), "1 day, 0:00:00");
  EXPECT_EQ(format_eta(2 * 86400 + 3661), "2 days, 1:01:01");
}

TEST(FormatEta, NegativeIsZeroAndUnknownIsAQuestionMark) {
  EXPECT_EQ(format_eta(-5), "0:00:00");
  EXPECT_EQ(format_eta(std::nan("")), "?");
  EXPECT_EQ(format_eta(kInf), "?");
}

TEST(FormatScalar, UsesFourDecimals) {
  EXPECT_EQ(format_scalar(0.41234), "0.4123");
  EXPECT_EQ(format_scalar(0.0), "0.0000");
  EXPECT_EQ(format_scalar(-2.5), "-2.5000");
  EXPECT_EQ(format_scalar(98.12), "98.1200");
}

TEST(FormatScalar, SwitchesToScientificWhenFixedPointWouldHideOrWidenTheValue) {
  EXPECT_EQ(format_scalar(1.23456e-5), "1.2346e-05");
  EXPECT_EQ(format_scalar(3e6), "3.0000e+06");
  EXPECT_EQ(format_scalar(1e-4), "0.0001");
}

TEST(FormatScalar, SpellsNonFiniteValues) {
  EXPECT_EQ(format_scalar(std::nan("")), "nan");
  EXPECT_EQ(format_scalar(kInf), "inf");
  EXPECT_EQ(format_scalar(-kInf), "-inf");
}

TEST(FormatLr, IsScientificWithTheGivenDigits) {
  EXPECT_EQ(format_lr(0.05), "5.0000e-02");
  EXPECT_EQ(format_lr(0.05, 1), "5.0e-02");
  EXPECT_EQ(format_lr(1e-3, 2), "1.00e-03");
}

TEST(FormatRate, HasOneDecimal) { EXPECT_EQ(format_rate(1234.46), "1234.5"); }

TEST(FormatBar, FillsInProportionWithAnArrowHead) {
  EXPECT_EQ(format_bar(234, 469, 10), "[====>     ]");
  EXPECT_EQ(format_bar(5, 10, 10), "[=====>    ]");
}

TEST(FormatBar, EmptyAtZeroAndFullAtTheEnd) {
  EXPECT_EQ(format_bar(0, 10, 5), "[     ]");
  EXPECT_EQ(format_bar(10, 10, 5), "[=====]");
  EXPECT_EQ(format_bar(12, 10, 5), "[=====]");
}

TEST(FormatBar, UnknownTotalShowsAnEmptyBar) { EXPECT_EQ(format_bar(3, 0, 4), "[    ]"); }

TrainProgress example_progress() {
  TrainProgress progress;
  progress.epoch = 1;
  progress.max_epochs = 2;
  progress.iter = 100;
  progress.max_iters = 469;
  progress.lr = 0.05;
  progress.eta_seconds = 12.7;
  progress.time = 0.0041;
  progress.data_time = 0.0002;
  progress.scalars = {{"loss", 0.51234}};
  return progress;
}

TEST(FormatLogLine, MatchesMmengineTrainLine) {
  EXPECT_EQ(format_log_line(example_progress()),
            "Epoch(train) [1][100/469]  lr: 5.0000e-02  eta: 0:00:12  time: 0.0041  data_time: 0.0002  loss: 0.5123");
}

TEST(FormatLogLine, PadsTheCountToTheWidthOfTheTotal) {
  TrainProgress progress = example_progress();
  progress.iter = 7;
  EXPECT_EQ(format_log_line(progress).substr(0, 25), "Epoch(train) [1][  7/469]");
}

TEST(FormatLogLine, LeavesOutUnsetFieldsAndShowsMemory) {
  TrainProgress progress;
  progress.epoch = 3;
  progress.max_epochs = 5;
  progress.iter = 10;
  progress.max_iters = 10;
  progress.memory_mb = 512;
  progress.scalars = {{"accuracy/top1", 91.25}};
  EXPECT_EQ(format_log_line(progress, "val"), "Epoch(val) [3][10/10]  memory: 512  accuracy/top1: 91.2500");
}

TEST(FormatLogLine, IterationBasedRunsPrintIterAndTheRunTotal) {
  TrainProgress progress;
  progress.iter = 50;
  progress.max_iters = 1000;
  progress.lr = 0.1;
  EXPECT_EQ(format_log_line(progress), "Iter(train) [  50/1000]  lr: 1.0000e-01");
}

TEST(FormatProgressLine, ShowsBarCountsScalarsLrRateAndEta) {
  TrainProgress progress = example_progress();
  progress.iter = 234;
  progress.scalars = {{"loss", 0.41234}};
  progress.eta_seconds = 3.2;
  progress.samples_per_second = 1234.5;
  EXPECT_EQ(format_progress_line(progress, 10),
            "Epoch 1/2 [====>     ] 234/469  loss 0.4123  lr 5.0e-02  1234.5 samples/s  ETA 0:00:03");
}

TEST(FormatProgressLine, IterationBasedRunsHaveNoEpoch) {
  TrainProgress progress;
  progress.iter = 5;
  progress.max_iters = 10;
  EXPECT_EQ(format_progress_line(progress, 4), "Iter [==> ] 5/10");
}

}  // namespace
}  // namespace mini::runtime
