#include "runtime/logging/text_log.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "tensor/error.h"

namespace mini::runtime {
namespace {

std::tm local_time(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  localtime_r(&seconds, &parts);
  return parts;
}

}  // namespace

std::string make_timestamp(std::chrono::system_clock::time_point time) {
  const std::tm t = local_time(time);
  return fmt::format("{:04}{:02}{:02}_{:02}{:02}{:02}", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min,
                     t.tm_sec);
}

std::string format_log_time(std::chrono::system_clock::time_point time) {
  const std::tm t = local_time(time);
  return fmt::format("{:04}/{:02}/{:02} {:02}:{:02}:{:02}", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
                     t.tm_min, t.tm_sec);
}

std::string strip_terminal_codes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0x1B) {
      // CSI: ESC [ parameters... final byte in 0x40-0x7E; any other escape is ESC + one character.
      if (i + 1 < text.size() && text[i + 1] == '[') {
        i += 2;
        while (i < text.size() && !(text[i] >= 0x40 && text[i] <= 0x7E)) ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (c < 0x20 && c != '\t' && c != '\n') continue;
    if (c == 0x7F) continue;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

TextLog::TextLog(std::filesystem::path file, bool time_prefix) : path_(std::move(file)), time_prefix_(time_prefix) {
  if (path_.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(path_.parent_path(), error);
    MINI_CHECK(!error, "text log: cannot create directory {}: {}", path_.parent_path().string(), error.message());
  }
  file_ = std::fopen(path_.c_str(), "ab");
  MINI_CHECK(file_ != nullptr, "text log: cannot open {}: {}", path_.string(), std::strerror(errno));
}

TextLog TextLog::in_work_dir(const std::filesystem::path& work_dir, const std::string& timestamp) {
  return TextLog(work_dir / timestamp / (timestamp + ".log"));
}

TextLog::TextLog(TextLog&& other) noexcept
    : path_(std::move(other.path_)), file_(other.file_), time_prefix_(other.time_prefix_) {
  other.file_ = nullptr;
}

TextLog::~TextLog() {
  if (file_ != nullptr) std::fclose(file_);
}

void TextLog::write_line(std::string_view text) {
  const std::string prefix = time_prefix_ ? format_log_time(std::chrono::system_clock::now()) + " - " : "";
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  std::string lines;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    lines += prefix + strip_terminal_codes(text.substr(start, end - start)) + "\n";
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  const bool written = std::fwrite(lines.data(), 1, lines.size(), file_) == lines.size() && std::fflush(file_) == 0;
  MINI_CHECK(written, "text log: cannot write {}: {}", path_.string(), std::strerror(errno));
}

}  // namespace mini::runtime
