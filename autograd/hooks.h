#pragma once
// HookHandle: returned by every register_*hook; remove() unregisters the hook.
// The handle does not keep the tensor or node alive; removing after they are
// gone does nothing.
#include <functional>
#include <utility>

namespace mini {

class HookHandle {
 public:
  HookHandle() = default;
  explicit HookHandle(std::function<void()> remover) : remover_(std::move(remover)) {}
  // Unregisters the hook; later calls do nothing.
  void remove() {
    if (remover_) std::exchange(remover_, nullptr)();
  }

 private:
  std::function<void()> remover_;
};

}  // namespace mini
