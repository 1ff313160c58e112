// StopSignal: SIGINT/SIGTERM set a flag the loop polls; a second signal
// quits at once; the previous handlers come back afterwards.
#include "runtime/signals.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "tensor/error.h"

namespace mini::runtime {
namespace {

TEST(StopSignal, NotRequestedUntilASignalArrives) {
  StopSignal stop;
  EXPECT_FALSE(stop.requested());
  EXPECT_EQ(stop.signal_number(), 0);
}

TEST(StopSignal, SigintRequestsAStop) {
  StopSignal stop;
  std::raise(SIGINT);
  EXPECT_TRUE(stop.requested());
  EXPECT_EQ(stop.signal_number(), SIGINT);
}

TEST(StopSignal, SigtermRequestsAStop) {
  StopSignal stop;
  std::raise(SIGTERM);
  EXPECT_TRUE(stop.requested());
  EXPECT_EQ(stop.signal_number(), SIGTERM);
}

TEST(StopSignal, ClearForgetsTheRequest) {
  StopSignal stop;
  std::raise(SIGINT);
  stop.clear();
  EXPECT_FALSE(stop.requested());
  std::raise(SIGINT);  // handled as a first signal again, not a force-quit
  EXPECT_TRUE(stop.requested());
}

TEST(StopSignal, ASecondSigintQuitsAtOnce) {
  GTEST_FLAG_SET(death_test_style, "fast");
  EXPECT_EXIT(
      {
        StopSignal stop;
        std::raise(SIGINT);
        std::raise(SIGINT);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGINT), "press Ctrl-C again to quit at once");
}

int previous_handler_calls = 0;
void counting_handler(int) { ++previous_handler_calls; }

TEST(StopSignal, RestoresThePreviousHandlers) {
  struct sigaction counting = {};
  struct sigaction original = {};
  counting.sa_handler = counting_handler;
  sigemptyset(&counting.sa_mask);
  sigaction(SIGTERM, &counting, &original);
  { StopSignal stop; }
  previous_handler_calls = 0;
  std::raise(SIGTERM);
  EXPECT_EQ(previous_handler_calls, 1);
  sigaction(SIGTERM, &original, nullptr);
}

TEST(StopSignal, OnlyOneMayBeAlive) {
  StopSignal first;
  EXPECT_THROW(StopSignal second, ValueError);
}

}  // namespace
}  // namespace mini::runtime
