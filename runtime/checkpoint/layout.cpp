#include "runtime/checkpoint/layout.h"

#include <fmt/chrono.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <system_error>

#include "runtime/checkpoint/durable_file.h"
#include "tensor/error.h"

namespace mini::runtime::detail {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

bool is_temporary_name(std::string_view name) { return name.find(kTempMarker) != std::string_view::npos; }

// "epoch_2" for "epoch_2.old-123-abcd1234"; nullopt for other names.
std::optional<std::string> aside_base_name(std::string_view name) {
  const size_t marker = name.find(kAsideMarker);
  if (marker == std::string_view::npos || marker == 0) return std::nullopt;
  return std::string(name.substr(0, marker));
}

std::optional<CheckpointInfo> inspect(const fs::path& dir, std::string name) {
  try {
    CheckpointHeader header = read_checkpoint_header(dir);
    for (const std::string& stem : header.files) {
      std::error_code error;
      if (!fs::is_regular_file(tensor_file_path(dir, stem), error)) return std::nullopt;
    }
    CheckpointInfo info;
    info.name = std::move(name);
    info.path = dir;
    info.sequence = header.sequence;
    info.is_best = header.best_metric.has_value();
    info.best_metric = header.best_metric.value_or("");
    return info;
  } catch (const ValueError&) {
    return std::nullopt;
  }
}

}  // namespace

fs::path tensor_file_path(const fs::path& dir, const std::string& stem) { return dir / (stem + ".safetensors"); }

std::string format_state_json(const CheckpointHeader& header) {
  Json json = Json::object();
  json["format_version"] = kCheckpointFormatVersion;
  json["sequence"] = header.sequence;
  json["files"] = header.files;
  json["best_metric"] = header.best_metric ? Json(*header.best_metric) : Json(nullptr);
  json["saved_at"] = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
  json["state"] = header.state;
  return json.dump(2) + "\n";
}

CheckpointHeader read_checkpoint_header(const fs::path& dir) {
  const fs::path file = dir / kStateFileName;
  std::error_code error;
  if (!fs::is_regular_file(file, error)) {
    const bool looks_like_checkpoints_dir = fs::exists(dir / kLastPointerName, error);
    MINI_CHECK(false, "{} is not a checkpoint: {} is missing{}", dir.string(), file.string(),
               looks_like_checkpoints_dir ? " (this looks like a checkpoints folder: pass one of its checkpoint "
                                            "directories, or resume from the latest one)"
                                          : "");
  }
  const std::string text = read_text_file(file);
  Json json;
  try {
    json = Json::parse(text);
  } catch (const Json::parse_error& parse_error) {
    MINI_CHECK(false, "{}: invalid JSON at byte {}: {}", file.string(), parse_error.byte, parse_error.what());
  }
  MINI_CHECK(json.is_object(), "{}: expected a JSON object, got {}", file.string(), json.type_name());

  const auto field = [&](const char* key) -> const Json& {
    MINI_CHECK(json.contains(key), "{}: missing \"{}\"", file.string(), key);
    return json.at(key);
  };
  const Json& version = field("format_version");
  MINI_CHECK(version.is_number_integer(), "{}: format_version must be an integer, got {}", file.string(),
             version.dump());
  MINI_CHECK(version.get<int64_t>() == kCheckpointFormatVersion,
             "{}: unsupported format_version {} (this build reads version {})", file.string(), version.dump(),
             kCheckpointFormatVersion);

  CheckpointHeader header;
  const Json& sequence = field("sequence");
  MINI_CHECK(sequence.is_number_integer() && sequence.get<int64_t>() >= 0,
             "{}: sequence must be a non-negative integer, got {}", file.string(), sequence.dump());
  header.sequence = sequence.get<int64_t>();

  const Json& files = field("files");
  MINI_CHECK(files.is_array(), "{}: files must be an array of names, got {}", file.string(), files.dump());
  for (const Json& stem : files) {
    MINI_CHECK(stem.is_string(), "{}: files must be an array of names, got {}", file.string(), files.dump());
    check_checkpoint_name(stem.get<std::string>(), fmt::format("{}: file name", file.string()));
    header.files.push_back(stem.get<std::string>());
  }

  if (json.contains("best_metric") && !json.at("best_metric").is_null()) {
    const Json& metric = json.at("best_metric");
    MINI_CHECK(metric.is_string(), "{}: best_metric must be a string or null, got {}", file.string(), metric.dump());
    header.best_metric = metric.get<std::string>();
  }

  const Json& state = field("state");
  MINI_CHECK(state.is_object(), "{}: state must be a JSON object, got {}", file.string(), state.type_name());
  header.state = state;
  return header;
}

std::vector<CheckpointInfo> scan_checkpoints(const fs::path& checkpoints_dir) {
  std::vector<CheckpointInfo> found;
  std::error_code error;
  fs::directory_iterator entries(checkpoints_dir, error);
  if (error) return found;
  for (const fs::directory_entry& entry : entries) {
    if (!entry.is_directory(error)) continue;
    const std::string dir_name = entry.path().filename().string();
    if (is_temporary_name(dir_name)) continue;
    std::string name = dir_name;
    if (std::optional<std::string> base = aside_base_name(dir_name)) {
      if (fs::exists(checkpoints_dir / *base, error)) continue;
      name = *base;
    }
    if (std::optional<CheckpointInfo> info = inspect(entry.path(), std::move(name))) found.push_back(*info);
  }
  std::sort(found.begin(), found.end(), [](const CheckpointInfo& a, const CheckpointInfo& b) {
    return a.sequence != b.sequence ? a.sequence < b.sequence : a.path < b.path;
  });
  return found;
}

std::optional<std::string> read_last_pointer(const fs::path& checkpoints_dir) {
  const fs::path file = checkpoints_dir / kLastPointerName;
  std::error_code error;
  if (!fs::is_regular_file(file, error)) return std::nullopt;
  std::string text;
  try {
    text = read_text_file(file);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
    check_checkpoint_name(text);
  } catch (const ValueError&) {
    return std::nullopt;
  }
  return text;
}

}  // namespace mini::runtime::detail
