#pragma once
// Registers every built-in component (models, losses, datasets, transforms,
// optimizers, schedulers, metrics, hooks, loops) in its registry. Idempotent
// and cheap; the CLI and Runner call it before reading a config. Registration
// is explicit rather than by static initialisers, which a static link drops.
namespace mini::runtime {

void register_builtin_components();

}  // namespace mini::runtime
