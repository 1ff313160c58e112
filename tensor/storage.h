#pragma once
// Storage: a ref-counted buffer on one device. Views of a tensor share one
// Storage; so does the version counter that detects in-place changes of
// tensors saved for backward.
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

#include "tensor/allocator.h"
#include "tensor/device.h"

namespace mini {

class StorageImpl {
 public:
  // Owned memory from `allocator`.
  StorageImpl(size_t nbytes, Device device, Allocator& allocator);
  // Borrowed memory: `deleter` (may be empty) runs when the last user lets go.
  StorageImpl(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter);
  ~StorageImpl();
  StorageImpl(const StorageImpl&) = delete;
  StorageImpl& operator=(const StorageImpl&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

  // NOTE [version counter]: bumped by every in-place write through any view;
  // autograd records it when saving a tensor and compares at backward time.
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_;
  size_t nbytes_;
  Device device_;
  Allocator* allocator_ = nullptr;
  std::function<void(void*)> deleter_;
  std::atomic<uint64_t> version_{0};
};

using Storage = std::shared_ptr<StorageImpl>;

}  // namespace mini
