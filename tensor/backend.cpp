#include "tensor/backend.h"

#include <array>
#include <mutex>

#include "tensor/cpu/cpu_backend.h"

namespace mini {
namespace {

struct Registry {
  std::mutex mutex;
  std::array<Backend* (*)(int), 2> factories{};
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

bool binary_op_writes_bool(BinaryOp op) {
  switch (op) {
    case BinaryOp::eq:
    case BinaryOp::ne:
    case BinaryOp::lt:
    case BinaryOp::le:
    case BinaryOp::gt:
    case BinaryOp::ge:
    case BinaryOp::logical_and:
    case BinaryOp::logical_or:
    case BinaryOp::logical_xor: return true;
    default: return false;
  }
}

Backend& backend_for(Device device) {
  if (device.is_cpu()) {
    static cpu::CpuBackend cpu_backend;
    return cpu_backend;
  }
  Backend* (*factory)(int) = nullptr;
  {
    std::lock_guard lock(registry().mutex);
    factory = registry().factories[static_cast<size_t>(device.type)];
  }
  MINI_CHECK(factory != nullptr, "device {} is not available: this build of mini-engine has no {} backend",
             device.str(), device.is_cuda() ? "CUDA" : "such");
  return *factory(device.index);
}

void register_backend(DeviceType type, Backend* (*factory)(int index)) {
  std::lock_guard lock(registry().mutex);
  registry().factories[static_cast<size_t>(type)] = factory;
}

bool has_backend(DeviceType type) {
  if (type == DeviceType::cpu) return true;
  std::lock_guard lock(registry().mutex);
  return registry().factories[static_cast<size_t>(type)] != nullptr;
}

}  // namespace mini
