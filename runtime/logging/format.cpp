#include "runtime/logging/format.h"

#include <fmt/format.h>

#include <cmath>

namespace mini::runtime {
namespace {

bool is_set(double value) { return !std::isnan(value); }

std::string non_finite_text(double value) {
  if (std::isnan(value)) return "nan";
  return value > 0 ? "inf" : "-inf";
}

// "[ 12/469]": the count padded to the width of the total.
std::string counter(int64_t done, int64_t total) {
  const std::string total_text = std::to_string(total);
  return fmt::format("[{:>{}}/{}]", done, total_text.size(), total_text);
}

}  // namespace

std::string format_eta(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  const int64_t total = seconds > 0 ? static_cast<int64_t>(seconds) : 0;
  const int64_t days = total / 86400;
  const int64_t rest = total % 86400;
  std::string clock = fmt::format("{}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
  if (days == 0) return clock;
  return fmt::format("{} day{}, {}", days, days == 1 ? "" : "s", clock);
}

std::string format_scalar(double value) {
  if (!std::isfinite(value)) return non_finite_text(value);
  const double magnitude = std::fabs(value);
  // Below 1e-4 four decimals would print 0.0000; from 1e6 on the column gets wide.
  if (value != 0 && (magnitude < 1e-4 || magnitude >= 1e6)) return fmt::format("{:.4e}", value);
  return fmt::format("{:.4f}", value);
}

std::string format_lr(double value, int digits) {
  if (!std::isfinite(value)) return non_finite_text(value);
  return fmt::format("{:.{}e}", value, digits);
}

std::string format_rate(double per_second) {
  if (!std::isfinite(per_second)) return non_finite_text(per_second);
  return fmt::format("{:.1f}", per_second);
}

std::string format_bar(int64_t done, int64_t total, int width) {
  if (width <= 0) return "[]";
  int filled = 0;
  if (total > 0 && done > 0) {
    const int64_t clamped = done < total ? done : total;
    filled = static_cast<int>(clamped * width / total);
  }
  std::string bar(static_cast<size_t>(width) + 2, ' ');
  bar.front() = '[';
  bar.back() = ']';
  for (int i = 0; i < filled; ++i) bar[1 + i] = '=';
  // The arrow head marks the front while unfinished.
  if (filled < width && done > 0 && total > 0) bar[1 + filled] = '>';
  return bar;
}

std::string format_log_line(const TrainProgress& progress, std::string_view mode) {
  std::string line;
  if (progress.max_epochs > 0) {
    line = fmt::format("Epoch({}) [{}]{}", mode, progress.epoch, counter(progress.iter, progress.max_iters));
  } else {
    line = fmt::format("Iter({}) {}", mode, counter(progress.iter, progress.max_iters));
  }
  if (is_set(progress.lr)) line += "  lr: " + format_lr(progress.lr);
  if (is_set(progress.eta_seconds)) line += "  eta: " + format_eta(progress.eta_seconds);
  if (is_set(progress.time)) line += "  time: " + format_scalar(progress.time);
  if (is_set(progress.data_time)) line += "  data_time: " + format_scalar(progress.data_time);
  if (is_set(progress.samples_per_second)) line += "  samples/s: " + format_rate(progress.samples_per_second);
  if (progress.memory_mb) line += fmt::format("  memory: {}", *progress.memory_mb);
  for (const auto& [name, value] : progress.scalars) line += fmt::format("  {}: {}", name, format_scalar(value));
  return line;
}

std::string format_progress_line(const TrainProgress& progress, int bar_width) {
  std::string line;
  if (progress.max_epochs > 0)
    line = fmt::format("Epoch {}/{} ", progress.epoch, progress.max_epochs);
  else
    line = "Iter ";
  line += format_bar(progress.iter, progress.max_iters, bar_width);
  line += fmt::format(" {}/{}", progress.iter, progress.max_iters);
  for (const auto& [name, value] : progress.scalars) line += fmt::format("  {} {}", name, format_scalar(value));
  if (is_set(progress.lr)) line += "  lr " + format_lr(progress.lr, 1);
  if (is_set(progress.samples_per_second)) line += "  " + format_rate(progress.samples_per_second) + " samples/s";
  if (is_set(progress.eta_seconds)) line += "  ETA " + format_eta(progress.eta_seconds);
  return line;
}

}  // namespace mini::runtime
