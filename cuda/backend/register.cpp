// Registration of this variant's backend with mini::register_backend.
#include <array>
#include <memory>
#include <mutex>

#include "cuda/backend/cuda_backend.h"
#include "cuda/cuda.h"
#include "cuda/runtime/device_api.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

// One backend per device, created on first use and never destroyed: tensors
// held by static objects may free their memory after main() returns.
Backend* backend_for_index(int index) {
  static std::mutex mutex;
  static std::array<CudaBackend*, kMaxDevices> backends{};
  const int count = device_count();
  MINI_CHECK(index >= 0 && index < count && index < kMaxDevices, "device cuda:{} is not available ({} CUDA device{})",
             index, count, count == 1 ? "" : "s");
  std::lock_guard lock(mutex);
  CudaBackend*& backend = backends[static_cast<size_t>(index)];
  if (backend == nullptr) backend = new CudaBackend(index);
  return backend;
}

}  // namespace
MINI_CUDA_END_NAMESPACE

namespace mini::cuda {

#if defined(MINI_CUDA_EMULATED)

void register_emulated_backend() { register_backend(DeviceType::cuda, &emulated::backend_for_index); }

#else

bool register_device_backend() {
  if (device::device_count() == 0) return false;
  register_backend(DeviceType::cuda, &device::backend_for_index);
  return true;
}

namespace {
// Registers the GPU backend when mini_engine loads (see cuda/cuda.h for static links).
[[maybe_unused]] const bool registered_at_load = register_device_backend();
}  // namespace

#endif

}  // namespace mini::cuda
