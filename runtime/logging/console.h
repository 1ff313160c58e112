#pragma once
// ConsoleProgress: what a training run prints. On a terminal, one line that
// redraws in place (at most ~10 times a second):
//   Epoch 1/2 [=====>    ] 234/469  loss 0.4123  lr 5.0e-02  1234.5 samples/s  ETA 0:00:03
// Otherwise (a pipe, a file, CI) a plain line every `interval` iterations:
//   Epoch(train) [1][100/469]  lr: 5.0000e-02  eta: 0:00:12  time: 0.0041  data_time: 0.0002  loss: 0.5123
// The plain lines go to the TextLog in both cases, so the log file reads the
// same whether or not the run had a terminal.
//
//   runtime::ConsoleProgress console({.interval = 50, .log = &text_log});
//   for (...) { ...; console.update(progress); }   // runtime::TrainProgress, see format.h
//   console.print("Epoch(val) [1][313/313]  accuracy/top1: 98.1200");
//   console.finish();
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "runtime/logging/format.h"
#include "runtime/logging/text_log.h"

namespace mini::runtime {

struct ConsoleOptions {
  int64_t interval = 10;            // plain lines every `interval` iterations, and at the last one
  std::optional<bool> tty{};        // unset: whether stdout is a terminal
  double min_redraw_seconds = 0.1;  // terminal: the least time between two redraws
  int bar_width = 20;
  std::ostream* out = nullptr;  // unset: std::cout. Set `quiet` for no console output.
  bool quiet = false;
  TextLog* log = nullptr;      // optional; receives every plain line
  std::string mode = "train";  // the "(train)" of "Epoch(train)"
};

class ConsoleProgress {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ConsoleProgress(ConsoleOptions options = {});

  // After every iteration; `now` is a parameter so tests can drive the throttle.
  void update(const TrainProgress& progress, Clock::time_point now = Clock::now());
  // A whole line (validation results, messages): the live bar line is ended first.
  void print(const std::string& line);
  // Ends the live bar line, if one is open (end of the run, or before other output).
  void finish();

  bool is_tty() const { return tty_; }

 private:
  void redraw(const TrainProgress& progress, Clock::time_point now);

  ConsoleOptions options_;
  std::ostream* out_;
  bool tty_;
  bool line_open_ = false;
  std::optional<Clock::time_point> last_redraw_;
};

}  // namespace mini::runtime
