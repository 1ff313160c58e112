#pragma once
// The hook registry (kind "hook"). Users add their own hook types from C++:
//
//   runtime::hook_registry().add({.type = "MyHook", .doc = "...", .args = {...}},
//                                [](const config::Args& args) -> runtime::HookPtr { ... });
//
// and use them from YAML in custom_hooks (`{type: MyHook, priority: HIGH}`).
#include "config/registry.h"
#include "runtime/hooks/hook.h"

namespace mini::runtime {

config::Registry<HookPtr>& hook_registry();
void register_hook_components();

}  // namespace mini::runtime
