#pragma once
// CheckpointManager: writes checkpoint directories atomically, keeps the last
// k regular ones and the newest best one per metric, and finds the latest.
//
//   CheckpointManager checkpoints(work_dir / "checkpoints", /*max_keep=*/3);
//   checkpoints.save("epoch_2", state);                          // updates `last`, prunes to 3
//   checkpoints.save("best_accuracy_top1_epoch_2", state, /*is_best=*/true, "accuracy_top1");
//   if (auto latest = checkpoints.latest()) resume_from(read_checkpoint(*latest));
//
// NOTE [crash safety]: save() writes every file into `<name>.tmp-<pid>-<hex>`
// (each file fsynced), fsyncs that directory, renames it to `<name>` and
// fsyncs the parent; only then does it rewrite the `last` pointer (itself
// written to a temp file and renamed). Re-saving an existing name first moves
// the old directory aside (`<name>.old-*`) and deletes it only after the new
// one is in place; readers treat the aside copy as `<name>` while `<name>` is
// missing. Deleting a checkpoint renames it to a temp name first, so a crash
// mid-delete never leaves a partial directory under a real name. A crash at
// any point therefore leaves the previous checkpoints and pointer readable;
// leftovers are removed by the next successful save. One process writes to a
// checkpoints directory at a time (rank 0).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint_state.h"

namespace mini::runtime {

class CheckpointManager {
 public:
  // `max_keep`: how many regular checkpoints to keep (-1: all). Throws
  // mini::ValueError for 0 or values below -1.
  CheckpointManager(std::filesystem::path checkpoints_dir, int max_keep = -1);

  // Writes `<checkpoints_dir>/<name>` (replacing one of that name) and returns
  // its path. A regular save then points `last` at it and deletes the oldest
  // regular checkpoints beyond max_keep (never the one just saved). A best
  // save leaves `last` alone and deletes the previous best of the same
  // `best_metric`. Names and tensor file stems must pass check_checkpoint_name.
  std::filesystem::path save(const std::string& name, const CheckpointState& state, bool is_best = false,
                             const std::string& best_metric = "");

  // The checkpoint `last` names; if `last` is missing or names no complete
  // checkpoint, the most recently saved complete one; nullopt if none.
  std::optional<std::filesystem::path> latest() const;
  // The current best checkpoint of `best_metric`, if any.
  std::optional<CheckpointInfo> best(const std::string& best_metric = "") const;
  // Every complete checkpoint, oldest first.
  std::vector<CheckpointInfo> list() const;

  const std::filesystem::path& directory() const { return directory_; }
  int max_keep() const { return max_keep_; }

 private:
  std::filesystem::path write_temp_dir(const std::string& name, const CheckpointState& state, bool is_best,
                                       const std::string& best_metric) const;
  void move_into_place(const std::filesystem::path& temp_dir, const std::string& name) const;
  void remove_previous_best(const std::string& name, const std::string& best_metric) const;
  void prune_regular(const std::string& keep_name) const;
  void remove_leftovers() const;

  std::filesystem::path directory_;
  int max_keep_;
};

}  // namespace mini::runtime
