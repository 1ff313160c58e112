#pragma once
// The top-level shape of a runner config (MMEngine's keys) and the checks
// that run before anything is built: unknown top-level keys, and every
// section validated against its registry, so a typo anywhere fails fast with
// its file:line.
#include <string>
#include <vector>

#include "config/node.h"

namespace mini::runtime {

// The keys a runner config may have at the top level. `vars` holds the
// user's own values for ${...} interpolation.
const std::vector<std::string>& top_level_keys();

// The default hooks and their config names (MMEngine's default_hooks).
struct DefaultHookEntry {
  const char* key;
  const char* type;
};
const std::vector<DefaultHookEntry>& default_hook_entries();

// train_cfg with its loop type made explicit: MMEngine's shorthand
// `{by_epoch: true, max_epochs: 2}` becomes `{type: EpochBasedTrainLoop, max_epochs: 2}`.
config::Node normalized_train_cfg(const config::Node& train_cfg);
// A default_hooks entry with its `type:` filled in when `key` names a default
// hook and the entry gives none ({interval: 2} under `checkpoint`); an entry
// under another key must name its type.
config::Node default_hook_config(const std::string& key, const config::Node& hook_cfg);
// A hook entry without its `priority:` key (common to every hook, read by the runner).
config::Node hook_config_without_priority(const config::Node& hook_cfg);
// The `priority:` of a hook entry: an int or a level name (HIGHEST ... LOWEST).
std::optional<int> hook_priority(const config::Node& hook_cfg);
// The model section without the runner-level keys (`frozen`).
config::Node model_config_without_runner_keys(const config::Node& model_cfg);

// Every check of Runner::validate_config.
void validate_runner_config(const config::Node& cfg);

}  // namespace mini::runtime
