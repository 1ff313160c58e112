#pragma once
// A test-only seam in CheckpointManager::save: the hook is called at each
// stage of a save, and a test makes the save fail there by throwing, or
// "crash" there by calling std::_Exit inside a forked child (a gtest death
// test). Stages, in order:
//   "wrote:<stem>"            after <stem>.safetensors is written and fsynced
//   "wrote:state.json"        after state.json is written and fsynced
//   "before_rename"           the temp dir is complete and fsynced
//   "after_move_aside"        re-saving a name: the old dir was renamed aside
//   "before_pointer_update"   the new dir is in place; `last` not yet updated
//   "before_prune"            `last` updated; old checkpoints not yet removed
//
//   detail::ScopedSaveStageHook hook([](std::string_view stage) {
//     if (stage == "before_rename") throw std::runtime_error("injected");
//   });
#include <functional>
#include <string_view>
#include <utility>

namespace mini::runtime::detail {

using SaveStageHook = std::function<void(std::string_view stage)>;

// Installs `hook` (an empty function removes it) and returns the previous one.
SaveStageHook set_save_stage_hook(SaveStageHook hook);
// Calls the installed hook, if any.
void save_stage(std::string_view stage);

// Installs a hook for the lifetime of the object.
class ScopedSaveStageHook {
 public:
  explicit ScopedSaveStageHook(SaveStageHook hook) : previous_(set_save_stage_hook(std::move(hook))) {}
  ~ScopedSaveStageHook() { set_save_stage_hook(std::move(previous_)); }
  ScopedSaveStageHook(const ScopedSaveStageHook&) = delete;
  ScopedSaveStageHook& operator=(const ScopedSaveStageHook&) = delete;

 private:
  SaveStageHook previous_;
};

}  // namespace mini::runtime::detail
