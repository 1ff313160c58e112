#pragma once
// Checkpoints on disk (ARCHITECTURE.md section 6). A checkpoint is a directory
//
//   work_dir/checkpoints/
//     last                     the name of the latest regular checkpoint
//     epoch_2/
//       model.safetensors      one file per entry of CheckpointState::tensors
//       optimizer.safetensors
//       state.json             {"format_version": 1, "sequence": 7, "files": ["model", "optimizer"],
//                                "best_metric": null, "saved_at": "...Z", "state": {...runner's JSON...}}
//
// written by CheckpointManager (checkpoint_manager.h) under a temporary name
// and renamed into place, so a crash never leaves a half-written checkpoint
// under a real name. Reading validates everything and names the file at fault.
//
//   runtime::CheckpointState ckpt = runtime::read_checkpoint("work/checkpoints/epoch_2");
//   runtime::load_model_state(model, ckpt.tensors.at("model"), "work/checkpoints/epoch_2", /*strict=*/true);
//   optimizer.load_state_dict(ckpt.tensors.at("optimizer"));
//
//   // load_from: a checkpoint directory or a bare .safetensors file
//   runtime::load_model_state(model, runtime::read_model_weights(path), path, /*strict=*/false);
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "nn/module.h"
#include "runtime/checkpoint_state.h"

namespace mini::runtime {

// The state.json layout this build writes and reads.
inline constexpr int kCheckpointFormatVersion = 1;

// A complete checkpoint found in a checkpoints directory.
struct CheckpointInfo {
  std::string name;            // "epoch_2"
  std::filesystem::path path;  // the directory to read
  int64_t sequence = 0;        // save order within the checkpoints directory
  bool is_best = false;
  std::string best_metric;  // the group a best checkpoint replaces within ("" for regular ones)
};

// Reads every file of a checkpoint directory, or a bare .safetensors file as
// {"model": its tensors} with an empty state. Throws mini::ValueError naming
// the file: missing state.json or listed files, invalid JSON (with the byte
// offset), an unsupported format_version, a truncated or corrupt safetensors.
CheckpointState read_checkpoint(const std::filesystem::path& path);

// Only the model weights: `<dir>/model.safetensors` of a checkpoint directory,
// or a bare .safetensors file (load_from).
nn::StateDict read_model_weights(const std::filesystem::path& path);

// Module::load_state_dict with the error rephrased for a checkpoint: ONE
// message naming `source` and listing every missing key, unexpected key (when
// strict) and shape mismatch (always an error). Returns what a non-strict load
// skipped, for the caller to log.
nn::LoadStateResult load_model_state(nn::Module& model, const nn::StateDict& state, const std::string& source,
                                     bool strict);

// Checkpoint names and file stems use [A-Za-z0-9_.=+-], do not start with '.',
// and are not "last". Throws mini::ValueError naming the bad character.
void check_checkpoint_name(std::string_view name, std::string_view what = "checkpoint name");
// Replaces every character a name may not hold with '_' ("best_accuracy/top1" -> "best_accuracy_top1").
std::string sanitize_checkpoint_name(std::string_view text);

}  // namespace mini::runtime
