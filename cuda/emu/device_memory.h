#pragma once
// "Device" memory for the emulator: host memory that is registered, so the
// emulator can catch what would crash or corrupt memory on a GPU: a host
// pointer passed to a kernel, a memcpy running past an allocation, a double free.
// The caching allocator calls these where the real backend calls cudaMalloc & co.

#include <cstddef>
#include <string>

namespace mini::cuda::emu {

// cudaMalloc's alignment, which vectorised kernels may rely on.
inline constexpr std::size_t device_alignment = 256;

enum class MemcpyKind { host_to_host, host_to_device, device_to_host, device_to_device };

// Returns nullptr when the request does not fit in the emulated capacity, as
// cudaMalloc returns cudaErrorMemoryAllocation, so allocator retry paths can be tested.
void* malloc(std::size_t bytes);
// Throws for a pointer that is not the start of a live allocation; nullptr is a no-op.
void free(void* pointer);
// Synchronous, as is every emulated operation. Device-side ranges are checked.
void memcpy(void* destination, const void* source, std::size_t bytes, MemcpyKind kind);
void memset(void* destination, int value, std::size_t bytes);

struct MemoryInfo {
  std::size_t free_bytes;
  std::size_t total_bytes;
};
MemoryInfo memory_info();
// The emulated device's size (default 16 GiB, or MINI_EMU_DEVICE_MEMORY_MB).
void set_memory_capacity(std::size_t bytes);
std::size_t allocated_bytes();

// Whether [pointer, pointer + bytes) lies inside one live allocation.
bool is_device_range(const void* pointer, std::size_t bytes);

// Checked for every pointer argument of an emulated launch (see cuda/launch.h):
// nullptr or an address inside (or one past the end of) a live allocation.
// On by default; turn it off only for code that deliberately passes host memory.
void check_kernel_pointer_argument(std::size_t argument_index, const void* pointer);
void set_kernel_pointer_checks(bool enabled);

}  // namespace mini::cuda::emu
