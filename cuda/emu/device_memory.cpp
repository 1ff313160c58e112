#include "cuda/emu/device_memory.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <new>

#include "cuda/emu/failure.h"
#include "cuda/emu/host_error.h"

namespace mini::cuda::emu {
namespace {

std::size_t capacity_from_environment() {
  if (const char* text = std::getenv("MINI_EMU_DEVICE_MEMORY_MB")) {
    char* end = nullptr;
    const unsigned long long megabytes = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0') throw_host_error(concat("MINI_EMU_DEVICE_MEMORY_MB=", text, " is not a number"));
    return static_cast<std::size_t>(megabytes) << 20;
  }
  return std::size_t{16} << 30;
}

struct Registry {
  std::mutex mutex;
  std::map<const std::byte*, std::size_t> allocations;  // start -> size in bytes
  std::size_t allocated = 0;
  std::size_t capacity = capacity_from_environment();

  // The allocation containing [pointer, pointer + bytes), or end(); caller holds the mutex.
  // One-past-the-end counts as inside when bytes is 0, as kernels take end pointers.
  std::map<const std::byte*, std::size_t>::const_iterator find(const void* pointer, std::size_t bytes) const {
    const auto* address = static_cast<const std::byte*>(pointer);
    auto after = allocations.upper_bound(address);
    if (after == allocations.begin()) return allocations.end();
    auto candidate = std::prev(after);
    const std::byte* start = candidate->first;
    const std::size_t size = candidate->second;
    if (address + bytes > start + size || (bytes > 0 && address >= start + size)) return allocations.end();
    return candidate;
  }
};

Registry& registry() {
  static Registry instance;
  return instance;
}

std::atomic<bool> pointer_checks_enabled{true};

std::string describe_pointer(const void* pointer) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", pointer);
  return text;
}

void check_device_range(const char* what, const void* pointer, std::size_t bytes) {
  if (bytes > 0 && !is_device_range(pointer, bytes)) {
    throw_host_error(concat(what, ": [", describe_pointer(pointer), ", +", std::to_string(bytes),
                            " bytes) is not inside one allocation from emu::malloc"));
  }
}

}  // namespace

void* malloc(std::size_t bytes) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (bytes > r.capacity - r.allocated) return nullptr;
  // At least one byte, so every allocation has a distinct address to register.
  void* pointer = ::operator new (bytes == 0 ? 1 : bytes, std::align_val_t{device_alignment}, std::nothrow);
  if (pointer == nullptr) return nullptr;
  r.allocations.emplace(static_cast<const std::byte*>(pointer), bytes);
  r.allocated += bytes;
  return pointer;
}

void free(void* pointer) {
  if (pointer == nullptr) return;
  Registry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    auto found = r.allocations.find(static_cast<const std::byte*>(pointer));
    if (found == r.allocations.end()) {
      throw_host_error(
          concat("free(", describe_pointer(pointer),
                 "): not the start of a live allocation from emu::malloc (double free, or a host pointer?)"));
    }
    r.allocated -= found->second;
    r.allocations.erase(found);
  }
  ::operator delete (pointer, std::align_val_t{device_alignment});
}

void memcpy(void* destination, const void* source, std::size_t bytes, MemcpyKind kind) {
  const bool source_on_device = kind == MemcpyKind::device_to_host || kind == MemcpyKind::device_to_device;
  const bool destination_on_device = kind == MemcpyKind::host_to_device || kind == MemcpyKind::device_to_device;
  if (source_on_device) check_device_range("memcpy source", source, bytes);
  if (destination_on_device) check_device_range("memcpy destination", destination, bytes);
  if (bytes > 0) std::memmove(destination, source, bytes);
}

void memset(void* destination, int value, std::size_t bytes) {
  check_device_range("memset", destination, bytes);
  if (bytes > 0) std::memset(destination, value, bytes);
}

MemoryInfo memory_info() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return MemoryInfo{r.capacity - r.allocated, r.capacity};
}

void set_memory_capacity(std::size_t bytes) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (bytes < r.allocated) {
    throw_host_error(concat("set_memory_capacity(", std::to_string(bytes), "): ", std::to_string(r.allocated),
                            " bytes are already allocated"));
  }
  r.capacity = bytes;
}

std::size_t allocated_bytes() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.allocated;
}

bool is_device_range(const void* pointer, std::size_t bytes) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.find(pointer, bytes) != r.allocations.end();
}

void check_kernel_pointer_argument(std::size_t argument_index, const void* pointer) {
  if (pointer == nullptr || !pointer_checks_enabled.load(std::memory_order_relaxed)) return;
  if (!is_device_range(pointer, 0)) {
    throw_host_error(concat("kernel argument ", std::to_string(argument_index), " (", describe_pointer(pointer),
                            ") does not point into memory from emu::malloc; a GPU would fault on a host pointer"));
  }
}

void set_kernel_pointer_checks(bool enabled) { pointer_checks_enabled.store(enabled, std::memory_order_relaxed); }

}  // namespace mini::cuda::emu
