#pragma once
// The on-disk layout shared by the checkpoint writer and readers (see
// checkpoint.h for a picture). Besides checkpoint directories, a checkpoints
// directory may hold leftovers of an interrupted save, which readers ignore
// and the next successful save removes:
//   <name>.tmp-<pid>-<hex>   a checkpoint (or a pointer file) being written,
//                            or an old checkpoint being deleted
//   <name>.old-<pid>-<hex>   the previous <name> moved aside while <name> is
//                            re-saved; if a crash left no <name>, this one is
//                            still the valid <name> (readers use it and the
//                            next save renames it back)
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/checkpoint/checkpoint.h"

namespace mini::runtime::detail {

inline constexpr std::string_view kStateFileName = "state.json";
inline constexpr std::string_view kLastPointerName = "last";
inline constexpr std::string_view kTempMarker = ".tmp-";
inline constexpr std::string_view kAsideMarker = ".old-";

// What state.json holds besides the runner's own JSON.
struct CheckpointHeader {
  int64_t sequence = 0;
  std::vector<std::string> files;          // stems of the .safetensors files
  std::optional<std::string> best_metric;  // set for best checkpoints
  nlohmann::json state = nlohmann::json::object();
};

std::filesystem::path tensor_file_path(const std::filesystem::path& dir, const std::string& stem);

// The text of state.json for `header` (saved_at is the current UTC time).
std::string format_state_json(const CheckpointHeader& header);
// Parses and validates `<dir>/state.json`. Throws mini::ValueError naming the
// file: missing, invalid JSON (with the byte offset), unsupported
// format_version, a field of the wrong type.
CheckpointHeader read_checkpoint_header(const std::filesystem::path& dir);

// Every complete checkpoint (a valid state.json and all its listed files) in
// `checkpoints_dir`, oldest first. An aside copy `<name>.old-*` counts as
// `<name>` while `<name>` itself is missing. Never throws for broken entries:
// they are skipped.
std::vector<CheckpointInfo> scan_checkpoints(const std::filesystem::path& checkpoints_dir);

// The name in `<checkpoints_dir>/last`, if the file exists and holds a valid name.
std::optional<std::string> read_last_pointer(const std::filesystem::path& checkpoints_dir);

}  // namespace mini::runtime::detail
