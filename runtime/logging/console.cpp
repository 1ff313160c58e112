#include "runtime/logging/console.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "tensor/error.h"

namespace mini::runtime {

ConsoleProgress::ConsoleProgress(ConsoleOptions options)
    : options_(std::move(options)),
      out_(options_.quiet ? nullptr : (options_.out != nullptr ? options_.out : &std::cout)),
      tty_(options_.tty.value_or(isatty(fileno(stdout)) != 0)) {
  MINI_CHECK(options_.interval > 0, "console: the logging interval must be positive, got {}", options_.interval);
}

void ConsoleProgress::update(const TrainProgress& progress, Clock::time_point now) {
  const bool last = progress.max_iters > 0 && progress.iter >= progress.max_iters;
  const bool periodic = progress.iter % options_.interval == 0 || last;
  if (periodic) {
    const std::string line = format_log_line(progress, options_.mode);
    if (options_.log != nullptr) options_.log->write_line(line);
    if (out_ != nullptr && !tty_) *out_ << line << '\n' << std::flush;
  }
  if (out_ == nullptr || !tty_) return;
  const bool due =
      !last_redraw_ || std::chrono::duration<double>(now - *last_redraw_).count() >= options_.min_redraw_seconds;
  // The final state of an epoch is always drawn, then the line is closed, so
  // each epoch leaves one finished bar on the screen.
  if (due || last) redraw(progress, now);
  if (last) finish();
}

void ConsoleProgress::redraw(const TrainProgress& progress, Clock::time_point now) {
  // "\r" returns to the line start; "\033[K" erases what a longer previous line left.
  *out_ << '\r' << format_progress_line(progress, options_.bar_width) << "\033[K" << std::flush;
  line_open_ = true;
  last_redraw_ = now;
}

void ConsoleProgress::print(const std::string& line) {
  finish();
  if (options_.log != nullptr) options_.log->write_line(line);
  if (out_ != nullptr) *out_ << line << '\n' << std::flush;
}

void ConsoleProgress::finish() {
  if (line_open_ && out_ != nullptr) *out_ << '\n' << std::flush;
  line_open_ = false;
  last_redraw_.reset();
}

}  // namespace mini::runtime
