#include "runtime/checkpoint/checkpoint_manager.h"

#include <system_error>
#include <utility>

#include "nn/serialization.h"
#include "runtime/checkpoint/durable_file.h"
#include "runtime/checkpoint/fault_injection.h"
#include "runtime/checkpoint/layout.h"
#include "tensor/error.h"

namespace mini::runtime {
namespace {

namespace fs = std::filesystem;
using detail::save_stage;

fs::path sibling_with_marker(const fs::path& path, std::string_view marker) {
  return path.parent_path() / (path.filename().string() + std::string(marker) + detail::unique_suffix());
}

// Renames first, so a crash mid-delete leaves a `.tmp-` leftover (ignored by
// readers, removed by the next save) rather than a partial checkpoint under a
// real name.
void remove_checkpoint_dir(const fs::path& dir) {
  const fs::path doomed = sibling_with_marker(dir, detail::kTempMarker);
  detail::rename_durably(dir, doomed);
  std::error_code error;
  fs::remove_all(doomed, error);
}

// The checkpoint `<name>` is valid as a directory of that name, not as an aside copy.
bool is_under_own_name(const CheckpointInfo& info) { return info.path.filename() == info.name; }

}  // namespace

CheckpointManager::CheckpointManager(fs::path checkpoints_dir, int max_keep)
    : directory_(std::move(checkpoints_dir)), max_keep_(max_keep) {
  MINI_CHECK(max_keep == -1 || max_keep >= 1, "max_keep_ckpts must be -1 (keep all) or at least 1, got {}", max_keep);
}

fs::path CheckpointManager::save(const std::string& name, const CheckpointState& state, bool is_best,
                                 const std::string& best_metric) {
  check_checkpoint_name(name);
  for (const auto& [stem, tensors] : state.tensors) check_checkpoint_name(stem, "checkpoint file name");
  MINI_CHECK(state.state.is_object(), "checkpoint {}: the state must be a JSON object, got {}", name,
             state.state.type_name());
  MINI_CHECK(is_best || best_metric.empty(), "checkpoint {}: best_metric \"{}\" given for a regular checkpoint", name,
             best_metric);
  std::error_code error;
  fs::create_directories(directory_, error);
  MINI_CHECK(!error, "cannot create the checkpoints directory {}: {}", directory_.string(), error.message());

  const fs::path temp_dir = write_temp_dir(name, state, is_best, best_metric);
  move_into_place(temp_dir, name);
  if (is_best) {
    remove_previous_best(name, best_metric);
  } else {
    save_stage("before_pointer_update");
    detail::write_file_atomically(directory_ / detail::kLastPointerName, name + "\n");
    save_stage("before_prune");
    prune_regular(name);
  }
  remove_leftovers();
  return directory_ / name;
}

fs::path CheckpointManager::write_temp_dir(const std::string& name, const CheckpointState& state, bool is_best,
                                           const std::string& best_metric) const {
  const fs::path temp_dir = directory_ / (name + std::string(detail::kTempMarker) + detail::unique_suffix());
  std::error_code error;
  MINI_CHECK(fs::create_directory(temp_dir, error) && !error, "cannot create {}: {}", temp_dir.string(),
             error ? error.message() : "it already exists");
  try {
    detail::CheckpointHeader header;
    for (const auto& [stem, tensors] : state.tensors) {
      nn::save_state_dict(tensors, detail::tensor_file_path(temp_dir, stem).string());
      header.files.push_back(stem);
      save_stage("wrote:" + stem);
    }
    const std::vector<CheckpointInfo> existing = list();
    header.sequence = existing.empty() ? 1 : existing.back().sequence + 1;
    if (is_best) header.best_metric = best_metric;
    header.state = state.state;
    detail::write_file_atomically(temp_dir / detail::kStateFileName, detail::format_state_json(header));
    save_stage("wrote:state.json");
    detail::fsync_directory(temp_dir);
    save_stage("before_rename");
  } catch (...) {
    fs::remove_all(temp_dir, error);
    throw;
  }
  return temp_dir;
}

void CheckpointManager::move_into_place(const fs::path& temp_dir, const std::string& name) const {
  const fs::path final_dir = directory_ / name;
  std::error_code error;
  std::optional<fs::path> aside;
  try {
    if (fs::exists(final_dir, error)) {
      aside = sibling_with_marker(final_dir, detail::kAsideMarker);
      detail::rename_durably(final_dir, *aside);
      save_stage("after_move_aside");
    }
    detail::rename_durably(temp_dir, final_dir);
  } catch (...) {
    // Best effort: put the old checkpoint back under its name (readers would
    // use the aside copy anyway) and drop the unfinished new one.
    if (aside && !fs::exists(final_dir, error)) fs::rename(*aside, final_dir, error);
    fs::remove_all(temp_dir, error);
    throw;
  }
  if (aside) fs::remove_all(*aside, error);
}

void CheckpointManager::remove_previous_best(const std::string& name, const std::string& best_metric) const {
  for (const CheckpointInfo& info : list()) {
    if (!info.is_best || info.best_metric != best_metric || info.name == name) continue;
    if (is_under_own_name(info)) remove_checkpoint_dir(info.path);
  }
}

void CheckpointManager::prune_regular(const std::string& keep_name) const {
  if (max_keep_ < 0) return;
  std::vector<CheckpointInfo> regular;
  for (const CheckpointInfo& info : list()) {
    if (!info.is_best && is_under_own_name(info)) regular.push_back(info);
  }
  auto excess = static_cast<int64_t>(regular.size()) - max_keep_;
  for (const CheckpointInfo& info : regular) {  // oldest first
    if (excess <= 0) break;
    if (info.name == keep_name) continue;
    remove_checkpoint_dir(info.path);
    --excess;
  }
}

void CheckpointManager::remove_leftovers() const {
  std::error_code error;
  std::vector<fs::path> entries;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory_, error)) entries.push_back(entry.path());
  for (const fs::path& entry : entries) {
    const std::string entry_name = entry.filename().string();
    if (entry_name.find(detail::kTempMarker) != std::string::npos) {
      fs::remove_all(entry, error);
      continue;
    }
    const size_t aside_at = entry_name.find(detail::kAsideMarker);
    if (aside_at == std::string::npos || aside_at == 0) continue;
    // An aside copy whose re-save never finished is still the only `<name>`: restore it.
    const fs::path base = directory_ / entry_name.substr(0, aside_at);
    if (fs::exists(base, error)) {
      fs::remove_all(entry, error);
    } else {
      fs::rename(entry, base, error);
    }
  }
  detail::fsync_directory(directory_);
}

std::optional<fs::path> CheckpointManager::latest() const {
  const std::vector<CheckpointInfo> all = list();
  if (all.empty()) return std::nullopt;
  if (const std::optional<std::string> last = detail::read_last_pointer(directory_)) {
    for (const CheckpointInfo& info : all) {
      if (info.name == *last) return info.path;
    }
  }
  return all.back().path;
}

std::optional<CheckpointInfo> CheckpointManager::best(const std::string& best_metric) const {
  std::optional<CheckpointInfo> found;
  for (const CheckpointInfo& info : list()) {
    if (info.is_best && info.best_metric == best_metric) found = info;
  }
  return found;
}

std::vector<CheckpointInfo> CheckpointManager::list() const { return detail::scan_checkpoints(directory_); }

}  // namespace mini::runtime
