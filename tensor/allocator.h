#pragma once
// Allocators hand out device memory and keep statistics that tests and the
// Runner use for memory checks (bytes in use, peak, allocation count).
#include <cstddef>
#include <cstdint>

#include "tensor/device.h"

namespace mini {

struct AllocatorStats {
  int64_t bytes_in_use = 0;      // handed out and not yet returned
  int64_t peak_bytes_in_use = 0;  // high-water mark of bytes_in_use since the last reset_peak
  int64_t bytes_reserved = 0;     // in use plus cached for reuse
  int64_t allocation_count = 0;   // allocate() calls
  int64_t system_allocations = 0;  // allocations that reached the system allocator (cache misses)
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  // Returns memory for `nbytes` (nullptr for 0 bytes); throws mini::Error when out of memory.
  virtual void* allocate(size_t nbytes) = 0;
  // `nbytes` must be the size given to allocate().
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
  virtual AllocatorStats stats() const = 0;
  virtual void reset_peak() = 0;
  // Returns cached, unused blocks to the system.
  virtual void empty_cache() = 0;
};

// The process-wide CPU allocator: 64-byte aligned, caching freed blocks by
// size so a training loop's steady state never calls malloc.
Allocator& cpu_allocator();

}  // namespace mini
