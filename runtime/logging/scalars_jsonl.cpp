#include "runtime/logging/scalars_jsonl.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "tensor/error.h"

namespace mini::runtime {
namespace {

nlohmann::ordered_json to_json(const ScalarValue& value) {
  if (const int64_t* integer = std::get_if<int64_t>(&value)) return *integer;
  const double number = std::get<double>(value);
  if (std::isnan(number)) return "nan";
  if (std::isinf(number)) return number > 0 ? "inf" : "-inf";
  return number;
}

}  // namespace

std::string scalars_json_line(const ScalarFields& fields) {
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  for (const auto& [key, value] : fields) {
    MINI_CHECK(!line.contains(key), "scalars.jsonl: key '{}' appears twice in one line", key);
    line[key] = to_json(value);
  }
  return line.dump();
}

ScalarsJsonlWriter::ScalarsJsonlWriter(std::filesystem::path path) : path_(std::move(path)) {
  if (path_.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(path_.parent_path(), error);
    MINI_CHECK(!error, "scalars.jsonl: cannot create directory {}: {}", path_.parent_path().string(), error.message());
  }
  file_ = std::fopen(path_.c_str(), "ab");
  MINI_CHECK(file_ != nullptr, "scalars.jsonl: cannot open {}: {}", path_.string(), std::strerror(errno));
}

ScalarsJsonlWriter::~ScalarsJsonlWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void ScalarsJsonlWriter::write(const ScalarFields& fields) {
  const std::string line = scalars_json_line(fields) + "\n";
  const bool written = std::fwrite(line.data(), 1, line.size(), file_) == line.size() && std::fflush(file_) == 0;
  MINI_CHECK(written, "scalars.jsonl: cannot write {}: {}", path_.string(), std::strerror(errno));
}

}  // namespace mini::runtime
