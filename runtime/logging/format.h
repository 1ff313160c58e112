#pragma once
// Pure formatting for training output: numbers in, text out, so every piece
// of a console line can be tested on its own.
//
//   format_eta(3725)          -> "1:02:05"        (Python's timedelta, as MMEngine prints it)
//   format_scalar(0.41234)    -> "0.4123"
//   format_lr(0.05)           -> "5.0000e-02"
//   format_bar(234, 469, 10)  -> "[====>     ]"
//   format_log_line(p)        -> "Epoch(train) [1][100/469]  lr: 5.0000e-02  eta: 0:00:12  time: 0.0041  ..."
//   format_progress_line(p)   -> "Epoch 1/2 [=====>    ] 234/469  loss 0.4123  lr 5.0e-02  1234.5 samples/s  ETA
//   0:00:03"
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mini::runtime {

// H:MM:SS, with "N day(s), " in front past 24 hours; whole seconds (rounded
// down, like MMEngine's int(eta)). Negative counts as 0; NaN or inf is "?".
std::string format_eta(double seconds);
// 4 decimals ("0.4123"); scientific ("1.2346e-05", "3.0000e+06") when fixed
// point would hide the value or be too wide; "nan", "inf", "-inf".
std::string format_scalar(double value);
// Learning rates are printed in scientific notation: digits after the point.
std::string format_lr(double value, int digits = 4);
// Samples per second with one decimal ("1234.5").
std::string format_rate(double per_second);
// "[=====>    ]" with `width` characters between the brackets.
std::string format_bar(int64_t done, int64_t total, int width);

// What a training (or validation) progress line shows. A NaN field or an
// empty optional is left out of the line.
struct TrainProgress {
  static constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
  int64_t epoch = 0;       // 1-based epoch being run; 0 for iteration-based runs
  int64_t max_epochs = 0;  // 0 for iteration-based runs
  int64_t iter = 0;        // iterations done (in this epoch, or in the run when iteration-based)
  int64_t max_iters = 0;   // iterations per epoch (or in the run)
  double lr = kUnset;
  double eta_seconds = kUnset;
  double time = kUnset;       // seconds per iteration
  double data_time = kUnset;  // of which waiting for data
  double samples_per_second = kUnset;
  std::optional<int64_t> memory_mb{};
  // Loss and friends (or metrics), printed in this order.
  std::vector<std::pair<std::string, double>> scalars{};
};

// MMEngine's log line: `Epoch(<mode>) [1][100/469]  lr: 5.0000e-02  eta: 0:00:12
// time: 0.0041  data_time: 0.0002  memory: 12  loss: 0.5123`; iteration-based
// runs print `Iter(<mode>) [100/1000]`. The current count is padded to the
// width of the total so columns line up.
std::string format_log_line(const TrainProgress& progress, std::string_view mode = "train");
// The single updating terminal line (no control codes; the caller adds them).
std::string format_progress_line(const TrainProgress& progress, int bar_width = 20);

}  // namespace mini::runtime
