#include "cuda/runtime/stream.h"

#include <array>

#include "tensor/error.h"

MINI_CUDA_BEGIN_NAMESPACE
namespace {

thread_local std::array<StreamHandle, kMaxDevices> current_streams{};

void check_device(int device) {
  MINI_CHECK(device >= 0 && device < kMaxDevices, "cuda: device index {} is out of range [0, {})", device, kMaxDevices);
}

}  // namespace

StreamHandle current_stream(int device) {
  check_device(device);
  return current_streams[static_cast<size_t>(device)];
}

void set_current_stream(int device, StreamHandle stream) {
  check_device(device);
  current_streams[static_cast<size_t>(device)] = stream;
}

StreamGuard::StreamGuard(int device, StreamHandle stream) : device_(device), previous_(current_stream(device)) {
  set_current_stream(device, stream);
}

StreamGuard::~StreamGuard() { set_current_stream(device_, previous_); }

MINI_CUDA_END_NAMESPACE
