#pragma once
// TextLog: the run's plain-text log, work_dir/<timestamp>/<timestamp>.log as
// in MMEngine. Every line printed during a run goes here too, with its local
// time in front and without terminal control codes, flushed line by line.
//
//   std::string stamp = runtime::make_timestamp();              // "20240131_235959"
//   auto log = runtime::TextLog::in_work_dir("work_dirs/mlp", stamp);
//   log.write_line("Epoch(train) [1][100/469]  lr: 5.0000e-02  ...");
//   // 2024/01/31 23:59:59 - Epoch(train) [1][100/469]  lr: 5.0000e-02  ...
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace mini::runtime {

class TextLog {
 public:
  // Appends to `file` (creating its directory); throws mini::ValueError naming it when it cannot.
  explicit TextLog(std::filesystem::path file, bool time_prefix = true);
  // work_dir/<timestamp>/<timestamp>.log
  static TextLog in_work_dir(const std::filesystem::path& work_dir, const std::string& timestamp);
  ~TextLog();
  TextLog(TextLog&& other) noexcept;
  TextLog& operator=(TextLog&&) = delete;
  TextLog(const TextLog&) = delete;
  TextLog& operator=(const TextLog&) = delete;

  // Each line of `text` (split at '\n') becomes one log line.
  void write_line(std::string_view text);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  bool time_prefix_;
};

// "YYYYmmdd_HHMMSS" in local time: the run directory's name.
std::string make_timestamp(std::chrono::system_clock::time_point time = std::chrono::system_clock::now());
// "YYYY/mm/dd HH:MM:SS" in local time: the prefix of log lines.
std::string format_log_time(std::chrono::system_clock::time_point time);
// Drops ANSI escape sequences ("\033[K", colours), carriage returns and other
// control characters except tab and newline.
std::string strip_terminal_codes(std::string_view text);

}  // namespace mini::runtime
