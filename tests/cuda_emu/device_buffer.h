#pragma once
// A typed, owning buffer in emulated device memory, for tests.

#include <cstddef>
#include <stdexcept>
#include <vector>

#include "cuda/emu/device_memory.h"

namespace mini::cuda::testing {

template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t count) : count_(count), data_(static_cast<T*>(emu::malloc(count * sizeof(T)))) {
    if (data_ == nullptr) throw std::runtime_error("DeviceBuffer: emulated device memory exhausted");
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) {
    emu::memcpy(data_, host.data(), host.size() * sizeof(T), emu::MemcpyKind::host_to_device);
  }
  DeviceBuffer(std::size_t count, T value) : DeviceBuffer(std::vector<T>(count, value)) {}
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { emu::free(data_); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return count_; }

  std::vector<T> to_host() const {
    std::vector<T> host(count_);
    emu::memcpy(host.data(), data_, count_ * sizeof(T), emu::MemcpyKind::device_to_host);
    return host;
  }

 private:
  std::size_t count_;
  T* data_;
};

}  // namespace mini::cuda::testing
