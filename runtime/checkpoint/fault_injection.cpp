#include "runtime/checkpoint/fault_injection.h"

namespace mini::runtime::detail {
namespace {

SaveStageHook& installed_hook() {
  static SaveStageHook hook;
  return hook;
}

}  // namespace

SaveStageHook set_save_stage_hook(SaveStageHook hook) { return std::exchange(installed_hook(), std::move(hook)); }

void save_stage(std::string_view stage) {
  if (installed_hook()) installed_hook()(stage);
}

}  // namespace mini::runtime::detail
